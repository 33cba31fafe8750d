/**
 * Device Trust Manager JSON as DigiCert sends it (snake_case), base path `/devicetrustmanager`. Only the fields the
 * gateway reads are typed; everything the public reference does not guarantee is optional.
 * Sources: shared/reference/digicert-api.md section 3, shared/digicert-docs/device-trust-manager-batch-registration.txt,
 * and the simulator (simulator/NOTES-dtm-paths.md) for every shape marked [I] there.
 */

/** Key types, uppercase as DTM writes them (`RSA_2048` [C]; the rest [I]). */
export type WireDtmKeyType = "RSA_2048" | "RSA_3072" | "RSA_4096" | "P_256" | "P_384" | "P_521" | "ED25519";

/**
 * `{records, total, offset, limit}`: device, group, policy and job lists ([C] `records`; the rest [I]). Also read:
 * `{items}`, `{data}` and bare arrays, counts as numeric strings (model/iot/list.ts `toListPage`).
 */
export interface WireDtmPage<T> {
  records: T[];
  total?: number | string;
  offset?: number | string;
  limit?: number | string;
}

/** `{id, name}` references inside other objects. */
export interface WireDtmRef {
  id: string;
  name?: string;
}

/** GET /api/v4/device-group[/{id}]: [C] id and name; the rest [I]. */
export interface WireDtmDeviceGroup {
  id: string;
  name: string;
  description?: string;
  account_id?: string;
  division?: WireDtmRef;
  certificate_policies?: WireDtmRef[];
  device_count?: number;
}

/** The CSV template's columns as a policy lists them [I]. */
export interface WireDtmCsvTemplate {
  required_columns?: string[];
  optional_columns?: string[];
  multi_value_columns?: string[];
  /** `["csr"]` when the policy allows client-side keys. */
  client_side_extra_columns?: string[];
}

/** GET /certificate-configuration-service/api/v2/certificate-policy[/{id}]: [C] id; every other name [I]. */
export interface WireDtmCertificatePolicy {
  /** `IOT_<uuid>`. */
  id: string;
  name: string;
  status?: string;
  division?: WireDtmRef;
  certificate_management_methods?: string[]; // "API" | "BATCH"
  client_side_key_gen_allowed?: boolean;
  server_side_key_gen_allowed?: boolean;
  allowed_key_types?: string[];
  default_key_type?: string;
  approval_required?: boolean;
  certificate_validity?: { unit: string; duration: number };
  csv_template?: WireDtmCsvTemplate;
  device_group_ids?: string[];
}

/** One certificate attribute, DTM's `{name, value}` [C]. */
export interface WireDtmAttribute {
  name: string;
  value: string;
}

/** One bootstrap policy of a registration [C fields; `csr` I]. */
export interface WireDtmBootstrap {
  certificate_policy_id: string;
  server_side_key_gen: boolean;
  key_type?: WireDtmKeyType;
  /** Server-side keys only: PEM, DER, PKCS12. */
  key_format?: string;
  /** Server-side keys only: PKCS8, PKCS1 (RSA). */
  key_syntax?: string;
  attributes?: WireDtmAttribute[];
  /** Client-side keys: the PEM CSR. */
  csr?: string;
}

/** POST /api/v4/device/registration [C]. */
export interface WireDtmDeviceRegistration {
  name: string;
  device_group_id: string;
  account_id?: string;
  description?: string;
  certificate_policies?: { bootstrap: WireDtmBootstrap[] };
}

/** 200 of a registration [C]; `{id}` and nested forms are read too [I] (model/dtm/ids.ts `createdId`). */
export interface WireDtmRegistrationResponse {
  device_id: string;
}

/** PATCH /api/v4/device/{id}/disable's body [C: DigiCert's own test sends `{"reason": "No longer needed"}`]. */
export interface WireDisableDevice {
  reason: string;
}

/** A record of GET /api/v4/device and GET /api/v4/device/{id}: [C] id; the rest [I]. */
export interface WireDtmDevice {
  id: string;
  name?: string;
  description?: string;
  status?: string; // REGISTERED | PROVISIONED | DISABLED
  device_group_id?: string;
  device_group?: WireDtmRef;
  division?: WireDtmRef;
  account_id?: string;
  registration_method?: string; // API | BATCH
  certificate_policies?: {
    bootstrap?: {
      certificate_policy_id: string;
      server_side_key_gen?: boolean;
      key_type?: string;
      key_format?: string;
      key_syntax?: string;
      attributes?: WireDtmAttribute[];
    }[];
  };
  batch_job_id?: string;
  created_at?: string;
  updated_at?: string;
}

/** GET /api/v4/device filters [C names; `status` I]. */
export interface WireDtmDeviceFilter {
  /** Exact, case-insensitive. */
  name?: string;
  device_group_id?: string;
  account_id?: string;
  /** A comma list of REGISTERED, PROVISIONED, DISABLED. */
  status?: string;
}

/**
 * The text fields of POST /certificate-batch-service/api/v1/jobs (multipart/form-data) besides the `data` file part
 * [C names]. Holds `passcode`: never log it.
 */
export interface WireDtmBatchFields {
  job_type: "device_registration";
  name: string;
  device_group_id: string;
  certificate_policy_id?: string;
  server_side_key_gen: "true" | "false";
  key_type?: WireDtmKeyType;
  /** Server-side keys only, required: one PEM certificate with an RSA key. */
  encryption_certificate?: string;
  /** Comma separated. */
  emails?: string;
  external_emails?: string;
  passcode_generation_option?: "true" | "false";
  passcode?: string;
}

/**
 * 200 of a job creation [C: 200 and "the ID"; shape I]: `{id}` is the simulator's; `{ID}`, `{job_id}`, `{jobId}`,
 * nested in `data`, `job` or `result`, or a bare string are read too (model/dtm/ids.ts `createdId`).
 */
export interface WireDtmBatchCreated {
  id: string;
}

/** GET .../jobs/{id} and the list's records: [C] status and the counts; names [I]. */
export interface WireDtmBatchJob {
  id: string;
  status: string;
  name?: string;
  job_type?: string;
  device_group?: WireDtmRef;
  certificate_policy?: WireDtmRef;
  approval_required?: boolean;
  server_side_key_gen?: boolean;
  key_type?: string;
  file_name?: string;
  file_size?: number;
  emails?: string[];
  external_emails?: string[];
  passcode_generation_option?: boolean;
  total?: number;
  success?: number;
  failed?: number;
  created_at?: string;
  updated_at?: string;
  started_at?: string;
  processed_at?: string;
  approved_at?: string;
  rejected_at?: string;
  completed_at?: string;
  /** Why the whole job failed. */
  error?: string;
}

/** GET .../jobs filters [I]. */
export interface WireDtmBatchJobFilter {
  /** A comma list of job statuses. */
  status?: string;
  device_group_id?: string;
  job_type?: string;
}

/** One row of a job report [I]; rows count from 1, the first data row after the header (a numeric string reads too). */
export interface WireDtmReportRow {
  row: number | string;
  device_name: string;
  status: string; // SUCCESS | FAILED | REJECTED
  device_id?: string;
  error_code?: string;
  error?: string;
}

/** GET .../jobs/{id}/download/report?format=json [I]. */
export interface WireDtmReport {
  job_id: string;
  status: string;
  total?: number;
  success?: number;
  failed?: number;
  rows: WireDtmReportRow[];
}
