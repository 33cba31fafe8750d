/**
 * App-wide: parsed certificates by PEM, shared by every request and tenant (certificates are public and immutable,
 * and parsing is pure). Imports the model and the observability types only.
 */
import type { LRUCache } from "lru-cache";
import type { ParsedCertificate } from "../model/x509.js";
import { type GatewayMetrics, NO_METRICS } from "../observability/types.js";
import { CountedLRUCache } from "./counted-lru.js";

export type ParsedCertificateCache = LRUCache<string, ParsedCertificate>;

/** Each `get` counts one lookup (hit or miss). */
export function createParsedCertificateCache(
  max = 5_000,
  metrics: GatewayMetrics = NO_METRICS,
): ParsedCertificateCache {
  return new CountedLRUCache("parsedCertificates", metrics, { max });
}
