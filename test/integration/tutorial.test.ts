import { createHash } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

// The TLM tutorial (shared/digicert-docs) end to end, through GraphQL only, against both documented forms of the
// details' `certificate`: PEM (the tutorial) and bare base64 DER (the published spec's example).

const CERTIFICATE_FIELDS = `
  id serialNumber status commonName validFrom validTo thumbprint pem seat { seatId }
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

describe.each(["pem", "base64"] as const)("the TLM tutorial through GraphQL, details in %s", (encoding) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ simulator: { certificateEncoding: encoding } });
  });
  afterAll(async () => {
    await stack?.close();
  });

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
    expect(c.seat).toEqual({ seatId: "ops@example.com" });
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
          ... on CertificateRevoked { serialNumber certificate { status revocation { reason revokedAt comments } } }
          ... on Error { code message }
        }
      }`,
      { s: serialNumber },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.revokeCertificate.__typename).toBe("CertificateRevoked");
    expect(res.data?.revokeCertificate.certificate.status).toBe("REVOKED");
    expect(res.data?.revokeCertificate.certificate.revocation.reason).toBe("KEY_COMPROMISE");
    // DigiCert's revoke takes the reason only: the deprecated comments argument is not sent.
    expect(res.data?.revokeCertificate.certificate.revocation.comments).toBeNull();

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

  it("reads what DigiCert reports beyond the tutorial's basics: notes, template, issuing CA, account", async () => {
    const res = await stack.gql<{ certificates: { edges: { node: Record<string, any> }[] } }>(
      `{ certificates(first: 3, filter: { commonName: "host-000.example.com" }) { edges { node {
        serialNumber notes templateName issuingCaName issuingCaId accountId securityRating businessUnit { businessUnitId name }
      } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.certificates.edges).toHaveLength(1);
    for (const { node } of res.data!.certificates.edges) {
      expect(node).toMatchObject({
        notes: "Seeded by the DigiCert ONE simulator",
        templateName: "TLS Server",
        issuingCaName: "DigiCert ONE Simulator Intermediate CA",
        issuingCaId: new x509.X509Certificate(
          stack.simulator.intermediateCertificatePem,
        ).serialNumber.toUpperCase(),
        accountId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        securityRating: null,
        businessUnit: { businessUnitId: expect.any(String), name: expect.any(String) },
      });
    }
  });

  it("finds the certificates expiring in the next 30 days in one query, one upstream call per page", async () => {
    type Page = {
      certificates: { totalCount: number; edges: { node: { status: string; validTo: string } }[] };
    };
    const all = await stack.gql<Page>(`{ certificates(first: 1) { totalCount } }`);
    const bound = new Date(Date.now() + 30 * 86_400_000);
    stack.simulator.resetCounters();
    const soon = await stack.gql<Page>(
      `query($before: DateTime!) { certificates(first: 100, filter: { expiresBefore: $before }) {
        totalCount edges { node { status validTo } }
      } }`,
      { before: bound.toISOString() },
    );
    expect(soon.errors).toBeUndefined();
    expect(stack.simulator.requestCounts()).toEqual({ "GET /mpki/api/v1/certificate-search": 1 });
    const { totalCount, edges } = soon.data!.certificates;
    expect(totalCount).toBeGreaterThan(0);
    expect(totalCount).toBeLessThan(all.data!.certificates.totalCount);
    expect(edges).toHaveLength(Math.min(totalCount, 100));
    for (const { node } of edges) expect(Date.parse(node.validTo)).toBeLessThanOrEqual(bound.getTime());
    // Still valid, expiring soon: the same bound with statuses [ISSUED].
    const valid = await stack.gql<Page>(
      `query($before: DateTime!) { certificates(first: 100, filter: { expiresBefore: $before, statuses: [ISSUED] }) {
        totalCount edges { node { status validTo } }
      } }`,
      { before: bound.toISOString() },
    );
    expect(valid.data!.certificates.totalCount).toBeLessThan(totalCount);
    for (const { node } of valid.data!.certificates.edges) {
      expect(node.status).toBe("ISSUED");
      expect(Date.parse(node.validTo)).toBeGreaterThan(Date.now());
    }
  });

  it("filters by seat type, business unit, issued-after, issuing CA and its key identifier", async () => {
    type Page = { certificates: { totalCount: number; edges: { node: Record<string, any> }[] } };
    const count = async (filter: string, variables: Record<string, unknown> = {}, declared = "") => {
      const res = await stack.gql<Page>(
        `query${declared} { certificates(first: 100, filter: ${filter}) {
          totalCount edges { node { validFrom profile { profileId } businessUnit { name } pem } }
        } }`,
        variables,
      );
      expect(res.errors, filter).toBeUndefined();
      return res.data!.certificates;
    };
    const all = await count("{}");
    const devices = await count("{ seatType: DEVICE_SEAT }");
    expect(devices.totalCount).toBeGreaterThan(0);
    expect(devices.totalCount).toBeLessThan(all.totalCount);
    for (const { node } of devices.edges) expect(node.profile.profileId).toBe(PROFILE_IDS.ecdsaDevice);
    const iot = await count(`{ businessUnitName: "IoT Operations" }`);
    expect(iot.totalCount).toBe(devices.totalCount);
    const since = new Date(Date.now() - 10 * 86_400_000);
    const recent = await count("{ issuedAfter: $d }", { d: since.toISOString() }, "($d: DateTime!)");
    expect(recent.totalCount).toBeLessThan(all.totalCount);
    for (const { node } of recent.edges)
      expect(Date.parse(node.validFrom)).toBeGreaterThanOrEqual(since.getTime() - 1000);
    const intermediate = new x509.X509Certificate(stack.simulator.intermediateCertificatePem);
    const leaf = new x509.X509Certificate(all.edges[0]!.node.pem);
    const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!;
    const byCa = await count(
      "{ issuingCaSerialNumber: $s, authorityKeyIdentifier: $a }",
      { s: intermediate.serialNumber, a: aki.match(/../g)!.join(":") },
      "($s: SerialNumber!, $a: String!)",
    );
    expect(byCa.totalCount).toBe(all.totalCount);
    const otherCa = await count(`{ authorityKeyIdentifier: "00112233" }`);
    expect(otherCa.totalCount).toBe(0);
  });

  it("suspends with CERTIFICATE_HOLD, then resumes, and refuses to resume a certificate that is not on hold", async () => {
    const csr = await generateCsr({ subject: "CN=hold.example.com" });
    const issued = await stack.gql<{ requestCertificate: { serialNumber: string } }>(
      `mutation($csr: String!) { requestCertificate(input: {
        profileId: "${PROFILE_IDS.webServer}", seatId: "ops@example.com", csr: $csr, subject: { commonName: "hold.example.com" }
      }) { ... on CertificateIssued { serialNumber } } }`,
      { csr: csr.pem },
    );
    const s = issued.data!.requestCertificate.serialNumber;
    const hold = await stack.gql<{ revokeCertificate: Record<string, any> }>(
      `mutation($s: SerialNumber!) { revokeCertificate(input: { serialNumber: $s, reason: CERTIFICATE_HOLD }) {
        __typename ... on CertificateRevoked { certificate { status } }
      } }`,
      { s },
    );
    expect(hold.data?.revokeCertificate).toEqual({
      __typename: "CertificateRevoked",
      certificate: { status: "SUSPENDED" },
    });
    const resume = `mutation($s: SerialNumber!) { resumeCertificate(input: { serialNumber: $s }) {
      __typename
      ... on CertificateResumed { serialNumber certificate { status revocation { reason } } }
      ... on ValidationError { field }
      ... on Error { code }
    } }`;
    const resumed = await stack.gql<{ resumeCertificate: Record<string, any> }>(resume, { s });
    expect(resumed.data?.resumeCertificate).toEqual({
      __typename: "CertificateResumed",
      serialNumber: s,
      certificate: { status: "ISSUED", revocation: null },
    });
    const again = await stack.gql<{ resumeCertificate: Record<string, any> }>(resume, { s });
    expect(again.data?.resumeCertificate).toEqual({
      __typename: "ValidationError",
      field: "input.serialNumber",
      code: "VALIDATION_FAILED",
    });
  });

  it("shows the tutorial's sample profile: sources, fixed values, delivery format, escrow, custom EKUs", async () => {
    const res = await stack.gql<{ profile: Record<string, any> }>(
      `{ profile(id: "${PROFILE_IDS.tutorialSample}") {
        deliveryFormat duplicateCertificatesAllowed renewalWindowDays automatedRenewal customExtendedKeyUsages
        keyEscrow { enabled deploymentMode dualAdminRecovery }
        subjectAttributes { type mandatory sources { source mandatory fixedValue } }
        subjectAltNameAttributes { type mandatory }
      } }`,
    );
    expect(res.errors).toBeUndefined();
    const profile = res.data!.profile;
    expect(profile).toMatchObject({
      deliveryFormat: "PKCS7",
      duplicateCertificatesAllowed: false,
      renewalWindowDays: 30,
      automatedRenewal: true,
      customExtendedKeyUsages: ["1.2.840.113583.1.1.7"],
      keyEscrow: { enabled: true, deploymentMode: "CLOUD", dualAdminRecovery: true },
    });
    const attribute = (type: string) =>
      profile.subjectAttributes.find((a: { type: string }) => a.type === type);
    expect(attribute("domain_component")).toMatchObject({ mandatory: true });
    expect(attribute("street_address").sources).toContainEqual({
      source: "FIXED_VALUE",
      mandatory: true,
      fixedValue: "20 Cooper Square",
    });
    expect(profile.subjectAltNameAttributes.map((a: { type: string }) => a.type)).toContain(
      "user_principal_names",
    );
  });

  it("requests on the sample profile with every subject attribute, UPN, registered ids, other names, PKCS#7 and tags", async () => {
    const host = `sample-${encoding}.example.com`;
    const csr = await generateCsr({ subject: `CN=${host}` });
    const res = await stack.gql<{ requestCertificate: Record<string, any> }>(
      `mutation($input: RequestCertificateInput!) { requestCertificate(input: $input) {
        __typename
        ... on CertificateIssued {
          serialNumber deliveryFormat pem pkcs7
          certificate { x509 { subject { attributes { oid value } } subjectAltNames { type value } extendedKeyUsage { oid } } }
        }
        ... on ValidationError { field message }
        ... on Error { code message }
      } }`,
      {
        input: {
          profileId: PROFILE_IDS.tutorialSample,
          seatId: "ellen.ripley@example.com",
          csr: csr.pem,
          deliveryFormat: "PKCS7",
          tags: ["tutorial", encoding],
          subject: {
            commonName: host,
            domainComponents: ["example", "com"],
            country: "US",
            locality: "Carson city",
            state: "NV",
            postalCode: "89714",
            uniqueIdentifier: "3a3aeb976040eed5c5d3bfb6143b7814",
            serialNumber: "E-4099",
            descriptions: ["some", "description"],
            unstructuredNames: ["unstructured name"],
            title: "Warrant Officer",
            givenName: "Ellen",
            surname: "Ripley",
          },
          subjectAltNames: {
            emails: ["ellen.ripley@example.com"],
            userPrincipalNames: ["ellen.ripley@example.com"],
            registeredIds: ["1.2.3.4.5"],
            otherNames: {
              guids: ["{6ba7b810-9dad-11d1-80b4-00c04fd430c8}"],
              raw: [{ oid: "1.2.3.4.5.0", values: [{ label: "CA ID for Canada", value: "CA:id/urn" }] }],
            },
          },
        },
      },
    );
    expect(res.errors).toBeUndefined();
    const result = res.data!.requestCertificate;
    expect(result).toMatchObject({ __typename: "CertificateIssued", deliveryFormat: "PKCS7", pem: null });
    const bundle = new x509.X509Certificates();
    bundle.import(result.pkcs7);
    expect(bundle.map((c) => c.serialNumber.toUpperCase())).toContain(result.serialNumber);
    const parsed = result.certificate.x509;
    const values = (oid: string) =>
      parsed.subject.attributes
        .filter((a: { oid: string }) => a.oid === oid)
        .map((a: { value: string }) => a.value);
    expect(values("0.9.2342.19200300.100.1.25")).toEqual(["example", "com"]);
    expect(values("2.5.4.9")).toEqual(["20 Cooper Square"]); // the profile's FIXED_VALUE
    expect(values("2.5.4.5")).toEqual(["E-4099"]);
    expect(values("2.5.4.13")).toEqual(["some", "description"]);
    expect(values("2.5.4.12")).toEqual(["Warrant Officer"]);
    expect(values("2.5.4.45")).toHaveLength(1);
    expect(parsed.subjectAltNames).toEqual(
      expect.arrayContaining([
        { type: "EMAIL", value: "ellen.ripley@example.com" },
        { type: "UPN", value: "ellen.ripley@example.com" },
        { type: "OTHER", value: "registeredID:1.2.3.4.5" },
        { type: "OTHER", value: "guid:6ba7b810-9dad-11d1-80b4-00c04fd430c8" },
      ]),
    );
    expect(parsed.extendedKeyUsage.map((e: { oid: string }) => e.oid)).toContain("1.2.840.113583.1.1.7");
  });
});
