import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IOT_PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let dir: string;
let encryption: { certificatePem: string; keyFile: string };
const logs: string[] = [];

beforeAll(async () => {
  stack = await startStack({ logs });
  dir = mkdtempSync(join(tmpdir(), "gw-iot-"));
  // The caller's own encryption certificate (RSA) for the CMS formats; its key stays in the test.
  const alg = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0a",
    name: "CN=Factory encryption",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  const keyFile = join(dir, "encryption.key");
  writeFileSync(
    keyFile,
    `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`,
  );
  encryption = { certificatePem: cert.toString("pem"), keyFile };
});
afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ENROLL = `mutation($input: EnrollDeviceCertificateInput!) {
  enrollDeviceCertificate(input: $input) {
    __typename
    ... on DeviceCertificateEnrolled {
      certificateId serialNumber pem
      certificate { certificateId status commonName deviceIdentifier pem x509 { subject { commonName } publicKey { algorithm curve size } } }
      privateKey {
        __typename
        ... on PemPrivateKey { pem }
        ... on DerPrivateKey { base64 }
        ... on Pkcs12Bundle { base64 }
        ... on EncryptedCertificateBundle { base64 }
        ... on EncryptedPrivateKey { base64 }
      }
    }
    ... on ValidationError { field }
    ... on Error { code message }
  }
}`;

type Enrolled = {
  __typename: string;
  code?: string;
  field?: string;
  message?: string;
  certificateId: string;
  pem: string | null;
  certificate: { pem: string; status: string; commonName: string; x509: any };
  privateKey: { __typename: string; pem?: string; base64?: string } | null;
};

async function enroll(input: Record<string, unknown>, token?: string) {
  const res = await stack.gql<{ enrollDeviceCertificate: Enrolled }>(
    ENROLL,
    { input },
    token ? { token } : {},
  );
  expect(res.errors).toBeUndefined();
  return res.data!.enrollDeviceCertificate;
}

function serverSide(commonName: string, keyGeneration: Record<string, unknown>) {
  return {
    enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
    serverSideKeyGeneration: keyGeneration,
    certificateAttributes: [{ id: "subject.common_name", value: commonName }],
    deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: commonName.split(".")[0] }],
  };
}

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

/** `openssl smime -decrypt` of a base64 DER P7M with the test's encryption key, as DigiCert's docs show. */
function smimeDecrypt(base64: string, fileName: string): Buffer {
  const p7m = join(dir, fileName);
  writeFileSync(p7m, Buffer.from(base64, "base64"));
  return openssl([
    "smime",
    "-decrypt",
    "-binary",
    "-inform",
    "DER",
    "-in",
    p7m,
    "-inkey",
    encryption.keyFile,
  ]);
}

/** The SPKI (PEM) of a private key file or of a certificate, as openssl prints it. */
function publicKeyOfKey(file: string, inform = "PEM") {
  return openssl(["pkey", "-inform", inform, "-in", file, "-pubout"]).toString();
}
function publicKeyOfCert(pem: string) {
  const file = join(dir, `cert-${Math.random().toString(36).slice(2)}.pem`);
  writeFileSync(file, pem);
  return openssl(["x509", "-in", file, "-noout", "-pubkey"]).toString();
}

describe("IoT Trust Manager through GraphQL", () => {
  it("lists enrollment profiles with their key generation options and fields", async () => {
    const res = await stack.gql<{ enrollmentProfiles: { edges: { node: any }[] } }>(
      `{ enrollmentProfiles(first: 10) { edges { node { profileId name keyGenerationOption allowedKeyTypes fields { id required } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const server = res.data!.enrollmentProfiles.edges.find(
      (e) => e.node.profileId === IOT_PROFILE_IDS.deviceServerKeys,
    );
    expect(server?.node.keyGenerationOption).toBe("SERVER_SIDE");
    expect(server?.node.fields.map((f: { id: string }) => f.id)).toContain("subject.common_name");
  });

  it("enrolls with a CSR: the certificate certifies the CSR's key, and no private key comes back", async () => {
    const { pem: csr, keys } = await generateCsr({ subject: "CN=sensor-1.iot.example.com" });
    const result = await enroll({
      enrollmentProfileId: IOT_PROFILE_IDS.deviceFlexible,
      csr,
      certificateAttributes: [{ id: "subject.common_name", value: "sensor-1.iot.example.com" }],
      deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "sensor-1" }],
    });
    expect(result.__typename).toBe("DeviceCertificateEnrolled");
    expect(result.privateKey).toBeNull();
    expect(result.certificate.commonName).toBe("sensor-1.iot.example.com");
    const cert = new x509.X509Certificate(result.certificate.pem);
    const spki = Buffer.from(await crypto.subtle.exportKey("spki", keys.publicKey));
    expect(Buffer.from(cert.publicKey.rawData).equals(spki)).toBe(true);
  });

  it("returns a PEM private key that matches the certificate, with Cache-Control: no-store", async () => {
    const token = await stack.token();
    const res = await fetch(stack.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: ENROLL,
        variables: {
          input: serverSide("pem-1.iot.example.com", { privateKeyFormat: "PEM", keyType: "P_256" }),
        },
      }),
    });
    expect(res.headers.get("cache-control")).toBe("no-store");
    const result = ((await res.json()) as { data: { enrollDeviceCertificate: Enrolled } }).data
      .enrollDeviceCertificate;
    expect(result.privateKey?.__typename).toBe("PemPrivateKey");
    const keyFile = join(dir, "pem.key");
    writeFileSync(keyFile, result.privateKey!.pem!);
    expect(publicKeyOfKey(keyFile)).toBe(publicKeyOfCert(result.certificate.pem));
    expect(result.certificate.x509.publicKey).toMatchObject({ algorithm: "EC", curve: "P-256" });
  });

  it("returns a DER private key (base64) that matches the certificate", async () => {
    const result = await enroll(
      serverSide("der-1.iot.example.com", { privateKeyFormat: "DER", keyType: "RSA_2048" }),
    );
    expect(result.privateKey?.__typename).toBe("DerPrivateKey");
    const keyFile = join(dir, "der.key");
    writeFileSync(keyFile, Buffer.from(result.privateKey!.base64!, "base64"));
    expect(publicKeyOfKey(keyFile, "DER")).toBe(publicKeyOfCert(result.certificate.pem));
  });

  it("returns a PKCS#12 that opens with openssl pkcs12 and its password, holding the matching key", async () => {
    const result = await enroll(
      serverSide("p12-1.iot.example.com", {
        privateKeyFormat: "PKCS12",
        keyType: "P_384",
        pkcs12Password: "Secret123",
      }),
    );
    expect(result.privateKey?.__typename).toBe("Pkcs12Bundle");
    const p12 = join(dir, "bundle.p12");
    writeFileSync(p12, Buffer.from(result.privateKey!.base64!, "base64"));
    const opened = openssl(["pkcs12", "-in", p12, "-passin", "pass:Secret123", "-nodes"]).toString();
    const keyFile = join(dir, "p12.key");
    writeFileSync(keyFile, opened.slice(opened.indexOf("-----BEGIN PRIVATE KEY-----")));
    expect(publicKeyOfKey(keyFile)).toBe(publicKeyOfCert(result.certificate.pem));
    expect(() => openssl(["pkcs12", "-in", p12, "-passin", "pass:wrong1", "-nodes"])).toThrow();
  });

  it("returns a P7M that decrypts with openssl smime into a ZIP of certificate, chain and matching key", async () => {
    const result = await enroll(
      serverSide("p7m-1.iot.example.com", {
        privateKeyFormat: "CERT_ENCRYPTED",
        keyType: "P_256",
        encryptionCertificate: encryption.certificatePem,
      }),
    );
    expect(result.privateKey?.__typename).toBe("EncryptedCertificateBundle");
    const zip = smimeDecrypt(result.privateKey!.base64!, "bundle.p7m");
    const files = unzipSync(new Uint8Array(zip));
    const names = Object.keys(files);
    const keyName = names.find((n) => /key/i.test(n))!;
    const certName = names.find((n) => /certificate/i.test(n))!;
    const keyFile = join(dir, "zip.key");
    writeFileSync(keyFile, Buffer.from(files[keyName]!));
    expect(publicKeyOfKey(keyFile)).toBe(publicKeyOfCert(Buffer.from(files[certName]!).toString()));
  });

  it("returns the key alone as a P7M for CERT_ENCRYPTED_KEY_ONLY", async () => {
    const result = await enroll(
      serverSide("p7k-1.iot.example.com", {
        privateKeyFormat: "CERT_ENCRYPTED_KEY_ONLY",
        keyType: "P_256",
        encryptionCertificate: encryption.certificatePem,
      }),
    );
    expect(result.privateKey?.__typename).toBe("EncryptedPrivateKey");
    const keyPem = smimeDecrypt(result.privateKey!.base64!, "key.p7m");
    const keyFile = join(dir, "only.key");
    writeFileSync(keyFile, keyPem);
    expect(publicKeyOfKey(keyFile)).toBe(publicKeyOfCert(result.certificate.pem));
  });

  it("never writes a generated private key to the logs", async () => {
    const result = await enroll(
      serverSide("leak-1.iot.example.com", { privateKeyFormat: "PEM", keyType: "P_256" }),
    );
    const body = result.privateKey!.pem!.split("\n")[1]!;
    expect(body.length).toBeGreaterThan(20);
    expect(logs.join("\n")).not.toContain(body);
  });

  it("refuses bad input with a typed error before any upstream enrollment", async () => {
    stack.simulator.resetCounters();
    const cases: [Record<string, unknown>, string][] = [
      [
        serverSide("x.iot.example.com", { privateKeyFormat: "PKCS12", pkcs12Password: "short" }),
        "input.serverSideKeyGeneration.pkcs12Password",
      ],
      [
        serverSide("x.iot.example.com", { privateKeyFormat: "PKCS12", pkcs12Password: "has space 1" }),
        "input.serverSideKeyGeneration.pkcs12Password",
      ],
      [
        serverSide("x.iot.example.com", { privateKeyFormat: "CERT_ENCRYPTED" }),
        "input.serverSideKeyGeneration.encryptionCertificate",
      ],
      [
        {
          ...serverSide("x.iot.example.com", { privateKeyFormat: "PEM", keyType: "RSA_3072" }),
          enrollmentProfileId: IOT_PROFILE_IDS.deviceFlexible,
        },
        "input.serverSideKeyGeneration.keyType",
      ],
    ];
    for (const [input, field] of cases) {
      const result = await enroll(input);
      expect(result, field).toMatchObject({ __typename: "ValidationError", field });
      expect(result.message).not.toContain("has space");
    }
    const csrWhereServerSide = await enroll({
      enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
      csr: (await generateCsr()).pem,
      certificateAttributes: [{ id: "subject.common_name", value: "x.iot.example.com" }],
      deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "x" }],
    });
    expect(csrWhereServerSide).toMatchObject({ __typename: "ValidationError", field: "input.csr" });
    expect(stack.simulator.requestCount("POST /iot/api/v1/certificate")).toBe(0);
  });

  it("needs the keys:generate scope for server-side key generation", async () => {
    stack.simulator.resetCounters();
    const token = await stack.token({ scope: "certificates:read certificates:write" });
    const res = await stack.gql(
      ENROLL,
      { input: serverSide("noscope.iot.example.com", { privateKeyFormat: "PEM" }) },
      { token },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(stack.simulator.requestCount("POST /iot/api/v1/certificate")).toBe(0);
  });

  it("with an idempotency key, a repeat returns the same certificate without the key, and issues once", async () => {
    stack.simulator.resetCounters();
    const input = {
      ...serverSide("idem-1.iot.example.com", { privateKeyFormat: "PEM", keyType: "P_256" }),
      idempotencyKey: "idem-1",
    };
    const first = await enroll(input);
    const second = await enroll(input);
    expect(second.certificateId).toBe(first.certificateId);
    expect(first.privateKey?.__typename).toBe("PemPrivateKey");
    expect(second.privateKey).toBeNull();
    expect(stack.simulator.requestCount("POST /iot/api/v1/certificate")).toBe(1);
  });

  it("lists, renews and revokes device certificates", async () => {
    const issued = await enroll(
      serverSide("life-1.iot.example.com", { privateKeyFormat: "PEM", keyType: "P_256" }),
    );
    const list = await stack.gql<{
      deviceCertificates: { totalCount: number; edges: { node: { certificateId: string } }[] };
    }>(
      `{ deviceCertificates(first: 100, filter: { commonName: "life-1.iot.example.com" }) { totalCount edges { node { certificateId } } } }`,
    );
    expect(list.data!.deviceCertificates.edges.map((e) => e.node.certificateId)).toContain(
      issued.certificateId,
    );

    const renewed = await stack.gql<{ renewDeviceCertificate: Enrolled }>(
      `mutation($id: ID!) { renewDeviceCertificate(input: { id: $id, serverSideKeyGeneration: { privateKeyFormat: PEM, keyType: P_256 } }) {
        __typename ... on DeviceCertificateEnrolled { certificateId privateKey { __typename } } ... on Error { code } } }`,
      { id: issued.certificateId },
    );
    expect(renewed.data!.renewDeviceCertificate.__typename).toBe("DeviceCertificateEnrolled");
    expect(renewed.data!.renewDeviceCertificate.certificateId).not.toBe(issued.certificateId);

    const revoke = `mutation($id: ID!) { revokeDeviceCertificate(input: { id: $id, reason: KEY_COMPROMISE }) {
      __typename ... on DeviceCertificateRevoked { certificate { status revocationReason } } ... on Error { code } } }`;
    const revoked = await stack.gql<{ revokeDeviceCertificate: any }>(revoke, { id: issued.certificateId });
    expect(revoked.data!.revokeDeviceCertificate).toMatchObject({
      __typename: "DeviceCertificateRevoked",
      certificate: { status: "REVOKED", revocationReason: "KEY_COMPROMISE" },
    });
    const again = await stack.gql<{ revokeDeviceCertificate: any }>(revoke, { id: issued.certificateId });
    expect(again.data!.revokeDeviceCertificate.__typename).toBe("AlreadyRevokedError");
    // Named by its serial, the refusal names the serial the caller sent, not DigiCert's certificate id.
    const { data } = await stack.gql<{ deviceCertificate: { serialNumber: string } }>(
      `query($id: ID!) { deviceCertificate(id: $id) { serialNumber } }`,
      { id: issued.certificateId },
    );
    const serial = data!.deviceCertificate.serialNumber;
    const bySerial = await stack.gql<{ revokeDeviceCertificate: any }>(
      revoke.replace("... on Error { code }", "... on AlreadyRevokedError { code message serialNumber }"),
      { id: serial },
    );
    expect(bySerial.data!.revokeDeviceCertificate).toMatchObject({
      __typename: "AlreadyRevokedError",
      serialNumber: serial,
      message: `Certificate ${serial} is already revoked.`,
    });
  });
});
