/**
 * Readers for values in DigiCert's JSON, shared by the product models: liberal in what they accept, and a
 * malformed value reads as null (or is left out of a list). Imports only the model's errors.
 */
import { UpstreamInvalidResponseError } from "./errors.js";

/** An ISO date-time string as a Date; anything else, or an unparseable string, is null. */
export function toDate(value: unknown): Date | null {
  if (typeof value !== "string" || value === "") return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A count: a non-negative integer, else null. */
export function count(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null;
}

/** One of `list`, read trimmed and uppercased (DigiCert spells its enums in several cases); else null. */
export function oneOf<T extends string>(list: readonly T[], value: unknown): T | null {
  const upper = typeof value === "string" ? value.trim().toUpperCase() : "";
  return (list as readonly string[]).includes(upper) ? (upper as T) : null;
}

/** The values `read` recognises, in order, duplicates and unknown ones dropped; [] for a non-array. */
export function known<T extends string>(values: unknown, read: (value: unknown) => T | null): T[] {
  if (!Array.isArray(values)) return [];
  const out: T[] = [];
  for (const value of values) {
    const item = read(value);
    if (item && !out.includes(item)) out.push(item);
  }
  return out;
}

/** A non-empty string, else null. */
export function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A page of a listing, in DigiCert's `{records, total, offset, limit}` form. */
export interface Page<T> {
  items: T[];
  /** Matches in all, when DigiCert says. */
  total: number | null;
  offset: number | null;
  limit: number | null;
}

/** The `{records, total, offset, limit}` page IoT and DTM list with; `map` reads each record. */
export function toPage<W, T>(
  wire: { records: W[]; total?: unknown; offset?: unknown; limit?: unknown },
  map: (item: W) => T,
): Page<T> {
  if (!isObject(wire) || !Array.isArray(wire.records)) throw new UpstreamInvalidResponseError();
  return {
    items: wire.records.map(map),
    total: count(wire.total),
    offset: count(wire.offset),
    limit: count(wire.limit),
  };
}
