/** IoT Trust Manager identifiers: only these branded values reach an upstream path. */
import { ValidationError } from "../errors.js";
import {
  type Brand,
  iotIdAs,
  isIotId,
  isSerialNumber,
  isUuid,
  parseSerialNumber,
  type SerialNumber,
  uuidAs,
} from "../ids.js";

/** `IOT_<uuid>`, normalised to the `IOT_` prefix and a lowercase UUID. */
export type IotProfileId = Brand<string, "IotProfileId">;
/** A device certificate's UUID, lowercase. */
export type DeviceCertificateId = Brand<string, "DeviceCertificateId">;
/** A batch job's UUID, lowercase (the docs' example and the simulator both use UUIDs). */
export type BatchJobId = Brand<string, "BatchJobId">;
/** IoT paths take a certificate's id or its serial number; the two never look alike (dashes). */
export type DeviceCertificateRef = DeviceCertificateId | SerialNumber;

export function isIotProfileId(value: unknown): value is string {
  return isIotId(value);
}

export function parseIotProfileId(value: string, field = "enrollmentProfileId"): IotProfileId {
  return iotIdAs(
    value,
    field,
    "An IoT enrollment profile id is IOT_ and a UUID, e.g. IOT_3fa85f64-5717-4562-b3fc-2c963f66afa6.",
  );
}

export function parseDeviceCertificateId(value: string, field = "id"): DeviceCertificateId {
  return uuidAs(
    value,
    field,
    "A device certificate id is a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.",
  );
}

/** A certificate id (UUID) or serial number (1 to 40 hex characters). */
export function parseDeviceCertificateRef(value: string, field = "id"): DeviceCertificateRef {
  if (isUuid(value)) return value.toLowerCase() as DeviceCertificateId;
  if (isSerialNumber(value)) return parseSerialNumber(value, field);
  throw new ValidationError(
    field,
    "Expected a device certificate id (a UUID) or a serial number (hexadecimal).",
  );
}

export function parseBatchJobId(value: string, field = "id"): BatchJobId {
  return uuidAs(value, field, "A batch job id is a UUID such as e6006353-ba03-4909-afc8-c611f00d7644.");
}
