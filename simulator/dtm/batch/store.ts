// The persistent store of DTM batch jobs: the job records (kept in SimulatorState, so in state.json), and each job's
// files in `<dataDir>/dtm-batch/` (mode 0700, files 0600) or a temporary directory removed on close: the spooled
// upload, the input CSV while the job runs, the held registrations of a job awaiting approval, and the JSON-lines
// report. It decides nothing about jobs. It may import node, ../../state.js and the DTM types (../types.js,
// ../registration.js), never the other batch modules.
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { SimulatorState } from "../../state.js";
import type { CheckedRegistration } from "../registration.js";
import type { DtmBatchJob, ReportRow } from "../types.js";

/** A registration checked during processing and held until the job is approved. */
export interface PendingRegistration extends CheckedRegistration {
  readonly row: number;
}

/** Appends JSON lines to a new file (mode 0600), waiting on back-pressure. */
export class JsonLinesWriter {
  readonly #stream: WriteStream;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { mode: 0o600 });
  }

  async write(value: unknown): Promise<void> {
    if (!this.#stream.write(`${JSON.stringify(value)}\n`)) await once(this.#stream, "drain");
  }

  end(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stream.once("error", reject);
      this.#stream.end(() => resolve());
    });
  }
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

export class DtmBatchStore {
  readonly #state: SimulatorState;
  readonly #dataDir: string | undefined;
  #dir: Promise<string> | undefined;
  #resolvedDir: string | undefined;
  #temporaryDir = false;

  /** Files go to `<dataDir>/dtm-batch/`; without `dataDir`, to a temporary directory removed on close. */
  constructor(state: SimulatorState, dataDir: string | undefined) {
    this.#state = state;
    this.#dataDir = dataDir;
  }

  job(id: string): DtmBatchJob | undefined {
    return this.#state.dtmJobs.get(id);
  }

  /** Every job, in the order created. */
  jobs(): DtmBatchJob[] {
    return [...this.#state.dtmJobs.values()];
  }

  add(job: DtmBatchJob): void {
    this.#state.dtmJobs.set(job.id, job);
  }

  /** Persists the jobs (with the rest of the state). */
  save(): Promise<void> {
    return this.#state.save();
  }

  /** Where a new job's upload is spooled; creates the directory on first use. */
  async uploadPath(jobId: string): Promise<string> {
    return join(await this.#directory(), `${jobId}.upload`);
  }

  /** The job's input CSV, present while the job runs. */
  inputPath(jobId: string): string {
    return this.#path(jobId, "csv");
  }

  reportWriter(jobId: string): JsonLinesWriter {
    return new JsonLinesWriter(this.#path(jobId, "report.jsonl"));
  }

  pendingWriter(jobId: string): JsonLinesWriter {
    return new JsonLinesWriter(this.#path(jobId, "pending.jsonl"));
  }

  pending(jobId: string): AsyncGenerator<PendingRegistration> {
    return jsonLines<PendingRegistration>(this.#path(jobId, "pending.jsonl"));
  }

  async hasReport(jobId: string): Promise<boolean> {
    const path = this.#path(jobId, "report.jsonl");
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  }

  /** The report's rows, read one at a time. */
  reportRows(jobId: string): AsyncGenerator<ReportRow> {
    return jsonLines<ReportRow>(this.#path(jobId, "report.jsonl"));
  }

  /** Rewrites the report through `change`; returns the new counts. */
  async rewriteReport(
    jobId: string,
    change: (row: ReportRow) => ReportRow,
  ): Promise<{ success: number; failed: number }> {
    const path = this.#path(jobId, "report.jsonl");
    const next = this.#path(jobId, "report.jsonl.next");
    const out = new JsonLinesWriter(next);
    let success = 0;
    let failed = 0;
    try {
      for await (const row of jsonLines<ReportRow>(path)) {
        const changed = change(row);
        if (changed.status === "FAILED") failed += 1;
        else if (changed.status === "SUCCESS") success += 1;
        await out.write(changed);
      }
    } finally {
      await out.end();
    }
    await rename(next, path);
    return { success, failed };
  }

  /** Removes what only a running or undecided job needs: the input CSV and the held registrations. */
  async removeInputs(jobId: string): Promise<void> {
    await Promise.all([
      rm(this.#path(jobId, "csv"), { force: true }),
      rm(this.#path(jobId, "pending.jsonl"), { force: true }),
    ]);
  }

  /** Removes a temporary directory; call once nothing writes any more. */
  async close(): Promise<void> {
    if (this.#temporaryDir && this.#dir) {
      const dir = await this.#dir.catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  #path(jobId: string, suffix: string): string {
    return join(this.#directorySync(), `${jobId}.${suffix}`);
  }

  #directorySync(): string {
    if (this.#dataDir) return join(this.#dataDir, "dtm-batch");
    if (!this.#resolvedDir) throw new Error("DTM batch directory used before it was created");
    return this.#resolvedDir;
  }

  /** `<dataDir>/dtm-batch` (0700), or a temporary directory; created on first use. */
  #directory(): Promise<string> {
    this.#dir ??= (async () => {
      let dir: string;
      if (this.#dataDir) {
        dir = join(this.#dataDir, "dtm-batch");
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
