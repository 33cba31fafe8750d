import {
  CERTIFICATE_STATUSES,
  type Certificate,
  type ChainEntry,
  REVOCATION_REASONS,
  type Revocation,
} from "../model/tlm/certificate.js";
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
    comments: t.exposeString("comments", { nullable: true }),
  }),
});

const SeatRef = builder.objectRef<{ id: string }>("Seat").implement({
  description: "The TLM seat (user, device or server) that owns the certificate.",
  fields: (t) => ({ id: t.exposeString("id") }),
});

export const ChainCertificateRef = builder.objectRef<ChainEntry>("ChainCertificate").implement({
  fields: (t) => ({
    commonName: t.exposeString("commonName", { nullable: true }),
    pem: t.exposeString("pem"),
    x509: t.field({ type: X509Ref, resolve: (c, _args, ctx) => ctx.loaders.x509.load(c.pem) }),
  }),
});

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
    pem: t.exposeString("pem", { description: "The end-entity certificate, PEM." }),
    seat: t.field({ type: SeatRef, nullable: true, resolve: (c) => (c.seatId ? { id: c.seatId } : null) }),
    businessUnit: t.field({ type: BusinessUnitRef, nullable: true, resolve: (c) => c.businessUnit }),
    revocation: t.field({ type: RevocationRef, nullable: true, resolve: (c) => c.revocation }),
    profile: t.field({
      type: ProfileRef,
      nullable: true,
      description: "Loaded once per distinct profile per request.",
      resolve: (c, _args, ctx) => (c.profileId ? ctx.loaders.profile.load(c.profileId) : null),
    }),
    x509: t.field({
      type: X509Ref,
      description: "Parsed from `pem`; no upstream call.",
      resolve: (c, _args, ctx) => ctx.loaders.x509.load(c.pem),
    }),
    chain: t.field({
      type: [ChainCertificateRef],
      description: "End-entity to root (additional-formats); fetched only when selected.",
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
  values: ["ISSUED", "REVOKED", "EXPIRED", "SUSPENDED"] as const,
});

const CertificateFilterInput = builder.inputType("CertificateFilter", {
  description: "All given fields must match (certificate-search filters).",
  fields: (t) => ({
    profileId: t.field({ type: "UUID" }),
    seatId: t.string(),
    commonName: t.string(),
    status: t.field({ type: SearchableStatusEnum }),
    serialNumber: t.field({ type: "SerialNumber" }),
    thumbprint: t.string({ description: "SHA-256, hex." }),
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
