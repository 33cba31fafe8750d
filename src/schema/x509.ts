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

const DnAttributeRef = builder.objectRef<DnAttribute>("DistinguishedNameAttribute").implement({
  fields: (t) => ({
    type: t.exposeString("type", { description: "Short name (CN, O, OU, C, ...) or the dotted OID." }),
    oid: t.exposeString("oid"),
    value: t.exposeString("value"),
  }),
});

const DistinguishedNameRef = builder.objectRef<DistinguishedName>("DistinguishedName").implement({
  fields: (t) => ({
    dn: t.exposeString("dn", { description: "RFC 4514 string." }),
    commonName: t.exposeString("commonName", { nullable: true }),
    attributes: t.field({ type: [DnAttributeRef], resolve: (d) => d.attributes }),
  }),
});

const SanTypeEnum = builder.enumType("SubjectAltNameType", {
  values: ["DNS", "IP", "EMAIL", "URI", "UPN", "OTHER"] as const,
});

const SanRef = builder.objectRef<SubjectAltName>("SubjectAltName").implement({
  fields: (t) => ({
    type: t.field({ type: SanTypeEnum, resolve: (s) => s.type }),
    value: t.exposeString("value"),
  }),
});

const KeyAlgorithmEnum = builder.enumType("KeyAlgorithm", {
  values: ["RSA", "EC", "ED25519", "ED448", "UNKNOWN"] as const,
});

const PublicKeyRef = builder.objectRef<PublicKeyInfo>("PublicKeyInfo").implement({
  fields: (t) => ({
    algorithm: t.field({ type: KeyAlgorithmEnum, resolve: (k) => k.algorithm }),
    size: t.exposeInt("size", { nullable: true, description: "RSA modulus bits, or the EC field size." }),
    curve: t.exposeString("curve", { nullable: true, description: "P-256, P-384 or P-521 for EC keys." }),
  }),
});

const KeyUsageEnum = builder.enumType("KeyUsage", {
  values: [
    "DIGITAL_SIGNATURE",
    "NON_REPUDIATION",
    "KEY_ENCIPHERMENT",
    "DATA_ENCIPHERMENT",
    "KEY_AGREEMENT",
    "KEY_CERT_SIGN",
    "CRL_SIGN",
    "ENCIPHER_ONLY",
    "DECIPHER_ONLY",
  ] as const,
});

const EkuRef = builder.objectRef<ExtendedKeyUsage>("ExtendedKeyUsage").implement({
  fields: (t) => ({
    oid: t.exposeString("oid"),
    name: t.exposeString("name", { nullable: true, description: "serverAuth, clientAuth, ... when known." }),
  }),
});

const BasicConstraintsRef = builder.objectRef<BasicConstraints>("BasicConstraints").implement({
  fields: (t) => ({
    ca: t.exposeBoolean("ca"),
    pathLength: t.exposeInt("pathLength", { nullable: true }),
    critical: t.exposeBoolean("critical"),
  }),
});

export const X509Ref = builder.objectRef<ParsedCertificate>("X509Certificate").implement({
  description: "Fields parsed from the certificate itself (DER), not reported by DigiCert.",
  fields: (t) => ({
    serialNumber: t.exposeString("serialNumber"),
    subject: t.field({ type: DistinguishedNameRef, resolve: (c) => c.subject }),
    issuer: t.field({ type: DistinguishedNameRef, resolve: (c) => c.issuer }),
    notBefore: t.field({ type: "DateTime", resolve: (c) => c.notBefore }),
    notAfter: t.field({ type: "DateTime", resolve: (c) => c.notAfter }),
    daysUntilExpiry: t.int({
      description: "Whole days until notAfter at the time of the request; negative once expired.",
      resolve: (c, _args, ctx) => daysUntilExpiry(c.notAfter, ctx.now),
    }),
    subjectAltNames: t.field({ type: [SanRef], resolve: (c) => c.subjectAltNames }),
    publicKey: t.field({ type: PublicKeyRef, resolve: (c) => c.publicKey }),
    signatureAlgorithm: t.exposeString("signatureAlgorithm", { description: "e.g. SHA256_WITH_RSA." }),
    sha1Fingerprint: t.exposeString("sha1Fingerprint", { description: "Uppercase hex over the DER." }),
    sha256Fingerprint: t.exposeString("sha256Fingerprint", { description: "Uppercase hex over the DER." }),
    keyUsage: t.field({ type: [KeyUsageEnum], nullable: true, resolve: (c) => c.keyUsage }),
    extendedKeyUsage: t.field({ type: [EkuRef], nullable: true, resolve: (c) => c.extendedKeyUsage }),
    basicConstraints: t.field({
      type: BasicConstraintsRef,
      nullable: true,
      resolve: (c) => c.basicConstraints,
    }),
    selfSigned: t.exposeBoolean("selfSigned"),
  }),
});
