import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { configErrorOf } from "../helpers/config.js";

const dir = mkdtempSync(join(tmpdir(), "gw-config-"));
/** Token settings a real tenant needs. */
const AUTH = {
  AUTH_JWKS_URL: "https://login.example.com/.well-known/jwks.json",
  AUTH_ISSUER: "https://login.example.com/",
  AUTH_AUDIENCE: "digicert-gateway",
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errorOf = configErrorOf;

describe("loadConfig", () => {
  it("defaults to port 4000 on loopback with the built-in simulator", () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.upstream).toBeNull();
  });

  it("serves the simulator's certificates as PEM unless told base64, and names a wrong encoding", () => {
    expect(loadConfig({}).simulator.certificateEncoding).toBe("pem");
    expect(loadConfig({ SIMULATOR_CERTIFICATE_ENCODING: "base64" }).simulator.certificateEncoding).toBe(
      "base64",
    );
    expect(errorOf({ SIMULATOR_CERTIFICATE_ENCODING: "der" }).variable).toBe(
      "SIMULATOR_CERTIFICATE_ENCODING",
    );
  });

  it("names the variable that is wrong", () => {
    expect(errorOf({ PORT: "http" }).variable).toBe("PORT");
    expect(errorOf({ PORT: "70000" }).variable).toBe("PORT");
    expect(errorOf({ DIGICERT_BASE_URL: "not a url" }).variable).toBe("DIGICERT_BASE_URL");
    expect(errorOf({ DIGICERT_BASE_URL: "http://one.digicert.com", DIGICERT_API_KEY: "k" }).variable).toBe(
      "DIGICERT_BASE_URL",
    );
    expect(errorOf({ DIGICERT_BASE_URL: "https://one.digicert.com" }).variable).toBe("DIGICERT_API_KEY");
    expect(errorOf({ UPSTREAM_HEADERS_TIMEOUT_MS: "-1" }).variable).toBe("UPSTREAM_HEADERS_TIMEOUT_MS");
    expect(errorOf({ LOG_LEVEL: "loud" }).variable).toBe("LOG_LEVEL");
  });

  it("never echoes the API key in an error", () => {
    const error = errorOf({
      DIGICERT_BASE_URL: "https://one.digicert.com",
      DIGICERT_API_KEY: "top secret",
    });
    expect(error.variable).toBe("DIGICERT_API_KEY");
    expect(error.message).not.toContain("top secret");
  });

  it("takes an API key for a real tenant, served as tenant 'default' unless DIGICERT_TENANT names it", () => {
    const config = loadConfig({
      ...AUTH,
      DIGICERT_BASE_URL: "https://one.digicert.com",
      DIGICERT_API_KEY: "abc",
    });
    expect(config.upstream?.tenants.get("default")).toEqual({ kind: "apiKey", apiKey: "abc" });
    const named = loadConfig({
      ...AUTH,
      DIGICERT_BASE_URL: "https://one.digicert.com",
      DIGICERT_API_KEY: "abc",
      DIGICERT_TENANT: "acme",
    });
    expect([...(named.upstream?.tenants.keys() ?? [])]).toEqual(["acme"]);
  });

  it("refuses a real upstream without real token keys", () => {
    expect(errorOf({ DIGICERT_BASE_URL: "https://one.digicert.com", DIGICERT_API_KEY: "abc" }).variable).toBe(
      "AUTH_JWKS_URL",
    );
  });

  it("requires issuer and audience with a key source, and pins asymmetric algorithms", () => {
    const url = { AUTH_JWKS_URL: AUTH.AUTH_JWKS_URL };
    expect(errorOf(url).variable).toBe("AUTH_ISSUER");
    expect(errorOf({ ...url, AUTH_ISSUER: "x" }).variable).toBe("AUTH_AUDIENCE");
    expect(errorOf({ ...AUTH, AUTH_ALGORITHMS: "HS256" }).variable).toBe("AUTH_ALGORITHMS");
    expect(errorOf({ ...AUTH, AUTH_ALGORITHMS: "none" }).variable).toBe("AUTH_ALGORITHMS");
    expect(errorOf({ ...AUTH, AUTH_JWKS_URL: "http://login.example.com/jwks" }).variable).toBe(
      "AUTH_JWKS_URL",
    );
    const config = loadConfig({ ...AUTH, AUTH_ALGORITHMS: "ES256, EdDSA" });
    expect(config.auth).toMatchObject({
      algorithms: ["ES256", "EdDSA"],
      clockToleranceSeconds: 5,
      tenantClaim: "tenant",
    });
  });

  it("reads tenants from a file, without quoting it when it is not JSON", () => {
    const good = join(dir, "tenants.json");
    writeFileSync(good, JSON.stringify({ acme: { apiKey: "k1" }, globex: { apiKey: "k2" } }));
    const config = loadConfig({
      ...AUTH,
      DIGICERT_BASE_URL: "https://one.digicert.com",
      DIGICERT_TENANTS_FILE: good,
    });
    expect(config.upstream?.tenants.get("globex")).toEqual({ kind: "apiKey", apiKey: "k2" });
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"acme": {"apiKey": "secret-in-broken-json"');
    const error = errorOf({
      ...AUTH,
      DIGICERT_BASE_URL: "https://one.digicert.com",
      DIGICERT_TENANTS_FILE: bad,
    });
    expect(error.variable).toBe("DIGICERT_TENANTS_FILE");
    expect(error.message).not.toContain("secret-in-broken-json");
  });

  it("bounds uploads separately from JSON bodies", () => {
    expect(loadConfig({}).defences.maxUploadBytes).toBe(200 * 1024 * 1024);
    expect(loadConfig({ MAX_UPLOAD_BYTES: "1048576" }).defences.maxUploadBytes).toBe(1048576);
    expect(errorOf({ MAX_UPLOAD_BYTES: "lots" }).variable).toBe("MAX_UPLOAD_BYTES");
  });

  it("accepts CORS origins only as exact origins", () => {
    expect(
      loadConfig({ CORS_ORIGINS: "https://portal.example.com, http://localhost:5173" }).defences.corsOrigins,
    ).toEqual(["https://portal.example.com", "http://localhost:5173"]);
    expect(errorOf({ CORS_ORIGINS: "https://portal.example.com/app" }).variable).toBe("CORS_ORIGINS");
    expect(errorOf({ CORS_ORIGINS: "*" }).variable).toBe("CORS_ORIGINS");
  });

  it("takes a client certificate for the clientauth host, and requires both files", () => {
    const cert = join(dir, "client.pem");
    const key = join(dir, "client.key");
    writeFileSync(cert, "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
    writeFileSync(key, "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
    const base = "https://clientauth.one.digicert.com";
    const config = loadConfig({
      ...AUTH,
      DIGICERT_BASE_URL: base,
      DIGICERT_CLIENT_CERT_FILE: cert,
      DIGICERT_CLIENT_KEY_FILE: key,
    });
    expect(config.upstream?.tenants.get("default")?.kind).toBe("clientCertificate");
    expect(errorOf({ DIGICERT_BASE_URL: base, DIGICERT_CLIENT_CERT_FILE: cert }).variable).toBe(
      "DIGICERT_CLIENT_KEY_FILE",
    );
    expect(
      errorOf({
        DIGICERT_BASE_URL: "https://one.digicert.com",
        DIGICERT_CLIENT_CERT_FILE: cert,
        DIGICERT_CLIENT_KEY_FILE: key,
      }).variable,
    ).toBe("DIGICERT_BASE_URL");
    expect(
      errorOf({
        DIGICERT_BASE_URL: base,
        DIGICERT_CLIENT_CERT_FILE: join(dir, "missing"),
        DIGICERT_CLIENT_KEY_FILE: key,
      }).variable,
    ).toBe("DIGICERT_CLIENT_CERT_FILE");
  });
});

describe("loadConfig: operations settings", () => {
  it("serves metrics on port 9464 by default, on the gateway's port when told same, and not at all when off", () => {
    expect(loadConfig({}).observability.metrics).toEqual({
      enabled: true,
      port: 9464,
      host: "127.0.0.1",
      tenantLabel: false,
    });
    expect(loadConfig({ METRICS_PORT: "same" }).observability.metrics.port).toBeNull();
    expect(loadConfig({ METRICS: "false" }).observability.metrics.enabled).toBe(false);
    expect(loadConfig({ HOST: "0.0.0.0" }).observability.metrics.host).toBe("0.0.0.0");
    expect(errorOf({ METRICS_PORT: "http" }).variable).toBe("METRICS_PORT");
  });

  it("traces only when an OTLP endpoint is set, and follows OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none", () => {
    expect(loadConfig({}).observability.tracing).toBeNull();
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/", OTEL_SERVICE_NAME: "gw-eu" })
        .observability.tracing,
    ).toEqual({
      serviceName: "gw-eu",
      endpoint: "http://collector:4318/v1/traces",
      headers: {},
      sampleRatio: 1,
      parentBased: true,
    });
    const signal = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otel.example.com/traces" };
    expect(loadConfig(signal).observability.tracing?.endpoint).toBe("https://otel.example.com/traces");
    expect(loadConfig({ ...signal, OTEL_SDK_DISABLED: "true" }).observability.tracing).toBeNull();
    expect(loadConfig({ ...signal, OTEL_TRACES_EXPORTER: "none" }).observability.tracing).toBeNull();
    expect(errorOf({ ...signal, OTEL_TRACES_EXPORTER: "zipkin" }).variable).toBe("OTEL_TRACES_EXPORTER");
    expect(errorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector" }).variable).toBe(
      "OTEL_EXPORTER_OTLP_ENDPOINT",
    );
  });

  it("reads OTLP headers without repeating a value in its error, and the ratio sampler's argument", () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    const tracing = loadConfig({
      ...base,
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20s3cret,x-team=pki",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    }).observability.tracing;
    expect(tracing?.headers).toEqual({ authorization: "Bearer s3cret", "x-team": "pki" });
    expect(tracing?.sampleRatio).toBe(0.25);
    const error = errorOf({ ...base, OTEL_EXPORTER_OTLP_HEADERS: "s3cret-token" });
    expect(error.variable).toBe("OTEL_EXPORTER_OTLP_HEADERS");
    expect(error.message).not.toContain("s3cret");
    expect(
      errorOf({ ...base, OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2" }).variable,
    ).toBe("OTEL_TRACES_SAMPLER_ARG");
  });

  it("drains for 5 s and exits by 15 s by default, and needs room between the two", () => {
    expect(loadConfig({}).shutdown).toEqual({ drainMs: 5_000, timeoutMs: 15_000 });
    expect(loadConfig({ SHUTDOWN_DRAIN_MS: "0", SHUTDOWN_TIMEOUT_MS: "2000" }).shutdown).toEqual({
      drainMs: 0,
      timeoutMs: 2_000,
    });
    expect(errorOf({ SHUTDOWN_DRAIN_MS: "10000", SHUTDOWN_TIMEOUT_MS: "10000" }).variable).toBe(
      "SHUTDOWN_TIMEOUT_MS",
    );
  });
});

describe("loadConfig: shared store", () => {
  it("keeps state in memory without REDIS_URL, and reads Redis and its tuning when set", () => {
    expect(loadConfig({}).sharedStore).toBeNull();
    expect(
      loadConfig({ REDIS_URL: "redis://cache.internal:6379/2", JOB_LEASE_TTL_MS: "3000" }).sharedStore,
    ).toEqual({
      url: "redis://cache.internal:6379/2",
      keyPrefix: "dcgw:",
      connectTimeoutMs: 2_000,
      commandTimeoutMs: 1_000,
      idempotencyTtlMs: 24 * 3_600_000,
      leaseTtlMs: 3_000,
    });
    expect(
      loadConfig({ REDIS_URL: "rediss://h:6380", IDEMPOTENCY_TTL_HOURS: "48" }).sharedStore?.idempotencyTtlMs,
    ).toBe(48 * 3_600_000);
  });

  it("names a bad REDIS_URL without repeating its password, and a bad key prefix", () => {
    const wrongScheme = errorOf({ REDIS_URL: "http://user:s3cret-pass@cache:6379" });
    expect(wrongScheme.variable).toBe("REDIS_URL");
    expect(wrongScheme.message).not.toContain("s3cret-pass");
    expect(errorOf({ REDIS_URL: "not a url s3cret" }).message).not.toContain("s3cret");
    expect(errorOf({ REDIS_URL: "redis://h", REDIS_KEY_PREFIX: "a b" }).variable).toBe("REDIS_KEY_PREFIX");
    expect(errorOf({ REDIS_URL: "redis://h", JOB_LEASE_TTL_MS: "10" }).variable).toBe("JOB_LEASE_TTL_MS");
  });
});
