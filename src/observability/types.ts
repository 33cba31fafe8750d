/**
 * What the stores, the tenants and the resolvers report to the metrics, and the no-op that stands in when metrics are
 * off. A leaf (types and constants only), so any layer may import it.
 */

/** The shared* ones are the tiers in Redis (REDIS_URL) under the instance's own reports and job kinds. */
export type CacheName = "parsedCertificates" | "reports" | "jobKinds" | "sharedReports" | "sharedJobKinds";

/**
 * Why an uploaded batch file was refused, a metric label: the kind of its first problem, never its message.
 * `empty` and `too_large`: the file's size; `encrypted`, `corrupt`: a ZIP that cannot be read; `over_limit`: too many
 * rows or entries, or a ZIP that inflates too far; `not_batch_file`: neither a CSV nor a ZIP of CSV or CSR files;
 * `header`: the CSV's header row (missing, unknown or repeated columns); `row`: a row's cells (values, CSRs,
 * formulas); `zip_entry`: a ZIP entry (its name, kind, a nested archive, a CSR file); `other`: anything else.
 */
export const UPLOAD_REFUSAL_REASONS = [
  "empty",
  "too_large",
  "encrypted",
  "corrupt",
  "over_limit",
  "not_batch_file",
  "header",
  "row",
  "zip_entry",
  "other",
] as const;
export type UploadRefusalReason = (typeof UPLOAD_REFUSAL_REASONS)[number];

/** What the rest of the app reports; every method is a cheap no-op when metrics are off. */
export interface GatewayMetrics {
  rateLimited(): void;
  uploadReceived(bytes: number): void;
  uploadRefused(reason: UploadRefusalReason): void;
  cacheLookup(cache: CacheName, hit: boolean): void;
  /** One poll of a batch job: read (`ok`), gone (`not_found`) or failed (`error`). */
  jobPoll(outcome: "ok" | "not_found" | "error"): void;
  /** Gauges read at scrape time. */
  watchJobs(source: { readonly activePollers: number }): void;
  /** The shared store's state, read at scrape time (gateway_shared_store_up); not called without one. */
  watchSharedStore(source: { readonly available: boolean }): void;
}

export const NO_METRICS: GatewayMetrics = Object.freeze({
  rateLimited() {},
  uploadReceived() {},
  uploadRefused() {},
  cacheLookup() {},
  jobPoll() {},
  watchJobs() {},
  watchSharedStore() {},
});
