import { SCOPES } from "../auth/viewer.js";
import { DELIVERY_FORMATS, type EnrollmentOutcome } from "../model/tlm/certificate.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DuplicateCertificateError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  RequestNotFoundError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import type { SerialNumber } from "../model/ids.js";
import { parseRequestId } from "../model/ids.js";
import {
  pickupCertificate,
  renewCertificate,
  requestCertificate,
  resumeCertificate,
  revokeCertificate,
} from "../resolvers/enrollment.js";
import { builder, describedValues } from "./builder.js";
import { CertificateRef, RevocationReasonEnum } from "./certificate.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { idArgDescription, profileIdOf } from "./global-id.js";
import { ProfileRef } from "./profile.js";

type Issued = Extract<EnrollmentOutcome, { kind: "issued" }>;
type Pending = Extract<EnrollmentOutcome, { kind: "pending" }>;
type Revoked = { kind: "revoked"; serialNumber: SerialNumber };
type Resumed = { kind: "resumed"; serialNumber: SerialNumber };

export const DeliveryFormatEnum = builder.enumType("DeliveryFormat", {
  description: "How DigiCert delivers an issued certificate: X.509 PEM, or a PKCS#7 bundle.",
  values: describedValues(DELIVERY_FORMATS, {
    X509: "X.509 PEM: CertificateIssued.pem (DigiCert's `x509`).",
    PKCS7: "A PKCS#7 bundle, PEM: CertificateIssued.pkcs7 (DigiCert's `PKCS7`).",
  }),
});

const CertificateIssuedRef = builder.objectRef<Issued>("CertificateIssued").implement({
  description:
    "DigiCert issued the certificate. Returned whenever DigiCert's answer carries a serial number, whatever else in it could not be read: the certificate exists.",
  fields: (t) => ({
    serialNumber: t.expose("serialNumber", {
      type: "SerialNumber",
      description: "The new certificate's serial number, from DigiCert's answer.",
    }),
    deliveryFormat: t.field({
      type: DeliveryFormatEnum,
      description: "As DigiCert delivered it (or, when its answer does not say, as requested).",
      resolve: (r) => r.deliveryFormat,
    }),
    pem: t.string({
      nullable: true,
      description:
        "X509 delivery: the certificate, then the chain when includeCaChain, PEM (normalised from PEM or bare base64). Null for PKCS7 delivery (see pkcs7); null with an UPSTREAM_INVALID_RESPONSE error on this field alone when DigiCert's text is unreadable (read `certificate` instead).",
      resolve: (r) => {
        if (r.pem === null && r.deliveryFormat === "X509") throw new UpstreamInvalidResponseError();
        return r.pem;
      },
    }),
    pkcs7: t.string({
      nullable: true,
      description:
        "PKCS7 delivery: the PKCS#7 bundle, PEM. Null for X509 delivery; null with an UPSTREAM_INVALID_RESPONSE error on this field alone when unreadable.",
      resolve: (r) => {
        if (r.pkcs7 === null && r.deliveryFormat === "PKCS7") throw new UpstreamInvalidResponseError();
        return r.pkcs7;
      },
    }),
    certificate: t.field({
      type: CertificateRef,
      nullable: true,
      description:
        "The certificate's details (one upstream read, only when selected). Null with this field's error when that read fails; serialNumber is still served.",
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
    requestId: t.exposeString("requestId", {
      description: "DigiCert's id of the pending request; what pickupCertificate's requestId takes.",
    }),
    profileId: t.exposeString("profileId", {
      description: "DigiCert's id of the profile (a UUID); what pickupCertificate's profileId takes.",
    }),
    profile: t.field({
      type: ProfileRef,
      nullable: true,
      description: "The profile (one upstream read, when selected); null when it no longer exists.",
      resolve: (r, _args, ctx) => ctx.loaders.profile.load(r.profileId),
    }),
  }),
});

const CertificateRevokedRef = builder.objectRef<Revoked>("CertificateRevoked").implement({
  description: "DigiCert accepted the revocation.",
  fields: (t) => ({
    serialNumber: t.expose("serialNumber", {
      type: "SerialNumber",
      description: "The revoked certificate's serial number.",
    }),
    certificate: t.field({
      type: CertificateRef,
      nullable: true,
      description: "The certificate as DigiCert reports it after the revocation.",
      resolve: (r, _args, ctx) => ctx.loaders.certificate.load(r.serialNumber),
    }),
  }),
});

const CertificateResumedRef = builder.objectRef<Resumed>("CertificateResumed").implement({
  description: "DigiCert took the certificate off hold.",
  fields: (t) => ({
    serialNumber: t.expose("serialNumber", {
      type: "SerialNumber",
      description: "The resumed certificate's serial number.",
    }),
    certificate: t.field({
      type: CertificateRef,
      nullable: true,
      description: "The certificate as DigiCert reports it after resuming.",
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
  [
    ValidationError,
    RequestNotFoundError,
    ProfileNotFoundError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
const RevokeResult = resultUnion<Revoked>(
  "RevokeCertificateResult",
  "The revoked certificate, or why not.",
  { revoked: CertificateRevokedRef },
  [ValidationError, CertificateNotFoundError, AlreadyRevokedError, ...UPSTREAM_ERRORS],
);
const ResumeResult = resultUnion<Resumed>(
  "ResumeCertificateResult",
  "The resumed certificate, or why not (ValidationError on input.serialNumber: DigiCert refused, e.g. not on hold).",
  { resumed: CertificateResumedRef },
  [ValidationError, CertificateNotFoundError, UpstreamOutcomeUnknownError, ...UPSTREAM_ERRORS],
);

const IDEMPOTENCY_KEY =
  "Optional, 1-128 of [A-Za-z0-9_.:-], e.g. a UUID. Repeating the mutation with the same key and input returns the first result instead of issuing again (kept 24 h); the same key with other input is a ValidationError.";

const ValidityUnitEnum = builder.enumType("ValidityUnit", {
  description: "The unit of a requested validity (DigiCert's `validity.unit`).",
  values: {
    YEARS: { description: "Years." },
    MONTHS: { description: "Months." },
    DAYS: { description: "Days." },
    HOURS: { description: "Hours." },
    MINUTES: { description: "Minutes." },
  } as const,
});

const ValidityInput = builder.inputType("ValidityInput", {
  description:
    "A requested validity (DigiCert's `validity`). Honoured only by profiles that allow overriding validity (Profile.validityOverrideAllowed); others use the profile's.",
  fields: (t) => ({
    unit: t.field({ type: ValidityUnitEnum, required: true, description: "The unit of `duration`." }),
    duration: t.int({ required: true, description: "How many units, at least 1." }),
  }),
});

const SubjectInput = builder.inputType("SubjectInput", {
  description:
    "Subject attributes (TLM's attributes.subject); the profile decides which are required and which it uses. Values override the CSR's.",
  fields: (t) => ({
    commonName: t.string({ description: "CN, at most 64 characters." }),
    organizationName: t.string({ description: "O." }),
    organizationalUnits: t.stringList({ description: "OU, one or more." }),
    locality: t.string({ description: "L." }),
    state: t.string({ description: "ST." }),
    country: t.string({ description: "C: two-letter ISO 3166 code." }),
    email: t.string({ description: "emailAddress." }),
    postalCode: t.string({ description: "postalCode." }),
    streetAddresses: t.stringList({ description: "street, one or more." }),
    domainComponents: t.stringList({
      description:
        "DC (domain_component), one or more, most significant last as in a DN (e.g. example, com).",
    }),
    uniqueIdentifier: t.string({ description: "x500UniqueIdentifier (unique_identifier), e.g. hex." }),
    serialNumber: t.string({
      description: "The subject's serialNumber attribute (2.5.4.5), not the certificate's serial number.",
    }),
    descriptions: t.stringList({ description: "description, one or more." }),
    unstructuredNames: t.stringList({ description: "unstructuredName, one or more." }),
    unstructuredAddresses: t.stringList({ description: "unstructuredAddress, one or more." }),
    pseudonym: t.string({ description: "pseudonym." }),
    userIdentifier: t.string({ description: "UID (user_identifier)." }),
    dnQualifier: t.string({ description: "dnQualifier." }),
    title: t.string({ description: "title." }),
    givenName: t.string({ description: "givenName." }),
    surname: t.string({ description: "SN (surname)." }),
    organizationIdentifier: t.string({ description: "organizationIdentifier." }),
  }),
});

const OtherNameValueInput = builder.inputType("OtherNameValueInput", {
  description: "One labelled value of a raw other name, as DigiCert's API takes it.",
  fields: (t) => ({
    label: t.string({
      required: true,
      description: "The value's label, as the other name's type defines it.",
    }),
    value: t.string({ required: true, description: "The value." }),
  }),
});

const RawOtherNameInput = builder.inputType("RawOtherNameInput", {
  description: "An otherName SAN of any type (raw_other_names): its type OID and its values.",
  fields: (t) => ({
    oid: t.string({ required: true, description: "Dotted decimal, e.g. 1.3.6.1.4.1.311.25.1." }),
    values: t.field({ type: [OtherNameValueInput], required: true, description: "1 to 20 values." }),
  }),
});

const OtherNamesInput = builder.inputType("OtherNamesInput", {
  description: "otherName SANs (TLM's other_names).",
  fields: (t) => ({
    guids: t.stringList({
      description: "Microsoft GUIDs: a UUID, a braced UUID, or 0x and 32 hexadecimal digits.",
    }),
    raw: t.field({ type: [RawOtherNameInput], description: "Other names of any type." }),
  }),
});

const SubjectAltNamesInput = builder.inputType("SubjectAltNamesInput", {
  description:
    "Subject alternative names (TLM's attributes.extensions.san); the profile decides which it uses.",
  fields: (t) => ({
    dnsNames: t.stringList({ description: "dNSName SANs: host names (`dns_names`)." }),
    ipAddresses: t.stringList({ description: "iPAddress SANs: IPv4 or IPv6 addresses (`ip_addresses`)." }),
    emails: t.stringList({ description: "rfc822Name SANs: email addresses (`emails`)." }),
    uris: t.stringList({ description: "uniformResourceIdentifier SANs (`uris`)." }),
    userPrincipalNames: t.stringList({
      description: "Microsoft UPNs (user@domain); DigiCert takes them for USER seats only.",
    }),
    registeredIds: t.stringList({ description: "registeredID names: dotted-decimal OIDs." }),
    otherNames: t.field({ type: OtherNamesInput, description: "otherName SANs." }),
  }),
});

const RequestCertificateInput = builder.inputType("RequestCertificateInput", {
  description: "A certificate request to a TLM profile (DigiCert's POST /mpki/api/v1/certificate body).",
  fields: (t) => ({
    profileId: t.id({
      required: true,
      description: `A profile with enrollment method rest_api. ${idArgDescription("Profile", "`profileId`, a UUID")}`,
    }),
    seatId: t.string({
      required: true,
      description: "The seat that will own the certificate, e.g. an email or FQDN.",
    }),
    csr: t.string({
      required: true,
      description: "One PEM PKCS#10 request; its signature is verified first.",
    }),
    subject: t.field({ type: SubjectInput, description: "Subject attributes; absent: the CSR's." }),
    subjectAltNames: t.field({ type: SubjectAltNamesInput, description: "Subject alternative names." }),
    validity: t.field({ type: ValidityInput, description: "Absent: the profile's validity." }),
    includeCaChain: t.boolean({ description: "Append the chain to the returned PEM (or PKCS#7)." }),
    deliveryFormat: t.field({
      type: DeliveryFormatEnum,
      description: "X509 (default): CertificateIssued.pem; PKCS7: CertificateIssued.pkcs7.",
    }),
    tags: t.stringList({
      description: "Tags DigiCert keeps on the certificate (at most 100, each 1-128 characters).",
    }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY }),
  }),
});

const RenewCertificateInput = builder.inputType("RenewCertificateInput", {
  description:
    "A renewal of a TLM certificate (DigiCert's POST /mpki/api/v1/certificate/{serial}/renew body).",
  fields: (t) => ({
    serialNumber: t.field({
      type: "SerialNumber",
      required: true,
      description: "The certificate to renew; it must be within its profile's renewal window.",
    }),
    csr: t.string({
      required: true,
      description: "One PEM PKCS#10 request for the new certificate; its signature is verified first.",
    }),
    validity: t.field({ type: ValidityInput, description: "Absent: the profile's validity." }),
    includeCaChain: t.boolean({ description: "Append the chain to the returned PEM (or PKCS#7)." }),
    deliveryFormat: t.field({
      type: DeliveryFormatEnum,
      description: "X509 (default): CertificateIssued.pem; PKCS7: CertificateIssued.pkcs7.",
    }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY }),
  }),
});

const PickupCertificateInput = builder.inputType("PickupCertificateInput", {
  description: "A pending request to collect (CertificatePending's requestId and profileId).",
  fields: (t) => ({
    requestId: t.string({
      required: true,
      description: "DigiCert's request id (CertificatePending.requestId): 1 to 64 letters, digits or dashes.",
    }),
    profileId: t.id({
      required: true,
      description: `The request's profile. ${idArgDescription("Profile", "`profileId`, a UUID")}`,
    }),
  }),
});

const RevokeCertificateInput = builder.inputType("RevokeCertificateInput", {
  description: "A revocation (DigiCert's PUT /mpki/api/v1/certificate/{serial}/revoke body).",
  fields: (t) => ({
    serialNumber: t.field({
      type: "SerialNumber",
      required: true,
      description: "The certificate to revoke.",
    }),
    reason: t.field({
      type: RevocationReasonEnum,
      required: true,
      description: "CERTIFICATE_HOLD suspends (resumeCertificate takes it off hold).",
    }),
    comments: t.string({
      description: "Ignored: at most 512 printable characters, checked, and not sent to DigiCert.",
      deprecationReason:
        "DigiCert ONE's revoke request takes only the reason: the gateway checks this value (at most 512 printable characters) and does not send it.",
    }),
  }),
});

const ResumeCertificateInput = builder.inputType("ResumeCertificateInput", {
  description: "A suspended certificate to take off hold.",
  fields: (t) => ({
    serialNumber: t.field({
      type: "SerialNumber",
      required: true,
      description: "The certificate, revoked with CERTIFICATE_HOLD.",
    }),
  }),
});

builder.mutationFields((t) => ({
  requestCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: RequestResult.ref,
    description:
      "Submit a CSR to a TLM profile (POST /mpki/api/v1/certificate). Never retried by the gateway.",
    args: { input: t.arg({ type: RequestCertificateInput, required: true, description: "The request." }) },
    resolve: (_root, { input }, ctx) => {
      // Checked outside the result: a malformed id is a VALIDATION_FAILED error, as from a scalar.
      const profileId = profileIdOf(input.profileId, "input.profileId");
      return RequestResult.run(() => requestCertificate(ctx, { ...input, profileId }));
    },
  }),
  renewCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: RenewResult.ref,
    description:
      "Renew a TLM certificate within its profile's renewal window, with a new CSR (POST /mpki/api/v1/certificate/{serial}/renew). Never retried by the gateway.",
    args: { input: t.arg({ type: RenewCertificateInput, required: true, description: "The renewal." }) },
    resolve: (_root, { input }, ctx) =>
      RenewResult.run(() => renewCertificate(ctx, input.serialNumber, input)),
  }),
  pickupCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: PickupResult.ref,
    description:
      "Collect a certificate whose request was pending approval (POST /mpki/api/v1/certificate-pickup/{request_id}, which only reads); safe to repeat.",
    args: {
      input: t.arg({ type: PickupCertificateInput, required: true, description: "The pending request." }),
    },
    resolve: (_root, { input }, ctx) => {
      // Checked outside the result: a malformed id is a VALIDATION_FAILED error, as from a scalar.
      const profileId = profileIdOf(input.profileId, "input.profileId");
      return PickupResult.run(async () =>
        pickupCertificate(ctx, parseRequestId(input.requestId, "input.requestId"), profileId),
      );
    },
  }),
  revokeCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: RevokeResult.ref,
    description:
      "Revoke (or, with CERTIFICATE_HOLD, suspend) a TLM certificate (PUT /mpki/api/v1/certificate/{serial}/revoke).",
    args: { input: t.arg({ type: RevokeCertificateInput, required: true, description: "The revocation." }) },
    resolve: (_root, { input }, ctx) =>
      RevokeResult.run(() => revokeCertificate(ctx, input.serialNumber, input.reason, input.comments)),
  }),
  resumeCertificate: t.field({
    authScopes: { scope: SCOPES.writeCertificates },
    type: ResumeResult.ref,
    description:
      "Take a suspended (CERTIFICATE_HOLD) certificate off hold (DELETE /mpki/api/v1/certificate/{serial}/revoke). DigiCert suspends and resumes only its private CA's certificates. Never retried by the gateway.",
    args: { input: t.arg({ type: ResumeCertificateInput, required: true, description: "The certificate." }) },
    resolve: (_root, { input }, ctx) => ResumeResult.run(() => resumeCertificate(ctx, input.serialNumber)),
  }),
}));
