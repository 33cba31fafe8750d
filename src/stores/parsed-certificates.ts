/**
 * App-wide: parsed certificates by PEM, shared by every request and tenant (certificates are public and immutable,
 * and parsing is pure). Imports the model only.
 */
import { LRUCache } from "lru-cache";
import type { ParsedCertificate } from "../model/x509.js";

export type ParsedCertificateCache = LRUCache<string, ParsedCertificate>;

export function createParsedCertificateCache(max = 5_000): ParsedCertificateCache {
  return new LRUCache({ max });
}
