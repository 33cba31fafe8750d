import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { BATCH_FILE_LIMITS, type BatchFileRules, checkBatchFile } from "../../src/batch-file/check.js";
import { InvalidBatchFileError } from "../../src/model/errors.js";

// checkBatchFile on files still arriving (an upload being received): `arrived` pending, `size` the bytes so far, the
// stream giving chunks as a test releases them.

const SERVER_SIDE: BatchFileRules = {
  ...BATCH_FILE_LIMITS,
  requiredColumns: ["subject.common_name", "subject.organization_name"],
  knownColumns: ["subject.common_name", "subject.organization_name", "device_name"],
  serverSideKeyGeneration: true,
};

/** A file whose bytes arrive when `give` is called; `end` completes it, `fail` breaks the upload. */
function arriving() {
  const chunks: Uint8Array[] = [];
  let waiting: (() => void) | null = null;
  let ended = false;
  let failure: unknown = null;
  let received = 0;
  let settle!: { resolve(): void; reject(error: unknown): void };
  const arrived = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  arrived.catch(() => undefined);
  const state = { cancelled: false, sliced: [] as { start?: number; end?: number; arrived: boolean }[] };
  let done = false;
  void arrived.then(
    () => (done = true),
    () => undefined,
  );
  const wake = () => {
    waiting?.();
    waiting = null;
  };
  const all: Uint8Array[] = [];
  const file = {
    get size() {
      return received;
    },
    arrived,
    stream() {
      let at = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          for (;;) {
            if (failure) throw failure;
            if (at < chunks.length) return controller.enqueue(chunks[at++]!);
            if (ended) return controller.close();
            await new Promise<void>((resolve) => (waiting = resolve));
          }
        },
        cancel() {
          state.cancelled = true;
        },
      });
    },
    slice(start?: number, end?: number) {
      state.sliced.push({
        ...(start === undefined ? {} : { start }),
        ...(end === undefined ? {} : { end }),
        arrived: done,
      });
      const bytes = Buffer.concat(all).subarray(start, end);
      return { stream: () => new Blob([bytes]).stream() as ReadableStream<Uint8Array> };
    },
  };
  return {
    file,
    state,
    give(data: string | Uint8Array) {
      const bytes = typeof data === "string" ? Buffer.from(data) : data;
      chunks.push(bytes);
      all.push(bytes);
      received += bytes.length;
      wake();
    },
    end() {
      ended = true;
      settle.resolve();
      wake();
    },
    fail(error: unknown) {
      failure = error;
      settle.reject(error);
      wake();
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("checkBatchFile on a file still arriving", () => {
  it("refuses a CSV whose header is wrong as soon as the header has come, and stops reading", async () => {
    const upload = arriving();
    const check = checkBatchFile(upload.file, SERVER_SIDE).catch((error: unknown) => error);
    upload.give("subject.common_name,colour\n");
    // More than the first 512 bytes, which are sniffed for an archive's signature before anything is parsed.
    for (let n = 0; n < 40; n++) upload.give(`d-${n}.example.com,blue\n`);
    const outcome = await check;
    expect(outcome).toBeInstanceOf(InvalidBatchFileError);
    expect((outcome as InvalidBatchFileError).problems).toEqual([
      expect.objectContaining({
        row: null,
        column: null,
        message: expect.stringMatching(/^Header cell 2 names a column/),
      }),
      expect.objectContaining({ row: null, column: "subject.organization_name" }),
    ]);
    expect(upload.state.cancelled).toBe(true);
  });

  it("checks each row as it comes and answers only once the last byte has arrived", async () => {
    const upload = arriving();
    let answered = false;
    const check = checkBatchFile(upload.file, SERVER_SIDE).finally(() => (answered = true));
    upload.give("subject.common_name,subject.organization_name,device_name\n");
    for (let n = 1; n <= 5; n++) {
      upload.give(`d-${n}.example.com,Example,d-${n}\n`);
      await tick();
      expect(answered).toBe(false);
    }
    upload.end();
    expect(await check).toEqual({ format: "CSV", rows: 5 });
  });

  it("refuses a file that arrives empty, and one that grows past maxBytes while it arrives", async () => {
    const empty = arriving();
    const refused = checkBatchFile(empty.file, SERVER_SIDE).catch((error: unknown) => error);
    empty.end();
    expect(((await refused) as InvalidBatchFileError).problems).toEqual([
      { row: null, column: null, entry: null, message: "The data file is empty." },
    ]);

    const growing = arriving();
    const tooLarge = checkBatchFile(growing.file, { ...SERVER_SIDE, maxBytes: 1024 }).catch(
      (error: unknown) => error,
    );
    growing.give("subject.common_name,subject.organization_name\n");
    for (let n = 0; n < 40; n++) growing.give(`d-${n}.example.com,Example\n`);
    expect(((await tooLarge) as InvalidBatchFileError).problems).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/^The data file is larger than 1024 bytes/) }),
    ]);
  });

  it("lets the upload's own failure through unchanged while the file arrives", async () => {
    const upload = arriving();
    const check = checkBatchFile(upload.file, SERVER_SIDE).catch((error: unknown) => error);
    upload.give("subject.common_name,subject.organization_name\na.example.com,Example\n");
    await tick();
    const failure = new Error("The file is larger than the upload cap.");
    upload.fail(failure);
    expect(await check).toBe(failure);
  });

  it("reads a ZIP's central directory, at its end, only once all of the ZIP has arrived", async () => {
    const upload = arriving();
    const zip = zipSync({
      "devices.csv": Buffer.from("subject.common_name,subject.organization_name\na.example.com,Example\n"),
    });
    const check = checkBatchFile(upload.file, SERVER_SIDE);
    upload.give(zip.subarray(0, 40));
    await tick();
    upload.give(zip.subarray(40));
    await tick();
    expect(upload.state.sliced).toEqual([]);
    upload.end();
    expect(await check).toEqual({ format: "ZIP", rows: 1 });
    expect(upload.state.sliced.length).toBeGreaterThan(0);
    expect(upload.state.sliced.every((slice) => slice.arrived)).toBe(true);
  });
});
