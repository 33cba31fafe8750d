/**
 * Where a batch file's CSRs are checked (`csrChecks`): on a few worker threads (node:worker_threads), so that parsing
 * and verifying thousands of CSRs (about 1.5 ms of CPU each) keeps neither the event loop nor the file's other checks
 * waiting. Each check of a file opens its own `CsrChecks` and closes it when done; its first `inlineFirst` CSRs are
 * checked on the calling thread (a small file starts no worker), the rest in batches on at most `threads` workers,
 * started when a file first needs them and stopped as soon as no check has one open (a refused or finished file leaves
 * no thread behind; `closeCsrWorkers` stops them at once, for shutdown). Verdicts are the same wherever a CSR is
 * checked (csr-verdict.ts); the caller (csv.ts's InOrder) puts them back in row order. A worker that fails takes no
 * upload down: its CSRs are checked on the calling thread. The worker is dist/csr-worker.js in the build; from the
 * sources it is bundled on first use with esbuild (which comes with tsx), as Node 20 cannot load TypeScript in a
 * worker. It imports the folder's csr-verdict.ts (and csr-worker.ts's types) and Node's built-ins.
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { build } from "esbuild";
import { csrVerdict } from "./csr-verdict.js";
import type { CsrBatchReply, CsrBatchRequest } from "./csr-worker.js";

export interface CsrCheckSettings {
  /** Worker threads at most; 0 checks every CSR on the calling thread. */
  threads: number;
  /** Each file's first this-many CSRs are checked on the calling thread before any worker is started. */
  inlineFirst: number;
  /** While the workers start, CSRs are checked on the calling thread (true) or wait for a worker (false: tests). */
  inlineWhileStarting: boolean;
}

/** min(2, cores − 1) threads, at least 1; 32 CSRs inline (about 50 ms) before a worker is worth starting. */
export function defaultCsrCheckSettings(): CsrCheckSettings {
  return {
    threads: Math.max(1, Math.min(2, availableParallelism() - 1)),
    inlineFirst: 32,
    inlineWhileStarting: true,
  };
}

/** CSRs sent to a worker in one message, and messages a worker holds at once. */
const BATCH = 16;
const BATCHES_PER_WORKER = 2;
/** After a worker failed to start, how long CSRs stay on the calling thread before another is tried. */
const RETRY_START_MS = 30_000;

/** Not a CSR's fault: a worker that could not be used, or a check that was closed. */
export class CsrWorkerError extends Error {
  override readonly name = "CsrWorkerError";
  readonly code = "CSR_WORKER_FAILED";
}

/** One file's CSR checks. */
export interface CsrChecks {
  /** null: one CSR whose signature verifies; else the refusal's message. Rejects only on a failure not the CSR's. */
  verdict(pem: string): Promise<string | null>;
  /** How many verdicts may be pending at once to keep the workers busy. */
  readonly inFlight: number;
  /** Drops this file's CSRs not yet sent; the last file to close stops the workers. Idempotent. */
  close(): void;
}

interface Job {
  pem: string;
  checks: FileChecks;
  resolve(verdict: string | null): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker | null;
  ready: boolean;
  batches: Map<number, Job[]>;
}

/** True in the build (dist/*.js), false from the sources (tsx, vitest). */
const BUILT = !import.meta.url.endsWith(".ts");
/** A variable, so the production bundle neither inlines esbuild nor needs it. */
const ESBUILD = "esbuild";

class FileChecks implements CsrChecks {
  #count = 0;
  closed = false;
  constructor(readonly pool: CsrWorkerPool) {}

  get inFlight(): number {
    return Math.max(8, this.pool.settings.threads * BATCH * (BATCHES_PER_WORKER + 1));
  }

  verdict(pem: string): Promise<string | null> {
    if (this.closed) return Promise.reject(new CsrWorkerError("The file's CSR checks are closed."));
    this.#count += 1;
    const { threads, inlineFirst, inlineWhileStarting } = this.pool.settings;
    if (threads === 0 || this.#count <= inlineFirst) return csrVerdict(pem);
    this.pool.want();
    // Until a worker is ready, the calling thread goes on checking (or, with none starting, does it all).
    if (!this.pool.ready && (inlineWhileStarting || this.pool.threads === 0)) return csrVerdict(pem);
    this.pool.verdicts += 1;
    return new Promise((resolve, reject) => this.pool.enqueue({ pem, checks: this, resolve, reject }));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.release(this);
  }
}

class CsrWorkerPool {
  settings: CsrCheckSettings = defaultCsrCheckSettings();
  /** CSRs sent to the workers since the start (for tests and metrics). */
  verdicts = 0;
  readonly #slots = new Set<Slot>();
  readonly #open = new Set<FileChecks>();
  #queue: Job[] = [];
  #nextId = 1;
  #flushQueued = false;
  readonly #stopping = new Set<Promise<unknown>>();
  #source: Promise<string> | null = null;
  /** When a worker last failed to start: none is started again for a while (each file's CSRs go inline). */
  #failedAt = Number.NEGATIVE_INFINITY;

  /** Workers started and not yet stopped (for tests and metrics). */
  get threads(): number {
    return this.#slots.size;
  }

  get ready(): boolean {
    for (const slot of this.#slots) if (slot.ready) return true;
    return false;
  }

  open(): CsrChecks {
    const checks = new FileChecks(this);
    this.#open.add(checks);
    return checks;
  }

  want(): void {
    if (performance.now() - this.#failedAt < RETRY_START_MS) return;
    while (this.#slots.size < this.settings.threads) this.#start();
  }

  enqueue(job: Job): void {
    this.#queue.push(job);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Verdicts asked for in one go travel together.
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  release(checks: FileChecks): void {
    this.#open.delete(checks);
    const dropped = this.#queue.filter((job) => job.checks === checks);
    if (dropped.length > 0) {
      this.#queue = this.#queue.filter((job) => job.checks !== checks);
      for (const job of dropped) job.reject(new CsrWorkerError("The file's CSR checks are closed."));
    }
    if (this.#open.size === 0) this.#stopAll();
  }

  /** Stops every worker now; pending verdicts reject. */
  async close(): Promise<void> {
    for (const checks of [...this.#open]) checks.closed = true;
    this.#open.clear();
    const queued = this.#queue;
    this.#queue = [];
    for (const job of queued) job.reject(new CsrWorkerError("The CSR workers were stopped."));
    this.#stopAll();
    await Promise.all([...this.#stopping]);
  }

  #start(): void {
    const slot: Slot = { worker: null, ready: false, batches: new Map() };
    this.#slots.add(slot);
    this.#spawn().then(
      (worker) => {
        if (!this.#slots.has(slot)) {
          this.#terminate(worker);
          return;
        }
        slot.worker = worker;
        worker.unref();
        worker.on("message", (reply: CsrBatchReply) => this.#onReply(slot, reply));
        worker.on("error", (error) => this.#lost(slot, error));
        worker.on("exit", (code) => this.#lost(slot, new CsrWorkerError(`A CSR worker exited (${code}).`)));
      },
      (error: unknown) => this.#lost(slot, error),
    );
  }

  async #spawn(): Promise<Worker> {
    const options = { workerData: { csrWorker: true }, name: "csr-checks" };
    if (BUILT) return new Worker(new URL("./csr-worker.js", import.meta.url), options);
    if (this.#source === null) {
      const source = bundleWorker();
      this.#source = source;
      // A failed bundle is tried again by the next worker started.
      source.catch(() => {
        if (this.#source === source) this.#source = null;
      });
    }
    return new Worker(await this.#source, { ...options, eval: true });
  }

  #onReply(slot: Slot, reply: CsrBatchReply): void {
    if ("ready" in reply) {
      slot.ready = true;
      this.#flush();
      return;
    }
    const jobs = slot.batches.get(reply.id);
    if (!jobs) return;
    slot.batches.delete(reply.id);
    if (slot.batches.size === 0) slot.worker?.unref();
    if ("failure" in reply) {
      const error = new CsrWorkerError(`A CSR check failed in a worker: ${reply.failure.name}.`);
      for (const job of jobs) job.reject(error);
    } else {
      jobs.forEach((job, index) => job.resolve(reply.verdicts[index] ?? null));
    }
    this.#flush();
  }

  /** A worker that failed or exited on its own: its CSRs, and any left queued with no worker, go inline. */
  #lost(slot: Slot, error: unknown): void {
    if (!this.#slots.delete(slot)) return;
    if (slot.worker) this.#terminate(slot.worker);
    if (!slot.ready) this.#failedAt = performance.now();
    if (!slot.ready) process.emitWarning(`CSR worker did not start: ${describe(error)}`, "CsrWorkerWarning");
    const jobs = [...slot.batches.values()].flat();
    if (!this.ready) jobs.push(...this.#queue.splice(0));
    for (const job of jobs) csrVerdict(job.pem).then(job.resolve, job.reject);
  }

  #flush(): void {
    for (;;) {
      if (this.#queue.length === 0) return;
      let target: Slot | null = null;
      for (const slot of this.#slots) {
        if (!slot.ready || slot.batches.size >= BATCHES_PER_WORKER) continue;
        if (target === null || slot.batches.size < target.batches.size) target = slot;
      }
      if (target === null || target.worker === null) return;
      const jobs = this.#queue.splice(0, BATCH);
      const id = this.#nextId++;
      target.batches.set(id, jobs);
      // Held while it works: a check awaiting a verdict keeps the process alive.
      target.worker.ref();
      target.worker.postMessage({ id, pems: jobs.map((job) => job.pem) } satisfies CsrBatchRequest);
    }
  }

  #stopAll(): void {
    const slots = [...this.#slots];
    this.#slots.clear();
    for (const slot of slots) {
      if (slot.worker) this.#terminate(slot.worker);
      for (const job of [...slot.batches.values()].flat()) {
        job.reject(new CsrWorkerError("The CSR workers were stopped."));
      }
    }
  }

  #terminate(worker: Worker): void {
    worker.removeAllListeners("exit");
    worker.removeAllListeners("message");
    // An error while it stops is of no interest.
    worker.removeAllListeners("error");
    worker.on("error", () => undefined);
    const stopping = worker.terminate().catch(() => undefined);
    this.#stopping.add(stopping);
    void stopping.finally(() => this.#stopping.delete(stopping));
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** csr-worker.ts and what it imports, as one CommonJS script for a worker started with `eval`. */
async function bundleWorker(): Promise<string> {
  const esbuild = (await import(ESBUILD)) as { build: typeof build };
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./csr-worker.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    write: false,
    logLevel: "silent",
  });
  const text = result.outputFiles?.[0]?.text;
  if (text === undefined) throw new CsrWorkerError("esbuild gave no worker bundle.");
  return text;
}

const pool = new CsrWorkerPool();

/** Opens one file's CSR checks; close it when the file's check ends, however it ends. */
export function csrChecks(): CsrChecks {
  return pool.open();
}

/** Changes the settings for files checked from now on (the gateway's configuration, tests). */
export function configureCsrChecks(settings: Partial<CsrCheckSettings>): void {
  const next = { ...pool.settings, ...settings };
  for (const [name, value] of Object.entries({ threads: next.threads, inlineFirst: next.inlineFirst })) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`configureCsrChecks: ${name} must be a whole number, got ${String(value)}.`);
    }
  }
  pool.settings = next;
}

/** CSR worker threads running now (started or starting). */
export function csrWorkerThreads(): number {
  return pool.threads;
}

/** CSRs handed to the workers since the process started. */
export function csrWorkerVerdicts(): number {
  return pool.verdicts;
}

/** Shutdown: stops every CSR worker now (pending verdicts reject) and resolves once they have exited. */
export function closeCsrWorkers(): Promise<void> {
  return pool.close();
}
