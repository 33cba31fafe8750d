/**
 * Trust Lifecycle Manager JSON as DigiCert sends it (snake_case). Response shapes document what the mappers look
 * for; the mappers read them as `unknown` with the liberal readers of ../read.ts, since real tenants vary (PEM or bare
 * base64, numbers as strings, zone-less dates). Request shapes are what the gateway sends, built by ./enrollment.ts
 * and ./certificate.ts. Tags: [C] DigiCert's documentation or code, [C3] third-party live-tested code, [I] inferred,
 * [LOW] a weak source. Source: shared/reference/digicert-api.md section 1, and the TLM tutorial in
 * shared/digicert-docs. Imports nothing.
 */

export interface WireProfileAttributeSource {
  mandatory?: boolean;
  /** ENTERED_BY_USER_DURING_ENROLLMENT, UPLOADED_BY_ADMIN, AD_ATTRIBUTE, FIXED_VALUE, in either case [C] S1, tutorial. */
  source?: string;
  /** The value of a FIXED_VALUE source [C] S1 (typed `object` there; a string in the tutorial). */
  value?: unknown;
  ad_attribute_key?: string;
}

export interface WireProfileAttribute {
  type: string;
  mandatory?: boolean;
  multiple?: boolean;
  /** [C] S1, tutorial; the tutorial's own example also spells it `source` for some attributes. */
  sources?: WireProfileAttributeSource[];
  source?: WireProfileAttributeSource[];
}

/** A v2 profile (tutorial example, Terraform model S2) and the v1 fields S1 adds. */
export interface WireProfile {
  id: string;
  name: string;
  status: string; // "Active" | "Deleted"
  signature_algorithm?: string;
  enrollment_method?: string;
  authentication_method?: string;
  override_cert_validity_via_api?: boolean;
  renewal_period_days?: number | string;
  /** [C] tutorial: beside renewal_period_days, same meaning in its example. */
  renewal_window_days?: number | string;
  /** [C] tutorial. */
  automated_renewal?: boolean;
  /** [C] S1: true allows several valid certificates per subject. */
  duplicate_cert_policy?: boolean;
  /** [C] S1 enum PKCS7 | X509; the tutorial writes "pkcs7". */
  certificate_delivery_format?: string;
  /** [C] tutorial, beside certificate_delivery_format. */
  cert_delivery_format?: string;
  /** [C] tutorial. */
  custom_extended_key_usages?: string[];
  /** [C] S1 (key_escrow_enabled), tutorial (deployment mode, dual admin recovery). */
  key_escrow_policy?: {
    key_escrow_enabled?: boolean;
    key_escrow_deployment_mode?: string;
    dual_admin_recovery?: boolean;
  };
  allowed_key_sizes?: (string | number)[];
  private_key_attributes?: { key_size?: string | number };
  business_unit?: { id: string; name?: string };
  business_unit_id?: string;
  account?: { id: string };
  account_id?: string;
  template?: { id: string; name?: string };
  certificate?: {
    subject?: { attributes?: WireProfileAttribute[] };
    validity?: { unit: string; duration: number | string };
    extensions?: { san?: { attributes?: WireProfileAttribute[] } };
  };
}

/**
 * A v2 profile list: the tutorial shows a bare array [C]; its envelope on a real tenant is not public [?], so the
 * envelopes DigiCert's other lists use are read too [I].
 */
export type WireProfileList =
  WireProfile[] | { items: WireProfile[] } | { records: WireProfile[] } | { profiles: WireProfile[] };

/** GET /certificate/{serial_number} (PublicCertificateDetails [C] S1) and each certificate-search item. */
export interface WireCertificateDetails {
  serial_number: string;
  status: string; // lowercase: issued | revoked | expired | suspended (and pending in the tutorial)
  common_name?: string;
  /** PEM (tutorial text), or bare base64 DER (S1's example and the tutorial's "Base64-encoded certificate"). */
  certificate?: string;
  thumbprint?: string;
  valid_from?: string;
  valid_to?: string;
  profile?: { id: string; name?: string };
  seat?: { seat_id: string };
  business_unit?: { id: string; name?: string };
  account?: { id: string };
  revocation?: { reason?: string; revocation_date?: string; comments?: string };
  /** [C] S1. */
  notes?: string;
  /** [C] tutorial. */
  template_name?: string;
  /** [C] tutorial; [LOW] S5. */
  issuing_ca_name?: string;
  /** The issuing CA's id [C] tutorial; [LOW] S5. */
  ica?: { id: string };
  /** [C] tutorial: "Secure", ... */
  cert_security_rating?: string;
}

/** [C] S1: all four keys required. */
export interface WireSearchPage {
  total: number;
  offset: number;
  limit: number;
  items: WireCertificateDetails[];
}

/** [C] tutorial: PEM throughout; bare base64 read too. */
export interface WireAdditionalFormats {
  pkcs7?: string;
  x509_cert_chain?: { common_name?: string; cert_blob: string }[];
}

/** 201 from issue, 200 from renew and pickup: issued (serial + certificate) or pending (request_id). */
export interface WireCertificateResponse {
  serial_number?: string;
  /** x509 | PKCS7 [C] S1 (either case). */
  delivery_format?: string;
  certificate?: string;
  status?: string;
  request_id?: string;
}

export type WireValidityUnit = "years" | "months" | "days" | "hours" | "minutes";

/** S1's DeliveryFormat enum, spelled as it is there. */
export type WireDeliveryFormat = "x509" | "PKCS7";

/** [C] S1: `other_names{guid[], raw_other_names[{oid, values[{label, value}]}]}`. */
export interface WireOtherNames {
  guid?: string[];
  raw_other_names?: { oid: string; values: { label: string; value: string }[] }[];
}

export interface WireSan {
  dns_names?: string[];
  ip_addresses?: string[];
  emails?: string[];
  uris?: string[];
  user_principal_names?: string[];
  registered_ids?: string[];
  other_names?: WireOtherNames;
}

/** The live-tested shape (Terraform provider, 2022 spec): fields side by side, `seat.seat_id`. */
export interface WireIssueRequest {
  profile: { id: string };
  seat: { seat_id: string };
  csr: string;
  delivery_format: WireDeliveryFormat;
  include_ca_chain: boolean;
  validity?: { unit: WireValidityUnit; duration: number };
  attributes?: {
    subject?: Record<string, string | string[]>;
    extensions?: { san?: WireSan };
  };
  /** [C] S2 (sent by the current Terraform provider). */
  tags?: string[];
}

export interface WireRenewRequest {
  csr: string;
  delivery_format: WireDeliveryFormat;
  include_ca_chain: boolean;
  validity?: { unit: WireValidityUnit; duration: number };
}

export type WireRevocationReason =
  | "unspecified"
  | "key_compromise"
  | "ca_compromise"
  | "affiliation_changed"
  | "superseded"
  | "cessation_of_operation"
  | "certificate_hold"
  | "remove_from_crl"
  | "privilege_withdrawn"
  | "aa_compromise";

/** S1's revoke request schema: `revocation_reason` only (no comments). */
export interface WireRevokeRequest {
  revocation_reason: WireRevocationReason;
}

/** certificate-search query parameters [C] S1 section 1.7; each given one must match. */
export interface WireSearchFilter {
  profile_id?: string;
  seat_id?: string;
  seat_type_id?: string;
  common_name?: string;
  /** One of ISSUED | EXPIRED | REVOKED | SUSPENDED [C]; several, comma-separated [I]. */
  status?: string;
  serial_number?: string;
  thumbprint?: string;
  business_unit_id?: string;
  business_unit_name?: string;
  issuing_ca_id?: string;
  issuing_ca_name?: string;
  issuing_ca_serial_number?: string;
  aki?: string;
  /** "certificates issued after" [C] S1; sent as ISO 8601 UTC to the second [I]. */
  valid_from?: string;
  /** "certificates expiring before" [C] S1; sent as ISO 8601 UTC to the second [I]. */
  valid_to?: string;
}
