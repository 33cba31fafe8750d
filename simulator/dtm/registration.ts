import "reflect-metadata";
import type * as x509 from "@peculiar/x509";
import { parseCsr } from "../csr.js";
import { ApiError } from "../errors.js";
import { CERTIFICATE_FIELD_TARGETS } from "../iot/profiles.js";
import { csrSans, csrSubjectValues, validSan } from "../names.js";
import { type DtmKeyType, type DtmPolicyDefinition, keyTypeOf, type TemplateColumn } from "./policies.js";
import type { DtmAttribute } from "./types.js";

// Checks shared by single registration (JSON) and batch rows (CSV): device name, certificate attributes against the
// policy's template columns, and the CSR for client-side keys. Errors are 400 invalid_request naming the field.

export const MAX_NAME_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 1024;
const MAX_VALUE_LENGTH = 256;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** What one device registration asks for, before checking. */
export interface RegistrationInput {
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly DtmAttribute[];
  /** Client-side keys only. */
  readonly csr?: string;
}

export interface CheckedRegistration {
  readonly name: string;
  readonly description: string;
  /** Certificate attributes in template order, empty values dropped, CSR-supplied ones included. */
  readonly attributes: readonly DtmAttribute[];
  readonly keyType: DtmKeyType;
}

/** Where errors point: a JSON path (single registration) or a CSV column (batch). */
export interface RegistrationFields {
  readonly name: string;
  readonly description: string;
  attribute(name: string, index: number): string;
  readonly csr: string;
}

export function checkName(name: string, field: string): string {
  const trimmed = name.trim();
  if (trimmed === "") throw ApiError.invalidField(field, `${field} is required`);
  if (trimmed.length > MAX_NAME_LENGTH || CONTROL.test(trimmed)) {
    throw ApiError.invalidField(
      field,
      `${field} must be at most ${MAX_NAME_LENGTH} characters without control characters`,
    );
  }
  return trimmed;
}

function checkValue(column: string, value: string, field: string): string {
  if (value.length > MAX_VALUE_LENGTH || CONTROL.test(value)) {
    throw ApiError.invalidField(field, `${field} must be at most ${MAX_VALUE_LENGTH} characters`);
  }
  const target = CERTIFICATE_FIELD_TARGETS[column];
  if (target && "san" in target && !validSan(target.san, value)) {
    throw ApiError.invalidField(field, `${field} is not a valid ${column.slice(4).replace("_", " ")}`);
  }
  if (column === "subject.country") {
    if (!/^[A-Za-z]{2}$/.test(value))
      throw ApiError.invalidField(field, `${field} must be a two-letter ISO 3166 code`);
    return value.toUpperCase();
  }
  if (column === "subject.common_name" && value.length > 64) {
    throw ApiError.invalidField(field, `${field} must be at most 64 characters`);
  }
  return value;
}

/** The policy column named (case-insensitively), or undefined. */
export function policyColumn(policy: DtmPolicyDefinition, name: string): TemplateColumn | undefined {
  const wanted = name.trim().toLowerCase();
  return policy.columns.find((column) => column.name === wanted);
}

/** Values a CSR supplies for a certificate column [I]: its subject attribute, or its SANs of that type. */
function csrValues(csr: x509.Pkcs10CertificateRequest, column: string): string[] {
  const target = CERTIFICATE_FIELD_TARGETS[column];
  if (!target) return [];
  if ("subject" in target) return csrSubjectValues(csr, target.subject) ?? [];
  return csrSans(csr)[target.san] ?? [];
}

/**
 * Checks one registration against a policy. Certificate attributes must be the policy's certificate columns; required
 * ones must have a value, which `subjectFromCsr` lets the CSR supply (a ZIP of bare CSR files has no other source).
 * Client-side: the CSR must parse, verify, and hold a key the policy allows (and `keyType` when one was asked for).
 */
export async function checkRegistration(
  policy: DtmPolicyDefinition,
  serverSide: boolean,
  keyType: DtmKeyType | undefined,
  input: RegistrationInput,
  fields: RegistrationFields,
  subjectFromCsr = false,
): Promise<CheckedRegistration> {
  const name = checkName(input.name, fields.name);
  const description = input.description.trim();
  if (description.length > MAX_DESCRIPTION_LENGTH || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(description)) {
    throw ApiError.invalidField(
      fields.description,
      `${fields.description} must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
    );
  }
  const values = new Map<TemplateColumn, string[]>();
  input.attributes.forEach((attribute, index) => {
    const field = fields.attribute(attribute.name, index);
    const column = policyColumn(policy, attribute.name);
    if (!column || column.kind !== "certificate") {
      throw ApiError.invalidField(
        field,
        `${attribute.name} is not a certificate attribute of certificate policy ${policy.id}`,
      );
    }
    const value = attribute.value.trim();
    if (value === "") return;
    const list = values.get(column) ?? [];
    if (list.length > 0 && !column.multiple)
      throw ApiError.invalidField(field, `${column.name} takes a single value`);
    list.push(checkValue(column.name, value, field));
    values.set(column, list);
  });

  let resolvedKeyType = keyType ?? policy.defaultKeyType;
  if (!serverSide) {
    if (input.csr === undefined || input.csr.trim() === "") {
      throw ApiError.invalidField(fields.csr, `${fields.csr} is required for client-side key generation`);
    }
    // Literal "\n" sequences stand for line breaks, as in single-line CSV cells and JSON strings.
    const csr = await parseCsr(input.csr.replaceAll("\\n", "\n"), fields.csr);
    const csrKeyType = keyTypeOf(csr.publicKey);
    if (!csrKeyType || !policy.allowedKeyTypes.includes(csrKeyType)) {
      throw ApiError.invalidField(
        fields.csr,
        `${fields.csr} holds a ${csrKeyType ?? "unsupported"} key; certificate policy ${policy.id} allows ${policy.allowedKeyTypes.join(", ")}`,
      );
    }
    if (keyType && csrKeyType !== keyType) {
      throw ApiError.invalidField(
        fields.csr,
        `${fields.csr} holds a ${csrKeyType} key, not the ${keyType} asked for`,
      );
    }
    resolvedKeyType = csrKeyType;
    if (subjectFromCsr) {
      for (const column of policy.columns) {
        if (column.kind !== "certificate" || values.has(column)) continue;
        const fromCsr = csrValues(csr, column.name).map((value) =>
          checkValue(column.name, value, fields.csr),
        );
        if (fromCsr.length > 0) values.set(column, column.multiple ? fromCsr : fromCsr.slice(0, 1));
      }
    }
  } else if (input.csr !== undefined && input.csr.trim() !== "") {
    throw ApiError.invalidField(fields.csr, `${fields.csr} must not be sent with server-side key generation`);
  }

  for (const column of policy.columns) {
    if (column.kind === "certificate" && column.required && !values.has(column)) {
      throw ApiError.invalidField(
        fields.attribute(column.name, -1),
        `${column.name} is required by certificate policy ${policy.id}`,
      );
    }
  }
  const attributes = policy.columns.flatMap((column) =>
    (values.get(column) ?? []).map((value) => ({ name: column.name, value })),
  );
  return { name, description, attributes, keyType: resolvedKeyType };
}
