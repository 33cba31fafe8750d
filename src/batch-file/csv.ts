/**
 * Streaming checks of a batch file's CSV, plain or from a ZIP entry (`checkCsv`): the sniffs that tell text from an
 * archive (its magic bytes) or other binary data (a NUL byte), the header against the required and known columns,
 * every data row's cells (cells a spreadsheet would run as a formula included), and each row's CSR, whose signature
 * checks run on worker threads (csr-workers.ts) yet report in row order (`InOrder`, `csrProblems`, which zip.ts uses
 * for CSR files too). Rows are read on the bytes by csv-scanner.ts, and by csv-parse from any record the scanner leaves
 * to it. It may import npm packages (csv-parse), the model (src/model/errors.ts) and the folder's types.ts,
 * problems.ts, archives.ts, formula.ts, csv-scanner.ts and csr-workers.ts; never check.ts, zip.ts or central.ts, nor
 * src/datasources, src/resolvers, src/schema or src/context.ts.
 */
import { Readable } from "node:stream";
import { CsvError, type CsvErrorCode, parse } from "csv-parse";
import { type BatchFileProblem } from "../model/errors.js";
import { ARCHIVE_SNIFF_BYTES, archiveByMagic } from "./archives.js";
import { type CsrChecks } from "./csr-workers.js";
import { type Cells, CsvScanner, HANDOVER } from "./csv-scanner.js";
import { describeTrigger, formulaTrigger } from "./formula.js";
import { problem, type Problems } from "./problems.js";
import { type BatchFileRules } from "./types.js";

/** A NUL byte this early means the data is not UTF-8 text. */
const TEXT_SNIFF_BYTES = 64 * 1024;
/** The longest CSV row accepted, as the simulator (a CSR cell is 1-2 KiB). */
const MAX_ROW_BYTES = 64 * 1024;
/** Bytes handed to csv-parse at once, so one parse step yields few rows. */
const PARSE_PIECE_BYTES = 16 * 1024;
/**
 * Formula triggers (see formula.ts) a column's documented format starts with, so its cells may too: a PEM CSR starts
 * with "-----BEGIN". No other documented column (DTM's template: device_name, device_description, subject.*, san.*;
 * IoT's enrollment specification: subject.*, san.*, DEVICE_IDENTIFIER, custom device attributes) is numeric or
 * otherwise documented to start with one, so negative numbers and +-prefixed values are refused there.
 */
const FORMULA_ALLOWED: ReadonlyMap<string, string> = new Map([["csr", "-"]]);

/** Where the header put the columns rows are checked against. */
interface Header {
  width: number;
  /** Each required column's cells (several for a multi-valued column); the csr column is checked apart. */
  required: { name: string; cells: number[] }[];
  /** The csr cell, client-side only. */
  csr: number | null;
  /** Each cell's column as row problems name it: the header cell, trimmed and lower-cased. */
  names: string[];
}

/** `source` with at least its first ARCHIVE_SNIFF_BYTES (all of it, when shorter) in its first chunk. */
async function* withHead(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const held: Uint8Array[] = [];
  let heldBytes = 0;
  for await (const chunk of source) {
    if (heldBytes >= ARCHIVE_SNIFF_BYTES) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    heldBytes += chunk.length;
    if (heldBytes >= ARCHIVE_SNIFF_BYTES) {
      const head = held.length === 1 ? chunk : Buffer.concat(held);
      held.length = 0;
      yield head;
    }
  }
  if (heldBytes < ARCHIVE_SNIFF_BYTES && held.length > 0) yield Buffer.concat(held);
}

/**
 * Checks a CSV as it streams in: the header against the template, then every data row (cell count, required cells,
 * CSRs). Returns the number of data rows. Problems name `entry` (the ZIP entry, or null for a plain CSV). Rows are read
 * by csv-scanner.ts on the bytes, and by csv-parse from a record the scanner leaves to it (see there) to the end.
 */
export async function checkCsv(
  source: AsyncIterable<Uint8Array>,
  rules: BatchFileRules,
  problems: Problems,
  entry: string | null,
  csrs: CsrChecks,
): Promise<number> {
  let binary = false;
  /** The archive format the data starts with (a nested archive, or a compressed file), if any. */
  let archive: string | null = null;
  async function* text(): AsyncGenerator<Uint8Array> {
    let sniffed = 0;
    for await (const chunk of withHead(source)) {
      if (sniffed === 0) {
        archive = archiveByMagic(chunk);
        if (archive !== null) return;
      }
      if (sniffed < TEXT_SNIFF_BYTES) {
        if (chunk.subarray(0, TEXT_SNIFF_BYTES - sniffed).includes(0)) {
          binary = true;
          return;
        }
        sniffed += chunk.length;
      }
      yield chunk;
    }
  }
  const inOrder = new InOrder(problems, csrs.inFlight);
  let header: Header | null = null;
  /** The header had problems, or the CSV cannot be parsed: the end-of-file checks say nothing more. */
  let failed = false;
  let rows = 0;
  /** Checks one record; false when reading on is pointless. */
  const take = (cells: Cells): boolean => {
    if (header === null) {
      header = readHeader(cells, rules, problems, entry);
      if (header === null) failed = true;
      return header !== null;
    }
    rows += 1;
    if (rows > rules.maxRows) {
      problems.fatal(problem(entry, null, null, `The CSV has more than ${rules.maxRows} rows.`));
      return false;
    }
    checkRow(cells, rows, header, entry, inOrder, csrs);
    return !problems.stopped;
  };

  const input = text()[Symbol.asyncIterator]();
  const scanner = new CsvScanner();
  /** What csv-parse reads when the scanner hands over: the record it stopped at, then the rest. */
  let rest: Uint8Array | null = null;
  try {
    read: for (let ended = false; !ended;) {
      const next = await input.next();
      if (next.done) {
        scanner.end();
        ended = true;
      } else scanner.push(next.value);
      for (;;) {
        const record = scanner.next();
        if (record === null) break;
        if (record === HANDOVER) {
          rest = scanner.rest();
          break read;
        }
        if (!take(record)) break read;
        if (inOrder.full) await inOrder.room();
        if (problems.stopped) break read;
      }
    }
    if (rest !== null) {
      const parsed = await parseRest(rest, input, scanner, take, inOrder);
      if (parsed !== null) {
        // The parser stops at the error: rows it had parsed in the same piece are not checked.
        failed = true;
        if (!binary && !problems.stopped) problems.add(syntaxProblem(parsed, entry, scanner));
      }
    }
  } finally {
    await input.return?.(undefined);
  }
  await inOrder.drain();
  if (archive !== null) {
    problems.add(
      problem(
        entry,
        null,
        null,
        entry === null
          ? `The data file is an archive (${archive}); upload a CSV, or a ZIP of one CSV or of CSR files.`
          : `The entry is an archive (${archive}), whatever its name says; nested archives are refused: put the CSV or CSR files in the uploaded ZIP itself.`,
      ),
    );
  } else if (binary) {
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

/**
 * csv-parse reads `first`, then what is left of `input`, from where the scanner stopped (its record delimiter, and
 * a BOM only if it read nothing); each record goes to `take`. Returns csv-parse's error, if it stopped at one.
 */
async function parseRest(
  first: Uint8Array,
  input: AsyncIterator<Uint8Array>,
  scanner: CsvScanner,
  take: (cells: Cells) => boolean,
  inOrder: InOrder,
): Promise<CsvError | null> {
  async function* pieces(): AsyncGenerator<Buffer> {
    const chunks: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => input };
    for await (const chunk of prepend(first, chunks)) {
      for (let at = 0; at < chunk.length; at += PARSE_PIECE_BYTES) {
        yield Buffer.from(
          chunk.buffer,
          chunk.byteOffset + at,
          Math.min(PARSE_PIECE_BYTES, chunk.length - at),
        );
      }
    }
  }
  const source = Readable.from(pieces(), { highWaterMark: 1 });
  const delimiter = scanner.delimiter;
  const parser = parse({
    bom: scanner.bomInRest,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    max_record_size: MAX_ROW_BYTES,
    ...(delimiter === undefined ? {} : { record_delimiter: delimiter }),
  });
  source.on("error", (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const record of parser) {
      if (!take(new TextCells(record as string[]))) break;
      if (inOrder.full) await inOrder.room();
      if (inOrder.problems.stopped) break;
    }
    return null;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return error;
  } finally {
    source.destroy();
    parser.destroy();
  }
}

async function* prepend(first: Uint8Array, rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (first.length > 0) yield first;
  yield* rest;
}

/** A record csv-parse read, for the checks. */
class TextCells implements Cells {
  constructor(readonly cells: readonly string[]) {}
  get length(): number {
    return this.cells.length;
  }
  text(index: number): string {
    return this.cells[index] ?? "";
  }
  trigger(index: number): string | null {
    return formulaTrigger(this.cells[index] ?? "");
  }
  blank(index: number): boolean {
    return (this.cells[index] ?? "").trim() === "";
  }
}

/** Checks the header row (cells trimmed, lower-cased); null after adding its problems. */
function readHeader(
  record: Cells,
  rules: BatchFileRules,
  problems: Problems,
  entry: string | null,
): Header | null {
  const cells = Array.from({ length: record.length }, (_, index) => record.text(index));
  const written = cells.map((cell) => cell.trim().toLowerCase());
  const names = rules.aliases ? written.map((name) => rules.aliases?.get(name) ?? name) : written;
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
    const trigger = formulaTrigger(cells[index] ?? "");
    if (trigger !== null) {
      found.push(
        problem(
          entry,
          null,
          null,
          `Header cell ${index + 1} starts with ${describeTrigger(trigger)}, which a spreadsheet would run as a formula; a column name cannot.`,
        ),
      );
    } else if (name === "")
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
    names: written,
  };
}

const NO_PROBLEMS: readonly BatchFileProblem[] = [];

/** Queues data row `row`'s problems; a CSR cell is verified asynchronously. */
function checkRow(
  cells: Cells,
  row: number,
  header: Header,
  entry: string | null,
  inOrder: InOrder,
  csrs: CsrChecks,
): void {
  if (cells.length !== header.width) {
    inOrder.found([
      problem(entry, row, null, `The row has ${cells.length} cells; the header has ${header.width}.`),
    ]);
    return;
  }
  // Allocated on the first problem: most rows have none.
  let found: BatchFileProblem[] | null = null;
  for (const { name, cells: at } of header.required) {
    if (at.some((index) => !cells.blank(index))) continue;
    (found ??= []).push(
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
  let formulaInCsr = false;
  for (let index = 0; index < cells.length; index += 1) {
    const trigger = cells.trigger(index);
    if (trigger === null) continue;
    const column = header.names[index] ?? "";
    if (FORMULA_ALLOWED.get(column)?.includes(trigger)) continue;
    if (index === header.csr) formulaInCsr = true;
    (found ??= []).push(
      problem(
        entry,
        row,
        column === "" ? null : column,
        `The cell starts with ${describeTrigger(trigger)}, which a spreadsheet would run as a formula (CSV injection); remove that character.`,
      ),
    );
  }
  const csr = header.csr === null || formulaInCsr ? "" : cells.text(header.csr).trim();
  // Literal "\n" sequences stand for line breaks in a single-line cell, as DigiCert (and the simulator) read them.
  if (csr !== "") {
    inOrder.check(csrProblems(csrs, csr.replaceAll("\\n", "\n"), entry, row, "csr", found ?? NO_PROBLEMS));
  } else if (found !== null) inOrder.found(found);
}

/** `found` plus a problem if `pem` is not one CSR whose signature verifies (checked by `csrs`, on a worker). */
export async function csrProblems(
  csrs: CsrChecks,
  pem: string,
  entry: string | null,
  row: number | null,
  column: string | null,
  found: readonly BatchFileProblem[] = NO_PROBLEMS,
): Promise<readonly BatchFileProblem[]> {
  const refusal = await csrs.verdict(pem);
  return refusal === null ? found : [...found, problem(entry, row, column, refusal)];
}

const SYNTAX: Partial<Record<CsvErrorCode, string>> = {
  CSV_QUOTE_NOT_CLOSED: "A quoted cell is never closed",
  CSV_INVALID_CLOSING_QUOTE: "Text follows a quoted cell's closing quote",
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: "Text follows a quoted cell's closing quote",
  INVALID_OPENING_QUOTE: "A quote appears inside an unquoted cell (quote the cell and double its quotes)",
  CSV_MAX_RECORD_SIZE: `The row is longer than ${MAX_ROW_BYTES / 1024} KiB`,
};

/**
 * csv-parse's error in our words: the data row being read (null in the header) and the line, counted from the file's
 * start (csv-parse counts from where the scanner handed over).
 */
function syntaxProblem(error: CsvError, entry: string | null, before: CsvScanner): BatchFileProblem {
  const records = before.records + (typeof error.records === "number" ? error.records : 0);
  const line = typeof error.lines === "number" ? ` (line ${before.lines + error.lines})` : "";
  return problem(
    entry,
    records > 0 ? records : null,
    null,
    `${SYNTAX[error.code] ?? "The CSV cannot be parsed"}${line}.`,
  );
}

type Settled = { problems: readonly BatchFileProblem[] } | { error: unknown };

/**
 * Checks in flight, oldest first: their problems are recorded in the order queued, at most `limit` run at once (the CSR
 * checks' inFlight). A check that failed (a bug, not a bad CSR) is rethrown when its turn comes.
 */
export class InOrder {
  #queue: Promise<Settled>[] = [];
  constructor(
    readonly problems: Problems,
    readonly limit: number,
  ) {}
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
    return this.#queue.length > this.limit;
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
