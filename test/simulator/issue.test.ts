import { readFileSync } from "node:fs";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, RESTRICTED_API_KEY, type Simulator, startSimulator } from "../../simulator/index.js";
import { api, issueBody, makeCsr, PKCS7_PEM, uniqueHost } from "./helpers.js";

let sim: Simulator;
let root: x509.X509Certificate;
let intermediate: x509.X509Certificate;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 20 });
  root = new x509.X509Certificate(sim.rootCertificatePem);
  intermediate = new x509.X509Certificate(sim.intermediateCertificatePem);
});

afterAll(async () => {
  await sim.close();
});

const ISSUE = "/mpki/api/v1/certificate";

async function issue(body: unknown, apiKey?: string) {
  return api(sim, ISSUE, { body, apiKey });
}

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function daysBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / 86_400_000);
}

describe("issuing a certificate", () => {
  it("accepts the tutorial's shape with everything under profile and answers 201 with a PEM", async () => {
    const host = uniqueHost("tutorial");
    const result = await issue({
      profile: {
        id: PROFILE_IDS.webServer,
        seat: { id: "user@example.com" },
        csr: await makeCsr({
          key: "rsa2048",
          subject: "C=US, ST=Utah, L=Lehi, O=DigiCert Inc, CN=ignored.example.com",
        }),
        attributes: { subject: { common_name: host } },
      },
    });
    expect(result.status).toBe(201);
    expect(Object.keys(result.json).sort()).toEqual(["certificate", "delivery_format", "serial_number"]);
    expect(result.json.delivery_format).toBe("x509");
    expect(pemBlocks(result.json.certificate)).toHaveLength(1);
    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(certificate.subjectName.getField("CN")).toEqual([host]);
    expect(certificate.subjectName.getField("O")).toEqual(["DigiCert Inc"]);
    expect(certificate.subjectName.getField("C")).toEqual(["US"]);
    expect(certificate.subjectName.getField("ST")).toEqual(["Utah"]);
  });

  it('accepts the spec/Terraform shape with include_ca_chain as the string "true"', async () => {
    const host = uniqueHost("spec");
    const result = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr(), host, {
        include_ca_chain: "true",
        delivery_format: "x509",
      }),
    );
    expect(result.status).toBe(201);
    const blocks = pemBlocks(result.json.certificate);
    expect(blocks).toHaveLength(3);
    expect(new x509.X509Certificate(blocks[1]!).subject).toBe(intermediate.subject);
    expect(new x509.X509Certificate(blocks[2]!).subject).toBe(root.subject);
  });

  it("issues a real X.509 certificate from the intermediate with TLM's extensions and serial format", async () => {
    const host = uniqueHost("contents");
    const result = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr({ key: "rsa2048" }), host, {
        attributes: {
          subject: { common_name: host, organization_name: "Example Corp" },
          extensions: { san: { dns_names: [host, `www.${host}`], ip_addresses: ["10.1.2.3"] } },
        },
      }),
    );
    expect(result.status).toBe(201);
    const serial: string = result.json.serial_number;
    expect(serial).toMatch(/^[0-9A-F]+$/);
    expect(serial.length).toBeGreaterThanOrEqual(32);
    expect(serial.length).toBeLessThanOrEqual(40);
    expect(Number.parseInt(serial[0]!, 16)).toBeLessThan(8);

    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(certificate.serialNumber.toUpperCase()).toBe(serial);
    expect(certificate.issuer).toBe(intermediate.subject);
    expect(await certificate.verify({ publicKey: intermediate.publicKey, signatureOnly: true })).toBe(true);
    expect(await intermediate.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    expect(await root.isSelfSigned()).toBe(true);
    expect(certificate.signatureAlgorithm.name).toBe("ECDSA");

    const basic = certificate.getExtension(x509.BasicConstraintsExtension)!;
    expect(basic.ca).toBe(false);
    expect(basic.critical).toBe(true);
    const keyUsage = certificate.getExtension(x509.KeyUsagesExtension)!;
    expect(keyUsage.critical).toBe(true);
    expect(keyUsage.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    const san = certificate.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.toJSON()).toEqual([
      { type: "dns", value: host },
      { type: "dns", value: `www.${host}` },
      { type: "ip", value: "10.1.2.3" },
    ]);
    const subjectKeyId = certificate.getExtension(x509.SubjectKeyIdentifierExtension)!;
    const expectedKeyId = await x509.SubjectKeyIdentifierExtension.create(certificate.publicKey);
    expect(subjectKeyId.keyId).toBe(expectedKeyId.keyId);
    const authorityKeyId = certificate.getExtension(x509.AuthorityKeyIdentifierExtension)!;
    expect(authorityKeyId.keyId).toBe(intermediate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    expect(certificate.subjectName.getField("O")).toEqual(["Example Corp"]);
    expect(daysBetween(certificate.notBefore, certificate.notAfter)).toBe(365);
  });

  it("builds a CA hierarchy with pathLen 0 on the intermediate and a 20-year root", async () => {
    const basic = intermediate.getExtension(x509.BasicConstraintsExtension)!;
    expect(basic.ca).toBe(true);
    expect(basic.pathLength).toBe(0);
    expect(root.subject).toBe("C=US, O=digicert-graphql-gateway, CN=DigiCert ONE Simulator Root CA");
    expect(daysBetween(root.notBefore, root.notAfter)).toBeGreaterThan(365 * 20);
    expect(intermediate.notAfter.getTime()).toBeLessThan(root.notAfter.getTime());
  });

  it("uses only digitalSignature for EC keys and puts the common name in a DNS SAN when none is asked for", async () => {
    const host = uniqueHost("ec");
    const result = await issue(issueBody(PROFILE_IDS.webServer, await makeCsr({ key: "p384" }), host));
    expect(result.status).toBe(201);
    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(certificate.getExtension(x509.KeyUsagesExtension)!.usages).toBe(
      x509.KeyUsageFlags.digitalSignature,
    );
    expect(certificate.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()).toEqual([
      { type: "dns", value: host },
    ]);
  });

  it("takes SANs from the CSR's extension request when the request has none", async () => {
    const host = uniqueHost("csr-san");
    const csr = await makeCsr({
      sans: [
        { type: "dns", value: host },
        { type: "ip", value: "192.0.2.7" },
      ],
    });
    const result = await issue(issueBody(PROFILE_IDS.webServer, csr, host));
    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(certificate.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON()).toEqual([
      { type: "dns", value: host },
      { type: "ip", value: "192.0.2.7" },
    ]);
  });

  it("honours a request validity where the profile allows override and ignores it where it does not", async () => {
    const overridden = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr(), uniqueHost("short"), {
        validity: { unit: "days", duration: 10 },
      }),
    );
    const short = new x509.X509Certificate(overridden.json.certificate);
    expect(daysBetween(short.notBefore, short.notAfter)).toBe(10);

    const device = await issue(
      issueBody(PROFILE_IDS.ecdsaDevice, await makeCsr(), "sensor-1.iot.example.com", {
        validity: { unit: "years", duration: 3 },
      }),
    );
    expect(device.status).toBe(201);
    const ninetyDays = new x509.X509Certificate(device.json.certificate);
    expect(daysBetween(ninetyDays.notBefore, ninetyDays.notAfter)).toBe(90);
    expect(ninetyDays.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    expect(ninetyDays.subjectName.getField("O")).toEqual(["Example IoT Devices"]);
  });

  it("never issues past the intermediate's notAfter", async () => {
    const result = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr(), uniqueHost("long"), {
        validity: { unit: "years", duration: 50 },
      }),
    );
    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(certificate.notAfter.getTime()).toBeLessThanOrEqual(intermediate.notAfter.getTime());
  });

  it("accepts a bare base64 DER line and the NEW CERTIFICATE REQUEST label", async () => {
    const pem = await makeCsr();
    const bare = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
    const legacy = pem.replaceAll("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
    for (const csr of [bare, legacy, pem.replaceAll("\n", "")]) {
      const result = await issue(issueBody(PROFILE_IDS.webServer, csr, uniqueHost("forms")));
      expect(result.status).toBe(201);
    }
  });

  it("delivers a PKCS#7 bundle when delivery_format is pkcs7", async () => {
    const result = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr(), uniqueHost("p7"), {
        delivery_format: "PKCS7",
        include_ca_chain: true,
      }),
    );
    expect(result.json.delivery_format).toBe("pkcs7");
    expect(result.json.certificate).toMatch(PKCS7_PEM);
    expect(new x509.X509Certificates(result.json.certificate)).toHaveLength(3);
  });

  it("lets the restricted key issue on Web Server TLS only", async () => {
    const allowed = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr(), uniqueHost("r")),
      RESTRICTED_API_KEY,
    );
    expect(allowed.status).toBe(201);
    const denied = await issue(
      issueBody(PROFILE_IDS.ecdsaDevice, await makeCsr(), "device.example.com"),
      RESTRICTED_API_KEY,
    );
    expect(denied.status).toBe(403);
    expect(denied.json.errors[0].code).toBe("no_access");
  });
});

describe("every subject attribute and SAN kind TLM's request takes (the tutorial's sample profile)", () => {
  const SAMPLE = PROFILE_IDS.tutorialSample;
  const subject = (host: string) => ({
    common_name: host,
    domain_component: ["example", "com"],
    country: "US",
    locality: "Carson city",
    state: "NV",
    postal_code: "89714",
    serial_number: "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5",
    unique_identifier: "3a3aeb976040eed5c5d3bfb6143b7814",
    description: ["some", "description"],
    unstructured_name: ["some large and", "unstructured name"],
    unstructured_address: ["Some", "address"],
    pseudonym: "Ripley",
    user_identifier: "eripley",
    dn_qualifier: "q1",
    title: "Warrant Officer",
    given_name: "Ellen",
    surname: "Ripley",
    organization_identifier: "NTRUS-123",
  });
  // S1's request example's SANs.
  const san = {
    emails: ["seat-email@example.com"],
    user_principal_names: ["ellen.ripley@digicert.com"],
    registered_ids: ["1.2.3.4.5", "1.2.3.4.6"],
    other_names: {
      guid: [
        "b4f5dc26-63f3-4157-83f5-729992ab10c0",
        "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
        "0x30313233343536373839616263646566",
      ],
      raw_other_names: [
        {
          oid: "1.2.3.4.5.0",
          values: [
            { label: "CA ID for Canada", value: "CA:id/urn" },
            { label: "Known quantity", value: 28 },
          ],
        },
      ],
    },
  };

  function sanNames(certificate: x509.X509Certificate): { tag: number; oid?: string; text?: string }[] {
    const extension = certificate.getExtension("2.5.29.17")!;
    const names = asn1js.fromBER(extension.value).result as asn1js.Sequence;
    return names.valueBlock.value.map((name) => {
      const tag = name.idBlock.tagNumber;
      if (tag !== 0) return { tag };
      const [oid, value] = (name as asn1js.Constructed).valueBlock.value;
      const inner = (value as asn1js.Constructed | undefined)?.valueBlock.value[0];
      return {
        tag,
        oid: (oid as asn1js.ObjectIdentifier).valueBlock.toString(),
        ...(inner instanceof asn1js.Utf8String ? { text: inner.valueBlock.value } : {}),
      };
    });
  }

  it("issues with domain components, the profile's fixed street address and every other subject attribute", async () => {
    const host = uniqueHost("sample");
    const result = await issue(
      issueBody(SAMPLE, await makeCsr(), host, {
        attributes: { subject: subject(host), extensions: { san } },
      }),
    );
    expect(result.status, result.text).toBe(201);
    const certificate = new x509.X509Certificate(result.json.certificate);
    const name = certificate.subjectName;
    expect(name.getField("0.9.2342.19200300.100.1.25")).toEqual(["example", "com"]);
    expect(name.getField("2.5.4.9")).toEqual(["20 Cooper Square"]);
    expect(name.getField("2.5.4.5")).toEqual(["4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5"]);
    expect(name.getField("2.5.4.13")).toEqual(["some", "description"]);
    expect(name.getField("2.5.4.12")).toEqual(["Warrant Officer"]);
    expect(name.getField("2.5.4.42")).toEqual(["Ellen"]);
    expect(name.getField("2.5.4.4")).toEqual(["Ripley"]);
    expect(name.getField("2.5.4.97")).toEqual(["NTRUS-123"]);
    // x500UniqueIdentifier is a BIT STRING of the hex value's bytes.
    const uid = name.toJSON().find((rdn) => "2.5.4.45" in rdn)!["2.5.4.45"]![0];
    expect(String(uid)).toContain("3a3aeb976040eed5c5d3bfb6143b7814");
    const typed = certificate.getExtension(x509.SubjectAlternativeNameExtension)!.names.toJSON();
    expect(typed).toEqual(
      expect.arrayContaining([
        { type: "email", value: "seat-email@example.com" },
        { type: "upn", value: "ellen.ripley@digicert.com" },
        { type: "id", value: "1.2.3.4.5" },
        { type: "id", value: "1.2.3.4.6" },
        { type: "guid", value: "b4f5dc26-63f3-4157-83f5-729992ab10c0" },
        { type: "guid", value: "6ba7b810-9dad-11d1-80b4-00c04fd430c8" },
        { type: "guid", value: "30313233-3435-3637-3839-616263646566" },
      ]),
    );
    // The raw other name: an otherName of its OID (the library does not decode it, so read the DER).
    expect(sanNames(certificate)).toContainEqual({
      tag: 0,
      oid: "1.2.3.4.5.0",
      text: "CA ID for Canada=CA:id/urn; Known quantity=28",
    });
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toContain(
      "1.2.840.113583.1.1.7",
    );
    const details = await api(sim, `/mpki/api/v1/certificate/${result.json.serial_number}`);
    expect(details.json.subject).toMatchObject({
      domain_component: "example, com",
      street_address: "20 Cooper Square",
    });
  });

  it("takes UPNs and registered ids from the CSR when the request sends no SANs", async () => {
    const host = uniqueHost("sample-csr");
    const csr = await makeCsr({
      sans: [
        { type: "email", value: "csr@example.com" },
        { type: "upn", value: "csr.user@example.com" },
        { type: "id", value: "1.3.6.1.4.1.99" },
      ],
    });
    const result = await issue(issueBody(SAMPLE, csr, host, { attributes: { subject: subject(host) } }));
    expect(result.status, result.text).toBe(201);
    const names = new x509.X509Certificate(result.json.certificate)
      .getExtension(x509.SubjectAlternativeNameExtension)!
      .names.toJSON();
    expect(names).toEqual(
      expect.arrayContaining([
        { type: "upn", value: "csr.user@example.com" },
        { type: "id", value: "1.3.6.1.4.1.99" },
      ]),
    );
  });

  it("keeps the request's tags with the certificate and shows them in its details", async () => {
    const host = uniqueHost("tags");
    const result = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr(), host, { tags: ["web", "prod"] }),
    );
    expect(result.status).toBe(201);
    const details = await api(sim, `/mpki/api/v1/certificate/${result.json.serial_number}`);
    expect(details.json.tags).toEqual(["web", "prod"]);
  });

  it("requires the sample profile's mandatory domain component", async () => {
    const host = uniqueHost("no-dc");
    const { domain_component: _dc, ...rest } = subject(host);
    const result = await issue(
      issueBody(SAMPLE, await makeCsr(), host, { attributes: { subject: rest, extensions: { san } } }),
    );
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({
      code: "invalid_input_field",
      field: "attributes.subject.domain_component",
    });
  });

  it.each([
    [{ user_principal_names: ["nobody"] }, "attributes.extensions.san.user_principal_names"],
    [{ registered_ids: ["1.2.x"] }, "attributes.extensions.san.registered_ids"],
    [{ other_names: { guid: ["nope"] } }, "attributes.extensions.san.other_names.guid"],
    [
      { other_names: { raw_other_names: [{ oid: "x", values: [] }] } },
      "attributes.extensions.san.other_names.raw_other_names.oid",
    ],
    [{ other_names: "guid" }, "attributes.extensions.san.other_names"],
  ])("answers 400 for the SAN value %j naming %s", async (extra, field) => {
    const host = uniqueHost("bad-san");
    const result = await issue(
      issueBody(SAMPLE, await makeCsr(), host, {
        attributes: { subject: subject(host), extensions: { san: { emails: ["a@example.com"], ...extra } } },
      }),
    );
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field });
  });

  it.each([["prod"], [["ok", 7]], [["bad\ttab"]]])("answers 400 naming tags for tags %j", async (tags) => {
    const result = await issue(
      issueBody(PROFILE_IDS.webServer, await makeCsr(), uniqueHost("bad-tags"), { tags }),
    );
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "tags" });
  });

  it("accepts the tutorial's request body verbatim, with only its two placeholders filled", async () => {
    const body = JSON.parse(
      readFileSync(new URL("../fixtures/digicert-docs/tlm-issue-request.json", import.meta.url), "utf8"),
    );
    expect(body.profile.id).toBe("PROFILE_ID");
    body.profile.id = PROFILE_IDS.webServer;
    body.profile.csr = await makeCsr({ key: "rsa2048" });
    const result = await issue(body);
    expect(result.status).toBe(201);
    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(certificate.subjectName.getField("CN")).toEqual(["example.com"]);
  });
});

describe("issue validation", () => {
  async function expectField(body: unknown, field: string, message?: RegExp) {
    const result = await issue(body);
    expect(result.status).toBe(400);
    expect(result.headers["content-type"]).toMatch(/^application\/json/);
    expect(result.json.errors).toHaveLength(1);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field });
    if (message) expect(result.json.errors[0].message).toMatch(message);
    return result;
  }

  it("requires profile.id", async () => {
    await expectField({ seat: { seat_id: "a@example.com" }, csr: await makeCsr() }, "profile.id");
  });

  it("answers 403 no_access for an unknown profile", async () => {
    const result = await issue(
      issueBody("0b0b0b0b-0000-4000-8000-000000000000", await makeCsr(), "x.example.com"),
    );
    expect(result.status).toBe(403);
    expect(result.json.errors[0].code).toBe("no_access");
  });

  it("refuses a Deleted profile and one not enabled for rest_api, naming profile.id", async () => {
    await expectField(issueBody(PROFILE_IDS.deleted, await makeCsr(), "old.example.com"), "profile.id");
    await expectField(
      issueBody(PROFILE_IDS.desktopClient, await makeCsr(), "desk.example.com"),
      "profile.id",
      /rest_api/,
    );
  });

  it("requires a seat id", async () => {
    await expectField({ profile: { id: PROFILE_IDS.webServer }, csr: await makeCsr() }, "seat.seat_id");
  });

  it("rejects a CSR that is not a certificate request", async () => {
    await expectField(issueBody(PROFILE_IDS.webServer, "hello world", "a.example.com"), "csr");
    await expectField(issueBody(PROFILE_IDS.webServer, "", "a.example.com"), "csr");
    const certificatePem = sim.rootCertificatePem;
    await expectField(issueBody(PROFILE_IDS.webServer, certificatePem, "a.example.com"), "csr");
  });

  it("rejects two CSR blocks", async () => {
    const two = `${await makeCsr()}\n${await makeCsr({ key: "p384" })}`;
    await expectField(issueBody(PROFILE_IDS.webServer, two, "a.example.com"), "csr", /exactly one/);
  });

  it("rejects junk after the PEM block", async () => {
    await expectField(
      issueBody(PROFILE_IDS.webServer, `${await makeCsr()}\ntrailing junk`, "a.example.com"),
      "csr",
      /outside/,
    );
  });

  it("rejects trailing bytes after the DER request in bare base64", async () => {
    const pem = await makeCsr();
    const der = Buffer.concat([Buffer.from(x509.PemConverter.decodeFirst(pem)), Buffer.from([0x30, 0x00])]);
    await expectField(
      issueBody(PROFILE_IDS.webServer, der.toString("base64"), "a.example.com"),
      "csr",
      /trailing/,
    );
  });

  it("rejects a CSR whose signature does not verify", async () => {
    const der = new Uint8Array(x509.PemConverter.decodeFirst(await makeCsr({ key: "rsa2048" })));
    der[der.length - 1] = der[der.length - 1]! ^ 0xff;
    const tampered = x509.PemConverter.encode(der.buffer, "CERTIFICATE REQUEST");
    await expectField(issueBody(PROFILE_IDS.webServer, tampered, "a.example.com"), "csr", /signature/);
  });

  it("rejects an RSA 1024 key and names the size", async () => {
    await expectField(
      issueBody(PROFILE_IDS.webServer, await makeCsr({ key: "rsa1024" }), "a.example.com"),
      "csr",
      /1024/,
    );
  });

  it("rejects a curve the profile does not allow and names it", async () => {
    await expectField(
      issueBody(PROFILE_IDS.webServer, await makeCsr({ key: "p521" }), "a.example.com"),
      "csr",
      /P-521/,
    );
    await expectField(
      issueBody(PROFILE_IDS.ecdsaDevice, await makeCsr({ key: "rsa2048" }), "d.example.com"),
      "csr",
      /RSA key size 2048/,
    );
  });

  it("requires the mandatory common name when neither the request nor the CSR has one", async () => {
    const csr = await makeCsr({ subject: "O=No Name Inc" });
    await expectField(
      { profile: { id: PROFILE_IDS.webServer }, seat: { seat_id: "s@example.com" }, csr },
      "attributes.subject.common_name",
    );
  });

  it("requires every mandatory subject attribute of the profile", async () => {
    const csr = await makeCsr({ subject: "CN=strict.example.com" });
    await expectField(
      issueBody(PROFILE_IDS.strictSubject, csr, "strict.example.com"),
      "attributes.subject.organization_name",
    );
    await expectField(
      issueBody(PROFILE_IDS.strictSubject, csr, "strict.example.com", {
        attributes: { subject: { common_name: "strict.example.com", organization_name: "Example Corp" } },
      }),
      "attributes.subject.country",
    );
  });

  it("requires a two-letter country", async () => {
    await expectField(
      issueBody(PROFILE_IDS.strictSubject, await makeCsr(), "strict.example.com", {
        attributes: {
          subject: { common_name: "strict.example.com", organization_name: "Example", country: "USA" },
        },
      }),
      "attributes.subject.country",
    );
  });

  it("requires mandatory SANs, then issues with subject values taken from the CSR", async () => {
    const csr = await makeCsr({ subject: "C=us, O=Example Corp, CN=strict.example.com" });
    await expectField(
      issueBody(PROFILE_IDS.strictSubject, csr, "strict.example.com"),
      "attributes.extensions.san.emails",
    );
    const result = await issue(
      issueBody(PROFILE_IDS.strictSubject, csr, "strict.example.com", {
        attributes: {
          subject: { common_name: "strict.example.com" },
          extensions: { san: { emails: ["security@example.com"], dns_names: ["strict.example.com"] } },
        },
      }),
    );
    expect(result.status).toBe(201);
    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(certificate.subjectName.getField("C")).toEqual(["US"]);
    expect(certificate.subjectName.getField("O")).toEqual(["Example Corp"]);
  });

  it("rejects malformed SAN values, validity and include_ca_chain, naming each field", async () => {
    const csr = await makeCsr();
    await expectField(
      issueBody(PROFILE_IDS.webServer, csr, "a.example.com", {
        attributes: { extensions: { san: { ip_addresses: ["999.1.1.1"] } } },
      }),
      "attributes.extensions.san.ip_addresses",
    );
    await expectField(
      issueBody(PROFILE_IDS.webServer, csr, "a.example.com", { validity: { unit: "weeks", duration: 2 } }),
      "validity.unit",
    );
    await expectField(
      issueBody(PROFILE_IDS.webServer, csr, "a.example.com", { validity: { unit: "days", duration: 0 } }),
      "validity.duration",
    );
    await expectField(
      issueBody(PROFILE_IDS.webServer, csr, "a.example.com", { include_ca_chain: "yes" }),
      "include_ca_chain",
    );
    await expectField(
      issueBody(PROFILE_IDS.webServer, csr, "a.example.com", { delivery_format: "der" }),
      "delivery_format",
    );
  });
});

describe("duplicate certificate policy", () => {
  it("answers duplicate_error for a second valid certificate with the same common name, and allows it after revocation", async () => {
    const host = uniqueHost("seat");
    const csr = await makeCsr();
    const first = await issue(issueBody(PROFILE_IDS.noDuplicates, csr, host));
    expect(first.status).toBe(201);

    const second = await issue(issueBody(PROFILE_IDS.noDuplicates, csr, host.toUpperCase()));
    expect(second.status).toBe(400);
    expect(second.json.errors[0].code).toBe("duplicate_error");
    expect(second.json.errors[0].message).toMatch(/^A valid certificate for common name .+ already exists/);

    const concurrent = await Promise.all([
      issue(issueBody(PROFILE_IDS.noDuplicates, csr, `${host}.b`)),
      issue(issueBody(PROFILE_IDS.noDuplicates, csr, `${host}.b`)),
    ]);
    expect(concurrent.map((result) => result.status).sort()).toEqual([201, 400]);

    const revoked = await api(sim, `/mpki/api/v1/certificate/${first.json.serial_number}/revoke`, {
      method: "PUT",
      body: { revocation_reason: "superseded" },
    });
    expect(revoked.status).toBe(204);
    const third = await issue(issueBody(PROFILE_IDS.noDuplicates, csr, host));
    expect(third.status).toBe(201);
  });

  it("allows duplicates on a profile whose policy permits them", async () => {
    const host = uniqueHost("dup-ok");
    const csr = await makeCsr();
    expect((await issue(issueBody(PROFILE_IDS.webServer, csr, host))).status).toBe(201);
    expect((await issue(issueBody(PROFILE_IDS.webServer, csr, host))).status).toBe(201);
  });
});
