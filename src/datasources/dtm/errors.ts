/**
 * Device Trust Manager's failures as domain errors, in one place: code "03" as DuplicateDeviceError, invalid_request
 * with its leading field as the input path, 403/404 as "not found" for what the call was about, 413 on the upload;
 * the shared rules (../errors.ts) for the rest. Imports those rules and the model.
 */
import { isHidden, refusedValue, toUpstreamDomainError, UpstreamHttpError } from "../errors.js";
import {
  BatchJobNotFoundError,
  BatchReportNotFoundError,
  CertificatePolicyNotFoundError,
  DuplicateDeviceError,
  InvalidCsrError,
  ValidationError,
} from "../../model/errors.js";
import { DUPLICATE_DEVICE_CODE } from "../../model/dtm/enums.js";
import { DeviceNotFoundError } from "../../model/errors.js";

const BATCH_KEYGEN = "input.serverSideKeyGeneration";

/** What a failed DTM call was about. */
export interface DtmCallContext {
  /** False for calls that register, upload or decide: then an ambiguous failure is "outcome unknown". */
  idempotent: boolean;
  operation?:
    | "register"
    | "read"
    | "batchCreate"
    | "batchDecide"
    | "batchReport"
    | "template"
    | "disable"
    | "delete"
    | "bootstrap";
  deviceName?: string;
  deviceGroupId?: string;
  certificatePolicyId?: string;
  jobId?: string;
  /** The device a disable, delete or bootstrap download was about, and the input path that named it. */
  deviceId?: string;
  deviceField?: string;
}

/**
 * Maps a DTM datasource failure to the domain error a caller can act on: code "03" (409) as DuplicateDeviceError,
 * `invalid_request` with its leading field as the input path, 403/404 as "not found" for what the call was about,
 * 413 on the upload; everything else as `toUpstreamDomainError` does. Unrecognised errors are returned as they are.
 */
export function toDtmDomainError(error: unknown, call: DtmCallContext): unknown {
  if (!(error instanceof UpstreamHttpError)) return toUpstreamDomainError(error, call.idempotent);
  const { status } = error;
  if (error.hasCode(DUPLICATE_DEVICE_CODE)) return new DuplicateDeviceError(call.deviceName ?? null);
  if (status === 400) return fromBadRequest(error, call);
  if (isHidden(error)) {
    if (call.deviceId) return new DeviceNotFoundError(call.deviceId, call.deviceField);
    // The job was just read: its report, not the job, is missing.
    if (call.jobId && call.operation === "batchReport") return new BatchReportNotFoundError(call.jobId);
    if (call.jobId) return new BatchJobNotFoundError(call.jobId);
    if (call.certificatePolicyId && call.operation === "template") {
      return new CertificatePolicyNotFoundError(call.certificatePolicyId);
    }
  }
  if (status === 413) {
    return new ValidationError("input.file", "The upload is larger than DigiCert ONE accepts.");
  }
  return toUpstreamDomainError(error, call.idempotent);
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
  if (field === null && call.deviceId) {
    const path = call.deviceField ?? "input.id";
    if (call.operation === "delete") {
      return new ValidationError(
        path,
        "DigiCert ONE refused to delete this device: a device is disabled (disableDevice) before it is deleted.",
      );
    }
    if (call.operation === "bootstrap") {
      return new ValidationError(
        path,
        "DigiCert ONE has no bootstrap configuration to download for this device now (a disabled device has none).",
      );
    }
    return new ValidationError(path, "DigiCert ONE refused to disable this device.");
  }
  if (field !== null && /(^|\.)csr$/.test(field)) {
    return new InvalidCsrError("DigiCert ONE refused the CSR for this certificate policy.");
  }
  return refusedValue(field ? toDtmInputPath(field) : "input");
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
  reason: "input.reason",
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
