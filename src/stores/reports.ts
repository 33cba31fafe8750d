/**
 * App-wide: Device Trust Manager job reports by tenant and job state. A report is fixed for a given job state, so one
 * download serves every request and subscriber watching it. Imports the model and the DTM datasource's type.
 */
import { LRUCache } from "lru-cache";
import type { DtmClient } from "../datasources/dtm/client.js";
import type { DeviceRegistrationReport } from "../model/dtm/batch-job.js";
import type { DtmBatchJobId } from "../model/dtm/ids.js";

/** Reports by tenant and job state, bounded by rows held; concurrent reads of one key share one download. */
export type ReportCache = LRUCache<
  string,
  DeviceRegistrationReport,
  { dtm: DtmClient; jobId: DtmBatchJobId }
>;

export function createReportCache(maxRows = 200_000): ReportCache {
  return new LRUCache({
    maxSize: maxRows,
    sizeCalculation: (report) => report.rows.length + 1,
    ttl: 10 * 60_000,
    fetchMethod: (_key, _stale, { context }) => context.dtm.downloadReportJson(context.jobId),
  });
}
