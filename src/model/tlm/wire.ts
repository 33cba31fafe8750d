/**
 * Trust Lifecycle Manager JSON as DigiCert sends it (snake_case). Only the fields the gateway
 * reads are typed; everything is optional that the public reference does not guarantee.
 * Source: shared/reference/digicert-api.md section 1.
 */

export interface WireProfileAttribute {
  type: string;
  mandatory?: boolean;
  multiple?: boolean;
}

export interface WireProfile {
  id: string;
  name: string;
  status: string; // "Active" | "Deleted"
  signature_algorithm?: string;
  enrollment_method?: string;
  authentication_method?: string;
  override_cert_validity_via_api?: boolean;
  renewal_period_days?: number;
  duplicate_cert_policy?: boolean;
  certificate_delivery_format?: string;
  allowed_key_sizes?: string[];
  private_key_attributes?: { key_size?: string };
  business_unit?: { id: string; name?: string };
  account?: { id: string };
  template?: { id: string; name?: string };
  certificate?: {
    subject?: { attributes?: WireProfileAttribute[] };
    validity?: { unit: string; duration: number };
    extensions?: { san?: { attributes?: WireProfileAttribute[] } };
  };
}

export interface WireCertificateDetails {
  serial_number: string;
  status: string; // lowercase: issued | revoked | expired | suspended
  common_name?: string;
  certificate?: string; // PEM
  thumbprint?: string;
  valid_from?: string;
  valid_to?: string;
  profile?: { id: string; name?: string };
  seat?: { seat_id: string };
  business_unit?: { id: string; name?: string };
  account?: { id: string };
  revocation?: { reason?: string; revocation_date?: string; comments?: string };
  notes?: string;
}

export interface WireSearchPage {
  total: number;
  offset: number;
  limit: number;
  items: WireCertificateDetails[];
}

export interface WireAdditionalFormats {
  pkcs7?: string;
  x509_cert_chain?: { common_name?: string; cert_blob: string }[];
}

/** 201 from issue, 200 from renew and pickup: issued (serial + certificate) or pending (request_id). */
export interface WireCertificateResponse {
  serial_number?: string;
  delivery_format?: string;
  certificate?: string;
  status?: string;
  request_id?: string;
}

export type WireValidityUnit = "years" | "months" | "days" | "hours" | "minutes";

/** The live-tested shape (Terraform provider, 2022 spec): fields side by side, `seat.seat_id`. */
export interface WireIssueRequest {
  profile: { id: string };
  seat: { seat_id: string };
  csr: string;
  delivery_format: "x509";
  include_ca_chain: boolean;
  validity?: { unit: WireValidityUnit; duration: number };
  attributes?: {
    subject?: Record<string, string | string[]>;
    extensions?: { san?: Record<string, string[]> };
  };
}

export interface WireRenewRequest {
  csr: string;
  delivery_format: "x509";
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

export interface WireSearchFilter {
  profile_id?: string;
  seat_id?: string;
  common_name?: string;
  status?: string;
  serial_number?: string;
  thumbprint?: string;
}
