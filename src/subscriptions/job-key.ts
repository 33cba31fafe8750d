import { BATCH_JOB_KINDS, type BatchJobKind } from "../model/batch.js";

/**
 * The job watcher's key for one tenant's job: `${tenant}|${kind}|${jobId}`. Tenants never share a key, so never a
 * poller or a snapshot. The tenant comes first and may itself hold the separator.
 */
export function jobKey(tenant: string, kind: BatchJobKind, jobId: string): string {
  return `${tenant}|${kind}|${jobId}`;
}

/** The parts of a `jobKey`; `kind` is null when the key names no known product. */
export function parseJobKey(key: string): { tenant: string; kind: BatchJobKind | null; jobId: string } {
  const last = key.lastIndexOf("|");
  const middle = key.lastIndexOf("|", last - 1);
  const kind = key.slice(middle + 1, last);
  return {
    tenant: key.slice(0, Math.max(middle, 0)),
    kind: BATCH_JOB_KINDS.find((known) => known === kind) ?? null,
    jobId: key.slice(last + 1),
  };
}
