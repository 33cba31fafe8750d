/**
 * Streaming checks of a batch file that is a ZIP (`ZipCheck`): entry names (unsafe ones, path traversal), which entries
 * are skipped, the entry count, the compression method, and the bytes actually inflated against the ZIP-bomb cap. Each
 * entry the stream meets is matched with the central directory central.ts read first: one that is not a regular file
 * (a symbolic link, a directory posing as a file, a device file, FIFO or socket), encrypted, listed twice or not listed
 * at all is refused by name, as is an entry the index lists and the stream never meets. Nested archives are refused by
 * name (archives.ts) and by their first bytes. The ZIP's one CSV is handed to csv.ts as it inflates; its CSR files are
 * checked with csv.ts's CSR check (on csr-workers.ts's threads). It may import npm packages (fflate), the model
 * (src/model/errors.ts) and the folder's types.ts, problems.ts, archives.ts, central.ts, csr-workers.ts and csv.ts;
 * never check.ts, nor src/datasources, src/resolvers, src/schema or src/context.ts.
 */
import {
  type AsyncFlateStreamHandler,
  type FlateError,
  Inflate,
  Unzip,
  type UnzipDecoder,
  type UnzipFile,
} from "fflate";
import { ARCHIVE_SNIFF_BYTES, archiveByMagic, archiveByName } from "./archives.js";
import { type CentralDirectory, type CentralEntry } from "./central.js";
import { type CsrChecks } from "./csr-workers.js";
import { checkCsv, csrProblems, InOrder } from "./csv.js";
import { mib, problem, type Problems, whole } from "./problems.js";
import { type BatchFileRules } from "./types.js";

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
export class ZipCheck {
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
    readonly central: CentralDirectory,
    readonly csrs: CsrChecks,
  ) {
    this.#csrChecks = new InOrder(problems, csrs.inFlight);
  }

  /** Returns the CSV's data rows or the number of CSR files. */
  async run(source: AsyncIterable<Uint8Array>): Promise<number> {
    const unzip = new Unzip((file) => this.#onFile(file));
    unzip.register(SkippableInflate);
    /** The stream was read to its end: every entry was met. */
    let complete = false;
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
      if (!this.problems.stopped) {
        unzip.push(EMPTY, true);
        complete = true;
      }
    } catch (error) {
      if (!isFlateError(error)) throw error;
      this.problems.fatal(whole("The ZIP cannot be read: it is corrupt or truncated."));
    } finally {
      this.#csv?.channel.end();
    }
    await this.#csrChecks.drain();
    const csvRows = this.#csv ? await this.#csv.rows : 0;
    if (complete && !this.problems.stopped) {
      for (const unmet of this.central.unmet()) {
        this.problems.add(
          problem(
            shown(unmet.name),
            null,
            null,
            "The ZIP's central directory (its index) lists this entry, but the archive holds no such entry: ZIP readers would disagree on what it holds.",
          ),
        );
      }
    }
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
    const listed = this.central.meet(file.name);
    const refusal = this.#refusal(file.name, listed);
    if (refusal !== undefined) {
      if (refusal !== null) this.problems.add(problem(entry, null, null, refusal));
      // An encrypted entry cannot be inflated; any other is counted like every refused entry.
      if (listed?.encrypted) this.#skip(file);
      else this.#countOnly(file, entry);
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
      const archive = archiveByName(file.name);
      this.problems.add(
        problem(
          entry,
          null,
          null,
          archive
            ? `The entry is an archive (.${archive.extension}, ${archive.format}); nested archives are refused: put the CSV or CSR files in the uploaded ZIP itself.`
            : "The entry is not a CSV or CSR file (.csv, .csr, .pem, .req, .p10).",
        ),
      );
      this.#countOnly(file, entry);
    }
  }

  /**
   * Why the entry named `name` is refused whatever it holds, by its central directory record `listed`: it is not
   * listed, listed twice, met more often than listed, encrypted, or not a regular file. Undefined when none of these;
   * null when refused for a reason already reported (a name's later entries). A directory (its name ends in /) is
   * fine; skipped entries (dot-files, __MACOSX/) are judged too.
   */
  #refusal(name: string, listed: CentralEntry | undefined): string | null | undefined {
    if (listed === undefined || listed.met > listed.listed) {
      return "The entry is not listed in the ZIP's central directory (its index): ZIP readers would disagree on what the ZIP holds.";
    }
    if (listed.listed > 1) {
      // Said once, on the first entry of that name.
      return listed.met === 1
        ? `The ZIP holds ${listed.listed} entries with this name; each entry needs a name of its own.`
        : null;
    }
    if (listed.encrypted) return "The entry is encrypted; upload the ZIP without a password.";
    switch (listed.kind) {
      case "file":
        return undefined;
      case "directory":
        return name.endsWith("/")
          ? undefined
          : "The entry is a directory, though its name does not end in /; only regular files are accepted.";
      case "symbolic link":
        return "The entry is a symbolic link; only regular files are accepted (a link can point outside the archive).";
      case "character device":
      case "block device":
        return `The entry is a device file (${listed.kind}); only regular files are accepted.`;
      case "FIFO":
        return "The entry is a named pipe (FIFO); only regular files are accepted.";
      case "socket":
        return "The entry is a socket; only regular files are accepted.";
      default:
        return `The entry is not a regular file (Unix file type 0o${listed.fileType.toString(8)}); only regular files are accepted.`;
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
    const rows = checkCsv(channel, this.rules, this.problems, entry, this.csrs).finally(() =>
      channel.close(),
    );
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
    /** A problem was reported: the rest is only counted. */
    let refused = false;
    let sniffed = false;
    const refuse = (message: string) => {
      refused = true;
      chunks.length = 0;
      this.problems.add(problem(entry, null, null, message));
    };
    file.ondata = (error, data, final) => {
      if (!this.#count(error, data, entry) || refused) return;
      size += data.length;
      chunks.push(data);
      if (!sniffed && (size >= ARCHIVE_SNIFF_BYTES || final)) {
        sniffed = true;
        const head = chunks.length === 1 ? data : Buffer.concat(chunks);
        const archive = archiveByMagic(head.subarray(0, ARCHIVE_SNIFF_BYTES));
        if (archive !== null) {
          refuse(
            `The entry is an archive (${archive}), whatever its name says; nested archives are refused: put the CSV or CSR files in the uploaded ZIP itself.`,
          );
          return;
        }
      }
      if (size > MAX_CSR_FILE_BYTES) {
        refuse(`The CSR file is larger than ${MAX_CSR_FILE_BYTES / 1024} KiB.`);
        return;
      }
      if (final)
        this.#csrChecks.check(
          csrProblems(this.csrs, Buffer.concat(chunks).toString("utf8"), entry, null, null),
        );
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
