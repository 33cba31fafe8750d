/**
 * CSV for the client, in a browser as in Node (no Node module): reading a batch registration CSV and checking it
 * against a certificate policy's template before anything is uploaded (`checkBatchCsv`, the gateway's own header and
 * row rules, see src/batch-file/csv.ts; the CSR signatures the gateway checks on upload), and writing CSV that is safe
 * to open in a spreadsheet (`csvCell`, `toCsv`).
 */

/** One thing wrong with the file, named as the gateway's InvalidBatchFileError names it. */
export interface BatchCsvProblem {
  /** The data row, from 1 (the first row after the header); null: the header or the whole file. */
  row: number | null;
  /** The column (template name, lower case); null when no one column is at fault. */
  column: string | null;
  message: string;
}

/** A column of the policy's template, as CertificatePolicy.templateColumns gives it. */
export interface TemplateColumn {
  name: string;
  required: boolean;
  multiple: boolean;
  clientSideOnly: boolean;
}

export interface BatchCsvTemplate {
  columns: readonly TemplateColumn[];
  /** DigiCert generates the keys: no csr column. Otherwise every row carries a PEM CSR. */
  serverSideKeyGeneration: boolean;
}

/** The first characters a spreadsheet runs as a formula (OWASP's CSV injection list): = + - @ tab CR. */
const FORMULA_TRIGGERS: ReadonlySet<string> = new Set(["=", "+", "-", "@", "\t", "\r"]);

/** The formula trigger a cell starts with (leading spaces looked past, as a trimming spreadsheet would), or null. */
export function formulaTrigger(value: string): string | null {
  const first = value.replace(/^ +/, "").charAt(0);
  return FORMULA_TRIGGERS.has(first) ? first : null;
}

function describeTrigger(trigger: string): string {
  return trigger === "\t" ? "a tab" : trigger === "\r" ? "a carriage return" : `"${trigger}"`;
}

/**
 * One value as a CSV field: a value a spreadsheet would run as a formula gets a leading `'` (shown as text) and is
 * quoted; others are quoted only when they hold a comma, a quote or a line break.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  const text = value === null || value === undefined ? "" : String(value);
  if (formulaTrigger(text) !== null) return `"'${text.replaceAll('"', '""')}"`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows as CSV text (CRLF line ends, RFC 4180), every cell through csvCell. */
export function toCsv(rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return rows.map((row) => row.map(csvCell).join(",") + "\r\n").join("");
}

/** A parsed record: its cells (trimmed outside quotes) and the line it starts on (from 1). */
export interface CsvRecord {
  cells: string[];
  line: number;
}

export class CsvSyntaxError extends Error {
  override readonly name = "CsvSyntaxError";
  readonly code = "CSV_SYNTAX";
  constructor(
    message: string,
    readonly line: number,
    /** Records read completely before the error. */
    readonly records: number,
  ) {
    super(message);
  }
}

/**
 * Reads CSV (RFC 4180: quoted cells with doubled quotes and line breaks; CRLF or LF), a UTF-8 BOM dropped, blank lines
 * skipped, spaces around cells trimmed. Throws CsvSyntaxError on an unclosed quote or text after a closing quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let afterQuote = false;
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  const endCell = () => {
    cells.push(quoted ? cell : cell.trim());
    cell = "";
    quoted = false;
    afterQuote = false;
  };
  const endRecord = () => {
    const blank = cells.length === 0 && !quoted && cell.trim() === "";
    endCell();
    if (!blank) records.push({ cells, line: recordLine });
    cells = [];
  };
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i]!;
    if (inQuotes) {
      if (char === '"') {
        if (source[i + 1] === '"') {
          cell += '"';
          i += 1;
        } else {
          inQuotes = false;
          afterQuote = true;
        }
      } else {
        if (char === "\n") line += 1;
        cell += char;
      }
      continue;
    }
    if (char === ",") {
      endCell();
    } else if (char === "\r" || char === "\n") {
      if (char === "\r" && source[i + 1] === "\n") i += 1;
      endRecord();
      line += 1;
      recordLine = line;
    } else if (afterQuote) {
      if (char !== " " && char !== "\t") {
        throw new CsvSyntaxError(
          `Text follows a quoted cell's closing quote (line ${line}).`,
          line,
          records.length,
        );
      }
    } else if (char === '"' && cell.trim() === "") {
      inQuotes = true;
      quoted = true;
      cell = "";
    } else if (char === '"') {
      throw new CsvSyntaxError(
        `A quote appears inside an unquoted cell (line ${line}); quote the cell and double its quotes.`,
        line,
        records.length,
      );
    } else {
      cell += char;
    }
  }
  if (inQuotes)
    throw new CsvSyntaxError(
      `A quoted cell is never closed (line ${recordLine}).`,
      recordLine,
      records.length,
    );
  if (cell !== "" || cells.length > 0 || quoted) endRecord();
  return records;
}

const PEM_CSR =
  /^-----BEGIN (NEW )?CERTIFICATE REQUEST-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END (NEW )?CERTIFICATE REQUEST-----$/;

/** Whether `value` reads as one PEM CSR (armour and base64); its signature is the gateway's to check. */
function looksLikeCsr(value: string): boolean {
  const match = PEM_CSR.exec(value.trim());
  if (!match) return false;
  const body = match[2]!.replace(/\s+/g, "");
  return body.length >= 64 && body.length % 4 === 0;
}

/**
 * Checks a batch registration CSV against the policy's template as the gateway will: the header (every required
 * column, no unknown, empty or repeated single-valued column, a csr column exactly when the keys are client-side) and
 * each row (as many cells as the header, required cells filled, no cell a spreadsheet would run as a formula, a PEM
 * CSR in the csr cell). Returns at most `maxProblems` problems; none: the gateway's own check can still refuse a CSR
 * whose signature does not verify.
 */
export function checkBatchCsv(text: string, template: BatchCsvTemplate, maxProblems = 20): BatchCsvProblem[] {
  const problems: BatchCsvProblem[] = [];
  const add = (row: number | null, column: string | null, message: string) => {
    if (problems.length < maxProblems) problems.push({ row, column, message });
  };
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    add(error.records > 0 ? error.records : null, null, error.message);
    return problems;
  }
  const [headerRecord, ...rows] = records;
  if (!headerRecord) {
    add(null, null, "The CSV has no header row.");
    return problems;
  }
  const serverSide = template.serverSideKeyGeneration;
  const columns = template.columns.filter((column) => !(serverSide && column.clientSideOnly));
  const known = new Set([
    ...columns.map((c) => c.name.toLowerCase()).filter((n) => n !== "csr"),
    ...(serverSide ? [] : ["csr"]),
  ]);
  const multiple = new Set(template.columns.filter((c) => c.multiple).map((c) => c.name.toLowerCase()));
  const required = new Set([
    ...columns.filter((c) => c.required && c.name.toLowerCase() !== "csr").map((c) => c.name.toLowerCase()),
    ...(serverSide ? [] : ["csr"]),
  ]);
  const names = headerRecord.cells.map((cell) => cell.trim().toLowerCase());
  if (names.every((name) => name === "")) {
    add(null, null, "The header row is empty.");
    return problems;
  }
  const positions = new Map<string, number[]>();
  names.forEach((name, index) => {
    const trigger = formulaTrigger(headerRecord.cells[index] ?? "");
    if (trigger !== null) {
      add(
        null,
        null,
        `Header cell ${index + 1} starts with ${describeTrigger(trigger)}, which a spreadsheet would run as a formula; a column name cannot.`,
      );
    } else if (name === "") add(null, null, `Header cell ${index + 1} is empty; every column needs a name.`);
    else positions.set(name, [...(positions.get(name) ?? []), index]);
  });
  for (const [name, indexes] of positions) {
    const cellList = `${indexes.length > 1 ? "cells" : "cell"} ${indexes.map((index) => index + 1).join(", ")}`;
    if (name === "csr" && serverSide) {
      add(
        null,
        "csr",
        "The header has a csr column, but DigiCert generates the keys (server-side key generation); remove it.",
      );
    } else if (!known.has(name)) {
      add(
        null,
        null,
        `Header ${cellList} names a column the template does not have (it has ${[...known].join(", ")}).`,
      );
    } else if (indexes.length > 1 && !multiple.has(name)) {
      add(null, name, `Header ${cellList} name the same column, which takes one value.`);
    }
  }
  for (const name of required) {
    if (positions.has(name)) continue;
    add(
      null,
      name,
      name === "csr"
        ? "The header has no csr column, which client-side key generation needs (one PEM CSR per row)."
        : `The header has no ${name} column, which the template requires.`,
    );
  }
  if (problems.length > 0) return problems;
  if (rows.length === 0) {
    add(null, null, "The CSV has a header row and no rows.");
    return problems;
  }
  const csrAt = serverSide ? null : (positions.get("csr")?.[0] ?? null);
  rows.forEach(({ cells }, i) => {
    const row = i + 1;
    if (cells.length !== names.length) {
      add(row, null, `The row has ${cells.length} cells; the header has ${names.length}.`);
      return;
    }
    for (const name of required) {
      if ((positions.get(name) ?? []).some((index) => (cells[index] ?? "").trim() !== "")) continue;
      add(
        row,
        name,
        name === "csr"
          ? "The csr cell is empty; client-side key generation needs one PEM CSR per row."
          : `The ${name} cell is empty; the template requires a value.`,
      );
    }
    let formulaInCsr = false;
    cells.forEach((value, index) => {
      const trigger = formulaTrigger(value);
      // A PEM CSR starts with "-----BEGIN".
      if (trigger === null || (index === csrAt && trigger === "-")) return;
      if (index === csrAt) formulaInCsr = true;
      add(
        row,
        names[index] || null,
        `The cell starts with ${describeTrigger(trigger)}, which a spreadsheet would run as a formula (CSV injection); remove that character.`,
      );
    });
    const csr = csrAt === null || formulaInCsr ? "" : (cells[csrAt] ?? "").trim();
    // Literal "\n" sequences stand for line breaks in a single-line cell, as DigiCert reads them.
    if (csr !== "" && !looksLikeCsr(csr.replaceAll("\\n", "\n"))) {
      add(
        row,
        "csr",
        "The csr cell is not a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----).",
      );
    }
  });
  return problems;
}
