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
  DEVICE_CERTIFICATE_FILTER_STATUSES,
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
import { builder, describedValues, nodeTypeNames } from "./builder.js";
import { CertificateStatusEnum, ChainCertificateRef, RevocationReasonEnum } from "./certificate.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { deviceCertificateRefOf, enrollmentProfileIdOf, idArgDescription } from "./global-id.js";
import { connectionType, pageArgs, totalCountConnection } from "./pagination.js";
import { ProfileStatusEnum } from "./profile.js";
import { X509Ref } from "./x509.js";

// ---------------------------------------------------------------------------------------------
// Enrollment profiles
// ---------------------------------------------------------------------------------------------

export const IotKeyTypeEnum = builder.enumType("IotKeyType", {
  description: "An IoT Trust Manager key type (DigiCert's lowercase `key_type`, e.g. rsa_2048).",
  values: describedValues(IOT_KEY_TYPES, {
    RSA_2048: "RSA, 2048-bit modulus.",
    RSA_3072: "RSA, 3072-bit modulus.",
    RSA_4096: "RSA, 4096-bit modulus.",
    P_256: "ECDSA on NIST P-256.",
    P_384: "ECDSA on NIST P-384.",
    P_521: "ECDSA on NIST P-521.",
    ED_25519: "Ed25519.",
  }),
});
const KeyGenerationOptionEnum = builder.enumType("KeyGenerationOption", {
  description: "Who may generate keys under an IoT enrollment profile (its `key_generation_option`).",
  values: describedValues(KEY_GENERATION_OPTIONS, {
    CLIENT_SIDE: "The requester, who sends a CSR.",
    SERVER_SIDE: "DigiCert, which returns the key once.",
    CLIENT_OR_SERVER_SIDE: "Either, per request.",
    UNKNOWN: "An option DigiCert added since this gateway was written.",
  }),
});
const IotEnrollmentMethodEnum = builder.enumType("IotEnrollmentMethod", {
  description:
    "An IoT enrollment method the gateway uses (a profile's `enrollment_methods`; EST, SCEP and CMPv2 are left out).",
  values: describedValues(IOT_ENROLLMENT_METHODS, {
    API: "One certificate per call: enrollDeviceCertificate.",
    BATCH: "Many from a file: createIotBatchEnrollment.",
  }),
});
const PrivateKeyFormatEnum = builder.enumType("PrivateKeyFormat", {
  description: "How a server-side generated key is delivered (DigiCert's `private_key_format`).",
  values: describedValues(PRIVATE_KEY_FORMATS, {
    PEM: "PEM text: PemPrivateKey.",
    DER: "DER, base64: DerPrivateKey.",
    PKCS12: "A PKCS#12 file with the certificate and chain, opened by pkcs12Password: Pkcs12Bundle.",
    CERT_ENCRYPTED:
      "CMS EnvelopedData for encryptionCertificate, holding certificate, chain and key: EncryptedCertificateBundle.",
    CERT_ENCRYPTED_KEY_ONLY:
      "CMS EnvelopedData for encryptionCertificate, holding the key alone: EncryptedPrivateKey.",
  }),
});
export const PrivateKeySyntaxEnum = builder.enumType("PrivateKeySyntax", {
  description: "The syntax of a server-side generated private key (DigiCert's `private_key_syntax`).",
  values: describedValues(PRIVATE_KEY_SYNTAXES, {
    PKCS8: "PKCS#8 (any key type); the default.",
    PKCS1: "PKCS#1, RSA keys only.",
  }),
});

const EnrollmentFieldKindEnum = builder.enumType("EnrollmentFieldKind", {
  description: "Where an enrollment field's value goes in a request.",
  values: {
    CERTIFICATE: { description: "In certificateAttributes (subject.* and san.* fields)." },
    DEVICE: { description: "In deviceAttributes (DEVICE_IDENTIFIER and device attributes)." },
    UNKNOWN: { description: "A kind DigiCert added since this gateway was written." },
  } as const,
});

const EnrollmentFieldRef = builder.objectRef<EnrollmentField>("EnrollmentField").implement({
  description:
    "An attribute the enrollment profile defines (GET /iot/api/v1/enrollment-profile/{id}/enrollment-specification).",
  fields: (t) => ({
    id: t.exposeString("id", {
      description:
        "The field's id in DigiCert's enrollment specification, not a global id: subject.common_name, san.dns_name, DEVICE_IDENTIFIER, or a device attribute's UUID. What IotAttributeInput.id takes.",
    }),
    name: t.exposeString("name", { description: "Its display name in DigiCert ONE." }),
    kind: t.field({
      type: EnrollmentFieldKindEnum,
      description: "Which list of a request carries it.",
      resolve: (f) => f.kind,
    }),
    required: t.exposeBoolean("required", { description: "Whether a request must carry it." }),
    multiple: t.exposeBoolean("multiple", { description: "Whether it may have several values." }),
    fixedValue: t.exposeString("fixedValue", {
      nullable: true,
      description:
        "The value the profile always puts in the certificate (a request may repeat it, not change it).",
    }),
  }),
});

export const EnrollmentProfileRef = builder.objectRef<EnrollmentProfile>("EnrollmentProfile");
nodeTypeNames.add("EnrollmentProfile");

builder.node(EnrollmentProfileRef, {
  description:
    "An IoT Trust Manager enrollment profile (GET /iot/api/v1/enrollment-profile/{id}): the rules device certificates are requested under. Needs scope certificates:read.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (p) => p.id, parse: (id) => parseIotProfileId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.enrollmentProfile.load(id);
  },
  fields: (t) => ({
    profileId: t.exposeString("id", {
      description: "DigiCert's id, IOT_<uuid>; what enrollment profile id arguments take besides `id`.",
    }),
    name: t.string({
      nullable: true,
      description: "Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read.",
      resolve: (p) => readField(p, "name"),
    }),
    status: t.field({
      type: ProfileStatusEnum,
      description: "Whether it is in use (DigiCert's `status`).",
      resolve: (p) => p.status,
    }),
    keyGenerationOption: t.field({
      type: KeyGenerationOptionEnum,
      description: "Who may generate keys (`key_generation_option`).",
      resolve: (p) => p.keyGenerationOption,
    }),
    enrollmentMethods: t.field({
      type: [IotEnrollmentMethodEnum],
      description: "The methods it allows that the gateway uses (`enrollment_methods`).",
      resolve: (p) => p.enrollmentMethods,
    }),
    allowedKeyTypes: t.field({
      type: [IotKeyTypeEnum],
      description:
        "Key types for CSRs and server-side keys (`allowed_key_types`); empty when DigiCert lists none.",
      resolve: (p) => p.allowedKeyTypes,
    }),
    defaultKeyType: t.field({
      type: IotKeyTypeEnum,
      nullable: true,
      description: "The server-side key type when a request names none (`default_key_type`).",
      resolve: (p) => p.defaultKeyType,
    }),
    approvalRequired: t.exposeBoolean("approvalRequired", {
      description: "Whether batch jobs wait in PENDING_APPROVAL until approved (`batch_approval_required`).",
    }),
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
    description: "A device attribute recorded with an IoT certificate (DigiCert's `device_attributes`).",
    fields: (t) => ({
      id: t.exposeString("id", {
        description:
          "The attribute's id in the enrollment specification (EnrollmentField.id), not a global id.",
      }),
      name: t.exposeString("name", {
        nullable: true,
        description: "Its display name; null when DigiCert sent none.",
      }),
      value: t.exposeString("value", { description: "Its value." }),
    }),
  });

export const DeviceCertificateRef = builder.objectRef<DeviceCertificate>("DeviceCertificate");
nodeTypeNames.add("DeviceCertificate");

builder.node(DeviceCertificateRef, {
  description:
    "A certificate issued through IoT Trust Manager (GET /iot/api/v1/certificate/{id}); `x509` is parsed exactly as for TLM certificates. Needs scope certificates:read.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (c) => c.id, parse: (id) => parseDeviceCertificateRef(id, "id") },
  loadOne: (ref, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.deviceCertificate.load(ref);
  },
  fields: (t) => ({
    certificateId: t.exposeString("id", {
      description:
        "DigiCert's certificate id (a UUID); what device certificate id arguments take besides `id`.",
    }),
    serialNumber: t.field({
      type: "SerialNumber",
      nullable: true,
      description:
        "Uppercase hex (`serial_number`). Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert's could not be read.",
      resolve: (c) => readField(c, "serialNumber"),
    }),
    status: t.field({
      type: CertificateStatusEnum,
      description: "Its status in DigiCert (`status`).",
      resolve: (c) => c.status,
    }),
    commonName: t.exposeString("commonName", {
      nullable: true,
      description: "The subject's common name as DigiCert reports it (`common_name`).",
    }),
    deviceIdentifier: t.exposeString("deviceIdentifier", {
      nullable: true,
      description: "The device's identifier (the DEVICE_IDENTIFIER attribute).",
    }),
    keyType: t.field({
      type: IotKeyTypeEnum,
      nullable: true,
      description: "The subject key's type (`key_type`); null when DigiCert does not say.",
      resolve: (c) => c.keyType,
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
      description: "SHA-256 of the DER as DigiCert reports it, uppercase hex.",
    }),
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
    deviceAttributes: t.field({
      type: [DeviceAttributeRef],
      description: "The device attributes recorded with it.",
      resolve: (c) => c.deviceAttributes,
    }),
    revocationReason: t.field({
      type: RevocationReasonEnum,
      nullable: true,
      description: "Why it was revoked; null when it is not, or DigiCert does not say.",
      resolve: (c) => c.revocation?.reason ?? null,
    }),
    enrollmentProfile: t.field({
      type: EnrollmentProfileRef,
      nullable: true,
      description: "The profile it was issued under (one upstream read per distinct profile per request).",
      resolve: (c, _args, ctx) =>
        c.enrollmentProfileId ? ctx.loaders.enrollmentProfile.load(c.enrollmentProfileId) : null,
    }),
  }),
});

const DeviceCertificateSearchStatusEnum = builder.enumType("DeviceCertificateSearchStatus", {
  description:
    "The statuses IoT Trust Manager's certificate list filters by (its `status`): the CertificateStatus values it has.",
  values: describedValues(DEVICE_CERTIFICATE_FILTER_STATUSES, {
    ISSUED: "Issued and valid.",
    REVOKED: "Revoked.",
    EXPIRED: "Past validTo.",
  }),
});

const DeviceCertificateFilterInput = builder.inputType("DeviceCertificateFilter", {
  description: "All given fields must match; each is one of IoT Trust Manager's certificate list filters.",
  fields: (t) => ({
    serialNumber: t.field({ type: "SerialNumber", description: "One serial number." }),
    commonName: t.string({ description: "The subject's common name, as DigiCert matches it." }),
    statuses: t.field({ type: [DeviceCertificateSearchStatusEnum], description: "Any of these statuses." }),
    enrollmentProfileId: t.id({
      description: idArgDescription("EnrollmentProfile", "`profileId`, IOT_<uuid>"),
    }),
    deviceIdentifier: t.string({ description: "The device's identifier (DEVICE_IDENTIFIER), exact." }),
  }),
});

const EnrollmentProfileConnection = connectionType(EnrollmentProfileRef, {
  name: "EnrollmentProfile",
  description: "A page of IoT enrollment profiles.",
  totalCount: "whenSent",
});

const DeviceCertificateConnection = connectionType(DeviceCertificateRef, {
  name: "DeviceCertificate",
  description: "A page of IoT certificates.",
  totalCount: "whenSent",
});

const DEVICE_CERTIFICATE_ID = idArgDescription(
  "DeviceCertificate",
  "`certificateId`, a UUID, or the serial number",
);

builder.queryFields((t) => ({
  enrollmentProfile: t.field({
    type: EnrollmentProfileRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    description:
      "An IoT enrollment profile (GET /iot/api/v1/enrollment-profile/{id}); null when it does not exist or is not available to the gateway.",
    args: {
      id: t.arg.id({
        required: true,
        description: idArgDescription("EnrollmentProfile", "`profileId`, IOT_<uuid>"),
      }),
    },
    resolve: (_root, { id }, ctx) => ctx.loaders.enrollmentProfile.load(enrollmentProfileIdOf(id, "id")),
  }),
  enrollmentProfiles: t.field({
    type: EnrollmentProfileConnection,
    authScopes: { scope: SCOPES.readCertificates },
    description:
      "IoT enrollment profiles, in DigiCert's order (GET /iot/api/v1/enrollment-profile); at most 50 a page.",
    args: pageArgs(t.arg, 50),
    resolve: (_root, args, ctx) => totalCountConnection(args, 50, listEnrollmentProfiles(ctx)),
  }),
  deviceCertificate: t.field({
    type: DeviceCertificateRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    description:
      "An IoT certificate (GET /iot/api/v1/certificate/{id}); null when DigiCert has none for these credentials.",
    args: { id: t.arg.id({ required: true, description: DEVICE_CERTIFICATE_ID }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.deviceCertificate.load(deviceCertificateRefOf(id, "id")),
  }),
  deviceCertificates: t.field({
    type: DeviceCertificateConnection,
    authScopes: { scope: SCOPES.readCertificates },
    description:
      "IoT certificates matching the filter (GET /iot/api/v1/certificate): one upstream call a page, at most 100 a page.",
    args: {
      ...pageArgs(t.arg, 100),
      filter: t.arg({ type: DeviceCertificateFilterInput, description: "Absent: every IoT certificate." }),
    },
    resolve: (_root, args, ctx) => {
      const filter = args.filter ?? {};
      const enrollmentProfileId =
        filter.enrollmentProfileId != null && filter.enrollmentProfileId !== ""
          ? enrollmentProfileIdOf(filter.enrollmentProfileId, "filter.enrollmentProfileId")
          : null;
      return totalCountConnection(args, 100, listDeviceCertificates(ctx, { ...filter, enrollmentProfileId }));
    },
  }),
}));

// ---------------------------------------------------------------------------------------------
// Enrollment: the private key comes back once, typed by format
// ---------------------------------------------------------------------------------------------

const PemPrivateKeyRef = builder
  .objectRef<Extract<RevealedPrivateKey, { format: "PEM" }>>("PemPrivateKey")
  .implement({
    description: "The private key as PEM text (PKCS#8, or PKCS#1 for RSA when asked).",
    fields: (t) => ({
      pem: t.exposeString("pem", { description: "The key, PEM text. Never logged or cached." }),
    }),
  });
const Base64PrivateKey = (name: string, description: string, format: RevealedPrivateKey["format"]) =>
  builder.objectRef<Extract<RevealedPrivateKey, { base64: string }>>(name).implement({
    description,
    isTypeOf: (value) => (value as RevealedPrivateKey).format === format,
    fields: (t) => ({
      base64: t.exposeString("base64", {
        description: "The bytes, base64 (RFC 4648). Never logged or cached.",
      }),
    }),
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
    serialNumber: t.field({
      type: "SerialNumber",
      nullable: true,
      description: `The new certificate's serial number, uppercase hex. ${UNREADABLE}`,
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
    description: "DigiCert accepted the revocation.",
    fields: (t) => ({
      certificate: t.field({
        type: DeviceCertificateRef,
        nullable: true,
        description: "The certificate as DigiCert reports it after the revocation (read when selected).",
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
  description: "One attribute of a request, by its enrollment-specification id.",
  fields: (t) => ({
    id: t.string({
      required: true,
      description:
        "An EnrollmentField.id of the profile, e.g. subject.common_name or DEVICE_IDENTIFIER (not a global id).",
    }),
    value: t.string({ required: true, description: "Its value." }),
  }),
});

const ServerSideKeyGenerationInput = builder.inputType("ServerSideKeyGenerationInput", {
  description: "Have DigiCert generate the key pair (needs the keys:generate scope).",
  fields: (t) => ({
    keyType: t.field({ type: IotKeyTypeEnum, description: "Absent: the profile's default." }),
    privateKeyFormat: t.field({
      type: PrivateKeyFormatEnum,
      required: true,
      description: "How the key comes back (the PrivateKey member).",
    }),
    pkcs12Password: t.string({ description: "PKCS12 only: 6 to 20 of A-Z a-z 0-9." }),
    encryptionCertificate: t.string({
      description: "CERT_ENCRYPTED and CERT_ENCRYPTED_KEY_ONLY: a PEM certificate with an RSA key.",
    }),
    privateKeySyntax: t.field({ type: PrivateKeySyntaxEnum, description: "Absent: PKCS8." }),
    includeCertificateChain: t.boolean({
      description: "PKCS12 and CERT_ENCRYPTED: put the chain in the bundle too.",
    }),
  }),
});

const IDEMPOTENCY_KEY =
  "Optional: a repeat with the same key and input returns the first result (without the private key) instead of issuing again.";

const EnrollDeviceCertificateInput = builder.inputType("EnrollDeviceCertificateInput", {
  description: "Exactly one of csr or serverSideKeyGeneration.",
  fields: (t) => ({
    enrollmentProfileId: t.id({
      required: true,
      description: `A profile whose enrollment methods include API. ${idArgDescription("EnrollmentProfile", "`profileId`, IOT_<uuid>")}`,
    }),
    csr: t.string({ description: "One PEM PKCS#10 request; its signature is verified first." }),
    serverSideKeyGeneration: t.field({
      type: ServerSideKeyGenerationInput,
      description: "Instead of csr: DigiCert generates the key pair.",
    }),
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
  description: "A renewal of an IoT certificate: exactly one of csr or serverSideKeyGeneration.",
  fields: (t) => ({
    id: t.id({ required: true, description: `The certificate to renew. ${DEVICE_CERTIFICATE_ID}` }),
    csr: t.string({ description: "One PEM PKCS#10 request for the new certificate." }),
    serverSideKeyGeneration: t.field({
      type: ServerSideKeyGenerationInput,
      description: "Instead of csr: DigiCert generates a new key pair.",
    }),
    certificateAttributes: t.field({
      type: [IotAttributeInput],
      description: "Absent: the certificate's own. subject.* and san.* ids of the profile.",
    }),
    deviceAttributes: t.field({
      type: [IotAttributeInput],
      description: "Absent: the certificate's own. DEVICE_IDENTIFIER and device attribute ids.",
    }),
    idempotencyKey: t.string({ description: IDEMPOTENCY_KEY }),
  }),
});

const RevokeDeviceCertificateInput = builder.inputType("RevokeDeviceCertificateInput", {
  description: "A revocation of an IoT certificate.",
  fields: (t) => ({
    id: t.id({ required: true, description: `The certificate to revoke. ${DEVICE_CERTIFICATE_ID}` }),
    reason: t.field({
      type: RevocationReasonEnum,
      required: true,
      description: "Why (DigiCert's `reason`).",
    }),
  }),
});

builder.mutationFields((t) => ({
  enrollDeviceCertificate: t.field({
    type: EnrollResult.ref,
    authScopes: { scope: SCOPES.writeCertificates },
    description:
      "Request an IoT certificate (POST /iot/api/v1/certificate) with a CSR, or with a key pair DigiCert generates (returned once; needs scope keys:generate). Never retried.",
    args: {
      input: t.arg({ type: EnrollDeviceCertificateInput, required: true, description: "The request." }),
    },
    resolve: (_root, { input }, ctx) =>
      EnrollResult.run(async () =>
        enrollDeviceCertificate(ctx, {
          ...input,
          enrollmentProfileId: enrollmentProfileIdOf(input.enrollmentProfileId, "input.enrollmentProfileId"),
        }),
      ),
  }),
  renewDeviceCertificate: t.field({
    type: RenewResult.ref,
    authScopes: { scope: SCOPES.writeCertificates },
    description:
      "Renew an IoT certificate (POST /iot/api/v1/certificate/{id}/renew) with a CSR or a new server-side key. Never retried.",
    args: {
      input: t.arg({ type: RenewDeviceCertificateInput, required: true, description: "The renewal." }),
    },
    resolve: (_root, { input }, ctx) =>
      RenewResult.run(async () =>
        renewDeviceCertificate(ctx, deviceCertificateRefOf(input.id, "input.id"), input),
      ),
  }),
  revokeDeviceCertificate: t.field({
    type: RevokeResult.ref,
    authScopes: { scope: SCOPES.writeCertificates },
    description: "Revoke an IoT certificate (PUT /iot/api/v1/certificate/{id}/revoke). Never retried.",
    args: {
      input: t.arg({ type: RevokeDeviceCertificateInput, required: true, description: "The revocation." }),
    },
    resolve: (_root, { input }, ctx) =>
      RevokeResult.run(async () =>
        revokeDeviceCertificate(ctx, deviceCertificateRefOf(input.id, "input.id"), input.reason),
      ),
  }),
}));
