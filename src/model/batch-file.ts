import { Readable } from "node:stream";
import { CsvError, type CsvErrorCode, parse } from "csv-parse";
import {
  type AsyncFlateStreamHandler,
  type FlateError,
  Inflate,
  Unzip,
  type UnzipDecoder,
  type UnzipFile,
} from "fflate";
import { checkedCsr } from "./enrollment.js";
import { type BatchFileProblem, InvalidBatchFileError, InvalidCsrError } from "./errors.js";

/**
 * Checks a Device Trust Manager batch registration data file (a CSV, or a ZIP of one CSV or of CSR files) in the
 * gateway, before it is sent upstream: a bad file is refused with its rows, columns and ZIP entries named, and nothing
 * is created at DigiCert. The file is streamed: memory stays bounded whatever its size (no whole file, ZIP entry or
 * list of rows is ever held).
 */

export interface BatchFileRules {
  /** Lower-case template column names the header must contain; includes "csr" for client-side keys. */
  requiredColumns: readonly string[];
  /** Lower-case names the template knows; when given (non-null), any other header cell is a problem. "csr" counts as known for client-side. */
  knownColumns?: readonly string[] | null;
  /** Columns that may repeat in the header (e.g. subject.organization_unit, san.dns_name); others may not. */
  multipleColumns?: ReadonlySet<string>;
  /** true: DigiCert generates keys, the CSV must NOT have a csr column and a ZIP must hold one CSV (not CSR files). false: CSRs required (csr column, or a ZIP of CSR files). */
  serverSideKeyGeneration: boolean;
  maxBytes: number;
  maxRows: number;
  maxZipEntries: number;
  maxInflatedBytes: number;
  /** Stop after this many problems (default 20). */
  maxProblems?: number;
}

const MIB = 1024 * 1024;

/**
 * DTM's upload caps: 200 MB (documented) and the ZIP caps the simulator enforces. Rows are not capped: DigiCert
 * documents "no limit on the number of devices per job", and the size cap bounds them anyway.
 */
export const DTM_BATCH_FILE_LIMITS: Readonly<{
  maxBytes: number;
  maxRows: number;
  maxZipEntries: number;
  maxInflatedBytes: number;
}> = {
  maxBytes: 200 * MIB,
  maxRows: Number.POSITIVE_INFINITY,
  maxZipEntries: 10_000,
  maxInflatedBytes: 256 * MIB,
};

export interface BatchFileSummary {
  format: "CSV" | "ZIP";
  /** CSV data rows, or CSR files in the ZIP. */
  rows: number;
}

/** Signature checks of CSRs (webcrypto, about 1 ms each) run this many at a time; problems still come in row order. */
const CSR_CHECKS_IN_FLIGHT = 8;
/** A NUL byte this early means the data is not UTF-8 text. */
const TEXT_SNIFF_BYTES = 64 * 1024;
/** The longest CSV row accepted, as the simulator (a CSR cell is 1-2 KiB). */
const MAX_ROW_BYTES = 64 * 1024;
/** Bytes handed to the CSV parser at once, so one parse step yields few rows. */
const PARSE_PIECE_BYTES = 16 * 1024;
/**
 * Compressed bytes per inflate step: 16 KiB (fewer steps are faster), less once the data inflates a lot, so that a step
 * makes about INFLATE_STEP_BYTES. Deflate expands at most ~1032 times: a step that suddenly does makes 16 MiB, once.
 */
const MAX_INFLATE_SLICE_BYTES = 16 * 1024;
const MIN_INFLATE_SLICE_BYTES = 256;
const INFLATE_STEP_BYTES = 256 * 1024;
const MAX_CSR_FILE_BYTES = 64 * 1024;
const CSV_ENTRY = /\.csv$/i;
const CSR_ENTRY = /\.(csr|pem|req|p10)$/i;
const CONTROL = /[\u0000-\u001f\u007f]/g;
const EMPTY = new Uint8Array(0);

/**
 * Reads `file` and checks it against `rules`. Throws InvalidBatchFileError listing the problems found (at most
 * `maxProblems`, sorted by entry and row); an error reading `file` itself propagates unchanged. Messages are ours and
 * never repeat a cell's value or a CSR.
 */
export async function checkBatchFile(
  file: { readonly size: number; stream(): ReadableStream<Uint8Array> },
  rules: BatchFileRules,
): Promise<BatchFileSummary> {
  const problems = new Problems(rules.maxProblems ?? 20);
  let summary: BatchFileSummary = { format: "CSV", rows: 0 };
  if (file.size === 0) problems.fatal(whole("The data file is empty."));
  else if (file.size > rules.maxBytes) problems.fatal(tooLarge(rules.maxBytes));
  else summary = await readBatchFile(file.stream(), rules, problems);
  if (problems.found.length > 0) throw new InvalidBatchFileError(problems.sorted());
  return summary;
}

/** Problems found so far; `stopped` once there are enough, or after one that makes reading on pointless. */
class Problems {
  readonly found: BatchFileProblem[] = [];
  #fatal = false;
  constructor(readonly max: number) {}
  get stopped(): boolean {
    return this.#fatal || this.found.length >= this.max;
  }
  add(problem: BatchFileProblem): void {
    this.found.push(problem);
  }
  fatal(problem: BatchFileProblem): void {
    this.found.push(problem);
    this.#fatal = true;
  }
  /** The first `max` by (entry, row), whole-file ones first. */
  sorted(): BatchFileProblem[] {
    const byEntry = (a: string | null, b: string | null) =>
      a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;
    return [...this.found]
      .sort((a, b) => byEntry(a.entry, b.entry) || (a.row ?? 0) - (b.row ?? 0))
      .slice(0, this.max);
  }
}

function problem(
  entry: string | null,
  row: number | null,
  column: string | null,
  message: string,
): BatchFileProblem {
  return { row, column, entry, message };
}

function whole(message: string): BatchFileProblem {
  return problem(null, null, null, message);
}

function tooLarge(maxBytes: number): BatchFileProblem {
  return whole(`The data file is larger than ${mib(maxBytes)}, the most DigiCert accepts.`);
}

/** A cap as people read it: in MiB when it is a whole number of them (DigiCert's are). */
function mib(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

async function readBatchFile(
  stream: ReadableStream<Uint8Array>,
  rules: BatchFileRules,
  problems: Problems,
): Promise<BatchFileSummary> {
  const reader = stream.getReader();
  try {
    const bytes = fileBytes(reader, rules.maxBytes, problems);
    const head: Uint8Array[] = [];
    let headBytes = 0;
    // Enough for the magic number and a ZIP's first general-purpose flags.
    while (headBytes < 8) {
      const next = await bytes.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.length;
    }
    const start = Buffer.concat(head);
    if (problems.stopped) return { format: "CSV", rows: 0 };
    if (start.length === 0) {
      problems.fatal(whole("The data file is empty."));
      return { format: "CSV", rows: 0 };
    }
    if (!isZip(start))
      return { format: "CSV", rows: await checkCsv(prepend(start, bytes), rules, problems, null) };
    // Bit 0 of the first local header's flags: a password-protected (ZipCrypto or AES) archive.
    if (start[2] === 3 && ((start[6] ?? 0) & 1) !== 0) {
      problems.fatal(whole("The ZIP is encrypted; upload it without a password."));
      return { format: "ZIP", rows: 0 };
    }
    return { format: "ZIP", rows: await new ZipCheck(rules, problems).run(prepend(start, bytes)) };
  } finally {
    // Stops the upload's stream if checking ended early; also ends any read still pending.
    await reader.cancel().catch(() => undefined);
  }
}

/** The file's chunks; past `maxBytes` (whatever `size` said) a problem, and the end. */
async function* fileBytes(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  problems: Problems,
): AsyncGenerator<Uint8Array> {
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    total += value.length;
    if (total > maxBytes) {
      problems.fatal(tooLarge(maxBytes));
      return;
    }
    yield value;
  }
}

async function* prepend(first: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  yield* rest;
}

/** A local file header, or the end record of an empty archive. */
function isZip(head: Uint8Array): boolean {
  return (
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
  );
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

/** Where the header put the columns rows are checked against. */
interface Header {
  width: number;
  /** Each required column's cells (several for a multi-valued column); the csr column is checked apart. */
  required: { name: string; cells: number[] }[];
  /** The csr cell, client-side only. */
  csr: number | null;
}

/**
 * Checks a CSV as it streams in: the header against the template, then every data row (cell count, required cells,
 * CSRs). Returns the number of data rows. Problems name `entry` (the ZIP entry, or null for a plain CSV).
 */
async function checkCsv(
  source: AsyncIterable<Uint8Array>,
  rules: BatchFileRules,
  problems: Problems,
  entry: string | null,
): Promise<number> {
  let binary = false;
  async function* pieces(): AsyncGenerator<Buffer> {
    let sniffed = 0;
    for await (const chunk of source) {
      if (sniffed < TEXT_SNIFF_BYTES) {
        if (chunk.subarray(0, TEXT_SNIFF_BYTES - sniffed).includes(0)) {
          binary = true;
          return;
        }
        sniffed += chunk.length;
      }
      for (let at = 0; at < chunk.length; at += PARSE_PIECE_BYTES) {
        yield Buffer.from(
          chunk.buffer,
          chunk.byteOffset + at,
          Math.min(PARSE_PIECE_BYTES, chunk.length - at),
        );
      }
    }
  }
  const input = Readable.from(pieces(), { highWaterMark: 1 });
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    max_record_size: MAX_ROW_BYTES,
  });
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);
  const inOrder = new InOrder(problems);
  let header: Header | null = null;
  /** The header had problems, or the CSV cannot be parsed: the end-of-file checks say nothing more. */
  let failed = false;
  let rows = 0;
  try {
    for await (const record of parser) {
      const cells = record as string[];
      if (header === null) {
        header = readHeader(cells, rules, problems, entry);
        if (header === null) {
          failed = true;
          break;
        }
        continue;
      }
      rows += 1;
      if (rows > rules.maxRows) {
        problems.fatal(problem(entry, null, null, `The CSV has more than ${rules.maxRows} rows.`));
        break;
      }
      checkRow(cells, rows, header, entry, inOrder);
      if (inOrder.full) await inOrder.room();
      if (problems.stopped) break;
    }
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // The parser stops at the error: rows it had parsed in the same piece are not checked.
    failed = true;
    if (!binary && !problems.stopped) problems.add(syntaxProblem(error, entry));
  } finally {
    input.destroy();
    parser.destroy();
  }
  await inOrder.drain();
  if (binary) {
    problems.add(
      problem(
        entry,
        null,
        null,
        entry === null
          ? "The data file is neither a CSV nor a ZIP file (it holds NUL bytes; a CSV must be UTF-8 text)."
          : "The entry is not a CSV file (it holds NUL bytes; a CSV must be UTF-8 text).",
      ),
    );
  } else if (!problems.stopped && !failed) {
    if (header === null) problems.add(problem(entry, null, null, "The CSV has no header row."));
    else if (rows === 0) problems.add(problem(entry, null, null, "The CSV has a header row and no rows."));
  }
  return rows;
}

/** Checks the header row (cells trimmed, lower-cased); null after adding its problems. */
function readHeader(
  cells: readonly string[],
  rules: BatchFileRules,
  problems: Problems,
  entry: string | null,
): Header | null {
  const names = cells.map((cell) => cell.trim().toLowerCase());
  if (names.every((name) => name === "")) {
    problems.add(problem(entry, null, null, "The header row is empty."));
    return null;
  }
  const serverSide = rules.serverSideKeyGeneration;
  const known = rules.knownColumns
    ? new Set([...rules.knownColumns.filter((name) => name !== "csr"), ...(serverSide ? [] : ["csr"])])
    : null;
  const required = new Set([
    ...rules.requiredColumns.filter((name) => name !== "csr"),
    ...(serverSide ? [] : ["csr"]),
  ]);
  const found: BatchFileProblem[] = [];
  const positions = new Map<string, number[]>();
  names.forEach((name, index) => {
    if (name === "")
      found.push(problem(entry, null, null, `Header cell ${index + 1} is empty; every column needs a name.`));
    else positions.set(name, [...(positions.get(name) ?? []), index]);
  });
  for (const [name, indexes] of positions) {
    const cellList = `${indexes.length > 1 ? "cells" : "cell"} ${indexes.map((index) => index + 1).join(", ")}`;
    if (name === "csr" && serverSide) {
      found.push(
        problem(
          entry,
          null,
          "csr",
          "The header has a csr column, but DigiCert generates the keys (server-side key generation); remove it.",
        ),
      );
    } else if (known && !known.has(name)) {
      found.push(
        problem(
          entry,
          null,
          null,
          `Header ${cellList} names a column the template does not have (it has ${[...known].join(", ")}).`,
        ),
      );
    } else if (indexes.length > 1 && !rules.multipleColumns?.has(name)) {
      // Only a name the caller gave is repeated back; an unchecked header cell is not.
      const column = known !== null || required.has(name) ? name : null;
      found.push(
        problem(entry, null, column, `Header ${cellList} name the same column, which takes one value.`),
      );
    }
  }
  for (const name of required) {
    if (positions.has(name)) continue;
    found.push(
      problem(
        entry,
        null,
        name,
        name === "csr"
          ? "The header has no csr column, which client-side key generation needs (one PEM CSR per row)."
          : `The header has no ${name} column, which the template requires.`,
      ),
    );
  }
  if (found.length > 0) {
    for (const each of found) problems.add(each);
    return null;
  }
  return {
    width: cells.length,
    required: [...required].map((name) => ({ name, cells: positions.get(name) ?? [] })),
    csr: serverSide ? null : (positions.get("csr")?.[0] ?? null),
  };
}

/** Queues data row `row`'s problems; a CSR cell is verified asynchronously. */
function checkRow(
  cells: readonly string[],
  row: number,
  header: Header,
  entry: string | null,
  inOrder: InOrder,
): void {
  if (cells.length !== header.width) {
    inOrder.found([
      problem(entry, row, null, `The row has ${cells.length} cells; the header has ${header.width}.`),
    ]);
    return;
  }
  const found: BatchFileProblem[] = [];
  for (const { name, cells: at } of header.required) {
    if (at.some((index) => (cells[index] ?? "").trim() !== "")) continue;
    found.push(
      problem(
        entry,
        row,
        name,
        name === "csr"
          ? "The csr cell is empty; client-side key generation needs one PEM CSR per row."
          : `The ${name} cell is empty; the template requires a value.`,
      ),
    );
  }
  const csr = header.csr === null ? "" : (cells[header.csr] ?? "").trim();
  // Literal "\n" sequences stand for line breaks in a single-line cell, as DigiCert (and the simulator) read them.
  if (csr !== "") inOrder.check(csrProblems(csr.replaceAll("\\n", "\n"), entry, row, "csr", found));
  else inOrder.found(found);
}

/** `found` plus a problem if `pem` is not one CSR whose signature verifies. */
async function csrProblems(
  pem: string,
  entry: string | null,
  row: number | null,
  column: string | null,
  found: readonly BatchFileProblem[] = [],
): Promise<readonly BatchFileProblem[]> {
  try {
    await checkedCsr(pem);
    return found;
  } catch (error) {
    if (!(error instanceof InvalidCsrError)) throw error;
    return [...found, problem(entry, row, column, error.message)];
  }
}

const SYNTAX: Partial<Record<CsvErrorCode, string>> = {
  CSV_QUOTE_NOT_CLOSED: "A quoted cell is never closed",
  CSV_INVALID_CLOSING_QUOTE: "Text follows a quoted cell's closing quote",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "Text follows a quoted cell's closing quote",
  INVALID_OPENING_QUOTE: "A quote appears inside an unquoted cell (quote the cell and double its quotes)",
  CSV_MAX_RECORD_SIZE: `The row is longer than ${MAX_ROW_BYTES / 1024} KiB`,
};

/** csv-parse's error in our words: the data row being read (null in the header) and the line. */
function syntaxProblem(error: CsvError, entry: string | null): BatchFileProblem {
  const records = typeof error.records === "number" ? error.records : 0;
  const line = typeof error.lines === "number" ? ` (line ${error.lines})` : "";
  return problem(
    entry,
    records > 0 ? records : null,
    null,
    `${SYNTAX[error.code] ?? "The CSV cannot be parsed"}${line}.`,
  );
}

type Settled = { problems: readonly BatchFileProblem[] } | { error: unknown };

/**
 * Checks in flight, oldest first: their problems are recorded in the order queued, at most CSR_CHECKS_IN_FLIGHT run at
 * once. A check that failed (a bug, not a bad CSR) is rethrown when its turn comes.
 */
class InOrder {
  #queue: Promise<Settled>[] = [];
  constructor(readonly problems: Problems) {}
  /** Records problems known now, after those of the checks already queued. */
  found(found: readonly BatchFileProblem[]): void {
    if (this.#queue.length === 0) for (const each of found) this.problems.add(each);
    else if (found.length > 0) this.#queue.push(Promise.resolve({ problems: found }));
  }
  check(check: Promise<readonly BatchFileProblem[]>): void {
    this.#queue.push(
      check.then(
        (problems) => ({ problems }),
        (error: unknown) => ({ error }),
      ),
    );
  }
  get full(): boolean {
    return this.#queue.length > CSR_CHECKS_IN_FLIGHT;
  }
  async room(): Promise<void> {
    while (this.full) await this.#settleOldest();
  }
  async drain(): Promise<void> {
    while (this.#queue.length > 0) await this.#settleOldest();
  }
  async #settleOldest(): Promise<void> {
    const settled = await this.#queue.shift();
    if (settled === undefined) return;
    if ("error" in settled) throw settled.error;
    for (const each of settled.problems) this.problems.add(each);
  }
}

// ---------------------------------------------------------------------------------------------
// ZIP
// ---------------------------------------------------------------------------------------------

/** fflate's errors carry a numeric code; anything else thrown is ours. */
function isFlateError(error: unknown): error is FlateError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number";
}

/**
 * fflate's UnzipInflate, except that terminate() turns later pushes into no-ops: a skipped entry is never inflated.
 * (An entry that is never started is no cheaper: fflate keeps its compressed data.)
 */
class SkippableInflate implements UnzipDecoder {
  static readonly compression = 8;
  ondata: AsyncFlateStreamHandler = () => undefined;
  #inflate: Inflate | null = new Inflate((data, final) => this.ondata(null, data, final));
  push(chunk: Uint8Array, final: boolean): void {
    try {
      this.#inflate?.push(chunk, final);
    } catch (error) {
      if (!isFlateError(error)) throw error;
      this.ondata(error, EMPTY, final);
    }
  }
  terminate(): void {
    this.#inflate = null;
  }
}

/** Directories, macOS resource forks and dot-files, which DigiCert ignores [I]. */
function skipped(name: string): boolean {
  return name.endsWith("/") || name.startsWith("__MACOSX/") || (name.split("/").pop() ?? "").startsWith(".");
}

/** Relative, no "." or ".." segment, no backslash, colon or control character, at most 255 characters. */
function safeEntryName(name: string): boolean {
  if (name === "" || name.length > 255 || /[\u0000-\u001f\u007f\\:]/.test(name) || name.startsWith("/")) {
    return false;
  }
  return name
    .split("/")
    .every(
      (segment, index, all) =>
        segment !== ".." && segment !== "." && (segment !== "" || index === all.length - 1),
    );
}

/** An entry name as problems show it: control characters replaced, at most 255 characters. */
function shown(name: string): string {
  const clean = name.replace(CONTROL, "\ufffd");
  return clean.length > 255 ? `${clean.slice(0, 255)}…` : clean;
}

/**
 * Walks a ZIP's entries as it streams in, inflating in small slices and counting the bytes actually inflated. It holds
 * either exactly one CSV (checked like a plain CSV as it inflates) or only CSR files (client-side only, each checked).
 */
class ZipCheck {
  #inflated = 0;
  #entries = 0;
  #usable = 0;
  #kind: "CSV" | "CSR" | null = null;
  #csv: { channel: Channel; rows: Promise<number> } | null = null;
  #csrFiles = 0;
  #serverSideCsrReported = false;
  readonly #csrChecks: InOrder;

  constructor(
    readonly rules: BatchFileRules,
    readonly problems: Problems,
  ) {
    this.#csrChecks = new InOrder(problems);
  }

  /** Returns the CSV's data rows or the number of CSR files. */
  async run(source: AsyncIterable<Uint8Array>): Promise<number> {
    const unzip = new Unzip((file) => this.#onFile(file));
    unzip.register(SkippableInflate);
    try {
      let slice = MAX_INFLATE_SLICE_BYTES;
      read: for await (const chunk of source) {
        for (let at = 0; at < chunk.length;) {
          const piece = chunk.subarray(at, at + slice);
          at += piece.length;
          const before = this.#inflated;
          unzip.push(piece);
          if (this.problems.stopped) break read;
          const ratio = Math.max(1, (this.#inflated - before) / piece.length);
          slice = Math.max(
            MIN_INFLATE_SLICE_BYTES,
            Math.min(MAX_INFLATE_SLICE_BYTES, Math.floor(INFLATE_STEP_BYTES / ratio)),
          );
          // Inflate more only once the CSV checker has taken this slice's rows and few CSR checks are pending.
          await this.#csv?.channel.drained();
          await this.#csrChecks.room();
        }
      }
      if (!this.problems.stopped) unzip.push(EMPTY, true);
    } catch (error) {
      if (!isFlateError(error)) throw error;
      this.problems.fatal(whole("The ZIP cannot be read: it is corrupt or truncated."));
    } finally {
      this.#csv?.channel.end();
    }
    await this.#csrChecks.drain();
    const csvRows = this.#csv ? await this.#csv.rows : 0;
    if (this.#kind === null && this.problems.found.length === 0) {
      this.problems.add(whole("The ZIP holds no CSV or CSR files."));
    }
    return this.#kind === "CSV" ? csvRows : this.#csrFiles;
  }

  #onFile(file: UnzipFile): void {
    // Not started: fflate keeps what is left of this slice for it, and nothing more is pushed.
    if (this.problems.stopped) return;
    const { maxZipEntries } = this.rules;
    // Skipped entries count too, but more loosely (macOS archives double the entries): each costs fflate some work.
    this.#entries += 1;
    if (this.#entries > 2 * maxZipEntries) {
      this.problems.fatal(
        whole(`The ZIP has more than ${2 * maxZipEntries} entries, counting skipped ones.`),
      );
      return;
    }
    const entry = shown(file.name);
    // Even a skipped entry: fflate can neither skip nor drop an entry it cannot inflate.
    if (file.compression !== 0 && file.compression !== SkippableInflate.compression) {
      this.problems.fatal(
        problem(
          entry,
          null,
          null,
          "The entry is compressed with a method other than deflate; the ZIP cannot be read.",
        ),
      );
      return;
    }
    if (skipped(file.name)) {
      this.#skip(file);
      return;
    }
    this.#usable += 1;
    if (this.#usable > maxZipEntries) {
      this.problems.fatal(whole(`The ZIP has more than ${maxZipEntries} entries.`));
      return;
    }
    if (!safeEntryName(file.name)) {
      this.problems.add(
        problem(
          entry,
          null,
          null,
          "The entry has an unsafe name (path traversal): absolute, with a . or .. segment, a backslash, colon or control character, or over 255 characters.",
        ),
      );
      this.#countOnly(file, entry);
    } else if (CSV_ENTRY.test(file.name)) this.#openCsv(file, entry);
    else if (CSR_ENTRY.test(file.name)) this.#openCsr(file, entry);
    else {
      this.problems.add(
        problem(entry, null, null, "The entry is not a CSV or CSR file (.csv, .csr, .pem, .req, .p10)."),
      );
      this.#countOnly(file, entry);
    }
  }

  /** Started (so fflate does not keep its data) and terminated (so it is not inflated). */
  #skip(file: UnzipFile): void {
    file.ondata = () => undefined;
    file.start();
    file.terminate();
  }

  /**
   * An entry that is refused anyway is still inflated and counted, as DigiCert would: a ZIP bomb is reported as one.
   * Returns false once the ZIP has inflated past the cap (a fatal problem).
   */
  #count(error: FlateError | null, data: Uint8Array, entry: string): boolean {
    if (this.problems.stopped) return false;
    if (error) {
      this.problems.fatal(
        problem(entry, null, null, "The entry's compressed data is corrupt; the ZIP cannot be read."),
      );
      return false;
    }
    this.#inflated += data.length;
    if (this.#inflated <= this.rules.maxInflatedBytes) return true;
    this.problems.fatal(
      whole(`The ZIP inflates to more than ${mib(this.rules.maxInflatedBytes)}; refused (a ZIP bomb?).`),
    );
    return false;
  }

  #countOnly(file: UnzipFile, entry: string): void {
    file.ondata = (error, data) => void this.#count(error, data, entry);
    file.start();
  }

  #openCsv(file: UnzipFile, entry: string): void {
    if (this.#kind !== null) {
      this.problems.add(
        problem(
          entry,
          null,
          null,
          this.#kind === "CSV"
            ? "The ZIP holds more than one CSV file; it must hold exactly one CSV, or only CSR files."
            : "The ZIP mixes a CSV file with CSR files; it must hold exactly one CSV, or only CSR files.",
        ),
      );
      this.#countOnly(file, entry);
      return;
    }
    this.#kind = "CSV";
    const channel = new Channel();
    const rows = checkCsv(channel, this.rules, this.problems, entry).finally(() => channel.close());
    // Awaited in run(); until then this keeps a failure (a bug) from being reported as unhandled.
    rows.catch(() => undefined);
    this.#csv = { channel, rows };
    file.ondata = (error, data, final) => {
      if (!this.#count(error, data, entry)) return;
      channel.push(data);
      if (final) channel.end();
    };
    file.start();
  }

  #openCsr(file: UnzipFile, entry: string): void {
    if (this.rules.serverSideKeyGeneration || this.#kind === "CSV") {
      if (!this.rules.serverSideKeyGeneration) {
        this.problems.add(
          problem(
            entry,
            null,
            null,
            "The ZIP mixes CSR files with a CSV file; it must hold exactly one CSV, or only CSR files.",
          ),
        );
      } else if (!this.#serverSideCsrReported) {
        this.#serverSideCsrReported = true;
        this.problems.add(
          problem(
            entry,
            null,
            null,
            "CSR files are for client-side key generation; with server-side key generation the ZIP must hold one CSV.",
          ),
        );
      }
      this.#countOnly(file, entry);
      return;
    }
    this.#kind = "CSR";
    this.#csrFiles += 1;
    if (this.#csrFiles > this.rules.maxRows) {
      this.problems.fatal(whole(`The ZIP holds more than ${this.rules.maxRows} CSR files.`));
      return;
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    file.ondata = (error, data, final) => {
      if (!this.#count(error, data, entry) || size > MAX_CSR_FILE_BYTES) return;
      size += data.length;
      if (size > MAX_CSR_FILE_BYTES) {
        chunks.length = 0;
        this.problems.add(
          problem(entry, null, null, `The CSR file is larger than ${MAX_CSR_FILE_BYTES / 1024} KiB.`),
        );
        return;
      }
      chunks.push(data);
      if (final)
        this.#csrChecks.check(csrProblems(Buffer.concat(chunks).toString("utf8"), entry, null, null));
    };
    file.start();
  }
}

/** The inflated bytes of the ZIP's CSV entry on their way to checkCsv: one producer, one consumer. */
class Channel implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #closed = false;
  /** The consumer, waiting for a chunk. */
  #wake: (() => void) | null = null;
  /** The producer, waiting for the chunks to be taken. */
  #drained: (() => void) | null = null;

  push(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#chunks.push(chunk);
    this.#wakeConsumer();
  }

  end(): void {
    this.#ended = true;
    this.#wakeConsumer();
  }

  /** The consumer is done (finished or gave up): later chunks are dropped. */
  close(): void {
    this.#closed = true;
    this.#chunks = [];
    this.#wakeConsumer();
    this.#wakeProducer();
  }

  /** Resolves once the consumer has taken every chunk pushed (or is gone). */
  drained(): Promise<void> {
    if (this.#closed || this.#chunks.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#drained = resolve;
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk) {
        if (this.#chunks.length === 0) this.#wakeProducer();
        yield chunk;
      } else if (this.#ended || this.#closed) return;
      else {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    }
  }

  #wakeConsumer(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #wakeProducer(): void {
    const drained = this.#drained;
    this.#drained = null;
    drained?.();
  }
}
