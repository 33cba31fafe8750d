/**
 * App-wide: Device Trust Manager job reports by tenant and job state. A report is fixed for a given job state, so one
 * download serves every request and subscriber watching it. Imports the model, the DTM datasource's type and the
 * observability types.
 */
import { LRUCache } from "lru-cache";
import type { DtmClient } from "../datasources/dtm/client.js";
import type { DeviceRegistrationReport } from "../model/dtm/batch-job.js";
import type { DtmBatchJobId } from "../model/dtm/ids.js";
import { type GatewayMetrics, NO_METRICS } from "../observability/types.js";
import type { SharedCache } from "./shared-cache.js";

interface ReportContext {
  dtm: DtmClient;
  jobId: DtmBatchJobId;
}

type FetchOptions = LRUCache.FetchOptionsWithContext<string, DeviceRegistrationReport, ReportContext>;

/** Reports by tenant and job state, bounded by rows held; concurrent reads of one key share one download. */
export type ReportCache = LRUCache<string, DeviceRegistrationReport, ReportContext>;

/**
 * Each `fetch` counts one lookup: a hit when the report was there, a miss otherwise (a download started, joined or
 * refreshed).
 */
class CountedReportCache extends LRUCache<string, DeviceRegistrationReport, ReportContext> {
  readonly #metrics: GatewayMetrics;

  constructor(
    maxRows: number,
    metrics: GatewayMetrics,
    shared: SharedCache<DeviceRegistrationReport> | null,
  ) {
    super({
      maxSize: maxRows,
      sizeCalculation: (report) => report.rows.length + 1,
      ttl: REPORT_TTL_MS,
      // Another instance's download first (shared store), else DigiCert's, then shared.
      fetchMethod: async (key, _stale, { context }) => {
        const known = await shared?.get(key);
        if (known) return known;
        const report = await context.dtm.downloadReportJson(context.jobId);
        shared?.set(key, report);
        return report;
      },
    });
    this.#metrics = metrics;
  }

  override fetch(key: string, options: FetchOptions): Promise<DeviceRegistrationReport | undefined>;
  override fetch(key: never, options?: undefined): Promise<DeviceRegistrationReport | undefined>;
  override fetch(key: string, options?: FetchOptions): Promise<DeviceRegistrationReport | undefined> {
    if (!options) throw new TypeError("A report fetch needs its context.");
    const status: LRUCache.Status<string, DeviceRegistrationReport, ReportContext> = options.status ?? {};
    // lru-cache sets status.fetch before fetch() first awaits.
    const result = super.fetch(key, { ...options, status });
    this.#metrics.cacheLookup("reports", status.fetch === "hit");
    return result;
  }
}

export const REPORT_TTL_MS = 10 * 60_000;

/** `shared`: the tier in Redis under this cache (REDIS_URL), or null. */
export function createReportCache(
  maxRows = 200_000,
  metrics: GatewayMetrics = NO_METRICS,
  shared: SharedCache<DeviceRegistrationReport> | null = null,
): ReportCache {
  return new CountedReportCache(maxRows, metrics, shared);
}

/** A report read back from the shared store: the shape this cache stores, else null (a miss). */
export function decodeSharedReport(json: unknown): DeviceRegistrationReport | null {
  if (typeof json !== "object" || json === null) return null;
  const report = json as Partial<DeviceRegistrationReport>;
  return typeof report.jobId === "string" && Array.isArray(report.rows) && typeof report.skipped === "number"
    ? (report as DeviceRegistrationReport)
    : null;
}
