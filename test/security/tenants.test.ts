import "reflect-metadata";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_API_KEY, PROFILE_IDS, RESTRICTED_API_KEY } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { expectNoneContain, expectUnauthorized, post } from "./helpers.js";

type Row = Record<string, any>;

let stack: Stack;
let globex: string;
/** An ISSUED certificate of a profile globex (RESTRICTED_API_KEY) may not use. */
let foreignSerial: string;
const logs: string[] = [];

const SEARCH = `query($f: CertificateFilter) {
  certificates(first: 100, filter: $f) { totalCount edges { node { serialNumber profile { profileId } } } }
}`;
const ISSUE = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename ... on CertificateIssued { serialNumber } ... on ValidationError { field } ... on Error { code message }
  }
}`;

async function statusOf(serial: string): Promise<string | undefined> {
  const res = await stack.gql<{ certificate: Row | null }>(
    `{ certificate(serialNumber: "${serial}") { status } }`,
  );
  return res.data?.certificate?.status;
}

beforeAll(async () => {
  stack = await startStack({
    simulator: { seedCertificates: 40, pickupDelayMs: 60_000 },
    tenants: { globex: { kind: "apiKey", apiKey: RESTRICTED_API_KEY } },
    logs,
  });
  globex = await stack.token({ tenant: "globex", sub: "wile.e.coyote" });
  const found = await stack.gql<{ certificates: Row }>(SEARCH, {
    f: { profileId: PROFILE_IDS.ecdsaDevice, status: "ISSUED" },
  });
  foreignSerial = found.data!.certificates.edges[0].node.serialNumber;
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.simulator.resetCounters());

describe("a tenant never reaches another tenant's certificates", () => {
  it("certificate(serialNumber) of another profile reads as null, with no error and no PEM", async () => {
    const res = await stack.gql<{ certificate: Row | null }>(
      `{ certificate(serialNumber: "${foreignSerial}") { serialNumber pem commonName } }`,
      undefined,
      { token: globex },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ certificate: null });
    // One read, refused by DigiCert (403) for globex's key; nothing else.
    expect(stack.simulator.requestCounts()).toEqual({ "GET /mpki/api/v1/certificate/:serial": 1 });
  });

  it("node(id) of another tenant's certificate is null, like a missing one", async () => {
    const id = Buffer.from(`Certificate:${foreignSerial}`).toString("base64");
    const res = await stack.gql(
      `query($id: ID!) { node(id: $id) { id ... on Certificate { pem } } }`,
      { id },
      {
        token: globex,
      },
    );
    const missing = await stack.gql(
      `query($id: ID!) { node(id: $id) { id ... on Certificate { pem } } }`,
      {
        id: Buffer.from("Certificate:ABCDEF0123456789").toString("base64"),
      },
      { token: globex },
    );
    expect(res).toEqual({ data: { node: null } });
    expect(missing).toEqual(res);
  });

  it("revoking another tenant's certificate is CertificateNotFoundError, and it stays ISSUED", async () => {
    const res = await stack.gql<{ revokeCertificate: Row }>(
      `mutation { revokeCertificate(input: { serialNumber: "${foreignSerial}", reason: KEY_COMPROMISE }) {
        __typename ... on CertificateNotFoundError { serialNumber } ... on Error { code }
      } }`,
      undefined,
      { token: globex },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.revokeCertificate).toEqual({
      __typename: "CertificateNotFoundError",
      code: "CERTIFICATE_NOT_FOUND",
      serialNumber: foreignSerial,
    });
    expect(stack.simulator.requestCount("PUT /mpki/api/v1/certificate/:serial/revoke")).toBe(1);
    expect(await statusOf(foreignSerial)).toBe("ISSUED");
  });

  it("renewing another tenant's certificate is CertificateNotFoundError, and nothing is issued", async () => {
    const before = await stack.gql<{ certificates: Row }>(SEARCH, {
      f: { profileId: PROFILE_IDS.ecdsaDevice },
    });
    const { pem } = await generateCsr({ subject: "CN=device-steal.iot.example.com" });
    const res = await stack.gql<{ renewCertificate: Row }>(
      `mutation($csr: String!) { renewCertificate(input: { serialNumber: "${foreignSerial}", csr: $csr }) {
        __typename ... on Error { code }
      } }`,
      { csr: pem },
      { token: globex },
    );
    expect(res.data?.renewCertificate).toEqual({
      __typename: "CertificateNotFoundError",
      code: "CERTIFICATE_NOT_FOUND",
    });
    const after = await stack.gql<{ certificates: Row }>(SEARCH, {
      f: { profileId: PROFILE_IDS.ecdsaDevice },
    });
    expect(after.data!.certificates.totalCount).toBe(before.data!.certificates.totalCount);
  });

  it("search shows globex only its own profile's certificates", async () => {
    const own = await stack.gql<{ certificates: Row }>(SEARCH, {}, { token: globex });
    const all = await stack.gql<{ certificates: Row }>(SEARCH, {});
    expect(own.errors).toBeUndefined();
    const profiles = new Set(own.data!.certificates.edges.map((e: Row) => e.node.profile?.profileId));
    expect([...profiles]).toEqual([PROFILE_IDS.webServer]);
    expect(own.data!.certificates.totalCount).toBeLessThan(all.data!.certificates.totalCount);
    const serials = own.data!.certificates.edges.map((e: Row) => e.node.serialNumber);
    expect(serials).not.toContain(foreignSerial);
  });

  it("filtering globex's search by another profile finds nothing", async () => {
    const res = await stack.gql<{ certificates: Row }>(
      SEARCH,
      { f: { profileId: PROFILE_IDS.ecdsaDevice } },
      {
        token: globex,
      },
    );
    expect(res.data?.certificates).toEqual({ totalCount: 0, edges: [] });
    const bySerial = await stack.gql<{ certificates: Row }>(
      SEARCH,
      { f: { serialNumber: foreignSerial } },
      {
        token: globex,
      },
    );
    expect(bySerial.data?.certificates.totalCount).toBe(0);
  });

  it("another tenant's profile reads as null", async () => {
    const res = await stack.gql(`{ profile(id: "${PROFILE_IDS.ecdsaDevice}") { name } }`, undefined, {
      token: globex,
    });
    expect(res).toEqual({ data: { profile: null } });
  });

  it("picking up another tenant's pending request is PROFILE_NOT_FOUND or REQUEST_NOT_FOUND, never the certificate", async () => {
    const { pem } = await generateCsr({ subject: "CN=pending-default.example.com" });
    const pending = await stack.gql<{ requestCertificate: Row }>(
      `mutation($csr: String!) { requestCertificate(input: { profileId: "${PROFILE_IDS.approval}", seatId: "ops@example.com", csr: $csr }) {
        __typename ... on CertificatePending { requestId }
      } }`,
      { csr: pem },
    );
    const requestId = pending.data!.requestCertificate.requestId as string;
    expect(requestId).toBeTruthy();
    const pickup = `mutation($r: String!, $p: ID!) { pickupCertificate(input: { requestId: $r, profileId: $p }) {
      __typename ... on Error { code }
    } }`;
    const sameProfile = await stack.gql<{ pickupCertificate: Row }>(
      pickup,
      { r: requestId, p: PROFILE_IDS.approval },
      { token: globex },
    );
    expect(sameProfile.data?.pickupCertificate).toEqual({
      __typename: "ProfileNotFoundError",
      code: "PROFILE_NOT_FOUND",
    });
    const ownProfile = await stack.gql<{ pickupCertificate: Row }>(
      pickup,
      { r: requestId, p: PROFILE_IDS.webServer },
      { token: globex },
    );
    expect(ownProfile.data?.pickupCertificate).toEqual({
      __typename: "RequestNotFoundError",
      code: "REQUEST_NOT_FOUND",
    });
  });
});

describe("idempotency keys are scoped per tenant", () => {
  it("the same key and input in two tenants issues two certificates, each tenant seeing its own", async () => {
    const { pem } = await generateCsr({ subject: "CN=shared-key.example.com" });
    const input = {
      profileId: PROFILE_IDS.webServer,
      seatId: "ops@example.com",
      csr: pem,
      idempotencyKey: "tenant-scope-key-1",
    };
    const first = await stack.gql<{ requestCertificate: Row }>(ISSUE, { input });
    const second = await stack.gql<{ requestCertificate: Row }>(ISSUE, { input }, { token: globex });
    expect(first.data?.requestCertificate.__typename).toBe("CertificateIssued");
    expect(second.data?.requestCertificate.__typename).toBe("CertificateIssued");
    expect(second.data?.requestCertificate.serialNumber).not.toBe(
      first.data?.requestCertificate.serialNumber,
    );
    expect(stack.simulator.requestCount("POST /mpki/api/v1/certificate")).toBe(2);
  });

  it("a key another tenant used with other input is no conflict here (no cross-tenant probe)", async () => {
    const a = await generateCsr({ subject: "CN=probe-a.example.com" });
    const b = await generateCsr({ subject: "CN=probe-b.example.com" });
    const key = "tenant-scope-key-2";
    const base = { profileId: PROFILE_IDS.webServer, seatId: "ops@example.com", idempotencyKey: key };
    const mine = await stack.gql<{ requestCertificate: Row }>(ISSUE, { input: { ...base, csr: a.pem } });
    const theirs = await stack.gql<{ requestCertificate: Row }>(
      ISSUE,
      { input: { ...base, csr: b.pem } },
      {
        token: globex,
      },
    );
    expect(mine.data?.requestCertificate.__typename).toBe("CertificateIssued");
    expect(theirs.data?.requestCertificate.__typename).toBe("CertificateIssued");
  });
});

describe("pass-through mode: the caller's own x-api-key goes upstream", () => {
  let pass: Stack;
  const passLogs: string[] = [];
  const WRONG_KEY = "caller-wrong-key-5f1c9a7e";
  const bodies: string[] = [];

  beforeAll(async () => {
    pass = await startStack({ simulator: { seedCertificates: 40 }, passthroughApiKey: true, logs: passLogs });
  });
  afterAll(async () => {
    await pass?.close();
  });
  beforeEach(() => pass.simulator.resetCounters());

  async function asCaller(apiKey: string | null, query = `{ certificates(first: 100) { totalCount } }`) {
    const res = await post(pass.url, query, undefined, {
      token: await pass.token(),
      headers: apiKey === null ? {} : { "x-api-key": apiKey },
    });
    bodies.push(res.text, [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n"));
    return res;
  }

  it("the caller's key decides what DigiCert shows (restricted key: fewer certificates)", async () => {
    const full = await asCaller(DEFAULT_API_KEY);
    const restricted = await asCaller(RESTRICTED_API_KEY);
    expect(full.json?.errors).toBeUndefined();
    expect(restricted.json?.errors).toBeUndefined();
    expect(restricted.json!.data!.certificates.totalCount).toBeLessThan(
      full.json!.data!.certificates.totalCount,
    );
  });

  it("a wrong caller key is UPSTREAM_UNAUTHENTICATED, asked once, without echoing the key", async () => {
    const res = await asCaller(WRONG_KEY);
    expect(res.status).toBe(200);
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_UNAUTHENTICATED"]);
    expect(res.text).not.toContain(WRONG_KEY);
    expect(pass.simulator.requestCounts()).toEqual({ "GET /mpki/api/v1/certificate-search": 1 });
  });

  it("no caller key is the generic 401, with no upstream request", async () => {
    expectUnauthorized(await asCaller(null));
    expect(pass.simulator.requestCounts()).toEqual({});
  });

  it("a caller key with control characters or over 512 characters is the generic 401", async () => {
    expectUnauthorized(await asCaller("k".repeat(513)));
    expectUnauthorized(await asCaller("key with spaces"));
    expect(pass.simulator.requestCounts()).toEqual({});
  });

  it("idempotency keys do not cross callers' DigiCert keys in the same tenant", async () => {
    const { pem } = await generateCsr({ subject: "CN=pass-through-key.example.com" });
    const input = {
      profileId: PROFILE_IDS.webServer,
      seatId: "ops@example.com",
      csr: pem,
      idempotencyKey: "pass-through-key-1",
    };
    const a = await post(
      pass.url,
      ISSUE,
      { input },
      {
        token: await pass.token(),
        headers: { "x-api-key": DEFAULT_API_KEY },
      },
    );
    const b = await post(
      pass.url,
      ISSUE,
      { input },
      {
        token: await pass.token(),
        headers: { "x-api-key": RESTRICTED_API_KEY },
      },
    );
    expect(a.json?.data?.requestCertificate.__typename).toBe("CertificateIssued");
    expect(b.json?.data?.requestCertificate.__typename).toBe("CertificateIssued");
    expect(b.json?.data?.requestCertificate.serialNumber).not.toBe(
      a.json?.data?.requestCertificate.serialNumber,
    );
    expect(pass.simulator.requestCount("POST /mpki/api/v1/certificate")).toBe(2);
    bodies.push(a.text, b.text);
  });

  it("no caller key ever appears in the logs, error bodies or response headers", async () => {
    await asCaller(WRONG_KEY, `{ certificate(serialNumber: "ABCDEF") { serialNumber } }`);
    pass.simulator.injectFault({ route: "GET /mpki/api/v1/certificate-search", kind: "reset", times: 3 });
    await asCaller(DEFAULT_API_KEY);
    pass.simulator.clearFaults();
    expect(passLogs.length).toBeGreaterThan(0);
    expectNoneContain({ logs: passLogs, bodies }, { DEFAULT_API_KEY, RESTRICTED_API_KEY, WRONG_KEY });
  });
});

describe("the tenant's configured key", () => {
  it("never appears in the logs of this file's stack", () => {
    expect(logs.length).toBeGreaterThan(0);
    expectNoneContain({ logs }, { DEFAULT_API_KEY, RESTRICTED_API_KEY });
  });
});
