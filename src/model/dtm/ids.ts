/** Device Trust Manager identifiers: only these branded values reach an upstream path. */
import { type Brand, iotIdAs, isIotId, isUuid, uuidAs } from "../ids.js";
import { idLike } from "../read.js";

/** A device group's UUID, lowercase. */
export type DtmDeviceGroupId = Brand<string, "DtmDeviceGroupId">;
/** `IOT_<uuid>` [C], normalised to the `IOT_` prefix and a lowercase UUID. */
export type DtmCertificatePolicyId = Brand<string, "DtmCertificatePolicyId">;
/** A device's UUID, lowercase. */
export type DtmDeviceId = Brand<string, "DtmDeviceId">;
/** A batch job's UUID, lowercase. */
export type DtmBatchJobId = Brand<string, "DtmBatchJobId">;

function uuid<T extends string>(value: unknown, field: string, what: string): T {
  return uuidAs(value, field, `A ${what} id is a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.`);
}

export function parseDtmDeviceGroupId(value: string, field = "deviceGroupId"): DtmDeviceGroupId {
  return uuid(value, field, "device group");
}

export function parseDtmDeviceId(value: string, field = "id"): DtmDeviceId {
  return uuid(value, field, "device");
}

export function parseDtmBatchJobId(value: string, field = "id"): DtmBatchJobId {
  return uuid(value, field, "batch job");
}

export function isDtmCertificatePolicyId(value: string): boolean {
  return isIotId(value);
}

export function parseDtmCertificatePolicyId(
  value: string,
  field = "certificatePolicyId",
): DtmCertificatePolicyId {
  return iotIdAs(
    value,
    field,
    "A certificate policy id is IOT_ and a UUID, e.g. IOT_4ee527fa-bebc-4557-aacb-9b5eed984dd4.",
  );
}

/** Upstream ids read back from JSON: kept only when well-formed, else null. */
export function maybeUuid<T extends string>(value: unknown): T | null {
  return isUuid(value) ? (value.toLowerCase() as T) : null;
}

export function maybePolicyId(value: unknown): DtmCertificatePolicyId | null {
  return isIotId(value) ? parseDtmCertificatePolicyId(value) : null;
}

/** Where DTM's create answers may nest the new id [I]: the docs give no shape. */
const CREATED_ENVELOPES = ["data", "job", "result", "device"] as const;

/**
 * The id a create call answered with, read liberally [I]: one of `keys` (compared case-insensitively, `_` ignored:
 * `job_id`, `jobId` and `JOBID` alike) at the top level or inside `data`, `job`, `result` or `device`, or a bare JSON
 * string; kept only when it is a UUID (it will reach an upstream path). Null when none is.
 */
export function createdId<T extends string>(wire: unknown, keys: readonly string[]): T | null {
  const id = findCreated(wire, keys, isUuid);
  return id === null ? null : (id.toLowerCase() as T);
}

/**
 * Any value under `keys` (as `createdId` searches) that looks like an id but is not a UUID, e.g. a numeric job id:
 * what an outcome-unknown error carries back, so the caller can look for it. Null when there is none.
 */
export function createdIdLike(wire: unknown, keys: readonly string[]): string | null {
  return findCreated(wire, keys, (value) => idLike(value) !== null, idLike);
}

function findCreated(
  wire: unknown,
  keys: readonly string[],
  accept: (value: unknown) => boolean,
  read: (value: unknown) => string | null = (value) => (typeof value === "string" ? value : null),
): string | null {
  if (typeof wire === "string" || typeof wire === "number") return accept(wire) ? read(wire) : null;
  if (typeof wire !== "object" || wire === null || Array.isArray(wire)) return null;
  const wanted = new Set(keys.map(normaliseKey));
  const record = wire as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (wanted.has(normaliseKey(key)) && accept(value)) return read(value);
  }
  for (const envelope of CREATED_ENVELOPES) {
    const inner = record[envelope];
    if (typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
      const id = findCreated(inner, keys, accept, read);
      if (id) return id;
    }
  }
  return null;
}

function normaliseKey(key: string): string {
  return key.replaceAll("_", "").toLowerCase();
}
