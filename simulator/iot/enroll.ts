import "reflect-metadata";
import { randomUUID } from "node:crypto";
import type * as x509 from "@peculiar/x509";
import {
  type CertificateAuthority,
  DAY_MS,
  nowSeconds,
  type SanType,
  type SanValues,
  SUBJECT_ATTRIBUTES,
  type SubjectValues,
} from "../ca.js";
import { ApiError } from "../errors.js";
import { checkSubject, csrSans, csrSubjectValues, validSan } from "../names.js";
import { asObject } from "../request.js";
import { isoSeconds, type SimulatorState } from "../state.js";
import { iotKeyTypeOf, type PrivateKeySyntax } from "./artefacts.js";
import {
  CERTIFICATE_FIELD_TARGETS,
  DEVICE_IDENTIFIER,
  type EnrollmentMethod,
  type IotField,
  type IotKeyType,
  type IotProfileDefinition,
  type KeyGeneration,
} from "./profiles.js";
import type { IotAttribute, IotCertificateRecord } from "./types.js";

// Attribute resolution and issuance shared by single enrollment, renewal and batch jobs.

const MAX_ATTRIBUTES = 100;
const MAX_VALUE_LENGTH = 256;

/** Where errors point: the JSON array names (API) or "file" with a row label (batch). */
export interface AttributeFields {
  readonly certificate: string;
  readonly device: string;
}

export const API_FIELDS: AttributeFields = {
  certificate: "certificate_profile_attributes",
  device: "device_attributes",
};

export interface ResolvedEnrollment {
  readonly subject: SubjectValues;
  readonly sans: SanValues;
  /** Every certificate attribute that went into the certificate, fixed and CSR-supplied ones included. */
  readonly certificateAttributes: readonly IotAttribute[];
  readonly deviceAttributes: readonly IotAttribute[];
  readonly deviceIdentifier: string;
}

/** `[{id, value}]` from a JSON body; absent reads as empty. */
export function readAttributeList(input: unknown, field: string): IotAttribute[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input))
    throw ApiError.invalidField(field, `${field} must be an array of {id, value} objects`);
  if (input.length > MAX_ATTRIBUTES) {
    throw ApiError.invalidField(field, `${field} must have at most ${MAX_ATTRIBUTES} entries`);
  }
  return input.map((entry, index) => {
    const object = asObject(entry);
    const id = object?.id;
    const value = object?.value;
    if (typeof id !== "string" || id.trim() === "") {
      throw ApiError.invalidField(`${field}[${index}].id`, "id must be a non-empty string");
    }
    if (typeof value !== "string") {
      throw ApiError.invalidField(`${field}[${index}].value`, "value must be a string");
    }
    if (value.length > MAX_VALUE_LENGTH) {
      throw ApiError.invalidField(
        `${field}[${index}].value`,
        `value must be at most ${MAX_VALUE_LENGTH} characters`,
      );
    }
    return { id: id.trim(), value: value.trim() };
  });
}

function profileField(
  profile: IotProfileDefinition,
  kind: IotField["kind"],
  id: string,
): IotField | undefined {
  const wanted = id.toLowerCase();
  return profile.fields.find((entry) => entry.kind === kind && entry.id.toLowerCase() === wanted);
}

/** Groups non-empty values by profile field, rejecting unknown ids and repeats of single-valued fields. */
function groupValues(
  profile: IotProfileDefinition,
  kind: IotField["kind"],
  attributes: readonly IotAttribute[],
  field: string,
): Map<IotField, string[]> {
  const grouped = new Map<IotField, string[]>();
  attributes.forEach((attribute, index) => {
    const entry = profileField(profile, kind, attribute.id);
    if (!entry) {
      const what = kind === "certificate" ? "certificate attribute" : "device attribute";
      throw ApiError.invalidField(
        `${field}[${index}].id`,
        `${attribute.id} is not a ${what} of enrollment profile ${profile.id}`,
      );
    }
    if (attribute.value === "") return;
    const values = grouped.get(entry) ?? [];
    if (values.length > 0 && !entry.multiple) {
      throw ApiError.invalidField(`${field}[${index}]`, `${entry.id} takes a single value`);
    }
    values.push(attribute.value);
    grouped.set(entry, values);
  });
  return grouped;
}

/**
 * Subject, SANs and device attributes for a request. Each certificate attribute comes from the request, else the CSR,
 * else the profile's fixed value; the common name finally falls back to DEVICE_IDENTIFIER [I]. Request SANs replace
 * the CSR's as a whole, and SAN types the profile does not list are dropped (as in TLM) [I].
 */
export function resolveEnrollment(
  profile: IotProfileDefinition,
  certificateAttributes: readonly IotAttribute[],
  deviceAttributes: readonly IotAttribute[],
  csr: x509.Pkcs10CertificateRequest | undefined,
  fields: AttributeFields = API_FIELDS,
): ResolvedEnrollment {
  const requested = groupValues(profile, "certificate", certificateAttributes, fields.certificate);
  const devices = groupValues(profile, "device", deviceAttributes, fields.device);

  const deviceValues: IotAttribute[] = [];
  for (const entry of profile.fields) {
    if (entry.kind !== "device") continue;
    const value = devices.get(entry)?.[0];
    if (value !== undefined) deviceValues.push({ id: entry.id, value });
    else if (entry.required) {
      throw ApiError.invalidField(
        fields.device,
        `${entry.id} (${entry.name}) is required by the enrollment profile`,
      );
    }
  }
  const deviceIdentifier = devices.get(profileField(profile, "device", DEVICE_IDENTIFIER)!)?.[0] ?? "";

  const csrSanValues = csr ? csrSans(csr) : {};
  const requestHasSans = [...requested.keys()].some((entry) => "san" in CERTIFICATE_FIELD_TARGETS[entry.id]!);
  const subject: SubjectValues = {};
  const sans: SanValues = {};
  const resolvedAttributes: IotAttribute[] = [];
  for (const entry of profile.fields) {
    if (entry.kind !== "certificate") continue;
    const target = CERTIFICATE_FIELD_TARGETS[entry.id]!;
    let values = requested.get(entry);
    if (entry.fixedValue !== undefined) {
      if (values && values.some((value) => value !== entry.fixedValue)) {
        throw ApiError.invalidField(
          fields.certificate,
          `${entry.id} is fixed to "${entry.fixedValue}" by the enrollment profile`,
        );
      }
      values = [entry.fixedValue];
    }
    if ("subject" in target) {
      values ??= csr ? csrSubjectValues(csr, target.subject) : undefined;
      if (!values && entry.id === "subject.common_name" && deviceIdentifier !== "")
        values = [deviceIdentifier];
      if (values)
        subject[target.subject] = SUBJECT_ATTRIBUTES[target.subject].multiple ? values : values.slice(0, 1);
    } else {
      values ??= requestHasSans ? undefined : csrSanValues[target.san];
      if (values) {
        values.forEach((value, index) => {
          if (!validSan(target.san, value)) {
            throw ApiError.invalidField(fields.certificate, `${entry.id} value ${index + 1} is not valid`);
          }
        });
        sans[target.san] = values;
      }
    }
    if (values) for (const value of values) resolvedAttributes.push({ id: entry.id, value });
    else if (entry.required) {
      throw ApiError.invalidField(
        fields.certificate,
        `${entry.id} (${entry.name}) is required by the enrollment profile`,
      );
    }
  }
  checkSubject(subject, () => fields.certificate);
  return {
    subject,
    sans,
    certificateAttributes: resolvedAttributes,
    deviceAttributes: deviceValues,
    deviceIdentifier,
  };
}

/** The key type to generate: the request's when the profile allows it and does not fix it, else the default [C]. */
export function serverKeyType(profile: IotProfileDefinition, requested: IotKeyType | undefined): IotKeyType {
  if (!requested || profile.keyTypeFixed) return profile.defaultKeyType;
  if (!profile.allowedKeyTypes.includes(requested)) {
    throw ApiError.invalidField(
      "key_type",
      `key_type ${requested} is not allowed by the enrollment profile (allowed: ${profile.allowedKeyTypes.join(", ")})`,
    );
  }
  return requested;
}

/** pkcs1 is RSA's own syntax [I]; other keys only have PKCS#8 here. */
export function checkKeySyntax(syntax: PrivateKeySyntax, keyType: IotKeyType): void {
  if (syntax === "pkcs1" && !keyType.startsWith("rsa_")) {
    throw ApiError.invalidField("private_key_syntax", "private_key_syntax pkcs1 applies to RSA keys only");
  }
}

/** The public key's IoT key type, checked against the profile; errors name `field`. */
export function checkKeyType(
  profile: IotProfileDefinition,
  publicKey: x509.PublicKey,
  field: string,
): string {
  const keyType = iotKeyTypeOf(publicKey);
  if (!keyType || !profile.allowedKeyTypes.includes(keyType)) {
    throw ApiError.invalidField(
      field,
      `The key type ${keyType ?? "of the request"} is not allowed by the enrollment profile (allowed: ${profile.allowedKeyTypes.join(", ")})`,
    );
  }
  return keyType;
}

export interface IssueMeta {
  readonly enrollmentMethod: EnrollmentMethod;
  readonly keyGeneration: KeyGeneration;
  readonly batchJobId?: string;
  readonly renewedFrom?: string;
  /** Seed data only: a start in the past; default now. */
  readonly notBefore?: Date;
}

/** Signs and stores an IoT certificate (the caller saves state). */
export async function issueIotCertificate(
  state: SimulatorState,
  ca: CertificateAuthority,
  profile: IotProfileDefinition,
  resolved: ResolvedEnrollment,
  publicKey: x509.PublicKey,
  meta: IssueMeta,
): Promise<IotCertificateRecord> {
  const notBefore = meta.notBefore ?? nowSeconds();
  const issued = await ca.issue({
    serialNumber: state.newSerialNumber(),
    publicKey,
    subject: resolved.subject,
    sans: resolved.sans,
    notBefore,
    notAfter: new Date(notBefore.getTime() + profile.validityDays * DAY_MS),
    extendedKeyUsages: profile.extendedKeyUsages,
  });
  const record: IotCertificateRecord = {
    id: randomUUID(),
    requestId: randomUUID(),
    serialNumber: issued.serialNumber,
    profileId: profile.id,
    commonName: resolved.subject.common_name?.[0] ?? "",
    deviceIdentifier: resolved.deviceIdentifier,
    certificatePem: issued.pem,
    thumbprint: issued.thumbprint,
    validFrom: isoSeconds(issued.notBefore),
    validTo: isoSeconds(issued.notAfter),
    keyType: iotKeyTypeOf(publicKey) ?? "unknown",
    subject: resolved.subject,
    sans: resolved.sans,
    certificateAttributes: resolved.certificateAttributes,
    deviceAttributes: resolved.deviceAttributes,
    enrollmentMethod: meta.enrollmentMethod,
    keyGeneration: meta.keyGeneration,
    createdAt: isoSeconds(meta.notBefore ?? new Date()),
    ...(meta.batchJobId ? { batchJobId: meta.batchJobId } : {}),
    ...(meta.renewedFrom ? { renewedFrom: meta.renewedFrom } : {}),
    status: "issued",
  };
  state.addIotCertificate(record);
  return record;
}

/** Intermediate then root, each PEM block ending in a newline. */
export function chainPem(ca: CertificateAuthority): string {
  return `${ca.intermediatePem}\n${ca.rootPem}\n`;
}

/** The certificate's PEM, followed by the chain when asked (what `pem` and batch `body` carry). */
export function certificatePem(
  record: IotCertificateRecord,
  ca: CertificateAuthority,
  withChain: boolean,
): string {
  return withChain ? `${record.certificatePem}\n${chainPem(ca)}` : `${record.certificatePem}\n`;
}

export type IotStatus = "ISSUED" | "REVOKED" | "EXPIRED";

/** Revoked wins, then EXPIRED past valid_to, else ISSUED (uppercase, as list filters and records use it [C3]). */
export function iotStatus(record: IotCertificateRecord, now = Date.now()): IotStatus {
  if (record.status === "revoked") return "REVOKED";
  return Date.parse(record.validTo) < now ? "EXPIRED" : "ISSUED";
}

export function sanJson(sans: SanValues): Record<string, string[]> {
  const json: Record<string, string[]> = {};
  for (const [type, values] of Object.entries(sans) as [SanType, string[]][]) {
    if (values.length > 0) json[type] = [...values];
  }
  return json;
}
