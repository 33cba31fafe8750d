import { GraphQLError, Kind, type ValueNode } from "graphql";
import { DateTimeResolver } from "graphql-scalars";
import { isSerialNumber, isUuid, type SerialNumber, toSerialNumber, type Uuid } from "../model/ids.js";
import { builder } from "./builder.js";

builder.addScalarType("DateTime", DateTimeResolver);

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
    "A certificate serial number: 1 to 40 hexadecimal characters, or hex bytes separated by colons or spaces; normalised to uppercase hex without separators, as DigiCert prints it.",
  serialize: (value) => value,
  parseValue: (value) => toSerialNumber(serial.parseValue(value)) as SerialNumber,
  parseLiteral: (ast) => toSerialNumber(serial.parseLiteral(ast)) as SerialNumber,
});

const uuid = checked("UUID", "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6.", isUuid);
builder.scalarType("UUID", {
  description: "A UUID, normalised to lowercase.",
  serialize: (value) => value,
  parseValue: (value) => uuid.parseValue(value).toLowerCase() as Uuid,
  parseLiteral: (ast) => uuid.parseLiteral(ast).toLowerCase() as Uuid,
});
