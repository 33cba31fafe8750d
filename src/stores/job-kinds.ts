/**
 * App-wide: which product runs a batch job, by tenant scope and DigiCert's bare job id. A job id belongs to one
 * product for good, so what is kept never goes stale. Imports the model only.
 */
import { LRUCache } from "lru-cache";
import type { BatchJobKind } from "../model/batch.js";

/** A kind, or the one first read every concurrent caller shares; null: neither product has the job. */
export type JobKindCache = LRUCache<string, Promise<BatchJobKind | null>>;

export function createJobKindCache(max = 50_000): JobKindCache {
  return new LRUCache({ max });
}
