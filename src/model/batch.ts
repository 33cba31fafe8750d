/**
 * What every batch job shows, whichever product runs it: IoT Trust Manager batch enrollment and Device
 * Trust Manager device registration. Each product's model maps its own statuses into this one list.
 */

import { count, toDate } from "./read.js";

/** What a PENDING_APPROVAL job can be told, in either product. */
export type BatchDecision = "approve" | "reject";

export const BATCH_JOB_KINDS = ["IOT_ENROLLMENT", "DTM_DEVICE_REGISTRATION"] as const;
export type BatchJobKind = (typeof BATCH_JOB_KINDS)[number];

/** The union of both products' statuses (IoT: APPROVED; DTM: PENDING and the rejection states). */
export const BATCH_JOB_STATUSES = [
  "PENDING",
  "PENDING_APPROVAL",
  "APPROVED",
  "IN_PROGRESS",
  "COMPLETE",
  "FAILED",
  "TERMINATED",
  "PENDING_REJECTION",
  "REJECTION_IN_PROGRESS",
  "REJECTED",
  "UNKNOWN",
] as const;
export type BatchJobStatus = (typeof BATCH_JOB_STATUSES)[number];

/** No further change follows these, for either product. */
export const TERMINAL_BATCH_JOB_STATUSES: ReadonlySet<BatchJobStatus> = new Set([
  "COMPLETE",
  "FAILED",
  "TERMINATED",
  "REJECTED",
]);

export interface BatchJob {
  /** DigiCert's job id (a UUID). */
  id: string;
  kind: BatchJobKind;
  name: string | null;
  status: BatchJobStatus;
  total: number | null;
  success: number | null;
  failed: number | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  completedAt: Date | null;
}

/** The counts and times both products send under the same names (`total`, `success`, ..., `completed_at`). */
export function batchJobProgress(
  wire: Record<string, unknown>,
): Pick<BatchJob, "total" | "success" | "failed" | "createdAt" | "updatedAt" | "completedAt"> {
  return {
    total: count(wire.total),
    success: count(wire.success),
    failed: count(wire.failed),
    createdAt: toDate(wire.created_at),
    updatedAt: toDate(wire.updated_at),
    completedAt: toDate(wire.completed_at),
  };
}

/** A job as JSON for the shared store (its times as ISO strings); decodeBatchJob reads it back. */
export function encodeBatchJob(job: BatchJob): Record<string, unknown> {
  return {
    ...job,
    createdAt: job.createdAt?.toISOString() ?? null,
    updatedAt: job.updatedAt?.toISOString() ?? null,
    completedAt: job.completedAt?.toISOString() ?? null,
  };
}

/** What encodeBatchJob made (from another instance, through Redis), checked; null when it is not a job. */
export function decodeBatchJob(json: unknown): BatchJob | null {
  if (typeof json !== "object" || json === null) return null;
  const wire = json as Record<string, unknown>;
  const kind = BATCH_JOB_KINDS.find((known) => known === wire.kind);
  const status = BATCH_JOB_STATUSES.find((known) => known === wire.status);
  if (typeof wire.id !== "string" || !kind || !status) return null;
  return {
    id: wire.id,
    kind,
    name: typeof wire.name === "string" ? wire.name : null,
    status,
    ...batchJobProgress(wire),
    createdAt: toDate(wire.createdAt),
    updatedAt: toDate(wire.updatedAt),
    completedAt: toDate(wire.completedAt),
  };
}
