import {
  CERTIFICATE_STATUSES,
  type Certificate,
  type ChainEntry,
  REVOCATION_REASONS,
  type Revocation,
  SEARCH_STATUSES,
  SEAT_TYPES,
} from "../model/tlm/certificate.js";
import { UpstreamInvalidResponseError } from "../model/errors.js";
import { SCOPES } from "../auth/viewer.js";
import { listCertificates } from "../resolvers/certificates.js";
import { parseSerialNumber } from "../model/ids.js";
import { requireScope } from "./access.js";
import { builder, nodeTypeNames } from "./builder.js";
import { totalCountConnection, totalCountField } from "./pagination.js";
import { BusinessUnitRef, ProfileRef } from "./profile.js";
import { X509Ref } from "./x509.js";

export const CertificateStatusEnum = builder.enumType("CertificateStatus", { values: CERTIFICATE_STATUSES });
export const RevocationReasonEnum = builder.enumType("RevocationReason", { values: REVOCATION_REASONS });

const RevocationRef = builder.objectRef<Revocation>("Revocation").implement({
  fields: (t) => ({
    reason: t.field({ type: RevocationReasonEnum, nullable: true, resolve: (r) => r.reason }),
    revokedAt: t.field({ type: "DateTime", nullable: true, resolve: (r) => r.revokedAt }),
    comments: t.exposeString("comments", {
      nullable: true,
      description: "As DigiCert reports it (set in DigiCert ONE; the API's revoke takes none).",
    }),
  }),
});

const SeatRef = builder.objectRef<{ id: string }>("Seat").implement({
  description: "The TLM seat (user, device or server) that owns the certificate.",
  fields: (t) => ({ id: t.exposeString("id") }),
});

export const ChainCertificateRef = builder.objectRef<ChainEntry>("ChainCertificate").implement({
  fields: (t) => ({
    commonName: t.exposeString("commonName", { nullable: true }),
    pem: t.exposeString("pem", {
      description: "PEM (normalised when DigiCert sent PEM or bare base64; as sent when it is neither).",
    }),
    x509: t.field({
      type: X509Ref,
      nullable: true,
      description:
        "Parsed from `pem`. Null, with an UPSTREAM_INVALID_RESPONSE error on this field alone, when it is not a certificate.",
      resolve: (c, _args, ctx) => ctx.loaders.x509.load(c.pem),
    }),
  }),
});

/** The certificate's PEM, or this field's own coded error when DigiCert sent none that reads. */
function pemOf(c: Certificate): string {
  if (!c.pem) throw new UpstreamInvalidResponseError();
  return c.pem;
}

export const CertificateRef = builder.objectRef<Certificate>("Certificate");
nodeTypeNames.add("Certificate");

builder.node(CertificateRef, {
  description: "A certificate issued through Trust Lifecycle Manager.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (c) => c.serialNumber, parse: (id) => parseSerialNumber(id, "id") },
  loadOne: (serial, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.certificate.load(serial);
  },
  fields: (t) => ({
    serialNumber: t.exposeString("serialNumber", { description: "Uppercase hex, as DigiCert prints it." }),
    status: t.field({ type: CertificateStatusEnum, resolve: (c) => c.status }),
    commonName: t.exposeString("commonName", { nullable: true }),
    validFrom: t.field({ type: "DateTime", nullable: true, resolve: (c) => c.validFrom }),
    validTo: t.field({ type: "DateTime", nullable: true, resolve: (c) => c.validTo }),
    thumbprint: t.exposeString("thumbprint", { nullable: true, description: "SHA-256, uppercase hex." }),
    pem: t.string({
      nullable: true,
      description:
        "The end-entity certificate, PEM (DigiCert sends PEM or bare base64 DER; both come out as PEM). Null, with an UPSTREAM_INVALID_RESPONSE error on this field alone, when DigiCert sent no certificate (a search item has one only once issued) or one in neither form.",
      resolve: pemOf,
    }),
    seat: t.field({ type: SeatRef, nullable: true, resolve: (c) => (c.seatId ? { id: c.seatId } : null) }),
    businessUnit: t.field({ type: BusinessUnitRef, nullable: true, resolve: (c) => c.businessUnit }),
    accountId: t.exposeString("accountId", {
      nullable: true,
      description: "The DigiCert ONE account the certificate belongs to (`account.id`).",
    }),
    notes: t.exposeString("notes", { nullable: true, description: "DigiCert's notes on the certificate." }),
    templateName: t.exposeString("templateName", {
      nullable: true,
      description: "The certificate template its profile uses (`template_name`).",
    }),
    issuingCaName: t.exposeString("issuingCaName", {
      nullable: true,
      description: "The issuing CA's name as DigiCert reports it (`issuing_ca_name`).",
    }),
    issuingCaId: t.exposeString("issuingCaId", {
      nullable: true,
      description: "The issuing CA's id (`ica.id`); filter with `issuingCaId`.",
    }),
    securityRating: t.exposeString("securityRating", {
      nullable: true,
      description:
        "DigiCert's overall security rating of the certificate (`cert_security_rating`), e.g. Secure.",
    }),
    revocation: t.field({ type: RevocationRef, nullable: true, resolve: (c) => c.revocation }),
    profile: t.field({
      type: ProfileRef,
      nullable: true,
      description: "Loaded once per distinct profile per request.",
      resolve: (c, _args, ctx) => (c.profileId ? ctx.loaders.profile.load(c.profileId) : null),
    }),
    x509: t.field({
      type: X509Ref,
      nullable: true,
      description:
        "Parsed from `pem`; no upstream call. Null, with an UPSTREAM_INVALID_RESPONSE error on this field alone, when there is no certificate or it does not parse: the certificate's other fields are still served.",
      resolve: (c, _args, ctx) => ctx.loaders.x509.load(pemOf(c)),
    }),
    chain: t.field({
      type: [ChainCertificateRef],
      nullable: true,
      description:
        "End-entity to root (additional-formats); fetched only when selected. Null, with this field's error, when that read fails.",
      resolve: async (c, _args, ctx) => (await ctx.loaders.additionalFormats.load(c.serialNumber)).chain,
    }),
    pkcs7: t.string({
      nullable: true,
      description:
        "PKCS#7 (PEM) of the certificate and its chain (additional-formats); fetched only when selected.",
      resolve: async (c, _args, ctx) => (await ctx.loaders.additionalFormats.load(c.serialNumber)).pkcs7,
    }),
  }),
});

const SearchableStatusEnum = builder.enumType("CertificateSearchStatus", { values: SEARCH_STATUSES });

const SeatTypeEnum = builder.enumType("SeatType", {
  description: "The kind of seat that owns a certificate (certificate-search's seat_type_id).",
  values: SEAT_TYPES,
});

const CertificateFilterInput = builder.inputType("CertificateFilter", {
  description:
    "All given fields must match; each is one of DigiCert's certificate-search filters, so a page is one upstream call. Certificates expiring in the next 30 days: `{ expiresBefore: <now + 30 days>, statuses: [ISSUED] }`.",
  fields: (t) => ({
    profileId: t.field({ type: "UUID" }),
    seatId: t.string(),
    seatType: t.field({ type: SeatTypeEnum, description: "The owning seat's type." }),
    commonName: t.string(),
    status: t.field({ type: SearchableStatusEnum, description: "One status; see `statuses` for several." }),
    statuses: t.field({
      type: [SearchableStatusEnum],
      description: "Any of these statuses (not with `status`). EXPIRED: past validTo, unless revoked.",
    }),
    serialNumber: t.field({ type: "SerialNumber" }),
    thumbprint: t.string({ description: "SHA-256 of the DER, hex (colons allowed)." }),
    businessUnitId: t.field({ type: "UUID", description: "The business unit's id." }),
    businessUnitName: t.string({ description: "The business unit's name." }),
    issuingCaId: t.string({ description: "The issuing CA's id, as `Certificate.issuingCaId`." }),
    issuingCaName: t.string({ description: "The issuing CA's name, as `Certificate.issuingCaName`." }),
    issuingCaSerialNumber: t.field({
      type: "SerialNumber",
      description: "The issuing CA certificate's serial.",
    }),
    authorityKeyIdentifier: t.string({
      description: "The issuing CA's key identifier (the certificates' AKI), hex (colons allowed).",
    }),
    expiresBefore: t.field({
      type: "DateTime",
      description:
        "Only certificates whose validTo is at or before this (DigiCert's valid_to, to the second).",
    }),
    issuedAfter: t.field({
      type: "DateTime",
      description:
        "Only certificates whose validFrom is at or after this (DigiCert's valid_from, to the second). DigiCert's search has no upper bound on validFrom and no lower bound on validTo.",
    }),
  }),
});

const MAX_PAGE = 100;

builder.queryFields((t) => ({
  certificate: t.field({
    type: CertificateRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    description: "A certificate by serial number; null when DigiCert has none.",
    args: { serialNumber: t.arg({ type: "SerialNumber", required: true }) },
    resolve: (_root, { serialNumber }, ctx) => ctx.loaders.certificate.load(serialNumber),
  }),
  certificates: t.connection(
    {
      type: CertificateRef,
      authScopes: { scope: SCOPES.readCertificates },
      description: `Certificates matching the filter, newest first (certificate-search); at most ${MAX_PAGE} a page.`,
      args: { filter: t.arg({ type: CertificateFilterInput }) },
      resolve: (_root, args, ctx) =>
        totalCountConnection(args, MAX_PAGE, listCertificates(ctx, args.filter ?? {})),
    },
    totalCountField({ nullable: false, description: "Matches across all pages." }),
  ),
}));
