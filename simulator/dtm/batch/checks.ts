// The checks of an uploaded DTM batch job: the multipart form fields (job type, group, policy, key generation and
// type, encryption certificate, emails, passcode), the data file (a CSV, a ZIP of one CSV or of CSR files, turned
// into the job's input CSV), the CSV header against the policy's template, and each data row, which becomes a
// checked registration or a FAILED report line. Problems are ApiErrors naming the field. It may import the shared
// simulator helpers (../../errors.js, ../../upload.js, ../../names.js, ...) and the DTM catalogue modules
// (../policies.js, ../registration.js, ../errors.js, ../types.js), never the other batch modules.
import { open, readFile, rename, writeFile } from "node:fs/promises";
import { ApiError } from "../../errors.js";
import { parseEncryptionCertificate } from "../../iot/artefacts.js";
import { validSan } from "../../names.js";
import type { ApiRequest, Caller } from "../../server.js";
import { isoSeconds, type SimulatorState } from "../../state.js";
import {
  csvFileRecords,
  isZip,
  type SpooledFile,
  unzipBounded,
  type Upload,
  type UploadLimits,
} from "../../upload.js";
import { dtmCode, dtmMessage, duplicateName } from "../errors.js";
import {
  CSR_COLUMN,
  csvCell,
  DEVICE_DESCRIPTION,
  DEVICE_NAME,
  type DtmDeviceGroup,
  type DtmKeyType,
  type DtmPolicyDefinition,
  normalizeKeyType,
  templateColumns,
} from "../policies.js";
import { checkName, checkRegistration, type CheckedRegistration, policyColumn } from "../registration.js";
import type { DtmBatchJob, ReportRow } from "../types.js";

export const JOB_TYPE = "device_registration";
/** The largest encryption_certificate file part, held in memory. */
export const MAX_ENCRYPTION_CERTIFICATE_BYTES = 64 * 1024;
const FORM_FIELDS = new Set([
  "job_type",
  "name",
  "device_group_id",
  "certificate_policy_id",
  "server_side_key_gen",
  "key_type",
  "encryption_certificate",
  "emails",
  "external_emails",
  "passcode_generation_option",
  "passcode",
]);
const CSR_ENTRY = /\.(csr|pem|req|p10)$/i;
const PASSCODE = /^[\x21-\x7e]{4,64}$/;
const MAX_EMAILS = 50;

export interface DtmBatchCheckDependencies {
  readonly policies: ReadonlyMap<string, DtmPolicyDefinition>;
  /** A device group named in a request field: 400 when missing, malformed or unknown, 403 when not the caller's. */
  readonly group: (caller: Caller, id: unknown, field: string) => DtmDeviceGroup;
  /** A certificate policy the caller may use: 400 when missing, malformed or unknown, 403 when not the caller's. */
  readonly policy: (caller: Caller, id: unknown, field: string, notFound: 400 | 404) => DtmPolicyDefinition;
  readonly limits: UploadLimits;
}

/** Where each column of a job's CSV goes. */
export interface ColumnMap {
  readonly width: number;
  readonly name?: number;
  readonly description?: number;
  readonly csr?: number;
  readonly certificate: readonly { readonly index: number; readonly name: string }[];
  /** The device name's column for errors: device_name, else subject.common_name. */
  readonly nameField: string;
}

/** One data row checked: a registration to make (or hold for approval), or its FAILED report line. */
export type RowCheck =
  | { readonly registration: CheckedRegistration; readonly failed?: undefined }
  | { readonly failed: ReportRow };

function textField(fields: ReadonlyMap<string, string>, name: string): string | undefined {
  const value = fields.get(name)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function booleanField(fields: ReadonlyMap<string, string>, name: string): boolean | undefined {
  const value = textField(fields, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (value !== "true" && value !== "false")
    throw ApiError.invalidField(name, `${name} must be true or false`);
  return value === "true";
}

function emailList(fields: ReadonlyMap<string, string>, name: string): string[] {
  const value = textField(fields, name);
  if (value === undefined) return [];
  const emails = value
    .split(/[,;]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (emails.length > MAX_EMAILS)
    throw ApiError.invalidField(name, `${name} takes at most ${MAX_EMAILS} addresses`);
  for (const email of emails) {
    if (email.length > 254 || !validSan("emails", email)) {
      throw ApiError.invalidField(name, `${name} has an invalid email address`);
    }
  }
  return emails;
}

function tooManyRows(limits: UploadLimits): ApiError {
  return new ApiError(
    413,
    "request_too_large",
    `A batch must not have more than ${limits.maxRows} rows`,
    "data",
  );
}

/** The report line of a row that failed with `error`. */
export function failedRow(row: number, deviceName: string, error: ApiError): ReportRow {
  return {
    row,
    device_name: deviceName,
    status: "FAILED",
    error_code: dtmCode(error),
    error: dtmMessage(error),
  };
}

/** 400 on server_side_key_gen when the policy does not allow that key generation. */
export function checkKeyGeneration(policy: DtmPolicyDefinition, serverSide: boolean): void {
  if (serverSide ? !policy.serverSideKeyGen : !policy.clientSideKeyGen) {
    throw ApiError.invalidField(
      "server_side_key_gen",
      `Certificate policy ${policy.id} does not allow ${serverSide ? "server" : "client"}-side key generation`,
    );
  }
}

/** The checks of a new job's form and data file. */
export class DtmBatchChecks {
  readonly #policies: ReadonlyMap<string, DtmPolicyDefinition>;
  readonly #group: DtmBatchCheckDependencies["group"];
  readonly #policy: DtmBatchCheckDependencies["policy"];
  readonly #limits: UploadLimits;

  constructor(dependencies: DtmBatchCheckDependencies) {
    this.#policies = dependencies.policies;
    this.#group = dependencies.group;
    this.#policy = dependencies.policy;
    this.#limits = dependencies.limits;
  }

  /**
   * Checks the form and the spooled data file, writes the job's input CSV to `inputPath` and answers the new job
   * (PENDING, rows counted).
   */
  async job(request: ApiRequest, upload: Upload, jobId: string, inputPath: string): Promise<DtmBatchJob> {
    const { fields, files, spooled } = upload;
    // Unknown form fields are ignored, as a Spring form binding would [I].
    for (const name of FORM_FIELDS) {
      const value = fields.get(name);
      if (value !== undefined && /[\u0000-\u0008\u000e-\u001f\u007f]/.test(value)) {
        throw ApiError.invalidField(name, `${name} has control characters`);
      }
    }
    const queryType = request.query.get("job_type") ?? undefined;
    const formType = textField(fields, "job_type");
    if (queryType !== undefined && formType !== undefined && queryType !== formType) {
      throw ApiError.invalidField("job_type", "job_type differs between the query string and the form");
    }
    const jobType = formType ?? queryType;
    if (jobType === undefined || jobType === "") {
      throw ApiError.invalidField("job_type", `job_type is required (${JOB_TYPE})`);
    }
    if (jobType !== JOB_TYPE) {
      throw ApiError.invalidField(
        "job_type",
        `job_type must be ${JOB_TYPE}; other job types are not simulated`,
      );
    }
    const name = checkName(fields.get("name") ?? "", "name");
    const group = this.#group(request.caller, textField(fields, "device_group_id"), "device_group_id");
    const policy = this.#batchPolicy(request.caller, group, textField(fields, "certificate_policy_id"));

    const serverSide = booleanField(fields, "server_side_key_gen");
    if (serverSide === undefined) {
      throw ApiError.invalidField("server_side_key_gen", "server_side_key_gen is required (true or false)");
    }
    checkKeyGeneration(policy, serverSide);
    let keyType: DtmKeyType | undefined;
    const keyTypeText = textField(fields, "key_type");
    if (keyTypeText !== undefined) {
      keyType = normalizeKeyType(keyTypeText);
      if (!keyType || !policy.allowedKeyTypes.includes(keyType)) {
        throw ApiError.invalidField(
          "key_type",
          `key_type must be one of ${policy.allowedKeyTypes.join(", ")} for certificate policy ${policy.id}`,
        );
      }
    } else if (serverSide) {
      keyType = policy.defaultKeyType;
    }
    const certificateText =
      files.get("encryption_certificate")?.data.toString("utf8") ?? fields.get("encryption_certificate");
    if (serverSide) {
      if (certificateText === undefined || certificateText.trim() === "") {
        throw ApiError.invalidField(
          "encryption_certificate",
          "encryption_certificate is required for server-side key generation",
        );
      }
      if (/BEGIN PGP PUBLIC KEY BLOCK/.test(certificateText)) {
        throw ApiError.invalidField(
          "encryption_certificate",
          "encryption_certificate: PGP public keys are not simulated; send a PEM certificate",
        );
      }
      parseEncryptionCertificate(certificateText, "encryption_certificate");
    } else if (certificateText !== undefined && certificateText.trim() !== "") {
      throw ApiError.invalidField(
        "encryption_certificate",
        "encryption_certificate is only for server-side key generation",
      );
    }
    const emails = emailList(fields, "emails");
    const externalEmails = emailList(fields, "external_emails");
    const passcodeGenerationOption = booleanField(fields, "passcode_generation_option");
    const passcode = fields.get("passcode");
    if (passcode !== undefined && passcode !== "" && !PASSCODE.test(passcode)) {
      // Never echo the passcode.
      throw ApiError.invalidField("passcode", "passcode must be 4 to 64 printable characters without spaces");
    }
    if (passcodeGenerationOption === false && externalEmails.length > 0 && !passcode) {
      throw ApiError.invalidField(
        "passcode",
        "passcode is required for external_emails when passcode_generation_option is false",
      );
    }

    if (!spooled) {
      throw ApiError.invalidField(
        "data",
        fields.has("data") ? "data must be a file part (CSV or ZIP)" : "data is required (CSV or ZIP)",
      );
    }
    if (spooled.size === 0) throw ApiError.invalidField("data", "data is empty");
    const source = await this.#input(spooled, serverSide, inputPath);
    const total = await this.#scan(policy, serverSide, source, inputPath);
    const now = isoSeconds(new Date());
    return {
      id: jobId,
      name,
      jobType: JOB_TYPE,
      deviceGroupId: group.id,
      certificatePolicyId: policy.id,
      serverSideKeyGen: serverSide,
      ...(keyType ? { keyType } : {}),
      fileName: spooled.fileName.slice(0, 255),
      fileSize: spooled.size,
      source,
      emails,
      externalEmails,
      ...(passcodeGenerationOption === undefined ? {} : { passcodeGenerationOption }),
      total,
      createdAt: now,
      status: "PENDING",
      success: 0,
      failed: 0,
      updatedAt: now,
    };
  }

  /**
   * certificate_policy_id is optional [C]: without it the group's only BATCH policy is used [I]. The policy must be
   * assigned to the group and allow BATCH [C: "A certificate policy with BATCH selected as the method"].
   */
  #batchPolicy(caller: Caller, group: DtmDeviceGroup, id: string | undefined): DtmPolicyDefinition {
    if (id === undefined) {
      const candidates = group.policyIds
        .map((policyId) => this.#policies.get(policyId.toLowerCase()))
        .filter((policy) => policy?.methods.includes("BATCH"));
      if (candidates.length !== 1) {
        throw ApiError.invalidField(
          "certificate_policy_id",
          `certificate_policy_id is required: device group ${group.id} has ${candidates.length} batch certificate policies`,
        );
      }
      return this.#policy(caller, candidates[0]!.id, "certificate_policy_id", 400);
    }
    const policy = this.#policy(caller, id, "certificate_policy_id", 400);
    if (!group.policyIds.includes(policy.id)) {
      throw ApiError.invalidField(
        "certificate_policy_id",
        `Certificate policy ${policy.id} is not assigned to device group ${group.id}`,
      );
    }
    if (!policy.methods.includes("BATCH")) {
      throw ApiError.invalidField(
        "certificate_policy_id",
        `Certificate policy ${policy.id} does not allow the BATCH method`,
      );
    }
    return policy;
  }

  /**
   * Turns the upload into the job's input CSV: a CSV as is; a ZIP of one CSV, that CSV; a ZIP of CSR files (client-side
   * only), a CSV of device_name (the file name without extension [I]) and csr.
   */
  async #input(spooled: SpooledFile, serverSide: boolean, inputPath: string): Promise<DtmBatchJob["source"]> {
    const fileName = spooled.fileName;
    const extension = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase();
    if (extension !== undefined && extension !== "csv" && extension !== "zip") {
      throw ApiError.invalidField("data", "data must be a .csv or .zip file");
    }
    const head = Buffer.alloc(4);
    const handle = await open(spooled.path, "r");
    try {
      await handle.read(head, 0, 4, 0);
    } finally {
      await handle.close();
    }
    const zipped = isZip(head);
    if (extension === "zip" && !zipped)
      throw ApiError.invalidField("data", "data is named .zip but is not a ZIP file");
    if (extension === "csv" && zipped)
      throw ApiError.invalidField("data", "data is named .csv but is a ZIP file");
    if (!zipped) {
      await rename(spooled.path, inputPath);
      return "csv";
    }
    const entries = unzipBounded(await readFile(spooled.path), this.#limits, "data");
    const csvEntries = entries.filter((entry) => /\.csv$/i.test(entry.name));
    if (csvEntries.length === 1 && entries.length === 1) {
      await writeFile(inputPath, csvEntries[0]!.data, { mode: 0o600 });
      return "csv";
    }
    if (csvEntries.length > 0)
      throw ApiError.invalidField("data", "A ZIP file holds either one CSV file or CSR files");
    if (entries.length === 0) throw ApiError.invalidField("data", "The ZIP file has no CSV or CSR files");
    const other = entries.find((entry) => !CSR_ENTRY.test(entry.name));
    if (other) {
      throw ApiError.invalidField(
        "data",
        `ZIP entry ${JSON.stringify(other.name.slice(0, 64))} is not a CSV or CSR file (.csr, .pem, .req, .p10)`,
      );
    }
    if (serverSide) {
      throw ApiError.invalidField("data", "Server-side key generation takes a CSV of devices, not CSR files");
    }
    if (entries.length > this.#limits.maxRows) throw tooManyRows(this.#limits);
    const lines = entries.map(
      (entry) =>
        `${csvCell(entry.name.split("/").pop()!.replace(CSR_ENTRY, ""))},${csvCell(Buffer.from(entry.data).toString("utf8").trim())}`,
    );
    await writeFile(inputPath, `${DEVICE_NAME},${CSR_COLUMN}\r\n${lines.join("\r\n")}\r\n`, { mode: 0o600 });
    return "csr_files";
  }

  /** Checks the header against the template and counts the rows (the whole file is parsed once, streamed). */
  async #scan(
    policy: DtmPolicyDefinition,
    serverSide: boolean,
    source: DtmBatchJob["source"],
    inputPath: string,
  ): Promise<number> {
    let rows = -1;
    for await (const record of csvFileRecords(inputPath, "data")) {
      if (rows < 0) jobColumns(policy, serverSide, source, record);
      rows += 1;
      if (rows > this.#limits.maxRows) throw tooManyRows(this.#limits);
    }
    if (rows <= 0) throw ApiError.invalidField("data", "The CSV file has no data rows");
    return rows;
  }
}

/**
 * Maps header cells to template columns (case-insensitive). Unknown columns, repeats of single-valued columns, a
 * missing required column and a missing (client-side) or extra (server-side) `csr` column are 400s on `data`.
 */
export function jobColumns(
  policy: DtmPolicyDefinition,
  serverSide: boolean,
  source: DtmBatchJob["source"],
  header: readonly string[],
): ColumnMap {
  const seen = new Set<string>();
  const certificate: { index: number; name: string }[] = [];
  let name: number | undefined;
  let description: number | undefined;
  let csr: number | undefined;
  header.forEach((cell, index) => {
    const wanted = cell.trim().toLowerCase();
    const label = JSON.stringify(cell.slice(0, 64));
    if (wanted === CSR_COLUMN) {
      if (serverSide) {
        throw ApiError.invalidField(
          "data",
          "The CSV file must not have a csr column for server-side key generation",
        );
      }
      if (csr !== undefined) throw ApiError.invalidField("data", "The CSV header names csr twice");
      csr = index;
      return;
    }
    const column = policyColumn(policy, wanted);
    if (!column) {
      throw ApiError.invalidField(
        "data",
        `CSV column ${label} is not in the template of certificate policy ${policy.id} (${templateColumns(
          policy,
          serverSide,
        )
          .map((entry) => entry.name)
          .join(", ")})`,
      );
    }
    if (seen.has(column.name) && !column.multiple) {
      throw ApiError.invalidField("data", `The CSV header names ${column.name} twice`);
    }
    seen.add(column.name);
    if (column.name === DEVICE_NAME) name = index;
    else if (column.name === DEVICE_DESCRIPTION) description = index;
    else certificate.push({ index, name: column.name });
  });
  if (!serverSide && csr === undefined) {
    throw ApiError.invalidField("data", "The CSV file needs a csr column for client-side key generation");
  }
  for (const column of policy.columns) {
    // A ZIP of CSR files carries no certificate columns: the CSRs' subjects supply them [I].
    if (source === "csr_files" && column.kind === "certificate") continue;
    if (column.required && !seen.has(column.name)) {
      throw ApiError.invalidField(
        "data",
        `The CSV file needs the ${column.name} column (required by certificate policy ${policy.id})`,
      );
    }
  }
  const commonName = certificate.find((entry) => entry.name === "subject.common_name");
  if (name === undefined && commonName === undefined && source === "csv") {
    throw ApiError.invalidField("data", "The CSV file needs a device_name or subject.common_name column");
  }
  return {
    width: header.length,
    ...(name === undefined ? {} : { name }),
    ...(description === undefined ? {} : { description }),
    ...(csr === undefined ? {} : { csr }),
    certificate,
    nameField: name === undefined ? "subject.common_name" : DEVICE_NAME,
  };
}

/**
 * Checks data row `row` (from 1) of a job: its cells, the registration they describe, and that its device name is
 * neither earlier in the job (`names`, lowercase, updated here) nor taken in the device group.
 */
export async function checkRow(
  state: SimulatorState,
  job: DtmBatchJob,
  policy: DtmPolicyDefinition,
  columns: ColumnMap,
  record: readonly string[],
  row: number,
  names: Set<string>,
): Promise<RowCheck> {
  const cell = (index: number | undefined) => (index === undefined ? "" : (record[index] ?? ""));
  const commonName = columns.certificate.find((entry) => entry.name === "subject.common_name")?.index;
  const deviceName = (cell(columns.name ?? commonName) || cell(commonName)).slice(0, 255);
  const failed = (error: ApiError): RowCheck => ({ failed: failedRow(row, deviceName, error) });
  if (record.length !== columns.width) {
    return failed(
      ApiError.invalidRequest(`The row has ${record.length} cells; the header has ${columns.width}`),
    );
  }
  try {
    const checked = await checkRegistration(
      policy,
      job.serverSideKeyGen,
      job.keyType,
      {
        name: cell(columns.name) || cell(commonName),
        description: cell(columns.description),
        attributes: columns.certificate.map((entry) => ({ name: entry.name, value: cell(entry.index) })),
        ...(columns.csr === undefined ? {} : { csr: cell(columns.csr) }),
      },
      {
        name: columns.nameField,
        description: DEVICE_DESCRIPTION,
        attribute: (name) => name,
        csr: CSR_COLUMN,
      },
      job.source === "csr_files",
    );
    const key = checked.name.toLowerCase();
    if (names.has(key) || state.dtmDeviceByName(job.deviceGroupId, checked.name)) {
      throw duplicateName(checked.name);
    }
    names.add(key);
    return { registration: checked };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return failed(error);
  }
}
