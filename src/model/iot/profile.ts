/** IoT enrollment profiles and their enrollment specification (the fields a request sends). */
import { UpstreamInvalidResponseError } from "../errors.js";
import { known, oneOf, type Page, toPage } from "../read.js";
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
import type {
  WireEnrollmentField,
  WireEnrollmentProfile,
  WireEnrollmentSpecification,
  WireIotPage,
} from "./wire.js";

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

export interface EnrollmentProfile {
  id: IotProfileId;
  name: string;
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

export function toEnrollmentProfile(
  wire: WireEnrollmentProfile,
  specification?: WireEnrollmentSpecification | null,
): EnrollmentProfile {
  if (typeof wire?.id !== "string" || !isIotProfileId(wire.id) || typeof wire.name !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  const status = wire.status?.toUpperCase();
  return {
    id: parseIotProfileId(wire.id),
    name: wire.name,
    status: status === "ACTIVE" || status === "DELETED" ? status : "UNKNOWN",
    keyGenerationOption: oneOf(KEY_GENERATION_OPTIONS, wire.key_generation_option) ?? "UNKNOWN",
    enrollmentMethods: known(wire.enrollment_methods, (v) => oneOf(IOT_ENROLLMENT_METHODS, v)),
    allowedKeyTypes: known(wire.allowed_key_types, (v) => oneOf(IOT_KEY_TYPES, v)),
    defaultKeyType: oneOf(IOT_KEY_TYPES, wire.default_key_type),
    keyTypeFixed: wire.key_type_fixed === true,
    approvalRequired: wire.batch_approval_required === true,
    validity:
      wire.certificate_validity && typeof wire.certificate_validity.duration === "number"
        ? { unit: wire.certificate_validity.unit, duration: wire.certificate_validity.duration }
        : null,
    renewalWindowDays: typeof wire.renewal_window_days === "number" ? wire.renewal_window_days : null,
    certificateTemplateName: wire.certificate_template?.name ?? null,
    fields: specification ? toEnrollmentFields(specification) : null,
  };
}

export function toEnrollmentFields(wire: WireEnrollmentSpecification): EnrollmentField[] {
  if (typeof wire !== "object" || wire === null || !Array.isArray(wire.fields)) {
    throw new UpstreamInvalidResponseError();
  }
  return wire.fields.map((field: WireEnrollmentField) => {
    if (typeof field?.id !== "string") throw new UpstreamInvalidResponseError();
    return {
      id: field.id,
      name: field.name ?? field.id,
      kind:
        field.type === "certificate_profile_attribute"
          ? "CERTIFICATE"
          : field.type === "device_attribute"
            ? "DEVICE"
            : "UNKNOWN",
      required: field.required === true,
      multiple: field.multiple === true,
      fixedValue: field.fixed === true && typeof field.value === "string" ? field.value : null,
    };
  });
}

export function toEnrollmentProfilePage(wire: WireIotPage<WireEnrollmentProfile>): Page<EnrollmentProfile> {
  return toPage(wire, (item) => toEnrollmentProfile(item));
}
