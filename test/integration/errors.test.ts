import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, RESTRICTED_API_KEY } from "../../simulator/index.js";
import { generateCsr, tamperedCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

const REQUEST = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename
    ... on CertificateIssued { serialNumber }
    ... on CertificatePending { requestId profileId }
    ... on ValidationError { field }
    ... on ProfileNotFoundError { profileId }
    ... on UpstreamUnavailableError { retryAfterSeconds }
    ... on Error { code message }
  }
}`;

type Result = { __typename: string; code?: string; field?: string; message?: string; [k: string]: unknown };

async function request(stack: Stack, input: Record<string, unknown>) {
  const csr = (input.csr as string | undefined) ?? (await generateCsr({ subject: "CN=svc.example.com" })).pem;
  const res = await stack.gql<{ requestCertificate: Result }>(REQUEST, {
    input: { profileId: PROFILE_IDS.webServer, seatId: "ops@example.com", ...input, csr },
  });
  expect(res.errors).toBeUndefined();
  return res.data!.requestCertificate;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ simulator: { pickupDelayMs: 300 } });
});
afterAll(async () => {
  await stack?.close();
});
afterEach(() => stack.simulator.clearFaults());

describe("errors of the TLM tutorial surface as typed results", () => {
  it("401: DigiCert rejecting the gateway's key is UpstreamAuthenticationError", async () => {
    const bad = await startStack({ credentials: { kind: "apiKey", apiKey: "wrong-key" } });
    try {
      const result = await request(bad, {});
      expect(result).toMatchObject({
        __typename: "UpstreamAuthenticationError",
        code: "UPSTREAM_UNAUTHENTICATED",
      });
      expect(result.message).not.toContain("wrong-key");
    } finally {
      await bad.close();
    }
  });

  it("403: a profile the key may not use is ProfileNotFoundError", async () => {
    const restricted = await startStack({ credentials: { kind: "apiKey", apiKey: RESTRICTED_API_KEY } });
    try {
      const result = await request(restricted, { profileId: PROFILE_IDS.ecdsaDevice });
      expect(result).toMatchObject({
        __typename: "ProfileNotFoundError",
        profileId: PROFILE_IDS.ecdsaDevice,
      });
    } finally {
      await restricted.close();
    }
  });

  it("403: an unknown profile is ProfileNotFoundError", async () => {
    const result = await request(stack, { profileId: "00000000-0000-4000-8000-000000000000" });
    expect(result.__typename).toBe("ProfileNotFoundError");
  });

  it("400 invalid_input_field: a missing mandatory SAN is a ValidationError naming the input field", async () => {
    const result = await request(stack, {
      profileId: PROFILE_IDS.strictSubject,
      subject: { commonName: "svc.example.com", organizationName: "Example", country: "US" },
    });
    expect(result).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(result.field).toBe("input.subjectAltNames.emails");
  });

  it("400 invalid_input_field: a key size the profile refuses is an InvalidCsrError", async () => {
    const csr = (await generateCsr({ key: { kind: "RSA", bits: 1024 } })).pem;
    const result = await request(stack, { csr });
    expect(result).toMatchObject({ __typename: "InvalidCsrError", code: "INVALID_CSR" });
  });

  it("400 duplicate_error: a second certificate where the profile allows one is DuplicateCertificateError", async () => {
    const input = {
      profileId: PROFILE_IDS.noDuplicates,
      subject: { commonName: "only-one.example.com" },
    };
    expect((await request(stack, input)).__typename).toBe("CertificateIssued");
    const second = await request(stack, input);
    expect(second).toMatchObject({ __typename: "DuplicateCertificateError", code: "DUPLICATE_CERTIFICATE" });
  });
});

describe("bad input is refused before any upstream call", () => {
  it("an invalid serial number makes zero upstream requests", async () => {
    stack.simulator.resetCounters();
    const res = await stack.gql(
      `{ certificate(serialNumber: "../../mpki/api/v1/profile") { serialNumber } }`,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    const res2 = await stack.gql(`{ certificate(serialNumber: "${"A".repeat(41)}") { serialNumber } }`);
    expect(res2.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("an invalid profile id or global id makes zero upstream requests", async () => {
    stack.simulator.resetCounters();
    const res = await stack.gql(`{ profile(id: "not-a-uuid") { name } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    const forged = Buffer.from("Certificate:../x").toString("base64");
    const node = await stack.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: forged });
    expect(node.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a CSR with a broken signature, two CSRs, or a bad field changes nothing upstream", async () => {
    stack.simulator.resetCounters();
    const { pem } = await generateCsr();
    expect((await request(stack, { csr: await tamperedCsr() })).__typename).toBe("InvalidCsrError");
    expect((await request(stack, { csr: pem + pem })).__typename).toBe("InvalidCsrError");
    const bad = await request(stack, { subjectAltNames: { dnsNames: ["no spaces.example.com"] } });
    expect(bad).toMatchObject({ __typename: "ValidationError", field: "input.subjectAltNames.dnsNames[0]" });
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a malformed search filter is a VALIDATION_FAILED error naming its field, with zero upstream requests", async () => {
    stack.simulator.resetCounters();
    for (const [filter, field] of [
      [`{ thumbprint: "abc" }`, "filter.thumbprint"],
      [`{ authorityKeyIdentifier: "not hex" }`, "filter.authorityKeyIdentifier"],
      [`{ issuingCaId: "../../x" }`, "filter.issuingCaId"],
      [`{ status: ISSUED, statuses: [REVOKED] }`, "filter.statuses"],
    ]) {
      const res = await stack.gql(`{ certificates(first: 5, filter: ${filter}) { totalCount } }`);
      expect(res.errors?.[0]?.extensions, filter).toMatchObject({ code: "VALIDATION_FAILED", field });
    }
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a page size over 100 is a VALIDATION_FAILED error naming `first`", async () => {
    stack.simulator.resetCounters();
    const res = await stack.gql(`{ certificates(first: 101) { totalCount } }`);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "first" });
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});

describe("approval: pending, then pickup", () => {
  it("returns a pending request, then the same request until approved, then the certificate", async () => {
    const pending = await request(stack, {
      profileId: PROFILE_IDS.approval,
      subject: { commonName: "wait.example.com" },
    });
    expect(pending).toMatchObject({ __typename: "CertificatePending", profileId: PROFILE_IDS.approval });
    const pickup = `mutation($r: String!, $p: ID!) {
      pickupCertificate(input: { requestId: $r, profileId: $p }) {
        __typename
        ... on CertificatePending { requestId }
        ... on CertificateIssued { serialNumber certificate { status commonName } }
        ... on Error { code }
      }
    }`;
    const vars = { r: pending.requestId, p: PROFILE_IDS.approval };
    const early = await stack.gql<{ pickupCertificate: Result }>(pickup, vars);
    expect(early.data?.pickupCertificate).toEqual({
      __typename: "CertificatePending",
      requestId: pending.requestId,
    });
    await new Promise((r) => setTimeout(r, 350));
    const late = await stack.gql<{ pickupCertificate: Result }>(pickup, vars);
    expect(late.data?.pickupCertificate).toMatchObject({
      __typename: "CertificateIssued",
      certificate: { status: "ISSUED", commonName: "wait.example.com" },
    });
  });

  it("an unknown request id is RequestNotFoundError", async () => {
    const res = await stack.gql<{ pickupCertificate: Result }>(
      `mutation { pickupCertificate(input: { requestId: "6a1f7c3e-0000-4000-8000-000000000000", profileId: "${PROFILE_IDS.approval}" }) { __typename ... on Error { code } } }`,
    );
    expect(res.data?.pickupCertificate).toEqual({
      __typename: "RequestNotFoundError",
      code: "REQUEST_NOT_FOUND",
    });
  });
});

describe("renewal", () => {
  it("renews inside the window with a new serial, and refuses outside it", async () => {
    const issued = await request(stack, { validity: { unit: "DAYS", duration: 10 } });
    const long = await request(stack, { validity: { unit: "DAYS", duration: 200 } });
    const renew = `mutation($s: SerialNumber!, $csr: String!) {
      renewCertificate(input: { serialNumber: $s, csr: $csr }) {
        __typename ... on CertificateIssued { serialNumber certificate { commonName } } ... on Error { code }
      }
    }`;
    const csr = (await generateCsr({ subject: "CN=svc.example.com" })).pem;
    const ok = await stack.gql<{ renewCertificate: Result }>(renew, { s: issued.serialNumber, csr });
    expect(ok.data?.renewCertificate.__typename).toBe("CertificateIssued");
    expect(ok.data?.renewCertificate.serialNumber).not.toBe(issued.serialNumber);
    const refused = await stack.gql<{ renewCertificate: Result }>(renew, { s: long.serialNumber, csr });
    expect(refused.data?.renewCertificate).toEqual({
      __typename: "RenewalNotAllowedError",
      code: "RENEWAL_NOT_ALLOWED",
    });
    const missing = await stack.gql<{ renewCertificate: Result }>(renew, { s: "ABCDEF0123", csr });
    expect(missing.data?.renewCertificate).toEqual({
      __typename: "CertificateNotFoundError",
      code: "CERTIFICATE_NOT_FOUND",
    });
  });
});

describe("revoke and resume", () => {
  const REVOKE = `mutation($s: SerialNumber!) {
    revokeCertificate(input: { serialNumber: $s, reason: SUPERSEDED }) {
      __typename ... on ValidationError { field } ... on Error { code }
    }
  }`;

  it("a 422 on revoke is a ValidationError on the serial, never RenewalNotAllowedError", async () => {
    const issued = await request(stack, {});
    stack.simulator.injectFault({
      route: "PUT /mpki/api/v1/certificate/:serial/revoke",
      kind: "status",
      status: 422,
      times: 1,
    });
    const res = await stack.gql<{ revokeCertificate: Result }>(REVOKE, { s: issued.serialNumber });
    expect(res.data?.revokeCertificate).toEqual({
      __typename: "ValidationError",
      field: "input.serialNumber",
      code: "VALIDATION_FAILED",
    });
  });

  it("resuming an unknown certificate is CertificateNotFoundError", async () => {
    const res = await stack.gql<{ resumeCertificate: Result }>(
      `mutation { resumeCertificate(input: { serialNumber: "ABCDEF0123" }) { __typename ... on Error { code } } }`,
    );
    expect(res.data?.resumeCertificate).toEqual({
      __typename: "CertificateNotFoundError",
      code: "CERTIFICATE_NOT_FOUND",
    });
  });

  it("a connection reset on resume is outcome unknown, and the DELETE is sent exactly once", async () => {
    stack.simulator.resetCounters();
    stack.simulator.injectFault({
      route: "DELETE /mpki/api/v1/certificate/:serial/revoke",
      kind: "reset",
      times: 1,
    });
    const res = await stack.gql<{ resumeCertificate: Result }>(
      `mutation { resumeCertificate(input: { serialNumber: "ABCDEF0123" }) { __typename ... on Error { code } } }`,
    );
    expect(res.data?.resumeCertificate).toEqual({
      __typename: "UpstreamOutcomeUnknownError",
      code: "UPSTREAM_OUTCOME_UNKNOWN",
    });
    expect(stack.simulator.requestCount("DELETE /mpki/api/v1/certificate/:serial/revoke")).toBe(1);
  });
});

describe("upstream faults", () => {
  it("a 429 on a read is an UPSTREAM_UNAVAILABLE error with retryAfterSeconds", async () => {
    stack.simulator.injectFault({
      route: "GET /mpki/api/v1/certificate-search",
      kind: "status",
      status: 429,
      retryAfterSeconds: 4,
    });
    const res = await stack.gql(`{ certificates(first: 1) { totalCount } }`);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryAfterSeconds: 4 });
    expect(res.errors?.[0]?.message).not.toContain("127.0.0.1");
  });

  it("a 503 on issue is UpstreamUnavailableError: DigiCert did nothing", async () => {
    stack.simulator.injectFault({
      route: "POST /mpki/api/v1/certificate",
      kind: "status",
      status: 503,
      times: 1,
    });
    const result = await request(stack, {});
    expect(result).toMatchObject({ __typename: "UpstreamUnavailableError", code: "UPSTREAM_UNAVAILABLE" });
  });

  it("a connection reset on issue is outcome unknown, and the POST is sent exactly once", async () => {
    stack.simulator.resetCounters();
    stack.simulator.injectFault({ route: "POST /mpki/api/v1/certificate", kind: "reset", times: 1 });
    const result = await request(stack, {});
    expect(result).toMatchObject({
      __typename: "UpstreamOutcomeUnknownError",
      code: "UPSTREAM_OUTCOME_UNKNOWN",
    });
    expect(stack.simulator.requestCount("POST /mpki/api/v1/certificate")).toBe(1);
  });

  it("a 500 on issue is outcome unknown, not failure", async () => {
    stack.simulator.injectFault({
      route: "POST /mpki/api/v1/certificate",
      kind: "status",
      status: 500,
      times: 1,
    });
    expect((await request(stack, {})).__typename).toBe("UpstreamOutcomeUnknownError");
  });

  it("an unexpected failure inside the gateway is masked, with no internals", async () => {
    stack.simulator.injectFault({ route: "GET /mpki/api/v1/certificate/:serial", kind: "reset" });
    const res = await stack.gql(`{ certificate(serialNumber: "ABCDEF") { serialNumber } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(JSON.stringify(res)).not.toMatch(/127\.0\.0\.1|mpki|ECONNRESET|UND_ERR/);
  });
});
