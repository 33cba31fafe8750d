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

/** DigiCert prints serials as uppercase hex of at most 40 characters. */
export function isSerialNumber(value: string): boolean {
  return SERIAL.test(value);
}

export function parseSerialNumber(value: string, field = "serialNumber"): SerialNumber {
  if (!SERIAL.test(value)) {
    throw new ValidationError(field, "A serial number is 1 to 40 hexadecimal characters.");
  }
  return value.toUpperCase() as SerialNumber;
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
