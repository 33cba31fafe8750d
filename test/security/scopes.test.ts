import "reflect-metadata";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PROFILE_IDS, type Simulator } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { codes, type Gateway, post, smallSimulator, startGateway } from "./helpers.js";

let simulator: Simulator;
let gw: Gateway;
/** An issued certificate of the Web Server profile (tenant "default"). */
let serial: string;
let readOnly: string;
let writeOnly: string;
let noScopes: string;

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

beforeAll(async () => {
  simulator = await smallSimulator();
  gw = await startGateway({ upstreamUrl: simulator.url });
  readOnly = await gw.sign({ scope: "certificates:read" });
  writeOnly = await gw.sign({ scope: "certificates:write" });
  noScopes = await gw.sign({ scope: "" });
  const found = await post(
    gw.url,
    `{ certificates(first: 1, filter: { profileId: "${PROFILE_IDS.webServer}", status: ISSUED }) { edges { node { serialNumber } } } }`,
    undefined,
    { token: gw.token },
  );
  serial = found.json!.data!.certificates.edges[0].node.serialNumber;
});
afterAll(async () => {
  await gw?.close();
  await simulator?.close();
});
beforeEach(() => simulator.resetCounters());

function forbiddenAt(body: { errors?: { path?: unknown[]; extensions?: Record<string, any> }[] }) {
  return (body.errors ?? [])
    .filter((e) => e.extensions?.code === "FORBIDDEN")
    .map((e) => (e.path ?? []).join("."));
}

async function statusOf(serialNumber: string) {
  const res = await post(gw.url, `{ certificate(serialNumber: "${serialNumber}") { status } }`, undefined, {
    token: gw.token,
  });
  return res.json?.data?.certificate?.status as string | undefined;
}

describe("without certificates:read, each read field is FORBIDDEN and DigiCert is never called", () => {
  it("certificate is FORBIDDEN while the sibling __typename still resolves (partial data)", async () => {
    const res = await post(
      gw.url,
      `{ __typename certificate(serialNumber: "${serial}") { serialNumber pem } }`,
      undefined,
      { token: writeOnly },
    );
    expect(res.status).toBe(200);
    expect(res.json?.data).toEqual({ __typename: "Query", certificate: null });
    expect(forbiddenAt(res.json!)).toEqual(["certificate"]);
    expect(res.text).not.toContain("BEGIN CERTIFICATE");
    expect(simulator.requestCounts()).toEqual({});
  });

  it("certificates (a non-null connection) is FORBIDDEN, and nothing is searched", async () => {
    const res = await post(gw.url, `{ certificates(first: 5) { totalCount } }`, undefined, {
      token: writeOnly,
    });
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(forbiddenAt(res.json!)).toEqual(["certificates"]);
    expect(res.json?.data ?? null).toBeNull();
    expect(simulator.requestCounts()).toEqual({});
  });

  it("profiles is FORBIDDEN, and nothing is listed", async () => {
    const res = await post(gw.url, `{ profiles(first: 5) { edges { node { name } } } }`, undefined, {
      token: writeOnly,
    });
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(forbiddenAt(res.json!)).toEqual(["profiles"]);
    expect(simulator.requestCounts()).toEqual({});
  });

  it("profile is FORBIDDEN while __typename resolves", async () => {
    const res = await post(
      gw.url,
      `{ __typename profile(id: "${PROFILE_IDS.webServer}") { name } }`,
      undefined,
      { token: writeOnly },
    );
    expect(res.json?.data).toEqual({ __typename: "Query", profile: null });
    expect(forbiddenAt(res.json!)).toEqual(["profile"]);
    expect(simulator.requestCounts()).toEqual({});
  });

  it("node(id) of a Certificate is FORBIDDEN without loading it from DigiCert", async () => {
    const res = await post(
      gw.url,
      `query($id: ID!) { __typename node(id: $id) { id ... on Certificate { serialNumber pem } } }`,
      { id: globalId("Certificate", serial) },
      { token: writeOnly },
    );
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(res.json?.data).toEqual({ __typename: "Query", node: null });
    expect(res.text).not.toContain("BEGIN CERTIFICATE");
    expect(simulator.requestCounts()).toEqual({});
  });

  it("node(id) of a Profile is FORBIDDEN without loading it from DigiCert", async () => {
    const res = await post(
      gw.url,
      `query($id: ID!) { node(id: $id) { id ... on Profile { name } } }`,
      { id: globalId("Profile", PROFILE_IDS.webServer) },
      { token: writeOnly },
    );
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(simulator.requestCounts()).toEqual({});
  });

  it("node(id) answers an existing and a missing certificate alike (no existence oracle)", async () => {
    const query = `query($id: ID!) { node(id: $id) { id } }`;
    // The same request id on both: everything else in the two answers must be equal.
    const headers = { "x-request-id": "oracle-check" };
    const existing = await post(
      gw.url,
      query,
      { id: globalId("Certificate", serial) },
      { token: writeOnly, headers },
    );
    const missing = await post(
      gw.url,
      query,
      { id: globalId("Certificate", "ABCDEF0123") },
      { token: writeOnly, headers },
    );
    expect(existing.json).toEqual(missing.json);
    expect(codes(existing.json)).toEqual(["FORBIDDEN"]);
  });

  it("a token with no scope at all gets FORBIDDEN on every read field", async () => {
    const res = await post(
      gw.url,
      `{ __typename certificate(serialNumber: "${serial}") { serialNumber } profile(id: "${PROFILE_IDS.webServer}") { name } }`,
      undefined,
      { token: noScopes },
    );
    expect(res.json?.data).toEqual({ __typename: "Query", certificate: null, profile: null });
    expect(forbiddenAt(res.json!).sort()).toEqual(["certificate", "profile"]);
    expect(simulator.requestCounts()).toEqual({});
  });

  it("scopes match exactly: Certificates:Read or certificates:readx grant nothing", async () => {
    for (const scope of ["Certificates:Read", "certificates:readx", "certificates:*", "*"]) {
      const token = await gw.sign({ scope });
      const res = await post(
        gw.url,
        `{ certificate(serialNumber: "${serial}") { serialNumber } }`,
        undefined,
        {
          token,
        },
      );
      expect(codes(res.json), scope).toEqual(["FORBIDDEN"]);
    }
    expect(simulator.requestCounts()).toEqual({});
  });
});

describe("without certificates:write, each mutation is FORBIDDEN and nothing changes upstream", () => {
  it("requestCertificate is FORBIDDEN and issues nothing", async () => {
    const cn = `scope-${Date.now()}.example.com`;
    const { pem } = await generateCsr({ subject: `CN=${cn}` });
    const res = await post(
      gw.url,
      `mutation($input: RequestCertificateInput!) { requestCertificate(input: $input) { __typename } }`,
      { input: { profileId: PROFILE_IDS.webServer, seatId: "ops@example.com", csr: pem } },
      { token: readOnly },
    );
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(res.json?.data ?? null).toBeNull();
    expect(simulator.requestCount("POST /mpki/api/v1/certificate")).toBe(0);
    expect(simulator.requestCounts()).toEqual({});
    const search = await post(
      gw.url,
      `query($cn: String!) { certificates(filter: { commonName: $cn }) { totalCount } }`,
      { cn },
      { token: gw.token },
    );
    expect(search.json?.data?.certificates.totalCount).toBe(0);
  });

  it("renewCertificate is FORBIDDEN and renews nothing", async () => {
    const { pem } = await generateCsr();
    const res = await post(
      gw.url,
      `mutation($s: SerialNumber!, $csr: String!) { renewCertificate(input: { serialNumber: $s, csr: $csr }) { __typename } }`,
      { s: serial, csr: pem },
      { token: readOnly },
    );
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(simulator.requestCounts()).toEqual({});
  });

  it("pickupCertificate is FORBIDDEN and polls nothing", async () => {
    const res = await post(
      gw.url,
      `mutation { pickupCertificate(input: { requestId: "6a1f7c3e-0000-4000-8000-000000000000", profileId: "${PROFILE_IDS.approval}" }) { __typename } }`,
      undefined,
      { token: readOnly },
    );
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(simulator.requestCounts()).toEqual({});
  });

  it("revokeCertificate is FORBIDDEN and the certificate stays ISSUED", async () => {
    const res = await post(
      gw.url,
      `mutation { revokeCertificate(input: { serialNumber: "${serial}", reason: KEY_COMPROMISE }) { __typename } }`,
      undefined,
      { token: readOnly },
    );
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(simulator.requestCounts()).toEqual({});
    expect(await statusOf(serial)).toBe("ISSUED");
  });

  it("four mutations in one document: the first FORBIDDEN ends the (serial) execution, none reaching DigiCert", async () => {
    const { pem } = await generateCsr();
    const res = await post(
      gw.url,
      `mutation($csr: String!) {
        a: requestCertificate(input: { profileId: "${PROFILE_IDS.webServer}", seatId: "ops@example.com", csr: $csr }) { __typename }
        b: renewCertificate(input: { serialNumber: "${serial}", csr: $csr }) { __typename }
        c: pickupCertificate(input: { requestId: "r-1", profileId: "${PROFILE_IDS.approval}" }) { __typename }
        d: revokeCertificate(input: { serialNumber: "${serial}", reason: UNSPECIFIED }) { __typename }
      }`,
      { csr: pem },
      { token: noScopes },
    );
    // Mutation fields run one after another; a non-null field failing nulls `data` and stops the rest.
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(res.json?.errors?.[0]?.path).toEqual(["a"]);
    expect(res.json?.data ?? null).toBeNull();
    expect(simulator.requestCounts()).toEqual({});
    expect(await statusOf(serial)).toBe("ISSUED");
  });
});

describe("scp claims", () => {
  it("an scp array grants exactly its scopes", async () => {
    const token = await gw.sign({ scp: ["certificates:read"] }, { omit: ["scope"] });
    const read = await post(
      gw.url,
      `{ certificate(serialNumber: "${serial}") { serialNumber } }`,
      undefined,
      {
        token,
      },
    );
    expect(read.json?.errors).toBeUndefined();
    expect(read.json?.data?.certificate.serialNumber).toBe(serial);
    simulator.resetCounters();
    const write = await post(
      gw.url,
      `mutation { revokeCertificate(input: { serialNumber: "${serial}", reason: UNSPECIFIED }) { __typename } }`,
      undefined,
      { token },
    );
    expect(codes(write.json)).toEqual(["FORBIDDEN"]);
    expect(simulator.requestCounts()).toEqual({});
  });

  it("an scp array with non-string members ignores them", async () => {
    const token = await gw.sign({ scp: [{ scope: "certificates:read" }, 7, null] }, { omit: ["scope"] });
    const res = await post(gw.url, `{ certificate(serialNumber: "${serial}") { serialNumber } }`, undefined, {
      token,
    });
    expect(codes(res.json)).toEqual(["FORBIDDEN"]);
    expect(simulator.requestCounts()).toEqual({});
  });
});
