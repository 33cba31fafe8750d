import type {
  BasicConstraints,
  DistinguishedName,
  DnAttribute,
  ExtendedKeyUsage,
  ParsedCertificate,
  PublicKeyInfo,
  SubjectAltName,
} from "../model/x509.js";
import { daysUntilExpiry } from "../model/x509.js";
import { builder } from "./builder.js";

/*
 * What the gateway parses from a certificate's DER itself (RFC 5280), whichever product issued it: nothing here is
 * reported by DigiCert, and no field here makes an upstream call.
 */

const DnAttributeRef = builder.objectRef<DnAttribute>("DistinguishedNameAttribute").implement({
  description:
    "One attribute of a distinguished name (an AttributeTypeAndValue of RFC 5280), in encoded order.",
  fields: (t) => ({
    type: t.exposeString("type", {
      description:
        "Short name (CN, O, OU, L, ST, C, E, DC, SERIALNUMBER, ...), or the dotted OID when unknown.",
    }),
    oid: t.exposeString("oid", { description: "The attribute type's OID, dotted decimal, e.g. 2.5.4.3." }),
    value: t.exposeString("value", { description: "The attribute's value, as text." }),
  }),
});

const DistinguishedNameRef = builder.objectRef<DistinguishedName>("DistinguishedName").implement({
  description: "A certificate's subject or issuer name.",
  fields: (t) => ({
    dn: t.exposeString("dn", {
      description: 'The whole name as one string, RDNs in encoded order joined by ", " (RFC 4514 style).',
    }),
    commonName: t.exposeString("commonName", {
      nullable: true,
      description: "The last (most specific) CN; null when the name has none.",
    }),
    attributes: t.field({
      type: [DnAttributeRef],
      description: "Every attribute, in encoded order.",
      resolve: (d) => d.attributes,
    }),
  }),
});

const SanTypeEnum = builder.enumType("SubjectAltNameType", {
  description: "The GeneralName form of a subject alternative name (RFC 5280 section 4.2.1.6).",
  values: {
    DNS: { description: "dNSName: a host name." },
    IP: { description: "iPAddress: IPv4 dotted or IPv6 compressed lowercase." },
    EMAIL: { description: "rfc822Name: an email address." },
    URI: { description: "uniformResourceIdentifier." },
    UPN: { description: "A Microsoft user principal name (otherName 1.3.6.1.4.1.311.20.2.3)." },
    OTHER: { description: "Any other form (other otherNames, directoryName, registeredID, ...)." },
  } as const,
});

const SanRef = builder.objectRef<SubjectAltName>("SubjectAltName").implement({
  description: "One subject alternative name of the certificate.",
  fields: (t) => ({
    type: t.field({ type: SanTypeEnum, description: "Its form.", resolve: (s) => s.type }),
    value: t.exposeString("value", { description: "Its value, as text." }),
  }),
});

const KeyAlgorithmEnum = builder.enumType("KeyAlgorithm", {
  description: "The public key's algorithm (its SubjectPublicKeyInfo).",
  values: {
    RSA: { description: "RSA (rsaEncryption)." },
    EC: { description: "Elliptic curve (id-ecPublicKey); see `curve`." },
    ED25519: { description: "Ed25519 (RFC 8410)." },
    ED448: { description: "Ed448 (RFC 8410)." },
    UNKNOWN: { description: "Another algorithm the gateway does not name." },
  } as const,
});

const PublicKeyRef = builder.objectRef<PublicKeyInfo>("PublicKeyInfo").implement({
  description: "The certificate's public key.",
  fields: (t) => ({
    algorithm: t.field({
      type: KeyAlgorithmEnum,
      description: "The key's algorithm.",
      resolve: (k) => k.algorithm,
    }),
    size: t.exposeInt("size", {
      nullable: true,
      description: "Bits: the RSA modulus size, or the EC field size (256, 384, 521); null otherwise.",
    }),
    curve: t.exposeString("curve", {
      nullable: true,
      description: "P-256, P-384 or P-521 for EC keys; null otherwise.",
    }),
  }),
});

const KeyUsageEnum = builder.enumType("KeyUsage", {
  description: "A bit of the key usage extension (RFC 5280 section 4.2.1.3).",
  values: {
    DIGITAL_SIGNATURE: { description: "digitalSignature." },
    NON_REPUDIATION: { description: "nonRepudiation (contentCommitment)." },
    KEY_ENCIPHERMENT: { description: "keyEncipherment." },
    DATA_ENCIPHERMENT: { description: "dataEncipherment." },
    KEY_AGREEMENT: { description: "keyAgreement." },
    KEY_CERT_SIGN: { description: "keyCertSign: the key signs certificates." },
    CRL_SIGN: { description: "cRLSign: the key signs CRLs." },
    ENCIPHER_ONLY: { description: "encipherOnly (with keyAgreement)." },
    DECIPHER_ONLY: { description: "decipherOnly (with keyAgreement)." },
  } as const,
});

const EkuRef = builder.objectRef<ExtendedKeyUsage>("ExtendedKeyUsage").implement({
  description: "One purpose of the extended key usage extension (RFC 5280 section 4.2.1.12).",
  fields: (t) => ({
    oid: t.exposeString("oid", { description: "The purpose's OID, dotted decimal, e.g. 1.3.6.1.5.5.7.3.1." }),
    name: t.exposeString("name", {
      nullable: true,
      description:
        "serverAuth, clientAuth, codeSigning, emailProtection, timeStamping or OCSPSigning; null for another OID.",
    }),
  }),
});

const BasicConstraintsRef = builder.objectRef<BasicConstraints>("BasicConstraints").implement({
  description: "The basic constraints extension (RFC 5280 section 4.2.1.9).",
  fields: (t) => ({
    ca: t.exposeBoolean("ca", { description: "Whether the certificate is a CA's." }),
    pathLength: t.exposeInt("pathLength", {
      nullable: true,
      description: "pathLenConstraint: how many CA certificates may follow it in a chain; null: no limit.",
    }),
    critical: t.exposeBoolean("critical", { description: "Whether the extension is marked critical." }),
  }),
});

export const X509Ref = builder.objectRef<ParsedCertificate>("X509Certificate").implement({
  description:
    "Fields parsed by the gateway from the certificate itself (DER), not reported by DigiCert; no upstream call.",
  fields: (t) => ({
    serialNumber: t.expose("serialNumber", {
      type: "SerialNumber",
      description:
        "The serial number in the certificate, without the DER sign-padding 00, as DigiCert prints it.",
    }),
    subject: t.field({
      type: DistinguishedNameRef,
      description: "The subject name.",
      resolve: (c) => c.subject,
    }),
    issuer: t.field({
      type: DistinguishedNameRef,
      description: "The issuer's name.",
      resolve: (c) => c.issuer,
    }),
    notBefore: t.field({
      type: "DateTime",
      description: "Start of the validity period (notBefore).",
      resolve: (c) => c.notBefore,
    }),
    notAfter: t.field({
      type: "DateTime",
      description: "End of the validity period (notAfter).",
      resolve: (c) => c.notAfter,
    }),
    daysUntilExpiry: t.int({
      description: "Whole days until notAfter at the time of the request; negative once expired.",
      resolve: (c, _args, ctx) => daysUntilExpiry(c.notAfter, ctx.now),
    }),
    subjectAltNames: t.field({
      type: [SanRef],
      description: "The subject alternative names, in encoded order; empty without the extension.",
      resolve: (c) => c.subjectAltNames,
    }),
    publicKey: t.field({ type: PublicKeyRef, description: "The public key.", resolve: (c) => c.publicKey }),
    signatureAlgorithm: t.exposeString("signatureAlgorithm", {
      description:
        "The issuer's signature algorithm, e.g. SHA256_WITH_RSA or SHA384_WITH_ECDSA; else its OID.",
    }),
    sha1Fingerprint: t.exposeString("sha1Fingerprint", {
      description: "SHA-1 over the DER, uppercase hex without separators.",
    }),
    sha256Fingerprint: t.exposeString("sha256Fingerprint", {
      description: "SHA-256 over the DER, uppercase hex without separators.",
    }),
    keyUsage: t.field({
      type: [KeyUsageEnum],
      nullable: true,
      description: "The key usage bits set; null without the extension.",
      resolve: (c) => c.keyUsage,
    }),
    extendedKeyUsage: t.field({
      type: [EkuRef],
      nullable: true,
      description: "The extended key usages; null without the extension.",
      resolve: (c) => c.extendedKeyUsage,
    }),
    basicConstraints: t.field({
      type: BasicConstraintsRef,
      nullable: true,
      description: "The basic constraints; null without the extension.",
      resolve: (c) => c.basicConstraints,
    }),
    selfSigned: t.exposeBoolean("selfSigned", {
      description: "Subject equals issuer and the certificate's own key verifies its signature.",
    }),
  }),
});
