import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../simulator/index.js";
import {
  closedPort,
  expectUnauthorized,
  type Gateway,
  post,
  smallSimulator,
  startGateway,
  suiteKey,
} from "./helpers.js";

// Would reach DigiCert (certificate-search) if the token were accepted.
const QUERY = `{ certificates(first: 1) { totalCount } }`;

let simulator: Simulator;
let gw: Gateway;

beforeAll(async () => {
  simulator = await smallSimulator();
  gw = await startGateway({ upstreamUrl: simulator.url });
});
afterAll(async () => {
  await gw?.close();
  await simulator?.close();
});
beforeEach(() => {
  simulator.resetCounters();
  gw.logs.length = 0;
});

/**
 * Sends QUERY with `authorization` (null: no header) and asserts the generic 401, no upstream
 * request, the secret never in the log, and the refusal's reason in it.
 */
async function expectRefused(authorization: string | null, reason: RegExp, secret?: string) {
  const res = await post(gw.url, QUERY, undefined, {
    headers: authorization === null ? {} : { authorization },
  });
  expectUnauthorized(res);
  expect(simulator.requestCounts()).toEqual({});
  const refusals = gw.logs.filter((line) => /request refused/.test(line));
  expect(refusals, gw.logs.join("\n")).toHaveLength(1);
  expect(refusals[0]).toMatch(reason);
  const token = secret ?? authorization?.replace(/^Bearer /, "") ?? "";
  if (token) {
    for (const line of gw.logs) expect(line).not.toContain(token);
    // Not even its signature (the part that makes it usable).
    const signature = token.split(".")[2];
    if (signature && signature.length > 8) for (const line of gw.logs) expect(line).not.toContain(signature);
  }
  return res;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function unsignedToken(signature = "") {
  const now = Math.floor(Date.now() / 1000);
  return [
    b64url({ alg: "none", typ: "JWT" }),
    b64url({
      iss: "urn:security-suite:issuer",
      aud: "security-suite-gateway",
      sub: "suite-user",
      tenant: "default",
      scope: "certificates:read certificates:write",
      exp: now + 600,
    }),
    signature,
  ].join(".");
}

describe("a valid token (control)", () => {
  it("is accepted and reaches DigiCert once", async () => {
    const res = await post(gw.url, QUERY, undefined, { token: gw.token });
    expect(res.status).toBe(200);
    expect(res.json?.errors).toBeUndefined();
    expect(simulator.requestCount("GET /mpki/api/v1/certificate-search")).toBe(1);
  });

  it("an expiry 3 s ago, inside the 5 s clock tolerance, is still accepted", async () => {
    const token = await gw.sign({ exp: Math.floor(Date.now() / 1000) - 3 });
    const res = await post(gw.url, QUERY, undefined, { token });
    expect(res.status).toBe(200);
    expect(res.json?.errors).toBeUndefined();
  });
});

describe("forged and unusable tokens are one generic 401, with zero upstream requests", () => {
  it("refuses alg none with an empty signature", async () => {
    await expectRefused(`Bearer ${unsignedToken()}`, /not a Bearer JWT/);
  });

  it("refuses alg none carrying a made-up signature", async () => {
    await expectRefused(`Bearer ${unsignedToken("c2lnbmF0dXJl")}`, /ERR_JOSE_ALG_NOT_ALLOWED/);
  });

  it("refuses HS256 signed with the gateway's ES256 public key as the HMAC secret (PEM bytes)", async () => {
    const key = await suiteKey();
    // The attacker knows the public key; pretend it is the one the gateway trusts (same kid).
    const pem = await exportSPKI(key.publicKey);
    const token = await gw.sign({}, { alg: "HS256", key: new TextEncoder().encode(pem) });
    await expectRefused(`Bearer ${token}`, /ERR_JOSE_ALG_NOT_ALLOWED/);
  });

  it("refuses HS256 signed with the public JWK (JSON) as the HMAC secret", async () => {
    const key = await suiteKey();
    const jwk = JSON.stringify(await exportJWK(key.publicKey));
    const token = await gw.sign({}, { alg: "HS256", key: new TextEncoder().encode(jwk) });
    await expectRefused(`Bearer ${token}`, /ERR_JOSE_ALG_NOT_ALLOWED/);
  });

  it("refuses an asymmetric algorithm outside the pinned list (ES384)", async () => {
    const other = await generateKeyPair("ES384");
    const token = await gw.sign({}, { alg: "ES384", key: other.privateKey });
    await expectRefused(`Bearer ${token}`, /ERR_JOSE_ALG_NOT_ALLOWED/);
  });

  it("refuses a token without exp", async () => {
    const token = await gw.sign({}, { omit: ["exp"] });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_CLAIM_VALIDATION_FAILED.*exp/);
  });

  it("refuses a token expired 10 s ago (beyond the 5 s tolerance)", async () => {
    const token = await gw.sign({ exp: Math.floor(Date.now() / 1000) - 10 });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_EXPIRED/);
  });

  it("refuses a token that is not valid yet (nbf a minute ahead)", async () => {
    const token = await gw.sign({ nbf: Math.floor(Date.now() / 1000) + 60 });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_CLAIM_VALIDATION_FAILED.*nbf/);
  });

  it("refuses a token for another audience", async () => {
    const token = await gw.sign({ aud: "some-other-api" });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/);
  });

  it("refuses a token without an audience", async () => {
    const token = await gw.sign({}, { omit: ["aud"] });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/);
  });

  it("refuses a token from another issuer", async () => {
    const token = await gw.sign({ iss: "https://evil.example" });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/);
  });

  it("refuses a token whose kid the key set does not hold", async () => {
    const other = await suiteKey("unknown-kid");
    const token = await gw.sign({}, { kid: "unknown-kid", key: other.privateKey });
    await expectRefused(`Bearer ${token}`, /ERR_JWKS_NO_MATCHING_KEY/);
  });

  it("refuses a token signed by another key under the trusted kid", async () => {
    const other = await suiteKey();
    const token = await gw.sign({}, { key: other.privateKey });
    await expectRefused(`Bearer ${token}`, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
  });

  it("refuses a token with a tampered payload (scope widened after signing)", async () => {
    const token = await gw.sign({ scope: "certificates:read" });
    const [header, , signature] = token.split(".");
    const payload = b64url({
      iss: "urn:security-suite:issuer",
      aud: "security-suite-gateway",
      sub: "suite-user",
      tenant: "default",
      scope: "certificates:read certificates:write keys:generate",
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    await expectRefused(`Bearer ${header}.${payload}.${signature}`, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
  });

  it("refuses a token without the tenant claim", async () => {
    const token = await gw.sign({}, { omit: ["tenant"] });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_CLAIM_VALIDATION_FAILED.*tenant/);
  });

  it("refuses a tenant claim that is not a string", async () => {
    const token = await gw.sign({ tenant: ["default", "globex"] });
    await expectRefused(`Bearer ${token}`, /claim tenant is not a tenant name/);
  });

  it("refuses a token without sub", async () => {
    const token = await gw.sign({}, { omit: ["sub"] });
    await expectRefused(`Bearer ${token}`, /ERR_JWT_CLAIM_VALIDATION_FAILED.*sub/);
  });

  it("refuses a tenant this gateway does not serve", async () => {
    const token = await gw.sign({ tenant: "initech" });
    await expectRefused(`Bearer ${token}`, /tenant not served.*initech|initech.*tenant not served/);
  });
});

describe("malformed Authorization headers are the same 401", () => {
  it("refuses Basic credentials", async () => {
    const basic = Buffer.from("admin:hunter2-secret").toString("base64");
    await expectRefused(`Basic ${basic}`, /not a Bearer JWT/, basic);
  });

  it("refuses two bearer tokens in one header", async () => {
    const token = gw.token;
    await expectRefused(`Bearer ${token}, Bearer ${token}`, /not a Bearer JWT/, token);
  });

  it("refuses a bearer value that is not a JWT", async () => {
    await expectRefused("Bearer not-a-jwt-at-all", /not a Bearer JWT/, "not-a-jwt-at-all");
  });

  it("refuses three base64url segments that decode to garbage", async () => {
    await expectRefused("Bearer aGVsbG8.d29ybGQ.c2lnbmF0dXJl", /ERR_JW[ST]_INVALID/);
  });

  it("refuses an oversized header (10 KiB) before parsing it", async () => {
    const huge = `Bearer ${"A".repeat(10 * 1024)}`;
    await expectRefused(huge, /Authorization header too long/, huge.slice(7));
  });

  it("refuses a request with no Authorization header", async () => {
    await expectRefused(null, /missing Authorization header/);
  });

  it("refuses a valid token sent in a cookie instead of the header", async () => {
    const res = await post(gw.url, QUERY, undefined, { headers: { cookie: `token=${gw.token}` } });
    expectUnauthorized(res);
    expect(simulator.requestCounts()).toEqual({});
    for (const line of gw.logs) expect(line).not.toContain(gw.token);
  });

  it("answers an anonymous request with 401, not with validation errors that describe the schema", async () => {
    const res = await post(gw.url, `{ certificate { serialNumbr } }`);
    expectUnauthorized(res);
    expect(res.text).not.toMatch(/Did you mean|Cannot query field|serialNumber/);
  });
});

describe("JWKS endpoint down", () => {
  it("a JWKS URL on a closed port gives 401 (not 500) within a few seconds", async () => {
    const port = await closedPort();
    const down = await startGateway({
      upstreamUrl: simulator.url,
      keys: { kind: "jwks-url", url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`) },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const started = performance.now();
        const res = await post(down.url, QUERY, undefined, { token: down.token });
        expect(performance.now() - started).toBeLessThan(3_000);
        expectUnauthorized(res);
      }
      expect(simulator.requestCounts()).toEqual({});
      expect(down.logs.filter((l) => /request refused: not authenticated/.test(l))).toHaveLength(2);
      for (const line of down.logs) expect(line).not.toContain(down.token);
    } finally {
      await down.close();
    }
  });

  it("a JWKS URL that never answers gives 401 within jose's 5 s timeout, not a hang", async () => {
    const sockets = new Set<Socket>();
    const blackhole: Server = createServer(() => {
      /* never answers */
    });
    blackhole.on("connection", (s) => sockets.add(s));
    await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", resolve));
    const { port } = blackhole.address() as AddressInfo;
    const hanging = await startGateway({
      upstreamUrl: simulator.url,
      keys: { kind: "jwks-url", url: new URL(`http://127.0.0.1:${port}/jwks`) },
    });
    try {
      const started = performance.now();
      const res = await post(hanging.url, QUERY, undefined, { token: hanging.token });
      expect(performance.now() - started).toBeLessThan(7_000);
      expectUnauthorized(res);
      expect(simulator.requestCounts()).toEqual({});
    } finally {
      await hanging.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => blackhole.close(() => resolve()));
    }
  }, 15_000);
});
