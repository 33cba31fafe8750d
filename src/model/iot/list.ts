/**
 * Reading lists and records as IoT Trust Manager and Device Trust Manager send them, shared by both products' models
 * (they share DigiCert ONE's `{records, total, offset, limit}` convention). Liberal on the envelope, and one record
 * that cannot be read never sinks its page; fields DigiCert sent but the gateway could not read are named, so the
 * schema answers each with a coded field error instead of failing the record. Imports only the model.
 */
import { UpstreamInvalidResponseError } from "../errors.js";
import { isObject, type Page, toPage } from "../read.js";

/** A page, and how many of DigiCert's records it left out because not even their id could be read. */
export interface ListPage<T> extends Page<T> {
  skipped: number;
}

// The envelopes seen [C3 S21/S22: records; LOW S27: items, data, and bare arrays for bearer-token calls].
const LIST_KEYS = ["records", "items", "data"] as const;

/**
 * A list page in any of DigiCert's shapes: `{records}` (documented), `{items}`, `{data}`, or a bare array (then total,
 * offset and limit are null). `map` reads one record and throws UpstreamInvalidResponseError when it cannot identify
 * it: that record is left out and counted in `skipped`, the rest of the page stands. A body with no list at all is
 * UpstreamInvalidResponseError.
 */
export function toListPage<T>(wire: unknown, map: (record: unknown) => T): ListPage<T> {
  let envelope: unknown = wire;
  if (Array.isArray(wire)) {
    envelope = { records: wire };
  } else if (isObject(wire) && !Array.isArray(wire.records)) {
    const list = LIST_KEYS.map((key) => wire[key]).find(Array.isArray);
    if (list) envelope = { ...wire, records: list };
  }
  let skipped = 0;
  const page = toPage(envelope as { records: unknown[] }, (record) => {
    const item = readOrSkip(() => map(record));
    if (item === null) skipped += 1;
    return item;
  });
  return { ...page, items: page.items.filter((item): item is T => item !== null), skipped };
}

/** The entries of a list inside a record (`rows`, `certificates`...): `map` returns null to leave one out. */
export function entries<T>(
  list: unknown,
  map: (entry: unknown) => T | null,
): { items: T[]; skipped: number } {
  const items: T[] = [];
  let skipped = 0;
  for (const entry of Array.isArray(list) ? list : []) {
    const item = readOrSkip(() => map(entry));
    if (item === null) skipped += 1;
    else items.push(item);
  }
  return { items, skipped };
}

function readOrSkip<T>(read: () => T | null): T | null {
  try {
    return read();
  } catch (error) {
    if (error instanceof UpstreamInvalidResponseError) return null;
    throw error;
  }
}

/** A record some of whose fields DigiCert sent in a form the gateway could not read. */
export interface PartlyReadable<F extends string> {
  /** Those fields: each reads as null in the record, and the schema answers it with a coded error. */
  unreadable: readonly F[];
}

/**
 * `record[field]`, unless DigiCert sent that field in a form the gateway could not read: then
 * UpstreamInvalidResponseError, which fails that field alone (with code UPSTREAM_INVALID_RESPONSE).
 */
export function readField<R extends PartlyReadable<string>, K extends keyof R & R["unreadable"][number]>(
  record: R,
  field: K,
): R[K] {
  if (record.unreadable.includes(field)) throw new UpstreamInvalidResponseError();
  return record[field];
}

/** `readField`, for a field a consumer cannot do without (the PEM an x509 is parsed from): null is unreadable too. */
export function readPresent<R extends PartlyReadable<string>, K extends keyof R & R["unreadable"][number]>(
  record: R,
  field: K,
): NonNullable<R[K]> {
  const value = readField(record, field);
  if (value === null || value === undefined) throw new UpstreamInvalidResponseError();
  return value;
}

/**
 * A short text DigiCert sent (a name, a request id): trimmed, at most `max` characters, no control characters; a
 * number is read as its digits. Null when absent, empty or anything else.
 */
export function shortText(value: unknown, max: number): string | null {
  const text = typeof value === "string" ? value.trim() : typeof value === "number" ? String(value) : "";
  return text === "" || text.length > max || /[\u0000-\u001f\u007f]/.test(text) ? null : text;
}
