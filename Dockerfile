# syntax=docker/dockerfile:1
# The gateway (and, with another command, the DigiCert ONE simulator) as one image. test/production/recipe.test.ts runs
# this recipe's commands without a container engine; keep to the instructions it interprets (FROM AS, WORKDIR, COPY
# [--from], RUN [--mount=type=cache], ENV, USER, EXPOSE, HEALTHCHECK, CMD in exec form).

# Build: every dependency (esbuild, tsx), then bundle src/ and simulator/ (and most npm packages) into dist/.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The npm cache is a BuildKit cache mount: faster rebuilds, and never a layer of the image.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY simulator ./simulator
COPY src ./src
COPY clients ./clients
COPY portal ./portal
RUN npm run build

# Runtime: the two bundles and the production dependencies (for the packages the bundles load at run time, see
# scripts/build.ts, and their licences), nothing else; runs as the image's unprivileged node user.
FROM node:20.20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000
WORKDIR /app
# package.json also makes dist/*.js ES modules ("type": "module").
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The simulator's CA and certificates (built-in without DIGICERT_BASE_URL, or `node dist/simulator.js`); a volume in compose.
RUN mkdir -p .simulator-data && chown node:node .simulator-data
USER node
# 4000: GraphQL, /healthz, /readyz; 9464: Prometheus /metrics (METRICS_PORT).
EXPOSE 4000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 4000}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node itself gets SIGTERM (as PID 1, or as tini's child with compose's init: true); src/main.ts drains, exits 0.
CMD ["node", "--enable-source-maps", "dist/main.js"]
