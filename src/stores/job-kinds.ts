/**
 * App-wide: which product runs a batch job, by tenant scope and DigiCert's bare job id. A job id belongs to one
 * product for good, so what is kept never goes stale. Imports the model and the observability types only.
 */
import type { LRUCache } from "lru-cache";
import type { BatchJobKind } from "../model/batch.js";
import { type GatewayMetrics, NO_METRICS } from "../observability/types.js";
import { CountedLRUCache } from "./counted-lru.js";

/** A kind, or the one first read every concurrent caller shares; null: neither product has the job. */
export type JobKindCache = LRUCache<string, Promise<BatchJobKind | null>>;

/** Each `get` counts one lookup (hit or miss). */
export function createJobKindCache(max = 50_000, metrics: GatewayMetrics = NO_METRICS): JobKindCache {
  return new CountedLRUCache("jobKinds", metrics, { max });
}
