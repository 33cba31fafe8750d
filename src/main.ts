import "reflect-metadata";
import { DEFAULT_API_KEY, type Simulator, startSimulator } from "../simulator/index.js";
import { buildApp } from "./app.js";
import { redactRedisUrl } from "./stores/redis.js";
import { createDevIssuer, devVerifierOptions } from "./auth/dev.js";
import type { TokenVerifierOptions } from "./auth/verify.js";
import { type Config, ConfigError, loadConfig, type UpstreamConfig } from "./config.js";
import { createLogger } from "./logger.js";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
let simulator: Simulator | null = null;
let upstream: UpstreamConfig;
if (config.upstream) {
  upstream = config.upstream;
} else {
  simulator = await startSimulator({
    port: 0,
    dataDir: config.simulator.dataDir,
    latencyMs: config.simulator.latencyMs,
    certificateEncoding: config.simulator.certificateEncoding,
    logger: false,
  });
  upstream = {
    transport: { ...config.upstreamTuning, baseUrl: new URL(simulator.url) },
    tenants: new Map([["default", { kind: "apiKey", apiKey: DEFAULT_API_KEY }]]),
  };
}

// Development (simulator, no key source configured): sign tokens with a key made now. loadConfig
// refuses a real upstream without real key material, so this never runs in production.
let auth: TokenVerifierOptions;
let devToken: string | null = null;
if (config.auth) {
  auth = config.auth;
} else {
  const issuer = await createDevIssuer();
  auth = devVerifierOptions(issuer);
  devToken = await issuer.sign({ sub: "developer", tenant: "default" });
}

const app = buildApp({
  port: config.port,
  host: config.host,
  graphiql: config.graphiql,
  ...(config.portal ? { portal: { devToken } } : {}),
  upstream,
  auth,
  passthroughApiKey: config.passthroughApiKey,
  defences: config.defences,
  ...(devToken ? { graphiqlHeaders: { Authorization: `Bearer ${devToken}` } } : {}),
  logger,
  observability: config.observability,
  // In-flight requests get what the deadline leaves after the drain window, less a margin to close pools and exit.
  shutdown: {
    drainMs: config.shutdown.drainMs,
    graceMs: config.shutdown.timeoutMs - config.shutdown.drainMs - 500,
  },
  readinessCacheMs: config.readinessCacheMs,
  compressionThresholdBytes: config.compressionThresholdBytes,
  sharedStore: config.sharedStore,
  jobPolling: config.jobPolling,
});
const url = await app.start();

const auth_ = devToken
  ? ` -H 'authorization: Bearer ${devToken}'`
  : " -H 'authorization: Bearer <your token>'";
const curl = `curl -s ${url} -H 'content-type: application/json'${auth_} -d '{"query":"{ profiles(first: 5) { edges { node { profileId name status } } } }"}'`;
console.log(
  [
    "",
    `GraphQL gateway ready: ${url}`,
    config.graphiql
      ? `GraphiQL:              ${url} (open in a browser${devToken ? "; the dev token is already in its headers" : ""})`
      : config.defences.persistedOperations?.trustedDocuments?.allowArbitrary === false
        ? "GraphiQL:              off (trusted documents only: TRUSTED_DOCUMENTS_FILE)"
        : "GraphiQL:              off (GRAPHIQL=false)",
    config.portal
      ? `Portal:                ${new URL("/portal", url)}${devToken ? " (uses the dev token)" : " (asks for a bearer token)"}`
      : "Portal:                off (PORTAL=false)",
    `Health:                ${new URL("/healthz", url)} (liveness), ${new URL("/readyz", url)} (readiness)`,
    app.metricsUrl
      ? `Metrics:               ${app.metricsUrl}`
      : config.observability.metrics.enabled
        ? `Metrics:               ${new URL("/metrics", url)}`
        : "Metrics:               off (METRICS=false)",
    config.sharedStore
      ? `Shared state:          Redis at ${redactRedisUrl(config.sharedStore.url)} (key prefix "${config.sharedStore.keyPrefix}")`
      : "Shared state:          this process's memory (one instance only; set REDIS_URL to run several)",
    simulator
      ? `Upstream:              built-in DigiCert ONE simulator at ${simulator.url} (set DIGICERT_BASE_URL to use a real tenant)`
      : `Upstream:              ${upstream.transport.baseUrl.origin}`,
    ...(devToken
      ? [
          "",
          "Development token (all scopes, tenant 'default', valid 12 h, signed by a key made at this start):",
          `  ${devToken}`,
        ]
      : []),
    "",
    "Try it:",
    `  ${curl}`,
    "",
  ].join("\n"),
);

let stopping = false;
/** Readiness turns 503, the drain window runs, everything closes; the process exits by SHUTDOWN_TIMEOUT_MS at the latest. */
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, timeoutMs: config.shutdown.timeoutMs }, "shutting down");
  const deadline = setTimeout(() => {
    logger.error({ signal }, "shutdown deadline passed: exiting with work still open");
    process.exit(1);
  }, config.shutdown.timeoutMs);
  deadline.unref();
  try {
    await app.stop();
    await simulator?.close();
  } catch (error) {
    logger.error({ err: error }, "shutdown failed");
    process.exit(1);
  }
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
