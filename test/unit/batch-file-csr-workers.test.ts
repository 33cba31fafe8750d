import { zipSync } from "fflate";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  BATCH_FILE_LIMITS,
  type BatchFileRules,
  checkBatchFile,
  closeCsrWorkers,
  configureCsrChecks,
  csrWorkerThreads,
  csrWorkerVerdicts,
  defaultCsrCheckSettings,
} from "../../src/batch-file/check.js";
import { CsrWorkerError } from "../../src/batch-file/csr-workers.js";
import { InvalidBatchFileError } from "../../src/model/errors.js";
import { generateCsr, tamperedCsr } from "../helpers/pki.js";

// CSR signatures are checked on worker threads: each check below waits for a worker (inlineWhileStarting: false) so
// that every verdict provably comes from one. Keys and CSRs are generated at test time.

const CLIENT_SIDE: BatchFileRules = {
  ...BATCH_FILE_LIMITS,
  requiredColumns: ["device_name", "subject.common_name", "csr"],
  serverSideKeyGeneration: false,
};

let good: string[];
let bad: string;

beforeAll(async () => {
  good = await Promise.all(
    [1, 2, 3, 4].map(async (n) => (await generateCsr({ subject: `CN=worker-${n}.example.com` })).pem),
  );
  bad = await tamperedCsr();
});

afterEach(async () => {
  await closeCsrWorkers();
  configureCsrChecks(defaultCsrCheckSettings());
});

function cell(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** `rows` data rows, each with one of the good CSRs, except the rows in `tampered`. */
function csvOf(rows: number, tampered: ReadonlySet<number> = new Set()): Buffer {
  const lines = ["device_name,subject.common_name,csr"];
  for (let row = 1; row <= rows; row++) {
    const csr = tampered.has(row) ? bad : good[row % good.length]!;
    lines.push(`d-${row},d-${row}.example.com,${cell(csr)}`);
  }
  return Buffer.from(`${lines.join("\r\n")}\r\n`);
}

function fileOf(bytes: Buffer, chunkBytes = 16 * 1024) {
  return {
    size: bytes.length,
    stream: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += chunkBytes)
            controller.enqueue(bytes.subarray(at, at + chunkBytes));
          controller.close();
        },
      }),
  };
}

/** Runs `check`, noting the most worker threads seen while it ran. */
async function watchingThreads<T>(check: () => Promise<T>): Promise<{ outcome: T | unknown; most: number }> {
  let most = 0;
  const timer = setInterval(() => (most = Math.max(most, csrWorkerThreads())), 2);
  try {
    const outcome = await check().then(
      (value) => value,
      (error: unknown) => error,
    );
    return { outcome, most: Math.max(most, csrWorkerThreads()) };
  } finally {
    clearInterval(timer);
  }
}

describe("CSR checks on worker threads", () => {
  it("report each CSR whose signature does not verify by its row, in row order, from the workers", async () => {
    configureCsrChecks({ threads: 1, inlineFirst: 0, inlineWhileStarting: false });
    const before = csrWorkerVerdicts();
    const { outcome, most } = await watchingThreads(() =>
      checkBatchFile(fileOf(csvOf(60, new Set([41, 5, 58]))), CLIENT_SIDE),
    );
    expect(outcome).toBeInstanceOf(InvalidBatchFileError);
    expect((outcome as InvalidBatchFileError).problems).toEqual(
      [5, 41, 58].map((row) => ({
        row,
        column: "csr",
        entry: null,
        message: "The CSR's signature does not verify against its public key.",
      })),
    );
    expect(csrWorkerVerdicts() - before).toBe(60);
    expect(most).toBe(1);
    // The refused file leaves no thread behind.
    expect(csrWorkerThreads()).toBe(0);
  });

  it("accept a file whose CSRs all verify, spread over two workers, and stop both once it is checked", async () => {
    configureCsrChecks({ threads: 2, inlineFirst: 0, inlineWhileStarting: false });
    const before = csrWorkerVerdicts();
    const { outcome, most } = await watchingThreads(() => checkBatchFile(fileOf(csvOf(120)), CLIENT_SIDE));
    expect(outcome).toEqual({ format: "CSV", rows: 120 });
    expect(csrWorkerVerdicts() - before).toBe(120);
    expect(most).toBe(2);
    expect(csrWorkerThreads()).toBe(0);
  });

  it("check a ZIP's CSR files on the workers too, naming the file that does not verify", async () => {
    configureCsrChecks({ threads: 1, inlineFirst: 0, inlineWhileStarting: false });
    const entries: Record<string, Uint8Array> = {};
    for (let n = 1; n <= 20; n++) entries[`device-${n}.csr`] = Buffer.from(n === 13 ? bad : good[n % 4]!);
    const before = csrWorkerVerdicts();
    const outcome = await checkBatchFile(fileOf(Buffer.from(zipSync(entries))), CLIENT_SIDE).catch(
      (error: unknown) => error,
    );
    expect((outcome as InvalidBatchFileError).problems).toEqual([
      expect.objectContaining({ entry: "device-13.csr", row: null }),
    ]);
    expect(csrWorkerVerdicts() - before).toBe(20);
    expect(csrWorkerThreads()).toBe(0);
  });

  it("check a small file's first CSRs on the calling thread, starting no worker", async () => {
    configureCsrChecks({ threads: 1, inlineFirst: 32 });
    const before = csrWorkerVerdicts();
    const { outcome, most } = await watchingThreads(() =>
      checkBatchFile(fileOf(csvOf(10, new Set([3]))), CLIENT_SIDE),
    );
    expect((outcome as InvalidBatchFileError).problems).toEqual([expect.objectContaining({ row: 3 })]);
    expect(csrWorkerVerdicts()).toBe(before);
    expect(most).toBe(0);
  });

  it("check every CSR on the calling thread with threads set to 0", async () => {
    configureCsrChecks({ threads: 0, inlineFirst: 0 });
    const before = csrWorkerVerdicts();
    const outcome = await checkBatchFile(fileOf(csvOf(40, new Set([40]))), CLIENT_SIDE).catch(
      (error: unknown) => error,
    );
    expect((outcome as InvalidBatchFileError).problems).toEqual([expect.objectContaining({ row: 40 })]);
    expect(csrWorkerVerdicts()).toBe(before);
  });

  it("are stopped at once by closeCsrWorkers, failing a check still waiting for them", async () => {
    configureCsrChecks({ threads: 1, inlineFirst: 0, inlineWhileStarting: false });
    const before = csrWorkerVerdicts();
    const check = checkBatchFile(fileOf(csvOf(2000)), CLIENT_SIDE).catch((error: unknown) => error);
    await expect.poll(() => csrWorkerVerdicts() - before, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(csrWorkerThreads()).toBe(1);
    await closeCsrWorkers();
    expect(csrWorkerThreads()).toBe(0);
    expect(await check).toBeInstanceOf(CsrWorkerError);
  });

  it("stop when nobody waits for the check any more (its signal aborts), leaving no thread behind", async () => {
    configureCsrChecks({ threads: 1, inlineFirst: 0, inlineWhileStarting: false });
    const over = new AbortController();
    const before = csrWorkerVerdicts();
    const check = checkBatchFile({ ...fileOf(csvOf(2000)), signal: over.signal }, CLIENT_SIDE).catch(
      (error: unknown) => error,
    );
    await expect.poll(() => csrWorkerVerdicts() - before, { timeout: 15_000 }).toBeGreaterThan(0);
    over.abort(new DOMException("gone", "AbortError"));
    expect(csrWorkerThreads()).toBe(0);
    expect(await check).toMatchObject({ name: "AbortError" });
  });

  it("refuse bad settings", () => {
    expect(() => configureCsrChecks({ threads: -1 })).toThrow(RangeError);
    expect(() => configureCsrChecks({ inlineFirst: 1.5 })).toThrow(RangeError);
  });
});
