/**
 * Readers for values in DigiCert's JSON, shared by the product models: liberal in what they accept, and a
 * malformed value reads as null (or is left out of a list). Imports only the model's errors.
 */
import { UpstreamInvalidResponseError } from "./errors.js";

// "2024-05-01", "2024-05-01 10:00:00", "2024-05-01T10:00:00.123": a date and time with no zone.
const ZONELESS = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$/;
// Epoch numbers at or above this are milliseconds (from 1973 on); below it, seconds (up to 5138).
const EPOCH_MS_FROM = 1e11;

/**
 * A point in time as DigiCert writes one: an ISO 8601 string with a zone; a date or date-time with no zone, read as
 * UTC (DigiCert ONE keeps UTC; `new Date` would read it as the gateway's local time); or epoch seconds or
 * milliseconds, as a number or a string of digits. Anything else is null.
 */
export function toDate(value: unknown): Date | null {
  let date: Date;
  if (typeof value === "number" || (typeof value === "string" && /^\d{9,16}$/.test(value.trim()))) {
    const epoch = Number(value);
    if (!Number.isFinite(epoch) || epoch < 0) return null;
    date = new Date(epoch >= EPOCH_MS_FROM ? epoch : epoch * 1000);
  } else if (typeof value === "string" && value.trim() !== "") {
    const text = value.trim();
    date = new Date(
      ZONELESS.test(text) ? `${text.replace(" ", "T")}${text.length === 10 ? "T00:00:00" : ""}Z` : text,
    );
  } else {
    return null;
  }
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A count: a non-negative integer, or a string of digits (some answers quote numbers); else null. */
export function count(value: unknown): number | null {
  const number = typeof value === "string" && /^\d{1,15}$/.test(value.trim()) ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) && number >= 0 ? number : null;
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

/**
 * A value that looks like an identifier (letters, digits and `:._-`, at most 128): what an UpstreamOutcomeUnknownError
 * may carry back to the caller when DigiCert's answer named something the gateway cannot use (a certificate id that
 * is not a UUID, a job id of another form). Null for anything else, which is never echoed.
 */
export function idLike(value: unknown): string | null {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  return typeof text === "string" && /^[A-Za-z0-9:._-]{1,128}$/.test(text.trim()) ? text.trim() : null;
}
