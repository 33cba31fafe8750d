import { SCOPES } from "../auth/viewer.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DuplicateCertificateError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import type { DeviceCertificate } from "../model/iot/certificate.js";
import type { EnrolledDeviceCertificate } from "../model/iot/enrollment.js";
import {
  IOT_ENROLLMENT_METHODS,
  IOT_KEY_TYPES,
  KEY_GENERATION_OPTIONS,
  PRIVATE_KEY_FORMATS,
  PRIVATE_KEY_SYNTAXES,
} from "../model/iot/enums.js";
import {
  type DeviceCertificateRef as DeviceRef,
  parseDeviceCertificateRef,
  parseIotProfileId,
} from "../model/iot/ids.js";
import { readField, readPresent } from "../model/iot/list.js";
import type { PrivateKeyMaterial, RevealedPrivateKey } from "../model/iot/private-key.js";
import type { EnrollmentField, EnrollmentProfile } from "../model/iot/profile.js";
import {
  type DeviceEnrolled,
  enrollDeviceCertificate,
  renewDeviceCertificate,
  revokeDeviceCertificate,
  enrollmentFields,
  listDeviceCertificates,
  listEnrollmentProfiles,
} from "../resolvers/iot.js";
import { requireScope } from "./access.js";
import { builder, nodeTypeNames } from "./builder.js";
import { CertificateStatusEnum, ChainCertificateRef, RevocationReasonEnum } from "./certificate.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { offsetPage, totalCountConnection, totalCountField } from "./pagination.js";
import { X509Ref } from "./x509.js";

// ---------------------------------------------------------------------------------------------
// Enrollment profiles
// ---------------------------------------------------------------------------------------------

export const IotKeyTypeEnum = builder.enumType("IotKeyType", { values: IOT_KEY_TYPES });
const KeyGenerationOptionEnum = builder.enumType("KeyGenerationOption", { values: KEY_GENERATION_OPTIONS });
const IotEnrollmentMethodEnum = builder.enumType("IotEnrollmentMethod", { values: IOT_ENROLLMENT_METHODS });
const PrivateKeyFormatEnum = builder.enumType("PrivateKeyFormat", { values: PRIVATE_KEY_FORMATS });
export const PrivateKeySyntaxEnum = builder.enumType("PrivateKeySyntax", { values: PRIVATE_KEY_SYNTAXES });

const EnrollmentFieldRef = builder.objectRef<EnrollmentField>("EnrollmentField").implement({
  description: "An attribute the enrollment profile defines (from its enrollment specification).",
  fields: (t) => ({
    id: t.exposeString("id", {
      description: "subject.common_name, san.dns_name, DEVICE_IDENTIFIER, or an attribute id.",
    }),
    name: t.exposeString("name"),
    kind: t.exposeString("kind", {
      description: "CERTIFICATE (certificateAttributes) or DEVICE (deviceAttributes).",
    }),
    required: t.exposeBoolean("required"),
    multiple: t.exposeBoolean("multiple"),
    fixedValue: t.exposeString("fixedValue", { nullable: true }),
  }),
});

export const EnrollmentProfileRef = builder.objectRef<EnrollmentProfile>("EnrollmentProfile");
nodeTypeNames.add("EnrollmentProfile");

builder.node(EnrollmentProfileRef, {
  description: "An IoT Trust Manager enrollment profile.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (p) => p.id, parse: (id) => parseIotProfileId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.enrollmentProfile.load(id);
  },
  fields: (t) => ({
    profileId: t.exposeString("id", { description: "DigiCert's id, IOT_<uuid>." }),
    name: t.string({
      nullable: true,
      description: "Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read.",
      resolve: (p) => readField(p, "name"),
    }),
    status: t.exposeString("status"),
    keyGenerationOption: t.field({ type: KeyGenerationOptionEnum, resolve: (p) => p.keyGenerationOption }),
    enrollmentMethods: t.field({ type: [IotEnrollmentMethodEnum], resolve: (p) => p.enrollmentMethods }),
    allowedKeyTypes: t.field({ type: [IotKeyTypeEnum], resolve: (p) => p.allowedKeyTypes }),
    defaultKeyType: t.field({ type: IotKeyTypeEnum, nullable: true, resolve: (p) => p.defaultKeyType }),
    approvalRequired: t.exposeBoolean("approvalRequired", { description: "Batch jobs wait for approval." }),
    fields: t.field({
      type: [EnrollmentFieldRef],
      description: "The attributes to send (enrollment specification; one upstream read, when selected).",
      resolve: (p, _args, ctx) => enrollmentFields(ctx, p),
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Device certificates
// ---------------------------------------------------------------------------------------------

const DeviceAttributeRef = builder
  .objectRef<{ id: string; name: string | null; value: string }>("DeviceAttribute")
  .implement({
    fields: (t) => ({
      id: t.exposeString("id"),
      name: t.exposeString("name", { nullable: true }),
      value: t.exposeString("value"),
    }),
  });

export const DeviceCertificateRef = builder.objectRef<DeviceCertificate>("DeviceCertificate");
nodeTypeNames.add("DeviceCertificate");

builder.node(DeviceCertificateRef, {
  description:
    "A certificate issued through IoT Trust Manager; `x509` is parsed exactly as for TLM certificates.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (c) => c.id, parse: (id) => parseDeviceCertificateRef(id, "id") },
  loadOne: (ref, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.deviceCertificate.load(ref);
  },
  fields: (t) => ({
    certificateId: t.exposeString("id", { description: "DigiCert's certificate id (UUID)." }),
    serialNumber: t.string({
      nullable: true,
      description:
        "Uppercase hex. Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read.",
      resolve: (c) => readField(c, "serialNumber"),
    }),
    status: t.field({ type: CertificateStatusEnum, resolve: (c) => c.status }),
    commonName: t.exposeString("commonName", { nullable: true }),
    deviceIdentifier: t.exposeString("deviceIdentifier", { nullable: true }),
    keyType: t.field({ type: IotKeyTypeEnum, nullable: true, resolve: (c) => c.keyType }),
    validFrom: t.field({ type: "DateTime", nullable: true, resolve: (c) => c.validFrom }),
    validTo: t.field({ type: "DateTime", nullable: true, resolve: (c) => c.validTo }),
    thumbprint: t.exposeString("thumbprint", { nullable: true }),
    pem: t.string({
      nullable: true,
      description:
        "The certificate alone, PEM (DigiCert's PEM or bare base64, normalised). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert sent none the gateway could read.",
      resolve: (c) => readField(c, "pem"),
    }),
    chain: t.field({
      type: [ChainCertificateRef],
      description: "Intermediate first. Entries DigiCert sent without a certificate are left out.",
      resolve: (c) => c.chain,
    }),
    x509: t.field({
      type: X509Ref,
      nullable: true,
      description:
        "Parsed from `pem`; no upstream call. Null, with an UPSTREAM_INVALID_RESPONSE error, when it does not parse: the rest of the certificate stands.",
      resolve: (c, _args, ctx) => ctx.loaders.x509.load(readPresent(c, "pem")),
    }),
    deviceAttributes: t.field({ type: [DeviceAttributeRef], resolve: (c) => c.deviceAttributes }),
    revocationReason: t.field({
      type: RevocationReasonEnum,
      nullable: true,
      resolve: (c) => c.revocation?.reason ?? null,
    }),
    enrollmentProfile: t.field({
      type: EnrollmentProfileRef,
      nullable: true,
      resolve: (c, _args, ctx) =>
        c.enrollmentProfileId ? ctx.loaders.enrollmentProfile.load(c.enrollmentProfileId) : null,
    }),
  }),
});

const DeviceCertificateStatusEnum = builder.enumType("DeviceCertificateStatus", {
  values: ["ISSUED", "REVOKED", "EXPIRED"] as const,
});

const DeviceCertificateFilterInput = builder.inputType("DeviceCertificateFilter", {
  fields: (t) => ({
    serialNumber: t.field({ type: "SerialNumber" }),
    commonName: t.string(),
    statuses: t.field({ type: [DeviceCertificateStatusEnum] }),
    enrollmentProfileId: t.string(),
    deviceIdentifier: t.string(),
  }),
});

builder.queryFields((t) => ({
  enrollmentProfile: t.field({
    type: EnrollmentProfileRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    args: { id: t.arg.string({ required: true, description: "IOT_<uuid>" }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.enrollmentProfile.load(parseIotProfileId(id, "id")),
  }),
  enrollmentProfiles: t.connection({
    type: EnrollmentProfileRef,
    authScopes: { scope: SCOPES.readCertificates },
    description: "IoT enrollment profiles; at most 50 a page.",
    resolve: (_root, args, ctx) =>
      offsetPage(
        args,
        50,
        async ({ offset, limit }) => (await listEnrollmentProfiles(ctx)(offset, limit)).items,
      ),
  }),
  deviceCertificate: t.field({
    type: DeviceCertificateRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    args: {
      id: t.arg.string({ required: true, description: "DigiCert's certificate id, or the serial number." }),
    },
    resolve: (_root, { id }, ctx) => ctx.loaders.deviceCertificate.load(parseDeviceCertificateRef(id, "id")),
  }),
  deviceCertificates: t.connection(
    {
      type: DeviceCertificateRef,
      authScopes: { scope: SCOPES.readCertificates },
      description: "IoT certificates matching the filter; at most 100 a page.",
      args: { filter: t.arg({ type: DeviceCertificateFilterInput }) },
      resolve: (_root, args, ctx) => {
        const filter = args.filter ?? {};
        const enrollmentProfileId = filter.enrollmentProfileId
          ? parseIotProfileId(filter.enrollmentProfileId, "filter.enrollmentProfileId")
          : null;
        return totalCountConnection(
          args,
          100,
          listDeviceCertificates(ctx, { ...filter, enrollmentProfileId }),
        );
      },
    },
    totalCountField({ nullable: true }),
  ),
}));

// ---------------------------------------------------------------------------------------------
// Enrollment: the private key comes back once, typed by format
// ---------------------------------------------------------------------------------------------

const PemPrivateKeyRef = builder
  .objectRef<Extract<RevealedPrivateKey, { format: "PEM" }>>("PemPrivateKey")
  .implement({
    description: "The private key as PEM text (PKCS#8, or PKCS#1 for RSA when asked).",
    fields: (t) => ({ pem: t.exposeString("pem") }),
  });
const Base64PrivateKey = (name: string, description: string, format: RevealedPrivateKey["format"]) =>
  builder.objectRef<Extract<RevealedPrivateKey, { base64: string }>>(name).implement({
    description,
    isTypeOf: (value) => (value as RevealedPrivateKey).format === format,
    fields: (t) => ({ base64: t.exposeString("base64") }),
  });
const DerPrivateKeyRef = Base64PrivateKey("DerPrivateKey", "The private key, DER, base64.", "DER");
const Pkcs12BundleRef = Base64PrivateKey(
  "Pkcs12Bundle",
  "A PKCS#12 file (key, certificate and chain), base64; it opens with the password you chose.",
  "PKCS12",
);
const EncryptedBundleRef = Base64PrivateKey(
  "EncryptedCertificateBundle",
  "CMS EnvelopedData (P7M), base64, for the encryption certificate: a ZIP of the certificate, chain and key.",
  "CERT_ENCRYPTED",
);
const EncryptedKeyRef = Base64PrivateKey(
  "EncryptedPrivateKey",
  "CMS EnvelopedData (P7M), base64, for the encryption certificate: the private key alone.",
  "CERT_ENCRYPTED_KEY_ONLY",
);

const PrivateKeyUnion = builder.unionType("PrivateKey", {
  description:
    "Server-side generated key material, delivered once: DigiCert keeps no copy and neither does the gateway.",
  types: [PemPrivateKeyRef, DerPrivateKeyRef, Pkcs12BundleRef, EncryptedBundleRef, EncryptedKeyRef],
  resolveType: (value) =>
    ({
      PEM: "PemPrivateKey",
      DER: "DerPrivateKey",
      PKCS12: "Pkcs12Bundle",
      CERT_ENCRYPTED: "EncryptedCertificateBundle",
      CERT_ENCRYPTED_KEY_ONLY: "EncryptedPrivateKey",
    })[(value as RevealedPrivateKey).format],
});

const UNREADABLE =
  "Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's answer held one the gateway could not read.";

const EnrolledRef = builder.objectRef<DeviceEnrolled>("DeviceCertificateEnrolled").implement({
  description:
    "DigiCert accepted the request and answered: whatever of its answer could be read (at least one of certificateId, serialNumber and requestId). A field it sent in a form the gateway cannot read is null with an UPSTREAM_INVALID_RESPONSE error; the others stand.",
  fields: (t) => ({
    certificateId: t.string({
      nullable: true,
      description: `DigiCert's certificate id (a UUID). ${UNREADABLE}`,
      resolve: (r) => readField(r.certificate, "id"),
    }),
    serialNumber: t.string({
      nullable: true,
      description: `Uppercase hex. ${UNREADABLE}`,
      resolve: (r) => readField(r.certificate, "serialNumber"),
    }),
    requestId: t.string({
      nullable: true,
      description: "DigiCert's certificate request id.",
      resolve: (r) => r.certificate.requestId,
    }),
    pem: t.string({
      nullable: true,
      description: `The certificate, PEM; null for CERT_ENCRYPTED, where it travels inside the bundle. ${UNREADABLE}`,
      resolve: (r: { certificate: EnrolledDeviceCertificate }) => readField(r.certificate, "pem"),
    }),
    certificate: t.field({
      type: DeviceCertificateRef,
      nullable: true,
      description:
        "The certificate's details (one upstream read by id, else by serial number, only when selected). Null, with an error, when that read fails: the rest of the result (and the private key) stands.",
      resolve: async (r, _args, ctx) => {
        const ref = r.certificate.id ?? r.certificate.serialNumber;
        if (!ref) return null;
        const certificate = await ctx.loaders.deviceCertificate.load(ref);
        if (!certificate) throw new CertificateNotFoundError(ref);
        return certificate;
      },
    }),
    privateKey: t.field({
      type: PrivateKeyUnion,
      nullable: true,
      description: `Server-side key generation only. Null for a CSR, and for a repeat of an idempotencyKey (the key was delivered to the first call). ${UNREADABLE}`,
      resolve: (r) => {
        if (r.privateKeyUnreadable) throw new UpstreamInvalidResponseError();
        return r.privateKey ? (r.privateKey as PrivateKeyMaterial).reveal() : null;
      },
    }),
  }),
});

const RevokedRef = builder
  .objectRef<{ kind: "revoked"; ref: DeviceRef }>("DeviceCertificateRevoked")
  .implement({
    fields: (t) => ({
      certificate: t.field({
        type: DeviceCertificateRef,
        nullable: true,
        resolve: (r, _args, ctx) => ctx.loaders.deviceCertificate.load(r.ref),
      }),
    }),
  });

const INPUT_ERRORS = [ValidationError, InvalidCsrError];
const EnrollResult = resultUnion<DeviceEnrolled>(
  "EnrollDeviceCertificateResult",
  "The certificate (and private key), or why not.",
  { enrolled: EnrolledRef },
  [
    ...INPUT_ERRORS,
    ProfileNotFoundError,
    DuplicateCertificateError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
const RenewResult = resultUnion<DeviceEnrolled>(
  "RenewDeviceCertificateResult",
  "The renewed certificate (and private key), or why not.",
  { enrolled: EnrolledRef },
  [
    ...INPUT_ERRORS,
    CertificateNotFoundError,
    RenewalNotAllowedError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
const RevokeResult = resultUnion<{ kind: "revoked"; ref: DeviceRef }>(
  "RevokeDeviceCertificateResult",
  "The revoked certificate, or why not.",
  { revoked: RevokedRef },
  [
    ValidationError,
    CertificateNotFoundError,
    AlreadyRevokedError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);

const IotAttributeInput = builder.inputType("IotAttributeInput", {
  fields: (t) => ({ id: t.string({ required: true }), value: t.string({ required: true }) }),
});

const ServerSideKeyGenerationInput = builder.inputType("ServerSideKeyGenerationInput", {
  description: "Have DigiCert generate the key pair (needs the keys:generate scope).",
  fields: (t) => ({
    keyType: t.field({ type: IotKeyTypeEnum, description: "Absent: the profile's default." }),
    privateKeyFormat: t.field({ type: PrivateKeyFormatEnum, required: true }),
    pkcs12Password: t.string({ description: "PKCS12 only: 6 to 20 of A-Z a-z 0-9." }),
    encryptionCertificate: t.string({
      description: "CERT_ENCRYPTED and CERT_ENCRYPTED_KEY_ONLY: a PEM certificate with an RSA key.",
    }),
    privateKeySyntax: t.field({ type: PrivateKeySyntaxEnum }),
    includeCertificateChain: t.boolean(),
  }),
});

const IDEMPOTENCY_KEY =
  "Optional: a repeat with the same key and input returns the first result (without the private key) instead of issuing again.";

const EnrollDeviceCertificateInput = builder.inputType("EnrollDeviceCertificateInput", {
  description: "Exactly one of csr or serverSideKeyGeneration.",
  fields: (t) => ({
    enrollmentProfileId: t.string({ required: true, description: "IOT_<uuid>" }),
    csr: t.string(),
    serverSideKeyGeneration: t.field({ type: ServerSideKeyGenerationInput }),
    certificateAttributes: t.field({
      type: [IotAttributeInput],
      description: "subject.* and san.* ids of the profile.",
    }),
    deviceAttributes: t.field({
      type: [IotAttributeInput],
      description: "DEVICE_IDENTIFIER and device attribute ids.",
    }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY }),
  }),
});

const RenewDeviceCertificateInput = builder.inputType("RenewDeviceCertificateInput", {
  fields: (t) => ({
    id: t.string({ required: true, description: "The certificate id or serial number." }),
    csr: t.string(),
    serverSideKeyGeneration: t.field({ type: ServerSideKeyGenerationInput }),
    certificateAttributes: t.field({ type: [IotAttributeInput] }),
    deviceAttributes: t.field({ type: [IotAttributeInput] }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY }),
  }),
});

const RevokeDeviceCertificateInput = builder.inputType("RevokeDeviceCertificateInput", {
  fields: (t) => ({
    id: t.string({ required: true, description: "The certificate id or serial number." }),
    reason: t.field({ type: RevocationReasonEnum, required: true }),
  }),
});

builder.mutationFields((t) => ({
  enrollDeviceCertificate: t.field({
    type: EnrollResult.ref,
    authScopes: { scope: SCOPES.writeCertificates },
    description:
      "Request a device certificate with a CSR, or with a key pair DigiCert generates (returned once). Never retried.",
    args: { input: t.arg({ type: EnrollDeviceCertificateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      EnrollResult.run(async () =>
        enrollDeviceCertificate(ctx, {
          ...input,
          enrollmentProfileId: parseIotProfileId(input.enrollmentProfileId, "input.enrollmentProfileId"),
        }),
      ),
  }),
  renewDeviceCertificate: t.field({
    type: RenewResult.ref,
    authScopes: { scope: SCOPES.writeCertificates },
    args: { input: t.arg({ type: RenewDeviceCertificateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      RenewResult.run(async () =>
        renewDeviceCertificate(ctx, parseDeviceCertificateRef(input.id, "input.id"), input),
      ),
  }),
  revokeDeviceCertificate: t.field({
    type: RevokeResult.ref,
    authScopes: { scope: SCOPES.writeCertificates },
    args: { input: t.arg({ type: RevokeDeviceCertificateInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      RevokeResult.run(async () =>
        revokeDeviceCertificate(ctx, parseDeviceCertificateRef(input.id, "input.id"), input.reason),
      ),
  }),
}));
