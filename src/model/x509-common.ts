// The public shapes of parsed certificates and CSRs, and the naming tables both certificate parsers share (the
// @peculiar/x509 reference in x509.ts and the DER fast path in x509-fast.ts). Pure data: imports nothing.
// x509.ts re-exports every type here; import them from there.

export type SanType = "DNS" | "IP" | "EMAIL" | "URI" | "UPN" | "OTHER";
/** IPs are in canonical text form (IPv4 dotted, IPv6 compressed lowercase). */
export interface SubjectAltName {
  type: SanType;
  value: string;
}

export interface DnAttribute {
  /** Short name (CN, O, OU, L, ST, C, E, DC, SERIALNUMBER, ...) or the dotted OID when unknown. */
  type: string;
  oid: string;
  value: string;
}

export interface DistinguishedName {
  /** The name as @peculiar/x509 prints it (RDNs in encoded order, joined by ", "). */
  dn: string;
  /** Attributes in encoded order. */
  attributes: DnAttribute[];
  /** The last (most specific) CN, or null when there is none. */
  commonName: string | null;
}

export type KeyAlgorithm = "RSA" | "EC" | "ED25519" | "ED448" | "UNKNOWN";

export interface PublicKeyInfo {
  algorithm: KeyAlgorithm;
  /** RSA modulus bits, EC field bits (256/384/521); null otherwise or when unknown. */
  size: number | null;
  curve: "P-256" | "P-384" | "P-521" | null;
}

export type KeyUsageFlag =
  | "DIGITAL_SIGNATURE"
  | "NON_REPUDIATION"
  | "KEY_ENCIPHERMENT"
  | "DATA_ENCIPHERMENT"
  | "KEY_AGREEMENT"
  | "KEY_CERT_SIGN"
  | "CRL_SIGN"
  | "ENCIPHER_ONLY"
  | "DECIPHER_ONLY";

export interface ExtendedKeyUsage {
  oid: string;
  /** "serverAuth", "clientAuth", "codeSigning", "emailProtection", "timeStamping", "OCSPSigning", else null. */
  name: string | null;
}

export interface BasicConstraints {
  ca: boolean;
  pathLength: number | null;
  critical: boolean;
}

export interface ParsedCertificate {
  /**
   * Uppercase hex of the serial number's value bytes, as DigiCert and node:crypto print it:
   * the DER sign-padding 0x00 (present when the first value byte is >= 0x80) is dropped.
   */
  serialNumber: string;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  subjectAltNames: SubjectAltName[];
  publicKey: PublicKeyInfo;
  /** "SHA256_WITH_RSA", "SHA384_WITH_ECDSA", "ED25519", "ED448", "RSASSA_PSS", ...; else the OID. */
  signatureAlgorithm: string;
  /** Uppercase hex, no separators, over the DER. */
  sha1Fingerprint: string;
  sha256Fingerprint: string;
  /** null when the extension is absent. */
  keyUsage: KeyUsageFlag[] | null;
  extendedKeyUsage: ExtendedKeyUsage[] | null;
  basicConstraints: BasicConstraints | null;
  /** Subject equals issuer and the certificate's own key verifies its signature. */
  selfSigned: boolean;
  /** Normalised PEM of this one certificate: 64-column base64, "\n" line ends, trailing "\n". */
  pem: string;
}

export interface ParsedCsr {
  subject: DistinguishedName;
  subjectAltNames: SubjectAltName[];
  publicKey: PublicKeyInfo;
  signatureValid: boolean;
  /** Normalised PEM, always labelled "CERTIFICATE REQUEST". */
  pem: string;
}

// ---------------------------------------------------------------------------------------------
// Naming tables
// ---------------------------------------------------------------------------------------------

// The short names @peculiar/x509 itself prints (its private `names` table), by OID.
export const LIBRARY_SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

// Names the library prints as dotted OIDs but that DigiCert certificates (OV/EV) commonly carry.
export const EXTRA_SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.9": "STREET",
  "2.5.4.17": "POSTALCODE",
  "2.5.4.15": "BUSINESSCATEGORY",
  "2.5.4.97": "ORGANIZATIONIDENTIFIER",
  "0.9.2342.19200300.100.1.1": "UID",
  "1.3.6.1.4.1.311.60.2.1.1": "JURISDICTIONL",
  "1.3.6.1.4.1.311.60.2.1.2": "JURISDICTIONST",
  "1.3.6.1.4.1.311.60.2.1.3": "JURISDICTIONC",
};

export const EKU_NAMES: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
};
