/** Device Trust Manager identifiers: only these branded values reach an upstream path. */
import { type Brand, iotIdAs, isIotId, isUuid, uuidAs } from "../ids.js";

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
