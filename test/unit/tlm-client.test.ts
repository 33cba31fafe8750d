import { pino } from "pino";
import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  UpstreamBodyError,
  UpstreamHttpError,
  UpstreamTransportError,
} from "../../src/datasources/errors.js";
import { parseRetryAfter, UpstreamClient, upstreamPath } from "../../src/datasources/http.js";
import { TlmClient } from "../../src/datasources/tlm/client.js";
import type { SerialNumber, Uuid } from "../../src/model/ids.js";

const ORIGIN = "https://one.example.test";
const API_KEY = "secret-api-key-123";
const PROFILE = "d6743d9a-fb67-4a64-a33e-8a3229d28cc4" as Uuid;
const SERIAL = "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5" as SerialNumber;

let agent: MockAgent;
let logs: string[];

function client(maxResponseBytes = 1024 * 1024, maxAttempts = 1) {
  logs = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => logs.push(line) });
  const http = new UpstreamClient(
    {
      baseUrl: new URL(ORIGIN),
      credentials: { kind: "apiKey", apiKey: API_KEY },
      connectTimeoutMs: 1000,
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
      connections: 4,
      maxResponseBytes,
      retry: { maxAttempts, budgetMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 },
    },
    logger,
    agent.get(ORIGIN),
  );
  return new TlmClient(http);
}

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
});
afterEach(async () => {
  await agent.close();
});

describe("TlmClient", () => {
  it("sends the API key header and reads the profile list with offset and limit", async () => {
    agent
      .get(ORIGIN)
      .intercept({
        path: "/mpki/api/v2/profile?offset=20&limit=5",
        method: "GET",
        headers: { "x-api-key": API_KEY },
      })
      .reply(200, [{ id: PROFILE, name: "P", status: "Active" }]);
    const profiles = await client().listProfiles(20, 5);
    expect(profiles).toEqual([{ id: PROFILE, name: "P", status: "Active" }]);
  });

  it("never writes the API key to its logs", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(500, "{}");
    await client()
      .getCertificate(SERIAL)
      .catch(() => undefined);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join("\n")).not.toContain(API_KEY);
  });

  it("returns null for a profile DigiCert answers 403 for (unknown or foreign id)", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v2/profile/${PROFILE}` })
      .reply(403, { errors: [{ code: "no_access", message: "User has no access" }] });
    expect(await client().getProfile(PROFILE)).toBeNull();
  });

  it("returns null for a certificate DigiCert answers 404 for", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(404, { errors: [{ code: "resource_not_found", message: "not found" }] });
    expect(await client().getCertificate(SERIAL)).toBeNull();
  });

  it("turns TLM's error envelope into an UpstreamHttpError with code and field but no message text", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/mpki/api/v1/certificate", method: "POST" })
      .reply(400, {
        errors: [{ code: "invalid_input_field", message: "Wrong input: private stuff", field: "csr" }],
      });
    const error = await client()
      .issueCertificate({
        profile: { id: PROFILE },
        seat: { seat_id: "a@example.com" },
        csr: "x",
        delivery_format: "x509",
        include_ca_chain: false,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamHttpError);
    const http = error as UpstreamHttpError;
    expect(http.status).toBe(400);
    expect(http.details[0]).toMatchObject({ code: "invalid_input_field", field: "csr" });
    expect(http.message).not.toContain("private stuff");
  });

  it("reads Retry-After on a 429 as whole seconds", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(
        429,
        { errors: [{ code: "request_limit_exceeded", message: "slow down" }] },
        {
          headers: { "retry-after": "7" },
        },
      );
    const error = (await client()
      .getCertificate(SERIAL)
      .catch((e: unknown) => e)) as UpstreamHttpError;
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(7);
  });

  it("rejects a 2xx body that is not JSON without quoting it", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(200, "-----BEGIN PRIVATE KEY----- oops");
    const error = await client()
      .getCertificate(SERIAL)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamBodyError);
    expect((error as Error).message).not.toContain("PRIVATE KEY");
  });

  it("refuses a response body larger than the configured limit", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/mpki/api/v1/certificate-search?offset=0&limit=10" })
      .reply(200, JSON.stringify({ total: 0, offset: 0, limit: 10, items: [], pad: "x".repeat(5000) }));
    const error = await client(1024)
      .searchCertificates({}, 0, 10)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamBodyError);
  });

  it("reports a reset connection as a transport error that may have reached DigiCert", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/mpki/api/v1/certificate", method: "POST" })
      .replyWithError(Object.assign(new Error("socket hang up"), { code: "UND_ERR_SOCKET" }));
    const error = await client()
      .issueCertificate({
        profile: { id: PROFILE },
        seat: { seat_id: "a@example.com" },
        csr: "x",
        delivery_format: "x509",
        include_ca_chain: false,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTransportError);
    expect((error as UpstreamTransportError).mayHaveReachedUpstream).toBe(true);
  });

  it("reports a refused connection as a transport error that never reached DigiCert", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .replyWithError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }));
    const error = (await client()
      .getCertificate(SERIAL)
      .catch((e: unknown) => e)) as UpstreamTransportError;
    expect(error.mayHaveReachedUpstream).toBe(false);
  });

  it("sends the revocation reason as TLM spells it and accepts 204", async () => {
    agent
      .get(ORIGIN)
      .intercept({
        path: `/mpki/api/v1/certificate/${SERIAL}/revoke`,
        method: "PUT",
        body: JSON.stringify({ revocation_reason: "key_compromise" }),
      })
      .reply(204, "");
    await expect(client().revokeCertificate(SERIAL, "key_compromise")).resolves.toBeUndefined();
  });
});

describe("retries", () => {
  it("retries a GET after a 503 and returns the second answer", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` }).reply(503, "{}");
    pool
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(200, { serial_number: SERIAL, status: "issued" });
    expect(await client(1024 * 1024, 3).getCertificate(SERIAL)).toMatchObject({ serial_number: SERIAL });
  });

  it("never sends an issuing POST twice, even after a 503", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(503, "{}");
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(201, { serial_number: "0A" });
    const error = await client(1024 * 1024, 3)
      .issueCertificate({
        profile: { id: PROFILE },
        seat: { seat_id: "a@example.com" },
        csr: "x",
        delivery_format: "x509",
        include_ca_chain: false,
      })
      .catch((e: unknown) => e);
    expect((error as UpstreamHttpError).status).toBe(503);
    expect(agent.pendingInterceptors()).toHaveLength(1); // the second POST was never sent
  });
});

describe("upstreamPath", () => {
  it("percent-encodes values so they cannot add path segments", () => {
    expect(upstreamPath`/mpki/api/v1/certificate/${"a/b?c"}`).toBe("/mpki/api/v1/certificate/a%2Fb%3Fc");
  });

  it("refuses dot segments and empty values", () => {
    expect(() => upstreamPath`/x/${".."}`).toThrow(TypeError);
    expect(() => upstreamPath`/x/${""}`).toThrow(TypeError);
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, and ignores garbage", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
