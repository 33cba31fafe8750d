import { openAsBlob } from "node:fs";
import { type FileHandle, mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { PAYLOAD_TOO_LARGE } from "./use-body-limit.js";

const MiB = 1024 * 1024;
const STOPPED = Symbol("stopped");
/** Bytes a reader gets at once from disk. */
const FOLLOW_CHUNK_BYTES = 256 * 1024;
/**
 * The last bytes written to a file still arriving are also kept in memory (the received chunks themselves, not
 * copies), so that a reader keeping up (a check as the file arrives) gets them without reading the disk; one that
 * falls further behind reads the file.
 */
const RECENT_BYTES = 2 * MiB;
/** Bytes written to a spool file in one go at most (several chunks coalesce into one write). */
const WRITE_BUFFER_BYTES = 256 * 1024;

export interface StreamedUploadOptions {
  /** Largest accepted file, in bytes; one byte more answers 413 PAYLOAD_TOO_LARGE. */
  maxFileBytes: number;
  /** Most files one request may carry (entries of `map`). */
  maxFiles: number;
  /** Where each request's temporary directory is made. Default: `os.tmpdir()`. */
  tmpDir?: string;
  /** Largest `operations` or `map` field, in bytes. Default 1 MiB. */
  maxFieldBytes?: number;
  /**
   * Largest whole multipart request, in bytes (Content-Length checked before reading, then counted).
   * Default: `maxFiles × maxFileBytes + 2 × maxFieldBytes + 1 MiB` (part headers and boundaries).
   */
  maxRequestBytes?: number;
  /** Told each file's size once it is on disk (metrics). */
  onFileReceived?: (bytes: number) => void;
}

export interface StreamedUploadsPlugin extends Plugin {
  /** Temporary files on disk right now (0 once every request is answered). For tests and metrics. */
  readonly pendingFiles: number;
  /** Shutdown: stops every upload still being received and removes every temporary file. */
  close(): Promise<void>;
}

/**
 * GraphQL multipart uploads (https://github.com/jaydenseric/graphql-multipart-request-spec), streamed
 * to disk instead of yoga's `request.formData()`, which holds every file in memory.
 *
 * For a POST `multipart/form-data` request only (any other request is left to yoga), the request
 * parser becomes one that streams the body through busboy:
 * - `operations` then `map` must come first (each at most `maxFieldBytes`, valid JSON). Every map
 *   path must name a `null` placeholder under `variables` (`variables.…`, or `N.variables.…` in a
 *   batch); anything else, a file part before the map, a file the map does not name, a mapped file
 *   that never arrives or more than `maxFiles` files answer 400 BAD_USER_INPUT.
 * - Each file is written to its own file (mode 0600) in a fresh `mkdtemp` directory, counted as it
 *   is written. One byte over `maxFileBytes` stops reading the body, removes the file and answers 413
 *   PAYLOAD_TOO_LARGE (with `Connection: close`).
 * - The operation runs as soon as `operations`, `map` and the first bytes of every mapped file have
 *   arrived, while the files still arrive: the variable receives a WHATWG `File` (`SpooledFile`)
 *   backed by the temporary file. Its `stream()` follows the file as it is written (the last 2 MiB
 *   written are kept in memory too, so a reader keeping up reads no disk) and ends once the whole
 *   request has been read (a resolver can check a file while it arrives); `arrived` resolves then
 *   (and `size` is final: until then it is the bytes so far); `text()`, `arrayBuffer()`, `bytes()` and
 *   `slice()` wait for it and read from disk, so memory stays bounded. A request that fails after the
 *   operation started (a file too large, a bad part, the client gone) fails every read of its files
 *   with the error above (its `extensions.http` gives the answer its status), and `arrived` rejects.
 *   Its `signal` aborts once the request is over (answered, client gone, shutdown), so that work
 *   on the file (a check) can stop.
 *   A request whose mapped files never start is answered only once the whole body is read, as before.
 * - An answer ready before the body has all arrived (a resolver refused a file early) is sent at once;
 *   the rest of the body is then read and dropped (nothing more is written), up to `maxRequestBytes`,
 *   so the client reads the answer and the connection stays usable.
 *
 * Temporary files are removed when the response is ready (`onResponse`), on every parse error, and
 * when the request is aborted (client gone). A resolver must therefore finish reading its files
 * before it returns; it cannot hand them to work that outlives the request.
 *
 * Yoga's own `maxRequestBodySize` still wraps this parser and caps the whole request, so set it above
 * `maxFiles × maxFileBytes` plus room for the fields. Place this plugin after authentication: nothing
 * of the body is read before every `onRequestParse` hook has run.
 */
export function useStreamedUploads(options: StreamedUploadOptions): StreamedUploadsPlugin {
  const { maxFileBytes, maxFiles, maxFieldBytes = MiB } = options;
  const maxRequestBytes = options.maxRequestBytes ?? maxFiles * maxFileBytes + 2 * maxFieldBytes + MiB;
  for (const [name, value] of Object.entries({ maxFileBytes, maxFiles, maxFieldBytes, maxRequestBytes })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`useStreamedUploads: ${name} must be a positive integer, got ${String(value)}.`);
    }
  }
  const tmpRoot = options.tmpDir ?? tmpdir();
  const counter = { files: 0 };
  const spools = new WeakMap<Request, Spool>();
  const live = new Set<Spool>();

  const plugin: StreamedUploadsPlugin = {
    get pendingFiles() {
      return counter.files;
    },
    async close() {
      await Promise.all([...live].map((spool) => spool.cleanup()));
    },
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== "POST") return;
      const contentType = request.headers.get("content-type") ?? "";
      if (!contentType.toLowerCase().startsWith("multipart/form-data")) return;
      const contentLength = request.headers.get("content-length");
      if (contentLength !== null && /^\d+$/.test(contentLength) && Number(contentLength) > maxRequestBytes) {
        throw tooLarge(`The request is larger than ${maxRequestBytes} bytes.`);
      }
      setRequestParser(async (req) => {
        if (req !== request) {
          // Yoga's maxRequestBodySize wraps the parser in a TransformStream without backpressure: the
          // whole body would pile up in memory before this parser reads it. Fail loudly instead.
          throw new Error(
            "useStreamedUploads: another plugin wrapped the multipart request parser; create yoga " +
              "with `maxRequestBodySize: false` (this plugin caps multipart requests itself).",
          );
        }
        const spool = new Spool(tmpRoot, counter);
        spools.set(request, spool);
        live.add(spool);
        void spool.done.then(() => live.delete(spool));
        // The client going away (or yoga aborting the request) stops reading and removes the files.
        const onAbort = () => void spool.cleanup();
        request.signal.addEventListener("abort", onAbort, { once: true });
        try {
          const limits = { maxFileBytes, maxFiles, maxFieldBytes, maxRequestBytes };
          return await parseMultipart(req, contentType, spool, limits, options.onFileReceived);
        } catch (error) {
          await spool.cleanup();
          throw error;
        }
      });
    },
    async onResponse({ request }) {
      const spool = spools.get(request);
      if (!spool) return;
      spools.delete(request);
      // Answered before the body was all read: the rest is read and dropped, not written.
      spool.drainRest();
      await spool.cleanup();
    },
  };
  return plugin;
}

// ---------------------------------------------------------------------------------------------
// Temporary files of one request
// ---------------------------------------------------------------------------------------------

class Spool {
  private dir: Promise<string> | undefined;
  private files = 0;
  private writes: Promise<unknown>[] = [];
  private streams: { destroy(): void }[] = [];
  /** Open readers of files still arriving, closed with the spool. */
  private readonly handles = new Set<FileHandle>();
  private readonly arrivals: Arrival[] = [];
  private drainer: (() => void) | undefined;
  private cleaning: Promise<void> | undefined;
  private readonly over = new AbortController();
  /** Aborted when cleanup() starts: the request is answered, gone or shut down, and its files are going. */
  readonly signal = this.over.signal;
  private removed!: () => void;
  /** Resolves once cleanup() has removed everything. */
  readonly done = new Promise<void>((resolve) => (this.removed = resolve));

  constructor(
    private readonly root: string,
    private readonly counter: { files: number },
  ) {}

  get closed(): boolean {
    return this.cleaning !== undefined;
  }

  /** A new file (mode 0600) in this request's own directory, made on first use. */
  async create(index: number): Promise<string> {
    this.dir ??= mkdtemp(join(this.root, "gql-upload-"));
    const dir = await this.dir;
    if (this.closed) throw new Error("upload abandoned");
    this.files++;
    this.counter.files++;
    return join(dir, String(index));
  }

  track(write: Promise<unknown>, stream: { destroy(): void }): void {
    this.writes.push(write.catch(() => undefined));
    this.streams.push(stream);
  }

  /** A file's arrival, failed with the request if it fails, and by cleanup() if it is still arriving. */
  arrival(arrival: Arrival): void {
    this.arrivals.push(arrival);
  }

  /** A reader's open file, closed by cleanup() if the reader has not closed it by then. */
  hold(handle: FileHandle): boolean {
    if (this.closed) return false;
    this.handles.add(handle);
    return true;
  }

  release(handle: FileHandle): void {
    this.handles.delete(handle);
  }

  /** What drainRest() runs: the parser's switch from writing the body to reading and dropping it. */
  onDrain(drain: () => void): void {
    this.drainer = drain;
  }

  /** The answer is ready: whatever of the body is still to come is read and dropped. */
  drainRest(): void {
    this.drainer?.();
  }

  /** Resolves once every file tracked so far is written (or has failed). */
  async settled(): Promise<void> {
    await Promise.all(this.writes);
  }

  /** Idempotent: stops every write and reader, then removes the directory and everything in it. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      this.over.abort(new DOMException("The upload's request is over.", "AbortError"));
      for (const arrival of this.arrivals) arrival.fail(new Error("upload abandoned"));
      for (const stream of this.streams) stream.destroy();
      await Promise.all(this.writes);
      await Promise.all([...this.handles].map((handle) => handle.close().catch(() => undefined)));
      this.handles.clear();
      const dir = await this.dir?.catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      this.counter.files -= this.files;
      this.files = 0;
      this.removed();
    })();
    return this.cleaning;
  }
}

// ---------------------------------------------------------------------------------------------
// Files as they arrive
// ---------------------------------------------------------------------------------------------

/** How far one spooled file has come: bytes on disk, then all of it (the whole request read), or the failure. */
class Arrival {
  written = 0;
  /** The last chunks written (at most RECENT_BYTES), oldest first, with where each starts in the file. */
  readonly recent: { at: number; chunk: Buffer }[] = [];
  #recentBytes = 0;
  blob: Blob | null = null;
  failure: { error: unknown } | null = null;
  /** Resolves once the whole request has been read; rejects with the request's failure. */
  readonly arrived: Promise<void>;
  #settle!: { resolve(): void; reject(error: unknown): void };
  #waiters: (() => void)[] = [];

  constructor() {
    this.arrived = new Promise<void>((resolve, reject) => (this.#settle = { resolve, reject }));
    // Awaited by whoever reads the file; a file nobody reads must not fail the process.
    this.arrived.catch(() => undefined);
  }

  get settled(): boolean {
    return this.blob !== null || this.failure !== null;
  }

  /** `chunks` are in the file now, after what was there. */
  wrote(chunks: readonly Buffer[]): void {
    for (const chunk of chunks) {
      this.recent.push({ at: this.written, chunk });
      this.written += chunk.length;
      this.#recentBytes += chunk.length;
    }
    while (this.#recentBytes > RECENT_BYTES && this.recent.length > 1) {
      this.#recentBytes -= this.recent.shift()!.chunk.length;
    }
    this.#wake();
  }

  /** The bytes from `position` to the end of the chunk holding it, if that chunk is still kept in memory. */
  kept(position: number): Buffer | null {
    const recent = this.recent;
    if (recent.length === 0 || position < recent[0]!.at) return null;
    for (let index = recent.length - 1; index >= 0; index -= 1) {
      const { at, chunk } = recent[index]!;
      if (position >= at) return position < at + chunk.length ? chunk.subarray(position - at) : null;
    }
    return null;
  }

  finish(blob: Blob): void {
    if (this.settled) return;
    this.blob = blob;
    this.#forget();
    this.#settle.resolve();
    this.#wake();
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.failure = { error };
    this.#forget();
    this.#settle.reject(error);
    this.#wake();
  }

  /** Readers read from disk from now on: the chunks kept go. */
  #forget(): void {
    this.recent.length = 0;
    this.#recentBytes = 0;
  }

  /** Resolves at the next change (bytes written, the end, a failure). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Writes a file part to disk, telling `arrival` of each byte once it is in the file. */
class SpoolWriter extends Writable {
  #handle: FileHandle | null = null;

  constructor(
    private readonly path: string,
    private readonly arrival: Arrival,
  ) {
    super({ highWaterMark: WRITE_BUFFER_BYTES });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, "wx", 0o600).then(
      (handle) => {
        this.#handle = handle;
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map(({ chunk }) => chunk);
    const bytes = buffers.reduce((sum, chunk) => sum + chunk.length, 0);
    this.#handle!.writev(buffers).then(
      ({ bytesWritten }) => {
        if (bytesWritten !== bytes) return callback(new Error("short write to the upload spool"));
        this.arrival.wrote(buffers);
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = null;
    if (!handle) return callback(error);
    handle.close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }
}

/**
 * An uploaded file, spooled to disk as it arrives: a WHATWG File whose bytes are read from the temporary file. While it
 * arrives, `size` is the bytes written so far and `stream()` follows the file; `arrived` says when all of it is there.
 */
export class SpooledFile extends File {
  readonly #path: string;
  readonly #arrival: Arrival;
  readonly #spool: Spool;

  constructor(path: string, name: string, type: string, arrival: Arrival, spool: Spool) {
    super([], name, { type });
    this.#path = path;
    this.#arrival = arrival;
    this.#spool = spool;
  }

  /** Resolves once the whole request has been read (size is then final); rejects if the upload fails. */
  get arrived(): Promise<void> {
    return this.#arrival.arrived;
  }

  /** Aborted once the request is over (answered, gone or shut down): work on the file can stop. */
  get signal(): AbortSignal {
    return this.#spool.signal;
  }

  /** The bytes received so far, final once `arrived` has resolved. */
  get received(): number {
    return this.#arrival.blob?.size ?? this.#arrival.written;
  }

  override stream(): ReturnType<File["stream"]> {
    // Also once all of it is here: reads of 256 KiB cost a quarter of a file Blob's 64 KiB ones (the upstream send).
    return follow(this.#path, this.#arrival, this.#spool);
  }

  override async text(): Promise<string> {
    return (await this.#whole()).text();
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.#whole()).arrayBuffer();
  }

  override async bytes(): ReturnType<File["bytes"]> {
    return new Uint8Array(await (await this.#whole()).arrayBuffer());
  }

  override slice(start?: number, end?: number, type?: string): Blob {
    const { blob } = this.#arrival;
    if (blob) return blob.slice(start, end, type);
    return new PendingSlice(() => this.#whole(), start, end, type);
  }

  async #whole(): Promise<Blob> {
    await this.#arrival.arrived;
    return this.#arrival.blob!;
  }
}
// Blob declares `size` as a property: the live count is defined on the prototype instead.
Object.defineProperty(SpooledFile.prototype, "size", {
  get(this: SpooledFile) {
    return this.received;
  },
});

/** A slice of a file still arriving: read once all of it is there (its size is 0 until then). */
class PendingSlice extends Blob {
  constructor(
    private readonly whole: () => Promise<Blob>,
    private readonly start?: number,
    private readonly end?: number,
    private readonly sliceType?: string,
  ) {
    super([], { type: sliceType ?? "" });
  }

  async #part(): Promise<Blob> {
    return (await this.whole()).slice(this.start, this.end, this.sliceType);
  }

  override stream(): ReturnType<Blob["stream"]> {
    let reader: ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>> | null = null;
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        reader ??= (await this.#part()).stream().getReader();
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: async (reason) => {
        await reader?.cancel(reason);
      },
    });
  }

  override async text(): Promise<string> {
    return (await this.#part()).text();
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return (await this.#part()).arrayBuffer();
  }

  override async bytes(): ReturnType<Blob["bytes"]> {
    return new Uint8Array(await (await this.#part()).arrayBuffer());
  }
}

/**
 * The file at `path` from its first byte, following it as it is written: each read waits for more bytes, the stream
 * ends once the file has all arrived and errors with the upload's failure (or with the spool gone). Its file handle
 * closes with the stream, or with the spool.
 */
function follow(path: string, arrival: Arrival, spool: Spool): ReturnType<File["stream"]> {
  let handle: FileHandle | null = null;
  let position = 0;
  const close = async () => {
    const held = handle;
    handle = null;
    if (!held) return;
    spool.release(held);
    await held.close().catch(() => undefined);
  };
  return new ReadableStream(
    {
      async pull(controller) {
        try {
          for (;;) {
            if (arrival.failure) throw arrival.failure.error;
            const available = (arrival.blob?.size ?? arrival.written) - position;
            // Just written, and still in memory: no read of the disk.
            const kept = available > 0 && !arrival.blob ? arrival.kept(position) : null;
            if (kept) {
              position += kept.length;
              // A received chunk: its memory is an ArrayBuffer of the socket's reads, never shared.
              controller.enqueue(kept as Buffer<ArrayBuffer>);
              return;
            }
            if (available > 0) {
              if (!handle) {
                const opened = await open(path, "r");
                if (!spool.hold(opened)) {
                  await opened.close().catch(() => undefined);
                  throw new Error("upload abandoned");
                }
                handle = opened;
              }
              const buffer = Buffer.allocUnsafe(Math.min(available, FOLLOW_CHUNK_BYTES));
              const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
              if (bytesRead === 0) throw new Error("the upload spool file is shorter than written");
              position += bytesRead;
              controller.enqueue(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
              return;
            }
            if (arrival.blob) {
              await close();
              controller.close();
              return;
            }
            await arrival.changed();
          }
        } catch (error) {
          await close();
          throw error;
        }
      },
      async cancel() {
        await close();
      },
    },
    // One chunk read ahead: the next read from disk overlaps the consumer's work on this one (the upstream send).
    { highWaterMark: 1 },
  );
}

// ---------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------

interface Limits {
  maxFileBytes: number;
  maxFiles: number;
  maxFieldBytes: number;
  maxRequestBytes: number;
}

type Operations = Record<string, unknown> | unknown[];

/**
 * Reads the multipart body; resolves with the operations (files in place) as soon as every mapped file has started,
 * reading the rest in the background, or once the body has been read when they never all start.
 */
async function parseMultipart(
  request: Request,
  contentType: string,
  spool: Spool,
  limits: Limits,
  onFileReceived?: (bytes: number) => void,
): Promise<GraphQLParams | GraphQLParams[]> {
  const body = request.body;
  if (!body) throw badUserInput('Missing multipart form field "operations".');

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      limits: {
        fieldSize: limits.maxFieldBytes,
        fields: 2,
        fileSize: limits.maxFileBytes + 1, // busboy says "limit" on reaching it: one byte over
        // busboy reports a limit on reaching it: one more lets exactly maxFiles through; the map check counts files.
        files: limits.maxFiles + 1,
        parts: limits.maxFiles + 3,
      },
    });
  } catch (error) {
    throw invalidMultipart(error);
  }

  const reader = body.getReader();
  let failure: { error: unknown } | undefined;
  /** Answered already: the rest of the body is read and dropped. */
  let draining = false;
  // Each wait races a fresh "stopped" promise, dropped after the wait: racing every chunk against
  // one long-lived promise would keep every chunk reachable (a reaction per race) until it settles.
  const wakers = new Set<() => void>();
  const wakeAll = () => {
    for (const wake of wakers) wake();
  };
  const unlessStopped = async <T>(work: Promise<T>): Promise<T | typeof STOPPED> => {
    if (failure || draining) return STOPPED;
    let wake!: () => void;
    const stopped = new Promise<typeof STOPPED>((resolve) => (wake = () => resolve(STOPPED)));
    wakers.add(wake);
    try {
      return await Promise.race([work, stopped]);
    } finally {
      wakers.delete(wake);
    }
  };
  const arrivals: Arrival[] = [];
  const fail = (error: unknown) => {
    // While draining, nothing is parsed: stopping the parts is expected, and drain() ends on its own.
    if (failure || draining) return;
    failure = { error };
    const refusal = toParseError(error);
    for (const arrival of arrivals) arrival.fail(refusal);
    wakeAll();
    reader.cancel().catch(() => undefined);
    parser.destroy();
  };
  const onAbort = () => fail(request.signal.reason ?? abortError());
  if (request.signal.aborted) onAbort();
  request.signal.addEventListener("abort", onAbort, { once: true });
  spool.onDrain(() => {
    if (failure || draining) return;
    draining = true;
    // Nothing more is parsed or written; what the files still wait for never comes.
    for (const arrival of arrivals) arrival.fail(new Error("upload abandoned"));
    wakeAll();
    parser.destroy();
  });

  let operations: Operations | undefined;
  let map: Map<string, string[]> | undefined;
  const files = new Map<string, SpooledFile>();
  /** Each file's arrival and temporary path, by its part's name. */
  const spooledFiles = new Map<string, { arrival: Arrival; path: string }>();
  let fileIndex = 0;
  let started!: () => void;
  /** Every mapped file has started arriving: the operation can run. */
  const ready = new Promise<void>((resolve) => (started = resolve));

  parser.on("field", (name, value, info) => {
    if (failure) return;
    if (info.valueTruncated) {
      fail(tooLarge(`The multipart field "${name}" is larger than ${limits.maxFieldBytes} bytes.`));
    } else if (name === "operations" && operations === undefined) {
      operations = parseOperations(value, fail);
    } else if (name === "map" && operations !== undefined && map === undefined) {
      map = parseMap(value, operations, limits.maxFiles, fail);
    } else {
      fail(
        badUserInput(`Unexpected multipart field "${name}": send "operations", then "map", then the files.`),
      );
    }
  });

  parser.on("file", (name, stream: Readable, info) => {
    // Errors reach the parser (and `fail`) anyway; a destroyed part must not throw on its own.
    stream.on("error", () => undefined);
    if (failure || draining) return void stream.resume();
    if (!map) {
      stream.resume();
      return fail(badUserInput('A file part came before the multipart field "map".'));
    }
    if (!map.has(name) || files.has(name)) {
      stream.resume();
      return fail(badUserInput(`The multipart file "${name}" is not in the map, or was sent twice.`));
    }
    const index = fileIndex++;
    // busboy ends the part at maxFileBytes and says so: the request is refused, not truncated.
    stream.once("limit", () =>
      fail(tooLarge(`The file "${info.filename}" is larger than ${limits.maxFileBytes} bytes.`)),
    );
    const arrival = new Arrival();
    arrivals.push(arrival);
    spool.arrival(arrival);
    const type = info.mimeType === "application/octet-stream" ? "" : info.mimeType;
    const spooled = (async () => {
      const path = await spool.create(index);
      if (failure || spool.closed) throw new Error("upload abandoned");
      files.set(name, new SpooledFile(path, info.filename ?? name, type, arrival, spool));
      spooledFiles.set(name, { arrival, path });
      if (files.size === map!.size) started();
      const out = new SpoolWriter(path, arrival);
      spool.track(new Promise<void>((resolve) => out.once("close", () => resolve())), out);
      await pipeline(stream, out);
    })();
    spool.track(spooled, stream);
    spooled.catch((error: unknown) => {
      stream.resume();
      fail(error);
    });
  });

  parser.on("partsLimit", () => fail(badUserInput(`At most ${limits.maxFiles} files per request.`)));
  parser.on("filesLimit", () => fail(badUserInput(`At most ${limits.maxFiles} files per request.`)));
  parser.on("fieldsLimit", () => fail(badUserInput('Only the fields "operations" and "map" are accepted.')));
  parser.on("error", (error: unknown) => fail(invalidMultipart(error)));
  const parsed = new Promise<void>((resolve) => parser.once("close", resolve));

  /** Reads the whole body; true once it has been read and parsed without a failure. */
  const pump = async (): Promise<boolean> => {
    try {
      // Pump the body into busboy, honouring its backpressure (and, through it, the disk's).
      let received = 0;
      while (!failure && !draining) {
        const next = await unlessStopped(reader.read());
        if (next === STOPPED || next.done) break;
        received += next.value.byteLength;
        if (received > limits.maxRequestBytes) {
          fail(tooLarge(`The request is larger than ${limits.maxRequestBytes} bytes.`));
          break;
        }
        if (!parser.write(next.value)) {
          await unlessStopped(new Promise<void>((resolve) => parser.once("drain", () => resolve())));
        }
      }
      if (draining && !failure) await drain(reader, received, limits.maxRequestBytes);
      if (!failure && !draining) parser.end();
      if (!failure && !draining) await unlessStopped(parsed);
      if (!failure && !draining) await unlessStopped(spool.settled());
    } catch (error) {
      fail(toParseError(error));
    } finally {
      request.signal.removeEventListener("abort", onAbort);
    }
    return !failure && !draining;
  };
  const whole = pump().then(async (ok) => {
    if (ok) await finishFiles();
    return ok;
  });

  /** The whole request has been read: each file has all arrived (or, with the request refused, fails). */
  const finishFiles = async () => {
    const problem = missing();
    if (problem) return fail(problem);
    for (const [name, { arrival, path }] of spooledFiles) {
      try {
        const blob = await openAsBlob(path, { type: files.get(name)?.type ?? "" });
        onFileReceived?.(blob.size);
        arrival.finish(blob);
      } catch (error) {
        fail(error);
      }
    }
  };
  const missing = (): GraphQLError | undefined => {
    if (operations === undefined) return badUserInput('Missing multipart form field "operations".');
    for (const name of map?.keys() ?? []) {
      if (!files.has(name)) return badUserInput(`The mapped file "${name}" is missing from the request.`);
    }
    return undefined;
  };

  // The operation runs once every mapped file has started; a request with none mapped, once it is all read.
  const outcome = await Promise.race([ready.then(() => "started" as const), whole]);
  if (failure) throw toParseError(failure.error);
  if (outcome !== "started") {
    const problem = missing();
    if (problem) throw problem;
  }
  if (map) {
    for (const [name, paths] of map) {
      const file = files.get(name);
      if (!file) throw badUserInput(`The mapped file "${name}" is missing from the request.`);
      for (const path of paths) setAt(operations!, path, file);
    }
  }
  return operations as GraphQLParams | GraphQLParams[];
}

/** Reads and drops the rest of a body already answered, up to `maxRequestBytes` in all; then stops reading. */
async function drain(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  received: number,
  maxRequestBytes: number,
): Promise<void> {
  let total = received;
  for (;;) {
    const next = await reader.read();
    if (next.done) return;
    total += next.value.byteLength;
    if (total > maxRequestBytes) {
      await reader.cancel().catch(() => undefined);
      return;
    }
  }
}

function parseOperations(value: string, fail: (error: unknown) => void): Operations | undefined {
  let operations: unknown;
  try {
    operations = JSON.parse(value);
  } catch {
    fail(badUserInput('The multipart field "operations" is not valid JSON.'));
    return undefined;
  }
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(operations) && !(Array.isArray(operations) && operations.every(isObject))) {
    fail(badUserInput('The multipart field "operations" must be an object (or an array of them).'));
    return undefined;
  }
  return operations as Operations;
}

/** The map, checked: every path names an existing `null` under an operation's `variables`. */
function parseMap(
  value: string,
  operations: Operations,
  maxFiles: number,
  fail: (error: unknown) => void,
): Map<string, string[]> | undefined {
  const refuse = (message: string) => {
    fail(badUserInput(`Invalid multipart field "map": ${message}`));
    return undefined;
  };
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return refuse("not valid JSON.");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return refuse("expected an object.");
  const entries = Object.entries(raw);
  if (entries.length > maxFiles) return refuse(`at most ${maxFiles} files per request.`);
  const map = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const [name, paths] of entries) {
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === "string")) {
      return refuse(`"${name}" must be a non-empty array of paths.`);
    }
    for (const path of paths) {
      if (seen.has(path)) return refuse(`the path "${path}" is mapped twice.`);
      seen.add(path);
      if (!isVariablePath(operations, path)) {
        return refuse(`"${path}" does not name a null placeholder under variables.`);
      }
    }
    map.set(name, paths);
  }
  return map;
}

function isVariablePath(operations: Operations, path: string): boolean {
  const segments = path.split(".");
  let current: unknown = operations;
  if (Array.isArray(operations)) {
    const index = segments.shift();
    if (index === undefined || !/^(0|[1-9]\d*)$/.test(index) || Number(index) >= operations.length)
      return false;
    current = operations[Number(index)];
  }
  if (segments.shift() !== "variables" || segments.length === 0) return false;
  current = (current as Record<string, unknown>).variables;
  for (const segment of segments) {
    if (typeof current !== "object" || current === null) return false;
    if (Array.isArray(current)) {
      if (!/^(0|[1-9]\d*)$/.test(segment) || Number(segment) >= current.length) return false;
      current = current[Number(segment)];
    } else {
      if (!Object.hasOwn(current, segment)) return false;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current === null;
}

/** Sets a path `isVariablePath` accepted (so every step exists and is own). */
function setAt(operations: Operations, path: string, value: unknown): void {
  const segments = path.split(".");
  const last = segments.pop() as string;
  let current = operations as Record<string, unknown>;
  for (const segment of segments) current = current[segment] as Record<string, unknown>;
  current[last] = value;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT", http: { status: 400 } } });
}

function tooLarge(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: PAYLOAD_TOO_LARGE, http: { status: 413, headers: { Connection: "close" } } },
  });
}

function invalidMultipart(error: unknown): GraphQLError {
  const reason = error instanceof Error ? error.message : "malformed";
  return new GraphQLError(`POST body sent invalid multipart data: ${reason}`, {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });
}

function abortError(): Error {
  return new DOMException("The request was aborted.", "AbortError");
}

/** GraphQL errors (ours, yoga's body limit) and aborts pass as they are; the rest is a 400. */
function toParseError(error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  if (error instanceof Error && error.name === "AbortError") return error;
  return invalidMultipart(error);
}
