import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import * as x509 from "@peculiar/x509";
import { Zip, ZipDeflate } from "fflate";
import { Background } from "../background.js";
import { type CertificateAuthority, commonNameOf } from "../ca.js";
import { parseCsr } from "../csr.js";
import { ApiError } from "../errors.js";
import { enumValue, UUID } from "../request.js";
import type { ApiRequest, ApiResponse, Caller, SimulatorLogger, SimulatorServer } from "../server.js";
import { isoSeconds, type SimulatorState } from "../state.js";
import {
  envelope,
  exportPrivateKey,
  generateIotKey,
  parseEncryptionCertificate,
  PRIVATE_KEY_SYNTAXES,
  type PrivateKeySyntax,
  zipFiles,
} from "./artefacts.js";
import {
  type AttributeFields,
  certificatePem,
  checkKeySyntax,
  checkKeyType,
  issueIotCertificate,
  resolveEnrollment,
  serverKeyType,
} from "./enroll.js";
import {
  DEVICE_IDENTIFIER,
  IOT_KEY_TYPES,
  type IotProfileDefinition,
  type KeyGeneration,
} from "./profiles.js";
import type {
  BatchRow,
  CertificateFormat,
  IotAttribute,
  IotBatchJob,
  IotCertificateRecord,
} from "./types.js";
import { isZip, readCsv, readMultipart, unzipBounded, type UploadLimits } from "../upload.js";

// Batch enrollment. The public docs give the download path, approve/reject and the statuses, but no path for creating a
// job or reading its status [?]. CHOSEN [I] (see simulator/NOTES-iot-batch-paths.md to correct them):
//   POST /iot/api/v1/batch-enroll                  multipart/form-data create (fields below), 201 with the job
//   GET  /iot/api/v1/batch-enroll/{job_id}         the job: {job_id, status, total, success, failed, ...}
// Documented [C]: PUT .../{job_id}/approve and /reject (204), GET .../{job_id}/download-certificates.

export interface BatchOptions {
  /** Time per state step: APPROVED -> IN_PROGRESS after one step, IN_PROGRESS lasts at least one step. */
  readonly stepMs: number;
  readonly limits: UploadLimits;
  readonly logger?: SimulatorLogger;
}

export interface BatchDependencies {
  readonly state: SimulatorState;
  readonly ca: CertificateAuthority;
  readonly profiles: readonly IotProfileDefinition[];
  /** The caller's profile by id, with IotApi's errors (400 malformed, 404 unknown, 403 forbidden). */
  readonly profile: (caller: Caller, id: unknown, field: string) => IotProfileDefinition;
  readonly options: BatchOptions;
}

const BASE = "/iot/api/v1/batch-enroll";
/** [C] certificate_format values; smpb ("MPKI-8 compatible") is not simulated. */
const CERTIFICATE_FORMATS: readonly CertificateFormat[] = ["json", "pem", "der"];
const CSR_ENTRY = /\.(csr|pem|req|p10)$/i;
const ROW_FIELDS: AttributeFields = { certificate: "file", device: "file" };
const MAX_VALUE_LENGTH = 256;
const MAX_ERRORS_SHOWN = 100;

/** "Line #0000001", the unique_identifier of the download example [C]; rows count from 1 after the header [I]. */
function lineIdentifier(index: number): string {
  return `Line #${String(index + 1).padStart(7, "0")}`;
}

function textField(fields: ReadonlyMap<string, string>, name: string): string | undefined {
  const value = fields.get(name)?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** Chunks of a ZIP archive as its entries come in; nothing but the current entry is held. */
async function* zipStream(
  entries: AsyncIterable<{ name: string; data: string | Uint8Array }>,
): AsyncIterable<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else chunks.push(chunk);
  });
  for await (const entry of entries) {
    const file = new ZipDeflate(entry.name, { level: 6 });
    zip.add(file);
    file.push(typeof entry.data === "string" ? new TextEncoder().encode(entry.data) : entry.data, true);
    if (failure) throw failure;
    yield* chunks.splice(0);
  }
  zip.end();
  if (failure) throw failure;
  yield* chunks.splice(0);
}

/** Lines of a stored blob, one at a time. */
async function* blobLines(source: AsyncIterable<Uint8Array>): AsyncIterable<string> {
  const lines = createInterface({ input: Readable.from(source), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) if (line !== "") yield line;
}

/** Batch jobs: creation from an upload, the time-driven state machine, approval and downloads. */
export class IotBatches {
  readonly #state: SimulatorState;
  readonly #ca: CertificateAuthority;
  readonly #profiles: ReadonlyMap<string, IotProfileDefinition>;
  readonly #profile: BatchDependencies["profile"];
  readonly #options: BatchOptions;
  readonly #background = new Background();
  readonly #chainJson: readonly { cert_type: string; blob: string; common_name: string }[];

  constructor(dependencies: BatchDependencies) {
    this.#state = dependencies.state;
    this.#ca = dependencies.ca;
    this.#profiles = new Map(dependencies.profiles.map((profile) => [profile.id.toLowerCase(), profile]));
    this.#profile = dependencies.profile;
    this.#options = dependencies.options;
    // [C] download chain: intermediate first, each signed by the next; blob is base64 DER as in the example.
    this.#chainJson = [
      { certificate: this.#ca.intermediate, type: "intermediate" },
      { certificate: this.#ca.root, type: "root" },
    ].map(({ certificate, type }) => ({
      cert_type: type,
      blob: Buffer.from(certificate.rawData).toString("base64"),
      common_name: commonNameOf(certificate),
    }));
  }

  register(server: SimulatorServer): void {
    server.route("POST", BASE, (request) => this.create(request), { raw: true });
    server.route("GET", `${BASE}/:job_id`, (request) => ({
      status: 200,
      json: this.#jobJson(this.#job(request)),
    }));
    server.route("PUT", `${BASE}/:job_id/approve`, (request) => this.decide(request, true));
    server.route("PUT", `${BASE}/:job_id/reject`, (request) => this.decide(request, false));
    server.route("GET", `${BASE}/:job_id/download-certificates`, (request) => this.download(request));
  }

  /** After a restart: approved jobs are scheduled again; a job cut off mid-run is FAILED [I]. */
  resume(): void {
    let changed = false;
    for (const job of this.#state.iotJobs.values()) {
      if (job.status === "APPROVED") this.#schedule(job);
      if (job.status === "IN_PROGRESS") {
        this.#finish(job, "FAILED", "The job was interrupted by a simulator restart");
        changed = true;
      }
    }
    if (changed) void this.#state.save().catch(() => undefined);
  }

  /** Cancels pending steps and waits for running jobs to stop at their next row. */
  async close(): Promise<void> {
    await this.#background.close();
  }

  get #closed(): boolean {
    return this.#background.closed;
  }

  /**
   * [I] multipart fields: enrollment_profile_id, certificate_format (json|pem|der [C]),
   * include_full_chain_with_each_certificate [C], key_generation (client_side|server_side), file (CSV or ZIP);
   * server-side only: encryption_certificate (text or file part), key_type, private_key_format (pem|der),
   * private_key_syntax.
   */
  async create(request: ApiRequest): Promise<ApiResponse> {
    const upload = await readMultipart(request.raw!, this.#options.limits);
    const { fields } = upload;
    const profile = this.#profile(
      request.caller,
      textField(fields, "enrollment_profile_id"),
      "enrollment_profile_id",
    );
    if (!profile.enrollmentMethods.includes("BATCH")) {
      throw ApiError.invalidField(
        "enrollment_profile_id",
        "The enrollment profile does not allow the BATCH enrollment method",
      );
    }
    const formatText = textField(fields, "certificate_format");
    if (formatText?.toLowerCase() === "smpb") {
      throw ApiError.invalidField(
        "certificate_format",
        "certificate_format smpb is not supported by the simulator",
      );
    }
    const certificateFormat = enumValue(formatText, "certificate_format", CERTIFICATE_FORMATS);
    if (!certificateFormat) {
      throw ApiError.invalidField("certificate_format", "certificate_format is required (json, pem or der)");
    }
    const includeFullChain = enumValue(
      textField(fields, "include_full_chain_with_each_certificate"),
      "include_full_chain_with_each_certificate",
      ["true", "false"],
    );
    const keyGeneration = this.#keyGeneration(profile, textField(fields, "key_generation"));
    const file = upload.files.get("file");
    if (!file || file.data.length === 0) throw ApiError.invalidField("file", "file is required (CSV or ZIP)");
    let serverSide: Pick<
      IotBatchJob,
      "keyType" | "privateKeyFormat" | "privateKeySyntax" | "encryptionCertificatePem"
    > = {};
    if (keyGeneration === "server_side") {
      const certificateText =
        upload.files.get("encryption_certificate")?.data.toString("utf8") ??
        fields.get("encryption_certificate");
      const encryptionCertificate = parseEncryptionCertificate(certificateText);
      const keyType = serverKeyType(
        profile,
        enumValue(textField(fields, "key_type"), "key_type", IOT_KEY_TYPES),
      );
      const privateKeySyntax: PrivateKeySyntax =
        enumValue(textField(fields, "private_key_syntax"), "private_key_syntax", PRIVATE_KEY_SYNTAXES) ??
        "pkcs8";
      checkKeySyntax(privateKeySyntax, keyType);
      serverSide = {
        keyType,
        privateKeyFormat:
          enumValue(textField(fields, "private_key_format"), "private_key_format", ["pem", "der"]) ?? "pem",
        privateKeySyntax,
        encryptionCertificatePem: encryptionCertificate.toString("pem"),
      };
    }
    const rows = this.#rows(profile, keyGeneration, file.data);
    const now = isoSeconds(new Date());
    const job: IotBatchJob = {
      id: randomUUID(),
      profileId: profile.id,
      keyGeneration,
      certificateFormat,
      includeFullChain: includeFullChain === "true",
      fileName: file.fileName.slice(0, 255),
      total: rows.length,
      createdAt: now,
      ...serverSide,
      status: profile.batchApprovalRequired ? "PENDING_APPROVAL" : "APPROVED",
      updatedAt: now,
      ...(profile.batchApprovalRequired ? {} : { approvedAt: now }),
      rows,
      results: [],
    };
    this.#state.iotJobs.set(job.id, job);
    if (job.status === "APPROVED") this.#schedule(job);
    await this.#state.save();
    return { status: 201, json: this.#jobJson(job) };
  }

  /** PUT approve / reject: 204 [C]; only a job waiting for approval can be decided [I]. */
  async decide(request: ApiRequest, approve: boolean): Promise<ApiResponse> {
    const job = this.#job(request);
    if (job.status !== "PENDING_APPROVAL") {
      throw ApiError.invalidRequest(
        `Batch job is ${job.status}; only a PENDING_APPROVAL job can be approved or rejected`,
      );
    }
    const now = isoSeconds(new Date());
    job.updatedAt = now;
    if (approve) {
      job.status = "APPROVED";
      job.approvedAt = now;
      this.#schedule(job);
    } else {
      job.status = "REJECTED";
      job.rejectedAt = now;
      delete job.rows;
    }
    await this.#state.save();
    return { status: 204 };
  }

  /** GET download-certificates: the job's certificate_format decides the shape [C]; there is no format parameter. */
  async download(request: ApiRequest): Promise<ApiResponse> {
    const job = this.#job(request);
    if (job.status !== "COMPLETE") {
      throw ApiError.invalidRequest(
        `Batch job is ${job.status}; certificates can be downloaded once it is COMPLETE`,
      );
    }
    const issued = job.results.flatMap((result) => {
      const record = result.certificateId ? this.#state.iotCertificates.get(result.certificateId) : undefined;
      return record ? [{ uniqueIdentifier: result.uniqueIdentifier, record }] : [];
    });
    const serverSide = job.keyGeneration === "server_side";
    if (job.certificateFormat === "json") {
      const keys = serverSide ? await this.#blob(`${job.id}.keys`) : undefined;
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        stream: () => this.#jsonDownload(job, issued, keys),
      };
    }
    const disposition = (extension: string) => `attachment; filename="${job.id}.${extension}"`;
    if (serverSide) {
      const p7m = await this.#blob(`${job.id}.p7m`);
      return {
        status: 200,
        headers: { "content-type": "application/pkcs7-mime", "content-disposition": disposition("p7m") },
        stream: p7m,
      };
    }
    const format = job.certificateFormat;
    return {
      status: 200,
      headers: { "content-type": "application/zip", "content-disposition": disposition("zip") },
      stream: () => zipStream(this.#bundleEntries(job, format, issued, [])),
    };
  }

  async #blob(name: string): Promise<() => AsyncIterable<Uint8Array>> {
    const blob = await this.#state.openBlob(name);
    if (!blob) throw ApiError.notFound("The batch job's download is no longer available");
    return blob;
  }

  async *#jsonDownload(
    job: IotBatchJob,
    issued: readonly { uniqueIdentifier: string; record: IotCertificateRecord }[],
    keys: (() => AsyncIterable<Uint8Array>) | undefined,
  ): AsyncIterable<string> {
    const keyLines = keys ? blobLines(keys())[Symbol.asyncIterator]() : undefined;
    yield `{"job_id":${JSON.stringify(job.id)},"chain":${JSON.stringify(this.#chainJson)},"certificates":[`;
    let first = true;
    for (const { uniqueIdentifier, record } of issued) {
      const entry: Record<string, string> = {
        id: record.id,
        unique_identifier: uniqueIdentifier,
        body: certificatePem(record, this.#ca, job.includeFullChain),
      };
      if (keyLines) {
        const line = await keyLines.next();
        const [id, key] = line.done ? [] : line.value.split(" ");
        if (id !== record.id || !key) throw new Error("batch key file does not match the job's certificates");
        entry.private_key = key;
      }
      yield `${first ? "" : ","}${JSON.stringify(entry)}`;
      first = false;
    }
    yield "]}";
  }

  /**
   * [I] bundle layout, for PEM and DER downloads alike: manifest.csv (unique_identifier, certificate_id,
   * serial_number), certificates/<serial>.pem|.der, private_keys/<serial>.key|.der (server-side), chain/*.
   */
  async *#bundleEntries(
    job: IotBatchJob,
    format: "pem" | "der",
    issued: readonly { uniqueIdentifier: string; record: IotCertificateRecord }[],
    keys: readonly Uint8Array[],
  ): AsyncIterable<{ name: string; data: string | Uint8Array }> {
    const manifest = issued.map(
      ({ uniqueIdentifier, record }) =>
        `"${uniqueIdentifier.replaceAll('"', '""')}",${record.id},${record.serialNumber}`,
    );
    yield {
      name: "manifest.csv",
      data: `unique_identifier,certificate_id,serial_number\n${manifest.join("\n")}\n`,
    };
    for (const [index, { record }] of issued.entries()) {
      if (format === "pem") {
        yield {
          name: `certificates/${record.serialNumber}.pem`,
          data: certificatePem(record, this.#ca, job.includeFullChain),
        };
      } else {
        yield {
          name: `certificates/${record.serialNumber}.der`,
          data: new Uint8Array(new x509.X509Certificate(record.certificatePem).rawData),
        };
      }
      const key = keys[index];
      if (key)
        yield {
          name: `private_keys/${record.serialNumber}.${job.privateKeyFormat === "der" ? "der" : "key"}`,
          data: key,
        };
    }
    for (const [name, certificate] of [
      ["intermediate", this.#ca.intermediate],
      ["root", this.#ca.root],
    ] as const) {
      yield format === "pem"
        ? { name: `chain/${name}.pem`, data: `${certificate.toString("pem")}\n` }
        : { name: `chain/${name}.der`, data: new Uint8Array(certificate.rawData) };
    }
  }

  #keyGeneration(profile: IotProfileDefinition, requested: string | undefined): KeyGeneration {
    const keyGeneration = enumValue(requested, "key_generation", ["client_side", "server_side"] as const);
    const option = profile.keyGenerationOption;
    if (!keyGeneration) {
      if (option === "client_or_server_side") {
        throw ApiError.invalidField(
          "key_generation",
          "key_generation is required for this enrollment profile (client_side or server_side)",
        );
      }
      return option;
    }
    if (option !== "client_or_server_side" && option !== keyGeneration) {
      throw ApiError.invalidField(
        "key_generation",
        `The enrollment profile only allows ${option} key generation`,
      );
    }
    return keyGeneration;
  }

  /** Rows from a CSV (header of field ids or names, plus `csr` for client-side keys), a zipped CSV, or a ZIP of CSRs. */
  #rows(profile: IotProfileDefinition, keyGeneration: KeyGeneration, data: Uint8Array): BatchRow[] {
    const limits = this.#options.limits;
    let csv = data;
    if (isZip(data)) {
      const entries = unzipBounded(data, limits);
      const csvEntries = entries.filter((entry) => /\.csv$/i.test(entry.name));
      if (csvEntries.length === 1 && entries.length === 1) {
        csv = csvEntries[0]!.data;
      } else {
        if (csvEntries.length > 0)
          throw ApiError.invalidField("file", "A ZIP file holds either one CSV file or CSR files");
        if (keyGeneration === "server_side") {
          throw ApiError.invalidField(
            "file",
            "Server-side key generation takes a CSV of device rows, not CSRs",
          );
        }
        if (entries.length === 0) throw ApiError.invalidField("file", "The ZIP file has no CSR files");
        const other = entries.find((entry) => !CSR_ENTRY.test(entry.name));
        if (other)
          throw ApiError.invalidField(
            "file",
            `ZIP entry ${other.name} is not a CSR (.csr, .pem, .req, .p10)`,
          );
        if (entries.length > limits.maxRows) {
          throw new ApiError(
            413,
            "request_too_large",
            `A batch must not have more than ${limits.maxRows} rows`,
            "file",
          );
        }
        // [I] A bare CSR file carries no device attributes: DEVICE_IDENTIFIER is its file name without extension.
        return entries.map((entry) => ({
          uniqueIdentifier: entry.name,
          csr: Buffer.from(entry.data).toString("utf8"),
          attributes: [{ id: DEVICE_IDENTIFIER, value: entry.name.split("/").pop()!.replace(CSR_ENTRY, "") }],
        }));
      }
    }
    const { header, rows } = readCsv(csv, limits);
    const columns = header.map((cell) => this.#column(profile, cell));
    const csrColumn = columns.indexOf("csr");
    if (keyGeneration === "client_side" && csrColumn < 0) {
      throw ApiError.invalidField("file", "The CSV file needs a csr column for client-side key generation");
    }
    if (keyGeneration === "server_side" && csrColumn >= 0) {
      throw ApiError.invalidField(
        "file",
        "The CSV file must not have a csr column for server-side key generation",
      );
    }
    columns.forEach((column, index) => {
      const repeated = columns.indexOf(column) !== index;
      const multiple = profile.fields.find((entry) => entry.id === column)?.multiple ?? false;
      if (repeated && !multiple) throw ApiError.invalidField("file", `The CSV header names ${column} twice`);
    });
    return rows.map((cells, index) => {
      const attributes: IotAttribute[] = [];
      cells.forEach((value, column) => {
        if (column !== csrColumn && value !== "") attributes.push({ id: columns[column]!, value });
      });
      const csr = csrColumn >= 0 ? cells[csrColumn] : undefined;
      return { uniqueIdentifier: lineIdentifier(index), ...(csr === undefined ? {} : { csr }), attributes };
    });
  }

  /** A CSV header cell as `csr` or a profile field id; ids and names match case-insensitively [I]. */
  #column(profile: IotProfileDefinition, cell: string): string {
    const wanted = cell.trim().toLowerCase();
    if (wanted === "csr") return "csr";
    const entry = profile.fields.find(
      (field) => field.id.toLowerCase() === wanted || field.name.toLowerCase() === wanted,
    );
    if (!entry) {
      throw ApiError.invalidField(
        "file",
        `CSV column ${JSON.stringify(cell.slice(0, 64))} is not a field of enrollment profile ${profile.id}`,
      );
    }
    return entry.id;
  }

  #job(request: ApiRequest): IotBatchJob {
    const id = request.params.job_id ?? "";
    if (!UUID.test(id)) throw ApiError.invalidField("job_id", "job_id must be a UUID");
    const job = this.#state.iotJobs.get(id.toLowerCase());
    if (!job) throw ApiError.notFound("Batch job not found");
    if (!request.caller.canUseProfile(job.profileId))
      throw ApiError.noAccess("User has no access to the batch job");
    return job;
  }

  #jobJson(job: IotBatchJob): Record<string, unknown> {
    const success = job.results.filter((result) => result.certificateId).length;
    const errors = job.results.filter((result) => result.error);
    const profile = this.#profiles.get(job.profileId.toLowerCase());
    return {
      job_id: job.id,
      status: job.status,
      enrollment_profile: { id: job.profileId, name: profile?.name ?? "" },
      key_generation: job.keyGeneration,
      certificate_format: job.certificateFormat,
      include_full_chain_with_each_certificate: job.includeFullChain,
      ...(job.keyType ? { key_type: job.keyType, private_key_format: job.privateKeyFormat } : {}),
      file_name: job.fileName,
      total: job.total,
      success,
      failed: errors.length,
      created_at: job.createdAt,
      updated_at: job.updatedAt,
      ...(job.approvedAt ? { approved_at: job.approvedAt } : {}),
      ...(job.rejectedAt ? { rejected_at: job.rejectedAt } : {}),
      ...(job.startedAt ? { started_at: job.startedAt } : {}),
      ...(job.completedAt ? { completed_at: job.completedAt } : {}),
      ...(job.error ? { error: job.error } : {}),
      errors: errors
        .slice(0, MAX_ERRORS_SHOWN)
        .map((result) => ({ unique_identifier: result.uniqueIdentifier, message: result.error })),
    };
  }

  /** A timer close() cancels; the promise then resolves at once and the waiter checks #closed. */
  #sleep(ms: number): Promise<void> {
    return this.#background.sleep(ms);
  }

  #schedule(job: IotBatchJob): void {
    this.#background.run(async () => {
      await this.#sleep(this.#options.stepMs);
      if (this.#closed || job.status !== "APPROVED") return;
      try {
        await this.#run(job);
      } catch (error) {
        this.#options.logger?.error({ err: error, job: job.id }, "batch job failed");
        if (!this.#closed) {
          this.#finish(job, "FAILED", "Internal error while processing the batch");
          await this.#state.save().catch(() => undefined);
        }
      }
    });
  }

  async #run(job: IotBatchJob): Promise<void> {
    const profile = this.#profiles.get(job.profileId.toLowerCase())!;
    const started = Date.now();
    job.status = "IN_PROGRESS";
    job.startedAt = isoSeconds(new Date(started));
    job.updatedAt = job.startedAt;
    job.results = [];
    await this.#state.save();
    const encryptionCertificate = job.encryptionCertificatePem
      ? new x509.X509Certificate(job.encryptionCertificatePem)
      : undefined;
    const issued: { uniqueIdentifier: string; record: IotCertificateRecord }[] = [];
    const keys: Uint8Array[] = [];
    for (const row of job.rows ?? []) {
      if (this.#closed) return;
      try {
        const { record, key } = await this.#issueRow(job, profile, row);
        job.results.push({ uniqueIdentifier: row.uniqueIdentifier, certificateId: record.id });
        issued.push({ uniqueIdentifier: row.uniqueIdentifier, record });
        if (key) keys.push(key);
      } catch (error) {
        if (!(error instanceof ApiError)) {
          this.#options.logger?.error({ err: error, job: job.id }, "batch row failed");
        }
        const message = error instanceof ApiError ? error.message : "Internal error";
        job.results.push({ uniqueIdentifier: row.uniqueIdentifier, error: message });
      }
      job.updatedAt = isoSeconds(new Date());
      await yieldToEventLoop();
    }
    if (this.#closed) return;
    if (encryptionCertificate && issued.length > 0) {
      await this.#storeServerSideKeys(job, issued, keys, encryptionCertificate);
    }
    keys.forEach((key) => key.fill(0));
    await this.#sleep(Math.max(0, started + this.#options.stepMs - Date.now()));
    if (this.#closed) return;
    // [I] COMPLETE when at least one certificate was issued (failed rows are counted), FAILED when none was.
    this.#finish(
      job,
      issued.length > 0 ? "COMPLETE" : "FAILED",
      issued.length > 0 ? undefined : "No certificate could be issued",
    );
    await this.#state.save();
  }

  /** Issues one row; server-side rows also return the private key (PEM or DER per the job). */
  async #issueRow(
    job: IotBatchJob,
    profile: IotProfileDefinition,
    row: BatchRow,
  ): Promise<{ record: IotCertificateRecord; key?: Uint8Array }> {
    if (row.attributes.some((attribute) => attribute.value.length > MAX_VALUE_LENGTH)) {
      throw ApiError.invalidField("file", `Values must be at most ${MAX_VALUE_LENGTH} characters`);
    }
    const kind = (id: string) => profile.fields.find((entry) => entry.id === id)?.kind;
    const certificateAttributes = row.attributes.filter((attribute) => kind(attribute.id) === "certificate");
    const deviceAttributes = row.attributes.filter((attribute) => kind(attribute.id) === "device");
    const meta = { enrollmentMethod: "BATCH", keyGeneration: job.keyGeneration, batchJobId: job.id } as const;
    if (job.keyGeneration === "client_side") {
      const csr = await parseCsr(row.csr?.replaceAll("\\n", "\n"), "csr");
      checkKeyType(profile, csr.publicKey, "csr");
      const resolved = resolveEnrollment(profile, certificateAttributes, deviceAttributes, csr, ROW_FIELDS);
      return {
        record: await issueIotCertificate(this.#state, this.#ca, profile, resolved, csr.publicKey, meta),
      };
    }
    const resolved = resolveEnrollment(
      profile,
      certificateAttributes,
      deviceAttributes,
      undefined,
      ROW_FIELDS,
    );
    const generated = await generateIotKey(job.keyType!);
    const record = await issueIotCertificate(
      this.#state,
      this.#ca,
      profile,
      resolved,
      generated.publicKey,
      meta,
    );
    const syntax = job.privateKeySyntax ?? "pkcs8";
    const key =
      job.privateKeyFormat === "der"
        ? new Uint8Array(exportPrivateKey(generated.privateKey, syntax, "der"))
        : new TextEncoder().encode(exportPrivateKey(generated.privateKey, syntax, "pem"));
    return { record, key };
  }

  /**
   * Server-side keys leave the simulator only encrypted to the job's encryption certificate [C]: per certificate for
   * JSON (`private_key`, base64 EnvelopedData of the key), or one EnvelopedData of the whole ZIP bundle for PEM/DER.
   */
  async #storeServerSideKeys(
    job: IotBatchJob,
    issued: readonly { uniqueIdentifier: string; record: IotCertificateRecord }[],
    keys: readonly Uint8Array[],
    encryptionCertificate: x509.X509Certificate,
  ): Promise<void> {
    if (job.certificateFormat === "json") {
      const lines = issued.map(
        ({ record }, index) =>
          `${record.id} ${Buffer.from(envelope(keys[index]!, encryptionCertificate)).toString("base64")}\n`,
      );
      await this.#state.putBlob(`${job.id}.keys`, Buffer.from(lines.join("")));
      return;
    }
    const files: { name: string; data: string | Uint8Array }[] = [];
    for await (const entry of this.#bundleEntries(job, job.certificateFormat, issued, keys))
      files.push(entry);
    const bundle = zipFiles(files);
    await this.#state.putBlob(`${job.id}.p7m`, envelope(bundle, encryptionCertificate));
    bundle.fill(0);
  }

  #finish(job: IotBatchJob, status: "COMPLETE" | "FAILED", error?: string): void {
    const now = isoSeconds(new Date());
    job.status = status;
    job.completedAt = now;
    job.updatedAt = now;
    if (error) job.error = error;
    delete job.rows;
  }
}
