/**
 * IoT Trust Manager JSON as DigiCert sends it (snake_case), base path `/iot/api/v1`. Only the fields
 * the gateway reads are typed; everything the public reference does not guarantee is optional.
 * Sources: shared/reference/digicert-api.md section 2, shared/digicert-docs/iot-trust-manager-*.txt, and
 * the simulator (simulator/README.md, simulator/NOTES-iot-batch-paths.md) for the shapes marked [I] there.
 */

/** Key types of server-side key generation, lowercase as the docs spell them. */
export type WireIotKeyType = "rsa_2048" | "rsa_3072" | "rsa_4096" | "p_256" | "p_384" | "p_521" | "ed_25519";

export type WireKeyGenerationOption = "client_side" | "server_side" | "client_or_server_side";
export type WireKeyGeneration = "client_side" | "server_side";

export type WirePrivateKeyFormat = "pem" | "der" | "pkcs_12" | "cert_encrypted" | "cert_encrypted_key_only";
/** [I] values: the public page does not list them; `pkcs8` is the default, `pkcs1` is RSA only. */
export type WirePrivateKeySyntax = "pkcs8" | "pkcs1";

/**
 * `{records, total, offset, limit}`: profile and certificate lists ([C3] `records`; the rest [I]). Also read: `{items}`,
 * `{data}` and bare arrays [LOW S27], counts as numeric strings (./list.ts `toListPage`).
 */
export interface WireIotPage<T> {
  records: T[];
  total?: number | string;
  offset?: number | string;
  limit?: number | string;
}

/** GET /enrollment-profile[/{id}]: every field name but `id` and `name` is [I]. */
export interface WireEnrollmentProfile {
  /** `IOT_<uuid>`. */
  id: string;
  name: string;
  status?: string; // "ACTIVE"
  key_generation_option?: string; // WireKeyGenerationOption
  enrollment_methods?: string[]; // "API", "BATCH" (also EST, SCEP, CMPv2 upstream)
  allowed_key_types?: string[]; // WireIotKeyType
  default_key_type?: string;
  /** Server-side key type fixed by the profile: a request's key_type is ignored. */
  key_type_fixed?: boolean;
  batch_approval_required?: boolean;
  certificate_validity?: { unit: string; duration: number };
  renewal_window_days?: number;
  certificate_template?: { name?: string };
}

/** One field of GET /enrollment-profile/{id}/enrollment-specification ([C3] id, name; the rest [I]). */
export interface WireEnrollmentField {
  /** `subject.common_name`, `san.dns_name`, `DEVICE_IDENTIFIER`, or a custom device attribute's UUID. */
  id: string;
  name?: string;
  type?: string; // "certificate_profile_attribute" | "device_attribute"
  required?: boolean;
  multiple?: boolean;
  /** The profile's fixed value, with `fixed: true`. */
  value?: string;
  fixed?: boolean;
}

export interface WireEnrollmentSpecification {
  fields: WireEnrollmentField[];
}

export interface WireIotAttribute {
  id: string;
  value: string;
}

/**
 * POST /certificate: a CSR, or `server_side_key_gen: true` with the key fields. Holds `pkcs12_password`
 * when asked for PKCS#12: never log it.
 */
export interface WireIotEnrollmentRequest {
  /** `IOT_<uuid>`. */
  enrollment_profile_id: string;
  certificate_profile_attributes?: WireIotAttribute[];
  device_attributes?: WireIotAttribute[];
  csr?: string;
  server_side_key_gen?: true;
  /** Absent: the profile's default key type. */
  key_type?: WireIotKeyType;
  private_key_format?: WirePrivateKeyFormat;
  /** 6-20 of [A-Za-z0-9]; with `pkcs_12` only. */
  pkcs12_password?: string;
  /** PEM certificate with an RSA key; with `cert_encrypted` and `cert_encrypted_key_only` only. */
  encryption_certificate?: string;
  private_key_syntax?: WirePrivateKeySyntax;
  /** Default true: `pem` (and a PKCS#12 or encrypted bundle) also carries the intermediate and root. */
  include_certificate_chain?: boolean;
}

/**
 * POST /certificate/{id or serial}/renew: the enrollment body minus `enrollment_profile_id`. Attribute
 * lists left out keep the certificate's values [I].
 */
export type WireIotRenewRequest = Omit<WireIotEnrollmentRequest, "enrollment_profile_id">;

/** 200 from enroll and renew ([C] the first five; `serial_number` and `private_key` [I]). */
export interface WireIotEnrollmentResponse {
  certificate_request_id?: string;
  status?: string; // "AUTO_APPROVED"
  result?: string; // "SUCCESS"
  certificate_id?: string;
  serial_number?: string;
  /** Leaf PEM, then intermediate and root unless include_certificate_chain is false; absent for cert_encrypted. */
  pem?: string;
  /** Server-side keys: PEM text for `pem`, base64 for `der`, `pkcs_12` and the two CMS formats. */
  private_key?: string;
}

/** RFC 5280 reasons without certificate_hold/remove_from_crl/aa_compromise (IoT has no suspension) [I]. */
export type WireIotRevocationReason =
  | "unspecified"
  | "key_compromise"
  | "ca_compromise"
  | "affiliation_changed"
  | "superseded"
  | "cessation_of_operation"
  | "privilege_withdrawn";

export interface WireIotChainEntry {
  cert_type?: string; // "intermediate" | "root"
  /**
   * PEM in certificate records [C3]; base64 DER (no armour) in the batch JSON download [C]. An entry whose blob is
   * empty or missing is left out.
   */
  blob?: string | null;
  common_name?: string;
}

/** A record of GET /certificate and GET /certificate/{id} ([C3] id, common_name, serial_number, status, body, chain[].blob). */
export interface WireDeviceCertificate {
  id: string;
  serial_number: string;
  status?: string; // ISSUED | REVOKED | EXPIRED
  common_name?: string;
  certificate_request_id?: string;
  certificate_type?: string; // "x509"
  /** The leaf certificate, PEM (bare base64 DER reads too). */
  body?: string;
  /** `null`, or one PEM text of several certificates, read too. */
  chain?: WireIotChainEntry[] | string | null;
  thumbprint?: string;
  valid_from?: string;
  valid_to?: string;
  key_type?: string;
  key_generation?: string; // WireKeyGeneration
  enrollment_method?: string; // "API" | "BATCH"
  enrollment_profile?: { id: string; name?: string };
  device_identifier?: string;
  device_attributes?: { id: string; name?: string; value: string }[];
  certificate_profile_attributes?: WireIotAttribute[];
  subject?: Record<string, string | string[]>;
  san?: Record<string, string[]>;
  created_at?: string;
  batch_job_id?: string;
  renewed_from?: string;
  revocation_reason?: string;
  revoked_at?: string;
}

/** GET /certificate filters ([C3] except batch_job_id [I]); exact, case-insensitive matches. */
export interface WireIotCertificateFilter {
  serial_number?: string;
  common_name?: string;
  /** ISSUED, REVOKED, EXPIRED, or a comma list of them. */
  status?: string;
  enrollment_profile_id?: string;
  enrollment_method?: string; // "API" | "BATCH"
  certificate_type?: string; // "x509"
  device_identifier?: string;
  batch_job_id?: string;
}

export type WireBatchCertificateFormat = "json" | "pem" | "der";

/**
 * The text fields of POST /batch-enroll (multipart/form-data) besides the `file` part.
 * [C] certificate_format and include_full_chain_with_each_certificate; the rest [I] (simulator's choice).
 */
export interface WireBatchEnrollmentFields {
  enrollment_profile_id: string;
  certificate_format: WireBatchCertificateFormat;
  include_full_chain_with_each_certificate?: "true" | "false";
  key_generation?: WireKeyGeneration;
  /** Server-side only, required: PEM certificate with an RSA key; the keys come back encrypted to it. */
  encryption_certificate?: string;
  key_type?: WireIotKeyType;
  /** Server-side only: the key files inside PEM/DER downloads. */
  private_key_format?: "pem" | "der";
  private_key_syntax?: WirePrivateKeySyntax;
}

/** The job from POST /batch-enroll (201) and GET /batch-enroll/{job_id}; the whole shape is [I]. */
export interface WireBatchJob {
  job_id: string;
  status: string; // PENDING_APPROVAL | APPROVED | IN_PROGRESS | COMPLETE | FAILED | REJECTED
  name?: string;
  enrollment_profile?: { id: string; name?: string };
  key_generation?: string;
  certificate_format?: string;
  include_full_chain_with_each_certificate?: boolean;
  key_type?: string;
  private_key_format?: string;
  file_name?: string;
  total?: number;
  success?: number;
  failed?: number;
  created_at?: string;
  updated_at?: string;
  approved_at?: string;
  rejected_at?: string;
  started_at?: string;
  completed_at?: string;
  /** Why the whole job failed. */
  error?: string;
  /** The first failed rows (the simulator lists up to 100). */
  errors?: { unique_identifier: string; message: string }[];
}

/** GET /batch-enroll/{job_id}/download-certificates for `certificate_format: json` [C]. */
export interface WireBatchDownload {
  job_id: string;
  /** Issuing chain, intermediate first: each entry is signed by the next. `blob` is base64 DER. */
  chain: WireIotChainEntry[];
  certificates: WireBatchDownloadCertificate[];
}

export interface WireBatchDownloadCertificate {
  id: string;
  /** e.g. "Line #0000001" for a CSV row. */
  unique_identifier: string;
  /** End-entity certificate PEM (followed by the chain when the job asked for it). */
  body: string;
  /** Server-side jobs only: base64 of the key encrypted to the job's encryption certificate (CMS EnvelopedData). */
  private_key?: string;
}
