/**
 * A small typed client for the gateway: queries and mutations over fetch (JSON, or a GraphQL multipart request when
 * the variables hold a File or Blob), subscriptions over graphql-ws, typed errors, and a helper for the result unions'
 * error members. It runs in Node 20 and in a browser alike: nothing here imports a Node module or reads the
 * environment. Node 20 has no global WebSocket, so a script passes `webSocketImpl` (the `ws` package's default export);
 * a browser's own WebSocket is used when none is given. Documents are the generated `TypedDocumentString`s
 * (./generated/graphql.ts): their text, and their SHA-256 in `__meta__.hash`, the id the trusted documents manifest
 * (persisted-documents.json) names them by.
 */
import type { DocumentTypeDecoration } from "@graphql-typed-document-node/core";
import { type Client as WsClient, createClient as createWsClient } from "graphql-ws/client";

/** A generated document: its text (`toString()`), its result and variables types, and `__meta__.hash` when persisted. */
export type GatewayDocument<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> & {
  toString(): string;
  __meta__?: Record<string, unknown> | undefined;
};

/** The variables argument: optional when the operation has no required variable. */
type VariablesArgs<TVariables, TOptions> =
  Record<string, never> extends TVariables
    ? [variables?: TVariables, options?: TOptions]
    : [variables: TVariables, options?: TOptions];

/** One GraphQL error as the gateway formats it. */
export interface GatewayGraphQLError {
  message: string;
  path?: readonly (string | number)[];
  extensions?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors. Each has a stable `code`; none carries the token, a header value or the variables.
// ---------------------------------------------------------------------------------------------------------------

/** Every failure this client raises (an aborted request excepted: its AbortError propagates as is). */
export abstract class GatewayClientError extends Error {
  abstract override readonly name: string;
  abstract readonly code: string;
}

/**
 * The gateway answered with GraphQL `errors`: `code` is the first error's `extensions.code` (e.g. VALIDATION_FAILED,
 * UNAUTHENTICATED, PERSISTED_QUERY_NOT_IN_LIST), else GRAPHQL_ERROR; `codes` holds every error's. `data` is the partial
 * result, when there was one.
 */
export class GatewayRequestError extends GatewayClientError {
  override readonly name = "GatewayRequestError";
  readonly code: string;
  readonly codes: readonly string[];
  constructor(
    readonly errors: readonly GatewayGraphQLError[],
    readonly status: number | null,
    readonly requestId: string | null,
    readonly data: unknown = null,
  ) {
    super(errors.map((error) => error.message).join("; ") || "The gateway answered with errors.");
    this.codes = errors.map((error) => {
      const code = error.extensions?.["code"];
      return typeof code === "string" ? code : "GRAPHQL_ERROR";
    });
    this.code = this.codes[0] ?? "GRAPHQL_ERROR";
  }
}

/** The gateway answered without a GraphQL result (e.g. a proxy's 502, or 413 for an oversized upload). */
export class GatewayHttpError extends GatewayClientError {
  override readonly name = "GatewayHttpError";
  readonly code = "HTTP_ERROR";
  constructor(
    readonly status: number,
    readonly requestId: string | null,
    readonly retryAfterSeconds: number | null,
  ) {
    super(`The gateway answered HTTP ${status} without a GraphQL result.`);
  }
}

/** The gateway could not be reached, or the WebSocket closed before the operation ended. */
export class GatewayNetworkError extends GatewayClientError {
  override readonly name = "GatewayNetworkError";
  readonly code = "NETWORK_ERROR";
  constructor(
    message: string,
    /** The WebSocket close code, when a socket closed. */
    readonly closeCode: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A result union's error member (a type implementing the schema's `Error`): `code`, `message` and its own fields. */
export class GatewayResultError<T extends ResultError = ResultError> extends GatewayClientError {
  override readonly name = "GatewayResultError";
  readonly code: string;
  /** The member's GraphQL type, e.g. "ValidationError". */
  readonly typename: string;
  constructor(readonly result: T) {
    super(result.message);
    this.code = result.code;
    this.typename = result.__typename;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Result unions
// ---------------------------------------------------------------------------------------------------------------

/** What a document selects on every error member: `__typename` and `... on Error { code message }`. */
export interface ResultError {
  __typename: string;
  code: string;
  message: string;
}

/** The error members of a result union type. */
export type ResultErrorOf<T> = Extract<T, ResultError>;

/** Whether a result union's value is one of its error members (contract: the document selected `... on Error { code message }`). */
export function isResultError<T extends { __typename: string }>(result: T): result is T & ResultErrorOf<T> {
  const candidate = result as Partial<ResultError>;
  return typeof candidate.code === "string" && typeof candidate.message === "string";
}

/**
 * The result narrowed to one of `typenames`; an error member throws GatewayResultError (narrow on its `code` or
 * `typename`), and any other member a GatewayResultError coded UNEXPECTED_RESULT.
 */
export function expectResult<
  T extends { __typename: string },
  K extends Exclude<T["__typename"], ResultErrorOf<T>["__typename"]>,
>(result: T, ...typenames: K[]): Extract<T, { __typename: K }> {
  if ((typenames as string[]).includes(result.__typename)) return result as Extract<T, { __typename: K }>;
  if (isResultError(result)) throw new GatewayResultError(result);
  throw new GatewayResultError({
    __typename: result.__typename,
    code: "UNEXPECTED_RESULT",
    message: `Expected ${typenames.join(" or ")}, got ${result.__typename}.`,
  });
}

/** Every node of a connection, page after page (`first` at a time), following pageInfo.endCursor. */
export async function* connectionNodes<N>(
  page: (after: string | null) => Promise<{
    edges: readonly { node: N }[];
    pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  }>,
): AsyncGenerator<N> {
  let after: string | null = null;
  for (;;) {
    const { edges, pageInfo } = await page(after);
    for (const edge of edges) yield edge.node;
    if (!pageInfo.hasNextPage || !pageInfo.endCursor || pageInfo.endCursor === after) return;
    after = pageInfo.endCursor;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------------------------

export interface GatewayClientOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string | URL;
  /** The bearer token, or a function asked before each request and WebSocket connection; never logged. */
  token?: string | null | (() => string | null | Promise<string | null>);
  /**
   * Send the document's persisted id (`documentId`, the SHA-256 the manifest names it by) instead of its text, as a
   * gateway running trusted documents only requires. A document without a hash is sent as text. Default false.
   */
  persistedDocuments?: boolean;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Extra headers on every HTTP request. */
  headers?: Record<string, string>;
  /** A WebSocket constructor for subscriptions: `ws` in Node 20; default the global WebSocket (browsers, Node 22). */
  webSocketImpl?: unknown;
  /** The graphql-ws URL; default `url` with ws: or wss:. */
  webSocketUrl?: string | URL;
  /** Reconnections graphql-ws tries after a dropped socket (subscriptions then restart); default 3. */
  webSocketRetryAttempts?: number;
}

export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** With Files or Blobs in the variables: called as the multipart body is sent, with bytes sent and the total. */
  onUploadProgress?: (sent: number, total: number) => void;
}

export interface SubscribeOptions {
  /** Ends the subscription (the loop sees its end, a pending `next()` included). */
  signal?: AbortSignal;
}

interface GraphQLResponse {
  data?: unknown;
  errors?: GatewayGraphQLError[];
}

const ACCEPT = "application/graphql-response+json, application/json;q=0.9";

export class GatewayClient {
  readonly #options: GatewayClientOptions;
  readonly #fetch: typeof fetch;
  #ws: WsClient | null = null;

  constructor(options: GatewayClientOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Runs a query or mutation; resolves with its data, or throws a GatewayClientError. */
  async request<TResult, TVariables>(
    document: GatewayDocument<TResult, TVariables>,
    ...[variables, options = {}]: VariablesArgs<TVariables, RequestOptions>
  ): Promise<TResult> {
    const operation = this.#operation(document, variables);
    const files = extractFiles(operation.variables);
    const headers: Record<string, string> = {
      accept: ACCEPT,
      ...this.#options.headers,
      ...options.headers,
      ...(await this.#authorization()),
    };
    let body: BodyInit;
    const init: RequestInit & { duplex?: "half" } = { method: "POST", headers };
    if (files.length === 0) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(operation);
    } else if (options.onUploadProgress) {
      const multipart = multipartStream(operation, files, options.onUploadProgress);
      headers["content-type"] = `multipart/form-data; boundary=${multipart.boundary}`;
      headers["content-length"] = String(multipart.length);
      body = multipart.stream;
      init.duplex = "half";
    } else {
      body = multipartForm(operation, files);
    }
    let res: Response;
    try {
      res = await this.#fetch(this.#options.url, {
        ...init,
        body,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new GatewayNetworkError(`The gateway could not be reached: ${messageOf(error)}`, null, {
        cause: error,
      });
    }
    const requestId = res.headers.get("x-request-id");
    const result = await readResult(res);
    if (!result) {
      const retryAfter = Number(res.headers.get("retry-after"));
      throw new GatewayHttpError(
        res.status,
        requestId,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
      );
    }
    if (result.errors?.length)
      throw new GatewayRequestError(result.errors, res.status, requestId, result.data ?? null);
    if (result.data === undefined || result.data === null)
      throw new GatewayHttpError(res.status, requestId, null);
    return result.data as TResult;
  }

  /**
   * A subscription over graphql-ws: each event's data, until the gateway completes it or `options.signal` aborts.
   * Leaving the loop (break, return) unsubscribes; an abort ends a pending `next()` at once. An event with errors
   * throws GatewayRequestError; a socket that closes, GatewayNetworkError.
   */
  async *subscribe<TResult, TVariables>(
    document: GatewayDocument<TResult, TVariables>,
    ...[variables, options = {}]: VariablesArgs<TVariables, SubscribeOptions>
  ): AsyncGenerator<TResult> {
    const operation = this.#operation(document, variables);
    type Item =
      | { value: { data?: TResult | null; errors?: readonly GatewayGraphQLError[] } }
      | { error: unknown }
      | { done: true };
    const queue: Item[] = [];
    let wake: (() => void) | null = null;
    const push = (item: Item) => {
      queue.push(item);
      wake?.();
      wake = null;
    };
    const { signal } = options;
    const onAbort = () => push({ done: true });
    if (signal?.aborted) return;
    signal?.addEventListener("abort", onAbort, { once: true });
    const unsubscribe = this.#webSocket().subscribe<TResult>(
      { ...operation, query: operation.query ?? "" } as never,
      {
        next: (value) =>
          push({ value: value as { data?: TResult | null; errors?: readonly GatewayGraphQLError[] } }),
        error: (error) => push({ error }),
        complete: () => push({ done: true }),
      },
    );
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const item = queue.shift()!;
        if ("error" in item) throw subscriptionError(item.error);
        if ("done" in item) return;
        const { data, errors } = item.value;
        if (errors?.length) throw new GatewayRequestError(errors, null, null, data ?? null);
        if (data !== undefined && data !== null) yield data;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      unsubscribe();
    }
  }

  /** Closes the WebSocket, if one was opened; HTTP requests need no closing. */
  async close(): Promise<void> {
    const ws = this.#ws;
    this.#ws = null;
    await ws?.dispose();
  }

  #operation(
    document: { toString(): string; __meta__?: Record<string, unknown> | undefined },
    variables: unknown,
  ): { query?: string; documentId?: string; variables?: Record<string, unknown> } {
    const hash = document.__meta__?.["hash"];
    const vars =
      variables === undefined ? {} : { variables: copyPlain(variables as Record<string, unknown>) };
    if (this.#options.persistedDocuments && typeof hash === "string") return { documentId: hash, ...vars };
    return { query: document.toString(), ...vars };
  }

  async #authorization(): Promise<Record<string, string>> {
    const source = this.#options.token;
    const token = typeof source === "function" ? await source() : source;
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  #webSocket(): WsClient {
    if (this.#ws) return this.#ws;
    const url = new URL(this.#options.webSocketUrl ?? this.#options.url);
    if (url.protocol === "http:") url.protocol = "ws:";
    else if (url.protocol === "https:") url.protocol = "wss:";
    this.#ws = createWsClient({
      url: url.href,
      ...(this.#options.webSocketImpl ? { webSocketImpl: this.#options.webSocketImpl } : {}),
      connectionParams: async () => await this.#authorization(),
      retryAttempts: this.#options.webSocketRetryAttempts ?? 3,
      lazy: true,
    });
    return this.#ws;
  }
}

async function readResult(res: Response): Promise<GraphQLResponse | null> {
  const type = res.headers.get("content-type") ?? "";
  if (!/\bjson\b/i.test(type)) {
    await res.body?.cancel();
    return null;
  }
  try {
    const parsed = (await res.json()) as unknown;
    return typeof parsed === "object" && parsed !== null && ("data" in parsed || "errors" in parsed)
      ? (parsed as GraphQLResponse)
      : null;
  } catch {
    return null;
  }
}

function subscriptionError(error: unknown): Error {
  if (Array.isArray(error)) return new GatewayRequestError(error as GatewayGraphQLError[], null, null);
  if (typeof error === "object" && error !== null && "code" in error && "reason" in error) {
    const { code, reason } = error as { code: unknown; reason: unknown };
    const closeCode = typeof code === "number" ? code : null;
    const why = typeof reason === "string" && reason ? `: ${reason}` : "";
    return new GatewayNetworkError(`The WebSocket closed (${String(code)})${why}.`, closeCode, {
      cause: error,
    });
  }
  if (error instanceof GatewayClientError) return error;
  return new GatewayNetworkError(`The WebSocket failed: ${messageOf(error)}`, null, { cause: error });
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

function messageOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

// ---------------------------------------------------------------------------------------------------------------
// GraphQL multipart request spec (https://github.com/jaydenseric/graphql-multipart-request-spec)
// ---------------------------------------------------------------------------------------------------------------

interface ExtractedFile {
  /** e.g. "variables.input.file". */
  path: string;
  blob: Blob;
}

/** Replaces every Blob (a File included) in `variables` by null, in place, and lists them with their paths. */
function extractFiles(variables: Record<string, unknown> | undefined): ExtractedFile[] {
  const found: ExtractedFile[] = [];
  const walk = (value: unknown, path: string, set: (replacement: null) => void): void => {
    if (typeof Blob !== "undefined" && value instanceof Blob) {
      found.push({ path, blob: value });
      set(null);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}.${i}`, (r) => (value[i] = r)));
    } else if (isPlainObject(value)) {
      for (const key of Object.keys(value)) walk(value[key], `${path}.${key}`, (r) => (value[key] = r));
    }
  };
  if (variables) walk(variables, "variables", () => undefined);
  return found;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Plain objects and arrays copied (so the caller's variables keep their files); other values kept as they are. */
function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyPlain(v)])) as T;
  return value;
}

function fileName(blob: Blob, index: number): string {
  const name = (blob as Partial<File>).name;
  return typeof name === "string" && name !== "" ? name : `file-${index}`;
}

function fileMap(files: readonly ExtractedFile[]): Record<string, string[]> {
  return Object.fromEntries(files.map((file, i) => [String(i), [file.path]]));
}

/** The multipart body as FormData (no progress): fetch sets the boundary. */
function multipartForm(operation: object, files: readonly ExtractedFile[]): FormData {
  const form = new FormData();
  form.set("operations", JSON.stringify(operation));
  form.set("map", JSON.stringify(fileMap(files)));
  files.forEach((file, i) => form.set(String(i), file.blob, fileName(file.blob, i)));
  return form;
}

/** A header's quoted-string value, as browsers write a file name: quotes and line breaks percent-encoded. */
function quoted(value: string): string {
  return `"${value.replaceAll('"', "%22").replaceAll("\r", "%0D").replaceAll("\n", "%0A")}"`;
}

/**
 * The multipart body as a stream that reports its progress as the network pulls it, and its exact length (sent as
 * Content-Length). Streamed request bodies need fetch's `duplex: "half"`: Node's fetch has it; browsers mostly lack it
 * over HTTP/1.1, so a page reports upload progress with XMLHttpRequest instead.
 */
function multipartStream(
  operation: object,
  files: readonly ExtractedFile[],
  onProgress: (sent: number, total: number) => void,
): { boundary: string; length: number; stream: ReadableStream<Uint8Array> } {
  const random = crypto.getRandomValues(new Uint8Array(12));
  const boundary = `----gateway-client-${Array.from(random, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
  const encoder = new TextEncoder();
  const field = (name: string, value: string) =>
    encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`,
    );
  const parts: (Uint8Array | Blob)[] = [
    field("operations", JSON.stringify(operation)),
    field("map", JSON.stringify(fileMap(files))),
  ];
  files.forEach((file, i) => {
    const type = file.blob.type || "application/octet-stream";
    parts.push(
      encoder.encode(
        `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(String(i))}; filename=${quoted(fileName(file.blob, i))}\r\nContent-Type: ${type}\r\n\r\n`,
      ),
      file.blob,
      encoder.encode("\r\n"),
    );
  });
  parts.push(encoder.encode(`--${boundary}--\r\n`));
  const length = parts.reduce((sum, part) => sum + (part instanceof Blob ? part.size : part.byteLength), 0);
  let sent = 0;
  let index = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  const stream = new ReadableStream<Uint8Array>({
    start() {
      onProgress(0, length);
    },
    async pull(controller) {
      for (;;) {
        if (reader) {
          const { done, value } = await reader.read();
          if (!done) {
            sent += value.byteLength;
            controller.enqueue(value);
            onProgress(sent, length);
            return;
          }
          reader = null;
          continue;
        }
        const part = parts[index++];
        if (part === undefined) {
          controller.close();
          return;
        }
        if (part instanceof Blob) {
          reader = (part.stream() as ReadableStream<Uint8Array>).getReader();
          continue;
        }
        sent += part.byteLength;
        controller.enqueue(part);
        onProgress(sent, length);
        return;
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  });
  return { boundary, length, stream };
}
