import { GraphQLError, Kind, type ValueNode } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import { isSerialNumber, isUuid, type SerialNumber, toSerialNumber, type Uuid } from "../model/ids.js";
import { builder } from "./builder.js";

builder.addScalarType("DateTime", DateTimeResolver, {
  description:
    "A date and time, RFC 3339 (section 5.6), e.g. 2025-01-31T12:00:00.000Z: always UTC, to the millisecond, on output; any offset on input. DigiCert's own times are to the second.",
  specifiedByURL: "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
});

/** Checks a string scalar during validation, before any resolver runs; the error names the scalar, and its code is
 * VALIDATION_FAILED, as for the same bad id sent inside a global id. */
function checked(name: string, description: string, check: (value: string) => boolean) {
  const parseValue = (value: unknown): string => {
    if (typeof value !== "string" || !check(value)) {
      throw new GraphQLError(`Not a valid ${name}: ${description}`, {
        extensions: { code: "VALIDATION_FAILED" },
      });
    }
    return value;
  };
  const parseLiteral = (ast: ValueNode) => parseValue(ast.kind === Kind.STRING ? ast.value : null);
  return { parseValue, parseLiteral };
}

const serial = checked(
  "SerialNumber",
  "1 to 40 hexadecimal characters (bytes may be separated by colons).",
  isSerialNumber,
);
builder.scalarType("SerialNumber", {
  description:
    "A certificate serial number (RFC 5280 section 4.1.2.2, a positive integer of at most 20 octets) in hexadecimal. Input: 1 to 40 hex characters in any case, or hex bytes separated by colons or spaces; normalised to DigiCert's form, uppercase hex without separators (e.g. 0F6FA1), which is what outputs always are.",
  specifiedByURL: "https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.2",
  serialize: (value) => value,
  parseValue: (value) => toSerialNumber(serial.parseValue(value)) as SerialNumber,
  parseLiteral: (ast) => toSerialNumber(serial.parseLiteral(ast)) as SerialNumber,
});

const uuid = checked("UUID", "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.", isUuid);
builder.scalarType("UUID", {
  description:
    "A UUID (RFC 9562, which obsoletes RFC 4122) in its 36-character hyphenated form, e.g. 3fa85f64-5717-4562-b3fc-2c963f66afa6; any case on input, lowercase on output.",
  specifiedByURL: "https://www.rfc-editor.org/rfc/rfc9562",
  serialize: (value) => value,
  parseValue: (value) => uuid.parseValue(value).toLowerCase() as Uuid,
  parseLiteral: (ast) => uuid.parseLiteral(ast).toLowerCase() as Uuid,
});
