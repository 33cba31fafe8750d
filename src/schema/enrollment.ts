import { SCOPES } from "../auth/viewer.js";
import type { EnrollmentOutcome } from "../model/tlm/certificate.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DuplicateCertificateError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  RequestNotFoundError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import type { SerialNumber } from "../model/ids.js";
import { parseRequestId } from "../model/ids.js";
import {
  pickupCertificate,
  renewCertificate,
  requestCertificate,
  revokeCertificate,
} from "../resolvers/enrollment.js";
import { builder } from "./builder.js";
import { CertificateRef, RevocationReasonEnum } from "./certificate.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { ProfileRef } from "./profile.js";

type Issued = Extract<EnrollmentOutcome, { kind: "issued" }>;
type Pending = Extract<EnrollmentOutcome, { kind: "pending" }>;
type Revoked = { kind: "revoked"; serialNumber: SerialNumber };

const CertificateIssuedRef = builder.objectRef<Issued>("CertificateIssued").implement({
  description: "DigiCert issued the certificate.",
  fields: (t) => ({
    serialNumber: t.exposeString("serialNumber"),
    pem: t.exposeString("pem", {
      description: "As DigiCert returned it; with the chain when includeCaChain.",
    }),
    certificate: t.field({
      type: CertificateRef,
      description: "The certificate's details (one upstream read, only when selected).",
      resolve: async (r, _args, ctx) => {
        const certificate = await ctx.loaders.certificate.load(r.serialNumber);
        if (!certificate) throw new CertificateNotFoundError(r.serialNumber);
        return certificate;
      },
    }),
  }),
});

const CertificatePendingRef = builder.objectRef<Pending>("CertificatePending").implement({
  description: "The request awaits approval; call pickupCertificate with requestId and profileId later.",
  fields: (t) => ({
    requestId: t.exposeString("requestId"),
    profileId: t.exposeString("profileId"),
    profile: t.field({
      type: ProfileRef,
      nullable: true,
      resolve: (r, _args, ctx) => ctx.loaders.profile.load(r.profileId),
    }),
  }),
});

const CertificateRevokedRef = builder.objectRef<Revoked>("CertificateRevoked").implement({
  description: "DigiCert accepted the revocation.",
  fields: (t) => ({
    serialNumber: t.exposeString("serialNumber"),
    certificate: t.field({
      type: CertificateRef,
      nullable: true,
      description: "The certificate as DigiCert reports it after the revocation.",
      resolve: (r, _args, ctx) => ctx.loaders.certificate.load(r.serialNumber),
    }),
  }),
});

const outcomes = { issued: CertificateIssuedRef, pending: CertificatePendingRef };
const INPUT_ERRORS = [ValidationError, InvalidCsrError];

const RequestResult = resultUnion<EnrollmentOutcome>(
  "RequestCertificateResult",
  "The certificate, a pending request, or why not.",
  outcomes,
  [
    ...INPUT_ERRORS,
    ProfileNotFoundError,
    DuplicateCertificateError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
const RenewResult = resultUnion<EnrollmentOutcome>(
  "RenewCertificateResult",
  "The renewed certificate (a new serial number), a pending request, or why not.",
  outcomes,
  [
    ...INPUT_ERRORS,
    CertificateNotFoundError,
    RenewalNotAllowedError,
    DuplicateCertificateError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
const PickupResult = resultUnion<EnrollmentOutcome>(
  "PickupCertificateResult",
  "The certificate once approved, the same pending request until then, or why not.",
  outcomes,
  [ValidationError, RequestNotFoundError, ProfileNotFoundError, ...UPSTREAM_ERRORS],
);
const RevokeResult = resultUnion<Revoked>(
  "RevokeCertificateResult",
  "The revoked certificate, or why not.",
  { revoked: CertificateRevokedRef },
  [ValidationError, CertificateNotFoundError, AlreadyRevokedError, ...UPSTREAM_ERRORS],
);

const IDEMPOTENCY_KEY =
  "Optional, 1-128 of [A-Za-z0-9_.:-], e.g. a UUID. Repeating the mutation with the same key and input returns the first result instead of issuing again (kept 24 h); the same key with other input is a ValidationError.";

const ValidityUnitEnum = builder.enumType("ValidityUnit", {
  values: ["YEARS", "MONTHS", "DAYS", "HOURS", "MINUTES"] as const,
});

const ValidityInput = builder.inputType("ValidityInput", {
  description: "Honoured only by profiles that allow overriding validity; others use the profile's.",
  fields: (t) => ({
    unit: t.field({ type: ValidityUnitEnum, required: true }),
    duration: t.int({ required: true }),
  }),
});

const SubjectInput = builder.inputType("SubjectInput", {
  description: "Subject attributes; the profile decides which are required. Values override the CSR's.",
  fields: (t) => ({
    commonName: t.string(),
    organizationName: t.string(),
    organizationalUnits: t.stringList(),
    locality: t.string(),
    state: t.string(),
    country: t.string({ description: "Two-letter ISO 3166 code." }),
    email: t.string(),
    postalCode: t.string(),
    streetAddresses: t.stringList(),
  }),
});

const SubjectAltNamesInput = builder.inputType("SubjectAltNamesInput", {
  fields: (t) => ({
    dnsNames: t.stringList(),
    ipAddresses: t.stringList(),
    emails: t.stringList(),
    uris: t.stringList(),
  }),
});

const RequestCertificateInput = builder.inputType("RequestCertificateInput", {
  fields: (t) => ({
    profileId: t.field({
      type: "UUID",
      required: true,
      description: "A profile with enrollment method rest_api.",
    }),
    seatId: t.string({
      required: true,
      description: "The seat that will own the certificate, e.g. an email or FQDN.",
    }),
    csr: t.string({
      required: true,
      description: "One PEM PKCS#10 request; its signature is verified first.",
    }),
    subject: t.field({ type: SubjectInput }),
    subjectAltNames: t.field({ type: SubjectAltNamesInput }),
    validity: t.field({ type: ValidityInput }),
    includeCaChain: t.boolean({ description: "Append the chain to the returned PEM." }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY }),
  }),
});

const RenewCertificateInput = builder.inputType("RenewCertificateInput", {
  fields: (t) => ({
    serialNumber: t.field({ type: "SerialNumber", required: true }),
    csr: t.string({ required: true }),
    validity: t.field({ type: ValidityInput }),
    includeCaChain: t.boolean(),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY }),
  }),
});

const PickupCertificateInput = builder.inputType("PickupCertificateInput", {
  fields: (t) => ({
    requestId: t.string({ required: true }),
    profileId: t.field({ type: "UUID", required: true }),
  }),
});

const RevokeCertificateInput = builder.inputType("RevokeCertificateInput", {
  fields: (t) => ({
    serialNumber: t.field({ type: "SerialNumber", required: true }),
    reason: t.field({
      type: RevocationReasonEnum,
      required: true,
      description: "CERTIFICATE_HOLD suspends.",
    }),
    comments: t.string(),
  }),
});

builder.mutationFields((t) => ({
  requestCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: RequestResult.ref,
    description:
      "Submit a CSR to a TLM profile (POST /mpki/api/v1/certificate). Never retried by the gateway.",
    args: { input: t.arg({ type: RequestCertificateInput, required: true }) },
    resolve: (_root, { input }, ctx) => RequestResult.run(() => requestCertificate(ctx, input)),
  }),
  renewCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: RenewResult.ref,
    description: "Renew within the profile's renewal window, with a new CSR. Never retried by the gateway.",
    args: { input: t.arg({ type: RenewCertificateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      RenewResult.run(() => renewCertificate(ctx, input.serialNumber, input)),
  }),
  pickupCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: PickupResult.ref,
    description: "Collect a certificate whose request was pending approval.",
    args: { input: t.arg({ type: PickupCertificateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      PickupResult.run(async () =>
        pickupCertificate(ctx, parseRequestId(input.requestId, "input.requestId"), input.profileId),
      ),
  }),
  revokeCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: RevokeResult.ref,
    description: "Revoke (or, with CERTIFICATE_HOLD, suspend) a certificate.",
    args: { input: t.arg({ type: RevokeCertificateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      RevokeResult.run(() => revokeCertificate(ctx, input.serialNumber, input.reason, input.comments)),
  }),
}));
