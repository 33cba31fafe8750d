import { createWriteStream, openAsBlob } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { GraphQLError } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { PAYLOAD_TOO_LARGE } from "./use-body-limit.js";

const MiB = 1024 * 1024;
const STOPPED = Symbol("stopped");

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
 * - The variable receives a WHATWG `File` backed by the temporary file (`fs.openAsBlob`): `name`,
 *   `type`, `size`, `stream()`, `arrayBuffer()`, `text()` read from disk, so memory stays bounded.
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
  private cleaning: Promise<void> | undefined;
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

  /** Resolves once every file tracked so far is written (or has failed). */
  async settled(): Promise<void> {
    await Promise.all(this.writes);
  }

  /** Idempotent: stops every write, then removes the directory and everything in it. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      for (const stream of this.streams) stream.destroy();
      await Promise.all(this.writes);
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
// The parser
// ---------------------------------------------------------------------------------------------

interface Limits {
  maxFileBytes: number;
  maxFiles: number;
  maxFieldBytes: number;
  maxRequestBytes: number;
}

type Operations = Record<string, unknown> | unknown[];

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
  // Each wait races a fresh "stopped" promise, dropped after the wait: racing every chunk against
  // one long-lived promise would keep every chunk reachable (a reaction per race) until it settles.
  const wakers = new Set<() => void>();
  const unlessStopped = async <T>(work: Promise<T>): Promise<T | typeof STOPPED> => {
    if (failure) return STOPPED;
    let wake!: () => void;
    const stopped = new Promise<typeof STOPPED>((resolve) => (wake = () => resolve(STOPPED)));
    wakers.add(wake);
    try {
      return await Promise.race([work, stopped]);
    } finally {
      wakers.delete(wake);
    }
  };
  const fail = (error: unknown) => {
    if (failure) return;
    failure = { error };
    for (const wake of wakers) wake();
    reader.cancel().catch(() => undefined);
    parser.destroy();
  };
  const onAbort = () => fail(request.signal.reason ?? abortError());
  if (request.signal.aborted) onAbort();
  request.signal.addEventListener("abort", onAbort, { once: true });

  let operations: Operations | undefined;
  let map: Map<string, string[]> | undefined;
  const files = new Map<string, File>();
  let fileIndex = 0;

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
    if (failure) return void stream.resume();
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
    const spooled = (async () => {
      const path = await spool.create(index);
      if (failure || spool.closed) throw new Error("upload abandoned");
      const out = createWriteStream(path, { flags: "wx", mode: 0o600 });
      spool.track(new Promise<void>((resolve) => out.once("close", () => resolve())), out);
      await pipeline(stream, out);
      if (failure) return;
      const type = info.mimeType === "application/octet-stream" ? "" : info.mimeType;
      const blob = await openAsBlob(path, { type });
      onFileReceived?.(blob.size);
      files.set(name, new File([blob], info.filename ?? name, { type }));
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

  try {
    // Pump the body into busboy, honouring its backpressure (and, through it, the disk's).
    let received = 0;
    while (!failure) {
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
    if (!failure) parser.end();
    if (!failure) await unlessStopped(parsed);
    if (!failure) await unlessStopped(spool.settled());
  } catch (error) {
    fail(toParseError(error));
  } finally {
    request.signal.removeEventListener("abort", onAbort);
  }
  if (failure) throw toParseError(failure.error);

  if (operations === undefined) throw badUserInput('Missing multipart form field "operations".');
  if (map) {
    for (const [name, paths] of map) {
      const file = files.get(name);
      if (!file) throw badUserInput(`The mapped file "${name}" is missing from the request.`);
      for (const path of paths) setAt(operations, path, file);
    }
  }
  return operations as GraphQLParams | GraphQLParams[];
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
