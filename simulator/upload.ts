// Multipart uploads and batch data files, shared by IoT batch enrollment (iot/batch.ts) and DTM batch jobs
// (dtm/batch/): the multipart reader (a file part may stream to disk), ZIP inflation and CSV parsing, every size
// bounded by UploadLimits. It knows no product: it imports only node, busboy, csv-parse, fflate and ./errors.js.
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { unlink } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import busboy from "busboy";
import { parse as parseCsvStream } from "csv-parse";
import { parse as parseCsv } from "csv-parse/sync";
import { Unzip, UnzipInflate } from "fflate";
import { ApiError } from "./errors.js";

export interface UploadLimits {
  /** Largest data file (and request body, plus a little for the other parts). The real service allows 200 MB [C]. */
  readonly maxUploadBytes: number;
  /** Most entries in an uploaded ZIP. */
  readonly maxZipEntries: number;
  /** Most bytes an uploaded ZIP may inflate to, all entries together. */
  readonly maxInflatedBytes: number;
  /** Most rows (CSV lines or ZIP CSRs) in one job. */
  readonly maxRows: number;
}

export interface Upload {
  readonly fields: ReadonlyMap<string, string>;
  readonly files: ReadonlyMap<string, { readonly fileName: string; readonly data: Buffer }>;
  /** The part named in `MultipartOptions.spool`, written to disk, when the form had it. */
  readonly spooled?: SpooledFile;
}

export interface SpooledFile {
  readonly fileName: string;
  readonly path: string;
  readonly size: number;
}

export interface MultipartOptions {
  /** File parts the form may carry, any other is a 400; default `file` and `encryption_certificate`. */
  readonly fileParts?: readonly string[];
  /**
   * This file part goes to `path` (created, mode 0600) as it arrives instead of into memory, so an upload of any size
   * takes bounded memory. On failure the file is removed; on success the caller owns it.
   */
  readonly spool?: { readonly part: string; readonly path: string };
  /** Cap on each file part held in memory (not the spooled one); default `maxUploadBytes`. */
  readonly maxMemoryFileBytes?: number;
}

const MAX_FIELD_BYTES = 64 * 1024;
const MAX_FIELDS = 20;
const DEFAULT_FILE_PARTS = ["file", "encryption_certificate"];
/** Room for the text fields and multipart framing on top of the data file. */
const ENVELOPE_BYTES = MAX_FIELDS * MAX_FIELD_BYTES;

function tooLarge(message: string, field = "file"): ApiError {
  return new ApiError(413, "request_too_large", message, field);
}

/**
 * Reads a multipart/form-data request: text fields and file parts (by default `file` and `encryption_certificate`).
 * A file over `maxUploadBytes` is a 413 as soon as it is seen, without reading the rest of the request.
 */
export function readMultipart(
  request: IncomingMessage,
  limits: UploadLimits,
  options: MultipartOptions = {},
): Promise<Upload> {
  const fileParts = new Set(options.fileParts ?? DEFAULT_FILE_PARTS);
  const spool = options.spool;
  const sizeField = spool?.part ?? [...fileParts][0] ?? "file";
  const contentType = request.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    return Promise.reject(ApiError.invalidRequest("The request must be multipart/form-data"));
  }
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (declared > limits.maxUploadBytes + ENVELOPE_BYTES) {
    return Promise.reject(tooLarge(`The upload must not exceed ${limits.maxUploadBytes} bytes`, sizeField));
  }
  return new Promise<Upload>((resolve, reject) => {
    const fields = new Map<string, string>();
    const files = new Map<string, { fileName: string; data: Buffer }>();
    let spooled: SpooledFile | undefined;
    let spoolStream: WriteStream | undefined;
    /** Writes to disk still running; the upload is complete only when they are done. */
    const writes: Promise<void>[] = [];
    let failure: ApiError | undefined;
    const fail = (error: ApiError): void => {
      if (failure) return;
      failure = error;
      request.unpipe(parser);
      if (spoolStream && spool) {
        const remove = () => void unlink(spool.path).catch(() => undefined);
        if (spoolStream.closed) remove();
        else {
          spoolStream.once("close", remove);
          spoolStream.destroy();
        }
      }
      reject(error);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: {
          fileSize: limits.maxUploadBytes,
          files: fileParts.size,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + fileParts.size,
        },
      });
    } catch {
      reject(ApiError.invalidRequest("The multipart request is malformed"));
      return;
    }
    const seen = (name: string) =>
      fields.has(name) || files.has(name) || (spool?.part === name && spoolStream !== undefined);
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) fail(tooLarge(`${name} must not exceed ${MAX_FIELD_BYTES} bytes`, name));
      else if (seen(name)) fail(ApiError.invalidField(name, `${name} is given twice`));
      else fields.set(name, value);
    });
    parser.on("file", (name, stream, info) => {
      if (!fileParts.has(name)) {
        stream.resume();
        fail(
          ApiError.invalidField(
            name,
            `Unexpected file part ${name} (expected ${[...fileParts].join(" or ")})`,
          ),
        );
        return;
      }
      if (spool && name === spool.part) {
        if (spoolStream || fields.has(name)) {
          stream.resume();
          fail(ApiError.invalidField(name, `${name} is given twice`));
          return;
        }
        const out = createWriteStream(spool.path, { flags: "wx", mode: 0o600 });
        spoolStream = out;
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
        });
        stream.on("limit", () =>
          fail(tooLarge(`${name} must not exceed ${limits.maxUploadBytes} bytes`, name)),
        );
        writes.push(
          new Promise<void>((done) => {
            out.on("error", () => {
              fail(new ApiError(500, "internal_error", "The upload could not be stored"));
              done();
            });
            out.on("finish", () => {
              if (!failure) spooled = { fileName: info.filename ?? "", path: spool.path, size };
              done();
            });
            out.on("close", () => done());
          }),
        );
        stream.pipe(out);
        return;
      }
      const chunks: Buffer[] = [];
      const memoryLimit = options.maxMemoryFileBytes ?? Number.POSITIVE_INFINITY;
      let held = 0;
      stream.on("data", (chunk: Buffer) => {
        held += chunk.length;
        if (held > memoryLimit) {
          chunks.length = 0;
          stream.resume();
          fail(tooLarge(`${name} must not exceed ${memoryLimit} bytes`, name));
        } else if (!failure) chunks.push(chunk);
      });
      stream.on("limit", () => {
        chunks.length = 0;
        fail(tooLarge(`${name} must not exceed ${limits.maxUploadBytes} bytes`, name));
      });
      stream.on("end", () => {
        if (failure) return;
        if (seen(name)) fail(ApiError.invalidField(name, `${name} is given twice`));
        else files.set(name, { fileName: info.filename ?? "", data: Buffer.concat(chunks) });
      });
    });
    const tooMany = () => fail(ApiError.invalidRequest("The multipart request has too many parts"));
    parser.on("partsLimit", tooMany);
    parser.on("filesLimit", tooMany);
    parser.on("fieldsLimit", tooMany);
    parser.on("error", () => fail(ApiError.invalidRequest("The multipart request is malformed")));
    parser.on("close", () => {
      void Promise.all(writes).then(() => {
        if (!failure) resolve({ fields, files, ...(spooled ? { spooled } : {}) });
      });
    });
    request.on("error", () => fail(ApiError.invalidRequest("The upload was interrupted")));
    request.pipe(parser);
  });
}

/** A ZIP entry name that is safe to trust: relative, no "..", no backslashes or control characters. */
export function safeEntryName(name: string): boolean {
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

export function isZip(data: Uint8Array): boolean {
  return (
    data.length >= 4 &&
    data[0] === 0x50 &&
    data[1] === 0x4b &&
    (data[2] === 3 || data[2] === 5) &&
    (data[3] === 4 || data[3] === 6)
  );
}

/** Slices pushed into the inflater, so one call never produces more than about 1000 times this much output. */
const PUSH_SLICE = 16 * 1024;

/**
 * Unzips with bounds on entry count and on the bytes actually inflated (declared sizes are not trusted).
 * Directory entries, `__MACOSX/` and dot files are skipped [I]; an unsafe name is a 400. Errors name `field`.
 */
export function unzipBounded(
  data: Uint8Array,
  limits: UploadLimits,
  field = "file",
): { name: string; data: Uint8Array }[] {
  const entries: { name: string; chunks: Uint8Array[]; done: boolean }[] = [];
  let inflated = 0;
  let failure: ApiError | undefined;
  const unzip = new Unzip((file) => {
    if (failure) return;
    const name = file.name;
    const base = name.split("/").pop() ?? "";
    if (name.endsWith("/") || name.startsWith("__MACOSX/") || base.startsWith(".")) return;
    if (!safeEntryName(name)) {
      failure = ApiError.invalidField(field, "The ZIP file has an entry with an unsafe name");
      return;
    }
    if (entries.length >= limits.maxZipEntries) {
      failure = tooLarge(`The ZIP file must not have more than ${limits.maxZipEntries} entries`, field);
      return;
    }
    const entry = { name, chunks: [] as Uint8Array[], done: false };
    entries.push(entry);
    file.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) {
        failure = ApiError.invalidField(field, "The ZIP file could not be read");
        return;
      }
      inflated += chunk.length;
      if (inflated > limits.maxInflatedBytes) {
        failure = tooLarge(
          `The ZIP file must not inflate to more than ${limits.maxInflatedBytes} bytes`,
          field,
        );
        entries.length = 0;
        file.terminate();
        return;
      }
      entry.chunks.push(chunk);
      if (final) entry.done = true;
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let offset = 0; offset < data.length && !failure; offset += PUSH_SLICE) {
      unzip.push(data.subarray(offset, offset + PUSH_SLICE), offset + PUSH_SLICE >= data.length);
    }
  } catch {
    failure ??= ApiError.invalidField(field, "The ZIP file could not be read");
  }
  if (failure) throw failure;
  if (entries.some((entry) => !entry.done)) throw ApiError.invalidField(field, "The ZIP file is truncated");
  return entries.map((entry) => ({ name: entry.name, data: Buffer.concat(entry.chunks) }));
}

/** Header and data rows of a UTF-8 CSV (BOM allowed); a CSR cell may span lines when quoted. */
export function readCsv(data: Uint8Array, limits: UploadLimits): { header: string[]; rows: string[][] } {
  let records: string[][];
  try {
    records = parseCsv(Buffer.from(data).toString("utf8"), {
      bom: true,
      skip_empty_lines: true,
      trim: true,
      max_record_size: 64 * 1024,
    }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw ApiError.invalidField(
      "file",
      `The CSV file could not be parsed${line ? ` (near line ${line})` : ""}`,
    );
  }
  const [header, ...rows] = records;
  if (!header || rows.length === 0) throw ApiError.invalidField("file", "The CSV file has no data rows");
  if (rows.length > limits.maxRows) throw tooLarge(`A batch must not have more than ${limits.maxRows} rows`);
  return { header, rows };
}

/** The longest CSV record accepted, in characters (a CSR cell is 1-2 KiB). */
const MAX_CSV_RECORD = 64 * 1024;

/**
 * Records of a UTF-8 CSV file on disk, one at a time and in bounded memory (BOM allowed, cells trimmed, empty lines
 * skipped); rows may have another cell count than the header. A syntax error is a 400 on `field` naming the line.
 */
export async function* csvFileRecords(path: string, field: string): AsyncGenerator<string[]> {
  const source = createReadStream(path);
  const parser = parseCsvStream({
    bom: true,
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
    max_record_size: MAX_CSV_RECORD,
  });
  source.on("error", (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    for await (const record of parser) yield record as string[];
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") throw error;
    const line = (error as { lines?: number }).lines;
    throw ApiError.invalidField(
      field,
      `The CSV file could not be parsed${line ? ` (near line ${line})` : ""}`,
    );
  } finally {
    source.destroy();
    parser.destroy();
  }
}
