import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { Background } from "../background.js";
import { ApiError } from "../errors.js";
import { parseEncryptionCertificate } from "../iot/artefacts.js";
import {
  csvFileRecords,
  isZip,
  readMultipart,
  type SpooledFile,
  unzipBounded,
  type UploadLimits,
} from "../iot/upload.js";
import { validSan } from "../names.js";
import { paging, UUID } from "../request.js";
import type { ApiRequest, ApiResponse, Caller, SimulatorLogger, SimulatorServer } from "../server.js";
import { isoSeconds, type SimulatorState } from "../state.js";
import { newDevice } from "./devices.js";
import { dtmCode, dtmMessage, duplicateName } from "./errors.js";
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
  templateCsv,
} from "./policies.js";
import { checkName, checkRegistration, type CheckedRegistration, policyColumn } from "./registration.js";
import {
  type DtmBatchJob,
  FINAL_JOB_STATUSES,
  JOB_STATUSES,
  type JobStatus,
  type ReportRow,
} from "./types.js";

// Device Trust Manager batch jobs (certificate-batch-service). Documented [C]: POST .../api/v1/jobs (multipart, 200 with
// the job id), GET .../jobs/{id}, GET .../jobs/{id}/download/report, the form fields, the 200 MB cap, the statuses
// PENDING_APPROVAL, IN_PROGRESS, COMPLETE and FAILED, jobs processed in the order received, and approval coming after
// processing. CHOSEN [I] (see simulator/NOTES-dtm-paths.md): the CSV template, list, approve and reject paths, the job
// and report shapes, and the other statuses.

export const BATCH_BASE = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
/** The path in the docs' curl samples [C]; it creates jobs like BATCH_BASE. */
export const BATCH_UI_BASE = "/devicetrustmanager/certificate-batch-service/api-ui/v1/jobs";
const JOB_TYPE = "device_registration";
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
const MAX_ENCRYPTION_CERTIFICATE_BYTES = 64 * 1024;
/** Job statuses whose rows have all been processed, so a report exists [I: docs say COMPLETE or FAILED]. */
const REPORTABLE: ReadonlySet<JobStatus> = new Set([
  "PENDING_APPROVAL",
  "COMPLETE",
  "FAILED",
  "TERMINATED",
  "PENDING_REJECTION",
  "REJECTION_IN_PROGRESS",
  "REJECTED",
]);
const REPORT_COLUMNS = ["row", "device_name", "status", "device_id", "error_code", "error"] as const;

export interface DtmBatchOptions {
  /** One state step: PENDING lasts at least this long, IN_PROGRESS too, and each rejection state. */
  readonly stepMs: number;
  readonly limits: UploadLimits;
  /** Job inputs and reports go to `<dataDir>/dtm-batch/`; without it, to a temporary directory removed on close. */
  readonly dataDir?: string;
  readonly logger?: SimulatorLogger;
}

export interface DtmBatchDependencies {
  readonly state: SimulatorState;
  readonly groups: ReadonlyMap<string, DtmDeviceGroup>;
  readonly policies: ReadonlyMap<string, DtmPolicyDefinition>;
  /** A device group named in a request field: 400 when missing, malformed or unknown, 403 when not the caller's. */
  readonly group: (caller: Caller, id: unknown, field: string) => DtmDeviceGroup;
  /** A certificate policy the caller may use: 400 when missing, malformed or unknown, 403 when not the caller's. */
  readonly policy: (caller: Caller, id: unknown, field: string, notFound: 400 | 404) => DtmPolicyDefinition;
  readonly options: DtmBatchOptions;
}

/** A registration checked during processing and held until the job is approved. */
interface PendingRegistration extends CheckedRegistration {
  readonly row: number;
}

/** Where each column of a job's CSV goes. */
interface ColumnMap {
  readonly width: number;
  readonly name?: number;
  readonly description?: number;
  readonly csr?: number;
  readonly certificate: readonly { readonly index: number; readonly name: string }[];
  /** The device name's column for errors: device_name, else subject.common_name. */
  readonly nameField: string;
}

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

async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await once(stream, "drain");
}

function endStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("error", reject);
    stream.end(() => resolve());
  });
}

/** Lines of a JSON-lines file, parsed one at a time. */
async function* jsonLines<T>(path: string): AsyncGenerator<T> {
  const source = createReadStream(path);
  const lines = createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) if (line !== "") yield JSON.parse(line) as T;
  } finally {
    lines.close();
    source.destroy();
  }
}

function reportCsvLine(row: ReportRow): string {
  return REPORT_COLUMNS.map((column) => csvCell(String(row[column] ?? ""))).join(",");
}

/** Batch jobs: upload checks, the FIFO worker, approval and rejection, reports. */
export class DtmBatches {
  readonly #state: SimulatorState;
  readonly #groups: ReadonlyMap<string, DtmDeviceGroup>;
  readonly #policies: ReadonlyMap<string, DtmPolicyDefinition>;
  readonly #group: DtmBatchDependencies["group"];
  readonly #policy: DtmBatchDependencies["policy"];
  readonly #options: DtmBatchOptions;
  readonly #background = new Background();
  /** Job ids waiting to be processed, oldest first [C: processed in the order received]. */
  readonly #queue: string[] = [];
  readonly #queuedAt = new Map<string, number>();
  readonly #deciding = new Set<string>();
  #working = false;
  #dir: Promise<string> | undefined;
  #resolvedDir: string | undefined;
  #temporaryDir = false;

  constructor(dependencies: DtmBatchDependencies) {
    this.#state = dependencies.state;
    this.#groups = dependencies.groups;
    this.#policies = dependencies.policies;
    this.#group = dependencies.group;
    this.#policy = dependencies.policy;
    this.#options = dependencies.options;
  }

  register(server: SimulatorServer): void {
    server.route("POST", BATCH_BASE, (request) => this.create(request), { raw: true });
    server.route("POST", BATCH_UI_BASE, (request) => this.create(request), { raw: true });
    server.route("GET", BATCH_BASE, (request) => this.list(request));
    server.route("GET", `${BATCH_BASE}/template`, (request) => this.template(request));
    server.route("GET", `${BATCH_BASE}/:id`, (request) => ({
      status: 200,
      json: this.#jobJson(this.#job(request)),
    }));
    server.route("GET", `${BATCH_BASE}/:id/download/report`, (request) => this.report(request));
    server.route("PUT", `${BATCH_BASE}/:id/approve`, (request) => this.approve(request));
    server.route("PUT", `${BATCH_BASE}/:id/reject`, (request) => this.reject(request));
  }

  /** After a restart: PENDING jobs queue again, rejections carry on, a job cut off mid-run is TERMINATED [I]. */
  resume(): void {
    let changed = false;
    const jobs = [...this.#state.dtmJobs.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const job of jobs) {
      if (job.status === "PENDING") this.#enqueue(job);
      if (job.status === "PENDING_REJECTION" || job.status === "REJECTION_IN_PROGRESS")
        this.#runRejection(job);
      if (job.status === "IN_PROGRESS") {
        this.#finish(job, "TERMINATED", "The job was interrupted by a simulator restart");
        this.#background.run(() => this.#removeInputs(job.id).catch(() => undefined));
        changed = true;
      }
    }
    if (changed) void this.#state.save().catch(() => undefined);
  }

  /** Stops the worker and timers, waits for running work, and removes a temporary directory. */
  async close(): Promise<void> {
    await this.#background.close();
    if (this.#temporaryDir && this.#dir) {
      const dir = await this.#dir.catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * POST .../jobs (multipart/form-data) [C fields]: job_type (form field or query, device_registration), name,
   * device_group_id, certificate_policy_id, server_side_key_gen, key_type, encryption_certificate (server-side only),
   * data (CSV, or a ZIP of one CSV or of CSR files), emails, external_emails, passcode_generation_option, passcode.
   * Answers 200 {id} [C: 200 with the job's id; body shape I].
   */
  async create(request: ApiRequest): Promise<ApiResponse> {
    const dir = await this.#directory();
    const jobId = randomUUID();
    const uploadPath = join(dir, `${jobId}.upload`);
    const inputPath = this.#path(jobId, "csv");
    const upload = await readMultipart(request.raw!, this.#options.limits, {
      fileParts: ["data", "encryption_certificate"],
      spool: { part: "data", path: uploadPath },
      maxMemoryFileBytes: MAX_ENCRYPTION_CERTIFICATE_BYTES,
    });
    try {
      const job = await this.#check(request, upload.fields, upload.files, upload.spooled, jobId, inputPath);
      this.#state.dtmJobs.set(job.id, job);
      this.#enqueue(job);
      await this.#state.save();
      return { status: 200, json: { id: job.id } };
    } catch (error) {
      await rm(inputPath, { force: true });
      throw error;
    } finally {
      await rm(uploadPath, { force: true });
    }
  }

  async #check(
    request: ApiRequest,
    fields: ReadonlyMap<string, string>,
    files: ReadonlyMap<string, { readonly fileName: string; readonly data: Buffer }>,
    spooled: SpooledFile | undefined,
    jobId: string,
    inputPath: string,
  ): Promise<DtmBatchJob> {
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
    if (serverSide ? !policy.serverSideKeyGen : !policy.clientSideKeyGen) {
      throw ApiError.invalidField(
        "server_side_key_gen",
        `Certificate policy ${policy.id} does not allow ${serverSide ? "server" : "client"}-side key generation`,
      );
    }
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
    const limits = this.#options.limits;
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
    const entries = unzipBounded(await readFile(spooled.path), limits, "data");
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
    if (entries.length > limits.maxRows) {
      throw new ApiError(
        413,
        "request_too_large",
        `A batch must not have more than ${limits.maxRows} rows`,
        "data",
      );
    }
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
      if (rows < 0) this.#columns(policy, serverSide, source, record);
      rows += 1;
      if (rows > this.#options.limits.maxRows) {
        throw new ApiError(
          413,
          "request_too_large",
          `A batch must not have more than ${this.#options.limits.maxRows} rows`,
          "data",
        );
      }
    }
    if (rows <= 0) throw ApiError.invalidField("data", "The CSV file has no data rows");
    return rows;
  }

  /**
   * Maps header cells to template columns (case-insensitive). Unknown columns, repeats of single-valued columns, a
   * missing required column and a missing (client-side) or extra (server-side) `csr` column are 400s on `data`.
   */
  #columns(
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

  /** GET .../jobs [I]: newest first, `{records, total, offset, limit}`; filters status, device_group_id, job_type. */
  list(request: ApiRequest): ApiResponse {
    const { offset, limit } = paging(request.query, 1000);
    const statuses = request.query.get("status");
    let wanted: Set<string> | undefined;
    if (statuses) {
      wanted = new Set(statuses.split(",").map((entry) => entry.trim().toUpperCase()));
      for (const status of wanted) {
        if (!(JOB_STATUSES as readonly string[]).includes(status)) {
          throw ApiError.invalidField("status", `status must be among ${JOB_STATUSES.join(", ")}`);
        }
      }
    }
    const groupId = request.query.get("device_group_id");
    if (groupId && !UUID.test(groupId))
      throw ApiError.invalidField("device_group_id", "device_group_id must be a UUID");
    const jobType = request.query.get("job_type");
    const jobs = [...this.#state.dtmJobs.values()]
      .filter(
        (job) =>
          request.caller.canUseProfile(job.deviceGroupId) &&
          (!wanted || wanted.has(job.status)) &&
          (!groupId || job.deviceGroupId === groupId.toLowerCase()) &&
          (!jobType || job.jobType === jobType),
      )
      .reverse();
    return {
      status: 200,
      json: {
        records: jobs.slice(offset, offset + limit).map((job) => this.#jobJson(job)),
        total: jobs.length,
        offset,
        limit,
      },
    };
  }

  /**
   * GET .../jobs/template?certificate_policy_id=...[&server_side_key_gen=true|false] [I path]: the policy's CSV
   * template, the header row only; client-side templates end with csr [C]. Without server_side_key_gen, client-side when
   * the policy allows it.
   */
  template(request: ApiRequest): ApiResponse {
    const jobType = request.query.get("job_type");
    if (jobType !== null && jobType !== JOB_TYPE) {
      throw ApiError.invalidField("job_type", `job_type must be ${JOB_TYPE}`);
    }
    const policy = this.#policy(
      request.caller,
      request.query.get("certificate_policy_id") ?? undefined,
      "certificate_policy_id",
      404,
    );
    const requested = request.query.get("server_side_key_gen")?.toLowerCase();
    if (requested !== undefined && requested !== "true" && requested !== "false") {
      throw ApiError.invalidField("server_side_key_gen", "server_side_key_gen must be true or false");
    }
    const serverSide = requested === undefined ? !policy.clientSideKeyGen : requested === "true";
    if (serverSide ? !policy.serverSideKeyGen : !policy.clientSideKeyGen) {
      throw ApiError.invalidField(
        "server_side_key_gen",
        `Certificate policy ${policy.id} does not allow ${serverSide ? "server" : "client"}-side key generation`,
      );
    }
    return {
      status: 200,
      bytes: Buffer.from(templateCsv(policy, serverSide)),
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${policy.id}-${serverSide ? "server" : "client"}-side-template.csv"`,
      },
    };
  }

  /**
   * GET .../jobs/{id}/download/report [C path]: one line per data row, CSV by default, JSON with ?format=json or
   * Accept: application/json [I]. Available once every row has been processed [C: COMPLETE or FAILED; I: also the
   * approval and rejection states and TERMINATED].
   */
  async report(request: ApiRequest): Promise<ApiResponse> {
    const job = this.#job(request);
    const format = request.query.get("format")?.toLowerCase();
    if (format !== undefined && format !== "csv" && format !== "json") {
      throw ApiError.invalidField("format", "format must be csv or json");
    }
    if (!REPORTABLE.has(job.status)) {
      throw ApiError.invalidRequest(
        `Batch job is ${job.status}; its report is ready once the job is processed`,
      );
    }
    const path = this.#path(job.id, "report.jsonl");
    try {
      await stat(path);
    } catch {
      throw ApiError.notFound("The batch job has no report");
    }
    const accept = String(request.headers.accept ?? "");
    const json = format === "json" || (format === undefined && /application\/json/i.test(accept));
    if (json) {
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        stream: () => this.#jsonReport(job, path),
      };
    }
    return {
      status: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${job.id}-report.csv"`,
      },
      stream: () => this.#csvReport(path),
    };
  }

  async *#csvReport(path: string): AsyncIterable<string> {
    yield `${REPORT_COLUMNS.join(",")}\r\n`;
    for await (const row of jsonLines<ReportRow>(path)) yield `${reportCsvLine(row)}\r\n`;
  }

  async *#jsonReport(job: DtmBatchJob, path: string): AsyncIterable<string> {
    const head = {
      job_id: job.id,
      status: job.status,
      total: job.total,
      success: job.success,
      failed: job.failed,
    };
    yield `${JSON.stringify(head).slice(0, -1)},"rows":[`;
    let first = true;
    for await (const row of jsonLines<ReportRow>(path)) {
      yield `${first ? "" : ","}${JSON.stringify(row)}`;
      first = false;
    }
    yield "]}";
  }

  /**
   * PUT .../jobs/{id}/approve [I path, as IoT's]: registers the devices the processed job holds and completes it; a row
   * whose name was taken meanwhile fails with "03". 204.
   */
  async approve(request: ApiRequest): Promise<ApiResponse> {
    const job = this.#decidable(request);
    this.#deciding.add(job.id);
    try {
      const now = isoSeconds(new Date());
      job.approvedAt = now;
      job.updatedAt = now;
      const created = new Map<number, string>();
      const pendingPath = this.#path(job.id, "pending.jsonl");
      for await (const registration of jsonLines<PendingRegistration>(pendingPath)) {
        if (this.#state.dtmDeviceByName(job.deviceGroupId, registration.name)) continue;
        created.set(registration.row, this.#register(job, registration).id);
        if (created.size % 100 === 0) await yieldToEventLoop();
      }
      const committed = await this.#rewriteReport(job, (row) => {
        if (row.status !== "SUCCESS") return row;
        const deviceId = created.get(row.row);
        if (deviceId) return { ...row, device_id: deviceId };
        const error = duplicateName(row.device_name);
        return {
          row: row.row,
          device_name: row.device_name,
          status: "FAILED",
          error_code: dtmCode(error),
          error: dtmMessage(error),
        };
      });
      job.success = committed.success;
      job.failed = committed.failed;
      this.#finish(
        job,
        job.success > 0 ? "COMPLETE" : "FAILED",
        job.success > 0 ? undefined : "No device could be registered",
      );
      await this.#removeInputs(job.id);
      await this.#state.save();
      return { status: 204 };
    } finally {
      this.#deciding.delete(job.id);
    }
  }

  /** PUT .../jobs/{id}/reject [I path]: PENDING_REJECTION, then REJECTION_IN_PROGRESS, then REJECTED, a step each. */
  async reject(request: ApiRequest): Promise<ApiResponse> {
    const job = this.#decidable(request);
    const now = isoSeconds(new Date());
    job.status = "PENDING_REJECTION";
    job.rejectedAt = now;
    job.updatedAt = now;
    await this.#state.save();
    this.#runRejection(job);
    return { status: 204 };
  }

  #decidable(request: ApiRequest): DtmBatchJob {
    const job = this.#job(request);
    if (job.status !== "PENDING_APPROVAL" || this.#deciding.has(job.id)) {
      throw ApiError.invalidRequest(
        `Batch job is ${job.status}; only a PENDING_APPROVAL job can be approved or rejected`,
      );
    }
    return job;
  }

  #runRejection(job: DtmBatchJob): void {
    this.#background.run(async () => {
      try {
        if (job.status === "PENDING_REJECTION") {
          await this.#background.sleep(this.#options.stepMs);
          if (this.#background.closed) return;
          job.status = "REJECTION_IN_PROGRESS";
          job.updatedAt = isoSeconds(new Date());
          await this.#state.save();
        }
        const started = Date.now();
        await this.#rewriteReport(job, (row) =>
          row.status === "SUCCESS" ? { ...row, status: "REJECTED" } : row,
        );
        await this.#background.sleep(Math.max(0, started + this.#options.stepMs - Date.now()));
        if (this.#background.closed) return;
        this.#finish(job, "REJECTED");
        await this.#removeInputs(job.id);
        await this.#state.save();
      } catch (error) {
        this.#options.logger?.error({ err: error, job: job.id }, "DTM job rejection failed");
      }
    });
  }

  /** Rewrites the report through `change`; returns the new counts. */
  async #rewriteReport(
    job: DtmBatchJob,
    change: (row: ReportRow) => ReportRow,
  ): Promise<{ success: number; failed: number }> {
    const path = this.#path(job.id, "report.jsonl");
    const next = this.#path(job.id, "report.jsonl.next");
    const out = createWriteStream(next, { mode: 0o600 });
    let success = 0;
    let failed = 0;
    try {
      for await (const row of jsonLines<ReportRow>(path)) {
        const changed = change(row);
        if (changed.status === "FAILED") failed += 1;
        else if (changed.status === "SUCCESS") success += 1;
        await writeLine(out, JSON.stringify(changed));
      }
    } finally {
      await endStream(out);
    }
    await rename(next, path);
    return { success, failed };
  }

  #enqueue(job: DtmBatchJob): void {
    this.#queue.push(job.id);
    this.#queuedAt.set(job.id, Date.now());
    if (this.#working) return;
    this.#working = true;
    this.#background.run(() => this.#drain());
  }

  /** The one worker: jobs in the order received, each PENDING for at least one step. */
  async #drain(): Promise<void> {
    try {
      while (!this.#background.closed) {
        const id = this.#queue.shift();
        if (id === undefined) break;
        const queuedAt = this.#queuedAt.get(id) ?? Date.now();
        this.#queuedAt.delete(id);
        const job = this.#state.dtmJobs.get(id);
        if (job?.status !== "PENDING") continue;
        await this.#background.sleep(Math.max(0, queuedAt + this.#options.stepMs - Date.now()));
        if (this.#background.closed) break;
        try {
          await this.#process(job);
        } catch (error) {
          this.#options.logger?.error({ err: error, job: job.id }, "DTM batch job failed");
          if (!this.#background.closed) {
            this.#finish(job, "FAILED", "Internal error while processing the batch");
            await this.#removeInputs(job.id).catch(() => undefined);
            await this.#state.save().catch(() => undefined);
          }
        }
      }
    } finally {
      this.#working = false;
    }
  }

  /**
   * IN_PROGRESS: every row is checked and written to the report; without approval each good row registers a device
   * at once, with approval the checked rows wait for approve (PENDING_APPROVAL) [C: approval after processing].
   */
  async #process(job: DtmBatchJob): Promise<void> {
    const policy = this.#policies.get(job.certificatePolicyId.toLowerCase())!;
    const started = Date.now();
    job.status = "IN_PROGRESS";
    job.startedAt = isoSeconds(new Date(started));
    job.updatedAt = job.startedAt;
    job.success = 0;
    job.failed = 0;
    await this.#state.save();
    const report = createWriteStream(this.#path(job.id, "report.jsonl"), { mode: 0o600 });
    const pending = policy.approvalRequired
      ? createWriteStream(this.#path(job.id, "pending.jsonl"), { mode: 0o600 })
      : undefined;
    const names = new Set<string>();
    let columns: ColumnMap | undefined;
    let row = 0;
    try {
      for await (const record of csvFileRecords(this.#path(job.id, "csv"), "data")) {
        if (this.#background.closed) return;
        if (!columns) {
          columns = this.#columns(policy, job.serverSideKeyGen, job.source, record);
          continue;
        }
        row += 1;
        const result = await this.#row(job, policy, columns, record, row, names, !pending);
        await writeLine(report, JSON.stringify(result.report));
        if (pending && result.registration) await writeLine(pending, JSON.stringify(result.registration));
        if (result.report.status === "SUCCESS") job.success += 1;
        else job.failed += 1;
        if (row % 25 === 0) {
          job.updatedAt = isoSeconds(new Date());
          await yieldToEventLoop();
        }
      }
    } finally {
      await endStream(report);
      if (pending) await endStream(pending);
    }
    if (this.#background.closed) return;
    await this.#background.sleep(Math.max(0, started + this.#options.stepMs - Date.now()));
    if (this.#background.closed) return;
    const now = isoSeconds(new Date());
    job.processedAt = now;
    job.updatedAt = now;
    if (pending && job.success > 0) {
      job.status = "PENDING_APPROVAL";
    } else {
      // [I] COMPLETE when at least one device was registered (failed rows are counted), FAILED when none was.
      this.#finish(
        job,
        job.success > 0 ? "COMPLETE" : "FAILED",
        job.success > 0 ? undefined : "No device could be registered",
      );
      await this.#removeInputs(job.id);
    }
    await this.#state.save();
  }

  /** Checks one row; registers it when `commit`, else returns it for approval. Problems become a FAILED line. */
  async #row(
    job: DtmBatchJob,
    policy: DtmPolicyDefinition,
    columns: ColumnMap,
    record: readonly string[],
    row: number,
    names: Set<string>,
    commit: boolean,
  ): Promise<{ report: ReportRow; registration?: PendingRegistration }> {
    const cell = (index: number | undefined) => (index === undefined ? "" : (record[index] ?? ""));
    const commonName = columns.certificate.find((entry) => entry.name === "subject.common_name")?.index;
    const deviceName = (cell(columns.name ?? commonName) || cell(commonName)).slice(0, 255);
    const failed = (error: ApiError): { report: ReportRow } => ({
      report: {
        row,
        device_name: deviceName,
        status: "FAILED",
        error_code: dtmCode(error),
        error: dtmMessage(error),
      },
    });
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
      if (names.has(key) || this.#state.dtmDeviceByName(job.deviceGroupId, checked.name)) {
        throw duplicateName(checked.name);
      }
      names.add(key);
      if (!commit) {
        return {
          report: { row, device_name: checked.name, status: "SUCCESS" },
          registration: { row, ...checked },
        };
      }
      const device = this.#register(job, checked);
      return { report: { row, device_name: checked.name, status: "SUCCESS", device_id: device.id } };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return failed(error);
    }
  }

  #register(job: DtmBatchJob, registration: CheckedRegistration) {
    const device = newDevice({
      name: registration.name,
      description: registration.description,
      deviceGroupId: job.deviceGroupId,
      registrationMethod: "BATCH",
      bootstrap: [
        {
          certificatePolicyId: job.certificatePolicyId,
          serverSideKeyGen: job.serverSideKeyGen,
          keyType: registration.keyType,
          attributes: registration.attributes,
        },
      ],
      batchJobId: job.id,
    });
    this.#state.addDtmDevice(device);
    return device;
  }

  #finish(job: DtmBatchJob, status: JobStatus, error?: string): void {
    if (!FINAL_JOB_STATUSES.has(status)) throw new Error(`${status} is not final`);
    const now = isoSeconds(new Date());
    job.status = status;
    job.completedAt = now;
    job.updatedAt = now;
    if (error) job.error = error;
    else delete job.error;
  }

  async #removeInputs(jobId: string): Promise<void> {
    await Promise.all([
      rm(this.#path(jobId, "csv"), { force: true }),
      rm(this.#path(jobId, "pending.jsonl"), { force: true }),
    ]);
  }

  #job(request: ApiRequest): DtmBatchJob {
    const id = request.params.id ?? "";
    if (!UUID.test(id)) throw ApiError.invalidField("id", "The job id must be a UUID");
    const job = this.#state.dtmJobs.get(id.toLowerCase());
    if (!job) throw ApiError.notFound("Batch job not found");
    if (!request.caller.canUseProfile(job.deviceGroupId)) {
      throw ApiError.noAccess("User has no access to the batch job's device group");
    }
    return job;
  }

  /** The job as GET .../jobs/{id} answers it: status [C], total/success/failed [C: the UI's counts; names I]. */
  #jobJson(job: DtmBatchJob): Record<string, unknown> {
    const group = this.#groups.get(job.deviceGroupId);
    const policy = this.#policies.get(job.certificatePolicyId.toLowerCase());
    return {
      id: job.id,
      name: job.name,
      job_type: job.jobType,
      status: job.status,
      device_group: { id: job.deviceGroupId, name: group?.name ?? "" },
      certificate_policy: { id: job.certificatePolicyId, name: policy?.name ?? "" },
      approval_required: policy?.approvalRequired ?? false,
      server_side_key_gen: job.serverSideKeyGen,
      ...(job.keyType ? { key_type: job.keyType } : {}),
      file_name: job.fileName,
      file_size: job.fileSize,
      emails: [...job.emails],
      external_emails: [...job.externalEmails],
      ...(job.passcodeGenerationOption === undefined
        ? {}
        : { passcode_generation_option: job.passcodeGenerationOption }),
      total: job.total,
      success: job.success,
      failed: job.failed,
      created_at: job.createdAt,
      updated_at: job.updatedAt,
      ...(job.startedAt ? { started_at: job.startedAt } : {}),
      ...(job.processedAt ? { processed_at: job.processedAt } : {}),
      ...(job.approvedAt ? { approved_at: job.approvedAt } : {}),
      ...(job.rejectedAt ? { rejected_at: job.rejectedAt } : {}),
      ...(job.completedAt ? { completed_at: job.completedAt } : {}),
      ...(job.error ? { error: job.error } : {}),
    };
  }

  #path(jobId: string, suffix: string): string {
    return join(this.#directorySync(), `${jobId}.${suffix}`);
  }

  #directorySync(): string {
    if (this.#options.dataDir) return join(this.#options.dataDir, "dtm-batch");
    if (!this.#resolvedDir) throw new Error("DTM batch directory used before it was created");
    return this.#resolvedDir;
  }

  /** `<dataDir>/dtm-batch` (0700), or a temporary directory; created on first use. */
  #directory(): Promise<string> {
    this.#dir ??= (async () => {
      let dir: string;
      if (this.#options.dataDir) {
        dir = join(this.#options.dataDir, "dtm-batch");
        await mkdir(dir, { recursive: true, mode: 0o700 });
      } else {
        this.#temporaryDir = true;
        dir = await mkdtemp(join(tmpdir(), "dtm-sim-"));
      }
      this.#resolvedDir = dir;
      return dir;
    })();
    return this.#dir;
  }
}
