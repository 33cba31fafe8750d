/** Trust Lifecycle Manager certificate profiles. */
import type { WireProfile, WireProfileAttribute } from "./wire.js";
import { UpstreamInvalidResponseError } from "../errors.js";
import { isUuid, type Uuid } from "../ids.js";

export type ProfileStatus = "ACTIVE" | "DELETED" | "UNKNOWN";

export interface ProfileAttribute {
  /** DigiCert's attribute name, e.g. `common_name`, `dns_names`. */
  type: string;
  mandatory: boolean;
  multiple: boolean;
}

export interface Profile {
  id: Uuid;
  name: string;
  status: ProfileStatus;
  signatureAlgorithm: string | null;
  enrollmentMethod: string | null;
  authenticationMethod: string | null;
  validity: { unit: string; duration: number } | null;
  validityOverrideAllowed: boolean;
  renewalPeriodDays: number | null;
  /** Key sizes (RSA bits) or curves the profile accepts, as DigiCert lists them. */
  allowedKeySizes: string[];
  subjectAttributes: ProfileAttribute[];
  subjectAltNameAttributes: ProfileAttribute[];
  businessUnit: { id: string; name: string | null } | null;
}

/** A v2 profile list: a bare array of profiles. */
export function toProfileList(wire: WireProfile[]): Profile[] {
  if (!Array.isArray(wire)) throw new UpstreamInvalidResponseError();
  return wire.map(toProfile);
}

/** Profile status is `Active` / `Deleted` in TLM (capitalised, unlike certificate statuses). */
export function toProfile(wire: WireProfile): Profile {
  if (typeof wire?.id !== "string" || !isUuid(wire.id) || typeof wire.name !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  const status = wire.status?.toUpperCase();
  const keySize = wire.private_key_attributes?.key_size;
  return {
    id: wire.id.toLowerCase() as Uuid,
    name: wire.name,
    status: status === "ACTIVE" || status === "DELETED" ? status : "UNKNOWN",
    signatureAlgorithm: wire.signature_algorithm ?? null,
    enrollmentMethod: wire.enrollment_method ?? null,
    authenticationMethod: wire.authentication_method ?? null,
    validity: wire.certificate?.validity ?? null,
    validityOverrideAllowed: wire.override_cert_validity_via_api === true,
    renewalPeriodDays: wire.renewal_period_days ?? null,
    allowedKeySizes: wire.allowed_key_sizes ?? (keySize ? [keySize] : []),
    subjectAttributes: toAttributes(wire.certificate?.subject?.attributes),
    subjectAltNameAttributes: toAttributes(wire.certificate?.extensions?.san?.attributes),
    businessUnit: wire.business_unit
      ? { id: wire.business_unit.id, name: wire.business_unit.name ?? null }
      : null,
  };
}

function toAttributes(list: WireProfileAttribute[] | undefined): ProfileAttribute[] {
  return (list ?? []).map((a) => ({
    type: a.type,
    mandatory: a.mandatory === true,
    multiple: a.multiple === true,
  }));
}
