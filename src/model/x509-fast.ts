// The certificate fast path: reads an X.509 certificate by walking its DER (der.ts) and produces exactly what the
// @peculiar/x509 reference in x509.ts produces, at a small fraction of the cost (no ASN.1 schema machinery, no
// re-encoding, no extension re-parsing).
//
// Contract: readCertificate either returns the reference's answer or declines (returns undefined), and x509.ts then
// runs the reference on the whole certificate. It declines on anything it does not fully understand: DER that is
// not strictly DER, a string type, general name form, algorithm, key type or curve outside the common set, an
// extension the reference would interpret but whose content is unusual, and certificates larger than the bound
// below. It accepts only what the reference also accepts, so errors and answers never differ; the differential
// test (test/unit/x509-fast.test.ts) holds the two side by side.
//
// Pure module: no I/O, no logging, no clock. The only crypto is the self-signature check, which makes the same
// WebCrypto calls the reference makes (so keys and signatures WebCrypto refuses are refused the same way).

import {
  checkInteger,
  checkNull,
  contentLength,
  CONSTRUCTED,
  CONTEXT,
  DerError,
  DerReader,
  decodeBmp,
  decodeLatin1,
  decodeUtf8,
  isConstructed,
  onlyChild,
  readBitString,
  readBoolean,
  readOid,
  readSmallUnsigned,
  readTime,
  TAG,
  type Tlv,
} from "./der.js";
import {
  type BasicConstraints,
  type DistinguishedName,
  type DnAttribute,
  EKU_NAMES,
  EXTRA_SHORT_NAMES,
  type ExtendedKeyUsage,
  type KeyUsageFlag,
  LIBRARY_SHORT_NAMES,
  type PublicKeyInfo,
  type SubjectAltName,
} from "./x509-common.js";

/**
 * The reference's ASN.1 reader (asn1js) refuses input of more than 10,000 elements. Every element it counts starts
 * at a distinct byte, so below 8 KiB the fast path cannot accept what the reference refuses for size.
 */
export const MAX_FAST_CERTIFICATE_BYTES = 8 * 1024;

// Deeper than any certificate field the walk reads; bounds the generic check of ANY values.
const MAX_ANY_DEPTH = 16;

/** The WebCrypto algorithm objects the reference builds, for the self-signature check. */
interface WebAlgorithm {
  name: string;
  hash?: { name: string };
  namedCurve?: string;
  modulusLength?: number;
  publicExponent?: Uint8Array;
}

/** Everything ParsedCertificate needs that depends on the DER alone (times as epoch milliseconds). */
export interface FastCertificate {
  serialNumber: string;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  notBefore: number;
  notAfter: number;
  subjectAltNames: SubjectAltName[];
  signatureAlgorithm: string;
  keyUsage: KeyUsageFlag[] | null;
  extendedKeyUsage: ExtendedKeyUsage[] | null;
  basicConstraints: BasicConstraints | null;
  publicKey: PublicKeyInfo;
  /** Present when subject and issuer print the same (the reference then verifies the signature). */
  selfIssued: SelfSignature | null;
  /**
   * Whether @peculiar/x509's re-encoding of this certificate (what it hands back from a PKCS#7 bundle) is these very
   * bytes. Two things it reads but cannot write back: an explicit v1 version (a DEFAULT, so dropped) and a
   * GeneralizedTime year below 100 (Date.UTC reads it as 19xx).
   */
  reencodesVerbatim: boolean;
}

type Bytes = Uint8Array<ArrayBuffer>;

/** Inputs of the self-signature check: views into the certificate's DER, and the algorithms as WebCrypto names them. */
export interface SelfSignature {
  tbs: Bytes;
  spki: Bytes;
  keyAlgorithm: WebAlgorithm;
  signatureAlgorithm: WebAlgorithm;
  /** The signature as WebCrypto takes it, or null when the reference's conversion fails (not self-signed). */
  signature: Bytes | null;
}

/** The reference's answer for `der` (one DER Certificate), or undefined when the fast path declines. */
export function readCertificate(der: Bytes): FastCertificate | undefined {
  try {
    return walkCertificate(der);
  } catch {
    // DerError is the expected way to decline; anything else (a bug here) must not change answers either.
    return undefined;
  }
}

/**
 * The reference's verdict: the certificate's own key verifies its signature over the TBSCertificate, using the same
 * WebCrypto import and verify calls as @peculiar/x509's X509Certificate.verify({ signatureOnly: true }).
 */
export async function verifySelfSignature(input: SelfSignature): Promise<boolean> {
  if (!input.signature) return false;
  try {
    const subtle = globalThis.crypto.subtle;
    const key = await subtle.importKey("spki", input.spki, input.keyAlgorithm, true, ["verify"]);
    return await subtle.verify(input.signatureAlgorithm, key, input.signature, input.tbs);
  } catch {
    return false;
  }
}

function decline(): never {
  throw new DerError("outside the fast path");
}

// ---------------------------------------------------------------------------------------------------------------
// Certificate
// ---------------------------------------------------------------------------------------------------------------

const EXPLICIT_0 = CONTEXT | CONSTRUCTED | 0;
const EXPLICIT_3 = CONTEXT | CONSTRUCTED | 3;

/** readCertificate without the safety net: throws DerError where it declines (and, by contract, nothing else). */
export function walkCertificate(der: Bytes): FastCertificate {
  if (der.length > MAX_FAST_CERTIFICATE_BYTES) decline();
  const outer = new DerReader(der);
  const certificate = outer.expect(TAG.SEQUENCE);
  outer.finish();
  const certReader = DerReader.within(der, certificate);
  const tbs = certReader.expect(TAG.SEQUENCE);
  const signatureAlgorithmTlv = certReader.expect(TAG.SEQUENCE);
  const signatureValue = readBitString(der, certReader.expect(TAG.BIT_STRING));
  certReader.finish();
  if (signatureValue.unusedBits !== 0) decline();

  const r = DerReader.within(der, tbs);
  const version = r.optional(EXPLICIT_0);
  if (version && readSmallUnsigned(der, onlyChild(der, version), 1) > 2) decline();
  const serial = r.expect(TAG.INTEGER);
  checkInteger(der, serial);
  const innerSignatureAlgorithm = r.expect(TAG.SEQUENCE);
  const issuerTlv = r.expect(TAG.SEQUENCE);
  const validity = r.expect(TAG.SEQUENCE);
  const subjectTlv = r.expect(TAG.SEQUENCE);
  const spkiTlv = r.expect(TAG.SEQUENCE);
  // issuerUniqueID [1] and subjectUniqueID [2] (obsolete) are not read here; neither is anything else.
  const extensionsTlv = r.optional(EXPLICIT_3);
  r.finish();

  // The reference reads the outer algorithm only; the inner copy must be the same bytes or the walk stops.
  if (!sameBytes(der, innerSignatureAlgorithm, signatureAlgorithmTlv)) decline();
  const signature = readSignatureAlgorithm(der, signatureAlgorithmTlv);

  const validityReader = DerReader.within(der, validity);
  const notBeforeTlv = validityReader.next();
  const notAfterTlv = validityReader.next();
  validityReader.finish();
  const notBefore = readTime(der, notBeforeTlv);
  const notAfter = readTime(der, notAfterTlv);
  const reencodesVerbatim =
    (version === undefined || der[version.end - 1] !== 0) &&
    !centuryZero(der, notBeforeTlv) &&
    !centuryZero(der, notAfterTlv);

  const subject = readName(der, subjectTlv);
  const issuer = readName(der, issuerTlv);
  const key = readPublicKey(der, spkiTlv);
  const extensions = extensionsTlv ? readExtensions(der, onlyChild(der, extensionsTlv)) : noExtensions();

  let selfIssued: SelfSignature | null = null;
  if (subject.dn === issuer.dn) {
    const keyAlgorithm = { ...key.webAlgorithm, ...signature.webAlgorithm };
    selfIssued = {
      tbs: der.subarray(tbs.start, tbs.end),
      spki: der.subarray(spkiTlv.start, spkiTlv.end),
      keyAlgorithm,
      signatureAlgorithm: signature.webAlgorithm,
      signature: webSignature(der, signatureValue.start, signatureValue.end, keyAlgorithm),
    };
  }

  return {
    serialNumber: serialHex(der, serial),
    subject,
    issuer,
    notBefore,
    notAfter,
    subjectAltNames: extensions.subjectAltNames,
    signatureAlgorithm: signature.label,
    keyUsage: extensions.keyUsage,
    extendedKeyUsage: extensions.extendedKeyUsage,
    basicConstraints: extensions.basicConstraints,
    publicKey: key.info,
    selfIssued,
    reencodesVerbatim,
  };
}

// A GeneralizedTime in the years 0000-0099 (its first two digits are "00").
function centuryZero(bytes: Uint8Array, time: Tlv): boolean {
  return (
    time.tag === TAG.GENERALIZED_TIME &&
    bytes[time.contentStart] === 0x30 &&
    bytes[time.contentStart + 1] === 0x30
  );
}

// ---------------------------------------------------------------------------------------------------------------
// PKCS#7 certs-only bundles
// ---------------------------------------------------------------------------------------------------------------

const SIGNED_DATA = "1.2.840.113549.1.7.2";
const DATA = "1.2.840.113549.1.7.1";

/**
 * The certificates of a PKCS#7 certs-only bundle, in stored order, each with what readCertificate says of it; or
 * undefined when the fast path declines and the reference must unpack the bundle. Read only: SignedData version 1,
 * no digest algorithms, content type data (its content absent or an OCTET STRING), one or more certificates, no
 * CRLs, no signers; every certificate one readCertificate reads and the reference would hand back byte for byte.
 * The bundle as a whole must be within MAX_FAST_CERTIFICATE_BYTES (the reference counts its elements together).
 */
export function readPkcs7Certificates(
  bundle: Bytes,
): { der: Bytes; certificate: FastCertificate }[] | undefined {
  try {
    return walkPkcs7(bundle);
  } catch {
    return undefined;
  }
}

function walkPkcs7(bundle: Bytes): { der: Bytes; certificate: FastCertificate }[] {
  if (bundle.length > MAX_FAST_CERTIFICATE_BYTES) decline();
  const outer = new DerReader(bundle);
  const contentInfo = DerReader.within(bundle, outer.expect(TAG.SEQUENCE));
  outer.finish();
  if (readOid(bundle, contentInfo.expect(TAG.OID)) !== SIGNED_DATA) decline();
  const signedDataTlv = onlyOfTag(bundle, contentInfo.expect(EXPLICIT_0), TAG.SEQUENCE);
  contentInfo.finish();

  const signedData = DerReader.within(bundle, signedDataTlv);
  if (readSmallUnsigned(bundle, signedData.expect(TAG.INTEGER), 1) !== 1) decline();
  if (contentLength(signedData.expect(TAG.SET)) !== 0) decline();
  const encapsulated = DerReader.within(bundle, signedData.expect(TAG.SEQUENCE));
  if (readOid(bundle, encapsulated.expect(TAG.OID)) !== DATA) decline();
  const content = encapsulated.optional(EXPLICIT_0);
  if (content) onlyOfTag(bundle, content, TAG.OCTET_STRING);
  encapsulated.finish();
  const certificates = DerReader.within(bundle, signedData.expect(CONTEXT | CONSTRUCTED | 0));
  if (contentLength(signedData.expect(TAG.SET)) !== 0) decline();
  signedData.finish();

  const out: { der: Bytes; certificate: FastCertificate }[] = [];
  if (certificates.done) decline();
  while (!certificates.done) {
    const tlv = certificates.expect(TAG.SEQUENCE);
    const der = bundle.subarray(tlv.start, tlv.end);
    const certificate = walkCertificate(der);
    if (!certificate.reencodesVerbatim) decline();
    out.push({ der, certificate });
  }
  return out;
}

function sameBytes(bytes: Uint8Array, a: Tlv, b: Tlv): boolean {
  if (a.end - a.start !== b.end - b.start) return false;
  for (let i = 0; i < a.end - a.start; i++) if (bytes[a.start + i] !== bytes[b.start + i]) return false;
  return true;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hex(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) text += HEX[bytes[i]!];
  return text;
}

// As the reference prints it: the value octets, without the sign octet 00 that precedes a first octet >= 0x80.
function serialHex(bytes: Uint8Array, serial: Tlv): string {
  let start = serial.contentStart;
  if (contentLength(serial) > 1 && bytes[start] === 0x00 && bytes[start + 1]! > 0x7f) start++;
  return hex(bytes, start, serial.end).toUpperCase();
}

// ---------------------------------------------------------------------------------------------------------------
// Algorithms and keys
// ---------------------------------------------------------------------------------------------------------------

interface SignatureAlgorithm {
  label: string;
  webAlgorithm: WebAlgorithm;
}

const SIGNATURE_ALGORITHMS: ReadonlyMap<string, SignatureAlgorithm> = new Map<string, SignatureAlgorithm>([
  ["1.2.840.113549.1.1.5", rsa("SHA1", "SHA-1")],
  ["1.2.840.113549.1.1.11", rsa("SHA256", "SHA-256")],
  ["1.2.840.113549.1.1.12", rsa("SHA384", "SHA-384")],
  ["1.2.840.113549.1.1.13", rsa("SHA512", "SHA-512")],
  ["1.2.840.10045.4.1", ecdsa("SHA1", "SHA-1")],
  ["1.2.840.10045.4.3.2", ecdsa("SHA256", "SHA-256")],
  ["1.2.840.10045.4.3.3", ecdsa("SHA384", "SHA-384")],
  ["1.2.840.10045.4.3.4", ecdsa("SHA512", "SHA-512")],
  ["1.3.101.112", { label: "ED25519", webAlgorithm: { name: "Ed25519" } }],
  ["1.3.101.113", { label: "ED448", webAlgorithm: { name: "EdDSA", namedCurve: "Ed448" } }],
]);

function rsa(label: string, hash: string): SignatureAlgorithm {
  return { label: `${label}_WITH_RSA`, webAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: { name: hash } } };
}

function ecdsa(label: string, hash: string): SignatureAlgorithm {
  return { label: `${label}_WITH_ECDSA`, webAlgorithm: { name: "ECDSA", hash: { name: hash } } };
}

/** AlgorithmIdentifier: the OID and, when present, its parameters element. */
function readAlgorithmIdentifier(bytes: Uint8Array, tlv: Tlv): { oid: string; parameters: Tlv | undefined } {
  const reader = DerReader.within(bytes, tlv);
  const oid = readOid(bytes, reader.expect(TAG.OID));
  const parameters = reader.done ? undefined : reader.next();
  reader.finish();
  return { oid, parameters };
}

// RSASSA-PSS (its parameters need reading) and every algorithm not listed above are left to the reference.
function readSignatureAlgorithm(bytes: Uint8Array, tlv: Tlv): SignatureAlgorithm {
  const { oid, parameters } = readAlgorithmIdentifier(bytes, tlv);
  if (parameters) checkNull(parameters);
  return SIGNATURE_ALGORITHMS.get(oid) ?? decline();
}

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const CURVES: ReadonlyMap<string, { curve: "P-256" | "P-384" | "P-521"; size: number }> = new Map([
  ["1.2.840.10045.3.1.7", { curve: "P-256", size: 256 }],
  ["1.3.132.0.34", { curve: "P-384", size: 384 }],
  ["1.3.132.0.35", { curve: "P-521", size: 521 }],
]);

// rsaEncryption, EC on the three NIST curves, Ed25519 and Ed448; id-RSASSA-PSS keys and the rest go to the reference.
function readPublicKey(bytes: Uint8Array, spki: Tlv): { info: PublicKeyInfo; webAlgorithm: WebAlgorithm } {
  const reader = DerReader.within(bytes, spki);
  const { oid, parameters } = readAlgorithmIdentifier(bytes, reader.expect(TAG.SEQUENCE));
  const key = readBitString(bytes, reader.expect(TAG.BIT_STRING));
  reader.finish();
  if (key.unusedBits !== 0) decline();
  switch (oid) {
    case RSA_ENCRYPTION: {
      if (!parameters) decline();
      checkNull(parameters);
      const rsaKey = new DerReader(bytes, key.start, key.end);
      const body = rsaKey.expect(TAG.SEQUENCE);
      rsaKey.finish();
      const fields = DerReader.within(bytes, body);
      const modulus = fields.expect(TAG.INTEGER);
      const exponent = fields.expect(TAG.INTEGER);
      fields.finish();
      checkInteger(bytes, modulus);
      checkInteger(bytes, exponent);
      if (bytes[modulus.contentStart]! >= 0x80 || bytes[exponent.contentStart]! >= 0x80) decline();
      // As the reference counts it: whole octets of the modulus, less the sign octet.
      const octets = contentLength(modulus) - (bytes[modulus.contentStart] === 0 ? 1 : 0);
      const modulusLength = octets << 3;
      return {
        info: { algorithm: "RSA", size: modulusLength, curve: null },
        webAlgorithm: {
          name: "RSASSA-PKCS1-v1_5",
          publicExponent: bytes.slice(exponent.contentStart, exponent.end),
          modulusLength,
        },
      };
    }
    case EC_PUBLIC_KEY: {
      if (!parameters) decline();
      const curve = CURVES.get(readOid(bytes, parameters)) ?? decline();
      return {
        info: { algorithm: "EC", size: curve.size, curve: curve.curve },
        webAlgorithm: { name: "ECDSA", namedCurve: curve.curve },
      };
    }
    case "1.3.101.112":
      if (parameters) decline();
      return { info: { algorithm: "ED25519", size: null, curve: null }, webAlgorithm: { name: "Ed25519" } };
    case "1.3.101.113":
      if (parameters) decline();
      return {
        info: { algorithm: "ED448", size: null, curve: null },
        webAlgorithm: { name: "EdDSA", namedCurve: "Ed448" },
      };
    default:
      return decline();
  }
}

// The reference's AsnEcSignatureFormatter: point sizes by curve, 32 octets for any other key.
const EC_POINT_SIZES: Readonly<Record<string, number>> = {
  "P-256": 32,
  "K-256": 32,
  "P-384": 48,
  "P-521": 66,
};

/**
 * The signature as the reference hands it to WebCrypto: as stored, or for ECDSA the DER (r, s) pair turned into
 * fixed-width r || s. Null where the reference's conversion throws (an integer wider than the point size).
 */
function webSignature(bytes: Bytes, start: number, end: number, algorithm: WebAlgorithm): Bytes | null {
  if (algorithm.name !== "ECDSA") return bytes.slice(start, end);
  const outer = new DerReader(bytes, start, end);
  const pair = outer.expect(TAG.SEQUENCE);
  outer.finish();
  const reader = DerReader.within(bytes, pair);
  const r = reader.expect(TAG.INTEGER);
  const s = reader.expect(TAG.INTEGER);
  reader.finish();
  checkInteger(bytes, r);
  checkInteger(bytes, s);
  const size = EC_POINT_SIZES[algorithm.namedCurve ?? ""] ?? 32;
  const out = new Uint8Array(size * 2);
  for (const [integer, at] of [
    [r, 0],
    [s, size],
  ] as const) {
    // Leading zero octets dropped (all of them, unless the value is zero), then left-padded to the point size.
    let first = integer.contentStart;
    while (first < integer.end - 1 && bytes[first] === 0) first++;
    if (bytes[first] === 0) first = integer.contentStart;
    const length = integer.end - first;
    if (length > size) return null;
    out.set(bytes.subarray(first, integer.end), at + size - length);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------------------------

/** An attribute value's text as the reference reads it; other string types (and non-strings) are declined. */
function readDirectoryString(bytes: Uint8Array, tlv: Tlv): string {
  switch (tlv.tag) {
    case TAG.UTF8_STRING:
      return decodeUtf8(bytes, tlv.contentStart, tlv.end);
    case TAG.PRINTABLE_STRING:
    case TAG.TELETEX_STRING:
    case TAG.IA5_STRING:
      return decodeLatin1(bytes, tlv.contentStart, tlv.end);
    case TAG.BMP_STRING:
      return decodeBmp(bytes, tlv.contentStart, tlv.end);
    default:
      return decline();
  }
}

// @peculiar/x509's Name.toString escaping, verbatim (only the first CR, LF or TAB is hex-escaped, as there).
function escapeDnValue(value: string): string {
  return value
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`);
}

/**
 * Name (RDNSequence): `dn` as the reference prints it (RDNs in encoded order joined by ", ", an RDN's attributes
 * joined by "+"), and the attributes as the reference's toJSON groups them: within an RDN, by type in order of
 * first appearance.
 */
function readName(bytes: Uint8Array, tlv: Tlv): DistinguishedName {
  const rdns = DerReader.within(bytes, tlv);
  const printed: string[] = [];
  const attributes: DnAttribute[] = [];
  let commonName: string | null = null;
  while (!rdns.done) {
    const set = DerReader.within(bytes, rdns.expect(TAG.SET));
    if (set.done) decline();
    const parts: string[] = [];
    const groups = new Map<string, DnAttribute[]>();
    while (!set.done) {
      const atv = DerReader.within(bytes, set.expect(TAG.SEQUENCE));
      const oid = readOid(bytes, atv.expect(TAG.OID));
      const value = readDirectoryString(bytes, atv.next());
      atv.finish();
      const libraryName = LIBRARY_SHORT_NAMES[oid];
      const key = libraryName ?? oid;
      parts.push(`${key}=${escapeDnValue(value)}`);
      const attribute = { type: libraryName ?? EXTRA_SHORT_NAMES[oid] ?? oid, oid, value };
      const group = groups.get(key);
      if (group) group.push(attribute);
      else groups.set(key, [attribute]);
    }
    printed.push(parts.join("+"));
    for (const group of groups.values()) {
      for (const attribute of group) {
        attributes.push(attribute);
        if (attribute.oid === "2.5.4.3") commonName = attribute.value;
      }
    }
  }
  return { dn: printed.join(", "), attributes, commonName };
}

// ---------------------------------------------------------------------------------------------------------------
// General names
// ---------------------------------------------------------------------------------------------------------------

const UPN = "1.3.6.1.4.1.311.20.2.3";
const GUID = "1.3.6.1.4.1.311.25.1";

/**
 * A GeneralName as the reference reports it; null for a form the reference parses but then skips (an otherName of
 * another type). x400Address, ediPartyName, odd IP lengths and anything malformed are declined.
 */
function readGeneralName(bytes: Uint8Array, tlv: Tlv): SubjectAltName | null {
  switch (tlv.tag) {
    case CONTEXT | 1:
      return { type: "EMAIL", value: decodeLatin1(bytes, tlv.contentStart, tlv.end) };
    case CONTEXT | 2:
      return { type: "DNS", value: decodeLatin1(bytes, tlv.contentStart, tlv.end) };
    case CONTEXT | 6:
      return { type: "URI", value: decodeLatin1(bytes, tlv.contentStart, tlv.end) };
    case CONTEXT | 7:
      return { type: "IP", value: formatIp(bytes, tlv) };
    case CONTEXT | 8:
      return { type: "OTHER", value: `registeredID:${readOid(bytes, tlv, CONTEXT | 8)}` };
    case CONTEXT | CONSTRUCTED | 4:
      return { type: "OTHER", value: `dirName:${readName(bytes, onlyOfTag(bytes, tlv, TAG.SEQUENCE)).dn}` };
    case CONTEXT | CONSTRUCTED | 0:
      return readOtherName(bytes, tlv);
    default:
      return decline();
  }
}

function onlyOfTag(bytes: Uint8Array, tlv: Tlv, tag: number): Tlv {
  const child = onlyChild(bytes, tlv);
  if (child.tag !== tag) decline();
  return child;
}

function readOtherName(bytes: Uint8Array, tlv: Tlv): SubjectAltName | null {
  const reader = DerReader.within(bytes, tlv);
  const typeId = readOid(bytes, reader.expect(TAG.OID));
  const value = onlyChild(bytes, reader.expect(CONTEXT | CONSTRUCTED | 0));
  reader.finish();
  if (typeId === UPN) {
    if (value.tag !== TAG.UTF8_STRING) decline();
    return { type: "UPN", value: decodeUtf8(bytes, value.contentStart, value.end) };
  }
  if (typeId === GUID) {
    if (value.tag !== TAG.OCTET_STRING || contentLength(value) !== 16) decline();
    const at = value.contentStart;
    // Microsoft's GUID layout: the first three fields little-endian.
    const reversed = (from: number, count: number) => {
      let text = "";
      for (let i = from + count - 1; i >= from; i--) text += HEX[bytes[i]!];
      return text;
    };
    const guid = `${reversed(at, 4)}-${reversed(at + 4, 2)}-${reversed(at + 6, 2)}-${hex(bytes, at + 8, at + 10)}-${hex(bytes, at + 10, at + 16)}`;
    return { type: "OTHER", value: `guid:${guid}` };
  }
  checkAny(bytes, value, 0);
  return null;
}

// @peculiar/asn1-x509's IpConverter for 4 and 16 octets (IPv6 with the first longest run of two or more zero
// groups compressed); other lengths are declined.
function formatIp(bytes: Uint8Array, tlv: Tlv): string {
  const at = tlv.contentStart;
  const length = contentLength(tlv);
  if (length === 4) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  if (length !== 16) return decline();
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((bytes[at + i]! << 8) | bytes[at + i + 1]!).toString(16));
  let bestStart = -1;
  let bestLength = 0;
  let runStart = -1;
  let runLength = 0;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === "0") {
      if (runStart === -1) runStart = i;
      runLength++;
    } else {
      if (runLength > bestLength) {
        bestStart = runStart;
        bestLength = runLength;
      }
      runStart = -1;
      runLength = 0;
    }
  }
  if (runLength > bestLength) {
    bestStart = runStart;
    bestLength = runLength;
  }
  if (bestLength > 1) {
    return `${parts.slice(0, bestStart).join(":")}::${parts.slice(bestStart + bestLength).join(":")}`;
  }
  return parts.join(":");
}

/** The names of a GeneralNames (or an implicitly tagged one), without the ones the reference skips. */
function readGeneralNames(bytes: Uint8Array, tlv: Tlv): SubjectAltName[] {
  const names: SubjectAltName[] = [];
  const reader = DerReader.within(bytes, tlv);
  while (!reader.done) {
    const name = readGeneralName(bytes, reader.next());
    if (name) names.push(name);
  }
  return names;
}

/**
 * An ANY value (a policy qualifier, an unknown otherName's value): well-formed DER made only of the universal types
 * asn1js decodes without surprises, and context-specific tags, at most MAX_ANY_DEPTH deep.
 */
function checkAny(bytes: Uint8Array, tlv: Tlv, depth: number): void {
  if (depth > MAX_ANY_DEPTH) decline();
  if (isConstructed(tlv.tag)) {
    if (tlv.tag !== TAG.SEQUENCE && tlv.tag !== TAG.SET && (tlv.tag & 0xc0) !== CONTEXT) decline();
    const reader = DerReader.within(bytes, tlv);
    while (!reader.done) checkAny(bytes, reader.next(), depth + 1);
    return;
  }
  if ((tlv.tag & 0xc0) === CONTEXT) return;
  switch (tlv.tag) {
    case TAG.INTEGER:
      return checkInteger(bytes, tlv);
    case TAG.OID:
      readOid(bytes, tlv);
      return;
    case TAG.NULL:
      return checkNull(tlv);
    case TAG.BOOLEAN:
      readBoolean(bytes, tlv);
      return;
    case TAG.BIT_STRING:
      readBitString(bytes, tlv);
      return;
    case TAG.UTF8_STRING:
      decodeUtf8(bytes, tlv.contentStart, tlv.end);
      return;
    case TAG.BMP_STRING:
      decodeBmp(bytes, tlv.contentStart, tlv.end);
      return;
    case TAG.OCTET_STRING:
    case TAG.PRINTABLE_STRING:
    case TAG.TELETEX_STRING:
    case TAG.IA5_STRING:
    case TAG.VISIBLE_STRING:
      return;
    default:
      return decline();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Extensions
// ---------------------------------------------------------------------------------------------------------------

interface ExtensionFields {
  subjectAltNames: SubjectAltName[];
  keyUsage: KeyUsageFlag[] | null;
  extendedKeyUsage: ExtendedKeyUsage[] | null;
  basicConstraints: BasicConstraints | null;
}

// A fresh object each time: parsed certificates are cached and shared, so no two may share an array.
function noExtensions(): ExtensionFields {
  return { subjectAltNames: [], keyUsage: null, extendedKeyUsage: null, basicConstraints: null };
}

const OID = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  issuerAltName: "2.5.29.18",
  basicConstraints: "2.5.29.19",
  cRLDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
} as const;
const READ_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(OID));

/** The single element an OCTET STRING holds (an extension's value). */
function onlyElement(bytes: Uint8Array, octets: Tlv): Tlv {
  const reader = DerReader.within(bytes, octets);
  const value = reader.next();
  reader.finish();
  return value;
}

// In the reference's KeyUsageFlags order: bit 0 (the first bit of the BIT STRING) is digitalSignature.
const KEY_USAGE_FLAGS: readonly KeyUsageFlag[] = [
  "DIGITAL_SIGNATURE",
  "NON_REPUDIATION",
  "KEY_ENCIPHERMENT",
  "DATA_ENCIPHERMENT",
  "KEY_AGREEMENT",
  "KEY_CERT_SIGN",
  "CRL_SIGN",
  "ENCIPHER_ONLY",
  "DECIPHER_ONLY",
];

/**
 * Extensions, as the reference reads them: every SAN extension's names in order, and the first key usage, EKU and
 * basic constraints. The ten extensions @peculiar/x509 parses as it reads the certificate (and would refuse the
 * certificate over) are each checked here; any other extension's value is opaque to both.
 */
function readExtensions(bytes: Uint8Array, tlv: Tlv): ExtensionFields {
  if (tlv.tag !== TAG.SEQUENCE) decline();
  const out = noExtensions();
  const reader = DerReader.within(bytes, tlv);
  if (reader.done) decline();
  while (!reader.done) {
    const extension = DerReader.within(bytes, reader.expect(TAG.SEQUENCE));
    const oid = readOid(bytes, extension.expect(TAG.OID));
    const criticalTlv = extension.optional(TAG.BOOLEAN);
    // DER leaves the DEFAULT FALSE out: an explicit FALSE is BER.
    const critical = criticalTlv ? readBoolean(bytes, criticalTlv) || decline() : false;
    const octets = extension.expect(TAG.OCTET_STRING);
    extension.finish();
    // Any other extension's value is opaque to the reference too, whatever it holds.
    if (!READ_EXTENSIONS.has(oid)) continue;
    const value = onlyElement(bytes, octets);
    switch (oid) {
      case OID.subjectAltName:
        if (value.tag !== TAG.SEQUENCE) decline();
        out.subjectAltNames.push(...readGeneralNames(bytes, value));
        break;
      case OID.keyUsage: {
        const usage = readKeyUsage(bytes, value);
        out.keyUsage ??= usage;
        break;
      }
      case OID.extKeyUsage: {
        const usages = readExtendedKeyUsage(bytes, value);
        out.extendedKeyUsage ??= usages;
        break;
      }
      case OID.basicConstraints: {
        const constraints = readBasicConstraints(bytes, value, critical);
        out.basicConstraints ??= constraints;
        break;
      }
      case OID.subjectKeyIdentifier:
        if (value.tag !== TAG.OCTET_STRING) decline();
        break;
      case OID.authorityKeyIdentifier:
        checkAuthorityKeyIdentifier(bytes, value);
        break;
      case OID.issuerAltName:
        if (value.tag !== TAG.SEQUENCE || contentLength(value) === 0) decline();
        readGeneralNames(bytes, value);
        break;
      case OID.cRLDistributionPoints:
        checkCrlDistributionPoints(bytes, value);
        break;
      case OID.authorityInfoAccess:
        checkAuthorityInfoAccess(bytes, value);
        break;
      case OID.certificatePolicies:
        checkCertificatePolicies(bytes, value);
        break;
    }
  }
  return out;
}

// At most two octets of named bits (all nine usages fit); the reference drops the padding bits and reads the rest.
function readKeyUsage(bytes: Uint8Array, tlv: Tlv): KeyUsageFlag[] {
  const bits = readBitString(bytes, tlv);
  if (bits.end - bits.start > 2) decline();
  const flags: KeyUsageFlag[] = [];
  KEY_USAGE_FLAGS.forEach((flag, bit) => {
    const octet = bits.start + (bit >> 3);
    if (octet < bits.end && (bytes[octet]! & (0x80 >> (bit & 7))) !== 0) flags.push(flag);
  });
  return flags;
}

function readExtendedKeyUsage(bytes: Uint8Array, tlv: Tlv): ExtendedKeyUsage[] {
  if (tlv.tag !== TAG.SEQUENCE) decline();
  const usages: ExtendedKeyUsage[] = [];
  const reader = DerReader.within(bytes, tlv);
  while (!reader.done) {
    const oid = readOid(bytes, reader.expect(TAG.OID));
    usages.push({ oid, name: EKU_NAMES[oid] ?? null });
  }
  return usages;
}

// cA TRUE or absent (DEFAULT FALSE), pathLenConstraint of up to three octets (the reference turns longer ones into
// strings).
function readBasicConstraints(bytes: Uint8Array, tlv: Tlv, critical: boolean): BasicConstraints {
  if (tlv.tag !== TAG.SEQUENCE) decline();
  const reader = DerReader.within(bytes, tlv);
  const ca = reader.optional(TAG.BOOLEAN);
  if (ca && !readBoolean(bytes, ca)) decline();
  const pathLength = reader.optional(TAG.INTEGER);
  reader.finish();
  return {
    ca: ca !== undefined,
    pathLength: pathLength ? readSmallUnsigned(bytes, pathLength, 3) : null,
    critical,
  };
}

function checkAuthorityKeyIdentifier(bytes: Uint8Array, tlv: Tlv): void {
  if (tlv.tag !== TAG.SEQUENCE || contentLength(tlv) === 0) decline();
  const reader = DerReader.within(bytes, tlv);
  reader.optional(CONTEXT | 0);
  const issuer = reader.optional(CONTEXT | CONSTRUCTED | 1);
  if (issuer) {
    if (contentLength(issuer) === 0) decline();
    readGeneralNames(bytes, issuer);
  }
  const serial = reader.optional(CONTEXT | 2);
  if (serial) checkInteger(bytes, serial, CONTEXT | 2);
  reader.finish();
}

// Distribution points named by a full name (the usual form), optionally with a CRL issuer; reasons and names
// relative to the issuer are left to the reference.
function checkCrlDistributionPoints(bytes: Uint8Array, tlv: Tlv): void {
  if (tlv.tag !== TAG.SEQUENCE || contentLength(tlv) === 0) decline();
  const points = DerReader.within(bytes, tlv);
  while (!points.done) {
    const point = DerReader.within(bytes, points.expect(TAG.SEQUENCE));
    const name = onlyOfTag(bytes, point.expect(CONTEXT | CONSTRUCTED | 0), CONTEXT | CONSTRUCTED | 0);
    if (contentLength(name) === 0) decline();
    readGeneralNames(bytes, name);
    const issuer = point.optional(CONTEXT | CONSTRUCTED | 2);
    if (issuer) {
      if (contentLength(issuer) === 0) decline();
      readGeneralNames(bytes, issuer);
    }
    point.finish();
  }
}

// The access methods whose locations the reference turns into GeneralName objects (which throw on the forms it skips
// elsewhere, so those are declined here).
const ACCESS_METHODS: ReadonlySet<string> = new Set([
  "1.3.6.1.5.5.7.48.1",
  "1.3.6.1.5.5.7.48.2",
  "1.3.6.1.5.5.7.48.3",
  "1.3.6.1.5.5.7.48.5",
]);

function checkAuthorityInfoAccess(bytes: Uint8Array, tlv: Tlv): void {
  if (tlv.tag !== TAG.SEQUENCE || contentLength(tlv) === 0) decline();
  const reader = DerReader.within(bytes, tlv);
  while (!reader.done) {
    const description = DerReader.within(bytes, reader.expect(TAG.SEQUENCE));
    const method = readOid(bytes, description.expect(TAG.OID));
    const location = readGeneralName(bytes, description.next());
    description.finish();
    if (location === null && ACCESS_METHODS.has(method)) decline();
  }
}

function checkCertificatePolicies(bytes: Uint8Array, tlv: Tlv): void {
  if (tlv.tag !== TAG.SEQUENCE || contentLength(tlv) === 0) decline();
  const policies = DerReader.within(bytes, tlv);
  while (!policies.done) {
    const policy = DerReader.within(bytes, policies.expect(TAG.SEQUENCE));
    readOid(bytes, policy.expect(TAG.OID));
    const qualifiers = policy.optional(TAG.SEQUENCE);
    policy.finish();
    if (!qualifiers) continue;
    const reader = DerReader.within(bytes, qualifiers);
    if (reader.done) decline();
    while (!reader.done) {
      const qualifier = DerReader.within(bytes, reader.expect(TAG.SEQUENCE));
      readOid(bytes, qualifier.expect(TAG.OID));
      checkAny(bytes, qualifier.next(), 0);
      qualifier.finish();
    }
  }
}
