import "reflect-metadata";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type GqlResult, type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let csr: string;

beforeAll(async () => {
  stack = await startStack({ simulator: { seedCertificates: 12 } });
  csr = (await generateCsr({ subject: "CN=inject.example.com" })).pem;
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.simulator.resetCounters());

/** Every error has `code`, there is at least one, and DigiCert saw no request at all. */
function expectRefused(res: GqlResult<unknown>, code: "BAD_USER_INPUT" | "VALIDATION_FAILED") {
  expect(res.errors ?? [], `not refused: ${JSON.stringify(res)}`).not.toHaveLength(0);
  expect(
    res.errors!.map((e) => e.extensions?.code),
    JSON.stringify(res.errors),
  ).toEqual(res.errors!.map(() => code));
  expect(stack.simulator.requestCounts()).toEqual({});
}

/** A typed ValidationError result naming `field`, and no request to DigiCert. */
function expectValidationResult(result: Record<string, unknown> | undefined, field: string) {
  expect(result).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED", field });
  expect(stack.simulator.requestCounts()).toEqual({});
}

const HOSTILE_SERIALS: [string, string][] = [
  ["dot-dot-slash", "../../mpki/api/v2/profile"],
  ["percent-encoded dots", "%2e%2e%2f%2e%2e"],
  ["a scheme-relative host", "//evil.example/x"],
  ["a userinfo host", "@evil.example"],
  ["a query", "ABCD?x=1"],
  ["a fragment", "ABCD#frag"],
  ["fullwidth unicode hex digits", "ＡＢＣＤ"],
  ["a NUL byte", "ABCD\u0000"],
  ["CRLF (header splitting)", "ABCD\r\nx-api-key: stolen"],
  ["41 hex characters", "A".repeat(41)],
  ["the empty string", ""],
  ["a 0x prefix", "0x1F"],
];

describe("serial numbers: every hostile form is VALIDATION_FAILED before any upstream call", () => {
  it.each(HOSTILE_SERIALS)("certificate(serialNumber) refuses %s (variable)", async (_name, value) => {
    const res = await stack.gql(
      `query($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber } }`,
      {
        s: value,
      },
    );
    expectRefused(res, "VALIDATION_FAILED");
  });

  it("certificate(serialNumber) refuses path and host forms written inline", async () => {
    for (const value of ["../x", "//evil.example/x", "@evil.example", "%2F", "A".repeat(41), ""]) {
      const res = await stack.gql(`{ certificate(serialNumber: ${JSON.stringify(value)}) { serialNumber } }`);
      expectRefused(res, "VALIDATION_FAILED");
    }
  });

  it("certificates(filter.serialNumber) refuses a path", async () => {
    const res = await stack.gql(
      `query($s: SerialNumber!) { certificates(filter: { serialNumber: $s }) { totalCount } }`,
      { s: "../../x" },
    );
    expectRefused(res, "VALIDATION_FAILED");
  });

  it("renewCertificate(input.serialNumber) refuses a path; nothing is renewed", async () => {
    const res = await stack.gql(
      `mutation($s: SerialNumber!, $csr: String!) { renewCertificate(input: { serialNumber: $s, csr: $csr }) { __typename } }`,
      { s: "ABCD/../../certificate", csr },
    );
    expectRefused(res, "VALIDATION_FAILED");
  });

  it("revokeCertificate(input.serialNumber) refuses a host change; nothing is revoked", async () => {
    const res = await stack.gql(
      `mutation($s: SerialNumber!) { revokeCertificate(input: { serialNumber: $s, reason: KEY_COMPROMISE }) { __typename } }`,
      { s: "//evil.example/revoke" },
    );
    expectRefused(res, "VALIDATION_FAILED");
  });
});

const HOSTILE_UUIDS: [string, string][] = [
  ["a traversal", "../profile"],
  ["a valid UUID followed by a traversal", `${PROFILE_IDS.webServer}/../../certificate`],
  ["a valid UUID with a query", `${PROFILE_IDS.webServer}?limit=1000`],
  ["percent-encoding", "2bd34fba%2Ffac7-4d59-b6c5-29a0b2b2435d"],
  ["surrounding spaces", ` ${PROFILE_IDS.webServer} `],
  ["a host", "//evil.example"],
];

describe("profile UUIDs: every hostile form is VALIDATION_FAILED before any upstream call", () => {
  it.each(HOSTILE_UUIDS)("profile(id) refuses %s", async (_name, value) => {
    const res = await stack.gql(`query($id: ID!) { profile(id: $id) { name } }`, { id: value });
    expectRefused(res, "VALIDATION_FAILED");
  });

  it("requestCertificate(input.profileId) refuses a traversal; nothing is issued", async () => {
    const res = await stack.gql(
      `mutation($p: ID!, $csr: String!) { requestCertificate(input: { profileId: $p, seatId: "ops@example.com", csr: $csr }) { __typename } }`,
      { p: `${PROFILE_IDS.webServer}/../x`, csr },
    );
    expectRefused(res, "VALIDATION_FAILED");
  });

  it("pickupCertificate(input.profileId) refuses a host", async () => {
    const res = await stack.gql(
      `mutation($p: ID!) { pickupCertificate(input: { requestId: "abc", profileId: $p }) { __typename } }`,
      { p: "//evil.example/x" },
    );
    expectRefused(res, "VALIDATION_FAILED");
  });

  it("certificates(filter.profileId) refuses a traversal", async () => {
    const res = await stack.gql(`query($p: ID!) { certificates(filter: { profileId: $p }) { totalCount } }`, {
      p: "../../../etc/passwd",
    });
    expectRefused(res, "VALIDATION_FAILED");
  });
});

const PICKUP = `mutation($r: String!) {
  pickupCertificate(input: { requestId: $r, profileId: "${PROFILE_IDS.approval}" }) {
    __typename ... on ValidationError { field } ... on Error { code }
  }
}`;

describe("pickup request ids: a ValidationError on input.requestId, no poll upstream", () => {
  it.each([
    ["a dot-dot segment", ".."],
    ["a single dot", "."],
    ["a slash", "a/b"],
    ["an encoded slash", "%2F"],
    ["65 characters", "a".repeat(65)],
    ["a leading dash", "-abc"],
    ["a query", "abc?x=1"],
    ["unicode", "ａｂｃ"],
    ["the empty string", ""],
  ])("refuses %s", async (_name, value) => {
    const res = await stack.gql<{ pickupCertificate: Record<string, unknown> }>(PICKUP, { r: value });
    expect(res.errors).toBeUndefined();
    expectValidationResult(res.data?.pickupCertificate, "input.requestId");
  });
});

const NODE = `query($id: ID!) { node(id: $id) { id } }`;
const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("global node ids: forged ids are refused before any upstream call", () => {
  it.each([
    ["Certificate with a traversal", b64("Certificate:../x"), "VALIDATION_FAILED"],
    ["Certificate with a host", b64("Certificate://evil.example/x"), "VALIDATION_FAILED"],
    ["Certificate with an empty serial", b64("Certificate:"), "VALIDATION_FAILED"],
    ["Profile that is not a UUID", b64("Profile:not-a-uuid"), "VALIDATION_FAILED"],
    ["Profile with a traversal", b64(`Profile:${PROFILE_IDS.webServer}/../x`), "VALIDATION_FAILED"],
    ["an unknown type name", b64("Secret:1"), "VALIDATION_FAILED"],
    ["an id that is not base64 at all", "../../../etc/passwd", "VALIDATION_FAILED"],
  ] as const)("node refuses %s", async (_name, id, code) => {
    expectRefused(await stack.gql(NODE, { id }), code);
  });
});

describe("search filters and other strings", () => {
  it.each([
    ["seatId", "control characters", "ops@example.com\r\nx-api-key: x"],
    ["seatId", "256 characters", "s".repeat(256)],
    ["seatId", "the empty string", ""],
    ["commonName", "control characters", "host\u0000.example.com"],
    ["commonName", "a newline", "host.example.com\nstatus=revoked"],
    ["commonName", "256 characters", "c".repeat(256)],
  ])("certificates(filter.%s) refuses %s with VALIDATION_FAILED", async (field, _name, value) => {
    const res = await stack.gql(`query($f: CertificateFilter!) { certificates(filter: $f) { totalCount } }`, {
      f: { [field]: value },
    });
    expectRefused(res, "VALIDATION_FAILED");
    expect(res.errors?.[0]?.extensions?.field).toBe(`filter.${field}`);
  });

  it("certificates(filter.thumbprint) refuses anything but 64 hex characters", async () => {
    const res = await stack.gql(`{ certificates(filter: { thumbprint: "../../x" }) { totalCount } }`);
    expectRefused(res, "VALIDATION_FAILED");
    expect(res.errors?.[0]?.extensions?.field).toBe("filter.thumbprint");
  });

  it("a forged pagination cursor is VALIDATION_FAILED naming `after`", async () => {
    for (const after of [b64("OffsetConnection:-1"), b64("../../x"), "A".repeat(100)]) {
      const res = await stack.gql(`query($a: String!) { certificates(first: 1, after: $a) { totalCount } }`, {
        a: after,
      });
      expectRefused(res, "VALIDATION_FAILED");
      expect(res.errors?.[0]?.extensions?.field).toBe("after");
    }
  });

  it("requestCertificate(input.seatId) with control characters is a ValidationError; nothing is issued", async () => {
    const res = await stack.gql<{ requestCertificate: Record<string, unknown> }>(
      `mutation($csr: String!) { requestCertificate(input: { profileId: "${PROFILE_IDS.webServer}", seatId: "ops@example.com\\r\\nx: y", csr: $csr }) { __typename ... on ValidationError { field } ... on Error { code } } }`,
      { csr },
    );
    expectValidationResult(res.data?.requestCertificate, "input.seatId");
  });

  it("an idempotency key with a traversal is a ValidationError; nothing is issued", async () => {
    const res = await stack.gql<{ requestCertificate: Record<string, unknown> }>(
      `mutation($csr: String!) { requestCertificate(input: { profileId: "${PROFILE_IDS.webServer}", seatId: "ops@example.com", csr: $csr, idempotencyKey: "../../x" }) { __typename ... on ValidationError { field } ... on Error { code } } }`,
      { csr },
    );
    expectValidationResult(res.data?.requestCertificate, "input.idempotencyKey");
  });

  it("revocation comments with control characters are a ValidationError; nothing is revoked", async () => {
    const res = await stack.gql<{ revokeCertificate: Record<string, unknown> }>(
      `mutation { revokeCertificate(input: { serialNumber: "ABCDEF01", reason: UNSPECIFIED, comments: "bye\\u0000\\u001b[2J" }) { __typename ... on ValidationError { field } ... on Error { code } } }`,
    );
    expectValidationResult(res.data?.revokeCertificate, "input.comments");
  });
});
