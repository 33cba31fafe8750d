import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, type Simulator, startSimulator } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { startTamperProxy, type Tamper, type TamperProxy } from "../helpers/tamper-proxy.js";
import { type Gateway, type GqlBody, post, startGateway } from "../security/helpers.js";

// Shapes a real tenant may send, shown to the gateway by a proxy in front of the simulator: one unreadable value
// fails that value alone, and an issued certificate is never reported as a failure.

let simulator: Simulator;
let proxy: TamperProxy;
let gateway: Gateway;

function gql(query: string, variables?: Record<string, unknown>): Promise<GqlBody> {
  return post(gateway.url, query, variables, { token: gateway.token }).then((res) => res.json!);
}

/** Rewrites the JSON answer of `method path` (route as the simulator's router sees it, a RegExp on the path). */
function on(method: string, path: RegExp, rewrite: (json: any) => unknown): Tamper {
  return (call, json, status) =>
    call.method === method && path.test(call.path) && status < 300 ? rewrite(json) : undefined;
}

const REQUEST = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename
    ... on CertificateIssued { serialNumber deliveryFormat pem certificate { serialNumber status x509 { serialNumber } } }
    ... on CertificatePending { requestId }
    ... on Error { code message }
  }
}`;

async function requestCertificate(commonName: string): Promise<GqlBody> {
  const csr = (await generateCsr({ subject: `CN=${commonName}` })).pem;
  return gql(REQUEST, {
    input: { profileId: PROFILE_IDS.webServer, seatId: "ops@example.com", csr, subject: { commonName } },
  });
}

const ISSUE = /^\/mpki\/api\/v1\/certificate$/;

describe.each(["pem", "base64"] as const)("certificate details in %s", (encoding) => {
  beforeAll(async () => {
    simulator = await startSimulator({
      seedCertificates: 12,
      logger: false,
      pickupDelayMs: 0,
      certificateEncoding: encoding,
    });
    proxy = await startTamperProxy(simulator.url);
    gateway = await startGateway({ upstreamUrl: proxy.url });
  });
  afterAll(async () => {
    await gateway?.close();
    await proxy?.close();
    await simulator?.close();
  });
  afterEach(() => proxy.setTamper(null));

  describe("issuing: DigiCert answered 2xx, so the certificate is never lost", () => {
    it("requestCertificate returns CertificateIssued with its serial when DigiCert's answer carries an unparseable certificate", async () => {
      let issuedSerial = "";
      proxy.setTamper(
        on("POST", ISSUE, (json) => {
          issuedSerial = json.serial_number;
          return { ...json, certificate: "-----BEGIN CERTIFICATE-----\nMIIB this is cut" };
        }),
      );
      const res = await requestCertificate("unparseable.example.com");
      const result = res.data?.requestCertificate;
      expect(result.__typename).toBe("CertificateIssued");
      expect(result.serialNumber).toBe(issuedSerial);
      expect(result.deliveryFormat).toBe("X509");
      // Only the unreadable text is null, with a coded error; the details DigiCert serves for the serial stand.
      expect(result.pem).toBeNull();
      expect(res.errors?.map((e) => [e.path?.join("."), e.extensions?.code])).toEqual([
        ["requestCertificate.pem", "UPSTREAM_INVALID_RESPONSE"],
      ]);
      expect(result.certificate).toMatchObject({ serialNumber: issuedSerial, status: "ISSUED" });
      expect(result.certificate.x509.serialNumber).toBe(issuedSerial);
    });

    it("returns CertificateIssued with the serial DigiCert wrote with colons, and no certificate at all", async () => {
      let issuedSerial = "";
      proxy.setTamper(
        on("POST", ISSUE, (json) => {
          issuedSerial = json.serial_number;
          return { serial_number: json.serial_number.match(/../g).join(":").toLowerCase() };
        }),
      );
      const result = (await requestCertificate("colons.example.com")).data?.requestCertificate;
      expect(result).toMatchObject({ __typename: "CertificateIssued", serialNumber: issuedSerial });
    });

    it("reports a 2xx naming neither a serial nor a request as UpstreamOutcomeUnknownError, never a plain failure", async () => {
      proxy.setTamper(on("POST", ISSUE, (json) => ({ status: "ISSUED", certificate: json.certificate })));
      const res = await requestCertificate("nothing.example.com");
      expect(res.errors).toBeUndefined();
      expect(res.data?.requestCertificate).toMatchObject({
        __typename: "UpstreamOutcomeUnknownError",
        code: "UPSTREAM_OUTCOME_UNKNOWN",
      });
    });

    it("pickupCertificate returns the issued serial whatever else of the answer is unreadable", async () => {
      const csr = (await generateCsr({ subject: "CN=approval.example.com" })).pem;
      const pending = await gql(REQUEST, {
        input: { profileId: PROFILE_IDS.approval, seatId: "ops@example.com", csr },
      });
      const requestId = pending.data?.requestCertificate.requestId;
      expect(requestId).toBeTruthy();
      proxy.setTamper(
        on("POST", /^\/mpki\/api\/v1\/certificate-pickup\//, (json) => ({ ...json, certificate: 17 })),
      );
      const res = await gql(
        `mutation($r: String!, $p: ID!) { pickupCertificate(input: { requestId: $r, profileId: $p }) {
          __typename ... on CertificateIssued { serialNumber certificate { commonName } } ... on Error { code }
        } }`,
        { r: requestId, p: PROFILE_IDS.approval },
      );
      expect(res.data?.pickupCertificate).toMatchObject({
        __typename: "CertificateIssued",
        certificate: { commonName: "approval.example.com" },
      });
      expect(res.data?.pickupCertificate.serialNumber).toMatch(/^[0-9A-F]+$/);
    });
  });

  const CERTIFICATES = `{ certificates(first: 6) {
    totalCount
    edges { node { serialNumber commonName templateName pem x509 { serialNumber } } }
  } }`;

  describe("a certificates page: one unreadable item never sinks its neighbours", () => {
    it("one unreadable item leaves the rest of a certificates page intact", async () => {
      proxy.setTamper(
        on("GET", /^\/mpki\/api\/v1\/certificate-search$/, (json) => {
          json.items[1].certificate = "not a certificate!"; // neither PEM nor base64
          delete json.items[2].certificate; // "if issued": absent
          json.items[3].certificate = "MIIBtruncatedbase64AAAA"; // base64, but not a certificate
          return json;
        }),
      );
      const res = await gql(CERTIFICATES);
      const edges = res.data?.certificates.edges as { node: any }[];
      expect(edges).toHaveLength(6);
      expect(res.data?.certificates.totalCount).toBeGreaterThanOrEqual(12);
      for (const [index, { node }] of edges.entries()) {
        expect(node.serialNumber, `item ${index}`).toMatch(/^[0-9A-F]+$/);
        expect(node.commonName, `item ${index}`).toBeTruthy();
        expect(node.templateName, `item ${index}`).toBeTruthy();
        if (index >= 1 && index <= 3) expect(node.x509, `item ${index}`).toBeNull();
        else expect(node.x509.serialNumber).toBe(node.serialNumber);
      }
      expect(edges[3]!.node.pem).toContain("BEGIN CERTIFICATE");
      const failed = (res.errors ?? []).map((e) => [e.path?.join("."), e.extensions?.code]);
      expect(failed).toEqual(
        expect.arrayContaining([
          ["certificates.edges.1.node.pem", "UPSTREAM_INVALID_RESPONSE"],
          ["certificates.edges.1.node.x509", "UPSTREAM_INVALID_RESPONSE"],
          ["certificates.edges.2.node.pem", "UPSTREAM_INVALID_RESPONSE"],
          ["certificates.edges.2.node.x509", "UPSTREAM_INVALID_RESPONSE"],
          ["certificates.edges.3.node.x509", "UPSTREAM_INVALID_RESPONSE"],
        ]),
      );
      expect(failed).toHaveLength(5);
      expect(JSON.stringify(res.errors)).not.toMatch(/not a certificate|MIIBtruncated|127\.0\.0\.1/);
    });

    it("one unreadable chain entry nulls that entry's x509 alone", async () => {
      const serial = (await gql(`{ certificates(first: 1) { edges { node { serialNumber } } } }`)).data
        ?.certificates.edges[0].node.serialNumber;
      proxy.setTamper(
        on("GET", /\/additional-formats$/, (json) => {
          json.x509_cert_chain[1].cert_blob = "(withheld)";
          return json;
        }),
      );
      const res = await gql(
        `query($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber chain { commonName pem x509 { selfSigned } } } }`,
        { s: serial },
      );
      const chain = res.data?.certificate.chain;
      expect(chain).toHaveLength(3);
      expect(chain[0].x509).not.toBeNull();
      expect(chain[1]).toEqual({ commonName: expect.any(String), pem: "(withheld)", x509: null });
      expect(chain[2].x509.selfSigned).toBe(true);
      expect(res.errors?.map((e) => [e.path?.join("."), e.extensions?.code])).toEqual([
        ["certificate.chain.1.x509", "UPSTREAM_INVALID_RESPONSE"],
      ]);
    });
  });

  describe("profiles: an enveloped list reads, an unreadable one is a coded error", () => {
    const PROFILES = `{ profiles(first: 50) { edges { node { profileId name } } } }`;

    it("reads a v2 profile list wrapped in an envelope", async () => {
      proxy.setTamper(
        on("GET", /^\/mpki\/api\/v2\/profile$/, (json) => ({ items: json, total: json.length })),
      );
      const res = await gql(PROFILES);
      expect(res.errors).toBeUndefined();
      expect(res.data?.profiles.edges.map((e: any) => e.node.profileId)).toContain(PROFILE_IDS.webServer);
    });

    it("answers a list it cannot read with UPSTREAM_INVALID_RESPONSE, never a masked internal error", async () => {
      proxy.setTamper(on("GET", /^\/mpki\/api\/v2\/profile$/, () => ({ unexpected: { shape: true } })));
      const res = await gql(PROFILES);
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_INVALID_RESPONSE"]);
      expect(res.errors?.[0]?.message).not.toBe("Unexpected error.");
    });
  });
});
