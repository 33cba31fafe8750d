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
import {
  InvalidCsrError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import type { SerialNumber, Uuid } from "../../src/model/ids.js";

const ORIGIN = "https://one.example.test";
const API_KEY = "secret-api-key-123";
const PROFILE = "d6743d9a-fb67-4a64-a33e-8a3229d28cc4" as Uuid;
const SERIAL = "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5" as SerialNumber;

let agent: MockAgent;
let logs: string[];

/** The HTTP layer the client is built on, for assertions on how DigiCert's answer itself is read. */
function upstream(maxResponseBytes = 1024 * 1024, maxAttempts = 1) {
  logs = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => logs.push(line) });
  return new UpstreamClient(
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
}

function client(maxResponseBytes = 1024 * 1024, maxAttempts = 1) {
  return new TlmClient(upstream(maxResponseBytes, maxAttempts));
}

const CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const ISSUE_BODY = {
  profile: { id: PROFILE },
  seat: { seat_id: "a@example.com" },
  csr: "x",
  delivery_format: "x509",
  include_ca_chain: false,
} as const;

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
    expect(profiles).toEqual([
      {
        id: PROFILE,
        name: "P",
        status: "ACTIVE",
        signatureAlgorithm: null,
        enrollmentMethod: null,
        authenticationMethod: null,
        validity: null,
        validityOverrideAllowed: false,
        renewalPeriodDays: null,
        renewalWindowDays: null,
        automatedRenewal: null,
        duplicateCertificatesAllowed: null,
        deliveryFormat: null,
        keyEscrow: null,
        customExtendedKeyUsages: [],
        allowedKeySizes: [],
        subjectAttributes: [],
        subjectAltNameAttributes: [],
        businessUnit: null,
      },
    ]);
  });

  it("reads a profile list DigiCert wraps in an envelope, and refuses an unreadable one as invalid", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: "/mpki/api/v2/profile?offset=0&limit=5" })
      .reply(200, { items: [{ id: PROFILE, name: "P", status: "Active" }], total: 1 });
    pool.intercept({ path: "/mpki/api/v2/profile?offset=0&limit=5" }).reply(200, { unexpected: true });
    expect((await client().listProfiles(0, 5)).map((p) => p.id)).toEqual([PROFILE]);
    const error = await client()
      .listProfiles(0, 5)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamInvalidResponseError);
    expect((error as UpstreamInvalidResponseError).code).toBe("UPSTREAM_INVALID_RESPONSE");
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
    const envelope = {
      errors: [{ code: "invalid_input_field", message: "Wrong input: private stuff", field: "csr" }],
    };
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(400, envelope);
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(400, envelope);
    // The HTTP layer reads the envelope: status, code and field, never the message text.
    const error = await upstream()
      .request({
        operation: "tlm.issueCertificate",
        method: "POST",
        path: upstreamPath`/mpki/api/v1/certificate`,
        body: ISSUE_BODY,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamHttpError);
    const http = error as UpstreamHttpError;
    expect(http.status).toBe(400);
    expect(http.details[0]).toMatchObject({ code: "invalid_input_field", field: "csr" });
    expect(http.message).not.toContain("private stuff");
    // The client maps it: a refused CSR, in our words.
    const mapped = await client()
      .issueCertificate(ISSUE_BODY)
      .catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(InvalidCsrError);
    expect((mapped as InvalidCsrError).code).toBe("INVALID_CSR");
    expect((mapped as Error).message).not.toContain("private stuff");
  });

  it("reads Retry-After on a 429 as whole seconds", async () => {
    const pool = agent.get(ORIGIN);
    for (let i = 0; i < 2; i++) {
      pool.intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` }).reply(
        429,
        { errors: [{ code: "request_limit_exceeded", message: "slow down" }] },
        {
          headers: { "retry-after": "7" },
        },
      );
    }
    const error = (await upstream()
      .request({
        operation: "tlm.getCertificate",
        method: "GET",
        path: upstreamPath`/mpki/api/v1/certificate/${SERIAL}`,
      })
      .catch((e: unknown) => e)) as UpstreamHttpError;
    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(7);
    const mapped = await client()
      .getCertificate(SERIAL)
      .catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(UpstreamUnavailableError);
    expect((mapped as UpstreamUnavailableError).code).toBe("UPSTREAM_UNAVAILABLE");
    expect((mapped as UpstreamUnavailableError).retryAfterSeconds).toBe(7);
  });

  it("rejects a 2xx body that is not JSON without quoting it", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(200, "-----BEGIN PRIVATE KEY----- oops");
    pool
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(200, "-----BEGIN PRIVATE KEY----- oops");
    const error = await upstream()
      .request({
        operation: "tlm.getCertificate",
        method: "GET",
        path: upstreamPath`/mpki/api/v1/certificate/${SERIAL}`,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamBodyError);
    expect((error as Error).message).not.toContain("PRIVATE KEY");
    const mapped = await client()
      .getCertificate(SERIAL)
      .catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(UpstreamInvalidResponseError);
    expect((mapped as UpstreamInvalidResponseError).code).toBe("UPSTREAM_INVALID_RESPONSE");
    expect((mapped as Error).message).not.toContain("PRIVATE KEY");
  });

  it("refuses a response body larger than the configured limit", async () => {
    const pool = agent.get(ORIGIN);
    const big = JSON.stringify({ total: 0, offset: 0, limit: 10, items: [], pad: "x".repeat(5000) });
    pool.intercept({ path: "/mpki/api/v1/certificate-search?offset=0&limit=10" }).reply(200, big);
    pool.intercept({ path: "/mpki/api/v1/certificate-search?offset=0&limit=10" }).reply(200, big);
    const error = await upstream(1024)
      .request({
        operation: "tlm.searchCertificates",
        method: "GET",
        path: upstreamPath`/mpki/api/v1/certificate-search`,
        query: { offset: 0, limit: 10 },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamBodyError);
    const mapped = await client(1024)
      .searchCertificates({}, 0, 10)
      .catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(UpstreamInvalidResponseError);
    expect((mapped as UpstreamInvalidResponseError).code).toBe("UPSTREAM_INVALID_RESPONSE");
  });

  it("reports a reset connection as a transport error that may have reached DigiCert", async () => {
    const pool = agent.get(ORIGIN);
    for (let i = 0; i < 2; i++) {
      pool
        .intercept({ path: "/mpki/api/v1/certificate", method: "POST" })
        .replyWithError(Object.assign(new Error("socket hang up"), { code: "UND_ERR_SOCKET" }));
    }
    const error = await upstream()
      .request({
        operation: "tlm.issueCertificate",
        method: "POST",
        path: upstreamPath`/mpki/api/v1/certificate`,
        body: ISSUE_BODY,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTransportError);
    expect((error as UpstreamTransportError).mayHaveReachedUpstream).toBe(true);
    // To the caller: the certificate may or may not have been issued.
    const mapped = await client()
      .issueCertificate(ISSUE_BODY)
      .catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect((mapped as UpstreamOutcomeUnknownError).code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
  });

  it("reports a refused connection as a transport error that never reached DigiCert", async () => {
    const pool = agent.get(ORIGIN);
    const refused = () => Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    pool.intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` }).replyWithError(refused());
    pool.intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` }).replyWithError(refused());
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).replyWithError(refused());
    const error = (await upstream()
      .request({
        operation: "tlm.getCertificate",
        method: "GET",
        path: upstreamPath`/mpki/api/v1/certificate/${SERIAL}`,
      })
      .catch((e: unknown) => e)) as UpstreamTransportError;
    expect(error).toBeInstanceOf(UpstreamTransportError);
    expect(error.mayHaveReachedUpstream).toBe(false);
    const mapped = await client()
      .getCertificate(SERIAL)
      .catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(UpstreamUnavailableError);
    // Never reached DigiCert: even an issuing call is "unavailable, try again", not "outcome unknown".
    const issue = await client()
      .issueCertificate(ISSUE_BODY)
      .catch((e: unknown) => e);
    expect(issue).toBeInstanceOf(UpstreamUnavailableError);
    expect((issue as UpstreamUnavailableError).code).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("sends only the revocation reason, as TLM spells it (its request schema), and accepts 204", async () => {
    agent
      .get(ORIGIN)
      .intercept({
        path: `/mpki/api/v1/certificate/${SERIAL}/revoke`,
        method: "PUT",
        body: (body) =>
          JSON.stringify(JSON.parse(body)) === JSON.stringify({ revocation_reason: "key_compromise" }),
      })
      .reply(204, "");
    await expect(client().revokeCertificate(SERIAL, "KEY_COMPROMISE")).resolves.toBeUndefined();
  });

  it("maps a 422 on revoke to a ValidationError on the serial, never RenewalNotAllowedError", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}/revoke`, method: "PUT" })
      .reply(422, { errors: [{ code: "unprocessable_entity", message: "cannot revoke" }] });
    const error = await client()
      .revokeCertificate(SERIAL, "SUPERSEDED")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe("input.serialNumber");
  });

  it("resumes with DELETE on the revoke path, without a body, and accepts 204", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}/revoke`, method: "DELETE" })
      .reply(204, "");
    await expect(client().resumeCertificate(SERIAL)).resolves.toBeUndefined();
  });

  it("reports a dropped connection on resume as outcome unknown, and sends it once", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}/revoke`, method: "DELETE" })
      .replyWithError(Object.assign(new Error("socket hang up"), { code: "UND_ERR_SOCKET" }));
    const error = await client(1024 * 1024, 3)
      .resumeCertificate(SERIAL)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
  });

  it("sends every search filter as one certificate-search query", async () => {
    const expiresBefore = new Date("2026-03-01T00:00:00Z");
    agent
      .get(ORIGIN)
      .intercept({
        path: (path) => {
          const url = new URL(path, ORIGIN);
          // MockAgent hands the query over sorted: compare as sorted entries.
          const sorted = (entries: [string, string][]) =>
            JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
          return (
            url.pathname === "/mpki/api/v1/certificate-search" &&
            sorted([...url.searchParams]) ===
              sorted(
                Object.entries({
                  seat_type_id: "SERVER_SEAT",
                  status: "ISSUED,SUSPENDED",
                  business_unit_id: PROFILE,
                  issuing_ca_serial_number: "0A",
                  aki: "AB12",
                  valid_to: "2026-03-01T00:00:00Z",
                  offset: "0",
                  limit: "10",
                }),
              )
          );
        },
      })
      .reply(200, { total: 0, offset: 0, limit: 10, items: [] });
    const page = await client().searchCertificates(
      {
        seatType: "SERVER_SEAT",
        statuses: ["ISSUED", "SUSPENDED"],
        businessUnitId: PROFILE,
        issuingCaSerialNumber: "0A" as SerialNumber,
        authorityKeyIdentifier: "ab:12",
        expiresBefore,
      },
      0,
      10,
    );
    expect(page).toEqual({ items: [], total: 0, offset: 0, limit: 10 });
  });

  it("returns CertificateIssued with the serial when the issue answer's certificate cannot be read", async () => {
    agent.get(ORIGIN).intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(201, {
      serial_number: SERIAL,
      delivery_format: "x509",
      certificate: "-----BEGIN CERTIFICATE-----\ntruncated",
    });
    expect(await client().issueCertificate(ISSUE_BODY)).toEqual({
      kind: "issued",
      serialNumber: SERIAL,
      deliveryFormat: "X509",
      pem: null,
      pkcs7: null,
    });
  });

  it("reports an issue answer naming no certificate or request as outcome unknown, with the id it held", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/mpki/api/v1/certificate", method: "POST" })
      .reply(201, { serial_number: "SERIAL-7", certificate: "x" });
    const error = await client()
      .issueCertificate(ISSUE_BODY)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect((error as { id?: unknown }).id).toBe("SERIAL-7");
  });
});

describe("retries", () => {
  it("retries a GET after a 503 and returns the second answer", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` }).reply(503, "{}");
    pool
      .intercept({ path: `/mpki/api/v1/certificate/${SERIAL}` })
      .reply(200, { serial_number: SERIAL, status: "issued", certificate: CERTIFICATE_PEM });
    expect(await client(1024 * 1024, 3).getCertificate(SERIAL)).toMatchObject({
      serialNumber: SERIAL,
      status: "ISSUED",
      pem: CERTIFICATE_PEM,
    });
  });

  it("never sends an issuing POST twice, even after a 503", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(503, "{}");
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(201, { serial_number: "0A" });
    const error = await client(1024 * 1024, 3)
      .issueCertificate(ISSUE_BODY)
      .catch((e: unknown) => e);
    // The 503's own meaning (not processed), not whatever a second POST would have answered.
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
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
