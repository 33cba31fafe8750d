/** Identifiers shared by the products, validated and branded: only these reach an upstream URL. Imports the model only. */
import { ValidationError } from "./errors.js";

/** Identifiers that passed validation; only these reach an upstream URL. */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };
export type SerialNumber = Brand<string, "SerialNumber">;
export type Uuid = Brand<string, "Uuid">;
export type RequestId = Brand<string, "RequestId">;

const SERIAL = /^[0-9A-Fa-f]{1,40}$/;
const UUID_TEXT = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const UUID = new RegExp(`^${UUID_TEXT}$`, "i");
// IoT enrollment profiles and DTM certificate policies share the form IOT_<uuid>.
const IOT_ID = new RegExp(`^IOT_(${UUID_TEXT})$`, "i");
// TLM documents no format for request ids; letters, digits and dashes cover UUIDs and CA-native ids.
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

// Bytes separated by colons or spaces ("0F:6F:A1", "0f 6f a1"), as certificate viewers and some tools print them.
const SEPARATED_SERIAL = /^[0-9A-Fa-f]{1,2}(?:[: ][0-9A-Fa-f]{2})+$/;

/**
 * A serial as DigiCert or a caller may write it: 1 to 40 hex digits in any case, or hex bytes separated by colons or
 * spaces. Normalised to DigiCert's form (uppercase, no separators); null when it is none of these.
 */
export function toSerialNumber(value: unknown): SerialNumber | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  const hex = SEPARATED_SERIAL.test(trimmed) ? trimmed.replace(/[: ]/g, "") : trimmed;
  return SERIAL.test(hex) ? (hex.toUpperCase() as SerialNumber) : null;
}

/** A serial `toSerialNumber` reads. */
export function isSerialNumber(value: string): boolean {
  return toSerialNumber(value) !== null;
}

export function parseSerialNumber(value: string, field = "serialNumber"): SerialNumber {
  const serial = toSerialNumber(value);
  if (!serial) {
    throw new ValidationError(
      field,
      "A serial number is 1 to 40 hexadecimal characters (bytes may be separated by colons).",
    );
  }
  return serial;
}

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** A UUID, lowercased, as the brand T; anything else is a ValidationError with `message`. */
export function uuidAs<T extends string>(value: unknown, field: string, message: string): T {
  if (!isUuid(value)) throw new ValidationError(field, message);
  return value.toLowerCase() as T;
}

export function isIotId(value: unknown): value is string {
  return typeof value === "string" && IOT_ID.test(value);
}

/** `IOT_<uuid>`, normalised to the IOT_ prefix and a lowercase UUID, as the brand T; else a ValidationError. */
export function iotIdAs<T extends string>(value: unknown, field: string, message: string): T {
  const uuid = typeof value === "string" ? IOT_ID.exec(value)?.[1] : undefined;
  if (!uuid) throw new ValidationError(field, message);
  return `IOT_${uuid.toLowerCase()}` as T;
}

export function parseUuid(value: string, field: string): Uuid {
  if (!UUID.test(value)) {
    throw new ValidationError(field, "Expected a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.");
  }
  return value.toLowerCase() as Uuid;
}

export function parseRequestId(value: string, field = "requestId"): RequestId {
  if (!REQUEST_ID.test(value)) {
    throw new ValidationError(field, "A request id is 1 to 64 letters, digits or dashes.");
  }
  return value as RequestId;
}
