import { Zip, ZipDeflate } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type BatchFileRules,
  type BatchFileSummary,
  checkBatchFile,
  DTM_BATCH_FILE_LIMITS,
} from "../../src/batch-file/check.js";
import { type BatchFileProblem, InvalidBatchFileError } from "../../src/model/errors.js";
import { generateCsr, tamperedCsr } from "../helpers/pki.js";

// Every key and CSR is generated at test time; every file is built in memory (large ones chunk by chunk).

const MIB = 1024 * 1024;

const CLIENT_SIDE: BatchFileRules = {
  requiredColumns: ["device_name", "subject.common_name", "csr"],
  knownColumns: [
    "device_name",
    "device_description",
    "subject.common_name",
    "subject.organization_unit",
    "san.dns_name",
  ],
  multipleColumns: new Set(["subject.organization_unit", "san.dns_name"]),
  serverSideKeyGeneration: false,
  ...DTM_BATCH_FILE_LIMITS,
};
const SERVER_SIDE: BatchFileRules = {
  ...CLIENT_SIDE,
  requiredColumns: ["device_name", "subject.common_name"],
  serverSideKeyGeneration: true,
};

interface TestFile {
  readonly size: number;
  stream(): ReadableStream<Uint8Array>;
}

/**
 * A file whose chunks come from `chunks` as they are read. Like a real upload it yields to the event loop before each
 * chunk (so memory can be sampled meanwhile); `state.cancelled` tells whether the reader stopped early.
 */
function fileFrom(
  size: number,
  chunks: () => AsyncIterable<Uint8Array>,
  state = { cancelled: false },
): TestFile {
  return {
    size,
    stream() {
      const source = chunks()[Symbol.asyncIterator]();
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise(setImmediate);
          const next = await source.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
        async cancel() {
          state.cancelled = true;
          await source.return?.();
        },
      });
    },
  };
}

/** A file holding `data`, read in chunks of `chunkBytes`. */
function fileOf(data: string | Uint8Array, chunkBytes = 64 * 1024): TestFile {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  return fileFrom(bytes.length, async function* () {
    for (let at = 0; at < bytes.length; at += chunkBytes) yield bytes.subarray(at, at + chunkBytes);
  });
}

function csv(rows: readonly (readonly string[])[], lineEnd = "\n"): string {
  const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return rows.map((row) => row.map(cell).join(",")).join(lineEnd) + lineEnd;
}

/** A ZIP of `entries`, deflated, built with fflate's streaming Zip (data descriptors, as streaming tools write). */
function zipOf(entries: readonly (readonly [string, string | Uint8Array])[]): Buffer {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    chunks.push(data);
  });
  for (const [name, content] of entries) {
    const entry = new ZipDeflate(name, { level: 6 });
    zip.add(entry);
    entry.push(typeof content === "string" ? Buffer.from(content) : content, true);
  }
  zip.end();
  return Buffer.concat(chunks);
}

/** The problems checkBatchFile refused `file` with; fails the test if it passed or threw anything else. */
async function problemsOf(file: TestFile, rules: BatchFileRules): Promise<readonly BatchFileProblem[]> {
  const error = await refusal(file, rules);
  return error.problems;
}

async function refusal(file: TestFile, rules: BatchFileRules): Promise<InvalidBatchFileError> {
  const outcome = await checkBatchFile(file, rules).then(
    (summary) => summary,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(InvalidBatchFileError);
  return outcome as InvalidBatchFileError;
}

function whole(message: string): BatchFileProblem {
  return { row: null, column: null, entry: null, message };
}

/** Runs `check`, sampling RSS every few milliseconds; the growth is the peak over the RSS before, in MiB. */
async function withPeakRss<T>(check: () => Promise<T>): Promise<{ outcome: T; growthMiB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 5);
  try {
    const outcome = await check();
    sample();
    return { outcome, growthMiB: (peak - before) / MIB };
  } finally {
    clearInterval(timer);
  }
}

let csrs: string[] = [];
let tampered = "";

beforeAll(async () => {
  csrs = await Promise.all(
    Array.from({ length: 10 }, (_, index) => generateCsr({ subject: `CN=device-${index + 1}.example.com` })),
  ).then((generated) => generated.map((each) => each.pem));
  tampered = await tamperedCsr();
});

/** A client-side CSV: one row per CSR (multi-line PEM cells, quoted). */
function clientCsv(pems: readonly string[] = csrs, lineEnd = "\n"): string {
  return csv(
    [
      ["device_name", "subject.common_name", "csr"],
      ...pems.map((pem, index) => [`device-${index + 1}`, `device-${index + 1}.example.com`, pem]),
    ],
    lineEnd,
  );
}

describe("checkBatchFile on a CSV", () => {
  it("accepts a client-side CSV of 10 devices, each with a CSR whose signature verifies", async () => {
    await expect(checkBatchFile(fileOf(clientCsv()), CLIENT_SIDE)).resolves.toEqual({
      format: "CSV",
      rows: 10,
    });
  });

  it("accepts a server-side CSV without a csr column, with repeated multi-valued columns", async () => {
    const data = csv([
      ["Device_Name", " subject.common_name ", "san.dns_name", "san.dns_name"],
      ["device-1", "device-1.example.com", "a.example.com", ""],
      ["device-2", "device-2.example.com", "", ""],
    ]);
    await expect(checkBatchFile(fileOf(data), SERVER_SIDE)).resolves.toEqual({ format: "CSV", rows: 2 });
  });

  it("refuses a client-side CSV without a csr column", async () => {
    const data = csv([
      ["device_name", "subject.common_name"],
      ["device-1", "device-1.example.com"],
    ]);
    expect(await problemsOf(fileOf(data), CLIENT_SIDE)).toEqual([
      {
        row: null,
        column: "csr",
        entry: null,
        message:
          "The header has no csr column, which client-side key generation needs (one PEM CSR per row).",
      },
    ]);
  });

  it("refuses a csr column when DigiCert generates the keys", async () => {
    const problems = await problemsOf(fileOf(clientCsv()), SERVER_SIDE);
    expect(problems).toEqual([expect.objectContaining({ row: null, column: "csr", entry: null })]);
    expect(problems[0]?.message).toMatch(/server-side key generation/);
  });

  it("names each required template column the header lacks", async () => {
    const data = csv([["csr"], [csrs[0]!]]);
    const problems = await problemsOf(fileOf(data), CLIENT_SIDE);
    expect(problems.map((each) => each.column)).toEqual(["device_name", "subject.common_name"]);
    expect(problems[1]?.message).toBe(
      "The header has no subject.common_name column, which the template requires.",
    );
  });

  it("refuses unknown, empty and repeated single-valued header cells without repeating unknown names", async () => {
    const data = csv([
      ["device_name", "subject.common_name", "csr", "secret_column", "", "device_name"],
      ["device-1", "device-1.example.com", csrs[0]!, "x", "y", "z"],
    ]);
    const problems = await problemsOf(fileOf(data), CLIENT_SIDE);
    expect(problems.map(({ row, column }) => ({ row, column }))).toEqual([
      { row: null, column: null },
      { row: null, column: "device_name" },
      { row: null, column: null },
    ]);
    expect(problems.map((each) => each.message).join(" ")).not.toContain("secret_column");
  });

  it("names row 7 and column csr when that row's CSR signature does not verify", async () => {
    const pems = csrs.map((pem, index) => (index === 6 ? tampered : pem));
    const error = await refusal(fileOf(clientCsv(pems)), CLIENT_SIDE);
    expect(error.problems).toEqual([
      {
        row: 7,
        column: "csr",
        entry: null,
        message: "The CSR's signature does not verify against its public key.",
      },
    ]);
    expect(error.message.startsWith("Row 7, column csr:")).toBe(true);
    expect(error.message).not.toContain("BEGIN");
  });

  it("refuses a csr cell that is not PEM without repeating the cell", async () => {
    const pems = csrs.map((pem, index) => (index === 2 ? "my-secret-device-key" : pem));
    const problems = await problemsOf(fileOf(clientCsv(pems)), CLIENT_SIDE);
    expect(problems).toEqual([expect.objectContaining({ row: 3, column: "csr", entry: null })]);
    expect(problems[0]?.message).toMatch(/^The CSR is invalid: /);
    expect(problems[0]?.message).not.toContain("my-secret");
  });

  it("accepts a single-line csr cell whose line breaks are written as \\n", async () => {
    const data = csv([
      ["device_name", "subject.common_name", "csr"],
      ["device-1", "device-1.example.com", csrs[0]!.trim().replaceAll("\n", "\\n")],
    ]);
    await expect(checkBatchFile(fileOf(data), CLIENT_SIDE)).resolves.toEqual({ format: "CSV", rows: 1 });
  });

  it("names the row and column of an empty required cell", async () => {
    const data = csv([
      ["device_name", "subject.common_name"],
      ["device-1", "device-1.example.com"],
      ["device-2", "   "],
    ]);
    expect(await problemsOf(fileOf(data), SERVER_SIDE)).toEqual([
      {
        row: 2,
        column: "subject.common_name",
        entry: null,
        message: "The subject.common_name cell is empty; the template requires a value.",
      },
    ]);
  });

  it("names a row whose cell count differs from the header's", async () => {
    const data = "device_name,subject.common_name\ndevice-1,device-1.example.com\ndevice-2\n";
    expect(await problemsOf(fileOf(data), SERVER_SIDE)).toEqual([
      { row: 2, column: null, entry: null, message: "The row has 1 cells; the header has 2." },
    ]);
  });

  it("reports an unclosed quote as a problem naming the row, not as a parser error", async () => {
    const data =
      'device_name,subject.common_name\ndevice-1,device-1.example.com\ndevice-2,"device-2.example.com\n';
    expect(await problemsOf(fileOf(data), SERVER_SIDE)).toEqual([
      { row: 2, column: null, entry: null, message: "A quoted cell is never closed (line 3)." },
    ]);
  });

  it("refuses more data rows than maxRows", async () => {
    const data = csv([
      ["device_name", "subject.common_name"],
      ...Array.from({ length: 4 }, () => ["d", "d"]),
    ]);
    expect(await problemsOf(fileOf(data), { ...SERVER_SIDE, maxRows: 3 })).toEqual([
      whole("The CSV has more than 3 rows."),
    ]);
  });

  it("refuses a CSV with a header row and no rows", async () => {
    expect(await problemsOf(fileOf("device_name,subject.common_name\r\n\r\n"), SERVER_SIDE)).toEqual([
      whole("The CSV has a header row and no rows."),
    ]);
  });

  it("refuses an empty file", async () => {
    expect(await problemsOf(fileOf(""), SERVER_SIDE)).toEqual([whole("The data file is empty.")]);
  });

  it("refuses a file over maxBytes before reading any of it", async () => {
    const file = {
      size: 200 * MIB + 1,
      stream(): ReadableStream<Uint8Array> {
        throw new Error("a file over the cap must not be read");
      },
    };
    expect(await problemsOf(file, SERVER_SIDE)).toEqual([
      whole("The data file is larger than 200 MiB, the most DigiCert accepts."),
    ]);
  });

  it("refuses a file whose bytes outrun maxBytes whatever its size said", async () => {
    const data = csv([
      ["device_name", "subject.common_name"],
      ...Array.from({ length: 100 }, () => ["d", "d"]),
    ]);
    const file = { ...fileOf(data), size: 10 };
    expect(await problemsOf(file, { ...SERVER_SIDE, maxBytes: 100 })).toEqual([
      whole("The data file is larger than 100 bytes, the most DigiCert accepts."),
    ]);
  });

  it("refuses a binary file that is neither a CSV nor a ZIP", async () => {
    const problems = await problemsOf(
      fileOf(new Uint8Array([0xff, 0xfe, 0x64, 0x00, 0x65, 0x00])),
      SERVER_SIDE,
    );
    expect(problems).toEqual([expect.objectContaining({ row: null, entry: null })]);
    expect(problems[0]?.message).toMatch(/neither a CSV nor a ZIP/);
  });

  it("stops after maxProblems problems and cancels the stream", async () => {
    const state = { cancelled: false };
    let produced = 0;
    const rowCount = 200_000;
    const file = fileFrom(
      10 * MIB,
      async function* () {
        yield Buffer.from("device_name,subject.common_name\n");
        for (let row = 0; row < rowCount; row += 1000) {
          produced += 1000;
          yield Buffer.from(",nameless.example.com\n".repeat(1000));
        }
      },
      state,
    );
    const problems = await problemsOf(file, { ...SERVER_SIDE, maxProblems: 5 });
    expect(problems.map((each) => [each.row, each.column])).toEqual(
      [1, 2, 3, 4, 5].map((row) => [row, "device_name"]),
    );
    expect(state.cancelled).toBe(true);
    expect(produced).toBeLessThan(rowCount);
  });

  it("accepts a UTF-8 BOM and CRLF line ends", async () => {
    const data = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(clientCsv(csrs.slice(0, 3), "\r\n")),
    ]);
    await expect(checkBatchFile(fileOf(data), CLIENT_SIDE)).resolves.toEqual({ format: "CSV", rows: 3 });
  });

  it("accepts quoted multi-line PEM cells split across the stream's chunks", async () => {
    const data = Buffer.from(clientCsv());
    const file = fileFrom(data.length, async function* () {
      for (let at = 0; at < data.length; at += 100) yield data.subarray(at, at + 100);
    });
    await expect(checkBatchFile(file, CLIENT_SIDE)).resolves.toEqual({ format: "CSV", rows: 10 });
  });

  it("accepts a 50 MiB server-side CSV streamed in bounded memory", async () => {
    // Rows of 80 bytes, each with its own 8-digit id, stamped into a copy of one 800-row block (little garbage).
    const header = "device_name,subject.common_name,device_description\n";
    const line = "device-00000000,device-00000000.example.com,Fleet device".padEnd(79, ".") + "\n";
    const block = Buffer.from(line.repeat(800));
    const rowCount = 800 * Math.ceil((50 * MIB) / block.length);
    const file = fileFrom(header.length + (rowCount / 800) * block.length, async function* () {
      yield Buffer.from(header);
      for (let first = 1; first <= rowCount; first += 800) {
        const chunk = Buffer.from(block);
        for (let row = 0; row < 800; row += 1) {
          const id = String(first + row).padStart(8, "0");
          chunk.write(id, row * line.length + 7, "latin1");
          chunk.write(id, row * line.length + 23, "latin1");
        }
        yield chunk;
      }
    });
    // A warm-up, so that one-time costs (compiling, first heap growth) are not measured below.
    await checkBatchFile(
      fileOf(Buffer.concat([Buffer.from(header), block, block, block, block])),
      SERVER_SIDE,
    );
    const { outcome, growthMiB } = await withPeakRss(() => checkBatchFile(file, SERVER_SIDE));
    expect(outcome).toEqual({ format: "CSV", rows: rowCount } satisfies BatchFileSummary);
    console.info(`50 MiB CSV: ${rowCount} rows, RSS growth ${growthMiB.toFixed(1)} MiB`);
    expect(growthMiB).toBeLessThan(48);
  });
});

describe("checkBatchFile on a ZIP", () => {
  it("accepts a ZIP of CSR files, skipping directories, __MACOSX/ and dot-files", async () => {
    const zip = zipOf([
      ["devices/", ""],
      ...csrs.map((pem, index) => [`devices/device-${index + 1}.csr`, pem] as const),
      ["__MACOSX/devices/._device-1.csr", "\u0000\u0005resource fork"],
      ["devices/.DS_Store", "\u0000\u0000\u0000\u0001Bud1"],
    ]);
    await expect(checkBatchFile(fileOf(zip), CLIENT_SIDE)).resolves.toEqual({ format: "ZIP", rows: 10 });
  });

  it("names the CSR file whose signature does not verify", async () => {
    const zip = zipOf([
      ["a.pem", csrs[0]!],
      ["b.req", tampered],
    ]);
    expect(await problemsOf(fileOf(zip), CLIENT_SIDE)).toEqual([
      {
        row: null,
        column: null,
        entry: "b.req",
        message: "The CSR's signature does not verify against its public key.",
      },
    ]);
  });

  it("accepts a ZIP holding one CSV, and names that entry in row problems", async () => {
    await expect(checkBatchFile(fileOf(zipOf([["devices.csv", clientCsv()]])), CLIENT_SIDE)).resolves.toEqual(
      {
        format: "ZIP",
        rows: 10,
      },
    );
    const bad = csv([
      ["device_name", "subject.common_name", "csr"],
      ["device-1", "device-1.example.com", csrs[0]!],
      ["", "device-2.example.com", csrs[1]!],
    ]);
    const error = await refusal(fileOf(zipOf([["devices.csv", bad]])), CLIENT_SIDE);
    expect(error.problems).toEqual([
      {
        row: 2,
        column: "device_name",
        entry: "devices.csv",
        message: "The device_name cell is empty; the template requires a value.",
      },
    ]);
    expect(error.message.startsWith('ZIP entry "devices.csv", row 2, column device_name:')).toBe(true);
  });

  it("refuses entries with unsafe names (path traversal), naming each", async () => {
    const zip = zipOf([
      ["../evil.csr", csrs[0]!],
      ["/abs.csr", csrs[1]!],
      ["a\\b.csr", csrs[2]!],
      ["C:/windows.csr", csrs[3]!],
      ["fine.csr", csrs[4]!],
    ]);
    const problems = await problemsOf(fileOf(zip), CLIENT_SIDE);
    expect(problems.map((each) => each.entry)).toEqual([
      "../evil.csr",
      "/abs.csr",
      "C:/windows.csr",
      "a\\b.csr",
    ]);
    for (const each of problems)
      expect(each.message).toMatch(/^The entry has an unsafe name \(path traversal\)/);
  });

  it("refuses a ZIP bomb by the bytes it actually inflates, in bounded memory", async () => {
    const chunks: Uint8Array[] = [];
    const zip = new Zip((error, data) => {
      if (error) throw error;
      chunks.push(data);
    });
    const entry = new ZipDeflate("devices.csv", { level: 9 });
    zip.add(entry);
    const zeros = new Uint8Array(MIB);
    for (let pushed = 1; pushed <= 300; pushed += 1) entry.push(zeros, pushed === 300);
    zip.end();
    const bomb = Buffer.concat(chunks);
    expect(bomb.length).toBeLessThan(MIB);

    // A small cap first (which also warms the code up, so that one-time costs are not measured below).
    expect((await problemsOf(fileOf(bomb, 4096), { ...CLIENT_SIDE, maxInflatedBytes: 16 * MIB }))[0]).toEqual(
      whole("The ZIP inflates to more than 16 MiB; refused (a ZIP bomb?)."),
    );
    const { outcome, growthMiB } = await withPeakRss(() => problemsOf(fileOf(bomb, 4096), CLIENT_SIDE));
    expect(outcome[0]).toEqual(whole("The ZIP inflates to more than 256 MiB; refused (a ZIP bomb?)."));
    console.info(
      `ZIP bomb: ${(bomb.length / 1024).toFixed(0)} KiB -> 300 MiB, RSS growth ${growthMiB.toFixed(1)} MiB`,
    );
    expect(growthMiB).toBeLessThan(48);
  });

  it("refuses a ZIP with more entries than maxZipEntries", async () => {
    const zip = zipOf(csrs.slice(0, 4).map((pem, index) => [`device-${index}.csr`, pem] as const));
    expect(await problemsOf(fileOf(zip), { ...CLIENT_SIDE, maxZipEntries: 3 })).toEqual([
      whole("The ZIP has more than 3 entries."),
    ]);
  });

  it("refuses CSR files when DigiCert generates the keys", async () => {
    const zip = zipOf(csrs.slice(0, 3).map((pem, index) => [`device-${index}.csr`, pem] as const));
    const problems = await problemsOf(fileOf(zip), SERVER_SIDE);
    expect(problems).toEqual([expect.objectContaining({ entry: "device-0.csr" })]);
    expect(problems[0]?.message).toMatch(/client-side key generation/);
  });

  it("refuses a ZIP mixing a CSV with CSR files, other files, or a second CSV", async () => {
    const zip = zipOf([
      ["devices.csv", clientCsv(csrs.slice(0, 1))],
      ["device.csr", csrs[1]!],
      ["more.csv", clientCsv(csrs.slice(2, 3))],
      ["notes.txt", "hello"],
    ]);
    const problems = await problemsOf(fileOf(zip), CLIENT_SIDE);
    expect(problems.map((each) => each.entry)).toEqual(["device.csr", "more.csv", "notes.txt"]);
  });

  it("refuses a ZIP that holds no CSV or CSR files", async () => {
    expect(await problemsOf(fileOf(zipOf([["empty/", ""]])), CLIENT_SIDE)).toEqual([
      whole("The ZIP holds no CSV or CSR files."),
    ]);
  });

  it("refuses a corrupt, truncated, encrypted or unsupported-compression ZIP", async () => {
    const zip = zipOf([["device.csr", csrs[0]!]]);
    const truncated = zip.subarray(0, 200);
    const corrupt = Buffer.from(zip);
    corrupt.fill(0xff, 30 + "device.csr".length, 30 + "device.csr".length + 16);
    const encrypted = Buffer.from(zip);
    encrypted[6] = (encrypted[6] ?? 0) | 1;
    const bzip2 = Buffer.from(zip);
    bzip2.writeUInt16LE(12, 8);
    expect(await problemsOf(fileOf(truncated), CLIENT_SIDE)).toEqual([
      whole("The ZIP cannot be read: it is corrupt or truncated."),
    ]);
    expect(await problemsOf(fileOf(corrupt), CLIENT_SIDE)).toEqual([
      {
        row: null,
        column: null,
        entry: "device.csr",
        message: "The entry's compressed data is corrupt; the ZIP cannot be read.",
      },
    ]);
    expect(await problemsOf(fileOf(encrypted), CLIENT_SIDE)).toEqual([
      whole("The ZIP is encrypted; upload it without a password."),
    ]);
    expect(await problemsOf(fileOf(bzip2), CLIENT_SIDE)).toEqual([
      expect.objectContaining({ entry: "device.csr", message: expect.stringMatching(/cannot be read/) }),
    ]);
  });
});
