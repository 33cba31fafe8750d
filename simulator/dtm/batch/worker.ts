// The background side of DTM batch jobs: the one FIFO worker that takes PENDING jobs in the order received, checks
// every row and writes the report (registering devices at once, or holding them for approval), then the approval
// and rejection state walks, and resume after a restart. Every job status change after creation happens here, a
// step (stepMs) at a time. It may import ./checks.js and ./store.js (never ./routes.js), the DTM modules it registers
// devices with (../devices.js, ../errors.js, ../policies.js, ../types.js) and ../../background.js, ../../state.js.
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { Background } from "../../background.js";
import type { SimulatorLogger } from "../../server.js";
import { isoSeconds, type SimulatorState } from "../../state.js";
import { csvFileRecords } from "../../upload.js";
import { newDevice } from "../devices.js";
import { duplicateName } from "../errors.js";
import type { DtmPolicyDefinition } from "../policies.js";
import type { CheckedRegistration } from "../registration.js";
import { FINAL_JOB_STATUSES, type DtmBatchJob, type JobStatus } from "../types.js";
import { type ColumnMap, checkRow, failedRow, jobColumns } from "./checks.js";
import type { DtmBatchStore } from "./store.js";

export interface DtmBatchWorkerDependencies {
  readonly state: SimulatorState;
  readonly policies: ReadonlyMap<string, DtmPolicyDefinition>;
  readonly store: DtmBatchStore;
  /** One state step: PENDING lasts at least this long, IN_PROGRESS too, and each rejection state. */
  readonly stepMs: number;
  readonly logger?: SimulatorLogger;
}

export class DtmBatchWorker {
  readonly #state: SimulatorState;
  readonly #policies: ReadonlyMap<string, DtmPolicyDefinition>;
  readonly #store: DtmBatchStore;
  readonly #stepMs: number;
  readonly #logger: SimulatorLogger | undefined;
  readonly #background = new Background();
  /** Job ids waiting to be processed, oldest first [C: processed in the order received]. */
  readonly #queue: string[] = [];
  readonly #queuedAt = new Map<string, number>();
  #working = false;

  constructor(dependencies: DtmBatchWorkerDependencies) {
    this.#state = dependencies.state;
    this.#policies = dependencies.policies;
    this.#store = dependencies.store;
    this.#stepMs = dependencies.stepMs;
    this.#logger = dependencies.logger;
  }

  /** After a restart: PENDING jobs queue again, rejections carry on, a job cut off mid-run is TERMINATED [I]. */
  resume(): void {
    let changed = false;
    const jobs = this.#store.jobs().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const job of jobs) {
      if (job.status === "PENDING") this.enqueue(job);
      if (job.status === "PENDING_REJECTION" || job.status === "REJECTION_IN_PROGRESS")
        this.#runRejection(job);
      if (job.status === "IN_PROGRESS") {
        this.#finish(job, "TERMINATED", "The job was interrupted by a simulator restart");
        this.#background.run(() => this.#store.removeInputs(job.id).catch(() => undefined));
        changed = true;
      }
    }
    if (changed) void this.#store.save().catch(() => undefined);
  }

  /** Stops the worker and timers and waits for running work. */
  close(): Promise<void> {
    return this.#background.close();
  }

  enqueue(job: DtmBatchJob): void {
    this.#queue.push(job.id);
    this.#queuedAt.set(job.id, Date.now());
    if (this.#working) return;
    this.#working = true;
    this.#background.run(() => this.#drain());
  }

  /**
   * Registers the devices a PENDING_APPROVAL job holds and completes it; a row whose name was taken meanwhile fails
   * with "03".
   */
  async approve(job: DtmBatchJob): Promise<void> {
    const now = isoSeconds(new Date());
    job.approvedAt = now;
    job.updatedAt = now;
    const created = new Map<number, string>();
    for await (const registration of this.#store.pending(job.id)) {
      if (this.#state.dtmDeviceByName(job.deviceGroupId, registration.name)) continue;
      created.set(registration.row, this.#register(job, registration).id);
      if (created.size % 100 === 0) await yieldToEventLoop();
    }
    const committed = await this.#store.rewriteReport(job.id, (row) => {
      if (row.status !== "SUCCESS") return row;
      const deviceId = created.get(row.row);
      if (deviceId) return { ...row, device_id: deviceId };
      return failedRow(row.row, row.device_name, duplicateName(row.device_name));
    });
    job.success = committed.success;
    job.failed = committed.failed;
    this.#settle(job);
    await this.#store.removeInputs(job.id);
    await this.#store.save();
  }

  /** Rejects a PENDING_APPROVAL job: PENDING_REJECTION, then REJECTION_IN_PROGRESS, then REJECTED, a step each. */
  async reject(job: DtmBatchJob): Promise<void> {
    const now = isoSeconds(new Date());
    job.status = "PENDING_REJECTION";
    job.rejectedAt = now;
    job.updatedAt = now;
    await this.#store.save();
    this.#runRejection(job);
  }

  #runRejection(job: DtmBatchJob): void {
    this.#background.run(async () => {
      try {
        if (job.status === "PENDING_REJECTION") {
          await this.#background.sleep(this.#stepMs);
          if (this.#background.closed) return;
          job.status = "REJECTION_IN_PROGRESS";
          job.updatedAt = isoSeconds(new Date());
          await this.#store.save();
        }
        const started = Date.now();
        await this.#store.rewriteReport(job.id, (row) =>
          row.status === "SUCCESS" ? { ...row, status: "REJECTED" } : row,
        );
        await this.#background.sleep(Math.max(0, started + this.#stepMs - Date.now()));
        if (this.#background.closed) return;
        this.#finish(job, "REJECTED");
        await this.#store.removeInputs(job.id);
        await this.#store.save();
      } catch (error) {
        this.#logger?.error({ err: error, job: job.id }, "DTM job rejection failed");
      }
    });
  }

  /** The one worker: jobs in the order received, each PENDING for at least one step. */
  async #drain(): Promise<void> {
    try {
      while (!this.#background.closed) {
        const id = this.#queue.shift();
        if (id === undefined) break;
        const queuedAt = this.#queuedAt.get(id) ?? Date.now();
        this.#queuedAt.delete(id);
        const job = this.#store.job(id);
        if (job?.status !== "PENDING") continue;
        await this.#background.sleep(Math.max(0, queuedAt + this.#stepMs - Date.now()));
        if (this.#background.closed) break;
        try {
          await this.#process(job);
        } catch (error) {
          this.#logger?.error({ err: error, job: job.id }, "DTM batch job failed");
          if (!this.#background.closed) {
            this.#finish(job, "FAILED", "Internal error while processing the batch");
            await this.#store.removeInputs(job.id).catch(() => undefined);
            await this.#store.save().catch(() => undefined);
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
    await this.#store.save();
    const report = this.#store.reportWriter(job.id);
    const pending = policy.approvalRequired ? this.#store.pendingWriter(job.id) : undefined;
    const names = new Set<string>();
    let columns: ColumnMap | undefined;
    let row = 0;
    try {
      for await (const record of csvFileRecords(this.#store.inputPath(job.id), "data")) {
        if (this.#background.closed) return;
        if (!columns) {
          columns = jobColumns(policy, job.serverSideKeyGen, job.source, record);
          continue;
        }
        row += 1;
        const result = await checkRow(this.#state, job, policy, columns, record, row, names);
        if (result.failed) {
          await report.write(result.failed);
          job.failed += 1;
        } else {
          const { registration } = result;
          if (pending) {
            await report.write({ row, device_name: registration.name, status: "SUCCESS" });
            await pending.write({ row, ...registration });
          } else {
            const device = this.#register(job, registration);
            await report.write({
              row,
              device_name: registration.name,
              status: "SUCCESS",
              device_id: device.id,
            });
          }
          job.success += 1;
        }
        if (row % 25 === 0) {
          job.updatedAt = isoSeconds(new Date());
          await yieldToEventLoop();
        }
      }
    } finally {
      await report.end();
      if (pending) await pending.end();
    }
    if (this.#background.closed) return;
    await this.#background.sleep(Math.max(0, started + this.#stepMs - Date.now()));
    if (this.#background.closed) return;
    const now = isoSeconds(new Date());
    job.processedAt = now;
    job.updatedAt = now;
    if (pending && job.success > 0) {
      job.status = "PENDING_APPROVAL";
    } else {
      this.#settle(job);
      await this.#store.removeInputs(job.id);
    }
    await this.#store.save();
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

  /** [I] COMPLETE when at least one device was registered (failed rows are counted), FAILED when none was. */
  #settle(job: DtmBatchJob): void {
    if (job.success > 0) this.#finish(job, "COMPLETE");
    else this.#finish(job, "FAILED", "No device could be registered");
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
}
