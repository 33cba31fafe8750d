import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin, maskError as yogaMaskError } from "graphql-yoga";
import type { Pool } from "undici";
import { AuthenticationError, createTokenVerifier, type TokenVerifierOptions } from "./auth/verify.js";
import type { Viewer } from "./auth/viewer.js";
import type { Defences, UpstreamConfig } from "./config.js";
import { createContext, type GatewayContext, type Services } from "./context.js";
import {
  toUpstreamDomainError,
  UpstreamBodyError,
  UpstreamHttpError,
  UpstreamTransportError,
} from "./datasources/errors.js";
import { createUpstreamPool, UpstreamClient } from "./datasources/http.js";
import { DtmClient } from "./datasources/dtm/client.js";
import { IotClient } from "./datasources/iot/client.js";
import { TlmClient } from "./datasources/tlm/client.js";
import type { Logger } from "./logger.js";
import { DomainError, ValidationError } from "./model/errors.js";
import { createBootstrapDownloadHandler } from "./http/bootstrap-download.js";
import { createDownloadHandler, DOWNLOADS_BASE_PATH } from "./http/downloads.js";
import { fingerprintOf, IdempotencyStore } from "./stores/idempotency.js";
import { createJobKindCache } from "./stores/job-kinds.js";
import { createParsedCertificateCache } from "./stores/parsed-certificates.js";
import { createReportCache } from "./stores/reports.js";
import { browserDefences } from "./plugins/browser.js";
import { limitRequestBody } from "./plugins/use-body-limit.js";
import { useStreamedUploads } from "./plugins/use-streamed-uploads.js";
import { useExposure } from "./plugins/use-exposure.js";
import { useQueryLimits } from "./plugins/use-query-limits.js";
import { useRateLimit } from "./plugins/use-rate-limit.js";
import { type BatchJob, TERMINAL_BATCH_JOB_STATUSES } from "./model/batch.js";
import { parseJobKey } from "./subscriptions/job-key.js";
import { readBatchJob } from "./resolvers/batch-jobs.js";
import { schema } from "./schema/index.js";
import { JobWatcher } from "./subscriptions/job-watcher.js";
import { attachGraphqlWs, type SocketAuth } from "./subscriptions/graphql-ws.js";

export interface AppConfig {
  port: number;
  host: string;
  graphiql: boolean;
  upstream: UpstreamConfig;
  auth: TokenVerifierOptions;
  /** Send each caller's `x-api-key` to DigiCert instead of its tenant's credentials. */
  passthroughApiKey?: boolean;
  defences: Defences;
  /** How often batch jobs are polled for subscribers; defaults 1 s, backing off to 15 s. */
  jobPolling?: { minIntervalMs: number; maxIntervalMs: number };
  /** Where uploads are spooled (each request in its own directory, removed after it). Default: the OS's. */
  uploadTmpDir?: string;
  /** Development: headers GraphiQL starts with (e.g. the printed dev token). */
  graphiqlHeaders?: Record<string, string>;
  logger: Logger;
}

export interface App {
  /** Listens; resolves with the GraphQL endpoint's URL. */
  start(): Promise<URL>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes upstream pools. */
  stop(graceMs?: number): Promise<void>;
  /** In-process access for tests: `app.fetch("http://x/graphql", init)` without a socket. */
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
}

export const GRAPHQL_PATH = "/graphql";

const GRAPHIQL_QUERY = `# DigiCert ONE (Trust Lifecycle Manager) through one GraphQL endpoint.
query Dashboard {
  profiles(first: 10) {
    edges { node { profileId name status enrollmentMethod allowedKeySizes } }
  }
  certificates(first: 5, filter: { status: ISSUED }) {
    totalCount
    edges {
      node {
        serialNumber commonName validTo
        profile { name }
        x509 { subjectAltNames { type value } publicKey { algorithm size curve } daysUntilExpiry }
      }
    }
  }
}
`;

/** Wires the gateway; opens nothing until start(). */
export function buildApp(config: AppConfig): App {
  const { logger } = config;
  const tenants = createTenants(config);
  const verify = createTokenVerifier(config.auth);

  /** Every operation needs a valid token; a failure is one generic 401, its reason goes to the log. */
  async function authenticate(authorization: string | null, apiKey: string | null) {
    let viewer: Viewer;
    try {
      viewer = await verify(authorization);
    } catch (error) {
      const reason = error instanceof AuthenticationError ? error.reason : "verification error";
      logger.info({ reason }, "request refused: not authenticated");
      throw unauthenticated();
    }
    const services = tenants.forViewer(viewer, apiKey);
    if (!services) {
      logger.info({ tenant: viewer.tenant, subject: viewer.subject }, "request refused: tenant not served");
      throw unauthenticated();
    }
    return { viewer, services };
  }

  // HTTP requests are authenticated before their body is read (an anonymous upload is refused
  // unread) and before the query is parsed or validated (an anonymous caller learns nothing about
  // the schema and is never counted or priced). The context reuses the result.
  const authenticated = new WeakMap<Request, Awaited<ReturnType<typeof authenticate>>>();
  const useAuthentication: Plugin = {
    async onRequestParse({ request }) {
      authenticated.set(
        request,
        await authenticate(request.headers.get("authorization"), request.headers.get("x-api-key")),
      );
    },
  };

  // Responses can carry private keys (server-side key generation): no cache may keep any of them.
  const useNoStore: Plugin = {
    onResponse({ response }) {
      response.headers.set("cache-control", "no-store");
    },
  };

  /** HTTP: the request's authentication (onParams); a WebSocket authenticated once, at connection_init. */
  async function contextFor(initial: { request: Request; wsAuth?: SocketAuth }): Promise<GatewayContext> {
    const auth = initial.wsAuth
      ? { viewer: initial.wsAuth.viewer, services: initial.wsAuth.services as Services }
      : authenticated.get(initial.request);
    if (!auth) throw unauthenticated();
    return createContext(auth.viewer, auth.services, logger);
  }

  const { defences } = config;
  // Authorization also proves a request is not a cross-site form post: browsers preflight it.
  const browser = browserDefences({
    allowedOrigins: defences.corsOrigins,
    csrfHeaders: ["x-graphql-csrf", "authorization"],
  });
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    cors: browser.cors,
    // Order matters: the rate limit counts an operation before the query limits may refuse it.
    plugins: [
      ...browser.plugins,
      // Uploads (multipart) are streamed to disk and capped by useStreamedUploads instead.
      limitRequestBody(defences.maxBodyBytes, { exemptMultipart: true }),
      useAuthentication,
      // After authentication: an anonymous upload is never read. Memory stays bounded whatever the size.
      useStreamedUploads({
        maxFileBytes: defences.maxUploadBytes,
        maxFiles: 1,
        ...(config.uploadTmpDir ? { tmpDir: config.uploadTmpDir } : {}),
      }),
      useNoStore,
      useExposure({ introspection: defences.introspection }),
      useRateLimit<GatewayContext>({
        points: defences.rateLimitPerMinute,
        durationSeconds: 60,
        keyOf: (ctx) => (ctx.viewer ? `${ctx.viewer.tenant}:${ctx.viewer.subject}` : null),
      }),
      useQueryLimits(),
    ],
    graphqlEndpoint: GRAPHQL_PATH,
    // Off: yoga's limiter would hold a whole multipart body in memory; JSON has limitRequestBody.
    maxRequestBodySize: false,
    healthCheckEndpoint: "/health",
    landingPage: false,
    graphiql: config.graphiql
      ? {
          title: "DigiCert ONE GraphQL gateway",
          defaultQuery: GRAPHIQL_QUERY,
          ...(config.graphiqlHeaders ? { headers: JSON.stringify(config.graphiqlHeaders) } : {}),
        }
      : false,
    logging: {
      debug: (...args) => logger.debug(args.map(String).join(" ")),
      info: (...args) => logger.info(args.map(String).join(" ")),
      warn: (...args) => logger.warn(args.map(String).join(" ")),
      error: (...args) => logger.error({ err: args.find((a) => a instanceof Error) }, "graphql error"),
    },
    maskedErrors: { maskError: (error, message, isDev) => maskError(error, message, isDev, logger) },
    context: (initial) => contextFor(initial as unknown as Parameters<typeof contextFor>[0]),
  });

  // Files (batch downloads) are streamed by their own route; everything else is yoga's.
  const downloads = createDownloadHandler({ authenticate, logger, basePath: DOWNLOADS_BASE_PATH });
  // Before the batch downloads, which answer every path under DOWNLOADS_BASE_PATH they do not serve.
  const bootstrapDownloads = createBootstrapDownloadHandler({
    authenticate,
    logger,
    basePath: DOWNLOADS_BASE_PATH,
  });
  // Idle keep-alive sockets stay open longer than clients keep theirs (undici: 4 s, load balancers: 60 s), so the
  // client always closes first: a server that closes first races the client's next request into ECONNRESET.
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void bootstrapDownloads(req, res)
      .then((handled) => handled || downloads(req, res))
      .then((handled) => (handled ? undefined : yoga(req, res)));
  });
  const ws = attachGraphqlWs(server, yoga as never, {
    path: GRAPHQL_PATH,
    authenticate,
    maxPayloadBytes: config.defences.maxBodyBytes,
    maxOperationsPerSocket: config.defences.maxOperationsPerSocket,
    logger,
  });
  let started = false;

  return {
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      started = true;
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      return new URL(`http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}${GRAPHQL_PATH}`);
    },
    async stop(graceMs = 10_000) {
      if (started) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        started = false;
      }
      await ws.close();
      await tenants.close();
    },
    fetch: (input, init) => Promise.resolve(yoga.fetch(new Request(input, init))),
  };
}

function unauthenticated(): GraphQLError {
  return new GraphQLError("Unauthorized", {
    extensions: {
      code: "UNAUTHENTICATED",
      http: { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="digicert-graphql-gateway"' } },
    },
  });
}

/**
 * Upstream clients per tenant. API-key tenants share one pool to the origin; each client-certificate
 * tenant has its own (a TLS identity is per connection). Pass-through mode makes a client per request
 * from the caller's own key, on the shared pool.
 */
function createTenants(config: AppConfig) {
  const { transport, tenants } = config.upstream;
  const logger = config.logger.child({ component: "upstream" });
  const sharedPool = createUpstreamPool(transport);
  const pools: Pool[] = [sharedPool];
  const parsedCertificates = createParsedCertificateCache();
  const idempotency = new IdempotencyStore();
  const reports = createReportCache();
  const jobKinds = createJobKindCache();
  const services = new Map<string, Services>();
  // One upstream poller per watched job, however many subscribers. A key is `${tenant}|${kind}|${jobId}`
  // (see jobKey), polled with that tenant's own credentials, so tenants never share a poller or a snapshot.
  const jobs = new JobWatcher<BatchJob>({
    fetch: async (key) => {
      const { tenant, kind, jobId } = parseJobKey(key);
      const clients = services.get(tenant);
      return clients && kind ? readBatchJob(clients, kind, jobId) : null;
    },
    isTerminal: (job) => TERMINAL_BATCH_JOB_STATUSES.has(job.status),
    minIntervalMs: config.jobPolling?.minIntervalMs ?? 1_000,
    maxIntervalMs: config.jobPolling?.maxIntervalMs ?? 15_000,
    maxConsecutiveErrors: 5,
  });
  /** One set of clients on `http`, with the app-wide stores; `tenantScope` keys those stores. */
  const servicesOn = (http: UpstreamClient, tenantScope: string, jobScope: string | null): Services => ({
    tlm: new TlmClient(http),
    iot: new IotClient(http),
    dtm: new DtmClient(http),
    jobs,
    jobScope,
    parsedCertificates,
    idempotency,
    tenantScope,
    reports,
    jobKinds,
  });
  for (const [tenant, credentials] of tenants) {
    const pool = credentials.kind === "apiKey" ? sharedPool : createUpstreamPool(transport, credentials);
    if (pool !== sharedPool) pools.push(pool);
    services.set(
      tenant,
      servicesOn(new UpstreamClient({ ...transport, credentials }, logger, pool), tenant, tenant),
    );
  }
  return {
    /** The viewer's tenant's services; null when this gateway does not serve that tenant. */
    forViewer(viewer: Viewer, callerApiKey: string | null): Services | null {
      if (!config.passthroughApiKey) return services.get(viewer.tenant) ?? null;
      if (!callerApiKey || callerApiKey.length > 512 || /[\s\u0000-\u001f]/.test(callerApiKey)) return null;
      const credentials = { kind: "apiKey" as const, apiKey: callerApiKey };
      const http = new UpstreamClient({ ...transport, credentials }, logger, sharedPool);
      // Scoped by tenant and by a digest of the caller's DigiCert key (never the key itself). Pass-through
      // callers bring their own key per request: the gateway has none to poll jobs with (jobScope null).
      return servicesOn(http, `${viewer.tenant}:${fingerprintOf(callerApiKey)}`, null);
    },
    async close() {
      await jobs.close();
      await Promise.all(pools.map((pool) => pool.close()));
    },
  };
}

const UPSTREAM_FAILURES = [UpstreamHttpError, UpstreamTransportError, UpstreamBodyError];

/**
 * Domain errors keep their message and gain `extensions.code`. The datasources map every failure they throw, so an
 * unmapped upstream failure here is a safety net only: it is mapped as a read. Everything else is masked by yoga
 * ("Unexpected error.") and logged.
 */
function maskError(error: unknown, message: string, isDev: boolean | undefined, logger: Logger): Error {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  let domain: unknown = original;
  if (UPSTREAM_FAILURES.some((cls) => original instanceof cls)) {
    domain = toUpstreamDomainError(original, true);
  }
  if (domain instanceof DomainError) {
    const base = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(domain.message, {
      nodes: base?.nodes,
      path: base?.path,
      extensions: {
        code: domain.code,
        ...(domain instanceof ValidationError ? { field: domain.field } : {}),
        ...(domain.code === "UPSTREAM_UNAVAILABLE" && "retryAfterSeconds" in domain
          ? { retryAfterSeconds: domain.retryAfterSeconds }
          : {}),
      },
    });
  }
  if (!(error instanceof GraphQLError && !error.originalError)) {
    logger.error({ err: original }, "unexpected error");
  }
  return yogaMaskError(error, message, isDev);
}
