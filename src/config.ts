import { readFileSync } from "node:fs";
import type { UpstreamCredentials, UpstreamOptions } from "./datasources/http.js";

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

/** Upstream settings as the HTTP layer takes them. */
export type UpstreamConfig = UpstreamOptions;

export interface Config {
  port: number;
  host: string;
  logLevel: string;
  graphiql: boolean;
  /** null: start the built-in simulator and use it as DigiCert ONE. */
  upstream: UpstreamConfig | null;
  /** Upstream settings that apply whichever upstream is used. */
  upstreamTuning: Omit<UpstreamConfig, "baseUrl" | "credentials" | "caPem">;
  simulator: { dataDir: string; latencyMs: number };
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
  };
  return {
    port: int(env, "PORT", 4000, 0, 65_535),
    host: env.HOST?.trim() || "127.0.0.1",
    logLevel: oneOf(env, "LOG_LEVEL", ["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
    graphiql: bool(env, "GRAPHIQL", true),
    upstream: upstream(env, upstreamTuning),
    upstreamTuning,
    simulator: {
      dataDir: env.SIMULATOR_DATA_DIR?.trim() || ".simulator-data",
      latencyMs: int(env, "SIMULATOR_LATENCY_MS", 0, 0, 60_000),
    },
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
  const apiKey = env.DIGICERT_API_KEY?.trim();
  const certFile = env.DIGICERT_CLIENT_CERT_FILE?.trim();
  const keyFile = env.DIGICERT_CLIENT_KEY_FILE?.trim();
  let credentials: UpstreamCredentials;
  if (apiKey && (certFile || keyFile)) {
    throw new ConfigError("DIGICERT_API_KEY", "set either an API key or a client certificate, not both");
  } else if (apiKey) {
    if (/[\s\u0000-\u001f]/.test(apiKey))
      throw new ConfigError("DIGICERT_API_KEY", "contains whitespace or control characters");
    credentials = { kind: "apiKey", apiKey };
  } else if (certFile || keyFile) {
    if (!certFile)
      throw new ConfigError("DIGICERT_CLIENT_CERT_FILE", "is required with DIGICERT_CLIENT_KEY_FILE");
    if (!keyFile)
      throw new ConfigError("DIGICERT_CLIENT_KEY_FILE", "is required with DIGICERT_CLIENT_CERT_FILE");
    if (!baseUrl.hostname.startsWith("clientauth.") && !loopback) {
      throw new ConfigError(
        "DIGICERT_BASE_URL",
        "client certificates are accepted on the clientauth. host, e.g. https://clientauth.one.digicert.com",
      );
    }
    const passphrase = env.DIGICERT_CLIENT_KEY_PASSPHRASE;
    credentials = {
      kind: "clientCertificate",
      certificatePem: pemFile("DIGICERT_CLIENT_CERT_FILE", certFile, "CERTIFICATE"),
      privateKeyPem: pemFile("DIGICERT_CLIENT_KEY_FILE", keyFile, "PRIVATE KEY"),
      ...(passphrase ? { passphrase } : {}),
    };
  } else {
    throw new ConfigError(
      "DIGICERT_API_KEY",
      "is required with DIGICERT_BASE_URL (or set DIGICERT_CLIENT_CERT_FILE and DIGICERT_CLIENT_KEY_FILE)",
    );
  }
  const caFile = env.DIGICERT_CA_FILE?.trim();
  return {
    baseUrl,
    credentials,
    ...(caFile ? { caPem: pemFile("DIGICERT_CA_FILE", caFile, "CERTIFICATE") } : {}),
    ...tuning,
  };
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
