import "reflect-metadata";
import {
  constants,
  createCipheriv,
  generateKeyPair,
  type KeyObject,
  publicEncrypt,
  randomBytes,
  X509Certificate as NodeX509Certificate,
} from "node:crypto";
import { promisify } from "node:util";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { zipSync } from "fflate";
import * as pkijs from "pkijs";
import { describeKey } from "../ca.js";
import { ApiError } from "../errors.js";
import { IOT_KEY_TYPES, type IotKeyType } from "./profiles.js";

// Server-side key generation and the artefacts that carry the keys: PKCS#8/PKCS#1, PKCS#12 and CMS EnvelopedData.
// All ASN.1 goes through pkijs/asn1js; node:crypto does keygen, AES and the RSA key transport.

const generate = promisify(generateKeyPair);
/** pkijs calls go through this engine; the global pkijs engine is left alone (the gateway shares the process). */
const ENGINE = new pkijs.CryptoEngine({ name: "node-webcrypto", crypto: globalThis.crypto });
const OID = {
  rsaEncryption: "1.2.840.113549.1.1.1",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  data: "1.2.840.113549.1.7.1",
  envelopedData: "1.2.840.113549.1.7.3",
  localKeyId: "1.2.840.113549.1.9.21",
  friendlyName: "1.2.840.113549.1.9.20",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
} as const;
/** PKCS#12 PBES2 and MAC iteration count, OpenSSL 3's default. */
const PKCS12_ITERATIONS = 2048;

export const PRIVATE_KEY_FORMATS = [
  "pem",
  "der",
  "pkcs_12",
  "cert_encrypted",
  "cert_encrypted_key_only",
] as const;
export type PrivateKeyFormat = (typeof PRIVATE_KEY_FORMATS)[number];
/** pkcs8 is the default; pkcs1 (RSA only) is [I]: the public page does not list the values. */
export const PRIVATE_KEY_SYNTAXES = ["pkcs8", "pkcs1"] as const;
export type PrivateKeySyntax = (typeof PRIVATE_KEY_SYNTAXES)[number];
export const PKCS12_PASSWORD = /^[A-Za-z0-9]{6,20}$/;

export interface GeneratedKey {
  readonly publicKey: x509.PublicKey;
  readonly privateKey: KeyObject;
}

/** A fresh key pair of an IoT key type (keygen runs on libuv's thread pool). */
export async function generateIotKey(type: IotKeyType): Promise<GeneratedKey> {
  let pair: { publicKey: KeyObject; privateKey: KeyObject };
  if (type.startsWith("rsa_")) {
    pair = await generate("rsa", { modulusLength: Number(type.slice(4)) });
  } else if (type === "ed_25519") {
    pair = await generate("ed25519");
  } else {
    pair = await generate("ec", { namedCurve: `P-${type.slice(2)}` });
  }
  const spki = pair.publicKey.export({ type: "spki", format: "der" });
  return { publicKey: new x509.PublicKey(new Uint8Array(spki)), privateKey: pair.privateKey };
}

/** The IoT key type of a subject public key, or undefined for keys IoT Trust Manager does not list. */
export function iotKeyTypeOf(publicKey: x509.PublicKey): IotKeyType | undefined {
  const key = describeKey(publicKey);
  const label =
    key.algorithm === "RSA"
      ? `rsa_${key.size}`
      : key.algorithm === "ECDSA"
        ? `p_${key.size}`
        : key.algorithm === "Ed25519"
          ? "ed_25519"
          : "";
  return (IOT_KEY_TYPES as readonly string[]).includes(label) ? (label as IotKeyType) : undefined;
}

/** The private key as PEM text or DER bytes, PKCS#8 or (RSA only) PKCS#1. */
export function exportPrivateKey(key: KeyObject, syntax: PrivateKeySyntax, encoding: "pem"): string;
export function exportPrivateKey(key: KeyObject, syntax: PrivateKeySyntax, encoding: "der"): Buffer;
export function exportPrivateKey(
  key: KeyObject,
  syntax: PrivateKeySyntax,
  encoding: "pem" | "der",
): string | Buffer {
  if (encoding === "pem") return key.export({ type: syntax, format: "pem" }) as string;
  return key.export({ type: syntax, format: "der" });
}

/**
 * A PKCS#12 (PFX) holding the key (PKCS#8 shrouded key bag) and the certificates, the first one paired with the key by
 * localKeyID. Both bags are encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and the MAC is HMAC-SHA256, so
 * OpenSSL 3 opens it without the legacy provider.
 */
export async function buildPkcs12(
  privateKey: KeyObject,
  certificates: readonly x509.X509Certificate[],
  password: string,
  friendlyName: string,
): Promise<Uint8Array> {
  const passwordBytes = new TextEncoder().encode(password).buffer;
  const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
  const localKeyId = new Uint8Array(randomBytes(20)).buffer;
  const bagAttributes = (): pkijs.Attribute[] => [
    new pkijs.Attribute({ type: OID.friendlyName, values: [new asn1js.BmpString({ value: friendlyName })] }),
    new pkijs.Attribute({
      type: OID.localKeyId,
      values: [new asn1js.OctetString({ valueHex: localKeyId })],
    }),
  ];
  const keyBag = new pkijs.PKCS8ShroudedKeyBag({
    parsedValue: pkijs.PrivateKeyInfo.fromBER(new Uint8Array(pkcs8)),
  });
  const certificateBags = certificates.map(
    (certificate, index) =>
      new pkijs.SafeBag({
        bagId: OID.certBag,
        bagValue: new pkijs.CertBag({ parsedValue: pkijs.Certificate.fromBER(certificate.rawData) }),
        ...(index === 0 ? { bagAttributes: bagAttributes() } : {}),
      }),
  );
  const encryption = {
    password: passwordBytes,
    contentEncryptionAlgorithm: { name: "AES-CBC", length: 256 },
    hmacHashAlgorithm: "SHA-256",
    iterationCount: PKCS12_ITERATIONS,
  };
  await keyBag.makeInternalValues(
    encryption as unknown as Parameters<typeof keyBag.makeInternalValues>[0],
    ENGINE,
  );
  const authenticatedSafe = new pkijs.AuthenticatedSafe({
    parsedValue: {
      safeContents: [
        {
          privacyMode: 0,
          value: new pkijs.SafeContents({
            safeBags: [
              new pkijs.SafeBag({
                bagId: OID.pkcs8ShroudedKeyBag,
                bagValue: keyBag,
                bagAttributes: bagAttributes(),
              }),
            ],
          }),
        },
        { privacyMode: 1, value: new pkijs.SafeContents({ safeBags: certificateBags }) },
      ],
    },
  });
  await authenticatedSafe.makeInternalValues({ safeContents: [{}, encryption] }, ENGINE);
  const pfx = new pkijs.PFX({ parsedValue: { integrityMode: 0, authenticatedSafe } });
  await pfx.makeInternalValues(
    {
      password: passwordBytes,
      iterations: PKCS12_ITERATIONS,
      pbkdf2HashAlgorithm: { name: "SHA-256" },
      hmacHashAlgorithm: "SHA-256",
    },
    ENGINE,
  );
  return new Uint8Array(pfx.toSchema().toBER(false));
}

/**
 * A CMS EnvelopedData (ContentInfo, DER) of `content` for the RSA key of `recipient`: AES-256-CBC content encryption,
 * key transport with RSAES-PKCS1-v1_5, recipient by issuer and serial number. PKCS#1 v1.5 rather than OAEP because
 * `openssl smime -decrypt`, the command DigiCert documents, cannot unwrap an OAEP key (`openssl cms` can do both).
 */
export function envelope(content: Uint8Array, recipient: x509.X509Certificate): Uint8Array {
  const contentKey = randomBytes(32);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", contentKey, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  const nodeCertificate = new NodeX509Certificate(new Uint8Array(recipient.rawData));
  const encryptedKey = publicEncrypt(
    { key: nodeCertificate.publicKey, padding: constants.RSA_PKCS1_PADDING },
    contentKey,
  );
  contentKey.fill(0);
  const certificate = pkijs.Certificate.fromBER(recipient.rawData);
  const envelopedData = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({
            issuer: certificate.issuer,
            serialNumber: certificate.serialNumber,
          }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: OID.rsaEncryption,
            algorithmParams: new asn1js.Null(),
          }),
          encryptedKey: new asn1js.OctetString({ valueHex: new Uint8Array(encryptedKey).buffer }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: OID.data,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: OID.aes256Cbc,
        algorithmParams: new asn1js.OctetString({ valueHex: new Uint8Array(iv).buffer }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: new Uint8Array(encrypted).buffer }),
      disableSplit: true,
    }),
  });
  const contentInfo = new pkijs.ContentInfo({
    contentType: OID.envelopedData,
    content: envelopedData.toSchema(),
  });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

/** A ZIP archive of small in-memory files (deflated). */
export function zipFiles(files: readonly { name: string; data: string | Uint8Array }[]): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const file of files) {
    entries[file.name] = typeof file.data === "string" ? new TextEncoder().encode(file.data) : file.data;
  }
  return zipSync(entries, { level: 6 });
}

/** The encryption_certificate of a request: one PEM certificate with an RSA key (needed for PKCS#1 key transport). */
export function parseEncryptionCertificate(
  input: unknown,
  field = "encryption_certificate",
): x509.X509Certificate {
  if (typeof input !== "string" || input.trim() === "") {
    throw ApiError.invalidField(field, `${field} is required for this private_key_format`);
  }
  const text = input.trim().replaceAll("\\n", "\n");
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1 || text.replace(blocks[0]!, "").trim() !== "") {
    throw ApiError.invalidField(field, `${field} must be exactly one PEM CERTIFICATE block`);
  }
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(blocks[0]!);
    void certificate.publicKey.algorithm;
  } catch {
    throw ApiError.invalidField(field, `${field} could not be parsed as an X.509 certificate`);
  }
  if (describeKey(certificate.publicKey).algorithm !== "RSA") {
    throw ApiError.invalidField(field, `${field} must hold an RSA public key`);
  }
  const now = Date.now();
  if (certificate.notAfter.getTime() < now || certificate.notBefore.getTime() > now) {
    throw ApiError.invalidField(field, `${field} is not within its validity period`);
  }
  return certificate;
}
