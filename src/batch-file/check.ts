/**
 * The entry point for checking a batch registration data file (a CSV, or a ZIP of one CSV or of CSR files) in the
 * gateway, before it is sent upstream, for IoT Trust Manager and Device Trust Manager alike: `checkBatchFile` with the
 * product's `BatchFileRules` (and `BATCH_FILE_LIMITS`, the caps both share), returning a `BatchFileSummary`. A bad
 * file is refused with its rows, columns and ZIP entries named, and nothing is created at DigiCert. The file is
 * streamed, and may be checked while it still arrives (a CSV is read as it comes; a ZIP's index is at its end, so a
 * ZIP waits for all of it): memory stays bounded whatever its size (no whole file, ZIP entry or list of rows is ever
 * held). Here: the size cap, sniffing the content (CSV or ZIP, an encrypted ZIP), reading a ZIP's central directory
 * (central.ts), opening the file's CSR checks (csr-workers.ts, re-exported with its settings; closed when the check
 * ends, or once the file's `signal` says nobody waits for it) and handing the content to csv.ts or zip.ts.
 * `neutraliseCsv` and friends (formula.ts) are re-exported for CSV the gateway emits. It may import npm packages, the
 * model (src/model/errors.ts) and the folder's other files; nothing imports it back from the folder, and it imports
 * nothing from src/datasources, src/resolvers, src/schema or src/context.ts.
 */
import { type BatchFileProblem, InvalidBatchFileError } from "../model/errors.js";
import { readCentralDirectory } from "./central.js";
import { type CsrChecks, csrChecks } from "./csr-workers.js";
import { checkCsv } from "./csv.js";
import { MIB, mib, Problems, whole } from "./problems.js";
import { type BatchFileRules, type BatchFileSource } from "./types.js";
import { ZipCheck } from "./zip.js";

export type { BatchFileRules, BatchFileSource } from "./types.js";
export { CsvNeutraliser, neutraliseCsv, neutraliseCsvCell } from "./formula.js";
export {
  closeCsrWorkers,
  configureCsrChecks,
  type CsrCheckSettings,
  csrWorkerThreads,
  csrWorkerVerdicts,
  defaultCsrCheckSettings,
} from "./csr-workers.js";

/**
 * DigiCert's batch upload caps, the same for IoT Trust Manager and Device Trust Manager: 200 MB (documented for both:
 * "File size can't exceed more than 200 MB") and the ZIP caps the simulator enforces. Rows are not capped: DigiCert
 * documents "no limit on the number of devices per job", and the size cap bounds them anyway.
 */
export const BATCH_FILE_LIMITS: Readonly<{
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

/**
 * Reads `file` and checks it against `rules`. Throws InvalidBatchFileError listing the problems found (at most
 * `maxProblems`, sorted by entry and row); an error reading `file` itself propagates unchanged, and so does the reason
 * of its aborted `signal`. Messages are ours and never repeat a cell's value or a CSR.
 */
export async function checkBatchFile(
  file: BatchFileSource,
  rules: BatchFileRules,
): Promise<BatchFileSummary> {
  const problems = new Problems(rules.maxProblems ?? 20);
  let summary: BatchFileSummary = { format: "CSV", rows: 0 };
  // A file still arriving has no final size yet: reading it finds an empty or oversized one as well.
  if (file.arrived === undefined && file.size === 0) problems.fatal(whole("The data file is empty."));
  else if (file.arrived === undefined && file.size > rules.maxBytes) problems.fatal(tooLarge(rules.maxBytes));
  else {
    const { signal } = file;
    signal?.throwIfAborted();
    const csrs = csrChecks();
    // Nobody waits for the answer any more: the CSRs not yet checked are dropped (pending ones fail the check).
    const stop = () => csrs.close();
    signal?.addEventListener("abort", stop, { once: true });
    try {
      summary = await readBatchFile(file, rules, problems, csrs);
    } catch (error) {
      signal?.throwIfAborted();
      throw error;
    } finally {
      signal?.removeEventListener("abort", stop);
      csrs.close();
    }
    signal?.throwIfAborted();
  }
  if (problems.found.length > 0) throw new InvalidBatchFileError(problems.sorted());
  return summary;
}

function tooLarge(maxBytes: number): BatchFileProblem {
  return whole(`The data file is larger than ${mib(maxBytes)}, the most DigiCert accepts.`);
}

async function readBatchFile(
  file: BatchFileSource,
  rules: BatchFileRules,
  problems: Problems,
  csrs: CsrChecks,
): Promise<BatchFileSummary> {
  const reader = file.stream().getReader();
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
      return { format: "CSV", rows: await checkCsv(prepend(start, bytes), rules, problems, null, csrs) };
    // Bit 0 of the first local header's flags: a password-protected (ZipCrypto or AES) archive.
    if (start[2] === 3 && ((start[6] ?? 0) & 1) !== 0) {
      problems.fatal(whole("The ZIP is encrypted; upload it without a password."));
      return { format: "ZIP", rows: 0 };
    }
    // The index first (a separate read of the file's end): what each entry is, before any is inflated. It is at the
    // end, so a ZIP still arriving is checked once all of it is here.
    if (file.arrived) await file.arrived;
    const central = await readCentralDirectory(file, 2 * rules.maxZipEntries);
    if ("problem" in central) {
      problems.fatal(whole(central.problem));
      return { format: "ZIP", rows: 0 };
    }
    const zip = new ZipCheck(rules, problems, central.directory, csrs);
    return { format: "ZIP", rows: await zip.run(prepend(start, bytes)) };
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
