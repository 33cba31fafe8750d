import { createHash } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

// The TLM tutorial (shared/digicert-docs) end to end, through GraphQL only.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const CERTIFICATE_FIELDS = `
  id serialNumber status commonName validFrom validTo thumbprint pem seat { id }
  profile { profileId name }
  revocation { reason revokedAt }
  x509 {
    serialNumber
    subject { dn commonName attributes { type value } }
    issuer { dn commonName }
    subjectAltNames { type value }
    publicKey { algorithm size curve }
    signatureAlgorithm sha1Fingerprint sha256Fingerprint
    keyUsage extendedKeyUsage { oid name } basicConstraints { ca pathLength }
    notBefore notAfter daysUntilExpiry
  }`;

describe("the TLM tutorial through GraphQL", () => {
  let serialNumber = "";
  let csrKeys: CryptoKeyPair;

  it("1. lists profiles", async () => {
    const res = await stack.gql<{
      profiles: { edges: { node: { profileId: string; enrollmentMethod: string } }[] };
    }>(
      "{ profiles(first: 50) { edges { node { id profileId name status enrollmentMethod allowedKeySizes } } } }",
    );
    expect(res.errors).toBeUndefined();
    const ids = res.data?.profiles.edges.map((e) => e.node.profileId);
    expect(ids).toContain(PROFILE_IDS.webServer);
  });

  it("2-3. generates a key and CSR here, and requests a certificate", async () => {
    const csr = await generateCsr({
      subject: "CN=api.example.com, O=Example, C=US",
      key: { kind: "RSA", bits: 2048 },
    });
    csrKeys = csr.keys;
    const res = await stack.gql<{
      requestCertificate: { __typename: string; serialNumber: string; pem: string };
    }>(
      `mutation($input: RequestCertificateInput!) {
        requestCertificate(input: $input) {
          __typename
          ... on CertificateIssued { serialNumber pem }
          ... on Error { code message }
        }
      }`,
      {
        input: {
          profileId: PROFILE_IDS.webServer,
          seatId: "ops@example.com",
          csr: csr.pem,
          subject: { commonName: "api.example.com" },
          subjectAltNames: { dnsNames: ["api.example.com", "www.example.com"], ipAddresses: ["192.0.2.10"] },
          validity: { unit: "DAYS", duration: 20 },
        },
      },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.requestCertificate.__typename).toBe("CertificateIssued");
    serialNumber = res.data!.requestCertificate.serialNumber;
    expect(serialNumber).toMatch(/^[0-9A-F]{1,40}$/);
    expect(res.data?.requestCertificate.pem).toContain("BEGIN CERTIFICATE");
  });

  it("4. reads the certificate by serial number, and its x509 fields match the CSR", async () => {
    const res = await stack.gql<{ certificate: Record<string, any> }>(
      `query($s: SerialNumber!) { certificate(serialNumber: $s) { ${CERTIFICATE_FIELDS} } }`,
      { s: serialNumber.toLowerCase() },
    );
    expect(res.errors).toBeUndefined();
    const c = res.data!.certificate;
    expect(c.serialNumber).toBe(serialNumber);
    expect(c.status).toBe("ISSUED");
    expect(c.commonName).toBe("api.example.com");
    expect(c.seat).toEqual({ id: "ops@example.com" });
    expect(c.profile.profileId).toBe(PROFILE_IDS.webServer);
    const x = c.x509;
    expect(x.serialNumber).toBe(serialNumber);
    expect(x.subject.commonName).toBe("api.example.com");
    expect(x.subjectAltNames).toEqual(
      expect.arrayContaining([
        { type: "DNS", value: "api.example.com" },
        { type: "DNS", value: "www.example.com" },
        { type: "IP", value: "192.0.2.10" },
      ]),
    );
    expect(x.publicKey).toEqual({ algorithm: "RSA", size: 2048, curve: null });
    expect(x.keyUsage).toContain("DIGITAL_SIGNATURE");
    expect(x.extendedKeyUsage.map((e: { name: string }) => e.name)).toContain("serverAuth");
    expect(x.basicConstraints.ca).toBe(false);
    expect(x.daysUntilExpiry).toBeGreaterThanOrEqual(18);
    expect(x.daysUntilExpiry).toBeLessThanOrEqual(20);
    expect(x.issuer.dn).not.toBe(x.subject.dn);
    // The certified key is the CSR's key, and the fingerprints are over the DER.
    const cert = new x509.X509Certificate(c.pem);
    const spki = Buffer.from(await crypto.subtle.exportKey("spki", csrKeys.publicKey));
    expect(Buffer.from(cert.publicKey.rawData).equals(spki)).toBe(true);
    const der = Buffer.from(cert.rawData);
    expect(x.sha256Fingerprint).toBe(createHash("sha256").update(der).digest("hex").toUpperCase());
    expect(x.sha1Fingerprint).toBe(createHash("sha1").update(der).digest("hex").toUpperCase());
    expect(c.thumbprint).toBe(x.sha256Fingerprint);
  });

  it("5. fetches the chain and the PKCS#7 only when selected", async () => {
    stack.simulator.resetCounters();
    await stack.gql(`query($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber } }`, {
      s: serialNumber,
    });
    expect(stack.simulator.requestCount("GET /mpki/api/v1/certificate/:serial/additional-formats")).toBe(0);

    const res = await stack.gql<{ certificate: { chain: any[]; pkcs7: string } }>(
      `query($s: SerialNumber!) { certificate(serialNumber: $s) {
        chain { commonName pem x509 { subject { commonName } issuer { commonName } basicConstraints { ca } selfSigned } }
        pkcs7
      } }`,
      { s: serialNumber },
    );
    expect(res.errors).toBeUndefined();
    const { chain, pkcs7 } = res.data!.certificate;
    expect(chain).toHaveLength(3);
    expect(chain[0].x509.subject.commonName).toBe("api.example.com");
    expect(chain[0].x509.issuer.commonName).toBe(chain[1].x509.subject.commonName);
    expect(chain[1].x509.basicConstraints.ca).toBe(true);
    expect(chain[2].x509.selfSigned).toBe(true);
    // chain and pkcs7 share one additional-formats call.
    expect(stack.simulator.requestCount("GET /mpki/api/v1/certificate/:serial/additional-formats")).toBe(1);
    const bundle = new x509.X509Certificates();
    bundle.import(pkcs7);
    expect(bundle).toHaveLength(3);
    expect(bundle.map((cert) => cert.serialNumber.toUpperCase())).toContain(serialNumber);
  });

  it("6. revokes the certificate, then sees it revoked", async () => {
    const res = await stack.gql<{ revokeCertificate: Record<string, any> }>(
      `mutation($s: SerialNumber!) {
        revokeCertificate(input: { serialNumber: $s, reason: KEY_COMPROMISE, comments: "key leaked" }) {
          __typename
          ... on CertificateRevoked { serialNumber certificate { status revocation { reason revokedAt } } }
          ... on Error { code message }
        }
      }`,
      { s: serialNumber },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.revokeCertificate.__typename).toBe("CertificateRevoked");
    expect(res.data?.revokeCertificate.certificate.status).toBe("REVOKED");
    expect(res.data?.revokeCertificate.certificate.revocation.reason).toBe("KEY_COMPROMISE");

    const again = await stack.gql<{ revokeCertificate: { __typename: string; code: string } }>(
      `mutation($s: SerialNumber!) {
        revokeCertificate(input: { serialNumber: $s, reason: SUPERSEDED }) { __typename ... on Error { code } }
      }`,
      { s: serialNumber },
    );
    expect(again.data?.revokeCertificate).toEqual({
      __typename: "AlreadyRevokedError",
      code: "ALREADY_REVOKED",
    });
  });

  it("finds the same certificate again through its global id", async () => {
    const first = await stack.gql<{ certificate: { id: string } }>(
      `query($s: SerialNumber!) { certificate(serialNumber: $s) { id } }`,
      { s: serialNumber },
    );
    const id = first.data!.certificate.id;
    const res = await stack.gql<{ node: { __typename: string; serialNumber: string } }>(
      `query($id: ID!) { node(id: $id) { __typename ... on Certificate { serialNumber } } }`,
      { id },
    );
    expect(res.data?.node).toEqual({ __typename: "Certificate", serialNumber });
  });
});
