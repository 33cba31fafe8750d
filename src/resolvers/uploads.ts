/**
 * Uploaded files as resolvers see them (useStreamedUploads spools each to a temporary file and runs the operation while
 * it still arrives), as they are checked (with refusals counted) and as they are sent on (once all of it has arrived).
 */
import {
  type BatchFileRules,
  type BatchFileSource,
  type BatchFileSummary,
  checkBatchFile,
} from "../batch-file/check.js";
import type { GatewayContext } from "../context.js";
import { type BatchFileProblem, InvalidBatchFileError } from "../model/errors.js";
import type { UploadRefusalReason } from "../observability/types.js";

/**
 * What a resolver gets for an uploaded file: a WHATWG File reading from a temporary file (useStreamedUploads), which may
 * still be arriving when the resolver starts.
 */
export interface UploadedFile {
  readonly name: string;
  readonly type: string;
  /** Final once `arrived` has resolved (the bytes so far until then). */
  readonly size: number;
  /** Every byte; while the file arrives, as it arrives (the stream ends once all of it has, or errors if it fails). */
  stream(): ReadableStream<Uint8Array>;
  /** A range of the spooled file, read without reading what comes before it (a ZIP's central directory). */
  slice(start?: number, end?: number): Blob;
  /** Resolves once all of the file has arrived, rejects if the upload fails; absent when it was whole from the start. */
  readonly arrived?: Promise<void>;
  /** Aborted once the request is over (answered, client gone, shutdown): a check still running stops. */
  readonly signal?: AbortSignal;
}

/**
 * Whether the file is empty, known as soon as its first byte or its end has come (without waiting for the rest), so
 * that an empty file is refused before anything is read upstream. An upload that fails meanwhile throws its error.
 */
export async function isEmptyUpload(file: UploadedFile): Promise<boolean> {
  if (file.arrived === undefined || file.size > 0) return file.size === 0;
  const reader = file.stream().getReader();
  try {
    return (await reader.read()).done;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Waits for all of the file (a check that passed has read it to its end: then at once); `size` is final after it. */
export async function arrivedWhole(file: UploadedFile): Promise<void> {
  await file.arrived;
}

/** The file's bytes as they are sent; ending early (a failed upload) cancels the stream. */
export async function* chunksOf(file: UploadedFile): AsyncIterable<Uint8Array> {
  const reader = file.stream().getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
  }
}

/** The client's file name, reduced to what a part header carries safely; DigiCert shows it on the job. */
export function uploadName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const safe = base
    .replace(/[^A-Za-z0-9._ -]/g, "_")
    .slice(0, 128)
    .trim();
  return safe === "" || /^\.+$/.test(safe) ? "batch.csv" : safe;
}

/**
 * checkBatchFile, counting a refusal (InvalidBatchFileError) in the app's metrics by the kind of its first problem.
 * Resolvers check uploads through this, never checkBatchFile directly.
 */
export async function checkUploadedFile(
  ctx: GatewayContext,
  file: BatchFileSource,
  rules: BatchFileRules,
): Promise<BatchFileSummary> {
  try {
    return await checkBatchFile(file, rules);
  } catch (error) {
    if (error instanceof InvalidBatchFileError)
      ctx.services.metrics?.uploadRefused(refusalReason(error.problems[0]));
    throw error;
  }
}

/**
 * The kind of a batch-file problem, as the checker (src/batch-file) words them: by where it is (a row, a header
 * column, a ZIP entry), then by what its message says. A label from a fixed set; the message itself never leaves.
 */
export function refusalReason(problem: BatchFileProblem | undefined): UploadRefusalReason {
  if (!problem) return "other";
  if (problem.row !== null) return "row";
  const { message } = problem;
  if (/^The data file is empty\.|^The CSV has a header row and no rows\./.test(message)) return "empty";
  if (/^The data file is larger than /.test(message)) return "too_large";
  if (/\bencrypted\b/.test(message)) return "encrypted";
  if (/\bcorrupt\b|cannot be read|split across several files/.test(message)) return "corrupt";
  if (/\bmore than \d|inflates to more than /.test(message)) return "over_limit";
  if (/^The data file is (an archive|neither)|holds no CSV or CSR files|exactly one CSV/.test(message)) {
    return "not_batch_file";
  }
  if (problem.column !== null || /^(The )?[Hh]eader\b|^The CSV has no header row/.test(message))
    return "header";
  return problem.entry !== null ? "zip_entry" : "other";
}
