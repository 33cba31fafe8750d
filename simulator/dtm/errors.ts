import { ApiError } from "../errors.js";

// Device Trust Manager's error body is a single object, {"error":{"code","message"}} [C] (DigiCert's registration test
// reads error.code == "03" for a duplicate device name). Other codes are the dev portal's machine codes
// (invalid_request, invalid_api_key, access_denied, resource_not_found) [C S9]; which DTM errors use which is [I].

/** Duplicate device name [C]. */
export const DUPLICATE_NAME = "03";

/** TLM-style codes raised by shared code, in DTM's spelling [I]. */
const CODES: Readonly<Record<string, string>> = {
  invalid_input_field: "invalid_request",
  no_access: "access_denied",
};

/** The DTM code of an error (as used in the envelope and in job reports). */
export function dtmCode(error: ApiError): string {
  return CODES[error.code] ?? error.code;
}

/** The message, led by the field it is about unless it starts with it already ("data: The CSV file has ..."). */
export function dtmMessage(error: ApiError): string {
  return error.field && !error.message.startsWith(error.field)
    ? `${error.field}: ${error.message}`
    : error.message;
}

export function dtmErrorBody(error: ApiError): { error: { code: string; message: string } } {
  return { error: { code: dtmCode(error), message: dtmMessage(error) } };
}

/** 409 with code "03" [C code; I status: DigiCert's test retries 409, which fits a name still held after delete]. */
export function duplicateName(name: string): ApiError {
  return new ApiError(
    409,
    DUPLICATE_NAME,
    `A device named ${JSON.stringify(name.slice(0, 64))} already exists in the device group`,
  );
}
