import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { type Gateway, post, startGateway } from "./helpers.js";

type Row = Record<string, any>;

const ISSUE_ROUTE = "POST /mpki/api/v1/certificate";
const RENEW_ROUTE = "POST /mpki/api/v1/certificate/:serial/renew";
const ISSUE = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename
    ... on CertificateIssued { serialNumber }
    ... on ValidationError { field }
    ... on Error { code }
  }
}`;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ simulator: { seedCertificates: 12 } });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.simulator.resetCounters());
afterEach(() => stack.simulator.clearFaults());

/** A fresh enrollment input (its own CN, CSR and idempotency key). */
async function enrollment(prefix: string) {
  const commonName = `${prefix}-${randomUUID().slice(0, 8)}.example.com`;
  const { pem } = await generateCsr({ subject: `CN=${commonName}` });
  return {
    commonName,
    input: {
      profileId: PROFILE_IDS.webServer,
      seatId: "ops@example.com",
      csr: pem,
      idempotencyKey: `dup-${randomUUID()}`,
    },
  };
}

async function issue(input: Record<string, unknown>): Promise<Row> {
  const res = await stack.gql<{ requestCertificate: Row }>(ISSUE, { input });
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data!.requestCertificate;
}

/** How many certificates DigiCert holds for this CN. */
async function certificatesFor(commonName: string): Promise<number> {
  const res = await stack.gql<{ certificates: Row }>(
    `query($cn: String!) { certificates(filter: { commonName: $cn }) { totalCount } }`,
    { cn: commonName },
  );
  return res.data!.certificates.totalCount as number;
}

const UNKNOWN = { __typename: "UpstreamOutcomeUnknownError", code: "UPSTREAM_OUTCOME_UNKNOWN" };

describe("a repeat with the same idempotency key after an ambiguous failure never issues again", () => {
  it("a reset on the issuing POST: the repeat is outcome unknown too, and one POST reached DigiCert", async () => {
    const { commonName, input } = await enrollment("reset");
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "reset", times: 1 });
    expect(await issue(input)).toEqual(UNKNOWN);
    expect(await issue(input)).toEqual(UNKNOWN);
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBeLessThanOrEqual(1);
  });

  it("a 500 on the issuing POST: the repeat is outcome unknown too, and one POST reached DigiCert", async () => {
    const { commonName, input } = await enrollment("five-hundred");
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "status", status: 500, times: 1 });
    expect(await issue(input)).toEqual(UNKNOWN);
    expect(await issue(input)).toEqual(UNKNOWN);
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBeLessThanOrEqual(1);
  });

  it("five concurrent repeats under a reset: all outcome unknown, exactly one POST", async () => {
    const { commonName, input } = await enrollment("concurrent-reset");
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "reset", times: 1 });
    const results = await Promise.all(Array.from({ length: 5 }, () => issue(input)));
    expect(results).toEqual(Array.from({ length: 5 }, () => UNKNOWN));
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBeLessThanOrEqual(1);
  });

  it("five concurrent repeats under a 500: all outcome unknown, exactly one POST", async () => {
    const { commonName, input } = await enrollment("concurrent-500");
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "status", status: 500, times: 1 });
    const results = await Promise.all(Array.from({ length: 5 }, () => issue(input)));
    expect(results).toEqual(Array.from({ length: 5 }, () => UNKNOWN));
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBeLessThanOrEqual(1);
  });

  it("a renewal reset mid-call: the repeat is outcome unknown, one renew POST", async () => {
    const issued = await issue((await enrollment("renew-base")).input);
    expect(issued.__typename).toBe("CertificateIssued");
    const { pem } = await generateCsr({ subject: "CN=renew-base.example.com" });
    const key = `renew-${randomUUID()}`;
    const renew = `mutation($input: RenewCertificateInput!) { renewCertificate(input: $input) { __typename ... on Error { code } } }`;
    const vars = { input: { serialNumber: issued.serialNumber, csr: pem, idempotencyKey: key } };
    stack.simulator.injectFault({ route: RENEW_ROUTE, kind: "reset", times: 1 });
    const first = await stack.gql<{ renewCertificate: Row }>(renew, vars);
    const again = await stack.gql<{ renewCertificate: Row }>(renew, vars);
    expect(first.data?.renewCertificate).toEqual(UNKNOWN);
    expect(again.data?.renewCertificate).toEqual(UNKNOWN);
    expect(stack.simulator.requestCount(RENEW_ROUTE)).toBe(1);
  });
});

describe("when DigiCert did issue but the answer was lost (body stalls past the timeout)", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({ upstreamUrl: stack.simulator.url, transport: { bodyTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("the first call and its repeat are outcome unknown, and exactly one certificate exists", async () => {
    const { commonName, input } = await enrollment("lost-answer");
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "slow-body", delayMs: 2_000, times: 1 });
    const first = await post(gw.url, ISSUE, { input }, { token: gw.token });
    const again = await post(gw.url, ISSUE, { input }, { token: gw.token });
    expect(first.json?.data?.requestCertificate).toEqual(UNKNOWN);
    expect(again.json?.data?.requestCertificate).toEqual(UNKNOWN);
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBe(1);
  });
});

describe("idempotency keys without faults", () => {
  it("a repeat returns the same serial number, with one POST and one certificate", async () => {
    const { commonName, input } = await enrollment("repeat");
    const first = await issue(input);
    const again = await issue(input);
    expect(first.__typename).toBe("CertificateIssued");
    expect(again).toEqual(first);
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBe(1);
  });

  it("five concurrent calls with one key return one serial number, with one POST", async () => {
    const { commonName, input } = await enrollment("concurrent-ok");
    const results = await Promise.all(Array.from({ length: 5 }, () => issue(input)));
    expect(results[0]?.__typename).toBe("CertificateIssued");
    expect(new Set(results.map((r) => r.serialNumber)).size).toBe(1);
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBe(1);
  });

  it("the same key with different input is a ValidationError on input.idempotencyKey, with no new POST", async () => {
    const { input } = await enrollment("conflict");
    expect((await issue(input)).__typename).toBe("CertificateIssued");
    const other = await generateCsr({ subject: "CN=conflict-other.example.com" });
    const conflict = await issue({ ...input, csr: other.pem });
    expect(conflict).toEqual({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      field: "input.idempotencyKey",
    });
    const seat = await issue({ ...input, seatId: "someone-else@example.com" });
    expect(seat).toMatchObject({ __typename: "ValidationError", field: "input.idempotencyKey" });
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor("conflict-other.example.com")).toBe(0);
  });

  it("a 503 (nothing done) is forgotten: the repeat issues once, and one certificate exists", async () => {
    const { commonName, input } = await enrollment("not-done");
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "status", status: 503, times: 1 });
    expect(await issue(input)).toMatchObject({ __typename: "UpstreamUnavailableError" });
    const again = await issue(input);
    expect(again.__typename).toBe("CertificateIssued");
    expect(await issue(input)).toEqual(again);
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(2);
    expect(await certificatesFor(commonName)).toBe(1);
  });

  it("without a key, a reset is outcome unknown and the POST is never resent", async () => {
    const { commonName, input } = await enrollment("no-key");
    const { idempotencyKey: _omit, ...withoutKey } = input;
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "reset", times: 1 });
    expect(await issue(withoutKey)).toEqual(UNKNOWN);
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
    expect(await certificatesFor(commonName)).toBe(0);
  });
});
