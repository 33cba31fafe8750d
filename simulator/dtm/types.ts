import type { DtmKeyType } from "./policies.js";

/** Device lifecycle states of the DTM API overview [C], uppercase as API enums [I]. */
export const DEVICE_STATUSES = ["REGISTERED", "PROVISIONED", "DISABLED"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** One `{name, value}` attribute, DTM's shape [C]. */
export interface DtmAttribute {
  readonly name: string;
  readonly value: string;
}

/** The bootstrap certificate settings a device was registered with (never a key or CSR). */
export interface DtmBootstrapPolicy {
  readonly certificatePolicyId: string;
  readonly serverSideKeyGen: boolean;
  readonly keyType: DtmKeyType;
  readonly keyFormat?: string;
  readonly keySyntax?: string;
  readonly attributes: readonly DtmAttribute[];
}

export interface DtmDevice {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly deviceGroupId: string;
  readonly registrationMethod: "API" | "BATCH";
  readonly bootstrap: readonly DtmBootstrapPolicy[];
  readonly createdAt: string;
  readonly batchJobId?: string;
  status: DeviceStatus;
  updatedAt: string;
  /** The reason given when it was disabled [C: the request's `reason`; kept and shown as `disable_reason` I]. */
  disableReason?: string;
}

/**
 * Job states. PENDING_APPROVAL, IN_PROGRESS, COMPLETE [C] (batch docs), FAILED [C] (report docs); the others are the
 * UI's labels in API spelling [I]: Pending, Terminated, Rejected, Pending rejection, Rejection in progress.
 */
export const JOB_STATUSES = [
  "PENDING",
  "IN_PROGRESS",
  "PENDING_APPROVAL",
  "COMPLETE",
  "FAILED",
  "TERMINATED",
  "PENDING_REJECTION",
  "REJECTION_IN_PROGRESS",
  "REJECTED",
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set([
  "COMPLETE",
  "FAILED",
  "TERMINATED",
  "REJECTED",
]);

export interface DtmBatchJob {
  readonly id: string;
  readonly name: string;
  readonly jobType: "device_registration";
  readonly deviceGroupId: string;
  readonly certificatePolicyId: string;
  readonly serverSideKeyGen: boolean;
  /** As requested, else the policy default for server-side keys; client-side jobs without key_type leave it out. */
  readonly keyType?: DtmKeyType;
  readonly fileName: string;
  readonly fileSize: number;
  /** "csv": the upload's CSV (plain or zipped); "csr_files": a ZIP of CSR files, normalised to device_name,csr. */
  readonly source: "csv" | "csr_files";
  readonly emails: readonly string[];
  readonly externalEmails: readonly string[];
  readonly passcodeGenerationOption?: boolean;
  readonly total: number;
  readonly createdAt: string;
  status: JobStatus;
  success: number;
  failed: number;
  updatedAt: string;
  startedAt?: string;
  processedAt?: string;
  approvedAt?: string;
  rejectedAt?: string;
  completedAt?: string;
  error?: string;
}

/** One line of a job report. Rows count from 1, the first data row after the header [I]. */
export interface ReportRow {
  readonly row: number;
  readonly device_name: string;
  readonly status: "SUCCESS" | "FAILED" | "REJECTED";
  readonly device_id?: string;
  readonly error_code?: string;
  readonly error?: string;
}
