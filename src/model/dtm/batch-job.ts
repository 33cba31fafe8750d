/** Device Trust Manager batch registration jobs, the filter they are listed by, and each job's per-row report. */
import { type BatchJob, batchJobProgress } from "../batch.js";
import { UpstreamInvalidResponseError, UpstreamOutcomeUnknownError, ValidationError } from "../errors.js";
import { isUuid } from "../ids.js";
import { count, isObject, oneOf, str, toDate } from "../read.js";
import { entries, type ListPage, type PartlyReadable, toListPage } from "../iot/list.js";
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
  createdId,
  createdIdLike,
  maybePolicyId,
  maybeUuid,
} from "./ids.js";
import type { WireDtmBatchJob, WireDtmBatchJobFilter, WireDtmReport, WireDtmReportRow } from "./wire.js";

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

/** A job as DigiCert sends it: only the id is required; a status it does not know (or none) is UNKNOWN. */
export function toDtmBatchJob(wire: WireDtmBatchJob): DtmBatchJob {
  if (!isObject(wire) || !isUuid(wire.id)) throw new UpstreamInvalidResponseError();
  const group: Record<string, unknown> = isObject(wire.device_group) ? wire.device_group : {};
  const policy: Record<string, unknown> = isObject(wire.certificate_policy) ? wire.certificate_policy : {};
  const emails = (list: unknown) =>
    Array.isArray(list) ? list.filter((entry): entry is string => typeof entry === "string") : [];
  return {
    id: wire.id.toLowerCase() as DtmBatchJobId,
    kind: "DTM_DEVICE_REGISTRATION",
    name: str(wire.name),
    status: oneOf(DTM_JOB_STATUSES, wire.status) ?? "UNKNOWN",
    ...batchJobProgress(wire),
    deviceGroupId: maybeUuid(group.id),
    deviceGroupName: str(group.name),
    certificatePolicyId: maybePolicyId(policy.id),
    certificatePolicyName: str(policy.name),
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

export function toDtmBatchJobPage(wire: unknown): ListPage<DtmBatchJob> {
  return toListPage(wire, (record) => toDtmBatchJob(record as WireDtmBatchJob));
}

/**
 * The created job's id from POST .../jobs. The docs say only "200 OK, the ID of the newly created batch job" [C], not
 * its shape: `{id}` (the simulator's), `{ID}`, `{job_id}`, `{jobId}`, any of those inside `data`, `job` or
 * `result`, or the id as a bare JSON string, are all read [I]. No UUID there is UpstreamOutcomeUnknownError (the upload
 * was accepted), carrying any id-like value it did hold (a numeric job id, say).
 */
export function toCreatedDtmBatchJobId(wire: unknown): DtmBatchJobId {
  const id = createdId<DtmBatchJobId>(wire, JOB_ID_KEYS);
  if (!id) throw new UpstreamOutcomeUnknownError(createdIdLike(wire, JOB_ID_KEYS));
  return id;
}

const JOB_ID_KEYS = ["id", "job_id", "batch_job_id"];

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
export interface DeviceRegistrationRow extends PartlyReadable<"row"> {
  /** From 1, the first data row after the header; null when DigiCert's could not be read. */
  row: number | null;
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
  /** Rows DigiCert sent that were not even objects, left out. */
  skipped: number;
}

/** A report row: a row number that cannot be read is null (and named); the rest of the row stands. */
export function toDeviceRegistrationRow(wire: WireDtmReportRow): DeviceRegistrationRow {
  if (!isObject(wire)) throw new UpstreamInvalidResponseError();
  const row = count(wire.row);
  return {
    row: row !== null && row >= 1 ? row : null,
    deviceName: str(wire.device_name),
    deviceId: maybeUuid(wire.device_id),
    status: oneOf(REGISTRATION_ROW_STATUSES, wire.status) ?? "UNKNOWN",
    errorCode: typeof wire.error_code === "number" ? String(wire.error_code) : str(wire.error_code),
    errorMessage: str(wire.error),
    unreadable: row !== null && row >= 1 ? [] : ["row"],
  };
}

/**
 * GET .../download/report?format=json. `jobId` is the job asked for, used when the body does not name one. The rows
 * are `rows` (or `records`, `items`, or the body itself as a bare array); a row that is not an object is left out and
 * counted. A body with no rows list is UpstreamInvalidResponseError.
 */
export function toDeviceRegistrationReport(
  wire: WireDtmReport,
  jobId?: DtmBatchJobId,
): DeviceRegistrationReport {
  const body: Record<string, unknown> = isObject(wire) ? wire : {};
  const list: unknown = Array.isArray(wire)
    ? wire
    : [body.rows, body.records, body.items].find((candidate) => Array.isArray(candidate));
  const id = maybeUuid<DtmBatchJobId>(body.job_id) ?? jobId ?? null;
  if (!Array.isArray(list) || !id) throw new UpstreamInvalidResponseError();
  const { items, skipped } = entries(list, (row) => toDeviceRegistrationRow(row as WireDtmReportRow));
  return {
    jobId: id,
    status: oneOf(DTM_JOB_STATUSES, body.status) ?? "UNKNOWN",
    total: count(body.total),
    success: count(body.success),
    failed: count(body.failed),
    rows: items,
    skipped,
  };
}
