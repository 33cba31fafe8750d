import { inspect } from "node:util";
import { UpstreamHttpError } from "../datasources/errors.js";
import { type BatchJob, batchJobNotFound } from "./batch.js";
import { count, toDate } from "./json.js";
import type {
  WireBatchCertificateFormat,
  WireBatchDownload,
  WireBatchDownloadCertificate,
  WireBatchEnrollmentFields,
  WireBatchJob,
  WireDeviceCertificate,
  WireEnrollmentField,
  WireEnrollmentProfile,
  WireEnrollmentSpecification,
  WireIotAttribute,
  WireIotCertificateFilter,
  WireIotChainEntry,
  WireIotEnrollmentRequest,
  WireIotEnrollmentResponse,
  WireIotKeyType,
  WireIotPage,
  WireIotRenewRequest,
  WireIotRevocationReason,
  WirePrivateKeyFormat,
  WirePrivateKeySyntax,
} from "../datasources/iot/wire.js";
import {
  CERTIFICATE_STATUSES,
  type CertificateStatus,
  type ChainEntry,
  REVOCATION_REASONS,
  type Revocation,
  type RevocationReason,
} from "./certificate.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  UpstreamInvalidResponseError,
  ValidationError,
} from "./errors.js";
import { checkedCsr } from "./enrollment.js";
import {
  type Brand,
  iotIdAs,
  isIotId,
  isSerialNumber,
  isUuid,
  parseSerialNumber,
  type SerialNumber,
  uuidAs,
} from "./ids.js";
import type { ProfileStatus } from "./profile.js";
import { type CallContext, toDomainError } from "./upstream-errors.js";
import {
  parseCertificatePem,
  parseCsrPem,
  type ParsedCertificate,
  type PublicKeyInfo,
  splitPemBlocks,
  X509ParseError,
} from "./x509.js";

/**
 * IoT Trust Manager's domain: enrollment profiles, device certificates, enrollments with server-side
 * keys, and batch jobs. GraphQL-free. Mappers read the JSON of src/datasources/iot/wire.ts; validators
 * run before any upstream call and throw ValidationError / InvalidCsrError naming the input path.
 */

// ---------------------------------------------------------------------------------------------
// Identifiers: only these branded values reach an upstream path
// ---------------------------------------------------------------------------------------------

/** `IOT_<uuid>`, normalised to the `IOT_` prefix and a lowercase UUID. */
export type IotProfileId = Brand<string, "IotProfileId">;
/** A device certificate's UUID, lowercase. */
export type DeviceCertificateId = Brand<string, "DeviceCertificateId">;
/** A batch job's UUID, lowercase (the docs' example and the simulator both use UUIDs). */
export type BatchJobId = Brand<string, "BatchJobId">;
/** IoT paths take a certificate's id or its serial number; the two never look alike (dashes). */
export type DeviceCertificateRef = DeviceCertificateId | SerialNumber;

export function isIotProfileId(value: string): boolean {
  return isIotId(value);
}

export function parseIotProfileId(value: string, field = "enrollmentProfileId"): IotProfileId {
  return iotIdAs(
    value,
    field,
    "An IoT enrollment profile id is IOT_ and a UUID, e.g. IOT_3fa85f64-5717-4562-b3fc-2c963f66afa6.",
  );
}

export function parseDeviceCertificateId(value: string, field = "id"): DeviceCertificateId {
  return uuidAs(
    value,
    field,
    "A device certificate id is a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.",
  );
}

/** A certificate id (UUID) or serial number (1 to 40 hex characters). */
export function parseDeviceCertificateRef(value: string, field = "id"): DeviceCertificateRef {
  if (isUuid(value)) return value.toLowerCase() as DeviceCertificateId;
  if (isSerialNumber(value)) return parseSerialNumber(value, field);
  throw new ValidationError(
    field,
    "Expected a device certificate id (a UUID) or a serial number (hexadecimal).",
  );
}

export function parseBatchJobId(value: string, field = "id"): BatchJobId {
  return uuidAs(value, field, "A batch job id is a UUID such as e6006353-ba03-4909-afc8-c611f00d7644.");
}

// ---------------------------------------------------------------------------------------------
// Enumerations (uppercase here, lowercase on the wire)
// ---------------------------------------------------------------------------------------------

export const IOT_KEY_TYPES = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "P_256",
  "P_384",
  "P_521",
  "ED_25519",
] as const;
export type IotKeyType = (typeof IOT_KEY_TYPES)[number];

export const KEY_GENERATION_OPTIONS = [
  "CLIENT_SIDE",
  "SERVER_SIDE",
  "CLIENT_OR_SERVER_SIDE",
  "UNKNOWN",
] as const;
export type KeyGenerationOption = (typeof KEY_GENERATION_OPTIONS)[number];
export type KeyGeneration = "CLIENT_SIDE" | "SERVER_SIDE";

/** The methods the gateway uses; others a profile lists (EST, SCEP, CMPv2) are left out. */
export const IOT_ENROLLMENT_METHODS = ["API", "BATCH"] as const;
export type IotEnrollmentMethod = (typeof IOT_ENROLLMENT_METHODS)[number];

export const PRIVATE_KEY_FORMATS = [
  "PEM",
  "DER",
  "PKCS12",
  "CERT_ENCRYPTED",
  "CERT_ENCRYPTED_KEY_ONLY",
] as const;
export type PrivateKeyFormat = (typeof PRIVATE_KEY_FORMATS)[number];

export const PRIVATE_KEY_SYNTAXES = ["PKCS8", "PKCS1"] as const;
export type PrivateKeySyntax = (typeof PRIVATE_KEY_SYNTAXES)[number];

export const BATCH_CERTIFICATE_FORMATS = ["JSON", "PEM", "DER"] as const;
export type BatchCertificateFormat = (typeof BATCH_CERTIFICATE_FORMATS)[number];

/** IoT Trust Manager's batch job statuses (a subset of the shared list in ./batch.ts). */
export const IOT_BATCH_JOB_STATUSES = [
  "PENDING_APPROVAL",
  "APPROVED",
  "IN_PROGRESS",
  "COMPLETE",
  "FAILED",
  "REJECTED",
  "UNKNOWN",
] as const;
export type IotBatchJobStatus = (typeof IOT_BATCH_JOB_STATUSES)[number];

/** Statuses IoT lists and filters by; the shared CertificateStatus covers them. */
export const DEVICE_CERTIFICATE_FILTER_STATUSES = ["ISSUED", "REVOKED", "EXPIRED"] as const;

/** The device attribute id every profile accepts for the device's identifier. */
export const DEVICE_IDENTIFIER = "DEVICE_IDENTIFIER";

const WIRE_PRIVATE_KEY_FORMATS: Record<PrivateKeyFormat, WirePrivateKeyFormat> = {
  PEM: "pem",
  DER: "der",
  PKCS12: "pkcs_12",
  CERT_ENCRYPTED: "cert_encrypted",
  CERT_ENCRYPTED_KEY_ONLY: "cert_encrypted_key_only",
};

function oneOf<T extends string>(list: readonly T[], value: unknown): T | null {
  const upper = typeof value === "string" ? value.toUpperCase() : "";
  return (list as readonly string[]).includes(upper) ? (upper as T) : null;
}

function toWireKeyType(keyType: IotKeyType): WireIotKeyType {
  return keyType.toLowerCase() as WireIotKeyType;
}

function isRsa(keyType: IotKeyType): boolean {
  return keyType.startsWith("RSA_");
}

// ---------------------------------------------------------------------------------------------
// Enrollment profiles
// ---------------------------------------------------------------------------------------------

export interface EnrollmentField {
  /** `subject.common_name`, `san.dns_name`, `DEVICE_IDENTIFIER`, or a custom device attribute's UUID. */
  id: string;
  name: string;
  /** CERTIFICATE: goes in `certificateAttributes`; DEVICE: in `deviceAttributes`. */
  kind: "CERTIFICATE" | "DEVICE" | "UNKNOWN";
  required: boolean;
  multiple: boolean;
  /** The profile always puts this value in the certificate; a request may repeat it, not change it. */
  fixedValue: string | null;
}

export interface EnrollmentProfile {
  id: IotProfileId;
  name: string;
  status: ProfileStatus;
  keyGenerationOption: KeyGenerationOption;
  enrollmentMethods: IotEnrollmentMethod[];
  /** Key types for server-side generation and CSR keys; empty when DigiCert lists none. */
  allowedKeyTypes: IotKeyType[];
  defaultKeyType: IotKeyType | null;
  /** Server-side key type fixed by the profile (DigiCert ignores a request's key type). */
  keyTypeFixed: boolean;
  /** Batch jobs wait in PENDING_APPROVAL until approved. */
  approvalRequired: boolean;
  validity: { unit: string; duration: number } | null;
  renewalWindowDays: number | null;
  certificateTemplateName: string | null;
  /** From the enrollment specification (a second call): null when it was not loaded. */
  fields: EnrollmentField[] | null;
}

export function toEnrollmentProfile(
  wire: WireEnrollmentProfile,
  specification?: WireEnrollmentSpecification | null,
): EnrollmentProfile {
  if (typeof wire?.id !== "string" || !isIotProfileId(wire.id) || typeof wire.name !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  const status = wire.status?.toUpperCase();
  return {
    id: parseIotProfileId(wire.id),
    name: wire.name,
    status: status === "ACTIVE" || status === "DELETED" ? status : "UNKNOWN",
    keyGenerationOption: oneOf(KEY_GENERATION_OPTIONS, wire.key_generation_option) ?? "UNKNOWN",
    enrollmentMethods: known(IOT_ENROLLMENT_METHODS, wire.enrollment_methods),
    allowedKeyTypes: known(IOT_KEY_TYPES, wire.allowed_key_types),
    defaultKeyType: oneOf(IOT_KEY_TYPES, wire.default_key_type),
    keyTypeFixed: wire.key_type_fixed === true,
    approvalRequired: wire.batch_approval_required === true,
    validity:
      wire.certificate_validity && typeof wire.certificate_validity.duration === "number"
        ? { unit: wire.certificate_validity.unit, duration: wire.certificate_validity.duration }
        : null,
    renewalWindowDays: typeof wire.renewal_window_days === "number" ? wire.renewal_window_days : null,
    certificateTemplateName: wire.certificate_template?.name ?? null,
    fields: specification ? toEnrollmentFields(specification) : null,
  };
}

export function toEnrollmentFields(wire: WireEnrollmentSpecification): EnrollmentField[] {
  if (typeof wire !== "object" || wire === null || !Array.isArray(wire.fields)) {
    throw new UpstreamInvalidResponseError();
  }
  return wire.fields.map((field: WireEnrollmentField) => {
    if (typeof field?.id !== "string") throw new UpstreamInvalidResponseError();
    return {
      id: field.id,
      name: field.name ?? field.id,
      kind:
        field.type === "certificate_profile_attribute"
          ? "CERTIFICATE"
          : field.type === "device_attribute"
            ? "DEVICE"
            : "UNKNOWN",
      required: field.required === true,
      multiple: field.multiple === true,
      fixedValue: field.fixed === true && typeof field.value === "string" ? field.value : null,
    };
  });
}

/** Known values, uppercased, duplicates and unknown ones dropped. */
function known<T extends string>(list: readonly T[], values: unknown): T[] {
  if (!Array.isArray(values)) return [];
  const out: T[] = [];
  for (const value of values) {
    const item = oneOf(list, value);
    if (item && !out.includes(item)) out.push(item);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

export interface IotPage<T> {
  items: T[];
  /** Matches in all, when DigiCert says. */
  total: number | null;
  offset: number | null;
  limit: number | null;
}

function toPage<W, T>(wire: WireIotPage<W>, map: (item: W) => T): IotPage<T> {
  if (typeof wire !== "object" || wire === null || !Array.isArray(wire.records)) {
    throw new UpstreamInvalidResponseError();
  }
  const count = (value: unknown) => (typeof value === "number" && Number.isInteger(value) ? value : null);
  return {
    items: wire.records.map(map),
    total: count(wire.total),
    offset: count(wire.offset),
    limit: count(wire.limit),
  };
}

export function toEnrollmentProfilePage(
  wire: WireIotPage<WireEnrollmentProfile>,
): IotPage<EnrollmentProfile> {
  return toPage(wire, (item) => toEnrollmentProfile(item));
}

export function toDeviceCertificatePage(
  wire: WireIotPage<WireDeviceCertificate>,
): IotPage<DeviceCertificate> {
  return toPage(wire, toDeviceCertificate);
}

// ---------------------------------------------------------------------------------------------
// PEM helpers (shape only: parsing x509 fields is the x509 loader's job, from `pem`)
// ---------------------------------------------------------------------------------------------

/** Each CERTIFICATE block of DigiCert's text as one normalised PEM (64 columns, "\n", trailing "\n"). */
function certificateBlocks(text: string): string[] {
  let blocks: { label: string; base64: string }[];
  try {
    blocks = splitPemBlocks(text);
  } catch (error) {
    if (error instanceof X509ParseError) throw new UpstreamInvalidResponseError();
    throw error;
  }
  if (blocks.some((block) => block.label !== "CERTIFICATE" || block.base64 === "")) {
    throw new UpstreamInvalidResponseError();
  }
  return blocks.map((block) => armour(block.base64));
}

function armour(base64: string): string {
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** A chain blob: PEM (certificate records) or bare base64 DER (batch JSON download). */
function chainPem(blob: unknown): string {
  if (typeof blob !== "string" || blob.trim() === "") throw new UpstreamInvalidResponseError();
  if (blob.includes("-----BEGIN")) {
    const [pem, ...rest] = certificateBlocks(blob);
    if (!pem || rest.length > 0) throw new UpstreamInvalidResponseError();
    return pem;
  }
  return armour(blob.replace(/\s+/g, ""));
}

function toChain(entries: WireIotChainEntry[] | undefined): ChainEntry[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw new UpstreamInvalidResponseError();
  return entries.map((entry) => ({ commonName: entry?.common_name ?? null, pem: chainPem(entry?.blob) }));
}

/** Leaf first, then what follows it in the same text (the chain, when DigiCert appended it). */
function leafAndChain(text: string): { pem: string; chain: ChainEntry[] } {
  const [pem, ...chain] = certificateBlocks(text);
  if (!pem) throw new UpstreamInvalidResponseError();
  return { pem, chain: chain.map((block) => ({ commonName: null, pem: block })) };
}

// ---------------------------------------------------------------------------------------------
// Device certificates
// ---------------------------------------------------------------------------------------------

/** An IoT certificate. `pem` is the leaf alone, so the x509 loader reads the same fields as for TLM. */
export interface DeviceCertificate {
  id: DeviceCertificateId;
  serialNumber: SerialNumber;
  status: CertificateStatus;
  commonName: string | null;
  deviceIdentifier: string | null;
  enrollmentProfileId: IotProfileId | null;
  enrollmentProfileName: string | null;
  enrollmentMethod: IotEnrollmentMethod | null;
  keyGeneration: KeyGeneration | null;
  /** The subject key's type. */
  keyType: IotKeyType | null;
  requestId: string | null;
  /** SHA-256 of the DER, uppercase hex. */
  thumbprint: string | null;
  validFrom: Date | null;
  validTo: Date | null;
  createdAt: Date | null;
  pem: string;
  /** The issuing chain, intermediate first. */
  chain: ChainEntry[];
  deviceAttributes: { id: string; name: string | null; value: string }[];
  certificateAttributes: { id: string; value: string }[];
  batchJobId: BatchJobId | null;
  renewedFrom: DeviceCertificateId | null;
  revocation: Revocation | null;
}

export function toDeviceCertificate(wire: WireDeviceCertificate): DeviceCertificate {
  if (
    typeof wire?.id !== "string" ||
    !isUuid(wire.id) ||
    typeof wire.serial_number !== "string" ||
    !isSerialNumber(wire.serial_number) ||
    typeof wire.body !== "string"
  ) {
    throw new UpstreamInvalidResponseError();
  }
  const { pem } = leafAndChain(wire.body);
  const profileId = wire.enrollment_profile?.id;
  const status = oneOf(CERTIFICATE_STATUSES, wire.status) ?? "UNKNOWN";
  return {
    id: wire.id.toLowerCase() as DeviceCertificateId,
    serialNumber: wire.serial_number.toUpperCase() as SerialNumber,
    status,
    commonName: wire.common_name || null,
    deviceIdentifier: wire.device_identifier || null,
    enrollmentProfileId: profileId && isIotProfileId(profileId) ? parseIotProfileId(profileId) : null,
    enrollmentProfileName: wire.enrollment_profile?.name || null,
    enrollmentMethod: oneOf(IOT_ENROLLMENT_METHODS, wire.enrollment_method),
    keyGeneration: oneOf(["CLIENT_SIDE", "SERVER_SIDE"] as const, wire.key_generation),
    keyType: oneOf(IOT_KEY_TYPES, wire.key_type),
    requestId: wire.certificate_request_id ?? null,
    thumbprint: wire.thumbprint?.toUpperCase() ?? null,
    validFrom: toDate(wire.valid_from),
    validTo: toDate(wire.valid_to),
    createdAt: toDate(wire.created_at),
    pem,
    chain: toChain(wire.chain),
    deviceAttributes: (wire.device_attributes ?? []).map((a) => ({
      id: a.id,
      name: a.name ?? null,
      value: a.value,
    })),
    certificateAttributes: (wire.certificate_profile_attributes ?? []).map((a) => ({
      id: a.id,
      value: a.value,
    })),
    batchJobId:
      wire.batch_job_id && isUuid(wire.batch_job_id) ? (wire.batch_job_id.toLowerCase() as BatchJobId) : null,
    renewedFrom:
      wire.renewed_from && isUuid(wire.renewed_from)
        ? (wire.renewed_from.toLowerCase() as DeviceCertificateId)
        : null,
    revocation:
      status === "REVOKED" || wire.revocation_reason || wire.revoked_at
        ? {
            reason: oneOf(REVOCATION_REASONS, wire.revocation_reason),
            revokedAt: toDate(wire.revoked_at),
            comments: null,
          }
        : null,
  };
}

export interface DeviceCertificateFilter {
  serialNumber?: string | null;
  commonName?: string | null;
  /** ISSUED, REVOKED or EXPIRED (IoT has no other status to filter by). */
  statuses?: readonly CertificateStatus[] | null;
  enrollmentProfileId?: IotProfileId | null;
  enrollmentMethod?: IotEnrollmentMethod | null;
  deviceIdentifier?: string | null;
  batchJobId?: BatchJobId | null;
}

/** Validates a list filter; `path` prefixes the field names in errors (e.g. `filter.statuses`). */
export function toWireCertificateFilter(
  filter: DeviceCertificateFilter,
  path = "filter",
): WireIotCertificateFilter {
  const out: WireIotCertificateFilter = {};
  if (filter.serialNumber != null)
    out.serial_number = parseSerialNumber(filter.serialNumber, `${path}.serialNumber`);
  if (filter.commonName != null) out.common_name = text(filter.commonName, `${path}.commonName`, 255);
  if (filter.statuses != null && filter.statuses.length > 0) {
    for (const status of filter.statuses) {
      if (!(DEVICE_CERTIFICATE_FILTER_STATUSES as readonly string[]).includes(status)) {
        throw new ValidationError(
          `${path}.statuses`,
          "Device certificates are filtered by ISSUED, REVOKED or EXPIRED.",
        );
      }
    }
    out.status = [...new Set(filter.statuses)].join(",");
  }
  if (filter.enrollmentProfileId != null) out.enrollment_profile_id = filter.enrollmentProfileId;
  if (filter.enrollmentMethod != null) {
    out.enrollment_method =
      oneOf(IOT_ENROLLMENT_METHODS, filter.enrollmentMethod) ??
      invalid(`${path}.enrollmentMethod`, "Expected API or BATCH.");
  }
  if (filter.deviceIdentifier != null) {
    out.device_identifier = text(filter.deviceIdentifier, `${path}.deviceIdentifier`, MAX_VALUE);
  }
  if (filter.batchJobId != null) out.batch_job_id = filter.batchJobId;
  return out;
}

/** IoT takes the RFC 5280 reasons except the suspension pair and aa_compromise [I: simulator]. */
export function toWireIotRevocationReason(
  reason: RevocationReason,
  field = "input.reason",
): WireIotRevocationReason {
  if (reason === "CERTIFICATE_HOLD" || reason === "REMOVE_FROM_CRL" || reason === "AA_COMPROMISE") {
    throw new ValidationError(field, `IoT Trust Manager does not revoke with reason ${reason}.`);
  }
  return reason.toLowerCase() as WireIotRevocationReason;
}

// ---------------------------------------------------------------------------------------------
// Private keys: never logged, never cached
// ---------------------------------------------------------------------------------------------

export type RevealedPrivateKey =
  | { format: "PEM"; pem: string }
  | { format: "DER"; base64: string }
  | { format: "PKCS12"; base64: string }
  | { format: "CERT_ENCRYPTED"; base64: string }
  | { format: "CERT_ENCRYPTED_KEY_ONLY"; base64: string };

export const PRIVATE_KEY_REDACTED = "[private key redacted]";

/**
 * Contract: the key is readable only through `reveal()`, which the GraphQL layer calls to answer the
 * one response that carries it; JSON.stringify, util.inspect (console, pino) and String() all show
 * "[private key redacted]", and the value lives in a private field that spreads and clones do not copy.
 */
export class PrivateKeyMaterial {
  readonly format: PrivateKeyFormat;
  #value: RevealedPrivateKey | null;

  constructor(value: RevealedPrivateKey) {
    this.format = value.format;
    this.#value = { ...value };
  }

  /** The key as DigiCert sent it: PEM text, or base64 for the binary formats. */
  reveal(): RevealedPrivateKey {
    if (!this.#value) throw new Error("The private key was discarded.");
    return { ...this.#value };
  }

  /** Drops the value: later `reveal()` calls throw. */
  discard(): void {
    this.#value = null;
  }

  toJSON(): string {
    return PRIVATE_KEY_REDACTED;
  }

  toString(): string {
    return PRIVATE_KEY_REDACTED;
  }

  [inspect.custom](): string {
    return PRIVATE_KEY_REDACTED;
  }
}

/** DigiCert's `private_key` in the requested format; lenient on content (only DigiCert can fix it). */
function toPrivateKey(value: unknown, format: PrivateKeyFormat): PrivateKeyMaterial {
  if (typeof value !== "string" || value.trim() === "") throw new UpstreamInvalidResponseError();
  if (format === "PEM") return new PrivateKeyMaterial({ format, pem: value });
  return new PrivateKeyMaterial({ format, base64: value.replace(/\s+/g, "") });
}

// ---------------------------------------------------------------------------------------------
// Enrollment and renewal
// ---------------------------------------------------------------------------------------------

/** The certificate an enrollment answered with. */
export interface EnrolledDeviceCertificate {
  id: DeviceCertificateId;
  serialNumber: SerialNumber | null;
  requestId: string | null;
  /** DigiCert's words, e.g. AUTO_APPROVED and SUCCESS. */
  status: string | null;
  result: string | null;
  /** The leaf; null for CERT_ENCRYPTED, where the certificate travels only inside the encrypted bundle. */
  pem: string | null;
  /** What followed the leaf in `pem`: intermediate, then root (empty when the chain was not asked for). */
  chain: ChainEntry[];
}

export interface DeviceEnrollmentOutcome {
  certificate: EnrolledDeviceCertificate;
  /** Server-side key generation only; DigiCert keeps no copy, so this is its only delivery. */
  privateKey: PrivateKeyMaterial | null;
}

/**
 * Enroll and renew share one response. `privateKeyFormat` is what the request asked for (null for a CSR):
 * the response does not repeat it. A private key sent for a CSR request is dropped.
 */
export function toDeviceEnrollmentOutcome(
  wire: WireIotEnrollmentResponse,
  privateKeyFormat: PrivateKeyFormat | null,
): DeviceEnrollmentOutcome {
  if (typeof wire !== "object" || wire === null) throw new UpstreamInvalidResponseError();
  if (typeof wire.certificate_id !== "string" || !isUuid(wire.certificate_id)) {
    throw new UpstreamInvalidResponseError();
  }
  if (
    wire.serial_number !== undefined &&
    (typeof wire.serial_number !== "string" || !isSerialNumber(wire.serial_number))
  ) {
    throw new UpstreamInvalidResponseError();
  }
  const issued = typeof wire.pem === "string" && wire.pem.trim() !== "" ? leafAndChain(wire.pem) : null;
  return {
    certificate: {
      id: wire.certificate_id.toLowerCase() as DeviceCertificateId,
      serialNumber: wire.serial_number ? (wire.serial_number.toUpperCase() as SerialNumber) : null,
      requestId: typeof wire.certificate_request_id === "string" ? wire.certificate_request_id : null,
      status: typeof wire.status === "string" ? wire.status.toUpperCase() : null,
      result: typeof wire.result === "string" ? wire.result.toUpperCase() : null,
      pem: issued?.pem ?? null,
      chain: issued?.chain ?? [],
    },
    privateKey: privateKeyFormat ? toPrivateKey(wire.private_key, privateKeyFormat) : null,
  };
}

export interface IotAttributeInput {
  id: string;
  value: string;
}

export interface ServerSideKeyGenerationInput {
  /** Absent: the profile's default key type. */
  keyType?: IotKeyType | null;
  privateKeyFormat: PrivateKeyFormat;
  /** PKCS12 only, and required there: 6 to 20 of A-Z, a-z, 0-9. */
  pkcs12Password?: string | null;
  /** CERT_ENCRYPTED and CERT_ENCRYPTED_KEY_ONLY only, and required there: one PEM certificate with an RSA key. */
  encryptionCertificate?: string | null;
  /** Default PKCS8; PKCS1 for RSA keys only. */
  privateKeySyntax?: PrivateKeySyntax | null;
  /** Default true: the chain comes with the certificate (and inside a PKCS#12 or encrypted bundle). */
  includeCertificateChain?: boolean | null;
}

/** A renewal: exactly one of `csr` and `serverSideKeyGeneration`; attribute lists left out keep their values. */
export interface IotRenewalInput {
  csr?: string | null;
  serverSideKeyGeneration?: ServerSideKeyGenerationInput | null;
  /** certificate_profile_attributes: `subject.*` and `san.*` ids from the enrollment specification. */
  certificateAttributes?: readonly IotAttributeInput[] | null;
  /** device_attributes: DEVICE_IDENTIFIER or a custom device attribute's id. */
  deviceAttributes?: readonly IotAttributeInput[] | null;
}

export interface IotEnrollmentInput extends IotRenewalInput {
  enrollmentProfileId: IotProfileId;
}

const MAX_ATTRIBUTES = 100;
const MAX_VALUE = 256;
const ATTRIBUTE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const PKCS12_PASSWORD = /^[A-Za-z0-9]{6,20}$/;
const KEYGEN = "input.serverSideKeyGeneration";

/**
 * Validates an enrollment and builds IoT's request body, before any upstream call: exactly one of a CSR
 * (parsed, signature verified) and server-side key generation (password, encryption certificate and
 * syntax rules). The profile's own rules are `checkAgainstProfile`'s. `now` judges the encryption
 * certificate's validity. The body may hold the PKCS#12 password: never log it.
 */
export async function toWireIotEnrollment(
  input: IotEnrollmentInput,
  now: Date = new Date(),
): Promise<WireIotEnrollmentRequest> {
  return { enrollment_profile_id: input.enrollmentProfileId, ...(await toWireIotRenewal(input, now)) };
}

/** As `toWireIotEnrollment`, for POST /certificate/{id}/renew (no profile id; absent lists are not sent). */
export async function toWireIotRenewal(
  input: IotRenewalInput,
  now: Date = new Date(),
): Promise<WireIotRenewRequest> {
  const hasCsr = input.csr !== null && input.csr !== undefined;
  const keygen = input.serverSideKeyGeneration ?? null;
  if (hasCsr === (keygen !== null)) {
    throw new ValidationError(
      "input",
      hasCsr
        ? "Send either a CSR or serverSideKeyGeneration, not both."
        : "Send a CSR, or serverSideKeyGeneration to have DigiCert generate the key.",
    );
  }
  const body: WireIotRenewRequest = {};
  if (input.certificateAttributes != null) {
    body.certificate_profile_attributes = attributes(
      input.certificateAttributes,
      "input.certificateAttributes",
    );
  }
  if (input.deviceAttributes != null) {
    body.device_attributes = attributes(input.deviceAttributes, "input.deviceAttributes");
  }
  if (keygen === null) return { csr: await checkedCsr(input.csr ?? ""), ...body };
  return { ...body, ...(await wireKeyGeneration(keygen, now)) };
}

async function wireKeyGeneration(
  keygen: ServerSideKeyGenerationInput,
  now: Date,
): Promise<Partial<WireIotRenewRequest>> {
  const format = oneOf(PRIVATE_KEY_FORMATS, keygen.privateKeyFormat);
  if (!format)
    throw new ValidationError(
      `${KEYGEN}.privateKeyFormat`,
      `Expected one of ${PRIVATE_KEY_FORMATS.join(", ")}.`,
    );
  const out: Partial<WireIotRenewRequest> = {
    server_side_key_gen: true,
    private_key_format: WIRE_PRIVATE_KEY_FORMATS[format],
  };
  if (keygen.keyType != null) {
    const keyType = oneOf(IOT_KEY_TYPES, keygen.keyType);
    if (!keyType)
      throw new ValidationError(`${KEYGEN}.keyType`, `Expected one of ${IOT_KEY_TYPES.join(", ")}.`);
    out.key_type = toWireKeyType(keyType);
  }
  if (keygen.privateKeySyntax != null) {
    out.private_key_syntax = wireSyntax(keygen.privateKeySyntax, oneOf(IOT_KEY_TYPES, keygen.keyType));
  }
  // Never quote the password back, not even in an error.
  if (format === "PKCS12") {
    if (typeof keygen.pkcs12Password !== "string" || !PKCS12_PASSWORD.test(keygen.pkcs12Password)) {
      throw new ValidationError(
        `${KEYGEN}.pkcs12Password`,
        "PKCS12 needs a password of 6 to 20 characters, each a letter (A-Z, a-z) or a digit.",
      );
    }
    out.pkcs12_password = keygen.pkcs12Password;
  } else if (keygen.pkcs12Password != null) {
    throw new ValidationError(`${KEYGEN}.pkcs12Password`, "Only the PKCS12 format takes a password.");
  }
  const encrypted = format === "CERT_ENCRYPTED" || format === "CERT_ENCRYPTED_KEY_ONLY";
  if (encrypted) {
    out.encryption_certificate = await encryptionCertificate(
      keygen.encryptionCertificate,
      `${KEYGEN}.encryptionCertificate`,
      now,
    );
  } else if (keygen.encryptionCertificate != null) {
    throw new ValidationError(
      `${KEYGEN}.encryptionCertificate`,
      "Only CERT_ENCRYPTED and CERT_ENCRYPTED_KEY_ONLY take an encryption certificate.",
    );
  }
  if (keygen.includeCertificateChain != null) out.include_certificate_chain = keygen.includeCertificateChain;
  return out;
}

function wireSyntax(
  syntax: PrivateKeySyntax,
  keyType: IotKeyType | null,
  path = `${KEYGEN}.privateKeySyntax`,
): WirePrivateKeySyntax {
  const value = oneOf(PRIVATE_KEY_SYNTAXES, syntax);
  if (!value) throw new ValidationError(path, "Expected PKCS8 or PKCS1.");
  if (value === "PKCS1" && keyType !== null && !isRsa(keyType)) {
    throw new ValidationError(path, "PKCS1 applies to RSA keys only; use PKCS8.");
  }
  return value.toLowerCase() as WirePrivateKeySyntax;
}

/** One PEM certificate with an RSA key (CMS key transport needs one), within its validity; normalised PEM. */
async function encryptionCertificate(
  value: string | null | undefined,
  path: string,
  now: Date,
): Promise<string> {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ValidationError(
      path,
      "This private key format needs an encryption certificate (PEM, RSA key).",
    );
  }
  let parsed: ParsedCertificate;
  try {
    parsed = await parseCertificatePem(value);
  } catch (error) {
    if (error instanceof X509ParseError)
      throw new ValidationError(path, `Not one PEM X.509 certificate: ${error.message}.`);
    throw error;
  }
  if (parsed.publicKey.algorithm !== "RSA") {
    throw new ValidationError(path, "The encryption certificate must hold an RSA public key.");
  }
  if (now < parsed.notBefore || now > parsed.notAfter) {
    throw new ValidationError(path, "The encryption certificate is not within its validity period.");
  }
  return parsed.pem;
}

function attributes(list: readonly IotAttributeInput[], path: string): WireIotAttribute[] {
  if (list.length > MAX_ATTRIBUTES) throw new ValidationError(path, `At most ${MAX_ATTRIBUTES} attributes.`);
  return list.map((attribute, i) => {
    const id = typeof attribute?.id === "string" ? attribute.id.trim() : "";
    if (!ATTRIBUTE_ID.test(id)) {
      throw new ValidationError(
        `${path}[${i}].id`,
        "An attribute id is 1 to 128 letters, digits, '_', '.', ':' or '-'.",
      );
    }
    return { id, value: text(attribute.value, `${path}[${i}].value`, MAX_VALUE) };
  });
}

function text(value: unknown, path: string, max: number): string {
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (trimmed.length === 0 || trimmed.length > max || CONTROL.test(trimmed)) {
    throw new ValidationError(path, `Must be 1 to ${max} printable characters.`);
  }
  return trimmed;
}

function invalid(path: string, message: string): never {
  throw new ValidationError(path, message);
}

/** The IoT key type of a CSR's key, or null for keys IoT does not list. */
function keyTypeOf(key: PublicKeyInfo): IotKeyType | null {
  const label =
    key.algorithm === "RSA"
      ? `RSA_${key.size}`
      : key.algorithm === "EC"
        ? `P_${key.size}`
        : key.algorithm === "ED25519"
          ? "ED_25519"
          : "";
  return oneOf(IOT_KEY_TYPES, label);
}

/**
 * The profile's rules, once the profile is loaded and before enrolling (or renewing under it): the key
 * generation path it allows, the API method (enrollment only), the key type (server-side request, or the
 * CSR's key), PKCS1 against the key that will be generated, and, given the enrollment specification,
 * attribute ids, repeats of single-valued fields and fixed values. Async: the CSR is parsed again.
 */
export async function checkAgainstProfile(
  input: IotRenewalInput | IotEnrollmentInput,
  profile: EnrollmentProfile,
  fields: readonly EnrollmentField[] | null = profile.fields,
): Promise<void> {
  if (
    "enrollmentProfileId" in input &&
    profile.enrollmentMethods.length > 0 &&
    !profile.enrollmentMethods.includes("API")
  ) {
    throw new ValidationError(
      "input.enrollmentProfileId",
      "This enrollment profile does not allow API enrollment.",
    );
  }
  const keygen = input.serverSideKeyGeneration ?? null;
  const option = profile.keyGenerationOption;
  if (keygen === null && option === "SERVER_SIDE") {
    throw new ValidationError(
      "input.csr",
      "This enrollment profile generates keys server-side: send serverSideKeyGeneration, not a CSR.",
    );
  }
  if (keygen !== null && option === "CLIENT_SIDE") {
    throw new ValidationError(
      KEYGEN,
      "This enrollment profile does not allow server-side key generation: send a CSR.",
    );
  }
  const allowed = profile.allowedKeyTypes;
  if (keygen !== null) {
    const requested = oneOf(IOT_KEY_TYPES, keygen.keyType);
    checkKeyType(requested, profile, `${KEYGEN}.keyType`);
    if (oneOf(PRIVATE_KEY_SYNTAXES, keygen.privateKeySyntax) === "PKCS1") {
      wireSyntax("PKCS1", effectiveKeyType(requested, profile));
    }
  } else if (allowed.length > 0 && input.csr != null) {
    const parsed = await parseCsrPem(input.csr).catch((error: unknown) => {
      if (error instanceof X509ParseError) throw new InvalidCsrError(`The CSR is invalid: ${error.message}`);
      throw error;
    });
    const keyType = keyTypeOf(parsed.publicKey);
    if (!keyType || !allowed.includes(keyType)) {
      throw new InvalidCsrError(
        `The CSR's key (${keyType ?? "of a type IoT Trust Manager does not list"}) is not one this enrollment profile allows (${allowed.join(", ")}).`,
      );
    }
  }
  if (fields) {
    checkAttributes(input.certificateAttributes, fields, "CERTIFICATE", "input.certificateAttributes");
    checkAttributes(input.deviceAttributes, fields, "DEVICE", "input.deviceAttributes");
  }
}

function checkKeyType(requested: IotKeyType | null, profile: EnrollmentProfile, path: string): void {
  const allowed = profile.allowedKeyTypes;
  if (requested !== null && allowed.length > 0 && !allowed.includes(requested)) {
    throw new ValidationError(path, `This enrollment profile allows the key types ${allowed.join(", ")}.`);
  }
}

/** The key DigiCert will generate: the profile's when it fixes one or none was asked for. */
function effectiveKeyType(requested: IotKeyType | null, profile: EnrollmentProfile): IotKeyType | null {
  return profile.keyTypeFixed || requested === null ? profile.defaultKeyType : requested;
}

function checkAttributes(
  list: readonly IotAttributeInput[] | null | undefined,
  fields: readonly EnrollmentField[],
  kind: "CERTIFICATE" | "DEVICE",
  path: string,
): void {
  const seen = new Set<EnrollmentField>();
  (list ?? []).forEach((attribute, i) => {
    const id = String(attribute?.id ?? "")
      .trim()
      .toLowerCase();
    const field = fields.find((f) => f.kind === kind && f.id.toLowerCase() === id);
    if (!field) {
      const what = kind === "CERTIFICATE" ? "certificate" : "device";
      throw new ValidationError(`${path}[${i}].id`, `Not a ${what} attribute of this enrollment profile.`);
    }
    if (seen.has(field) && !field.multiple) {
      throw new ValidationError(`${path}[${i}]`, `${field.id} takes a single value.`);
    }
    seen.add(field);
    if (field.fixedValue !== null && String(attribute.value ?? "").trim() !== field.fixedValue) {
      throw new ValidationError(`${path}[${i}].value`, `${field.id} is fixed by the enrollment profile.`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Batch jobs
// ---------------------------------------------------------------------------------------------

export interface IotBatchJob extends BatchJob {
  id: BatchJobId;
  kind: "IOT_ENROLLMENT";
  status: IotBatchJobStatus;
  enrollmentProfileId: IotProfileId | null;
  enrollmentProfileName: string | null;
  keyGeneration: KeyGeneration | null;
  certificateFormat: BatchCertificateFormat | null;
  includeFullChain: boolean;
  /** Server-side jobs. */
  keyType: IotKeyType | null;
  privateKeyFormat: "PEM" | "DER" | null;
  fileName: string | null;
  approvedAt: Date | null;
  rejectedAt: Date | null;
  startedAt: Date | null;
  /** DigiCert's text for why the whole job failed (job data, not a gateway error message). */
  failureReason: string | null;
  /** DigiCert's per-row failures (the simulator lists the first 100). */
  rowErrors: { uniqueIdentifier: string; message: string }[];
}

export function toIotBatchJob(wire: WireBatchJob): IotBatchJob {
  if (typeof wire?.job_id !== "string" || !isUuid(wire.job_id) || typeof wire.status !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  const profileId = wire.enrollment_profile?.id;
  return {
    id: wire.job_id.toLowerCase() as BatchJobId,
    kind: "IOT_ENROLLMENT",
    name: wire.name ?? null,
    status: oneOf(IOT_BATCH_JOB_STATUSES, wire.status) ?? "UNKNOWN",
    total: count(wire.total),
    success: count(wire.success),
    failed: count(wire.failed),
    createdAt: toDate(wire.created_at),
    updatedAt: toDate(wire.updated_at),
    completedAt: toDate(wire.completed_at),
    enrollmentProfileId: profileId && isIotProfileId(profileId) ? parseIotProfileId(profileId) : null,
    enrollmentProfileName: wire.enrollment_profile?.name || null,
    keyGeneration: oneOf(["CLIENT_SIDE", "SERVER_SIDE"] as const, wire.key_generation),
    certificateFormat: oneOf(BATCH_CERTIFICATE_FORMATS, wire.certificate_format),
    includeFullChain: wire.include_full_chain_with_each_certificate === true,
    keyType: oneOf(IOT_KEY_TYPES, wire.key_type),
    privateKeyFormat: oneOf(["PEM", "DER"] as const, wire.private_key_format),
    fileName: wire.file_name || null,
    approvedAt: toDate(wire.approved_at),
    rejectedAt: toDate(wire.rejected_at),
    startedAt: toDate(wire.started_at),
    failureReason: wire.error ?? null,
    rowErrors: (Array.isArray(wire.errors) ? wire.errors : []).flatMap((e) =>
      typeof e?.unique_identifier === "string" && typeof e.message === "string"
        ? [{ uniqueIdentifier: e.unique_identifier, message: e.message }]
        : [],
    ),
  };
}

export interface BatchServerSideKeyGenerationInput {
  /** Required: the generated keys come back encrypted to it (PEM, RSA key). */
  encryptionCertificate: string;
  /** Absent: the profile's default. */
  keyType?: IotKeyType | null;
  /** The key files inside PEM/DER downloads; default PEM. */
  privateKeyFormat?: "PEM" | "DER" | null;
  privateKeySyntax?: PrivateKeySyntax | null;
}

export interface IotBatchEnrollmentInput {
  enrollmentProfileId: IotProfileId;
  /** JSON (parsed by the gateway), or PEM / DER (a ZIP, or an encrypted P7M for server-side keys). */
  certificateFormat: BatchCertificateFormat;
  includeFullChain?: boolean | null;
  /** Present: DigiCert generates the keys (the file has no csr column). Absent: the file carries CSRs. */
  serverSideKeyGeneration?: BatchServerSideKeyGenerationInput | null;
}

/** Validates a batch enrollment's fields (not the file) and builds the multipart text fields. */
export async function toWireBatchEnrollment(
  input: IotBatchEnrollmentInput,
  now: Date = new Date(),
): Promise<WireBatchEnrollmentFields> {
  const format = oneOf(BATCH_CERTIFICATE_FORMATS, input.certificateFormat);
  if (!format) throw new ValidationError("input.certificateFormat", "Expected JSON, PEM or DER.");
  const out: WireBatchEnrollmentFields = {
    enrollment_profile_id: input.enrollmentProfileId,
    certificate_format: format.toLowerCase() as WireBatchCertificateFormat,
    key_generation: input.serverSideKeyGeneration ? "server_side" : "client_side",
  };
  if (input.includeFullChain != null) {
    out.include_full_chain_with_each_certificate = input.includeFullChain ? "true" : "false";
  }
  const keygen = input.serverSideKeyGeneration;
  if (keygen) {
    out.encryption_certificate = await encryptionCertificate(
      keygen.encryptionCertificate,
      `${KEYGEN}.encryptionCertificate`,
      now,
    );
    const keyType = keygen.keyType == null ? null : oneOf(IOT_KEY_TYPES, keygen.keyType);
    if (keygen.keyType != null && !keyType) {
      throw new ValidationError(`${KEYGEN}.keyType`, `Expected one of ${IOT_KEY_TYPES.join(", ")}.`);
    }
    if (keyType) out.key_type = toWireKeyType(keyType);
    if (keygen.privateKeyFormat != null) {
      const keyFormat = oneOf(["PEM", "DER"] as const, keygen.privateKeyFormat);
      if (!keyFormat)
        throw new ValidationError(`${KEYGEN}.privateKeyFormat`, "Batch key files are PEM or DER.");
      out.private_key_format = keyFormat === "PEM" ? "pem" : "der";
    }
    if (keygen.privateKeySyntax != null)
      out.private_key_syntax = wireSyntax(keygen.privateKeySyntax, keyType);
  }
  return out;
}

/** The profile's rules for a batch: BATCH method, key generation path, key type and PKCS1. */
export function checkBatchAgainstProfile(input: IotBatchEnrollmentInput, profile: EnrollmentProfile): void {
  if (profile.enrollmentMethods.length > 0 && !profile.enrollmentMethods.includes("BATCH")) {
    throw new ValidationError(
      "input.enrollmentProfileId",
      "This enrollment profile does not allow batch enrollment.",
    );
  }
  const keygen = input.serverSideKeyGeneration ?? null;
  if (keygen === null && profile.keyGenerationOption === "SERVER_SIDE") {
    throw new ValidationError(
      KEYGEN,
      "This enrollment profile generates keys server-side: send serverSideKeyGeneration with an encryption certificate.",
    );
  }
  if (keygen !== null && profile.keyGenerationOption === "CLIENT_SIDE") {
    throw new ValidationError(
      KEYGEN,
      "This enrollment profile does not allow server-side key generation: upload CSRs.",
    );
  }
  if (keygen !== null) {
    const requested = oneOf(IOT_KEY_TYPES, keygen.keyType);
    checkKeyType(requested, profile, `${KEYGEN}.keyType`);
    if (oneOf(PRIVATE_KEY_SYNTAXES, keygen.privateKeySyntax) === "PKCS1") {
      wireSyntax("PKCS1", effectiveKeyType(requested, profile));
    }
  }
}

export interface BatchDownloadCertificate {
  id: DeviceCertificateId;
  /** e.g. "Line #0000001" for a CSV row, or the CSR's file name. */
  uniqueIdentifier: string;
  /** The leaf alone. */
  pem: string;
  /** What followed the leaf in `body` (with include_full_chain_with_each_certificate). */
  chain: ChainEntry[];
  /** Server-side jobs: the key encrypted to the job's encryption certificate (base64 CMS EnvelopedData). */
  privateKey: PrivateKeyMaterial | null;
}

export interface IotBatchDownload {
  jobId: BatchJobId;
  /** As DigiCert orders it: each certificate is signed by the next (intermediate, then root). */
  chain: ChainEntry[];
  certificates: BatchDownloadCertificate[];
}

/** The JSON download [C shape]. Content is kept as sent: the x509 loader parses `pem` when asked. */
export function toBatchDownload(wire: WireBatchDownload): IotBatchDownload {
  if (
    typeof wire !== "object" ||
    wire === null ||
    typeof wire.job_id !== "string" ||
    !isUuid(wire.job_id) ||
    !Array.isArray(wire.certificates)
  ) {
    throw new UpstreamInvalidResponseError();
  }
  return {
    jobId: wire.job_id.toLowerCase() as BatchJobId,
    chain: toChain(wire.chain ?? []),
    certificates: wire.certificates.map((entry: WireBatchDownloadCertificate) => {
      if (
        typeof entry?.id !== "string" ||
        !isUuid(entry.id) ||
        typeof entry.unique_identifier !== "string" ||
        typeof entry.body !== "string"
      ) {
        throw new UpstreamInvalidResponseError();
      }
      return {
        id: entry.id.toLowerCase() as DeviceCertificateId,
        uniqueIdentifier: entry.unique_identifier,
        ...leafAndChain(entry.body),
        privateKey:
          entry.private_key === undefined ? null : toPrivateKey(entry.private_key, "CERT_ENCRYPTED_KEY_ONLY"),
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Upstream errors
// ---------------------------------------------------------------------------------------------

/** What a failed IoT call was about. */
export interface IotCallContext {
  /** False for calls that issue or change something: then an ambiguous failure is "outcome unknown". */
  idempotent: boolean;
  /** Chooses how a 400 without a field reads (a renewal refused, a job not in the right state). */
  operation?: "enroll" | "renew" | "revoke" | "read" | "batchCreate" | "batchDecide" | "batchDownload";
  profileId?: string;
  /** A device certificate's id or serial number. */
  certificate?: string;
  jobId?: string;
}

/** CertificateNotFoundError (name and code kept for result unions) worded for an id or a serial. */
export function deviceCertificateNotFound(ref: string): CertificateNotFoundError {
  const error = new CertificateNotFoundError(ref);
  error.message = `No device certificate has id or serial number ${ref}.`;
  return error;
}

/**
 * Maps an IoT datasource failure to the domain error a caller can act on: IoT's field names as input
 * paths, 403 and 404 as "not found" for the thing the call was about, 413 on the upload, 422 as the
 * renewal window; everything else as `toDomainError` does. Unrecognised errors are returned as they are.
 */
export function toIotDomainError(error: unknown, call: IotCallContext): unknown {
  const base: CallContext = { idempotent: call.idempotent };
  if (!(error instanceof UpstreamHttpError)) return toDomainError(error, base);
  const { status } = error;
  if (status === 400) return fromBadRequest(error, call);
  if (status === 403 || status === 404) {
    if (call.jobId) return batchJobNotFound(call.jobId);
    if (call.certificate) return deviceCertificateNotFound(call.certificate);
    if (call.profileId) return new ProfileNotFoundError(call.profileId);
  }
  if (status === 413)
    return new ValidationError("input.file", "The upload is larger than DigiCert ONE accepts.");
  if (status === 422 && call.certificate) return new RenewalNotAllowedError(call.certificate);
  return toDomainError(error, base);
}

function fromBadRequest(error: UpstreamHttpError, call: IotCallContext): unknown {
  const revoked = error.details.some((d) => /already\s+(has\s+been|been)\s+revoked/i.test(d.message));
  if (revoked && call.certificate) return new AlreadyRevokedError(call.certificate);
  const field = error.details.find((d) => d.field)?.field ?? null;
  if (field === "csr")
    return new InvalidCsrError("DigiCert ONE refused the CSR for this enrollment profile.");
  if (field === null && call.certificate && call.operation === "renew") {
    const refused = new RenewalNotAllowedError(call.certificate);
    refused.message = `Device certificate ${call.certificate} cannot be renewed (it may be revoked).`;
    return refused;
  }
  if (
    field === null &&
    call.jobId &&
    (call.operation === "batchDecide" || call.operation === "batchDownload")
  ) {
    return new ValidationError(
      "id",
      call.operation === "batchDecide"
        ? "Only a batch job waiting for approval (PENDING_APPROVAL) can be approved or rejected."
        : "A batch job's certificates can be downloaded once it is COMPLETE.",
    );
  }
  const path = field ? toIotInputPath(field) : "input";
  return new ValidationError(path, `DigiCert ONE refused the value of ${path}.`);
}

const IOT_FIELDS: Record<string, string> = {
  enrollment_profile_id: "input.enrollmentProfileId",
  server_side_key_gen: KEYGEN,
  key_type: `${KEYGEN}.keyType`,
  private_key_format: `${KEYGEN}.privateKeyFormat`,
  pkcs12_password: `${KEYGEN}.pkcs12Password`,
  encryption_certificate: `${KEYGEN}.encryptionCertificate`,
  private_key_syntax: `${KEYGEN}.privateKeySyntax`,
  include_certificate_chain: `${KEYGEN}.includeCertificateChain`,
  reason: "input.reason",
  file: "input.file",
  certificate_format: "input.certificateFormat",
  include_full_chain_with_each_certificate: "input.includeFullChain",
  key_generation: KEYGEN,
};

/** IoT field names (request-shaped, snake_case) as the GraphQL input paths a caller sent. */
export function toIotInputPath(field: string): string {
  const mapped = IOT_FIELDS[field];
  if (mapped) return mapped;
  const list = /^(certificate_profile_attributes|device_attributes)(\[\d{1,3}\])?(\.(id|value))?$/.exec(
    field,
  );
  if (list) {
    const name = list[1] === "device_attributes" ? "deviceAttributes" : "certificateAttributes";
    return `input.${name}${list[2] ?? ""}${list[3] ?? ""}`;
  }
  return "input";
}
