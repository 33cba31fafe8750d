/** Device Trust Manager batch registration jobs, the filter they are listed by, and each job's per-row report. */
import type { BatchJob } from "../batch.js";
import { UpstreamInvalidResponseError, ValidationError } from "../errors.js";
import { isUuid } from "../ids.js";
import { count, isObject, oneOf, type Page, str, toDate, toPage } from "../read.js";
import {
  DEVICE_REGISTRATION_JOB_TYPE,
  DTM_JOB_STATUSES,
  type DtmJobStatus,
  type DtmKeyType,
  REGISTRATION_ROW_STATUSES,
  type RegistrationRowStatus,
  toDtmKeyType,
} from "./enums.js";
import {
  type DtmBatchJobId,
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  type DtmDeviceId,
  maybePolicyId,
  maybeUuid,
} from "./ids.js";
import type {
  WireDtmBatchJob,
  WireDtmBatchJobFilter,
  WireDtmPage,
  WireDtmReport,
  WireDtmReportRow,
} from "./wire.js";

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

export function toDtmBatchJobPage(wire: WireDtmPage<WireDtmBatchJob>): Page<DtmBatchJob> {
  return toPage(wire, toDtmBatchJob);
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
