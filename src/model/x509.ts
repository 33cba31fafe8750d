// X.509 certificate, PKCS#7 bundle and PKCS#10 CSR parsing for the GraphQL layer.
//
// Pure module: no I/O, no logging, no clock. Certificates (alone, in chains, in PKCS#7 certs-only bundles)
// are read by the DER fast path in x509-fast.ts when it can answer exactly as @peculiar/x509 would, else by
// @peculiar/x509 itself (the reference, with Node's WebCrypto as its provider). CSRs go through
// @peculiar/x509 only. The reference inspects only the outer DER SEQUENCE header itself, to refuse
// trailing data the library would ignore.
//
// Errors: everything that goes wrong becomes an X509ParseError whose message is a fixed,
// plain sentence. Messages never quote the input, and library errors are not attached as
// `cause` (their text is not ours to vet).

import "reflect-metadata";
import { createHash } from "node:crypto";
import * as x509 from "@peculiar/x509";
import {
  type BasicConstraints,
  type DistinguishedName,
  type DnAttribute,
  EKU_NAMES,
  EXTRA_SHORT_NAMES,
  type ExtendedKeyUsage,
  type KeyUsageFlag,
  LIBRARY_SHORT_NAMES,
  type ParsedCertificate,
  type ParsedCsr,
  type PublicKeyInfo,
  type SubjectAltName,
} from "./x509-common.js";
import {
  type FastCertificate,
  readCertificate,
  readPkcs7Certificates,
  verifySelfSignature,
} from "./x509-fast.js";

const webcrypto = globalThis.crypto;
x509.cryptoProvider.set(webcrypto);

export type {
  BasicConstraints,
  DistinguishedName,
  DnAttribute,
  ExtendedKeyUsage,
  KeyAlgorithm,
  KeyUsageFlag,
  ParsedCertificate,
  ParsedCsr,
  PublicKeyInfo,
  SanType,
  SubjectAltName,
} from "./x509-common.js";

export class X509ParseError extends Error {
  override readonly name = "X509ParseError";
  readonly code = "X509_PARSE_ERROR";
}

// ---------------------------------------------------------------------------------------------
// Limits and messages
// ---------------------------------------------------------------------------------------------

/** Largest CSR input accepted by checkCsrPem, in UTF-8 bytes. */
const MAX_CSR_PEM_BYTES = 16 * 1024;
/** Largest certificate / chain / PKCS#7 input accepted, in UTF-8 bytes. */
const MAX_CERTIFICATE_PEM_BYTES = 1024 * 1024;

const MSG = {
  notString: "input is not a string",
  empty: "input is empty",
  beginWithoutEnd: "a PEM BEGIN line has no matching END line",
  endWithoutBegin: "a PEM END line has no matching BEGIN line",
  labelMismatch: "a PEM END label does not match its BEGIN label",
  noBlock: "no PEM block found (expected -----BEGIN ...----- armour)",
  outside: "unexpected text outside the PEM block",
  badBase64: "the PEM block does not contain valid base64",
  certTooLarge: `input is larger than ${MAX_CERTIFICATE_PEM_BYTES} bytes`,
  csrTooLarge: `certificate request is larger than ${MAX_CSR_PEM_BYTES} bytes`,
  certOneBlock: "expected exactly one CERTIFICATE block",
  certLabel: "expected CERTIFICATE blocks only",
  certInvalid: "not a valid X.509 certificate",
  pkcs7OneBlock: "expected exactly one PKCS7 block",
  pkcs7Label: "expected a PKCS7 block",
  pkcs7Invalid: "not a valid PKCS#7 certificate bundle",
  pkcs7Empty: "the PKCS#7 bundle contains no certificates",
  pkcs7NotDer: "the PKCS#7 bundle contains a certificate that is not DER-encoded",
  csrOneBlock: "expected exactly one CERTIFICATE REQUEST block",
  csrLabel: "expected a CERTIFICATE REQUEST block",
  csrGotCert: "expected a CERTIFICATE REQUEST block but found a CERTIFICATE block",
  csrGotKey: "expected a CERTIFICATE REQUEST block but found a private key",
  csrInvalid: "not a valid PKCS#10 certificate request",
} as const;

// ---------------------------------------------------------------------------------------------
// PEM handling
// ---------------------------------------------------------------------------------------------

interface PemSpan {
  label: string;
  base64: string;
  start: number;
  end: number;
}

const PEM_MARKER = /-----(BEGIN|END) ([^\r\n]*?)-----/g;
const WHITESPACE = /\s+/g;

function scanPem(text: string): PemSpan[] {
  const blocks: PemSpan[] = [];
  let open: { label: string; start: number; bodyStart: number } | null = null;
  for (const match of text.matchAll(PEM_MARKER)) {
    const kind = match[1];
    const label = match[2] ?? "";
    const index = match.index ?? 0;
    if (kind === "BEGIN") {
      if (open) throw new X509ParseError(MSG.beginWithoutEnd);
      open = { label, start: index, bodyStart: index + match[0].length };
    } else {
      if (!open) throw new X509ParseError(MSG.endWithoutBegin);
      if (label !== open.label) throw new X509ParseError(MSG.labelMismatch);
      blocks.push({
        label,
        base64: text.slice(open.bodyStart, index).replace(WHITESPACE, ""),
        start: open.start,
        end: index + match[0].length,
      });
      open = null;
    }
  }
  if (open) throw new X509ParseError(MSG.beginWithoutEnd);
  return blocks;
}

function onlyWhitespaceOutside(text: string, blocks: PemSpan[]): boolean {
  let cursor = 0;
  for (const block of blocks) {
    if (text.slice(cursor, block.start).trim() !== "") return false;
    cursor = block.end;
  }
  return text.slice(cursor).trim() === "";
}

/**
 * Every -----BEGIN X----- ... -----END X----- block in order, with the base64 body stripped of
 * whitespace (not otherwise validated). Throws X509ParseError on a BEGIN without a matching END,
 * an END without a BEGIN, or a label mismatch. Text between blocks is ignored.
 */
export function splitPemBlocks(text: string): { label: string; base64: string }[] {
  requireString(text);
  return scanPem(text).map(({ label, base64 }) => ({ label, base64 }));
}

function requireString(input: unknown): asserts input is string {
  if (typeof input !== "string") throw new X509ParseError(MSG.notString);
}

function checkSize(text: string, max: number, message: string): void {
  // UTF-8 byte length is >= UTF-16 length, so the cheap test catches most oversize input first.
  if (text.length > max || Buffer.byteLength(text, "utf8") > max) throw new X509ParseError(message);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

type Bytes = Uint8Array<ArrayBuffer>;

function decodeBase64(base64: string): Bytes {
  if (base64.length === 0 || base64.length % 4 !== 0 || !BASE64.test(base64)) {
    throw new X509ParseError(MSG.badBase64);
  }
  // Copy out of Node's shared Buffer pool so the bytes own their ArrayBuffer.
  return Uint8Array.from(Buffer.from(base64, "base64"));
}

function toPem(der: Bytes, label: string): string {
  return `${x509.PemConverter.encode(der, label)}\n`;
}

// What toPem(der, "CERTIFICATE") writes (PemConverter: 64-column base64, "\n"), without the library's detours.
function certificatePem(der: Bytes): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let body = "";
  for (let i = 0; i < base64.length; i += 64) body += `${base64.slice(i, i + 64)}\n`;
  return `-----BEGIN CERTIFICATE-----\n${body}-----END CERTIFICATE-----\n`;
}

/** Length of the outer DER SEQUENCE (header + content), or null when the header is malformed. */
function outerSequenceLength(der: Bytes): number | null {
  if (der.length < 2 || der[0] !== 0x30) return null;
  const first = der[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || der.length < 2 + count) return null;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + (der[2 + i] ?? 0);
  return 2 + count + length;
}

function isSingleDerSequence(der: Bytes): boolean {
  return outerSequenceLength(der) === der.length;
}

function toArrayBuffer(bytes: Bytes): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Field mapping
// ---------------------------------------------------------------------------------------------

const OID_BY_LIBRARY_NAME: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(LIBRARY_SHORT_NAMES).map(([oid, short]) => [short, oid]),
);

const DOTTED_OID = /^[0-2](?:\.(?:0|[1-9][0-9]*))+$/;

function describeName(name: x509.Name): DistinguishedName {
  const attributes: DnAttribute[] = [];
  for (const rdn of name.toJSON()) {
    for (const [key, values] of Object.entries(rdn)) {
      const oid = DOTTED_OID.test(key) ? key : (OID_BY_LIBRARY_NAME[key] ?? key);
      const type = LIBRARY_SHORT_NAMES[oid] ?? EXTRA_SHORT_NAMES[oid] ?? key;
      for (const value of values) attributes.push({ type, oid, value });
    }
  }
  let commonName: string | null = null;
  for (const attribute of attributes) if (attribute.oid === "2.5.4.3") commonName = attribute.value;
  return { dn: name.toString(), attributes, commonName };
}

const SAN_OID = "2.5.29.17";
const KEY_USAGE_OID = "2.5.29.15";
const EKU_OID = "2.5.29.37";
const BASIC_CONSTRAINTS_OID = "2.5.29.19";

function describeGeneralName(name: x509.GeneralName): SubjectAltName {
  switch (name.type) {
    case "dns":
      return { type: "DNS", value: name.value };
    case "ip":
      return { type: "IP", value: name.value };
    case "email":
      return { type: "EMAIL", value: name.value };
    case "url":
      return { type: "URI", value: name.value };
    case "upn":
      return { type: "UPN", value: name.value };
    case "guid":
      return { type: "OTHER", value: `guid:${name.value}` };
    case "id":
      return { type: "OTHER", value: `registeredID:${name.value}` };
    case "dn":
      return { type: "OTHER", value: `dirName:${name.value}` };
    default:
      return { type: "OTHER", value: String(name.value) };
  }
}

// ExtensionFactory normally returns the typed subclass; rebuild it from the DER if it did not.
function typed<T extends x509.Extension>(ext: x509.Extension, Type: new (raw: ArrayBuffer) => T): T {
  return ext instanceof Type ? ext : new Type(ext.rawData);
}

function describeSans(extensions: readonly x509.Extension[]): SubjectAltName[] {
  const out: SubjectAltName[] = [];
  for (const ext of extensions) {
    if (ext.type !== SAN_OID) continue;
    for (const name of typed(ext, x509.SubjectAlternativeNameExtension).names.items) {
      out.push(describeGeneralName(name));
    }
  }
  return out;
}

const KEY_USAGE_BITS: readonly [number, KeyUsageFlag][] = [
  [x509.KeyUsageFlags.digitalSignature, "DIGITAL_SIGNATURE"],
  [x509.KeyUsageFlags.nonRepudiation, "NON_REPUDIATION"],
  [x509.KeyUsageFlags.keyEncipherment, "KEY_ENCIPHERMENT"],
  [x509.KeyUsageFlags.dataEncipherment, "DATA_ENCIPHERMENT"],
  [x509.KeyUsageFlags.keyAgreement, "KEY_AGREEMENT"],
  [x509.KeyUsageFlags.keyCertSign, "KEY_CERT_SIGN"],
  [x509.KeyUsageFlags.cRLSign, "CRL_SIGN"],
  [x509.KeyUsageFlags.encipherOnly, "ENCIPHER_ONLY"],
  [x509.KeyUsageFlags.decipherOnly, "DECIPHER_ONLY"],
];

function describeKeyUsage(ext: x509.Extension | undefined): KeyUsageFlag[] | null {
  if (!ext) return null;
  const usages = typed(ext, x509.KeyUsagesExtension).usages;
  return KEY_USAGE_BITS.filter(([bit]) => (usages & bit) !== 0).map(([, flag]) => flag);
}

function describeEku(ext: x509.Extension | undefined): ExtendedKeyUsage[] | null {
  if (!ext) return null;
  return typed(ext, x509.ExtendedKeyUsageExtension).usages.map((usage) => {
    const oid = String(usage);
    return { oid, name: EKU_NAMES[oid] ?? null };
  });
}

function describeBasicConstraints(ext: x509.Extension | undefined): BasicConstraints | null {
  if (!ext) return null;
  const bc = typed(ext, x509.BasicConstraintsExtension);
  return { ca: bc.ca === true, pathLength: bc.pathLength ?? null, critical: bc.critical === true };
}

interface WebAlgorithm {
  name: string;
  namedCurve?: string;
  modulusLength?: number;
  hash?: { name?: string } | string;
}

const UNKNOWN_KEY: PublicKeyInfo = { algorithm: "UNKNOWN", size: null, curve: null };
const NIST_CURVES: Readonly<Record<string, { curve: PublicKeyInfo["curve"]; size: number }>> = {
  "P-256": { curve: "P-256", size: 256 },
  "P-384": { curve: "P-384", size: 384 },
  "P-521": { curve: "P-521", size: 521 },
};

async function describePublicKey(getKey: () => x509.PublicKey): Promise<PublicKeyInfo> {
  let key: x509.PublicKey;
  let alg: WebAlgorithm;
  try {
    key = getKey();
    alg = key.algorithm as WebAlgorithm;
  } catch {
    // e.g. an EC key on explicit (unnamed) curve parameters: the library cannot describe it.
    return { ...UNKNOWN_KEY };
  }
  switch (alg.name) {
    case "RSASSA-PKCS1-v1_5":
      return { algorithm: "RSA", size: alg.modulusLength ?? null, curve: null };
    case "RSA-PSS":
      // id-RSASSA-PSS keys: the library reads the modulus only for rsaEncryption keys, so ask
      // WebCrypto (the library re-labels the SPKI as rsaEncryption before importing).
      return { algorithm: "RSA", size: await rsaPssModulusLength(key), curve: null };
    case "ECDSA":
    case "ECDH": {
      const nist = alg.namedCurve ? NIST_CURVES[alg.namedCurve] : undefined;
      return { algorithm: "EC", size: nist?.size ?? null, curve: nist?.curve ?? null };
    }
    case "Ed25519":
      return { algorithm: "ED25519", size: null, curve: null };
    case "Ed448":
      return { algorithm: "ED448", size: null, curve: null };
    case "EdDSA":
      if (alg.namedCurve === "Ed25519") return { algorithm: "ED25519", size: null, curve: null };
      if (alg.namedCurve === "Ed448") return { algorithm: "ED448", size: null, curve: null };
      return { ...UNKNOWN_KEY };
    default:
      return { ...UNKNOWN_KEY };
  }
}

async function rsaPssModulusLength(key: x509.PublicKey): Promise<number | null> {
  try {
    const cryptoKey = await key.export(webcrypto);
    const length = (cryptoKey.algorithm as { modulusLength?: unknown }).modulusLength;
    return typeof length === "number" ? length : null;
  } catch {
    return null;
  }
}

function hashLabel(hash: WebAlgorithm["hash"]): string | null {
  const name = typeof hash === "string" ? hash : hash?.name;
  switch (name?.toUpperCase()) {
    case "SHA-1":
      return "SHA1";
    case "SHA-256":
      return "SHA256";
    case "SHA-384":
      return "SHA384";
    case "SHA-512":
      return "SHA512";
    default:
      return null;
  }
}

function describeSignatureAlgorithm(getAlg: () => unknown): string {
  const alg = getAlg() as WebAlgorithm;
  const hash = hashLabel(alg.hash);
  switch (alg.name) {
    case "RSASSA-PKCS1-v1_5":
      if (hash) return `${hash}_WITH_RSA`;
      break;
    case "ECDSA":
      if (hash) return `${hash}_WITH_ECDSA`;
      break;
    case "RSA-PSS":
      return "RSASSA_PSS";
    case "Ed25519":
      return "ED25519";
    case "Ed448":
      return "ED448";
    case "EdDSA":
      if (alg.namedCurve === "Ed25519") return "ED25519";
      if (alg.namedCurve === "Ed448") return "ED448";
      break;
  }
  // Unrecognised by the library: its name already is the OID.
  if (DOTTED_OID.test(alg.name)) return alg.name;
  // Recognised by the library but not named above (e.g. ML-DSA): map back to its OID.
  try {
    return new x509.AlgorithmProvider().toAsnAlgorithm(alg).algorithm;
  } catch {
    return alg.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

// node:crypto's hash is synchronous and far cheaper per call than webcrypto's promise round trip.
function digestHex(algorithm: "sha1" | "sha256", der: Bytes): string {
  return createHash(algorithm).update(der).digest("hex").toUpperCase();
}

async function describeCertificate(cert: x509.X509Certificate, der: Bytes): Promise<ParsedCertificate> {
  const extensions = cert.extensions;
  const first = (oid: string): x509.Extension | undefined => extensions.find((ext) => ext.type === oid);

  const result: Omit<
    ParsedCertificate,
    "publicKey" | "sha1Fingerprint" | "sha256Fingerprint" | "selfSigned"
  > = {
    serialNumber: cert.serialNumber.toUpperCase(),
    subject: describeName(cert.subjectName),
    issuer: describeName(cert.issuerName),
    notBefore: new Date(cert.notBefore.getTime()),
    notAfter: new Date(cert.notAfter.getTime()),
    subjectAltNames: describeSans(extensions),
    signatureAlgorithm: describeSignatureAlgorithm(() => cert.signatureAlgorithm),
    keyUsage: describeKeyUsage(first(KEY_USAGE_OID)),
    extendedKeyUsage: describeEku(first(EKU_OID)),
    basicConstraints: describeBasicConstraints(first(BASIC_CONSTRAINTS_OID)),
    pem: toPem(der, "CERTIFICATE"),
  };
  if (Number.isNaN(result.notBefore.getTime()) || Number.isNaN(result.notAfter.getTime())) {
    throw new X509ParseError(MSG.certInvalid);
  }

  let selfSigned = false;
  try {
    // Compares subject and issuer strings, then verifies the signature with the certificate's own
    // key (signature only: no clock involved).
    selfSigned = await cert.isSelfSigned(webcrypto);
  } catch {
    selfSigned = false;
  }

  return {
    ...result,
    publicKey: await describePublicKey(() => cert.publicKey),
    sha1Fingerprint: digestHex("sha1", der),
    sha256Fingerprint: digestHex("sha256", der),
    selfSigned,
  };
}

/**
 * The reference reading of one DER certificate, entirely through @peculiar/x509: what parseCertificateDer answers
 * for every input (its fast path declines whatever it cannot answer identically). Exported for the differential test.
 */
export async function parseCertificateDerReference(der: Bytes): Promise<ParsedCertificate> {
  if (!isSingleDerSequence(der)) throw new X509ParseError(MSG.certInvalid);
  try {
    return await describeCertificate(new x509.X509Certificate(toArrayBuffer(der)), der);
  } catch (error) {
    if (error instanceof X509ParseError) throw error;
    throw new X509ParseError(MSG.certInvalid);
  }
}

/**
 * The fast path alone (x509-fast.ts): the reference's answer for `der`, or undefined when it declines. Exported for
 * the differential test; everything else calls parseCertificateDer.
 */
export async function parseCertificateDerFast(der: Bytes): Promise<ParsedCertificate | undefined> {
  if (!isSingleDerSequence(der)) return undefined;
  const fast = readCertificate(der);
  return fast ? describeFastCertificate(fast, der) : undefined;
}

async function describeFastCertificate(fast: FastCertificate, der: Bytes): Promise<ParsedCertificate> {
  return {
    serialNumber: fast.serialNumber,
    subject: fast.subject,
    issuer: fast.issuer,
    notBefore: new Date(fast.notBefore),
    notAfter: new Date(fast.notAfter),
    subjectAltNames: fast.subjectAltNames,
    signatureAlgorithm: fast.signatureAlgorithm,
    keyUsage: fast.keyUsage,
    extendedKeyUsage: fast.extendedKeyUsage,
    basicConstraints: fast.basicConstraints,
    pem: certificatePem(der),
    publicKey: fast.publicKey,
    sha1Fingerprint: digestHex("sha1", der),
    sha256Fingerprint: digestHex("sha256", der),
    selfSigned: fast.selfIssued ? await verifySelfSignature(fast.selfIssued) : false,
  };
}

/** One DER certificate: the fast path when it can answer, else the reference (same answer, same errors). */
export async function parseCertificateDer(der: Bytes): Promise<ParsedCertificate> {
  if (!isSingleDerSequence(der)) throw new X509ParseError(MSG.certInvalid);
  return (await parseCertificateDerFast(der)) ?? parseCertificateDerReference(der);
}

function certificateBlocks(pem: string): PemSpan[] {
  requireString(pem);
  checkSize(pem, MAX_CERTIFICATE_PEM_BYTES, MSG.certTooLarge);
  if (pem.trim() === "") throw new X509ParseError(MSG.empty);
  const blocks = scanPem(pem);
  if (blocks.length === 0) throw new X509ParseError(MSG.noBlock);
  if (!onlyWhitespaceOutside(pem, blocks)) throw new X509ParseError(MSG.outside);
  return blocks;
}

/** Exactly one CERTIFICATE block and nothing but whitespace outside it. */
export async function parseCertificatePem(pem: string): Promise<ParsedCertificate> {
  const blocks = certificateBlocks(pem);
  const [block] = blocks;
  if (!block || blocks.length !== 1) throw new X509ParseError(MSG.certOneBlock);
  if (block.label !== "CERTIFICATE") throw new X509ParseError(MSG.certLabel);
  return parseCertificateDer(decodeBase64(block.base64));
}

/** One or more CERTIFICATE blocks (nothing else but whitespace), order kept. */
export async function parseCertificateChainPem(pem: string): Promise<ParsedCertificate[]> {
  const blocks = certificateBlocks(pem);
  if (blocks.some((block) => block.label !== "CERTIFICATE")) throw new X509ParseError(MSG.certLabel);
  const ders = blocks.map((block) => decodeBase64(block.base64));
  const out: ParsedCertificate[] = [];
  for (const der of ders) out.push(await parseCertificateDer(der));
  return out;
}

// "PKCS7" is what DigiCert and `openssl crl2pkcs7` write; @peculiar/x509 writes "CMS";
// "PKCS #7 SIGNED DATA" is RFC 7468's legacy label.
const PKCS7_LABELS: ReadonlySet<string> = new Set(["PKCS7", "CMS", "PKCS #7 SIGNED DATA"]);

/** A PKCS#7 certs-only bundle in PEM: its certificates in stored order. */
export async function parsePkcs7Pem(pem: string): Promise<ParsedCertificate[]> {
  const bundle = pkcs7Bundle(pem);
  const fast = readPkcs7Certificates(bundle);
  if (!fast) return parsePkcs7Reference(bundle);
  const out: ParsedCertificate[] = [];
  for (const { der, certificate } of fast) out.push(await describeFastCertificate(certificate, der));
  return out;
}

/**
 * parsePkcs7Pem with the bundle unpacked by @peculiar/x509 (each certificate then read by parseCertificateDer): what
 * parsePkcs7Pem answers for every input. Exported for the differential test.
 */
export async function parsePkcs7PemReference(pem: string): Promise<ParsedCertificate[]> {
  return parsePkcs7Reference(pkcs7Bundle(pem));
}

function pkcs7Bundle(pem: string): Bytes {
  const blocks = certificateBlocks(pem);
  const [block] = blocks;
  if (!block || blocks.length !== 1) throw new X509ParseError(MSG.pkcs7OneBlock);
  if (!PKCS7_LABELS.has(block.label)) throw new X509ParseError(MSG.pkcs7Label);
  const bundle = decodeBase64(block.base64);
  if (!isSingleDerSequence(bundle)) throw new X509ParseError(MSG.pkcs7Invalid);
  return bundle;
}

async function parsePkcs7Reference(bundle: Bytes): Promise<ParsedCertificate[]> {
  let ders: Bytes[];
  try {
    const certs = new x509.X509Certificates(toArrayBuffer(bundle));
    ders = certs.map((cert) => new Uint8Array(cert.rawData));
  } catch {
    throw new X509ParseError(MSG.pkcs7Invalid);
  }
  if (ders.length === 0) throw new X509ParseError(MSG.pkcs7Empty);

  // The library hands back certificates re-encoded from its parsed model. Fingerprints must be
  // over the original bytes, so insist that the re-encoding occurs verbatim inside the bundle.
  const haystack = Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  for (const der of ders) {
    if (haystack.indexOf(der) < 0) throw new X509ParseError(MSG.pkcs7NotDer);
  }
  const out: ParsedCertificate[] = [];
  for (const der of ders) out.push(await parseCertificateDer(der));
  return out;
}

// ---------------------------------------------------------------------------------------------
// CSRs
// ---------------------------------------------------------------------------------------------

const CSR_LABELS: ReadonlySet<string> = new Set(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]);
const KEY_LABELS: ReadonlySet<string> = new Set([
  "PRIVATE KEY",
  "RSA PRIVATE KEY",
  "EC PRIVATE KEY",
  "ENCRYPTED PRIVATE KEY",
]);

function checkCsr(pem: string): Bytes {
  requireString(pem);
  checkSize(pem, MAX_CSR_PEM_BYTES, MSG.csrTooLarge);
  if (pem.trim() === "") throw new X509ParseError(MSG.empty);
  const blocks = scanPem(pem);
  if (blocks.length === 0) throw new X509ParseError(MSG.noBlock);
  const [block] = blocks;
  if (!block || blocks.length !== 1) throw new X509ParseError(MSG.csrOneBlock);
  if (!onlyWhitespaceOutside(pem, blocks)) throw new X509ParseError(MSG.outside);
  if (!CSR_LABELS.has(block.label)) {
    if (block.label === "CERTIFICATE") throw new X509ParseError(MSG.csrGotCert);
    if (KEY_LABELS.has(block.label)) throw new X509ParseError(MSG.csrGotKey);
    throw new X509ParseError(MSG.csrLabel);
  }
  const der = decodeBase64(block.base64);
  if (!isSingleDerSequence(der)) throw new X509ParseError(MSG.csrInvalid);
  return der;
}

/**
 * Cheap, synchronous shape check before any upstream call: exactly one "CERTIFICATE REQUEST"
 * (or "NEW CERTIFICATE REQUEST") block, only whitespace outside it, valid base64 holding one DER
 * SEQUENCE with no trailing bytes, input at most 16 KiB. Throws X509ParseError naming the problem.
 */
export function checkCsrPem(pem: string): void {
  checkCsr(pem);
}

/** checkCsrPem, then parse, then verify the self-signature (signatureValid). */
export async function parseCsrPem(pem: string): Promise<ParsedCsr> {
  const der = checkCsr(pem);
  try {
    // DER bytes, never the PEM string: the library's own PEM handling is lenient (see notes).
    const csr = new x509.Pkcs10CertificateRequest(toArrayBuffer(der));
    const subject = describeName(csr.subjectName);
    const subjectAltNames = describeSans(csr.extensions);
    const publicKey = await describePublicKey(() => csr.publicKey);
    let signatureValid = false;
    try {
      signatureValid = await csr.verify(webcrypto);
    } catch {
      signatureValid = false;
    }
    return { subject, subjectAltNames, publicKey, signatureValid, pem: toPem(der, "CERTIFICATE REQUEST") };
  } catch (error) {
    if (error instanceof X509ParseError) throw error;
    throw new X509ParseError(MSG.csrInvalid);
  }
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/**
 * Whole days from `now` until `notAfter`, rounded down: 0 during the last day (and at the exact
 * notAfter instant, which RFC 5280 still counts as valid), negative once expired.
 */
export function daysUntilExpiry(notAfter: Date, now: Date): number {
  const diff = notAfter.getTime() - now.getTime();
  if (Number.isNaN(diff)) throw new RangeError("daysUntilExpiry needs two valid dates");
  return Math.floor(diff / DAY_MS);
}
