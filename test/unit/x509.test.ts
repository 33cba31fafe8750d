import { generateKeyPairSync, X509Certificate as NodeX509Certificate, type webcrypto } from "node:crypto";
import { rootCertificates } from "node:tls";
import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkCsrPem,
  daysUntilExpiry,
  type ParsedCertificate,
  parseCertificateChainPem,
  parseCertificatePem,
  parseCsrPem,
  parsePkcs7Pem,
  splitPemBlocks,
  X509ParseError,
} from "../../src/model/x509.js";

// Everything here is generated at test time with @peculiar/x509 and Node's WebCrypto.
x509.cryptoProvider.set(globalThis.crypto);

type KeyPair = webcrypto.CryptoKeyPair;

const UNKNOWN_EKU = "1.3.6.1.4.1.55555.1.2";
const NOT_BEFORE = new Date("2025-01-01T00:00:00Z");
const NOT_AFTER = new Date("2026-01-01T00:00:00Z");
const CA_NAME = "CN=Test Root CA, O=Example Corp, C=US";
const LEAF_NAME = "CN=leaf.example.com, OU=Platform, O=Example Corp, L=Springfield, ST=Oregon, C=US";
const SECRET = "TOPSECRETMARKER";

interface Algo {
  label: string;
  keyGen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm;
  signing: webcrypto.Algorithm | webcrypto.EcdsaParams;
  expectedKey: ParsedCertificate["publicKey"];
  expectedSignature: string;
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);
const ALGORITHMS: Algo[] = [
  {
    label: "RSA 2048",
    keyGen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: RSA_EXPONENT, hash: "SHA-256" },
    signing: { name: "RSASSA-PKCS1-v1_5" },
    expectedKey: { algorithm: "RSA", size: 2048, curve: null },
    expectedSignature: "SHA256_WITH_RSA",
  },
  {
    label: "RSA 3072",
    keyGen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 3072, publicExponent: RSA_EXPONENT, hash: "SHA-384" },
    signing: { name: "RSASSA-PKCS1-v1_5" },
    expectedKey: { algorithm: "RSA", size: 3072, curve: null },
    expectedSignature: "SHA384_WITH_RSA",
  },
  {
    label: "EC P-256",
    keyGen: { name: "ECDSA", namedCurve: "P-256" },
    signing: { name: "ECDSA", hash: "SHA-256" } as webcrypto.EcdsaParams,
    expectedKey: { algorithm: "EC", size: 256, curve: "P-256" },
    expectedSignature: "SHA256_WITH_ECDSA",
  },
  {
    label: "EC P-384",
    keyGen: { name: "ECDSA", namedCurve: "P-384" },
    signing: { name: "ECDSA", hash: "SHA-384" } as webcrypto.EcdsaParams,
    expectedKey: { algorithm: "EC", size: 384, curve: "P-384" },
    expectedSignature: "SHA384_WITH_ECDSA",
  },
  {
    // Node 20.20's WebCrypto supports Ed25519 without a flag.
    label: "Ed25519",
    keyGen: { name: "Ed25519" },
    signing: { name: "Ed25519" },
    expectedKey: { algorithm: "ED25519", size: null, curve: null },
    expectedSignature: "ED25519",
  },
];

async function generateKeys(keyGen: Algo["keyGen"]): Promise<KeyPair> {
  return (await crypto.subtle.generateKey(keyGen, true, ["sign", "verify"])) as KeyPair;
}

async function makeCa(
  algo: Algo,
  keys: KeyPair,
  name = CA_NAME,
  serialNumber = "0a01",
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    name,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: algo.signing,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
}

const LEAF_SANS: x509.JsonGeneralNames = [
  { type: "dns", value: "leaf.example.com" },
  { type: "dns", value: "*.leaf.example.com" },
  { type: "ip", value: "192.0.2.10" },
  { type: "ip", value: "2001:0db8:0000:0000:0000:0000:0000:0001" },
  { type: "email", value: "pki@example.com" },
  { type: "url", value: "https://example.com/device/42" },
];

async function makeLeaf(
  algo: Algo,
  ca: x509.X509Certificate,
  caKeys: KeyPair,
  leafKeys: KeyPair,
  serialNumber = "80aabbccdd",
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber,
    subject: LEAF_NAME,
    issuer: ca.subject,
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    signingAlgorithm: algo.signing,
    signingKey: caKeys.privateKey,
    publicKey: leafKeys.publicKey,
    extensions: [
      new x509.SubjectAlternativeNameExtension(LEAF_SANS),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
        UNKNOWN_EKU,
      ]),
      new x509.BasicConstraintsExtension(false, undefined, true),
    ],
  });
}

function pemOf(cert: x509.X509Certificate | x509.Pkcs10CertificateRequest): string {
  return `${cert.toString("pem")}\n`;
}

function nodeCert(cert: x509.X509Certificate): NodeX509Certificate {
  return new NodeX509Certificate(Buffer.from(cert.rawData));
}

function nodeFingerprint(value: string): string {
  return value.replaceAll(":", "");
}

async function parseError(run: () => unknown): Promise<X509ParseError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(X509ParseError);
    const parseErr = error as X509ParseError;
    expect(parseErr.name).toBe("X509ParseError");
    expect(parseErr.code).toBe("X509_PARSE_ERROR");
    return parseErr;
  }
  throw new Error("expected an X509ParseError, but nothing was thrown");
}

function syncParseError(run: () => unknown): X509ParseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(X509ParseError);
    return error as X509ParseError;
  }
  throw new Error("expected an X509ParseError, but nothing was thrown");
}

function bodyOf(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
}

const NODE_CURVES: Record<string, { curve: "P-256" | "P-384" | "P-521"; size: number }> = {
  prime256v1: { curve: "P-256", size: 256 },
  secp384r1: { curve: "P-384", size: 384 },
  secp521r1: { curve: "P-521", size: 521 },
};

function canonicalIp(ip: string): string {
  return ip.includes(":") ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

describe.each(ALGORITHMS)("a $label CA and a leaf it signed", (algo) => {
  let caKeys: KeyPair;
  let leafKeys: KeyPair;
  let ca: x509.X509Certificate;
  let leaf: x509.X509Certificate;
  let parsedCa: ParsedCertificate;
  let parsedLeaf: ParsedCertificate;

  beforeAll(async () => {
    [caKeys, leafKeys] = await Promise.all([generateKeys(algo.keyGen), generateKeys(algo.keyGen)]);
    ca = await makeCa(algo, caKeys);
    leaf = await makeLeaf(algo, ca, caKeys, leafKeys);
    [parsedCa, parsedLeaf] = await Promise.all([
      parseCertificatePem(pemOf(ca)),
      parseCertificatePem(pemOf(leaf)),
    ]);
  });

  it("reads the leaf's subject and issuer names attribute by attribute", () => {
    expect(parsedLeaf.subject).toEqual({
      dn: LEAF_NAME,
      commonName: "leaf.example.com",
      attributes: [
        { type: "CN", oid: "2.5.4.3", value: "leaf.example.com" },
        { type: "OU", oid: "2.5.4.11", value: "Platform" },
        { type: "O", oid: "2.5.4.10", value: "Example Corp" },
        { type: "L", oid: "2.5.4.7", value: "Springfield" },
        { type: "ST", oid: "2.5.4.8", value: "Oregon" },
        { type: "C", oid: "2.5.4.6", value: "US" },
      ],
    });
    expect(parsedLeaf.issuer).toEqual(parsedCa.subject);
    expect(parsedCa.subject.dn).toBe(CA_NAME);
    expect(parsedCa.subject.commonName).toBe("Test Root CA");
  });

  it("reads validity dates exactly", () => {
    expect(parsedLeaf.notBefore.toISOString()).toBe(NOT_BEFORE.toISOString());
    expect(parsedLeaf.notAfter.toISOString()).toBe(NOT_AFTER.toISOString());
    expect(parsedCa.notAfter.getTime()).toBe(NOT_AFTER.getTime());
  });

  it("lists every subject alternative name in order, with IPs in canonical form", () => {
    expect(parsedLeaf.subjectAltNames).toEqual([
      { type: "DNS", value: "leaf.example.com" },
      { type: "DNS", value: "*.leaf.example.com" },
      { type: "IP", value: "192.0.2.10" },
      { type: "IP", value: "2001:db8::1" },
      { type: "EMAIL", value: "pki@example.com" },
      { type: "URI", value: "https://example.com/device/42" },
    ]);
    expect(parsedCa.subjectAltNames).toEqual([]);
  });

  it("describes the public key and the signature algorithm", () => {
    expect(parsedLeaf.publicKey).toEqual(algo.expectedKey);
    expect(parsedCa.publicKey).toEqual(algo.expectedKey);
    expect(parsedLeaf.signatureAlgorithm).toBe(algo.expectedSignature);
    expect(parsedCa.signatureAlgorithm).toBe(algo.expectedSignature);
  });

  it("computes fingerprints that match node:crypto's", () => {
    for (const [cert, parsed] of [
      [leaf, parsedLeaf],
      [ca, parsedCa],
    ] as const) {
      const node = nodeCert(cert);
      expect(parsed.sha1Fingerprint).toBe(nodeFingerprint(node.fingerprint));
      expect(parsed.sha256Fingerprint).toBe(nodeFingerprint(node.fingerprint256));
      expect(parsed.sha256Fingerprint).toMatch(/^[0-9A-F]{64}$/);
      expect(parsed.sha1Fingerprint).toMatch(/^[0-9A-F]{40}$/);
    }
  });

  it("prints serial numbers the way node:crypto does", () => {
    expect(parsedLeaf.serialNumber).toBe(nodeCert(leaf).serialNumber);
    expect(parsedCa.serialNumber).toBe(nodeCert(ca).serialNumber);
    expect(parsedCa.serialNumber).toBe("0A01");
  });

  it("reads key usage, extended key usage and basic constraints", () => {
    expect(parsedLeaf.keyUsage).toEqual(["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"]);
    expect(parsedCa.keyUsage).toEqual(["KEY_CERT_SIGN", "CRL_SIGN"]);
    expect(parsedLeaf.extendedKeyUsage).toEqual([
      { oid: "1.3.6.1.5.5.7.3.1", name: "serverAuth" },
      { oid: "1.3.6.1.5.5.7.3.2", name: "clientAuth" },
      { oid: UNKNOWN_EKU, name: null },
    ]);
    expect(parsedCa.extendedKeyUsage).toBeNull();
    expect(parsedCa.basicConstraints).toEqual({ ca: true, pathLength: 1, critical: true });
    expect(parsedLeaf.basicConstraints).toEqual({ ca: false, pathLength: null, critical: true });
  });

  it("tells the self-signed CA from the leaf", () => {
    expect(parsedCa.selfSigned).toBe(true);
    expect(parsedLeaf.selfSigned).toBe(false);
  });

  it("returns normalised PEM identical to node:crypto's and stable when parsed again", async () => {
    expect(parsedLeaf.pem).toBe(nodeCert(leaf).toString());
    expect(parsedCa.pem).toBe(nodeCert(ca).toString());
    expect(await parseCertificatePem(parsedLeaf.pem)).toEqual(parsedLeaf);
  });

  it("splits a chain into its certificates in order", async () => {
    const chain = await parseCertificateChainPem(`${pemOf(leaf)}\n${pemOf(ca)}`);
    expect(chain).toEqual([parsedLeaf, parsedCa]);
  });

  it("round-trips a PKCS#7 bundle in stored order", async () => {
    const forward = new x509.X509Certificates([leaf, ca]).export("pem");
    expect(await parsePkcs7Pem(forward)).toEqual([parsedLeaf, parsedCa]);
    const backward = new x509.X509Certificates([ca, leaf]).export("pem");
    expect(await parsePkcs7Pem(backward)).toEqual([parsedCa, parsedLeaf]);
  });

  it("parses a CSR made with the same kind of key and verifies its signature", async () => {
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=req.example.com, O=Example Corp",
      keys: leafKeys,
      signingAlgorithm: algo.signing,
      extensions: [new x509.SubjectAlternativeNameExtension(LEAF_SANS)],
    });
    const parsed = await parseCsrPem(pemOf(csr));
    expect(parsed.subject.commonName).toBe("req.example.com");
    expect(parsed.subjectAltNames).toEqual(parsedLeaf.subjectAltNames);
    expect(parsed.publicKey).toEqual(algo.expectedKey);
    expect(parsed.signatureValid).toBe(true);
  });
});

describe("serial numbers", () => {
  const algo = ALGORITHMS[2]!;
  let keys: KeyPair;

  beforeAll(async () => {
    keys = await generateKeys(algo.keyGen);
  });

  it("drop the DER sign byte when the first value byte is 0x80 or more, as node:crypto does", async () => {
    const cert = await makeCa(algo, keys, CA_NAME, "80aabbccdd");
    const der = Buffer.from(cert.rawData);
    // DER holds INTEGER 00 80 AA BB CC DD (the 00 keeps it positive) ...
    expect(der.indexOf(Buffer.from("02060080aabbccdd", "hex"))).toBeGreaterThan(0);
    // ... and the field is the value without that padding, exactly as node:crypto prints it.
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.serialNumber).toBe("80AABBCCDD");
    expect(parsed.serialNumber).toBe(nodeCert(cert).serialNumber);
  });

  it("keep a leading zero nibble and print in uppercase", async () => {
    const cert = await makeCa(algo, keys, CA_NAME, "0a1b2c3d4e5f");
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.serialNumber).toBe("0A1B2C3D4E5F");
    expect(parsed.serialNumber).toBe(nodeCert(cert).serialNumber);
  });

  it("keep a 20-byte DigiCert-style serial intact", async () => {
    const serial = "7f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
    const cert = await makeCa(algo, keys, CA_NAME, serial);
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.serialNumber).toBe(serial.toUpperCase());
    expect(parsed.serialNumber).toBe(nodeCert(cert).serialNumber);
  });
});

describe("certificate details", () => {
  const algo = ALGORITHMS[2]!;
  let keys: KeyPair;

  beforeAll(async () => {
    keys = await generateKeys(algo.keyGen);
  });

  it("maps distinguished-name attribute types to short names, OIDs and multi-valued RDNs", async () => {
    const name =
      "CN=Jane Doe, O=Example Corp+OU=Engineering, DC=example, E=jane@example.com, G=Jane, I=J, SN=Doe, T=Engineer, 2.5.4.5=5299001, 1.3.6.1.4.1.311.60.2.1.3=US, 1.2.3.4.5=custom";
    const cert = await makeCa(algo, keys, name);
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.subject.dn).toBe(cert.subject);
    expect(parsed.subject.attributes).toEqual([
      { type: "CN", oid: "2.5.4.3", value: "Jane Doe" },
      { type: "O", oid: "2.5.4.10", value: "Example Corp" },
      { type: "OU", oid: "2.5.4.11", value: "Engineering" },
      { type: "DC", oid: "0.9.2342.19200300.100.1.25", value: "example" },
      { type: "E", oid: "1.2.840.113549.1.9.1", value: "jane@example.com" },
      { type: "G", oid: "2.5.4.42", value: "Jane" },
      { type: "I", oid: "2.5.4.43", value: "J" },
      { type: "SN", oid: "2.5.4.4", value: "Doe" },
      { type: "T", oid: "2.5.4.12", value: "Engineer" },
      { type: "SERIALNUMBER", oid: "2.5.4.5", value: "5299001" },
      { type: "JURISDICTIONC", oid: "1.3.6.1.4.1.311.60.2.1.3", value: "US" },
      { type: "1.2.3.4.5", oid: "1.2.3.4.5", value: "custom" },
    ]);
    // Cross-check values against OpenSSL's reading of the same DER.
    const nodeSubject = nodeCert(cert).subject;
    expect(nodeSubject).toContain("serialNumber=5299001");
    expect(nodeSubject).toContain("emailAddress=jane@example.com");
  });

  it("takes the last CN as the common name and null when there is none", async () => {
    const twoCns = await parseCertificatePem(pemOf(await makeCa(algo, keys, "CN=Outer, O=Org, CN=Inner")));
    expect(twoCns.subject.commonName).toBe("Inner");
    const noCn = await parseCertificatePem(pemOf(await makeCa(algo, keys, "O=Org, C=US")));
    expect(noCn.subject.commonName).toBeNull();
  });

  it("returns null for extensions that are absent", async () => {
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=bare",
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      signingAlgorithm: algo.signing,
      keys,
    });
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.keyUsage).toBeNull();
    expect(parsed.extendedKeyUsage).toBeNull();
    expect(parsed.basicConstraints).toBeNull();
    expect(parsed.subjectAltNames).toEqual([]);
    expect(parsed.selfSigned).toBe(true);
  });

  it("writes IPv6 SANs in RFC 5952 form and reports UPN and other name forms", async () => {
    const ips = ["::1", "fe80:0:0:1:0:0:0:1", "2001:db8:0:0:1:0:0:1", "2001:DB8:AB::FF", "0:0:0:0:0:0:0:0"];
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=names",
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      signingAlgorithm: algo.signing,
      keys,
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          ...ips.map((value) => ({ type: "ip" as const, value })),
          { type: "upn", value: "jane@corp.example.com" },
          { type: "guid", value: "8ee13e53-2c1c-42bb-8df7-39927c0bdbb6" },
          { type: "id", value: "1.2.3.4" },
          { type: "dn", value: "CN=Directory" },
        ]),
      ],
    });
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.subjectAltNames).toEqual([
      { type: "IP", value: "::1" },
      { type: "IP", value: "fe80:0:0:1::1" },
      { type: "IP", value: "2001:db8::1:0:0:1" },
      { type: "IP", value: "2001:db8:ab::ff" },
      { type: "IP", value: "::" },
      { type: "UPN", value: "jane@corp.example.com" },
      { type: "OTHER", value: "guid:8ee13e53-2c1c-42bb-8df7-39927c0bdbb6" },
      { type: "OTHER", value: "registeredID:1.2.3.4" },
      { type: "OTHER", value: "dirName:CN=Directory" },
    ]);
    // The WHATWG URL parser serialises IPv6 per RFC 5952 too: same answers.
    expect(parsed.subjectAltNames.slice(0, ips.length).map((san) => san.value)).toEqual(ips.map(canonicalIp));
  });

  it("is not fooled by a certificate whose issuer name equals its subject but which another key signed", async () => {
    const otherKeys = await generateKeys(algo.keyGen);
    const cert = await x509.X509CertificateGenerator.create({
      subject: "CN=Lookalike",
      issuer: "CN=Lookalike",
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      signingAlgorithm: algo.signing,
      signingKey: otherKeys.privateKey,
      publicKey: keys.publicKey,
    });
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.subject.dn).toBe(parsed.issuer.dn);
    expect(parsed.selfSigned).toBe(false);
  });

  it("names RSASSA-PSS signatures and sizes id-RSASSA-PSS keys", async () => {
    const pss = { name: "RSA-PSS", hash: "SHA-256", modulusLength: 2048, publicExponent: RSA_EXPONENT };
    const caKeys = await generateKeys(pss);
    // A key whose SPKI algorithm is id-RSASSA-PSS (WebCrypto would export rsaEncryption).
    const pssSpki = generateKeyPairSync("rsa-pss", { modulusLength: 3072 }).publicKey.export({
      type: "spki",
      format: "der",
    });
    const cert = await x509.X509CertificateGenerator.create({
      subject: "CN=pss leaf",
      issuer: "CN=pss ca",
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      signingAlgorithm: { name: "RSA-PSS", saltLength: 32 } as webcrypto.RsaPssParams,
      signingKey: caKeys.privateKey,
      publicKey: new Uint8Array(pssSpki),
    });
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.signatureAlgorithm).toBe("RSASSA_PSS");
    expect(parsed.publicKey).toEqual({ algorithm: "RSA", size: 3072, curve: null });
    expect(parsed.sha256Fingerprint).toBe(nodeFingerprint(nodeCert(cert).fingerprint256));
  });

  it("reports an unrecognised signature algorithm by its OID", async () => {
    const cert = await x509.X509CertificateGenerator.create({
      subject: "CN=odd",
      issuer: "CN=odd",
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      signingAlgorithm: { name: "1.2.3.4.5.6" },
      publicKey: keys.publicKey,
      signature: new Uint8Array([1, 2, 3, 4]),
    });
    const parsed = await parseCertificatePem(pemOf(cert));
    expect(parsed.signatureAlgorithm).toBe("1.2.3.4.5.6");
    expect(parsed.selfSigned).toBe(false);
    expect(parsed.publicKey).toEqual({ algorithm: "EC", size: 256, curve: "P-256" });
  });

  it("agrees with node:crypto on every root certificate Node ships", async () => {
    expect(rootCertificates.length).toBeGreaterThan(50);
    const parsed = await parseCertificateChainPem(rootCertificates.join("\n"));
    expect(parsed).toHaveLength(rootCertificates.length);
    parsed.forEach((cert, i) => {
      const node = new NodeX509Certificate(rootCertificates[i]!);
      expect(cert.sha256Fingerprint).toBe(nodeFingerprint(node.fingerprint256));
      expect(cert.sha1Fingerprint).toBe(nodeFingerprint(node.fingerprint));
      // OpenSSL prints a zero serial as "0"; we keep the DER byte ("00").
      expect(cert.serialNumber).toBe(node.serialNumber === "0" ? "00" : node.serialNumber);
      expect(cert.notAfter.getTime()).toBe(new Date(node.validTo).getTime());
      expect(cert.selfSigned).toBe(true);
      const details = node.publicKey.asymmetricKeyDetails;
      if (node.publicKey.asymmetricKeyType === "rsa") {
        expect(cert.publicKey).toEqual({ algorithm: "RSA", size: details?.modulusLength, curve: null });
      } else {
        expect(node.publicKey.asymmetricKeyType).toBe("ec");
        const curve = NODE_CURVES[details?.namedCurve ?? ""];
        expect(curve).toBeDefined();
        expect(cert.publicKey).toEqual({ algorithm: "EC", size: curve!.size, curve: curve!.curve });
      }
      expect(cert.pem).toBe(node.toString());
    });
  });
});

describe("PEM splitting and strictness", () => {
  let certPem: string;
  let caPem: string;
  let csrPem: string;

  beforeAll(async () => {
    const algo = ALGORITHMS[2]!;
    const [caKeys, leafKeys] = await Promise.all([generateKeys(algo.keyGen), generateKeys(algo.keyGen)]);
    const ca = await makeCa(algo, caKeys);
    certPem = pemOf(await makeLeaf(algo, ca, caKeys, leafKeys));
    caPem = pemOf(ca);
    csrPem = pemOf(
      await x509.Pkcs10CertificateRequestGenerator.create({
        name: "CN=req.example.com",
        keys: leafKeys,
        signingAlgorithm: algo.signing,
      }),
    );
  });

  it("splitPemBlocks returns every block in order and ignores text between them", () => {
    const text = `subject=CN=leaf\n${certPem}issuer=CN=ca\r\n${caPem.replaceAll("\n", "\r\n")}\n${csrPem}`;
    const blocks = splitPemBlocks(text);
    expect(blocks.map((block) => block.label)).toEqual(["CERTIFICATE", "CERTIFICATE", "CERTIFICATE REQUEST"]);
    expect(blocks[0]!.base64).toBe(bodyOf(certPem));
    expect(blocks[1]!.base64).toBe(bodyOf(caPem));
    expect(splitPemBlocks("no armour here")).toEqual([]);
  });

  it("splitPemBlocks refuses a BEGIN without END, an END without BEGIN and mismatched labels", () => {
    expect(
      syncParseError(() => splitPemBlocks(certPem.replace("-----END CERTIFICATE-----", ""))).message,
    ).toBe("a PEM BEGIN line has no matching END line");
    expect(
      syncParseError(() => splitPemBlocks(`${certPem.split("\n").slice(0, 3).join("\n")}\n${caPem}`)).message,
    ).toBe("a PEM BEGIN line has no matching END line");
    expect(syncParseError(() => splitPemBlocks(`-----END CERTIFICATE-----\n${caPem}`)).message).toBe(
      "a PEM END line has no matching BEGIN line",
    );
    expect(
      syncParseError(() =>
        splitPemBlocks(certPem.replace("-----END CERTIFICATE-----", "-----END X509 CRL-----")),
      ).message,
    ).toBe("a PEM END label does not match its BEGIN label");
  });

  it("parseCertificatePem accepts CRLF line ends and a single-line PEM", async () => {
    const expected = await parseCertificatePem(certPem);
    expect(await parseCertificatePem(certPem.replaceAll("\n", "\r\n"))).toEqual(expected);
    expect(await parseCertificatePem(`  ${certPem.replaceAll("\n", "")}  `)).toEqual(expected);
  });

  it("parseCertificatePem refuses anything but one clean CERTIFICATE block", async () => {
    const cases: [string, string][] = [
      ["", "input is empty"],
      [" \n\t", "input is empty"],
      [bodyOf(certPem), "no PEM block found (expected -----BEGIN ...----- armour)"],
      [`${certPem}${caPem}`, "expected exactly one CERTIFICATE block"],
      [`${certPem}${SECRET}`, "unexpected text outside the PEM block"],
      [`${SECRET}\n${certPem}`, "unexpected text outside the PEM block"],
      [csrPem, "expected CERTIFICATE blocks only"],
      [
        `-----BEGIN CERTIFICATE-----\n${SECRET}!\n-----END CERTIFICATE-----`,
        "the PEM block does not contain valid base64",
      ],
      [`-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----`, "not a valid X.509 certificate"],
      [`-----BEGIN CERTIFICATE-----\nQUFBQQ==\n-----END CERTIFICATE-----`, "not a valid X.509 certificate"],
      [csrPem.replaceAll("CERTIFICATE REQUEST", "CERTIFICATE"), "not a valid X.509 certificate"],
    ];
    for (const [input, message] of cases) {
      const error = await parseError(() => parseCertificatePem(input));
      expect(error.message).toBe(message);
      expect(error.message).not.toContain(SECRET);
      if (input.length > 20) expect(error.message).not.toContain(bodyOf(input).slice(0, 20));
    }
  });

  it("parseCertificatePem refuses DER with trailing bytes hidden inside the base64", async () => {
    const der = Buffer.concat([Buffer.from(bodyOf(certPem), "base64"), Buffer.from(SECRET)]);
    const pem = x509.PemConverter.encode(new Uint8Array(der), "CERTIFICATE");
    expect((await parseError(() => parseCertificatePem(pem))).message).toBe("not a valid X.509 certificate");
  });

  it("parseCertificatePem refuses input over 1 MiB", async () => {
    const huge = certPem + " ".repeat(1024 * 1024);
    expect((await parseError(() => parseCertificatePem(huge))).message).toBe(
      "input is larger than 1048576 bytes",
    );
  });

  it("parseCertificateChainPem keeps order and refuses junk between blocks or other labels", async () => {
    const chain = await parseCertificateChainPem(`${caPem}\n\n${certPem.replaceAll("\n", "\r\n")}`);
    expect(chain.map((cert) => cert.subject.commonName)).toEqual(["Test Root CA", "leaf.example.com"]);
    expect((await parseError(() => parseCertificateChainPem(`${certPem}${SECRET}\n${caPem}`))).message).toBe(
      "unexpected text outside the PEM block",
    );
    expect((await parseError(() => parseCertificateChainPem(`${certPem}${csrPem}`))).message).toBe(
      "expected CERTIFICATE blocks only",
    );
    expect((await parseError(() => parseCertificateChainPem(""))).message).toBe("input is empty");
  });

  it("parsePkcs7Pem accepts the PKCS7, CMS and legacy labels and refuses other input", async () => {
    const leaf = new x509.X509Certificate(certPem);
    const ca = new x509.X509Certificate(caPem);
    const cms = new x509.X509Certificates([leaf, ca]).export("pem");
    expect(cms.startsWith("-----BEGIN CMS-----")).toBe(true);
    const expected = await parsePkcs7Pem(cms);
    expect(expected.map((cert) => cert.pem)).toEqual([certPem, caPem]);
    expect(await parsePkcs7Pem(cms.replaceAll("CMS", "PKCS7"))).toEqual(expected);
    expect(await parsePkcs7Pem(cms.replaceAll("CMS", "PKCS #7 SIGNED DATA"))).toEqual(expected);

    expect((await parseError(() => parsePkcs7Pem(certPem))).message).toBe("expected a PKCS7 block");
    expect((await parseError(() => parsePkcs7Pem(`${cms}\n${cms}`))).message).toBe(
      "expected exactly one PKCS7 block",
    );
    expect((await parseError(() => parsePkcs7Pem(new x509.X509Certificates([]).export("pem")))).message).toBe(
      "the PKCS#7 bundle contains no certificates",
    );
    // Re-encode the CA's critical flag (BOOLEAN FF) as BER's 01: same length, still TRUE, but
    // the library's DER re-encoding of that certificate no longer matches the bundle's bytes, so
    // fingerprints could not be computed over the original encoding.
    const raw = Buffer.from(new x509.X509Certificates([ca]).export("raw"));
    const critical = raw.indexOf(Buffer.from("0101ff04", "hex"));
    expect(critical).toBeGreaterThan(0);
    raw[critical + 2] = 0x01;
    const berPem = x509.PemConverter.encode(new Uint8Array(raw), "PKCS7");
    expect((await parseError(() => parsePkcs7Pem(berPem))).message).toBe(
      "the PKCS#7 bundle contains a certificate that is not DER-encoded",
    );

    const notCms = certPem.replaceAll("CERTIFICATE", "PKCS7");
    expect((await parseError(() => parsePkcs7Pem(notCms))).message).toBe(
      "not a valid PKCS#7 certificate bundle",
    );
  });
});

describe("certificate signing requests", () => {
  const algo = ALGORITHMS[0]!;
  let keys: KeyPair;
  let csr: x509.Pkcs10CertificateRequest;
  let csrPem: string;

  beforeAll(async () => {
    keys = await generateKeys(algo.keyGen);
    csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: "CN=req.example.com, O=Example Corp, C=US",
      keys,
      signingAlgorithm: algo.signing,
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: "dns", value: "req.example.com" },
          { type: "dns", value: "www.req.example.com" },
          { type: "ip", value: "2001:db8:0:0:0:0:0:2" },
          { type: "email", value: "ops@example.com" },
          { type: "url", value: "spiffe://example.com/ns/default" },
        ]),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature),
      ],
    });
    csrPem = pemOf(csr);
  });

  it("parses the subject, the SANs from extensionRequest, the key, and a valid signature", async () => {
    const parsed = await parseCsrPem(csrPem);
    expect(parsed).toEqual({
      subject: {
        dn: "CN=req.example.com, O=Example Corp, C=US",
        commonName: "req.example.com",
        attributes: [
          { type: "CN", oid: "2.5.4.3", value: "req.example.com" },
          { type: "O", oid: "2.5.4.10", value: "Example Corp" },
          { type: "C", oid: "2.5.4.6", value: "US" },
        ],
      },
      subjectAltNames: [
        { type: "DNS", value: "req.example.com" },
        { type: "DNS", value: "www.req.example.com" },
        { type: "IP", value: "2001:db8::2" },
        { type: "EMAIL", value: "ops@example.com" },
        { type: "URI", value: "spiffe://example.com/ns/default" },
      ],
      publicKey: { algorithm: "RSA", size: 2048, curve: null },
      signatureValid: true,
      pem: csrPem,
    });
  });

  it("accepts the NEW CERTIFICATE REQUEST label, CRLF and a single-line PEM, and normalises the PEM", async () => {
    const variants = [
      csrPem.replaceAll("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"),
      csrPem.replaceAll("\n", "\r\n"),
      csrPem.replaceAll("\n", ""),
    ];
    for (const variant of variants) {
      expect(() => checkCsrPem(variant)).not.toThrow();
      const parsed = await parseCsrPem(variant);
      expect(parsed.pem).toBe(csrPem);
      expect(parsed.signatureValid).toBe(true);
    }
  });

  it("reports a tampered signature as signatureValid false", async () => {
    const der = Buffer.from(csr.rawData);
    der[der.length - 1] = (der[der.length - 1] ?? 0) ^ 0xff;
    const parsed = await parseCsrPem(x509.PemConverter.encode(new Uint8Array(der), "CERTIFICATE REQUEST"));
    expect(parsed.signatureValid).toBe(false);
    expect(parsed.subject.commonName).toBe("req.example.com");
  });

  it("reports a tampered subject as signatureValid false", async () => {
    const der = Buffer.from(csr.rawData);
    const at = der.indexOf(Buffer.from("req.example.com"));
    der[at] = "x".charCodeAt(0);
    const parsed = await parseCsrPem(x509.PemConverter.encode(new Uint8Array(der), "CERTIFICATE REQUEST"));
    expect(parsed.subject.commonName).toBe("xeq.example.com");
    expect(parsed.signatureValid).toBe(false);
  });

  it("verifies EC P-384 and Ed25519 CSRs with no extensions", async () => {
    for (const algoEc of [ALGORITHMS[3]!, ALGORITHMS[4]!]) {
      const ecKeys = await generateKeys(algoEc.keyGen);
      const ecCsr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: "CN=ec",
        keys: ecKeys,
        signingAlgorithm: algoEc.signing,
      });
      const parsed = await parseCsrPem(pemOf(ecCsr));
      expect(parsed.subjectAltNames).toEqual([]);
      expect(parsed.publicKey).toEqual(algoEc.expectedKey);
      expect(parsed.signatureValid).toBe(true);
    }
  });

  it("checkCsrPem refuses every malformed shape with a plain message that does not echo the input", async () => {
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
    const keyPem = x509.PemConverter.encode(new Uint8Array(pkcs8), "PRIVATE KEY");
    const certPem = pemOf(
      await x509.X509CertificateGenerator.createSelfSigned({
        name: "CN=cert",
        keys,
        signingAlgorithm: algo.signing,
        notBefore: NOT_BEFORE,
        notAfter: NOT_AFTER,
      }),
    );
    const trailingDer = Buffer.concat([Buffer.from(csr.rawData), Buffer.from(SECRET)]);
    const cases: [unknown, string][] = [
      ["", "input is empty"],
      ["\n \n", "input is empty"],
      [`${csrPem}${csrPem}`, "expected exactly one CERTIFICATE REQUEST block"],
      [`${csrPem}${SECRET}`, "unexpected text outside the PEM block"],
      [`${SECRET}${csrPem}`, "unexpected text outside the PEM block"],
      [bodyOf(csrPem), "no PEM block found (expected -----BEGIN ...----- armour)"],
      [certPem, "expected a CERTIFICATE REQUEST block but found a CERTIFICATE block"],
      [keyPem, "expected a CERTIFICATE REQUEST block but found a private key"],
      [csrPem.replaceAll("CERTIFICATE REQUEST", `${SECRET} REQUEST`), "expected a CERTIFICATE REQUEST block"],
      [csrPem.replace("-----END CERTIFICATE REQUEST-----", ""), "a PEM BEGIN line has no matching END line"],
      [
        csrPem.replace("-----END CERTIFICATE REQUEST-----", "-----END CERTIFICATE-----"),
        "a PEM END label does not match its BEGIN label",
      ],
      [csrPem.replace(/\n(.)/, "\n*$1"), "the PEM block does not contain valid base64"],
      [csrPem.replace(/\n(.)/, "\n$1$1"), "the PEM block does not contain valid base64"],
      [
        x509.PemConverter.encode(new Uint8Array(trailingDer), "CERTIFICATE REQUEST"),
        "not a valid PKCS#10 certificate request",
      ],
      [`${csrPem}${" ".repeat(16 * 1024)}`, "certificate request is larger than 16384 bytes"],
      [42, "input is not a string"],
    ];
    for (const [input, message] of cases) {
      const error = syncParseError(() => checkCsrPem(input as string));
      expect(error.message).toBe(message);
      expect(error.message).not.toContain(SECRET);
      expect(error.message).not.toContain(bodyOf(csrPem).slice(0, 16));
      // parseCsrPem runs the same check first.
      expect((await parseError(() => parseCsrPem(input as string))).message).toBe(message);
    }
  });

  it("checkCsrPem counts the 16 KiB limit in UTF-8 bytes, inclusive", () => {
    const limit = 16 * 1024;
    const exact = csrPem + " ".repeat(limit - Buffer.byteLength(csrPem));
    expect(Buffer.byteLength(exact)).toBe(limit);
    expect(() => checkCsrPem(exact)).not.toThrow();
    expect(syncParseError(() => checkCsrPem(`${exact} `)).message).toBe(
      "certificate request is larger than 16384 bytes",
    );
    // Two-byte characters push the byte count over the limit before the character count.
    const multiByte = `${csrPem}${"\u00a0".repeat(Math.floor((limit - csrPem.length) / 2) + 1)}`;
    expect(multiByte.length).toBeLessThanOrEqual(limit);
    expect(syncParseError(() => checkCsrPem(multiByte)).message).toBe(
      "certificate request is larger than 16384 bytes",
    );
  });

  it("parseCsrPem turns a structurally broken request into a generic error", async () => {
    const pem = "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n";
    expect(() => checkCsrPem(pem)).not.toThrow();
    expect((await parseError(() => parseCsrPem(pem))).message).toBe(
      "not a valid PKCS#10 certificate request",
    );
  });
});

describe("daysUntilExpiry", () => {
  const notAfter = new Date("2026-03-10T12:00:00.000Z");
  const DAY = 86_400_000;
  const at = (offsetMs: number) => new Date(notAfter.getTime() - offsetMs);

  it("counts whole days, rounding down", () => {
    expect(daysUntilExpiry(notAfter, at(30 * DAY))).toBe(30);
    expect(daysUntilExpiry(notAfter, at(30 * DAY - 1))).toBe(29);
    expect(daysUntilExpiry(notAfter, at(DAY))).toBe(1);
    expect(daysUntilExpiry(notAfter, at(DAY - 1))).toBe(0);
    expect(daysUntilExpiry(notAfter, at(1))).toBe(0);
  });

  it("is zero at the notAfter instant and negative once expired", () => {
    expect(daysUntilExpiry(notAfter, notAfter)).toBe(0);
    expect(daysUntilExpiry(notAfter, at(-1))).toBe(-1);
    expect(daysUntilExpiry(notAfter, at(-DAY))).toBe(-1);
    expect(daysUntilExpiry(notAfter, at(-DAY - 1))).toBe(-2);
  });

  it("refuses invalid dates", () => {
    expect(() => daysUntilExpiry(new Date(Number.NaN), notAfter)).toThrow(RangeError);
  });
});
