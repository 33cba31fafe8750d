// Device Trust Manager batch jobs (certificate-batch-service): the HTTP routes, and DtmBatches, which wires the checks
// (./checks.js), the worker (./worker.js) and the store (./store.js) for routes/dtm.ts. Documented [C]: POST
// .../api/v1/jobs (multipart, 200 with the job id), GET .../jobs/{id}, GET .../jobs/{id}/download/report, the form
// fields, the 200 MB cap, the statuses PENDING_APPROVAL, IN_PROGRESS, COMPLETE and FAILED, jobs processed in the order
// received, and approval coming after processing. CHOSEN [I] (see simulator/NOTES-dtm-paths.md): the CSV template,
// list, approve and reject paths, the job and report shapes, and the other statuses. This is the only batch module
// that may import the other three; it may also import the shared simulator modules and the DTM catalogue.
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { ApiError } from "../../errors.js";
import { paging, UUID } from "../../request.js";
import type { ApiRequest, ApiResponse, SimulatorLogger, SimulatorServer } from "../../server.js";
import type { SimulatorState } from "../../state.js";
import { readMultipart, type UploadLimits } from "../../upload.js";
import { csvCell, type DtmDeviceGroup, type DtmPolicyDefinition, templateCsv } from "../policies.js";
import { type DtmBatchJob, JOB_STATUSES, type JobStatus, type ReportRow } from "../types.js";
import {
  checkKeyGeneration,
  DtmBatchChecks,
  type DtmBatchCheckDependencies,
  JOB_TYPE,
  MAX_ENCRYPTION_CERTIFICATE_BYTES,
} from "./checks.js";
import { DtmBatchStore } from "./store.js";
import { DtmBatchWorker } from "./worker.js";

export const BATCH_BASE = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
/** The path in the docs' curl samples [C]; it creates jobs like BATCH_BASE. */
export const BATCH_UI_BASE = "/devicetrustmanager/certificate-batch-service/api-ui/v1/jobs";
/**
 * Job statuses whose rows have all been processed, so a report exists [I: docs say COMPLETE or FAILED]: all but
 * PENDING and IN_PROGRESS.
 */
const REPORTABLE: ReadonlySet<JobStatus> = new Set(
  JOB_STATUSES.filter((status) => status !== "PENDING" && status !== "IN_PROGRESS"),
);
const REPORT_COLUMNS = ["row", "device_name", "status", "device_id", "error_code", "error"] as const;

export interface DtmBatchOptions {
  /** One state step: PENDING lasts at least this long, IN_PROGRESS too, and each rejection state. */
  readonly stepMs: number;
  readonly limits: UploadLimits;
  /** Job inputs and reports go to `<dataDir>/dtm-batch/`; without it, to a temporary directory removed on close. */
  readonly dataDir?: string;
  readonly logger?: SimulatorLogger;
}

/** The checks' policies, group and policy lookups, and what the store and worker need besides. */
export interface DtmBatchDependencies extends Omit<DtmBatchCheckDependencies, "limits"> {
  readonly state: SimulatorState;
  readonly groups: ReadonlyMap<string, DtmDeviceGroup>;
  readonly options: DtmBatchOptions;
}

function reportCsvLine(row: ReportRow): string {
  return REPORT_COLUMNS.map((column) => csvCell(String(row[column] ?? ""))).join(",");
}

/** Batch jobs: the routes, over the upload checks, the FIFO worker and the job store. */
export class DtmBatches {
  readonly #groups: ReadonlyMap<string, DtmDeviceGroup>;
  readonly #policies: ReadonlyMap<string, DtmPolicyDefinition>;
  readonly #policy: DtmBatchDependencies["policy"];
  readonly #limits: UploadLimits;
  readonly #store: DtmBatchStore;
  readonly #checks: DtmBatchChecks;
  readonly #worker: DtmBatchWorker;
  readonly #deciding = new Set<string>();

  constructor(dependencies: DtmBatchDependencies) {
    const { state, options } = dependencies;
    this.#groups = dependencies.groups;
    this.#policies = dependencies.policies;
    this.#policy = dependencies.policy;
    this.#limits = options.limits;
    this.#store = new DtmBatchStore(state, options.dataDir);
    this.#checks = new DtmBatchChecks({
      policies: dependencies.policies,
      group: dependencies.group,
      policy: dependencies.policy,
      limits: options.limits,
    });
    this.#worker = new DtmBatchWorker({
      state,
      policies: dependencies.policies,
      store: this.#store,
      stepMs: options.stepMs,
      ...(options.logger ? { logger: options.logger } : {}),
    });
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
    this.#worker.resume();
  }

  /** Stops the worker and timers, waits for running work, and removes a temporary directory. */
  async close(): Promise<void> {
    await this.#worker.close();
    await this.#store.close();
  }

  /**
   * POST .../jobs (multipart/form-data) [C fields]: job_type (form field or query, device_registration), name,
   * device_group_id, certificate_policy_id, server_side_key_gen, key_type, encryption_certificate (server-side only),
   * data (CSV, or a ZIP of one CSV or of CSR files), emails, external_emails, passcode_generation_option, passcode.
   * Answers 200 {id} [C: 200 with the job's id; body shape I].
   */
  async create(request: ApiRequest): Promise<ApiResponse> {
    const jobId = randomUUID();
    const uploadPath = await this.#store.uploadPath(jobId);
    const inputPath = this.#store.inputPath(jobId);
    const upload = await readMultipart(request.raw!, this.#limits, {
      fileParts: ["data", "encryption_certificate"],
      spool: { part: "data", path: uploadPath },
      maxMemoryFileBytes: MAX_ENCRYPTION_CERTIFICATE_BYTES,
    });
    try {
      const job = await this.#checks.job(request, upload, jobId, inputPath);
      this.#store.add(job);
      this.#worker.enqueue(job);
      await this.#store.save();
      return { status: 200, json: { id: job.id } };
    } catch (error) {
      await rm(inputPath, { force: true });
      throw error;
    } finally {
      await rm(uploadPath, { force: true });
    }
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
    const jobs = this.#store
      .jobs()
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
    checkKeyGeneration(policy, serverSide);
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
    if (!(await this.#store.hasReport(job.id))) throw ApiError.notFound("The batch job has no report");
    const accept = String(request.headers.accept ?? "");
    const json = format === "json" || (format === undefined && /application\/json/i.test(accept));
    if (json) {
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        stream: () => this.#jsonReport(job),
      };
    }
    return {
      status: 200,
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${job.id}-report.csv"`,
      },
      stream: () => this.#csvReport(job),
    };
  }

  async *#csvReport(job: DtmBatchJob): AsyncIterable<string> {
    yield `${REPORT_COLUMNS.join(",")}\r\n`;
    for await (const row of this.#store.reportRows(job.id)) yield `${reportCsvLine(row)}\r\n`;
  }

  async *#jsonReport(job: DtmBatchJob): AsyncIterable<string> {
    const head = {
      job_id: job.id,
      status: job.status,
      total: job.total,
      success: job.success,
      failed: job.failed,
    };
    yield `${JSON.stringify(head).slice(0, -1)},"rows":[`;
    let first = true;
    for await (const row of this.#store.reportRows(job.id)) {
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
      await this.#worker.approve(job);
      return { status: 204 };
    } finally {
      this.#deciding.delete(job.id);
    }
  }

  /** PUT .../jobs/{id}/reject [I path]: PENDING_REJECTION, then REJECTION_IN_PROGRESS, then REJECTED, a step each. */
  async reject(request: ApiRequest): Promise<ApiResponse> {
    const job = this.#decidable(request);
    await this.#worker.reject(job);
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

  #job(request: ApiRequest): DtmBatchJob {
    const id = request.params.id ?? "";
    if (!UUID.test(id)) throw ApiError.invalidField("id", "The job id must be a UUID");
    const job = this.#store.job(id.toLowerCase());
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
}
