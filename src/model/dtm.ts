import { UpstreamHttpError } from "../datasources/errors.js";
import type {
  WireDtmAttribute,
  WireDtmBatchFields,
  WireDtmBatchJob,
  WireDtmBatchJobFilter,
  WireDtmBootstrap,
  WireDtmCertificatePolicy,
  WireDtmDevice,
  WireDtmDeviceFilter,
  WireDtmDeviceGroup,
  WireDtmDeviceRegistration,
  WireDtmKeyType,
  WireDtmPage,
  WireDtmReport,
  WireDtmReportRow,
} from "../datasources/dtm/wire.js";
import { checkedCsr } from "./enrollment.js";
import {
  CertificatePolicyNotFoundError,
  DuplicateDeviceError,
  InvalidCsrError,
  RequestNotFoundError,
  UpstreamInvalidResponseError,
  ValidationError,
} from "./errors.js";
import { type BatchJob, batchJobNotFound } from "./batch.js";
import { type CallContext, toDomainError } from "./upstream-errors.js";
import { type Brand, iotIdAs, isIotId, isUuid, uuidAs } from "./ids.js";
import { count, toDate } from "./json.js";
import { type ParsedCertificate, parseCertificatePem, X509ParseError } from "./x509.js";

/**
 * Device Trust Manager's domain: device groups, certificate policies, devices, batch registration jobs and their
 * reports. GraphQL-free. Mappers read the JSON of src/datasources/dtm/wire.ts; validators run before any upstream
 * call and throw ValidationError / InvalidCsrError naming the input path.
 */

// ---------------------------------------------------------------------------------------------
// Identifiers: only these branded values reach an upstream path
// ---------------------------------------------------------------------------------------------

/** A device group's UUID, lowercase. */
export type DtmDeviceGroupId = Brand<string, "DtmDeviceGroupId">;
/** `IOT_<uuid>` [C], normalised to the `IOT_` prefix and a lowercase UUID. */
export type DtmCertificatePolicyId = Brand<string, "DtmCertificatePolicyId">;
/** A device's UUID, lowercase. */
export type DtmDeviceId = Brand<string, "DtmDeviceId">;
/** A batch job's UUID, lowercase. */
export type DtmBatchJobId = Brand<string, "DtmBatchJobId">;

function uuid<T extends string>(value: unknown, field: string, what: string): T {
  return uuidAs(value, field, `A ${what} id is a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.`);
}

export function parseDtmDeviceGroupId(value: string, field = "deviceGroupId"): DtmDeviceGroupId {
  return uuid(value, field, "device group");
}

export function parseDtmDeviceId(value: string, field = "id"): DtmDeviceId {
  return uuid(value, field, "device");
}

export function parseDtmBatchJobId(value: string, field = "id"): DtmBatchJobId {
  return uuid(value, field, "batch job");
}

export function isDtmCertificatePolicyId(value: string): boolean {
  return isIotId(value);
}

export function parseDtmCertificatePolicyId(
  value: string,
  field = "certificatePolicyId",
): DtmCertificatePolicyId {
  return iotIdAs(
    value,
    field,
    "A certificate policy id is IOT_ and a UUID, e.g. IOT_4ee527fa-bebc-4557-aacb-9b5eed984dd4.",
  );
}

/** Upstream ids read back from JSON: kept only when well-formed, else null. */
function maybeUuid<T extends string>(value: unknown): T | null {
  return isUuid(value) ? (value.toLowerCase() as T) : null;
}

function maybePolicyId(value: unknown): DtmCertificatePolicyId | null {
  return isIotId(value) ? parseDtmCertificatePolicyId(value) : null;
}

// ---------------------------------------------------------------------------------------------
// Enumerations
// ---------------------------------------------------------------------------------------------

/** DTM's spelling, uppercase [C: RSA_2048; the rest I]. */
export const DTM_KEY_TYPES = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "P_256",
  "P_384",
  "P_521",
  "ED25519",
] as const satisfies readonly WireDtmKeyType[];
export type DtmKeyType = (typeof DTM_KEY_TYPES)[number];

/** Other spellings DigiCert has been seen to use for the same keys [I]; answers are read through them. */
const KEY_TYPE_ALIASES: Readonly<Record<string, DtmKeyType>> = {
  ECDSA_P256: "P_256",
  ECDSA_P384: "P_384",
  ECDSA_P521: "P_521",
  EC_P256: "P_256",
  EC_P384: "P_384",
  EC_P521: "P_521",
  ED_25519: "ED25519",
};

export function toDtmKeyType(value: unknown): DtmKeyType | null {
  if (typeof value !== "string") return null;
  const upper = value.trim().toUpperCase();
  if ((DTM_KEY_TYPES as readonly string[]).includes(upper)) return upper as DtmKeyType;
  return KEY_TYPE_ALIASES[upper] ?? null;
}

export const DTM_MANAGEMENT_METHODS = ["API", "BATCH"] as const;
export type DtmManagementMethod = (typeof DTM_MANAGEMENT_METHODS)[number];

export const DEVICE_STATUSES = ["REGISTERED", "PROVISIONED", "DISABLED", "UNKNOWN"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/**
 * Job states: PENDING_APPROVAL, IN_PROGRESS, COMPLETE, FAILED [C]; PENDING, TERMINATED, PENDING_REJECTION,
 * REJECTION_IN_PROGRESS, REJECTED are the UI's labels in API spelling [I].
 */
export const DTM_JOB_STATUSES = [
  "PENDING",
  "IN_PROGRESS",
  "PENDING_APPROVAL",
  "COMPLETE",
  "FAILED",
  "TERMINATED",
  "PENDING_REJECTION",
  "REJECTION_IN_PROGRESS",
  "REJECTED",
  "UNKNOWN",
] as const;
export type DtmJobStatus = (typeof DTM_JOB_STATUSES)[number];

export const REGISTRATION_ROW_STATUSES = ["SUCCESS", "FAILED", "REJECTED", "UNKNOWN"] as const;
export type RegistrationRowStatus = (typeof REGISTRATION_ROW_STATUSES)[number];

/** DTM's code for a duplicate device name [C]. */
export const DUPLICATE_DEVICE_CODE = "03";
/** The job type of device registration batches [C]. */
export const DEVICE_REGISTRATION_JOB_TYPE = "device_registration";

function oneOf<T extends string>(list: readonly T[], value: unknown): T | null {
  const upper = typeof value === "string" ? value.trim().toUpperCase() : "";
  return (list as readonly string[]).includes(upper) ? (upper as T) : null;
}

function known<T extends string>(values: unknown, read: (value: unknown) => T | null): T[] {
  if (!Array.isArray(values)) return [];
  const out: T[] = [];
  for (const value of values) {
    const item = read(value);
    if (item && !out.includes(item)) out.push(item);
  }
  return out;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

export interface DtmPage<T> {
  items: T[];
  total: number | null;
  offset: number | null;
  limit: number | null;
}

export function toDtmPage<W, T>(wire: WireDtmPage<W>, map: (item: W) => T): DtmPage<T> {
  if (!isObject(wire) || !Array.isArray(wire.records)) throw new UpstreamInvalidResponseError();
  return {
    items: wire.records.map(map),
    total: count(wire.total),
    offset: count(wire.offset),
    limit: count(wire.limit),
  };
}

// ---------------------------------------------------------------------------------------------
// Device groups and certificate policies
// ---------------------------------------------------------------------------------------------

export interface DeviceGroup {
  id: DtmDeviceGroupId;
  name: string;
  description: string | null;
  accountId: string | null;
  divisionId: string | null;
  divisionName: string | null;
  certificatePolicies: { id: DtmCertificatePolicyId; name: string | null }[];
  deviceCount: number | null;
}

export function toDeviceGroup(wire: WireDtmDeviceGroup): DeviceGroup {
  if (!isObject(wire) || typeof wire.id !== "string" || !isUuid(wire.id) || typeof wire.name !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  return {
    id: wire.id.toLowerCase() as DtmDeviceGroupId,
    name: wire.name,
    description: str(wire.description),
    accountId: str(wire.account_id),
    divisionId: str(wire.division?.id),
    divisionName: str(wire.division?.name),
    certificatePolicies: (Array.isArray(wire.certificate_policies) ? wire.certificate_policies : []).flatMap(
      (ref) => {
        const id = maybePolicyId(ref?.id);
        return id ? [{ id, name: str(ref.name) }] : [];
      },
    ),
    deviceCount: count(wire.device_count),
  };
}

export function toDeviceGroupPage(wire: WireDtmPage<WireDtmDeviceGroup>): DtmPage<DeviceGroup> {
  return toDtmPage(wire, toDeviceGroup);
}

/** One column of a policy's CSV template. */
export interface TemplateColumn {
  /** e.g. `device_name`, `subject.common_name`, `san.dns_name`, `csr`. */
  name: string;
  required: boolean;
  /** The column may appear more than once (one value each). */
  multiple: boolean;
  /** Only in client-side templates (`csr`). */
  clientSideOnly: boolean;
}

export interface CertificatePolicy {
  id: DtmCertificatePolicyId;
  name: string;
  status: "ACTIVE" | "INACTIVE" | "UNKNOWN";
  managementMethods: DtmManagementMethod[];
  clientSideKeyGeneration: boolean;
  serverSideKeyGeneration: boolean;
  allowedKeyTypes: DtmKeyType[];
  defaultKeyType: DtmKeyType | null;
  /** Batch jobs wait in PENDING_APPROVAL after processing until approved. */
  approvalRequired: boolean;
  validity: { unit: string; duration: number } | null;
  /** Template columns: required, then optional, then client-side extras (`csr`, required when sent). */
  templateColumns: TemplateColumn[];
  deviceGroupIds: DtmDeviceGroupId[];
}

export function toCertificatePolicy(wire: WireDtmCertificatePolicy): CertificatePolicy {
  if (!isObject(wire) || typeof wire.id !== "string" || !isIotId(wire.id) || typeof wire.name !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  const status = oneOf(["ACTIVE", "INACTIVE"] as const, wire.status) ?? "UNKNOWN";
  const template = isObject(wire.csv_template) ? wire.csv_template : {};
  const names = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter((name): name is string => typeof name === "string" && name !== "") : [];
  const multiple = new Set(names(template.multi_value_columns).map((name) => name.toLowerCase()));
  const columns: TemplateColumn[] = [];
  const add = (name: string, required: boolean, clientSideOnly: boolean) => {
    const lower = name.trim().toLowerCase();
    if (lower === "" || columns.some((column) => column.name === lower)) return;
    columns.push({ name: lower, required, multiple: multiple.has(lower), clientSideOnly });
  };
  for (const name of names(template.required_columns)) add(name, true, false);
  for (const name of names(template.optional_columns)) add(name, false, false);
  for (const name of names(template.client_side_extra_columns)) add(name, true, true);
  return {
    id: parseDtmCertificatePolicyId(wire.id),
    name: wire.name,
    status,
    managementMethods: known(wire.certificate_management_methods, (value) =>
      oneOf(DTM_MANAGEMENT_METHODS, value),
    ),
    clientSideKeyGeneration: wire.client_side_key_gen_allowed === true,
    serverSideKeyGeneration: wire.server_side_key_gen_allowed === true,
    allowedKeyTypes: known(wire.allowed_key_types, toDtmKeyType),
    defaultKeyType: toDtmKeyType(wire.default_key_type),
    approvalRequired: wire.approval_required === true,
    validity:
      isObject(wire.certificate_validity) &&
      typeof wire.certificate_validity.duration === "number" &&
      typeof wire.certificate_validity.unit === "string"
        ? { unit: wire.certificate_validity.unit, duration: wire.certificate_validity.duration }
        : null,
    templateColumns: columns,
    deviceGroupIds: known(wire.device_group_ids, (value) => maybeUuid<DtmDeviceGroupId>(value)),
  };
}

export function toCertificatePolicyPage(
  wire: WireDtmPage<WireDtmCertificatePolicy>,
): DtmPage<CertificatePolicy> {
  return toDtmPage(wire, toCertificatePolicy);
}

/** The columns a CSV for this policy must have: the required ones, with `csr` only for client-side keys. */
export function requiredTemplateColumns(
  policy: CertificatePolicy,
  serverSideKeyGeneration: boolean,
): string[] {
  return policy.templateColumns
    .filter((column) => column.required && !(serverSideKeyGeneration && column.clientSideOnly))
    .map((column) => column.name);
}

// ---------------------------------------------------------------------------------------------
// Devices
// ---------------------------------------------------------------------------------------------

export interface DeviceBootstrapPolicy {
  certificatePolicyId: DtmCertificatePolicyId;
  serverSideKeyGeneration: boolean;
  keyType: DtmKeyType | null;
  keyFormat: string | null;
  keySyntax: string | null;
  attributes: { name: string; value: string }[];
}

export interface Device {
  id: DtmDeviceId;
  name: string | null;
  description: string | null;
  status: DeviceStatus;
  deviceGroupId: DtmDeviceGroupId | null;
  deviceGroupName: string | null;
  divisionName: string | null;
  accountId: string | null;
  registrationMethod: DtmManagementMethod | null;
  bootstrap: DeviceBootstrapPolicy[];
  batchJobId: DtmBatchJobId | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

function attributesOf(list: unknown): { name: string; value: string }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown) =>
    isObject(entry) && typeof entry.name === "string" && typeof entry.value === "string"
      ? [{ name: entry.name, value: entry.value }]
      : [],
  );
}

export function toDevice(wire: WireDtmDevice): Device {
  if (!isObject(wire) || typeof wire.id !== "string" || !isUuid(wire.id)) {
    throw new UpstreamInvalidResponseError();
  }
  const bootstrap = Array.isArray(wire.certificate_policies?.bootstrap)
    ? wire.certificate_policies.bootstrap
    : [];
  return {
    id: wire.id.toLowerCase() as DtmDeviceId,
    name: str(wire.name),
    description: str(wire.description),
    status: oneOf(DEVICE_STATUSES, wire.status) ?? "UNKNOWN",
    deviceGroupId: maybeUuid(wire.device_group_id ?? wire.device_group?.id),
    deviceGroupName: str(wire.device_group?.name),
    divisionName: str(wire.division?.name),
    accountId: str(wire.account_id),
    registrationMethod: oneOf(DTM_MANAGEMENT_METHODS, wire.registration_method),
    bootstrap: bootstrap.flatMap((entry) => {
      const id = maybePolicyId(entry?.certificate_policy_id);
      if (!id) return [];
      return [
        {
          certificatePolicyId: id,
          serverSideKeyGeneration: entry.server_side_key_gen === true,
          keyType: toDtmKeyType(entry.key_type),
          keyFormat: str(entry.key_format),
          keySyntax: str(entry.key_syntax),
          attributes: attributesOf(entry.attributes),
        },
      ];
    }),
    batchJobId: maybeUuid(wire.batch_job_id),
    createdAt: toDate(wire.created_at),
    updatedAt: toDate(wire.updated_at),
  };
}

export function toDevicePage(wire: WireDtmPage<WireDtmDevice>): DtmPage<Device> {
  return toDtmPage(wire, toDevice);
}

export interface DeviceFilter {
  /** Exact, case-insensitive. */
  name?: string | null;
  deviceGroupId?: DtmDeviceGroupId | null;
  statuses?: readonly DeviceStatus[] | null;
}

export function toWireDeviceFilter(filter: DeviceFilter, path = "filter"): WireDtmDeviceFilter {
  const out: WireDtmDeviceFilter = {};
  if (filter.name != null) out.name = text(filter.name, `${path}.name`, MAX_NAME);
  if (filter.deviceGroupId != null) out.device_group_id = filter.deviceGroupId;
  if (filter.statuses != null && filter.statuses.length > 0) {
    for (const status of filter.statuses) {
      if (status === "UNKNOWN" || !oneOf(DEVICE_STATUSES, status)) {
        throw new ValidationError(
          `${path}.statuses`,
          "Devices are filtered by REGISTERED, PROVISIONED or DISABLED.",
        );
      }
    }
    out.status = [...new Set(filter.statuses)].join(",");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Single registration
// ---------------------------------------------------------------------------------------------

export interface DeviceBootstrapInput {
  certificatePolicyId: DtmCertificatePolicyId;
  /** Client-side keys: the CSR. Exactly one of `csr` and `serverSideKeyGeneration`. */
  csr?: string | null;
  serverSideKeyGeneration?: { keyType?: DtmKeyType | null } | null;
  attributes?: readonly { name: string; value: string }[] | null;
}

export interface DeviceRegistrationInput {
  name: string;
  deviceGroupId: DtmDeviceGroupId;
  description?: string | null;
  bootstrap?: readonly DeviceBootstrapInput[] | null;
}

const MAX_NAME = 255;
const MAX_DESCRIPTION = 1024;
const MAX_VALUE = 256;
const MAX_BOOTSTRAP = 5;
const MAX_ATTRIBUTES = 100;
const MAX_EMAILS = 50;
const CONTROL = /[\u0000-\u001f\u007f]/;
const ATTRIBUTE_NAME = /^(subject|san)\.[a-z_]{1,64}$/i;
const EMAIL =
  /^[^\s@,;"<>]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
// DTM's passcode rule [I]: 4 to 64 printable characters without spaces.
const PASSCODE = /^[\x21-\x7e]{4,64}$/;

function text(value: unknown, path: string, max: number): string {
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (trimmed.length === 0 || trimmed.length > max || CONTROL.test(trimmed)) {
    throw new ValidationError(path, `Must be 1 to ${max} printable characters.`);
  }
  return trimmed;
}

/**
 * Validates a single registration and builds POST /device/registration's body. Async: each CSR is parsed and its
 * signature verified. The policies' own rules (key types, columns) are DigiCert's to check, or `checkBootstrapAgainstPolicy`'s.
 */
export async function toWireDeviceRegistration(
  input: DeviceRegistrationInput,
): Promise<WireDtmDeviceRegistration> {
  const out: WireDtmDeviceRegistration = {
    name: text(input.name, "input.name", MAX_NAME),
    device_group_id: input.deviceGroupId,
  };
  if (input.description != null && input.description.trim() !== "") {
    const description = input.description.trim();
    if (description.length > MAX_DESCRIPTION || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(description)) {
      throw new ValidationError(
        "input.description",
        `Must be at most ${MAX_DESCRIPTION} printable characters.`,
      );
    }
    out.description = description;
  }
  const list = input.bootstrap ?? [];
  if (list.length > MAX_BOOTSTRAP) {
    throw new ValidationError("input.bootstrap", `At most ${MAX_BOOTSTRAP} certificate policies.`);
  }
  if (list.length === 0) return out;
  const bootstrap: WireDtmBootstrap[] = [];
  for (const [i, entry] of list.entries()) {
    const path = `input.bootstrap[${i}]`;
    if (bootstrap.some((other) => other.certificate_policy_id === entry.certificatePolicyId)) {
      throw new ValidationError(`${path}.certificatePolicyId`, "Each certificate policy may be given once.");
    }
    const hasCsr = entry.csr != null;
    const keygen = entry.serverSideKeyGeneration ?? null;
    if (hasCsr === (keygen !== null)) {
      throw new ValidationError(
        path,
        hasCsr
          ? "Send either a CSR or serverSideKeyGeneration, not both."
          : "Send a CSR, or serverSideKeyGeneration to have DigiCert generate the key.",
      );
    }
    const wire: WireDtmBootstrap = {
      certificate_policy_id: entry.certificatePolicyId,
      server_side_key_gen: keygen !== null,
      attributes: registrationAttributes(entry.attributes ?? [], `${path}.attributes`),
    };
    if (keygen !== null) {
      if (keygen.keyType != null)
        wire.key_type = keyType(keygen.keyType, `${path}.serverSideKeyGeneration.keyType`);
    } else {
      try {
        wire.csr = await checkedCsr(entry.csr ?? "");
      } catch (error) {
        if (error instanceof InvalidCsrError) throw new ValidationError(`${path}.csr`, error.message);
        throw error;
      }
    }
    bootstrap.push(wire);
  }
  out.certificate_policies = { bootstrap };
  return out;
}

function registrationAttributes(
  list: readonly { name: string; value: string }[],
  path: string,
): WireDtmAttribute[] {
  if (list.length > MAX_ATTRIBUTES) throw new ValidationError(path, `At most ${MAX_ATTRIBUTES} attributes.`);
  return list.map((attribute, i) => {
    const name = typeof attribute?.name === "string" ? attribute.name.trim().toLowerCase() : "";
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new ValidationError(
        `${path}[${i}].name`,
        "An attribute name is a template column such as subject.common_name or san.dns_name.",
      );
    }
    return { name, value: text(attribute.value, `${path}[${i}].value`, MAX_VALUE) };
  });
}

function keyType(value: unknown, path: string): WireDtmKeyType {
  const type = oneOf(DTM_KEY_TYPES, value);
  if (!type) throw new ValidationError(path, `Expected one of ${DTM_KEY_TYPES.join(", ")}.`);
  return type;
}

// ---------------------------------------------------------------------------------------------
// Batch jobs
// ---------------------------------------------------------------------------------------------

/** A device registration batch. */
export interface DtmBatchJob extends BatchJob {
  id: DtmBatchJobId;
  kind: "DTM_DEVICE_REGISTRATION";
  name: string | null;
  status: DtmJobStatus;
  total: number | null;
  success: number | null;
  failed: number | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  completedAt: Date | null;
  deviceGroupId: DtmDeviceGroupId | null;
  deviceGroupName: string | null;
  certificatePolicyId: DtmCertificatePolicyId | null;
  certificatePolicyName: string | null;
  approvalRequired: boolean;
  serverSideKeyGeneration: boolean | null;
  keyType: DtmKeyType | null;
  fileName: string | null;
  fileSize: number | null;
  emails: string[];
  externalEmails: string[];
  startedAt: Date | null;
  processedAt: Date | null;
  approvedAt: Date | null;
  rejectedAt: Date | null;
  /** DigiCert's text for why the whole job failed (job data, not a gateway error message). */
  failureReason: string | null;
}

export function toDtmBatchJob(wire: WireDtmBatchJob): DtmBatchJob {
  if (!isObject(wire) || typeof wire.id !== "string" || !isUuid(wire.id) || typeof wire.status !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  const emails = (list: unknown) =>
    Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === "string") : [];
  return {
    id: wire.id.toLowerCase() as DtmBatchJobId,
    kind: "DTM_DEVICE_REGISTRATION",
    name: str(wire.name),
    status: oneOf(DTM_JOB_STATUSES, wire.status) ?? "UNKNOWN",
    total: count(wire.total),
    success: count(wire.success),
    failed: count(wire.failed),
    createdAt: toDate(wire.created_at),
    updatedAt: toDate(wire.updated_at),
    completedAt: toDate(wire.completed_at),
    deviceGroupId: maybeUuid(wire.device_group?.id),
    deviceGroupName: str(wire.device_group?.name),
    certificatePolicyId: maybePolicyId(wire.certificate_policy?.id),
    certificatePolicyName: str(wire.certificate_policy?.name),
    approvalRequired: wire.approval_required === true,
    serverSideKeyGeneration: typeof wire.server_side_key_gen === "boolean" ? wire.server_side_key_gen : null,
    keyType: toDtmKeyType(wire.key_type),
    fileName: str(wire.file_name),
    fileSize: count(wire.file_size),
    emails: emails(wire.emails),
    externalEmails: emails(wire.external_emails),
    startedAt: toDate(wire.started_at),
    processedAt: toDate(wire.processed_at),
    approvedAt: toDate(wire.approved_at),
    rejectedAt: toDate(wire.rejected_at),
    failureReason: str(wire.error),
  };
}

export function toDtmBatchJobPage(wire: WireDtmPage<WireDtmBatchJob>): DtmPage<DtmBatchJob> {
  return toDtmPage(wire, toDtmBatchJob);
}

/** The created job's id from POST .../jobs (`{id}`). */
export function toCreatedDtmBatchJobId(wire: unknown): DtmBatchJobId {
  const id = isObject(wire) ? maybeUuid<DtmBatchJobId>(wire.id) : null;
  if (!id) throw new UpstreamInvalidResponseError();
  return id;
}

export interface DtmBatchJobFilter {
  statuses?: readonly DtmJobStatus[] | null;
  deviceGroupId?: DtmDeviceGroupId | null;
}

export function toWireDtmBatchJobFilter(filter: DtmBatchJobFilter, path = "filter"): WireDtmBatchJobFilter {
  const out: WireDtmBatchJobFilter = { job_type: DEVICE_REGISTRATION_JOB_TYPE };
  if (filter.statuses != null && filter.statuses.length > 0) {
    for (const status of filter.statuses) {
      if (status === "UNKNOWN" || !oneOf(DTM_JOB_STATUSES, status)) {
        throw new ValidationError(`${path}.statuses`, "Not a Device Trust Manager job status.");
      }
    }
    out.status = [...new Set(filter.statuses)].join(",");
  }
  if (filter.deviceGroupId != null) out.device_group_id = filter.deviceGroupId;
  return out;
}

/** One row of a job report: what happened to one data row of the upload. */
export interface DeviceRegistrationRow {
  /** From 1, the first data row after the header. */
  row: number;
  deviceName: string | null;
  deviceId: DtmDeviceId | null;
  status: RegistrationRowStatus;
  /** DigiCert's code (`03`: the name was taken; `invalid_request`: the row was refused). */
  errorCode: string | null;
  /** DigiCert's text about the row (job data, shown as is). */
  errorMessage: string | null;
}

export interface DeviceRegistrationReport {
  jobId: DtmBatchJobId;
  status: DtmJobStatus;
  total: number | null;
  success: number | null;
  failed: number | null;
  rows: DeviceRegistrationRow[];
}

export function toDeviceRegistrationRow(wire: WireDtmReportRow): DeviceRegistrationRow {
  if (!isObject(wire) || typeof wire.row !== "number" || !Number.isInteger(wire.row) || wire.row < 1) {
    throw new UpstreamInvalidResponseError();
  }
  return {
    row: wire.row,
    deviceName: str(wire.device_name),
    deviceId: maybeUuid(wire.device_id),
    status: oneOf(REGISTRATION_ROW_STATUSES, wire.status) ?? "UNKNOWN",
    errorCode: str(wire.error_code),
    errorMessage: str(wire.error),
  };
}

export function toDeviceRegistrationReport(wire: WireDtmReport): DeviceRegistrationReport {
  if (
    !isObject(wire) ||
    typeof wire.job_id !== "string" ||
    !isUuid(wire.job_id) ||
    !Array.isArray(wire.rows)
  ) {
    throw new UpstreamInvalidResponseError();
  }
  return {
    jobId: wire.job_id.toLowerCase() as DtmBatchJobId,
    status: oneOf(DTM_JOB_STATUSES, wire.status) ?? "UNKNOWN",
    total: count(wire.total),
    success: count(wire.success),
    failed: count(wire.failed),
    rows: wire.rows.map(toDeviceRegistrationRow),
  };
}

export interface DtmBatchServerSideKeyGenerationInput {
  /** Required: the generated keys are encrypted to it (PEM, RSA key, within its validity). */
  encryptionCertificate: string;
  /** Absent: the policy's default. */
  keyType?: DtmKeyType | null;
}

export interface DtmBatchInput {
  name: string;
  deviceGroupId: DtmDeviceGroupId;
  /** Absent: DigiCert uses the group's only BATCH policy [I]. */
  certificatePolicyId?: DtmCertificatePolicyId | null;
  /** Present: DigiCert generates the keys (the CSV has no csr column). Absent: the file carries CSRs. */
  serverSideKeyGeneration?: DtmBatchServerSideKeyGenerationInput | null;
  /** Client-side keys only: the CSRs' key type, checked by DigiCert on each row. */
  keyType?: DtmKeyType | null;
  emails?: readonly string[] | null;
  externalEmails?: readonly string[] | null;
  passcodeGenerationOption?: boolean | null;
  /** Never echoed, not even in an error. */
  passcode?: string | null;
}

const BATCH_KEYGEN = "input.serverSideKeyGeneration";

/**
 * Validates a batch registration's fields (not the file: CSV and ZIP checks are separate) and builds the multipart
 * text fields. Given the certificate policy, also checks its rules: BATCH allowed, assigned to the group, the key
 * generation path and the key type. `now` judges the encryption certificate's validity. Holds the passcode: never log it.
 */
export async function toWireDtmBatch(
  input: DtmBatchInput,
  policy: CertificatePolicy | null = null,
  now: Date = new Date(),
): Promise<WireDtmBatchFields> {
  const keygen = input.serverSideKeyGeneration ?? null;
  const out: WireDtmBatchFields = {
    job_type: DEVICE_REGISTRATION_JOB_TYPE,
    name: text(input.name, "input.name", MAX_NAME),
    device_group_id: input.deviceGroupId,
    server_side_key_gen: keygen ? "true" : "false",
  };
  if (input.certificatePolicyId != null) out.certificate_policy_id = input.certificatePolicyId;
  if (keygen) {
    out.encryption_certificate = await encryptionCertificate(
      keygen.encryptionCertificate,
      `${BATCH_KEYGEN}.encryptionCertificate`,
      now,
    );
    if (keygen.keyType != null) out.key_type = keyType(keygen.keyType, `${BATCH_KEYGEN}.keyType`);
    if (input.keyType != null) {
      throw new ValidationError(
        "input.keyType",
        "With server-side keys, give the key type in serverSideKeyGeneration.",
      );
    }
  } else if (input.keyType != null) {
    out.key_type = keyType(input.keyType, "input.keyType");
  }
  const emails = emailList(input.emails, "input.emails");
  if (emails) out.emails = emails;
  const external = emailList(input.externalEmails, "input.externalEmails");
  if (external) out.external_emails = external;
  if (input.passcodeGenerationOption != null) {
    out.passcode_generation_option = input.passcodeGenerationOption ? "true" : "false";
  }
  if (input.passcode != null && input.passcode !== "") {
    if (typeof input.passcode !== "string" || !PASSCODE.test(input.passcode)) {
      throw new ValidationError(
        "input.passcode",
        "A passcode is 4 to 64 printable characters without spaces.",
      );
    }
    out.passcode = input.passcode;
  } else if (input.passcodeGenerationOption === false && external) {
    throw new ValidationError(
      "input.passcode",
      "External recipients need a passcode when passcodeGenerationOption is false.",
    );
  }
  if (policy) checkBatchAgainstPolicy(input, policy);
  return out;
}

/** The policy's rules for a batch: the same policy, BATCH method, assigned to the group, key generation, key type. */
export function checkBatchAgainstPolicy(input: DtmBatchInput, policy: CertificatePolicy): void {
  if (input.certificatePolicyId != null && input.certificatePolicyId !== policy.id) {
    throw new ValidationError(
      "input.certificatePolicyId",
      "The certificate policy checked is not the one requested.",
    );
  }
  if (policy.managementMethods.length > 0 && !policy.managementMethods.includes("BATCH")) {
    throw new ValidationError(
      "input.certificatePolicyId",
      "This certificate policy does not allow batch registration.",
    );
  }
  if (policy.deviceGroupIds.length > 0 && !policy.deviceGroupIds.includes(input.deviceGroupId)) {
    throw new ValidationError(
      "input.certificatePolicyId",
      "This certificate policy is not assigned to the device group.",
    );
  }
  const keygen = input.serverSideKeyGeneration ?? null;
  if (keygen && !policy.serverSideKeyGeneration) {
    throw new ValidationError(
      BATCH_KEYGEN,
      "This certificate policy does not allow server-side key generation: upload CSRs.",
    );
  }
  if (!keygen && !policy.clientSideKeyGeneration) {
    throw new ValidationError(
      BATCH_KEYGEN,
      "This certificate policy generates keys server-side: send serverSideKeyGeneration with an encryption certificate.",
    );
  }
  const requested = toDtmKeyType(keygen ? keygen.keyType : input.keyType);
  const allowed = policy.allowedKeyTypes;
  if (requested && allowed.length > 0 && !allowed.includes(requested)) {
    throw new ValidationError(
      keygen ? `${BATCH_KEYGEN}.keyType` : "input.keyType",
      `This certificate policy allows the key types ${allowed.join(", ")}.`,
    );
  }
}

/** Comma separated, trimmed, each address checked, at most 50; null when none. */
function emailList(list: readonly string[] | null | undefined, path: string): string | null {
  if (list == null || list.length === 0) return null;
  if (list.length > MAX_EMAILS) throw new ValidationError(path, `At most ${MAX_EMAILS} addresses.`);
  const out = list.map((entry, i) => {
    const email = typeof entry === "string" ? entry.trim() : "";
    if (email.length > 254 || !EMAIL.test(email)) {
      throw new ValidationError(`${path}[${i}]`, "Not an email address.");
    }
    return email;
  });
  return [...new Set(out)].join(",");
}

/** One PEM certificate with an RSA key, within its validity; normalised PEM (the rule of ./iot.ts, not exported there). */
async function encryptionCertificate(value: unknown, path: string, now: Date): Promise<string> {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ValidationError(
      path,
      "Server-side key generation needs an encryption certificate (PEM, RSA key).",
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

// ---------------------------------------------------------------------------------------------
// Upstream errors
// ---------------------------------------------------------------------------------------------

/** What a failed DTM call was about. */
export interface DtmCallContext {
  /** False for calls that register, upload or decide: then an ambiguous failure is "outcome unknown". */
  idempotent: boolean;
  operation?: "register" | "read" | "batchCreate" | "batchDecide" | "batchReport" | "template";
  deviceName?: string;
  deviceGroupId?: string;
  certificatePolicyId?: string;
  jobId?: string;
}

/**
 * Maps a DTM datasource failure to the domain error a caller can act on: code "03" (409) as DuplicateDeviceError,
 * `invalid_request` with its leading field as the input path, 403/404 as "not found" for what the call was about,
 * 413 on the upload; everything else as `toDomainError` does. Unrecognised errors are returned as they are.
 */
export function toDtmDomainError(error: unknown, call: DtmCallContext): unknown {
  const base: CallContext = { idempotent: call.idempotent };
  if (!(error instanceof UpstreamHttpError)) return toDomainError(error, base);
  const { status } = error;
  if (error.hasCode(DUPLICATE_DEVICE_CODE)) return new DuplicateDeviceError(call.deviceName ?? null);
  if (status === 400) return fromBadRequest(error, call);
  if (status === 403 || status === 404) {
    if (call.jobId && call.operation === "batchReport") {
      // The job was just read: its report, not the job, is missing.
      const error = new RequestNotFoundError(call.jobId);
      error.message = `Batch job ${call.jobId} has no report.`;
      return error;
    }
    if (call.jobId) return batchJobNotFound(call.jobId);
    if (call.certificatePolicyId && call.operation === "template") {
      return new CertificatePolicyNotFoundError(call.certificatePolicyId);
    }
  }
  if (status === 413) {
    return new ValidationError("input.file", "The upload is larger than DigiCert ONE accepts.");
  }
  return toDomainError(error, base);
}

function fromBadRequest(error: UpstreamHttpError, call: DtmCallContext): unknown {
  // DTM's envelope has no field: invalid_request messages start with it ("data: The CSV file ...") [I].
  const field =
    error.details.map((d) => /^([A-Za-z_][\w.[\]]{0,100}):\s/.exec(d.message)?.[1]).find(Boolean) ?? null;
  if (
    field === null &&
    call.jobId &&
    (call.operation === "batchDecide" || call.operation === "batchReport")
  ) {
    return new ValidationError(
      "id",
      call.operation === "batchDecide"
        ? "Only a batch job waiting for approval (PENDING_APPROVAL) can be approved or rejected."
        : "A batch job's report is ready once the job has been processed.",
    );
  }
  if (field !== null && /(^|\.)csr$/.test(field)) {
    return new InvalidCsrError("DigiCert ONE refused the CSR for this certificate policy.");
  }
  const path = field ? toDtmInputPath(field) : "input";
  return new ValidationError(path, `DigiCert ONE refused the value of ${path}.`);
}

const DTM_FIELDS: Record<string, string> = {
  name: "input.name",
  description: "input.description",
  device_group_id: "input.deviceGroupId",
  certificate_policy_id: "input.certificatePolicyId",
  server_side_key_gen: BATCH_KEYGEN,
  key_type: "input.keyType",
  encryption_certificate: `${BATCH_KEYGEN}.encryptionCertificate`,
  data: "input.file",
  emails: "input.emails",
  external_emails: "input.externalEmails",
  passcode_generation_option: "input.passcodeGenerationOption",
  passcode: "input.passcode",
  job_type: "input",
  account_id: "input",
};

const BOOTSTRAP_FIELDS: Record<string, string> = {
  certificate_policy_id: "certificatePolicyId",
  server_side_key_gen: "serverSideKeyGeneration",
  key_type: "serverSideKeyGeneration.keyType",
  csr: "csr",
  attributes: "attributes",
};

/** DTM field names (request-shaped, snake_case) as the GraphQL input paths a caller sent. */
export function toDtmInputPath(field: string): string {
  const mapped = DTM_FIELDS[field];
  if (mapped) return mapped;
  const bootstrap =
    /^certificate_policies\.bootstrap(\[\d{1,3}\])?(?:\.(certificate_policy_id|server_side_key_gen|key_type|csr|attributes)(\[\d{1,3}\])?)?/.exec(
      field,
    );
  if (bootstrap) {
    const inner = bootstrap[2] ? `.${BOOTSTRAP_FIELDS[bootstrap[2]]}${bootstrap[3] ?? ""}` : "";
    return `input.bootstrap${bootstrap[1] ?? ""}${inner}`;
  }
  return "input";
}
