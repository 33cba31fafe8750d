/** IoT enrollment profiles and their enrollment specification (the fields a request sends). */
import { UpstreamInvalidResponseError } from "../errors.js";
import { count, isObject, known, oneOf } from "../read.js";
import type { ProfileStatus } from "../tlm/profile.js";
import {
  IOT_ENROLLMENT_METHODS,
  IOT_KEY_TYPES,
  type IotEnrollmentMethod,
  type IotKeyType,
  KEY_GENERATION_OPTIONS,
  type KeyGenerationOption,
} from "./enums.js";
import { isIotProfileId, type IotProfileId, parseIotProfileId } from "./ids.js";
import { entries, type ListPage, type PartlyReadable, shortText, toListPage } from "./list.js";
import type { WireEnrollmentProfile, WireEnrollmentSpecification } from "./wire.js";

export interface EnrollmentField {
  /** `subject.common_name`, `san.dns_name`, `DEVICE_IDENTIFIER`, or a custom device attribute's UUID. */
  id: string;
  name: string;
  /** CERTIFICATE: goes in `certificateAttributes`; DEVICE: in `deviceAttributes`. */
  kind: "CERTIFICATE" | "DEVICE" | "UNKNOWN";
  required: boolean;
  multiple: boolean;
  /** The profile always puts this value in the certificate; a request may repeat it, not change it. */
  fixedValue: string | null;
}

/** An enrollment profile is read whenever its id is; a name that cannot be read is null and named. */
export interface EnrollmentProfile extends PartlyReadable<"name"> {
  id: IotProfileId;
  name: string | null;
  status: ProfileStatus;
  keyGenerationOption: KeyGenerationOption;
  enrollmentMethods: IotEnrollmentMethod[];
  /** Key types for server-side generation and CSR keys; empty when DigiCert lists none. */
  allowedKeyTypes: IotKeyType[];
  defaultKeyType: IotKeyType | null;
  /** Server-side key type fixed by the profile (DigiCert ignores a request's key type). */
  keyTypeFixed: boolean;
  /** Batch jobs wait in PENDING_APPROVAL until approved. */
  approvalRequired: boolean;
  validity: { unit: string; duration: number } | null;
  renewalWindowDays: number | null;
  certificateTemplateName: string | null;
  /** From the enrollment specification (a second call): null when it was not loaded. */
  fields: EnrollmentField[] | null;
}

const MAX_TEXT = 1024;

export function toEnrollmentProfile(
  wire: WireEnrollmentProfile,
  specification?: WireEnrollmentSpecification | null,
): EnrollmentProfile {
  if (!isObject(wire) || !isIotProfileId(wire.id)) throw new UpstreamInvalidResponseError();
  const name = shortText(wire.name, MAX_TEXT);
  const validity: Record<string, unknown> = isObject(wire.certificate_validity)
    ? wire.certificate_validity
    : {};
  const duration = count(validity.duration);
  const unit = shortText(validity.unit, 64);
  const template: Record<string, unknown> = isObject(wire.certificate_template)
    ? wire.certificate_template
    : {};
  return {
    id: parseIotProfileId(wire.id),
    name,
    status: oneOf(["ACTIVE", "DELETED"] as const, wire.status) ?? "UNKNOWN",
    keyGenerationOption: oneOf(KEY_GENERATION_OPTIONS, wire.key_generation_option) ?? "UNKNOWN",
    enrollmentMethods: known(wire.enrollment_methods, (v) => oneOf(IOT_ENROLLMENT_METHODS, v)),
    allowedKeyTypes: known(wire.allowed_key_types, (v) => oneOf(IOT_KEY_TYPES, v)),
    defaultKeyType: oneOf(IOT_KEY_TYPES, wire.default_key_type),
    keyTypeFixed: wire.key_type_fixed === true,
    approvalRequired: wire.batch_approval_required === true,
    validity: duration !== null && unit !== null ? { unit, duration } : null,
    renewalWindowDays: count(wire.renewal_window_days),
    certificateTemplateName: shortText(template.name, MAX_TEXT),
    fields: specification ? toEnrollmentFields(specification) : null,
    unreadable: name === null ? ["name"] : [],
  };
}

/**
 * The enrollment specification's fields, `{fields: [...]}` or a bare array: a field without an id is left out (it
 * cannot be sent). Anything else is UpstreamInvalidResponseError.
 */
export function toEnrollmentFields(wire: WireEnrollmentSpecification): EnrollmentField[] {
  const list: unknown = Array.isArray(wire) ? wire : isObject(wire) ? wire.fields : undefined;
  if (!Array.isArray(list)) throw new UpstreamInvalidResponseError();
  return entries(list, (entry) => {
    if (!isObject(entry)) return null;
    const id = shortText(entry.id, MAX_TEXT);
    if (!id) return null;
    return {
      id,
      name: shortText(entry.name, MAX_TEXT) ?? id,
      kind:
        entry.type === "certificate_profile_attribute"
          ? "CERTIFICATE"
          : entry.type === "device_attribute"
            ? "DEVICE"
            : "UNKNOWN",
      required: entry.required === true,
      multiple: entry.multiple === true,
      fixedValue: entry.fixed === true && typeof entry.value === "string" ? entry.value : null,
    } satisfies EnrollmentField;
  }).items;
}

export function toEnrollmentProfilePage(wire: unknown): ListPage<EnrollmentProfile> {
  return toListPage(wire, (record) => toEnrollmentProfile(record as WireEnrollmentProfile));
}
