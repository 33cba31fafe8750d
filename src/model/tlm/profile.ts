/**
 * Trust Lifecycle Manager certificate profiles, read liberally: a v2 list as a bare array or in an envelope, numbers
 * as strings, enums in either case. Tags as in ./wire.ts. Imports only the model (errors, ids, read).
 */
import { UpstreamInvalidResponseError } from "../errors.js";
import { isUuid, type Uuid } from "../ids.js";
import { count, isObject, known, oneOf, str } from "../read.js";

export type ProfileStatus = "ACTIVE" | "DELETED" | "UNKNOWN";

/** Where a profile attribute's value comes from [C] S1 section 1.5 (the tutorial writes some in lowercase). */
export const ATTRIBUTE_SOURCES = [
  "ENTERED_BY_USER_DURING_ENROLLMENT",
  "UPLOADED_BY_ADMIN",
  "AD_ATTRIBUTE",
  "FIXED_VALUE",
  "UNKNOWN",
] as const;
export type AttributeSourceType = (typeof ATTRIBUTE_SOURCES)[number];

export interface ProfileAttributeSource {
  source: AttributeSourceType;
  mandatory: boolean;
  /** The value of a FIXED_VALUE source. */
  fixedValue: string | null;
  /** The Active Directory attribute an AD_ATTRIBUTE source reads. */
  adAttributeKey: string | null;
}

export interface ProfileAttribute {
  /** DigiCert's attribute name, e.g. `common_name`, `dns_names`. */
  type: string;
  mandatory: boolean;
  multiple: boolean;
  sources: ProfileAttributeSource[];
}

export const PROFILE_DELIVERY_FORMATS = ["X509", "PKCS7", "UNKNOWN"] as const;
export type ProfileDeliveryFormat = (typeof PROFILE_DELIVERY_FORMATS)[number];

export interface KeyEscrowPolicy {
  enabled: boolean;
  /** e.g. CLOUD [C] tutorial. */
  deploymentMode: string | null;
  dualAdminRecovery: boolean | null;
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
  /** `renewal_window_days` [C] tutorial. */
  renewalWindowDays: number | null;
  /** `automated_renewal` [C] tutorial. */
  automatedRenewal: boolean | null;
  /** `duplicate_cert_policy` [C] S1: true allows several valid certificates per subject. */
  duplicateCertificatesAllowed: boolean | null;
  /** `certificate_delivery_format` [C] S1 (or the tutorial's `cert_delivery_format`). */
  deliveryFormat: ProfileDeliveryFormat | null;
  /** `key_escrow_policy` [C] S1, tutorial. */
  keyEscrow: KeyEscrowPolicy | null;
  /** `custom_extended_key_usages` [C] tutorial: OIDs. */
  customExtendedKeyUsages: string[];
  /** Key sizes (RSA bits) or curves the profile accepts, as DigiCert lists them. */
  allowedKeySizes: string[];
  subjectAttributes: ProfileAttribute[];
  subjectAltNameAttributes: ProfileAttribute[];
  businessUnit: { id: string; name: string | null } | null;
}

/**
 * A v2 profile list: a bare array (the tutorial [C]) or an `{items}`, `{records}` or `{profiles}` envelope [I]. A
 * profile without a UUID and a name cannot be identified and is left out; anything else unreadable is
 * UpstreamInvalidResponseError.
 */
export function toProfileList(wire: unknown): Profile[] {
  const list = Array.isArray(wire)
    ? wire
    : isObject(wire)
      ? [wire.items, wire.records, wire.profiles].find(Array.isArray)
      : undefined;
  if (!Array.isArray(list)) throw new UpstreamInvalidResponseError();
  return list.flatMap((item: unknown) => {
    try {
      return [toProfile(item)];
    } catch (error) {
      if (error instanceof UpstreamInvalidResponseError) return [];
      throw error;
    }
  });
}

/** Profile status is `Active` / `Deleted` in TLM (capitalised, unlike certificate statuses). */
export function toProfile(wire: unknown): Profile {
  if (!isObject(wire) || !isUuid(wire.id) || !str(wire.name)) throw new UpstreamInvalidResponseError();
  const certificate = isObject(wire.certificate) ? wire.certificate : {};
  const keyAttributes = isObject(wire.private_key_attributes) ? wire.private_key_attributes : {};
  const keySize = keyText(keyAttributes.key_size);
  const allowed = Array.isArray(wire.allowed_key_sizes) ? known(wire.allowed_key_sizes, keyText) : null;
  const escrow = isObject(wire.key_escrow_policy) ? wire.key_escrow_policy : null;
  const businessUnit = isObject(wire.business_unit) ? wire.business_unit : {};
  const businessUnitId = str(businessUnit.id) ?? str(wire.business_unit_id);
  return {
    id: wire.id.toLowerCase() as Uuid,
    name: wire.name as string,
    status: oneOf(["ACTIVE", "DELETED"] as const, wire.status) ?? "UNKNOWN",
    signatureAlgorithm: str(wire.signature_algorithm),
    enrollmentMethod: str(wire.enrollment_method),
    authenticationMethod: str(wire.authentication_method),
    validity: toValidity(certificate.validity),
    validityOverrideAllowed: wire.override_cert_validity_via_api === true,
    renewalPeriodDays: count(wire.renewal_period_days),
    renewalWindowDays: count(wire.renewal_window_days),
    automatedRenewal: bool(wire.automated_renewal),
    duplicateCertificatesAllowed: bool(wire.duplicate_cert_policy),
    deliveryFormat: toDeliveryFormat(wire.certificate_delivery_format ?? wire.cert_delivery_format),
    keyEscrow: escrow
      ? {
          enabled: escrow.key_escrow_enabled === true,
          deploymentMode: str(escrow.key_escrow_deployment_mode),
          dualAdminRecovery: bool(escrow.dual_admin_recovery),
        }
      : null,
    customExtendedKeyUsages: known(wire.custom_extended_key_usages, oid),
    allowedKeySizes: allowed ?? (keySize ? [keySize] : []),
    subjectAttributes: toAttributes(attributesOf(certificate.subject)),
    subjectAltNameAttributes: toAttributes(
      attributesOf(isObject(certificate.extensions) ? certificate.extensions.san : undefined),
    ),
    businessUnit: businessUnitId ? { id: businessUnitId, name: str(businessUnit.name) } : null,
  };
}

function attributesOf(section: unknown): unknown {
  return isObject(section) ? section.attributes : undefined;
}

/** Each attribute with a type; its sources from `sources` (S1) or `source` (as the tutorial also spells it). */
function toAttributes(list: unknown): ProfileAttribute[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((a: unknown): ProfileAttribute[] => {
    if (!isObject(a) || !str(a.type)) return [];
    const sources = Array.isArray(a.sources) ? a.sources : Array.isArray(a.source) ? a.source : [];
    return [
      {
        type: a.type as string,
        mandatory: a.mandatory === true,
        multiple: a.multiple === true,
        sources: sources.filter(isObject).map((s) => ({
          source: oneOf(ATTRIBUTE_SOURCES, s.source) ?? "UNKNOWN",
          mandatory: s.mandatory === true,
          fixedValue: typeof s.value === "number" ? String(s.value) : str(s.value),
          adAttributeKey: str(s.ad_attribute_key),
        })),
      },
    ];
  });
}

function toValidity(value: unknown): { unit: string; duration: number } | null {
  if (!isObject(value)) return null;
  const unit = str(value.unit);
  const duration = count(value.duration);
  return unit && duration !== null ? { unit: unit.toLowerCase(), duration } : null;
}

function toDeliveryFormat(value: unknown): ProfileDeliveryFormat | null {
  if (value === undefined || value === null || value === "") return null;
  return oneOf(["X509", "PKCS7"] as const, value) ?? "UNKNOWN";
}

function bool(value: unknown): boolean | null {
  return typeof value === "boolean" ? value : null;
}

/** "2048", 2048 or "P-256", as a string. */
function keyText(value: unknown): string | null {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return String(value);
  return str(typeof value === "string" ? value.trim() : value);
}

function oid(value: unknown): string | null {
  return typeof value === "string" && /^\d+(\.\d+)+$/.test(value.trim()) ? value.trim() : null;
}
