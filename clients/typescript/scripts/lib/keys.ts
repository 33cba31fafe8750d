/**
 * Key pairs and CSRs made locally (WebCrypto and @peculiar/x509: the private key never leaves this process but to
 * its 0600 file), and PEM files written without clobbering: a file that exists is refused unless `force`.
 */
import "reflect-metadata";
import { constants } from "node:fs";
import { access, open, readFile, unlink } from "node:fs/promises";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

export const KEY_TYPES = ["p256", "p384", "rsa2048", "rsa3072"] as const;
export type KeyType = (typeof KEY_TYPES)[number];

function algorithm(keyType: KeyType): RsaHashedKeyGenParams | EcKeyGenParams {
  switch (keyType) {
    case "p256":
      return { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as EcKeyGenParams;
    case "p384":
      return { name: "ECDSA", namedCurve: "P-384", hash: "SHA-384" } as EcKeyGenParams;
    case "rsa2048":
    case "rsa3072":
      return {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: keyType === "rsa2048" ? 2048 : 3072,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      };
  }
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** A fresh key pair and a CSR signed with it: CN `commonName`, DNS SANs `dnsNames`. */
export async function generateKeyAndCsr(options: {
  commonName: string;
  dnsNames?: readonly string[];
  keyType: KeyType;
}): Promise<{ keyPem: string; csrPem: string }> {
  const alg = algorithm(options.keyType);
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const dnsNames = options.dnsNames ?? [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [options.commonName] }],
    keys,
    signingAlgorithm: alg,
    extensions: dnsNames.length
      ? [new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: "dns" as const, value })))]
      : [],
  });
  const keyPem = pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { keyPem, csrPem: csr.toString("pem") };
}

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Throws, naming the first of `paths` that exists, unless `force`. */
export async function refuseToOverwrite(paths: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  for (const path of paths) {
    if (await exists(path)) throw new Error(`${path} exists; pass --force to overwrite it.`);
  }
}

/**
 * Writes `text` to `path` with permissions `mode`. Without `force` the file must not exist (O_EXCL: no race). With it
 * an existing file is truncated and its permissions set to `mode` before anything is written.
 */
export async function writeFileSafely(
  path: string,
  text: string,
  mode: number,
  force: boolean,
): Promise<void> {
  const handle = await open(path, force ? "w" : "wx", mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(text, "utf8");
  } finally {
    await handle.close();
  }
}

/** A private key's PEM, 0600. */
export function writePrivateKey(path: string, keyPem: string, force: boolean): Promise<void> {
  return writeFileSafely(path, keyPem, 0o600, force);
}

/** A certificate's or CSR's PEM, 0644. */
export function writePublicPem(path: string, text: string, force: boolean): Promise<void> {
  return writeFileSafely(path, text.endsWith("\n") ? text : `${text}\n`, 0o644, force);
}

export async function readText(path: string): Promise<string> {
  return readFile(path, "utf8");
}

export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
