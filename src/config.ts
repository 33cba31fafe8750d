import { readFileSync } from "node:fs";
import type { JSONWebKeySet, JWSAlgorithm } from "jose";
import type { TokenVerifierOptions } from "./auth/verify.js";
import type { MetricsOptions, TracingOptions } from "./observability/index.js";
import type { UpstreamCredentials, UpstreamTransportOptions } from "./datasources/http.js";
import { parseTrustedManifest, TrustedManifestError } from "./plugins/trusted-documents.js";

/** A bad or missing setting; the message names the variable and never echoes a secret's value. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "CONFIG_INVALID";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

/** Where DigiCert ONE is and which credentials each tenant uses there. */
export interface UpstreamConfig {
  transport: UpstreamTransportOptions;
  /** Tenant name (the token's tenant claim) -> that tenant's DigiCert credentials. */
  tenants: ReadonlyMap<string, UpstreamCredentials>;
}

export interface Defences {
  /** Origins allowed to call from a browser (exact scheme://host[:port]); none by default. */
  corsOrigins: string[];
  introspection: boolean;
  /** Largest JSON or GET request accepted, in bytes. */
  maxBodyBytes: number;
  /** Largest multipart (file upload) request accepted, in bytes; yoga holds it in memory while it runs. */
  maxUploadBytes: number;
  /** Operations per caller per minute. */
  rateLimitPerMinute: number;
  /** Operations running at once on one WebSocket. */
  maxOperationsPerSocket: number;
  /** Trusted documents and automatic persisted queries; absent: both off. */
  persistedOperations?: PersistedOperationsConfig;
}

/** Persisted operations, on every transport (HTTP, SSE, graphql-ws). */
export interface PersistedOperationsConfig {
  /**
   * TRUSTED_DOCUMENTS_FILE, read and checked at start: SHA-256 hex (lowercase, no prefix) -> document. null: off, any
   * document is accepted.
   */
  trustedDocuments: { documents: ReadonlyMap<string, string>; allowArbitrary: boolean } | null;
  /**
   * APQ=true: automatic persisted queries, in memory (LRU by count and bytes) and, with REDIS_URL, in Redis for
   * `ttlSeconds`. null: off. Never on while only trusted documents are accepted.
   */
  apq: { maxEntries: number; maxBytes: number; ttlSeconds: number } | null;
}

export interface Config {
  port: number;
  host: string;
  logLevel: string;
  graphiql: boolean;
  /** The portal page at /portal. */
  portal: boolean;
  /** null: start the built-in simulator and use it as DigiCert ONE. */
  upstream: UpstreamConfig | null;
  /** Upstream settings that apply whichever upstream is used. */
  upstreamTuning: Omit<UpstreamTransportOptions, "baseUrl" | "caPem">;
  /** null: development; `npm start` makes a signing key and prints a token (simulator only). */
  auth: TokenVerifierOptions | null;
  /** Send each caller's own `x-api-key` to DigiCert instead of the tenant's configured credentials. */
  passthroughApiKey: boolean;
  defences: Defences;
  observability: { metrics: MetricsOptions; tracing: TracingOptions | null };
  shutdown: {
    /** After SIGTERM, how long readiness is 503 while the listener still serves. */
    drainMs: number;
    /** From the signal, the latest the process exits, whatever is still running. */
    timeoutMs: number;
  };
  readinessCacheMs: number;
  compressionThresholdBytes: number;
  /** Upstream batch job polls per second per tenant, and how many may go back to back (split between instances). */
  jobPolling: { budgetPerSecond: number; budgetBurst: number };
  /** REDIS_URL: state shared by every instance; null: in this process's memory (one instance only). */
  sharedStore: {
    url: string;
    keyPrefix: string;
    connectTimeoutMs: number;
    commandTimeoutMs: number;
    idempotencyTtlMs: number;
    leaseTtlMs: number;
  } | null;
  simulator: {
    dataDir: string;
    latencyMs: number;
    /** How the built-in simulator sends TLM certificates: PEM, or bare base64 DER as DigiCert's published spec shows. */
    certificateEncoding: "pem" | "base64";
  };
}

type Env = Record<string, string | undefined>;

/** The only reader of the environment. Fails fast on the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const upstreamTuning = {
    connectTimeoutMs: int(env, "UPSTREAM_CONNECT_TIMEOUT_MS", 5_000, 1, 120_000),
    headersTimeoutMs: int(env, "UPSTREAM_HEADERS_TIMEOUT_MS", 30_000, 1, 600_000),
    bodyTimeoutMs: int(env, "UPSTREAM_BODY_TIMEOUT_MS", 30_000, 1, 600_000),
    connections: int(env, "UPSTREAM_CONNECTIONS", 32, 1, 1024),
    maxResponseBytes: int(env, "UPSTREAM_MAX_RESPONSE_BYTES", 32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    retry: {
      maxAttempts: int(env, "UPSTREAM_RETRY_ATTEMPTS", 3, 1, 10),
      budgetMs: int(env, "UPSTREAM_RETRY_BUDGET_MS", 10_000, 0, 120_000),
      baseDelayMs: 200,
      maxDelayMs: 2_000,
    },
  };
  const upstreamConfig = upstream(env, upstreamTuning);
  const auth = authConfig(env);
  if (upstreamConfig && !auth) {
    throw new ConfigError(
      "AUTH_JWKS_URL",
      "is required with DIGICERT_BASE_URL (or AUTH_PUBLIC_KEY_FILE): a real tenant needs real token keys",
    );
  }
  const host = env.HOST?.trim() || "127.0.0.1";
  const persistedOperations = persistedOperationsConfig(env);
  const trustedOnly = persistedOperations.trustedDocuments?.allowArbitrary === false;
  const shutdown = {
    drainMs: int(env, "SHUTDOWN_DRAIN_MS", 5_000, 0, 600_000),
    timeoutMs: int(env, "SHUTDOWN_TIMEOUT_MS", 15_000, 1_000, 3_600_000),
  };
  if (shutdown.timeoutMs <= shutdown.drainMs + 500) {
    throw new ConfigError(
      "SHUTDOWN_TIMEOUT_MS",
      "must be more than SHUTDOWN_DRAIN_MS + 500 (time to finish requests)",
    );
  }
  return {
    port: int(env, "PORT", 4000, 0, 65_535),
    host,
    logLevel: oneOf(env, "LOG_LEVEL", ["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
    graphiql: graphiqlSetting(env, trustedOnly),
    portal: portalSetting(env, upstreamConfig === null, trustedOnly),
    upstream: upstreamConfig,
    upstreamTuning,
    auth,
    passthroughApiKey: bool(env, "DIGICERT_PASSTHROUGH_API_KEY", false),
    defences: {
      corsOrigins: origins(env, "CORS_ORIGINS"),
      introspection: bool(env, "INTROSPECTION", true),
      maxBodyBytes: int(env, "MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
      maxUploadBytes: int(env, "MAX_UPLOAD_BYTES", 200 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      rateLimitPerMinute: int(env, "RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000),
      maxOperationsPerSocket: int(env, "WS_MAX_OPERATIONS", 20, 1, 1000),
      persistedOperations,
    },
    observability: {
      metrics: {
        enabled: bool(env, "METRICS", true),
        port: env.METRICS_PORT?.trim() === "" || env.METRICS_PORT === undefined ? 9464 : metricsPort(env),
        host: env.METRICS_HOST?.trim() || host,
        tenantLabel: bool(env, "METRICS_TENANT_LABEL", false),
      },
      tracing: tracingConfig(env),
    },
    shutdown,
    readinessCacheMs: int(env, "READINESS_CACHE_MS", 5_000, 0, 300_000),
    compressionThresholdBytes: int(env, "COMPRESSION_THRESHOLD_BYTES", 1024, 0, 64 * 1024 * 1024),
    jobPolling: {
      budgetPerSecond: int(env, "JOB_POLL_BUDGET_PER_SECOND", 2, 1, 100_000),
      budgetBurst: int(env, "JOB_POLL_BURST", 10, 1, 10_000),
    },
    sharedStore: sharedStoreConfig(env),
    simulator: {
      dataDir: env.SIMULATOR_DATA_DIR?.trim() || ".simulator-data",
      latencyMs: int(env, "SIMULATOR_LATENCY_MS", 0, 0, 60_000),
      certificateEncoding: oneOf(env, "SIMULATOR_CERTIFICATE_ENCODING", ["pem", "base64"] as const, "pem"),
    },
  };
}

/**
 * TRUSTED_DOCUMENTS_FILE (+ TRUSTED_DOCUMENTS_ALLOW_ARBITRARY) and APQ (+ APQ_CACHE_SIZE, APQ_CACHE_BYTES,
 * APQ_TTL_SECONDS). APQ with trusted-only is refused: APQ registers whatever document a caller sends.
 */
function persistedOperationsConfig(env: Env): PersistedOperationsConfig {
  const file = env.TRUSTED_DOCUMENTS_FILE?.trim();
  const allowArbitrary = bool(env, "TRUSTED_DOCUMENTS_ALLOW_ARBITRARY", false);
  if (!file && env.TRUSTED_DOCUMENTS_ALLOW_ARBITRARY?.trim()) {
    throw new ConfigError("TRUSTED_DOCUMENTS_ALLOW_ARBITRARY", "applies only with TRUSTED_DOCUMENTS_FILE");
  }
  const trustedDocuments = file ? { documents: trustedDocumentsFile(file), allowArbitrary } : null;
  const apqOn = bool(env, "APQ", false);
  if (apqOn && trustedDocuments && !allowArbitrary) {
    throw new ConfigError(
      "APQ",
      "cannot be on while only trusted documents are accepted (APQ would register any document a caller sends): set TRUSTED_DOCUMENTS_ALLOW_ARBITRARY=true or APQ=false",
    );
  }
  return {
    trustedDocuments,
    apq: apqOn
      ? {
          maxEntries: int(env, "APQ_CACHE_SIZE", 1_000, 1, 1_000_000),
          maxBytes: int(env, "APQ_CACHE_BYTES", 8 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
          ttlSeconds: int(env, "APQ_TTL_SECONDS", 3_600, 1, 30 * 24 * 3_600),
        }
      : null,
  };
}

function trustedDocumentsFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError("TRUSTED_DOCUMENTS_FILE", `cannot read the file ${path}`);
  }
  try {
    return parseTrustedManifest(text);
  } catch (error) {
    if (error instanceof TrustedManifestError) {
      throw new ConfigError("TRUSTED_DOCUMENTS_FILE", `${path} ${error.message}`);
    }
    throw error;
  }
}

/** GRAPHIQL; off by default with trusted-only, where it cannot work (every document it sends is refused). */
function graphiqlSetting(env: Env, trustedOnly: boolean): boolean {
  const on = bool(env, "GRAPHIQL", !trustedOnly);
  if (on && trustedOnly) {
    throw new ConfigError(
      "GRAPHIQL",
      "cannot work while only trusted documents are accepted: set GRAPHIQL=false, or TRUSTED_DOCUMENTS_ALLOW_ARBITRARY=true (staging)",
    );
  }
  return on;
}

/** PORTAL; on by default with the built-in simulator only (a real tenant: off unless enabled); refused with trusted-only. */
function portalSetting(env: Env, simulator: boolean, trustedOnly: boolean): boolean {
  const on = bool(env, "PORTAL", simulator && !trustedOnly);
  if (on && trustedOnly) {
    throw new ConfigError(
      "PORTAL",
      "cannot work while only trusted documents are accepted: set PORTAL=false, or TRUSTED_DOCUMENTS_ALLOW_ARBITRARY=true (staging)",
    );
  }
  return on;
}

/** REDIS_URL (redis:// or rediss://) and its tuning; the URL's password is never echoed in an error. */
function sharedStoreConfig(env: Env): Config["sharedStore"] {
  const raw = env.REDIS_URL?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("REDIS_URL", "must be a redis:// or rediss:// URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigError("REDIS_URL", "must be a redis:// or rediss:// URL");
  }
  const keyPrefix = env.REDIS_KEY_PREFIX?.trim() ?? "dcgw:";
  if (!/^[A-Za-z0-9_.:-]{0,64}$/.test(keyPrefix)) {
    throw new ConfigError("REDIS_KEY_PREFIX", "is at most 64 of A-Z a-z 0-9 _ . : -");
  }
  return {
    url: raw,
    keyPrefix,
    connectTimeoutMs: int(env, "REDIS_CONNECT_TIMEOUT_MS", 2_000, 100, 60_000),
    commandTimeoutMs: int(env, "REDIS_COMMAND_TIMEOUT_MS", 1_000, 50, 60_000),
    idempotencyTtlMs: int(env, "IDEMPOTENCY_TTL_HOURS", 24, 1, 24 * 30) * 3_600_000,
    leaseTtlMs: int(env, "JOB_LEASE_TTL_MS", 5_000, 500, 300_000),
  };
}

/** METRICS_PORT: a port for a separate /metrics listener, or "same" for /metrics on PORT. */
function metricsPort(env: Env): number | null {
  if (env.METRICS_PORT?.trim().toLowerCase() === "same") return null;
  return int(env, "METRICS_PORT", 9464, 0, 65_535);
}

/**
 * Tracing follows the standard OpenTelemetry variables: on when an OTLP endpoint is set
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces), off otherwise, or when
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */
function tracingConfig(env: Env): TracingOptions | null {
  if (bool(env, "OTEL_SDK_DISABLED", false)) return null;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() || "otlp";
  if (exporter === "none") return null;
  if (exporter !== "otlp") throw new ConfigError("OTEL_TRACES_EXPORTER", "must be otlp or none");
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim() || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim();
  if (protocol && protocol !== "http/json") {
    throw new ConfigError(
      env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
        ? "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
        : "OTEL_EXPORTER_OTLP_PROTOCOL",
      "only http/json is supported",
    );
  }
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!signal && !base) return null;
  const variable = signal ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  let endpoint: URL;
  try {
    endpoint = signal ? new URL(signal) : new URL(`${base!.replace(/\/$/, "")}/v1/traces`);
  } catch {
    throw new ConfigError(variable, "is not a URL (expected e.g. http://collector:4318)");
  }
  if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") {
    throw new ConfigError(variable, "must be an http or https URL");
  }
  const headers: Record<string, string> = {};
  const rawHeaders = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS ?? "";
  for (const pair of rawHeaders.split(",").filter((p) => p.trim())) {
    const at = pair.indexOf("=");
    // Header values are often credentials: the message never repeats one.
    if (at < 1)
      throw new ConfigError("OTEL_EXPORTER_OTLP_HEADERS", "must be key=value pairs separated by commas");
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  const sampler = env.OTEL_TRACES_SAMPLER?.trim() || "parentbased_always_on";
  const samplers = [
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
  ];
  if (!samplers.includes(sampler))
    throw new ConfigError("OTEL_TRACES_SAMPLER", `must be one of ${samplers.join(", ")}`);
  let sampleRatio = sampler.endsWith("always_off") ? 0 : 1;
  if (sampler.endsWith("traceidratio")) {
    const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim() || "1";
    sampleRatio = Number(arg);
    if (!/^\d*\.?\d+$/.test(arg) || sampleRatio > 1) {
      throw new ConfigError("OTEL_TRACES_SAMPLER_ARG", "must be a number from 0 to 1");
    }
  }
  return {
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "digicert-graphql-gateway",
    endpoint: endpoint.href,
    headers,
    sampleRatio,
    parentBased: sampler.startsWith("parentbased_"),
  };
}

function upstream(env: Env, tuning: Config["upstreamTuning"]): UpstreamConfig | null {
  const raw = env.DIGICERT_BASE_URL?.trim();
  if (!raw) return null;
  let baseUrl: URL;
  try {
    baseUrl = new URL(raw);
  } catch {
    throw new ConfigError("DIGICERT_BASE_URL", "is not a URL (expected e.g. https://one.digicert.com)");
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(baseUrl.hostname);
  if (baseUrl.protocol !== "https:" && !(baseUrl.protocol === "http:" && loopback)) {
    throw new ConfigError("DIGICERT_BASE_URL", "must use https (plain http is allowed for loopback only)");
  }
  if (baseUrl.search || baseUrl.hash || baseUrl.username || baseUrl.password) {
    throw new ConfigError("DIGICERT_BASE_URL", "must not contain credentials, a query or a fragment");
  }
  const tenants = new Map<string, UpstreamCredentials>();
  const single = singleTenantCredentials(env, baseUrl, loopback);
  if (single) tenants.set(name(env, "DIGICERT_TENANT", "default"), single);
  const file = env.DIGICERT_TENANTS_FILE?.trim();
  if (file) {
    for (const [tenant, credentials] of tenantsFile(file, baseUrl, loopback)) {
      if (tenants.has(tenant))
        throw new ConfigError("DIGICERT_TENANTS_FILE", `tenant ${tenant} is defined twice`);
      tenants.set(tenant, credentials);
    }
  }
  if (tenants.size === 0 && !bool(env, "DIGICERT_PASSTHROUGH_API_KEY", false)) {
    throw new ConfigError(
      "DIGICERT_API_KEY",
      "is required with DIGICERT_BASE_URL (or set DIGICERT_CLIENT_CERT_FILE and DIGICERT_CLIENT_KEY_FILE, DIGICERT_TENANTS_FILE, or DIGICERT_PASSTHROUGH_API_KEY=true)",
    );
  }
  const caFile = env.DIGICERT_CA_FILE?.trim();
  return {
    transport: {
      baseUrl,
      ...(caFile ? { caPem: pemFile("DIGICERT_CA_FILE", caFile, "CERTIFICATE") } : {}),
      ...tuning,
    },
    tenants,
  };
}

/** DIGICERT_API_KEY, or a client certificate pair: the credentials of the one tenant DIGICERT_TENANT names. */
function singleTenantCredentials(env: Env, baseUrl: URL, loopback: boolean): UpstreamCredentials | null {
  const apiKey = env.DIGICERT_API_KEY?.trim();
  const certFile = env.DIGICERT_CLIENT_CERT_FILE?.trim();
  const keyFile = env.DIGICERT_CLIENT_KEY_FILE?.trim();
  if (apiKey && (certFile || keyFile)) {
    throw new ConfigError("DIGICERT_API_KEY", "set either an API key or a client certificate, not both");
  }
  if (apiKey) return apiKeyCredentials("DIGICERT_API_KEY", apiKey);
  if (!certFile && !keyFile) return null;
  if (!certFile)
    throw new ConfigError("DIGICERT_CLIENT_CERT_FILE", "is required with DIGICERT_CLIENT_KEY_FILE");
  if (!keyFile)
    throw new ConfigError("DIGICERT_CLIENT_KEY_FILE", "is required with DIGICERT_CLIENT_CERT_FILE");
  checkClientAuthHost(baseUrl, loopback, "DIGICERT_BASE_URL");
  const passphrase = env.DIGICERT_CLIENT_KEY_PASSPHRASE;
  return {
    kind: "clientCertificate",
    certificatePem: pemFile("DIGICERT_CLIENT_CERT_FILE", certFile, "CERTIFICATE"),
    privateKeyPem: pemFile("DIGICERT_CLIENT_KEY_FILE", keyFile, "PRIVATE KEY"),
    ...(passphrase ? { passphrase } : {}),
  };
}

/** `{"tenant": {"apiKey": "..."} | {"clientCertFile": "...", "clientKeyFile": "...", "passphrase"?: "..."}}` */
function tenantsFile(path: string, baseUrl: URL, loopback: boolean): [string, UpstreamCredentials][] {
  const variable = "DIGICERT_TENANTS_FILE";
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    // JSON.parse's message quotes the input, which holds API keys: never pass it on.
    throw new ConfigError(variable, `cannot read ${path} as JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(variable, "must hold an object of tenant names");
  }
  return Object.entries(parsed).map(([tenant, value]): [string, UpstreamCredentials] => {
    if (!TENANT.test(tenant))
      throw new ConfigError(variable, `tenant name ${JSON.stringify(tenant)} is not valid`);
    const entry = (value ?? {}) as Record<string, unknown>;
    if (typeof entry.apiKey === "string") return [tenant, apiKeyCredentials(variable, entry.apiKey)];
    if (typeof entry.clientCertFile === "string" && typeof entry.clientKeyFile === "string") {
      checkClientAuthHost(baseUrl, loopback, variable);
      return [
        tenant,
        {
          kind: "clientCertificate",
          certificatePem: pemFile(variable, entry.clientCertFile, "CERTIFICATE"),
          privateKeyPem: pemFile(variable, entry.clientKeyFile, "PRIVATE KEY"),
          ...(typeof entry.passphrase === "string" ? { passphrase: entry.passphrase } : {}),
        },
      ];
    }
    throw new ConfigError(variable, `tenant ${tenant} needs apiKey, or clientCertFile and clientKeyFile`);
  });
}

const TENANT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function apiKeyCredentials(variable: string, apiKey: string): UpstreamCredentials {
  if (apiKey.length === 0 || /[\s\u0000-\u001f]/.test(apiKey)) {
    throw new ConfigError(variable, "an API key must be non-empty, without whitespace or control characters");
  }
  return { kind: "apiKey", apiKey };
}

function checkClientAuthHost(baseUrl: URL, loopback: boolean, variable: string): void {
  if (!baseUrl.hostname.startsWith("clientauth.") && !loopback) {
    throw new ConfigError(
      variable === "DIGICERT_BASE_URL" ? variable : "DIGICERT_BASE_URL",
      "client certificates are accepted on the clientauth. host, e.g. https://clientauth.one.digicert.com",
    );
  }
}

const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** Token verification settings; null when no key source is set (development on the simulator). */
function authConfig(env: Env): TokenVerifierOptions | null {
  const jwksUrl = env.AUTH_JWKS_URL?.trim();
  const keyFile = env.AUTH_PUBLIC_KEY_FILE?.trim();
  if (!jwksUrl && !keyFile) return null;
  if (jwksUrl && keyFile)
    throw new ConfigError("AUTH_JWKS_URL", "set either AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE");
  let keys: TokenVerifierOptions["keys"];
  if (jwksUrl) {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      throw new ConfigError("AUTH_JWKS_URL", "is not a URL");
    }
    const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      throw new ConfigError("AUTH_JWKS_URL", "must use https (plain http is allowed for loopback only)");
    }
    keys = { kind: "jwks-url", url };
  } else {
    keys = publicKeyFile(keyFile!);
  }
  const issuer = env.AUTH_ISSUER?.trim();
  if (!issuer) throw new ConfigError("AUTH_ISSUER", "is required with AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE");
  const audience = env.AUTH_AUDIENCE?.trim();
  if (!audience)
    throw new ConfigError("AUTH_AUDIENCE", "is required with AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE");
  const algorithms = (env.AUTH_ALGORITHMS?.trim() || "RS256,ES256").split(",").map((a) => a.trim());
  for (const alg of algorithms) {
    if (!ALGORITHMS.includes(alg)) {
      throw new ConfigError(
        "AUTH_ALGORITHMS",
        `must be asymmetric JWS algorithms from ${ALGORITHMS.join(", ")}`,
      );
    }
  }
  return {
    keys,
    issuer,
    audience,
    algorithms: algorithms as JWSAlgorithm[],
    clockToleranceSeconds: int(env, "AUTH_CLOCK_TOLERANCE_SECONDS", 5, 0, 60),
    tenantClaim: name(env, "AUTH_TENANT_CLAIM", "tenant"),
    cache: {
      maxEntries: int(env, "AUTH_TOKEN_CACHE_SIZE", 10_000, 0, 1_000_000),
      maxAgeSeconds: int(env, "AUTH_TOKEN_CACHE_SECONDS", 60, 1, 3_600),
    },
  };
}

function publicKeyFile(path: string): TokenVerifierOptions["keys"] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError("AUTH_PUBLIC_KEY_FILE", `cannot read the file ${path}`);
  }
  if (text.includes("-----BEGIN PUBLIC KEY-----")) return { kind: "pem", pem: text };
  try {
    const jwks = JSON.parse(text) as JSONWebKeySet;
    if (Array.isArray(jwks.keys) && jwks.keys.length > 0) return { kind: "jwks", jwks };
  } catch {
    // fall through
  }
  throw new ConfigError("AUTH_PUBLIC_KEY_FILE", `${path} holds neither a PEM public key nor a JWKS`);
}

function name(env: Env, variable: string, fallback: string): string {
  const raw = env[variable]?.trim();
  if (!raw) return fallback;
  if (!TENANT.test(raw)) throw new ConfigError(variable, "must be letters, digits, dot, dash or underscore");
  return raw;
}

function origins(env: Env, variable: string): string[] {
  const raw = env[variable]?.trim();
  if (!raw) return [];
  return raw.split(",").map((origin) => {
    const trimmed = origin.trim();
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new ConfigError(
        variable,
        "must be a comma-separated list of origins such as https://portal.example.com",
      );
    }
    if (url.origin !== trimmed || trimmed === "null") {
      throw new ConfigError(variable, `${trimmed} is not an origin (scheme://host[:port], no path)`);
    }
    return trimmed;
  });
}

function pemFile(variable: string, path: string, label: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(variable, `cannot read the file ${path}`);
  }
  if (!text.includes(`-----BEGIN `) || !text.includes(label)) {
    throw new ConfigError(variable, `${path} holds no PEM ${label}`);
  }
  return text;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  if (["0", "false", "no", "off"].includes(raw)) return false;
  throw new ConfigError(name, "must be true or false");
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw new ConfigError(name, `must be one of ${values.join(", ")}`);
  return raw as T;
}
