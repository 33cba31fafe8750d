import type { IncomingMessage } from "node:http";
import busboy from "busboy";
import { parse as parseCsv } from "csv-parse/sync";
import { Unzip, UnzipInflate } from "fflate";
import { ApiError } from "../errors.js";

// Multipart upload and data-file parsing for batch enrollment, with every size bounded.

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
}

const MAX_FIELD_BYTES = 64 * 1024;
const MAX_FIELDS = 20;
const FILE_PARTS = new Set(["file", "encryption_certificate"]);
/** Room for the text fields and multipart framing on top of the data file. */
const ENVELOPE_BYTES = MAX_FIELDS * MAX_FIELD_BYTES;

function tooLarge(message: string, field = "file"): ApiError {
  return new ApiError(413, "request_too_large", message, field);
}

/** Reads a multipart/form-data request: text fields, and the `file` / `encryption_certificate` file parts. */
export function readMultipart(request: IncomingMessage, limits: UploadLimits): Promise<Upload> {
  const contentType = request.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    return Promise.reject(ApiError.invalidRequest("The request must be multipart/form-data"));
  }
  const declared = Number(request.headers["content-length"] ?? Number.NaN);
  if (declared > limits.maxUploadBytes + ENVELOPE_BYTES) {
    return Promise.reject(tooLarge(`The upload must not exceed ${limits.maxUploadBytes} bytes`));
  }
  return new Promise<Upload>((resolve, reject) => {
    const fields = new Map<string, string>();
    const files = new Map<string, { fileName: string; data: Buffer }>();
    let failure: ApiError | undefined;
    const fail = (error: ApiError): void => {
      if (failure) return;
      failure = error;
      request.unpipe(parser);
      reject(error);
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: {
          fileSize: limits.maxUploadBytes,
          files: FILE_PARTS.size,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + FILE_PARTS.size,
        },
      });
    } catch {
      reject(ApiError.invalidRequest("The multipart request is malformed"));
      return;
    }
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) fail(tooLarge(`${name} must not exceed ${MAX_FIELD_BYTES} bytes`, name));
      else if (fields.has(name) || files.has(name))
        fail(ApiError.invalidField(name, `${name} is given twice`));
      else fields.set(name, value);
    });
    parser.on("file", (name, stream, info) => {
      if (!FILE_PARTS.has(name)) {
        stream.resume();
        fail(
          ApiError.invalidField(
            name,
            `Unexpected file part ${name} (expected file or encryption_certificate)`,
          ),
        );
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("limit", () => {
        chunks.length = 0;
        fail(tooLarge(`${name} must not exceed ${limits.maxUploadBytes} bytes`, name));
      });
      stream.on("end", () => {
        if (failure) return;
        if (fields.has(name) || files.has(name)) fail(ApiError.invalidField(name, `${name} is given twice`));
        else files.set(name, { fileName: info.filename ?? "", data: Buffer.concat(chunks) });
      });
    });
    const tooMany = () => fail(ApiError.invalidRequest("The multipart request has too many parts"));
    parser.on("partsLimit", tooMany);
    parser.on("filesLimit", tooMany);
    parser.on("fieldsLimit", tooMany);
    parser.on("error", () => fail(ApiError.invalidRequest("The multipart request is malformed")));
    parser.on("close", () => {
      if (!failure) resolve({ fields, files });
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
 * Directory entries, `__MACOSX/` and dot files are skipped [I]; an unsafe name is a 400.
 */
export function unzipBounded(data: Uint8Array, limits: UploadLimits): { name: string; data: Uint8Array }[] {
  const entries: { name: string; chunks: Uint8Array[]; done: boolean }[] = [];
  let inflated = 0;
  let failure: ApiError | undefined;
  const unzip = new Unzip((file) => {
    if (failure) return;
    const name = file.name;
    const base = name.split("/").pop() ?? "";
    if (name.endsWith("/") || name.startsWith("__MACOSX/") || base.startsWith(".")) return;
    if (!safeEntryName(name)) {
      failure = ApiError.invalidField("file", "The ZIP file has an entry with an unsafe name");
      return;
    }
    if (entries.length >= limits.maxZipEntries) {
      failure = tooLarge(`The ZIP file must not have more than ${limits.maxZipEntries} entries`);
      return;
    }
    const entry = { name, chunks: [] as Uint8Array[], done: false };
    entries.push(entry);
    file.ondata = (error, chunk, final) => {
      if (failure) return;
      if (error) {
        failure = ApiError.invalidField("file", "The ZIP file could not be read");
        return;
      }
      inflated += chunk.length;
      if (inflated > limits.maxInflatedBytes) {
        failure = tooLarge(`The ZIP file must not inflate to more than ${limits.maxInflatedBytes} bytes`);
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
    failure ??= ApiError.invalidField("file", "The ZIP file could not be read");
  }
  if (failure) throw failure;
  if (entries.some((entry) => !entry.done)) throw ApiError.invalidField("file", "The ZIP file is truncated");
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
