import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export type KeySpec = { kind: "RSA"; bits: 1024 | 2048 | 3072 } | { kind: "EC"; curve: "P-256" | "P-384" };

export interface CsrOptions {
  subject?: string;
  dnsNames?: string[];
  key?: KeySpec;
}

function algorithm(key: KeySpec) {
  return key.kind === "RSA"
    ? {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: key.bits,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      }
    : { name: "ECDSA", namedCurve: key.curve, hash: key.curve === "P-384" ? "SHA-384" : "SHA-256" };
}

/** Generates a fresh key pair and a signed PKCS#10 CSR (PEM); nothing is written to disk. */
export async function generateCsr(options: CsrOptions = {}): Promise<{ pem: string; keys: CryptoKeyPair }> {
  const key = options.key ?? { kind: "EC", curve: "P-256" };
  const alg = algorithm(key);
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const extensions = options.dnsNames?.length
    ? [
        new x509.SubjectAlternativeNameExtension(
          options.dnsNames.map((value) => ({ type: "dns" as const, value })),
        ),
      ]
    : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject ?? "CN=test.example.com",
    keys,
    signingAlgorithm: alg,
    extensions,
  });
  return { pem: csr.toString("pem"), keys };
}

/** A CSR whose signature no longer verifies: one byte of the signature flipped. */
export async function tamperedCsr(): Promise<string> {
  const { pem } = await generateCsr();
  const der = Buffer.from(new x509.Pkcs10CertificateRequest(pem).rawData);
  const last = der.length - 1;
  der[last] = (der[last] ?? 0) ^ 0xff;
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n");
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** A fresh self-signed certificate (PEM) for parsing tests. */
export async function selfSignedCertificate(commonName = "cache.example.com"): Promise<string> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  return cert.toString("pem");
}

/** A fresh self-signed RSA 2048 certificate valid from yesterday for a year (an encryption certificate). */
export async function rsaCertificate(commonName = "Key recipient"): Promise<string> {
  const alg = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const day = 86_400_000;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0a",
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 365 * day),
    keys,
    signingAlgorithm: alg,
  });
  return cert.toString("pem");
}
