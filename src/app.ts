import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import compression from "compression";
import { GraphQLError } from "graphql";
import { createYoga, type Plugin, maskError as yogaMaskError } from "graphql-yoga";
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
import type { Logger } from "./logger.js";
import { DomainError, ValidationError } from "./model/errors.js";
import { createBootstrapDownloadHandler } from "./http/bootstrap-download.js";
import { createDownloadHandler, DOWNLOADS_BASE_PATH } from "./http/downloads.js";
import { createGraphiql } from "./http/graphiql.js";
import { closeCsrWorkers } from "./batch-file/check.js";
import { createHealth } from "./http/health.js";
import { createPortal, type PortalSettings } from "./http/portal.js";
import { createObservability, type ObservabilityOptions } from "./observability/index.js";
import { browserDefences } from "./plugins/browser.js";
import { limitRequestBody } from "./plugins/use-body-limit.js";
import { trustedDocumentsOverWebSocket, usePersistedOperations } from "./plugins/use-persisted-operations.js";
import { useStreamedUploads } from "./plugins/use-streamed-uploads.js";
import { useExposure } from "./plugins/use-exposure.js";
import { useQueryLimits } from "./plugins/use-query-limits.js";
import { useRateLimit } from "./plugins/use-rate-limit.js";
import { schema } from "./schema/index.js";
import { attachGraphqlWs, type SocketAuth } from "./subscriptions/graphql-ws.js";
import { ApqStore } from "./stores/apq.js";
import { SharedRedis } from "./stores/redis.js";
import { createTenants, type JobPollingOptions } from "./tenants.js";

export interface AppConfig {
  port: number;
  host: string;
  graphiql: boolean;
  upstream: UpstreamConfig;
  auth: TokenVerifierOptions;
  /** Send each caller's `x-api-key` to DigiCert instead of its tenant's credentials. */
  passthroughApiKey?: boolean;
  defences: Defences;
  /** How batch jobs are polled for subscribers: moving 200 ms, waiting up to 15 s, 2 polls/s per tenant by default. */
  jobPolling?: JobPollingOptions;
  /** Where uploads are spooled (each request in its own directory, removed after it). Default: the OS's. */
  uploadTmpDir?: string;
  /** The portal page at /portal (src/http/portal.ts); absent or false: off. */
  portal?: false | PortalSettings;
  /** Development: headers GraphiQL starts with (e.g. the printed dev token). */
  graphiqlHeaders?: Record<string, string>;
  logger: Logger;
  /** Metrics and traces; default: metrics on the gateway's own port, no tracing. */
  observability?: Omit<ObservabilityOptions, "logger">;
  /** Shutdown timing; default: no drain window, 10 s for in-flight requests. */
  shutdown?: ShutdownOptions;
  /** How long a readiness answer is reused; default 5 s. */
  readinessCacheMs?: number;
  /** Responses at least this large are compressed (gzip or br) when the client accepts it; default 1024. */
  compressionThresholdBytes?: number;
  /**
   * Redis shared by every instance (REDIS_URL): idempotency keys, rate limits, job poller leases and shared caches
   * move there. Absent or null: all of it stays in this process's memory (one instance only).
   */
  sharedStore?: SharedStoreConfig | null;
}

export interface SharedStoreConfig {
  url: string;
  /** Prepended to every key and channel; default "dcgw:". */
  keyPrefix?: string;
  /** Connection and command limits, ms; defaults 2000 and 1000. */
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** How long an idempotency key's outcome is kept, ms; default 24 h. */
  idempotencyTtlMs?: number;
  /** Job poller lease TTL, ms (renewed while polling; a dead poller's job moves within it); default 5000. */
  leaseTtlMs?: number;
}

export interface ShutdownOptions {
  /** After readiness turns 503, how long the listener stays open and serves (the load balancer's time to notice). */
  drainMs: number;
  /** Then, how long in-flight requests may take to finish before their connections are cut. */
  graceMs: number;
}

export interface App {
  /** Listens; resolves with the GraphQL endpoint's URL. */
  start(): Promise<URL>;
  /**
   * Readiness turns 503 at once; the listener serves on for `drainMs`; then it closes, every subscription gets
   * `complete` (WebSockets then close with 1001), in-flight requests get `graceMs` to finish, temporary upload files
   * are removed and upstream pools closed. Idempotent: a second call returns the first's promise.
   */
  stop(options?: Partial<ShutdownOptions>): Promise<void>;
  /** The separate metrics listener's URL, once started (null when metrics share the gateway's port or are off). */
  readonly metricsUrl: URL | null;
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
  const observability = createObservability({
    metrics: { enabled: true, port: null, host: config.host, tenantLabel: false },
    tracing: null,
    ...config.observability,
    logger,
  });
  const sharedStore = config.sharedStore
    ? {
        redis: new SharedRedis({
          url: config.sharedStore.url,
          keyPrefix: config.sharedStore.keyPrefix ?? "dcgw:",
          connectTimeoutMs: config.sharedStore.connectTimeoutMs ?? 2_000,
          commandTimeoutMs: config.sharedStore.commandTimeoutMs ?? 1_000,
          logger: logger.child({ component: "shared-store" }),
        }),
        idempotencyTtlMs: config.sharedStore.idempotencyTtlMs ?? 24 * 3_600_000,
        leaseTtlMs: config.sharedStore.leaseTtlMs ?? 5_000,
      }
    : null;
  const redis = sharedStore?.redis ?? null;
  const tenants = createTenants({ ...config, observability, sharedStore });
  observability.metrics.watchJobs(tenants.jobs);
  if (redis) observability.metrics.watchSharedStore(redis);
  const health = createHealth({
    probe: async () => {
      const [upstream, shared] = await Promise.all([tenants.probeUpstream(), redis?.ping() ?? true]);
      return !upstream ? "not ready" : shared ? "ready" : "degraded";
    },
    cacheMs: config.readinessCacheMs ?? 5_000,
    timeoutMs: 2_000,
  });
  const graphiql = createGraphiql();
  const portal = config.portal ? createPortal({ endpoint: GRAPHQL_PATH, ...config.portal }) : null;
  // Trusted documents and APQ (defences.persistedOperations); APQ shares its queries through Redis when there is one.
  const { trustedDocuments = null, apq: apqConfig = null } = config.defences.persistedOperations ?? {};
  const apq = apqConfig
    ? new ApqStore({
        maxEntries: apqConfig.maxEntries,
        maxBytes: apqConfig.maxBytes,
        redis,
        ttlMs: apqConfig.ttlSeconds * 1_000,
      })
    : null;
  const verify = createTokenVerifier(config.auth);

  /** Every operation needs a valid token; a failure is one generic 401, its reason goes to the log. */
  async function authenticate(authorization: string | null, apiKey: string | null, requestId?: string) {
    let viewer: Viewer;
    try {
      viewer = await verify(authorization);
    } catch (error) {
      const reason = error instanceof AuthenticationError ? error.reason : "verification error";
      logger.info({ requestId, reason }, "request refused: not authenticated");
      throw unauthenticated();
    }
    const services = tenants.forViewer(viewer, apiKey);
    if (!services) {
      logger.info(
        { requestId, tenant: viewer.tenant, subject: viewer.subject },
        "request refused: tenant not served",
      );
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
        await authenticate(
          request.headers.get("authorization"),
          request.headers.get("x-api-key"),
          observability.requestIdOf(request),
        ),
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
  const uploads = useStreamedUploads({
    maxFileBytes: defences.maxUploadBytes,
    maxFiles: 1,
    ...(config.uploadTmpDir ? { tmpDir: config.uploadTmpDir } : {}),
    onFileReceived: (bytes) => observability.metrics.uploadReceived(bytes),
  });
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    cors: browser.cors,
    // Order matters: the rate limit counts an operation before the query limits may refuse it.
    plugins: [
      // First: every request, refused ones included, gets its id, span, metrics and log line.
      ...observability.plugins,
      ...browser.plugins,
      // Uploads (multipart) are streamed to disk and capped by useStreamedUploads instead.
      limitRequestBody(defences.maxBodyBytes, { exemptMultipart: true }),
      useAuthentication,
      // After authentication: an anonymous upload is never read. Memory stays bounded whatever the size.
      uploads,
      useNoStore,
      // After authentication (an anonymous caller learns nothing about which ids exist), before any parsing.
      ...usePersistedOperations({ trusted: trustedDocuments, apq }),
      useExposure({ introspection: defences.introspection }),
      useRateLimit<GatewayContext>({
        points: defences.rateLimitPerMinute,
        durationSeconds: 60,
        keyOf: (ctx) => (ctx.viewer ? `${ctx.viewer.tenant}:${ctx.viewer.subject}` : null),
        onRefused: () => observability.metrics.rateLimited(),
        ...(redis ? { redis: { client: redis.client, keyPrefix: redis.key("ratelimit") } } : {}),
      }),
      useQueryLimits(),
    ],
    graphqlEndpoint: GRAPHQL_PATH,
    // A request may name a trusted document by `documentId` (the GraphQL-over-HTTP persisted documents convention).
    ...(trustedDocuments ? { extraParamNames: ["documentId"] } : {}),
    // Off: yoga's limiter would hold a whole multipart body in memory; JSON has limitRequestBody.
    maxRequestBodySize: false,
    // Liveness and readiness are /healthz and /readyz (createHealth); yoga's own /health stays as an alias of /healthz.
    healthCheckEndpoint: "/health",
    landingPage: false,
    // Offline: the page and its assets come from this server only.
    renderGraphiQL: (options) => graphiql.render(options),
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
  // Never SSE: a compressed event stream would hold events back until a block fills.
  const compress = compression({
    threshold: config.compressionThresholdBytes ?? 1024,
    filter: (req, res) =>
      !String(res.getHeader("content-type") ?? "").startsWith("text/event-stream") &&
      compression.filter(req, res),
  });
  const routes: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>)[] = [
    (req, res) => health.handle(req, res),
    (req, res) => observability.handle(req, res),
    ...(config.graphiql ? [(req: IncomingMessage, res: ServerResponse) => graphiql.handler(req, res)] : []),
    // The portal compresses its own assets; its HTML is never cached (it may carry the dev token).
    ...(portal ? [(req: IncomingMessage, res: ServerResponse) => portal.handler(req, res)] : []),
    // Before the batch downloads, which answer every path under DOWNLOADS_BASE_PATH they do not serve.
    bootstrapDownloads,
    downloads,
  ];
  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const handler of routes) if (await handler(req, res)) return;
    // compression is Express middleware; on Node's own req/res it needs only what they have.
    compress(req as never, res as never, () => void yoga(req, res));
  }
  // Idle keep-alive sockets stay open longer than clients keep theirs (undici: 4 s, load balancers: 60 s), so the
  // client always closes first: a server that closes first races the client's next request into ECONNRESET.
  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    // Draining: answer, then let the client take its next request elsewhere.
    if (health.draining) res.setHeader("connection", "close");
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error }, "request failed outside GraphQL");
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end();
    });
  });
  // graphql-ws runs its payloads through yoga's envelop but past onParams: on that path the wrapper resolves trusted
  // document ids and refuses what HTTP refuses (the onParse guard checks again).
  const wsYoga = trustedDocuments ? trustedDocumentsOverWebSocket(yoga, trustedDocuments) : yoga;
  const ws = attachGraphqlWs(server, wsYoga as never, {
    path: GRAPHQL_PATH,
    authenticate,
    maxPayloadBytes: config.defences.maxBodyBytes,
    maxOperationsPerSocket: config.defences.maxOperationsPerSocket,
    logger,
    around: observability.aroundWsOperation,
  });
  let started = false;
  let metricsUrl: URL | null = null;
  let stopping: Promise<void> | null = null;

  async function stop(options: Partial<ShutdownOptions>): Promise<void> {
    const drainMs = options.drainMs ?? config.shutdown?.drainMs ?? 0;
    const graceMs = options.graceMs ?? config.shutdown?.graceMs ?? 10_000;
    health.drain();
    logger.info({ drainMs, graceMs }, "draining: readiness is 503");
    if (started && drainMs > 0) await sleep(drainMs);
    // No new connections; idle keep-alive ones close now, busy ones after their answer (Connection: close).
    const closed = started
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    // A keep-alive connection that turns idle later (its answer begun before the drain, so without Connection: close)
    // would otherwise hold server.close() until the grace ends.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    // Every subscription completes (SSE: `event: complete`; graphql-ws: `complete`), pollers stop; then the
    // WebSockets close with 1001, which server.close() would otherwise wait for forever.
    await tenants.stopPolling();
    await ws.close(Math.min(graceMs, 2_000));
    await closed;
    clearTimeout(force);
    clearInterval(sweep);
    started = false;
    // An upload cut off above leaves no file behind.
    await uploads.close();
    // CSR checks still running on worker threads (each also stops when its request ends).
    await closeCsrWorkers();
    await tenants.close();
    await redis?.close();
    await observability.close();
    logger.info("stopped");
  }

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
      // Up to the connect timeout for Redis: a gateway that starts while Redis is down serves reads (degraded).
      if (redis && !(await redis.waitUntilReady())) {
        logger.warn("started without the shared store: idempotent issuing is refused until it answers");
      }
      metricsUrl = await observability.start();
      if (trustedDocuments || apq) {
        logger.info(
          {
            trustedDocuments: trustedDocuments?.documents.size ?? 0,
            arbitraryOperations: !trustedDocuments || trustedDocuments.allowArbitrary,
            apq: apq ? (redis ? "memory+redis" : "memory") : "off",
          },
          "persisted operations",
        );
      }
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(":") ? `[${config.host}]` : config.host;
      return new URL(`http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}${GRAPHQL_PATH}`);
    },
    stop(options = {}) {
      stopping ??= stop(options);
      return stopping;
    },
    get metricsUrl() {
      return metricsUrl;
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
  // A GraphQLError wrapping another (an upload's 413 or 400 thrown into a resolver's read) is expected, not unexpected.
  if (!(
    error instanceof GraphQLError &&
    (!error.originalError || error.originalError instanceof GraphQLError)
  )) {
    logger.error({ err: original }, "unexpected error");
  }
  return yogaMaskError(error, message, isDev);
}
