import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IOT_DEVICE_FIELD_IDS,
  IOT_PROFILE_IDS,
  RESTRICTED_API_KEY,
  type Simulator,
  type SimulatorLogger,
  startSimulator,
} from "../../simulator/index.js";
import { api, keyPair, makeCsr } from "./helpers.js";
import {
  encryptionIdentity,
  enroll,
  expectKeyMatchesCertificate,
  openssl,
  opensslOutput,
  pemBlocks,
  smimeDecrypt,
  withTempDir,
} from "./iot-helpers.js";

const logs: string[] = [];
const logger: SimulatorLogger = {
  debug: (object, message) => logs.push(JSON.stringify([object, message])),
  info: (object, message) => logs.push(JSON.stringify([object, message])),
  warn: (object, message) => logs.push(JSON.stringify([object, message])),
  error: (object, message) => logs.push(JSON.stringify([object, message])),
};

let sim: Simulator;
let root: x509.X509Certificate;
let intermediate: x509.X509Certificate;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 3, seedIotCertificates: 3, logger });
  root = new x509.X509Certificate(sim.rootCertificatePem);
  intermediate = new x509.X509Certificate(sim.intermediateCertificatePem);
  void encryptionIdentity();
});

afterAll(async () => {
  await sim.close();
});

let deviceCounter = 0;
function deviceId(): string {
  deviceCounter += 1;
  return `DEV-${process.pid}-${deviceCounter}`;
}

function serverSideBody(profileId: string, extra: Record<string, unknown>) {
  return {
    enrollment_profile_id: profileId,
    certificate_profile_attributes: [
      { id: "subject.common_name", value: `${deviceId().toLowerCase()}.example.com` },
    ],
    device_attributes: [{ id: "DEVICE_IDENTIFIER", value: deviceId() }],
    server_side_key_gen: true,
    ...extra,
  };
}

async function leafOf(pem: string): Promise<x509.X509Certificate> {
  return new x509.X509Certificate(pemBlocks(pem)[0]!);
}

describe("requesting a device certificate with a CSR", () => {
  it("answers 200 AUTO_APPROVED/SUCCESS with the certificate and its chain in pem, as the public scripts read it", async () => {
    const device = deviceId();
    const csr = await makeCsr({ subject: "CN=meter-1.iot.example.com", key: "p256" });
    const result = await enroll(sim, {
      csr,
      enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr,
      device_attributes: [
        { id: "DEVICE_IDENTIFIER", value: device },
        { id: IOT_DEVICE_FIELD_IDS.operator, value: "ACME" },
      ],
    });
    expect(result.status).toBe(200);
    expect(Object.keys(result.json).sort()).toEqual([
      "certificate_id",
      "certificate_request_id",
      "pem",
      "result",
      "serial_number",
      "status",
    ]);
    expect(result.json).toMatchObject({ status: "AUTO_APPROVED", result: "SUCCESS" });
    expect(result.json.certificate_id).toMatch(/^[0-9a-f-]{36}$/);
    const blocks = pemBlocks(result.json.pem);
    expect(blocks).toHaveLength(3);
    const leaf = new x509.X509Certificate(blocks[0]!);
    expect(leaf.subjectName.getField("CN")).toEqual(["meter-1.iot.example.com"]);
    expect(leaf.subjectName.getField("O")).toEqual(["Example IoT Devices"]);
    expect(leaf.serialNumber.toUpperCase()).toBe(result.json.serial_number);
    expect(new x509.X509Certificate(blocks[1]!).equal(intermediate)).toBe(true);
    expect(new x509.X509Certificate(blocks[2]!).equal(root)).toBe(true);
    expect(await leaf.verify({ publicKey: intermediate.publicKey, signatureOnly: true })).toBe(true);
    const spki = await crypto.subtle.exportKey("spki", (await keyPair("p256")).publicKey);
    expect(Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(spki))).toBe(true);
    const stored = await api(sim, `/iot/api/v1/certificate/${result.json.certificate_id}`);
    expect(stored.json).toMatchObject({
      device_identifier: device,
      enrollment_method: "API",
      key_generation: "client_side",
      key_type: "p_256",
      status: "ISSUED",
    });
  });

  it("takes certificate_profile_attributes over the CSR subject and falls back to DEVICE_IDENTIFIER for the CN", async () => {
    const named = await enroll(sim, {
      csr: await makeCsr({ subject: "CN=from-csr.example.com" }),
      enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr,
      certificate_profile_attributes: [
        { id: "subject.common_name", value: "from-request.example.com" },
        { id: "subject.organization_unit", value: "Meters" },
        { id: "san.dns_name", value: "a.example.com" },
        { id: "san.dns_name", value: "b.example.com" },
      ],
      device_attributes: [{ id: "DEVICE_IDENTIFIER", value: deviceId() }],
    });
    expect(named.status).toBe(200);
    const leaf = await leafOf(named.json.pem);
    expect(leaf.subjectName.getField("CN")).toEqual(["from-request.example.com"]);
    expect(leaf.subjectName.getField("OU")).toEqual(["Meters"]);
    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.toJSON()).toEqual([
      { type: "dns", value: "a.example.com" },
      { type: "dns", value: "b.example.com" },
    ]);

    const device = deviceId();
    const unnamed = await enroll(sim, {
      csr: await makeCsr({ subject: "O=Example IoT Devices" }),
      enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr,
      device_attributes: [{ id: "DEVICE_IDENTIFIER", value: device }],
    });
    expect((await leafOf(unnamed.json.pem)).subjectName.getField("CN")).toEqual([device]);
  });

  it("returns the end-entity certificate alone when include_certificate_chain is false", async () => {
    const result = await enroll(sim, {
      csr: await makeCsr({ key: "rsa2048", subject: "CN=rsa-device.example.com" }),
      enrollment_profile_id: IOT_PROFILE_IDS.deviceFlexible,
      device_attributes: [{ id: "DEVICE_IDENTIFIER", value: deviceId() }],
      include_certificate_chain: false,
    });
    expect(result.status).toBe(200);
    expect(pemBlocks(result.json.pem)).toHaveLength(1);
  });
});

describe("validation of an enrollment request", () => {
  const csrBody = async (extra: Record<string, unknown> = {}) => ({
    csr: await makeCsr({ subject: "CN=valid.example.com" }),
    enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr,
    device_attributes: [{ id: "DEVICE_IDENTIFIER", value: "DEV-VALIDATION" }],
    ...extra,
  });

  it.each([
    ["enrollment_profile_id is missing", { enrollment_profile_id: undefined }, "enrollment_profile_id"],
    ["enrollment_profile_id is not IOT_<uuid>", { enrollment_profile_id: "abc" }, "enrollment_profile_id"],
    [
      "the profile only allows BATCH",
      { enrollment_profile_id: IOT_PROFILE_IDS.factoryBatch },
      "enrollment_profile_id",
    ],
    ["csr is missing on a client-side profile", { csr: undefined }, "csr"],
    [
      "csr is not a CSR",
      { csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----" },
      "csr",
    ],
    [
      "server_side_key_gen is asked of a client-side profile",
      { server_side_key_gen: true, csr: undefined },
      "server_side_key_gen",
    ],
    ["server_side_key_gen is not a boolean", { server_side_key_gen: "true" }, "server_side_key_gen"],
    ["DEVICE_IDENTIFIER is missing", { device_attributes: [] }, "device_attributes"],
    [
      "device_attributes is not an array",
      { device_attributes: { id: "DEVICE_IDENTIFIER" } },
      "device_attributes",
    ],
    [
      "a device attribute has no value",
      { device_attributes: [{ id: "DEVICE_IDENTIFIER" }] },
      "device_attributes[0].value",
    ],
    [
      "a certificate attribute is not in the profile",
      { certificate_profile_attributes: [{ id: "subject.locality", value: "Lehi" }] },
      "certificate_profile_attributes[0].id",
    ],
    [
      "a fixed attribute gets another value",
      { certificate_profile_attributes: [{ id: "subject.organization_name", value: "Other Org" }] },
      "certificate_profile_attributes",
    ],
    [
      "a single-valued attribute is given twice",
      {
        certificate_profile_attributes: [
          { id: "subject.common_name", value: "a.example.com" },
          { id: "subject.common_name", value: "b.example.com" },
        ],
      },
      "certificate_profile_attributes[1]",
    ],
    [
      "a SAN value is invalid",
      { certificate_profile_attributes: [{ id: "san.dns_name", value: "not a host" }] },
      "certificate_profile_attributes",
    ],
    [
      "include_certificate_chain is not a boolean",
      { include_certificate_chain: "yes" },
      "include_certificate_chain",
    ],
  ])("answers 400 naming the field when %s", async (_, extra, field) => {
    const result = await enroll(sim, await csrBody(extra));
    expect(result.status).toBe(400);
    expect(result.json).toEqual({
      errors: [{ code: "invalid_input_field", message: expect.any(String), field }],
    });
  });

  it("answers 400 on csr for a key type the profile does not allow", async () => {
    const result = await enroll(sim, await csrBody({ csr: await makeCsr({ key: "p521" }) }));
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ field: "csr", message: expect.stringContaining("p_521") });
  });

  it("answers 400 on csr when a server-side-only profile gets a CSR", async () => {
    const result = await enroll(sim, {
      csr: await makeCsr(),
      enrollment_profile_id: IOT_PROFILE_IDS.deviceServerKeys,
      device_attributes: [{ id: "DEVICE_IDENTIFIER", value: "DEV-1" }],
    });
    expect(result.status).toBe(400);
    expect(result.json.errors[0].field).toBe("csr");
  });

  it.each([
    ["key_type is not an IoT key type", { key_type: "rsa_1024", private_key_format: "pem" }, "key_type"],
    [
      "key_type is not allowed by the profile",
      { key_type: "rsa_3072", private_key_format: "pem" },
      "key_type",
    ],
    ["private_key_format is missing", {}, "private_key_format"],
    ["private_key_format is unknown", { private_key_format: "jks" }, "private_key_format"],
    ["pkcs12_password is missing", { private_key_format: "pkcs_12" }, "pkcs12_password"],
    [
      "pkcs12_password is too short",
      { private_key_format: "pkcs_12", pkcs12_password: "abc12" },
      "pkcs12_password",
    ],
    [
      "pkcs12_password is too long",
      { private_key_format: "pkcs_12", pkcs12_password: "a".repeat(21) },
      "pkcs12_password",
    ],
    [
      "pkcs12_password has a symbol",
      { private_key_format: "pkcs_12", pkcs12_password: "Secret!pass" },
      "pkcs12_password",
    ],
    ["encryption_certificate is missing", { private_key_format: "cert_encrypted" }, "encryption_certificate"],
    [
      "encryption_certificate is not a certificate",
      { private_key_format: "cert_encrypted_key_only", encryption_certificate: "hello" },
      "encryption_certificate",
    ],
    [
      "private_key_syntax pkcs1 is asked for an EC key",
      { key_type: "p_256", private_key_format: "pem", private_key_syntax: "pkcs1" },
      "private_key_syntax",
    ],
    [
      "private_key_syntax is unknown",
      { private_key_format: "pem", private_key_syntax: "sec1" },
      "private_key_syntax",
    ],
    ["a csr comes with server_side_key_gen", { private_key_format: "pem", csr: "x" }, "csr"],
  ])("answers 400 for server-side key generation when %s", async (_, extra, field) => {
    const result = await enroll(sim, serverSideBody(IOT_PROFILE_IDS.deviceFlexible, extra));
    expect(result.status).toBe(400);
    expect(result.json.errors).toEqual([{ code: "invalid_input_field", message: expect.any(String), field }]);
    if ("pkcs12_password" in extra) expect(result.text).not.toContain(String(extra.pkcs12_password));
  });

  it("refuses an encryption certificate without an RSA key", async () => {
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceFlexible, {
        private_key_format: "cert_encrypted",
        encryption_certificate: sim.intermediateCertificatePem,
      }),
    );
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({
      field: "encryption_certificate",
      message: expect.stringContaining("RSA"),
    });
  });

  it("answers 404 for an unknown profile and 403 no_access for the restricted API key", async () => {
    const unknown = await enroll(
      sim,
      await csrBody({ enrollment_profile_id: "IOT_00000000-0000-4000-8000-000000000000" }),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.json.errors[0].code).toBe("resource_not_found");
    const restricted = await enroll(sim, await csrBody(), RESTRICTED_API_KEY);
    expect(restricted.status).toBe(403);
    expect(restricted.json.errors[0].code).toBe("no_access");
  });

  it("ignores key_type on a profile whose server-side key type is fixed", async () => {
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.gatewayFixedKey, { key_type: "rsa_2048", private_key_format: "pem" }),
    );
    expect(result.status).toBe(200);
    const leaf = await leafOf(result.json.pem);
    expect((leaf.publicKey.algorithm as EcKeyAlgorithm).namedCurve).toBe("P-384");
  });
});

describe("server-side key generation, checked with openssl", () => {
  it("returns a PKCS#8 PEM private key that matches the certificate (pem, Ed25519)", async () => {
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceServerKeys, { key_type: "ed_25519", private_key_format: "pem" }),
    );
    expect(result.status).toBe(200);
    expect(result.json.private_key).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/,
    );
    expect(pemBlocks(result.json.pem)).toHaveLength(3);
    expect(result.headers["cache-control"]).toBe("no-store");
    await withTempDir(async (dir) => {
      expect(await expectKeyMatchesCertificate(dir, result.json.pem, result.json.private_key)).toBe(true);
    });
  });

  it("returns a PKCS#1 RSA key for private_key_syntax pkcs1", async () => {
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceFlexible, {
        key_type: "rsa_2048",
        private_key_format: "pem",
        private_key_syntax: "pkcs1",
      }),
    );
    expect(result.status).toBe(200);
    expect(result.json.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    await withTempDir(async (dir) => {
      expect(await expectKeyMatchesCertificate(dir, result.json.pem, result.json.private_key)).toBe(true);
    });
  });

  it("returns base64 PKCS#8 DER for der (P-384)", async () => {
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceServerKeys, { key_type: "p_384", private_key_format: "der" }),
    );
    expect(result.status).toBe(200);
    expect(result.json.private_key).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const der = Buffer.from(result.json.private_key, "base64");
    await withTempDir(async (dir) => {
      expect(await expectKeyMatchesCertificate(dir, result.json.pem, der, "DER")).toBe(true);
    });
  });

  it("returns a PKCS#12 that openssl opens with the password, holding the key and the chain", async () => {
    const password = "Device7Secret";
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceServerKeys, {
        key_type: "p_256",
        private_key_format: "pkcs_12",
        pkcs12_password: password,
      }),
    );
    expect(result.status).toBe(200);
    await withTempDir(async (dir) => {
      const file = join(dir, "device.p12");
      await writeFile(file, Buffer.from(result.json.private_key, "base64"), { mode: 0o600 });
      const opened = (
        await openssl(["pkcs12", "-in", file, "-passin", "env:P12_PASSWORD", "-nodes"], {
          P12_PASSWORD: password,
        })
      ).toString();
      const certificates = pemBlocks(opened);
      expect(certificates).toHaveLength(3);
      expect(new x509.X509Certificate(certificates[0]!).serialNumber.toUpperCase()).toBe(
        result.json.serial_number,
      );
      const key = opened.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/)![0];
      expect(await expectKeyMatchesCertificate(dir, result.json.pem, key)).toBe(true);
      const { stderr: info } = await opensslOutput(
        ["pkcs12", "-in", file, "-passin", "env:P12_PASSWORD", "-noout", "-info"],
        { P12_PASSWORD: password },
      );
      expect(info).toContain("MAC: sha256");
      expect(info).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC.*hmacWithSHA256/);
      expect(info).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC/);
      await expect(
        openssl(["pkcs12", "-in", file, "-passin", "env:P12_PASSWORD", "-nodes"], {
          P12_PASSWORD: "Wrong1234",
        }),
      ).rejects.toThrow(/mac verify failure|invalid password/i);
    });
  });

  it("leaves the chain out of the PKCS#12 and pem when include_certificate_chain is false", async () => {
    const password = "abc123";
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceServerKeys, {
        private_key_format: "pkcs_12",
        pkcs12_password: password,
        include_certificate_chain: false,
      }),
    );
    expect(pemBlocks(result.json.pem)).toHaveLength(1);
    await withTempDir(async (dir) => {
      const file = join(dir, "device.p12");
      await writeFile(file, Buffer.from(result.json.private_key, "base64"), { mode: 0o600 });
      const opened = await openssl(["pkcs12", "-in", file, "-passin", "env:P12_PASSWORD", "-nokeys"], {
        P12_PASSWORD: password,
      });
      expect(pemBlocks(opened.toString())).toHaveLength(1);
    });
  });

  it("returns a P7M that openssl smime decrypts to a ZIP of certificate, chain and key (cert_encrypted)", async () => {
    const { certificatePem } = await encryptionIdentity();
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceFlexible, {
        key_type: "p_521",
        private_key_format: "cert_encrypted",
        encryption_certificate: certificatePem,
      }),
    );
    expect(result.status).toBe(200);
    expect(result.json.pem).toBeUndefined();
    const stored = await api(sim, `/iot/api/v1/certificate/${result.json.certificate_id}`);
    await withTempDir(async (dir) => {
      const zip = await smimeDecrypt(dir, Buffer.from(result.json.private_key, "base64"));
      const files = unzipSync(new Uint8Array(zip));
      expect(Object.keys(files).sort()).toEqual(["certificate.pem", "chain.pem", "private_key.pem"]);
      const text = (name: string) => Buffer.from(files[name]!).toString("utf8");
      expect(pemBlocks(text("certificate.pem"))).toEqual(pemBlocks(stored.json.body));
      expect(pemBlocks(text("chain.pem"))).toEqual([
        sim.intermediateCertificatePem.trim(),
        sim.rootCertificatePem.trim(),
      ]);
      expect(await expectKeyMatchesCertificate(dir, text("certificate.pem"), text("private_key.pem"))).toBe(
        true,
      );
    });
  });

  it("returns a P7M of the private key alone and still the pem (cert_encrypted_key_only)", async () => {
    const { certificatePem } = await encryptionIdentity();
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceFlexible, {
        private_key_format: "cert_encrypted_key_only",
        encryption_certificate: certificatePem,
      }),
    );
    expect(result.status).toBe(200);
    expect(pemBlocks(result.json.pem)).toHaveLength(3);
    await withTempDir(async (dir) => {
      const key = (await smimeDecrypt(dir, Buffer.from(result.json.private_key, "base64"))).toString("utf8");
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
      expect(await expectKeyMatchesCertificate(dir, result.json.pem, key)).toBe(true);
    });
  });

  it("never writes a private key or a PKCS#12 password to the log", async () => {
    const password = "NotInLogs42";
    const result = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceServerKeys, {
        private_key_format: "pkcs_12",
        pkcs12_password: password,
      }),
    );
    const pem = await enroll(
      sim,
      serverSideBody(IOT_PROFILE_IDS.deviceServerKeys, { private_key_format: "pem" }),
    );
    expect(result.status).toBe(200);
    const logged = logs.join("\n");
    expect(logged).toContain("/iot/api/v1/certificate");
    expect(logged).not.toContain(password);
    expect(logged).not.toContain("PRIVATE KEY");
    expect(logged).not.toContain(result.json.private_key.slice(0, 40));
    expect(logged).not.toContain(pem.json.private_key.split("\n")[1]);
  });
});
