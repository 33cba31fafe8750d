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
import { builder, describedValues, nodeTypeNames } from "./builder.js";
import { idArgDescription, profileIdOf } from "./global-id.js";
import { connectionType, pageArgs, totalCountConnection } from "./pagination.js";
import { BusinessUnitRef, ProfileRef } from "./profile.js";
import { X509Ref } from "./x509.js";

/** One status for both products' certificates; filters take the subsets DigiCert can search by (see their enums). */
export const CertificateStatusEnum = builder.enumType("CertificateStatus", {
  description:
    "A certificate's status as DigiCert reports it (TLM's and IoT Trust Manager's `status`, any case), for certificates of both products. Filters take the subsets DigiCert searches by: CertificateSearchStatus (TLM) and DeviceCertificateSearchStatus (IoT).",
  values: describedValues(CERTIFICATE_STATUSES, {
    ISSUED: "Issued and valid.",
    PENDING: "Requested, awaiting approval or issuance.",
    REVOKED: "Revoked (revocation says when and why).",
    EXPIRED: "Past its validTo, not revoked.",
    SUSPENDED: "On hold (revoked with CERTIFICATE_HOLD); resumeCertificate takes it off hold.",
    UNKNOWN: "A status DigiCert added since this gateway was written; the certificate's other fields stand.",
  }),
});

export const RevocationReasonEnum = builder.enumType("RevocationReason", {
  description:
    "Why a certificate was revoked: RFC 5280's CRLReason (section 5.3.1), as DigiCert takes and reports it.",
  values: describedValues(REVOCATION_REASONS, {
    UNSPECIFIED: "unspecified (0).",
    KEY_COMPROMISE: "keyCompromise (1): the private key is known or suspected to be compromised.",
    CA_COMPROMISE: "cACompromise (2): the issuing CA's key is compromised.",
    AFFILIATION_CHANGED: "affiliationChanged (3): the subject's name or other information changed.",
    SUPERSEDED: "superseded (4): replaced by another certificate.",
    CESSATION_OF_OPERATION: "cessationOfOperation (5): no longer needed.",
    CERTIFICATE_HOLD: "certificateHold (6): suspended; it can be taken off hold (resumeCertificate).",
    REMOVE_FROM_CRL: "removeFromCRL (8): taken off hold.",
    PRIVILEGE_WITHDRAWN: "privilegeWithdrawn (9): a privilege it asserted was withdrawn.",
    AA_COMPROMISE: "aACompromise (10): the attribute authority is compromised.",
  }),
});

const RevocationRef = builder.objectRef<Revocation>("Revocation").implement({
  description: "How and when a certificate was revoked, as DigiCert reports it.",
  fields: (t) => ({
    reason: t.field({
      type: RevocationReasonEnum,
      nullable: true,
      description: "Why; null when DigiCert does not say.",
      resolve: (r) => r.reason,
    }),
    revokedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When; null when DigiCert does not say.",
      resolve: (r) => r.revokedAt,
    }),
    comments: t.exposeString("comments", {
      nullable: true,
      description: "As DigiCert reports it (set in DigiCert ONE; the API's revoke takes none).",
    }),
  }),
});

const SeatRef = builder.objectRef<{ id: string }>("Seat").implement({
  description: "The TLM seat (user, device or server) that owns the certificate.",
  fields: (t) => ({
    seatId: t.exposeString("id", {
      description: "DigiCert's seat id, e.g. an email or FQDN; what `seatId` inputs and filters take.",
    }),
  }),
});

export const ChainCertificateRef = builder.objectRef<ChainEntry>("ChainCertificate").implement({
  description: "A CA certificate of a chain, as DigiCert sends it.",
  fields: (t) => ({
    commonName: t.exposeString("commonName", {
      nullable: true,
      description: "Its common name as DigiCert reports it; null when DigiCert sent none (see x509.subject).",
    }),
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
  description:
    "A certificate issued through Trust Lifecycle Manager (GET /mpki/api/v1/certificate/{serial}, or a certificate-search item). Its global id is made of its serial number. Needs scope certificates:read.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (c) => c.serialNumber, parse: (id) => parseSerialNumber(id, "id") },
  loadOne: (serial, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.certificate.load(serial);
  },
  fields: (t) => ({
    serialNumber: t.expose("serialNumber", {
      type: "SerialNumber",
      description:
        "The serial number, DigiCert's id of a TLM certificate: uppercase hex, as DigiCert prints it.",
    }),
    status: t.field({
      type: CertificateStatusEnum,
      description: "Its status in DigiCert.",
      resolve: (c) => c.status,
    }),
    commonName: t.exposeString("commonName", {
      nullable: true,
      description: "The subject's common name as DigiCert reports it (`common_name`).",
    }),
    validFrom: t.field({
      type: "DateTime",
      nullable: true,
      description: "Start of validity as DigiCert reports it (`valid_from`).",
      resolve: (c) => c.validFrom,
    }),
    validTo: t.field({
      type: "DateTime",
      nullable: true,
      description: "End of validity as DigiCert reports it (`valid_to`).",
      resolve: (c) => c.validTo,
    }),
    thumbprint: t.exposeString("thumbprint", {
      nullable: true,
      description: "SHA-256 of the DER as DigiCert reports it (`thumbprint`), uppercase hex.",
    }),
    pem: t.string({
      nullable: true,
      description:
        "The end-entity certificate, PEM (DigiCert sends PEM or bare base64 DER; both come out as PEM). Null, with an UPSTREAM_INVALID_RESPONSE error on this field alone, when DigiCert sent no certificate (a search item has one only once issued) or one in neither form.",
      resolve: pemOf,
    }),
    seat: t.field({
      type: SeatRef,
      nullable: true,
      description: "The seat that owns it; null when DigiCert names none.",
      resolve: (c) => (c.seatId ? { id: c.seatId } : null),
    }),
    businessUnit: t.field({
      type: BusinessUnitRef,
      nullable: true,
      description: "The business unit it belongs to; null when DigiCert names none.",
      resolve: (c) => c.businessUnit,
    }),
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
    revocation: t.field({
      type: RevocationRef,
      nullable: true,
      description: "How it was revoked or suspended; null when it is not.",
      resolve: (c) => c.revocation,
    }),
    profile: t.field({
      type: ProfileRef,
      nullable: true,
      description:
        "The profile it was issued under (one upstream read per distinct profile per request); null when DigiCert names none or it no longer exists.",
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

const SearchableStatusEnum = builder.enumType("CertificateSearchStatus", {
  description:
    "The statuses TLM's certificate-search filters by (its `status`): CertificateStatus without PENDING and UNKNOWN, which DigiCert cannot search by.",
  values: describedValues(SEARCH_STATUSES, {
    ISSUED: "Issued and valid.",
    REVOKED: "Revoked.",
    EXPIRED: "Past validTo, unless revoked.",
    SUSPENDED: "On hold (CERTIFICATE_HOLD).",
  }),
});

const SeatTypeEnum = builder.enumType("SeatType", {
  description: "The kind of seat that owns a certificate (certificate-search's seat_type_id).",
  values: describedValues(SEAT_TYPES, {
    USER_SEAT: "A person.",
    DEVICE_SEAT: "A device.",
    SERVER_SEAT: "A server.",
    IMPORTED_SEAT: "Certificates imported into DigiCert ONE.",
    UNMANAGED_SEAT: "Certificates DigiCert ONE found but does not manage.",
  }),
});

const CertificateFilterInput = builder.inputType("CertificateFilter", {
  description:
    "All given fields must match; each is one of DigiCert's certificate-search filters, so a page is one upstream call. Certificates expiring in the next 30 days: `{ expiresBefore: <now + 30 days>, statuses: [ISSUED] }`.",
  fields: (t) => ({
    profileId: t.id({ description: idArgDescription("Profile", "`profileId`, a UUID") }),
    seatId: t.string({ description: "The owning seat's id (`Seat.seatId`), exact." }),
    seatType: t.field({ type: SeatTypeEnum, description: "The owning seat's type." }),
    commonName: t.string({ description: "The subject's common name, as DigiCert's search matches it." }),
    status: t.field({ type: SearchableStatusEnum, description: "One status; see `statuses` for several." }),
    statuses: t.field({
      type: [SearchableStatusEnum],
      description: "Any of these statuses (not with `status`). EXPIRED: past validTo, unless revoked.",
    }),
    serialNumber: t.field({ type: "SerialNumber", description: "One serial number." }),
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

const CertificateConnection = connectionType(CertificateRef, {
  name: "Certificate",
  description: "A page of TLM certificates (certificate-search).",
  totalCount: "always",
  totalCountDescription:
    "How many certificates match across all pages: certificate-search's `total`, which DigiCert always sends.",
});

builder.queryFields((t) => ({
  certificate: t.field({
    type: CertificateRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    description:
      "A TLM certificate by serial number (GET /mpki/api/v1/certificate/{serial}); null when DigiCert has none. By global id: node(id:).",
    args: {
      serialNumber: t.arg({
        type: "SerialNumber",
        required: true,
        description: "The certificate's serial number.",
      }),
    },
    resolve: (_root, { serialNumber }, ctx) => ctx.loaders.certificate.load(serialNumber),
  }),
  certificates: t.field({
    type: CertificateConnection,
    authScopes: { scope: SCOPES.readCertificates },
    description: `TLM certificates matching the filter, newest first (GET /mpki/api/v1/certificate-search): one upstream call a page, at most ${MAX_PAGE} a page.`,
    args: {
      ...pageArgs(t.arg, MAX_PAGE),
      filter: t.arg({ type: CertificateFilterInput, description: "Absent: every certificate." }),
    },
    resolve: (_root, args, ctx) => {
      const filter = args.filter ?? {};
      const profileId = filter.profileId != null ? profileIdOf(filter.profileId, "filter.profileId") : null;
      return totalCountConnection(args, MAX_PAGE, listCertificates(ctx, { ...filter, profileId }));
    },
  }),
}));
