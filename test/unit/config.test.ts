import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const dir = mkdtempSync(join(tmpdir(), "gw-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("defaults to port 4000 on loopback with the built-in simulator", () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.host).toBe("127.0.0.1");
    expect(config.upstream).toBeNull();
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

  it("takes an API key for a real tenant", () => {
    const config = loadConfig({ DIGICERT_BASE_URL: "https://one.digicert.com", DIGICERT_API_KEY: "abc" });
    expect(config.upstream?.credentials).toEqual({ kind: "apiKey", apiKey: "abc" });
  });

  it("takes a client certificate for the clientauth host, and requires both files", () => {
    const cert = join(dir, "client.pem");
    const key = join(dir, "client.key");
    writeFileSync(cert, "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
    writeFileSync(key, "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
    const base = "https://clientauth.one.digicert.com";
    const config = loadConfig({
      DIGICERT_BASE_URL: base,
      DIGICERT_CLIENT_CERT_FILE: cert,
      DIGICERT_CLIENT_KEY_FILE: key,
    });
    expect(config.upstream?.credentials.kind).toBe("clientCertificate");
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
