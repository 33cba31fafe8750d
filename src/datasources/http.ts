import { Readable } from "node:stream";
import { type Dispatcher, Pool, errors as undiciErrors } from "undici";
import type { Logger } from "../logger.js";
import { productOf } from "../observability/labels.js";
import {
  NO_UPSTREAM_TELEMETRY,
  type UpstreamCall,
  type UpstreamScope,
  type UpstreamTelemetry,
} from "../observability/upstream.js";
import { classifyUpstreamFailure, DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from "./retry.js";
import {
  UpstreamBodyError,
  type UpstreamErrorDetail,
  UpstreamHttpError,
  UpstreamTransportError,
} from "./errors.js";

/** How the gateway proves itself to DigiCert ONE: an API key, or a client certificate (mTLS host). */
export type UpstreamCredentials =
  | { kind: "apiKey"; apiKey: string }
  | { kind: "clientCertificate"; certificatePem: string; privateKeyPem: string; passphrase?: string };

/** How to reach DigiCert ONE; credentials are separate, per tenant. */
export interface UpstreamTransportOptions {
  baseUrl: URL;
  /** Extra trust anchors (PEM) for the upstream's TLS certificate, e.g. the simulator's root. */
  caPem?: string;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connections: number;
  /** Largest response body accepted, in bytes; undici itself has no limit. */
  maxResponseBytes: number;
  /** Retries of reads (and of writes that provably never left); default DEFAULT_RETRY_POLICY. */
  retry?: RetryPolicy;
}

export interface UpstreamOptions extends UpstreamTransportOptions {
  credentials: UpstreamCredentials;
}

/**
 * One connection pool to the DigiCert origin. API-key tenants share one; a client certificate is a
 * TLS identity, so each client-certificate tenant gets a pool of its own.
 */
export function createUpstreamPool(
  options: UpstreamTransportOptions,
  credentials?: UpstreamCredentials,
): Pool {
  return new Pool(options.baseUrl.origin, {
    connections: options.connections,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    connect: {
      timeout: options.connectTimeoutMs,
      ...(options.caPem ? { ca: options.caPem } : {}),
      ...(credentials?.kind === "clientCertificate"
        ? {
            cert: credentials.certificatePem,
            key: credentials.privateKeyPem,
            passphrase: credentials.passphrase,
          }
        : {}),
    },
  });
}

export interface UpstreamRequest {
  /** Names the call in logs and errors, e.g. `tlm.getCertificate`. */
  operation: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /**
   * True when repeating the call cannot change anything upstream (reads; TLM's pickup). Default: true
   * for GET only. A call that is not idempotent is retried only if it provably never left.
   */
  idempotent?: boolean;
  /** Built only by `upstreamPath` from validated identifiers. */
  path: UpstreamPath;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

export interface UpstreamRawBody {
  contentType: string;
  /** Read once: a request with this body is never retried after it may have left. */
  content: AsyncIterable<Uint8Array>;
  /** Total bytes, when known (sent as Content-Length). */
  length?: number;
}
export interface UpstreamStreamRequest extends Omit<UpstreamRequest, "body"> {
  body?: UpstreamRawBody;
  /** Overrides the JSON `accept` header, for downloads. */
  accept?: string;
}
export interface UpstreamStreamResponse {
  /** Always 2xx: any other status is thrown as `UpstreamHttpError`, as `request` does. */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The unread body: the caller consumes it, or ends it early with `return()`/`destroy()`. */
  body: AsyncIterable<Uint8Array>;
}

export interface UpstreamResponse {
  status: number;
  /** Parsed JSON, or null for an empty body (204). */
  json: unknown;
}

declare const pathBrand: unique symbol;
export type UpstreamPath = string & { readonly [pathBrand]: true };

/** Every call site of `upstreamPath` seen, by its TemplateStringsArray (one per site, for the process's life). */
const seenTemplates = new WeakSet<TemplateStringsArray>();
/** Templates without values are their own route; those with values are matched by pattern, most literal first. */
const literalRoutes = new Set<string>();
const patternRoutes: { route: string; head: string; pattern: RegExp; literalLength: number }[] = [];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function learnTemplate(strings: TemplateStringsArray): void {
  seenTemplates.add(strings);
  const route = strings.join("{}");
  if (strings.length === 1) {
    literalRoutes.add(route);
    return;
  }
  if (patternRoutes.some((known) => known.route === route)) return;
  // A value is percent-encoded and never empty: one or more characters other than "/" (and "?", "#").
  const pattern = new RegExp(`^${strings.map(escapeRegExp).join("[^/?#]+")}$`);
  const literalLength = strings.reduce((sum, s) => sum + s.length, 0);
  patternRoutes.push({ route, head: strings[0] ?? "", pattern, literalLength });
  patternRoutes.sort((a, b) => b.literalLength - a.literalLength);
}

/**
 * The template a path was built from, for metrics, spans and logs: `/mpki/api/v1/certificate/{}` for
 * upstreamPath`/mpki/api/v1/certificate/${serial}`. Never the path itself when it holds a value; "other" for a
 * path no upstreamPath call built.
 */
export function routeOf(path: string): string {
  if (literalRoutes.has(path)) return path;
  for (const known of patternRoutes) {
    if (path.startsWith(known.head) && known.pattern.test(path)) return known.route;
  }
  return "other";
}

/**
 * Builds a URL path from literal segments and already-validated identifiers. Each value is
 * percent-encoded, and dot segments or empty values are refused, so no input can change the
 * path's shape or host (`new URL("//host/x", base)` would). Its template is remembered (see routeOf).
 */
export function upstreamPath(strings: TemplateStringsArray, ...values: string[]): UpstreamPath {
  if (!seenTemplates.has(strings)) learnTemplate(strings);
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    if (value === "" || value === "." || value === "..") throw new TypeError("unsafe path segment");
    out += encodeURIComponent(value) + (strings[i + 1] ?? "");
  });
  return out as UpstreamPath;
}

/**
 * Calls DigiCert ONE with one set of credentials over a shared pool; every product (TLM, IoT, DTM)
 * uses it. Cheap to create (per tenant, or per request in pass-through mode); close the pool, not this.
 * Each call is reported to `telemetry` by its route template (routeOf), never by its raw path or query;
 * a client bound to an operation (forOperation) also counts its calls into it and logs them with its ids.
 */
export class UpstreamClient {
  readonly #pool: Dispatcher;
  readonly #headers: Record<string, string>;
  readonly #options: UpstreamOptions;
  readonly #logger: Logger;
  readonly #telemetry: UpstreamTelemetry;
  readonly #scope: UpstreamScope | null;

  /** `pool` from createUpstreamPool (matching the credentials), or undici's MockAgent in unit tests. */
  constructor(
    options: UpstreamOptions,
    logger: Logger,
    pool: Dispatcher,
    telemetry: UpstreamTelemetry = NO_UPSTREAM_TELEMETRY,
    scope: UpstreamScope | null = null,
  ) {
    this.#options = options;
    this.#logger = logger;
    this.#telemetry = telemetry;
    this.#scope = scope;
    const { credentials } = options;
    this.#pool = pool;
    this.#headers = {
      accept: "application/json",
      "user-agent": "digicert-graphql-gateway",
      ...(credentials.kind === "apiKey" ? { "x-api-key": credentials.apiKey } : {}),
    };
  }

  /** The same client (pool, credentials, telemetry) for one operation's calls. */
  forOperation(scope: UpstreamScope): UpstreamClient {
    return new UpstreamClient(this.#options, this.#logger, this.#pool, this.#telemetry, scope);
  }

  /** Sends the call, retrying under the policy; a certificate-issuing call is never sent twice. */
  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const idempotent = req.idempotent ?? req.method === "GET";
    const call = this.#startCall(req);
    return this.#observed(
      call,
      withRetry(
        () => this.#attempt(req, call),
        (error) => classifyUpstreamFailure(error, idempotent),
        this.#options.retry ?? DEFAULT_RETRY_POLICY,
      ),
    );
  }

  /**
   * Like request(), but a 2xx body is returned unread (no size cap: the caller streams it, or ends it
   * with `return()`), and the request body may be a raw stream. Non-2xx throws UpstreamHttpError.
   * A request with a body is never retried: the stream can be read only once.
   */
  stream(req: UpstreamStreamRequest): Promise<UpstreamStreamResponse> {
    const idempotent = req.body ? false : (req.idempotent ?? req.method === "GET");
    const call = this.#startCall(req);
    return this.#observed(
      call,
      withRetry(
        () => this.#attemptStream(req, call),
        (error) => (req.body ? { retry: false } : classifyUpstreamFailure(error, idempotent)),
        this.#options.retry ?? DEFAULT_RETRY_POLICY,
      ),
    );
  }

  #startCall(req: Pick<UpstreamRequest, "operation" | "method" | "path">): UpstreamCall {
    const call: UpstreamCall = {
      scope: this.#scope,
      product: productOf(req.operation),
      route: routeOf(req.path),
      method: req.method,
      attempts: 0,
      status: "",
      error: null,
      state: undefined,
    };
    this.#telemetry.callStarted(call);
    return call;
  }

  /** Ends the call's telemetry when `result` settles; the result itself is unchanged. */
  async #observed<T>(call: UpstreamCall, result: Promise<T>): Promise<T> {
    try {
      const value = await result;
      call.error = null;
      return value;
    } catch (error) {
      call.error ??= "error";
      throw error;
    } finally {
      this.#telemetry.callEnded(call);
    }
  }

  async #attemptStream(req: UpstreamStreamRequest, call: UpstreamCall): Promise<UpstreamStreamResponse> {
    const started = this.#attemptStarted(call);
    const headers: Record<string, string> = {
      ...this.#headers,
      ...(req.accept ? { accept: req.accept } : {}),
    };
    if (req.body) {
      headers["content-type"] = req.body.contentType;
      if (req.body.length !== undefined) headers["content-length"] = String(req.body.length);
    }
    try {
      return await this.#send(req, call, headers, req.body ? Readable.from(req.body.content) : undefined);
    } finally {
      this.#attemptEnded(req, call, started);
    }
  }

  async #attempt(req: UpstreamRequest, call: UpstreamCall): Promise<UpstreamResponse> {
    const started = this.#attemptStarted(call);
    const hasBody = req.body !== undefined;
    try {
      const res = await this.#send(
        req,
        call,
        hasBody ? { ...this.#headers, "content-type": "application/json" } : this.#headers,
        hasBody ? JSON.stringify(req.body) : undefined,
      );
      try {
        const text = await readBounded(res.body, this.#options.maxResponseBytes, req.operation);
        return { status: res.status, json: text.length === 0 ? null : parseJson(text, req.operation) };
      } catch (error) {
        call.error = error instanceof UpstreamBodyError ? "invalid_body" : transportFailureClass(error);
        throw classify(error, req);
      }
    } finally {
      this.#attemptEnded(req, call, started);
    }
  }

  #attemptStarted(call: UpstreamCall): number {
    call.attempts += 1;
    call.status = "";
    call.error = null;
    return performance.now();
  }

  /** The attempt's metrics and its "upstream call" debug line (route template, never the path or query). */
  #attemptEnded(req: Pick<UpstreamRequest, "operation">, call: UpstreamCall, started: number): void {
    const ms = performance.now() - started;
    this.#telemetry.attemptEnded(call, ms / 1000);
    if (!this.#logger.isLevelEnabled("debug")) return;
    const scope = call.scope;
    this.#logger.debug(
      {
        ...(scope
          ? {
              requestId: scope.requestId,
              operationName: scope.operationName,
              operationType: scope.operationType,
              tenant: scope.tenant,
            }
          : {}),
        operation: req.operation,
        route: call.route,
        method: call.method,
        status: call.status,
        attempt: call.attempts,
        ms: Math.round(ms),
      },
      "upstream call",
    );
  }

  /**
   * One attempt: a 2xx comes back with its body unread; any other status is an UpstreamHttpError. Sets the call's
   * status: the HTTP status, or the transport failure's class.
   */
  async #send(
    req: Pick<UpstreamRequest, "operation" | "method" | "path" | "query">,
    call: UpstreamCall,
    headers: Record<string, string>,
    body: string | Readable | undefined,
  ): Promise<UpstreamStreamResponse> {
    const prefix = this.#options.baseUrl.pathname.replace(/\/$/, "");
    try {
      const res = await this.#pool.request({
        method: req.method,
        path: `${prefix}${req.path}${encodeQuery(req.query)}`,
        headers,
        body,
      });
      const status = res.statusCode;
      call.status = String(status);
      if (status >= 200 && status < 300) return { status, headers: res.headers, body: res.body };
      call.error = "http";
      const text = await readBounded(res.body, this.#options.maxResponseBytes, req.operation);
      throw new UpstreamHttpError(
        req.operation,
        status,
        parseErrorEnvelope(text),
        parseRetryAfter(res.headers["retry-after"]),
      );
    } catch (error) {
      if (call.status === "") call.status = call.error = transportFailureClass(error);
      throw classify(error, req);
    }
  }
}

function encodeQuery(query: UpstreamRequest["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A response body as text, refused past `max` bytes (undici itself has no limit). */
export async function readBounded(
  body: AsyncIterable<Uint8Array>,
  max: number,
  operation: string,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw new UpstreamBodyError(operation, `response body exceeds ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

// JSON.parse's own message quotes the input, which may hold key material: never pass it on.
function parseJson(text: string, operation: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamBodyError(operation, "response body is not valid JSON");
  }
}

/** TLM sends `{"errors":[{code,message,field?}]}`; DTM sends `{"error":{code,message}}`. */
export function parseErrorEnvelope(text: string): UpstreamErrorDetail[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (typeof parsed !== "object" || parsed === null) return [];
  const record = parsed as { errors?: unknown; error?: unknown };
  const list = Array.isArray(record.errors) ? record.errors : record.error ? [record.error] : [];
  return list.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { code, field, message } = item as { code?: unknown; field?: unknown; message?: unknown };
    if (typeof code !== "string" && typeof code !== "number") return [];
    return [
      {
        code: String(code),
        field: typeof field === "string" ? field : null,
        message: typeof message === "string" ? message : "",
      },
    ];
  });
}

/** `Retry-After` is seconds or an HTTP date; returns whole seconds, at least 0. */
export function parseRetryAfter(header: string | string[] | undefined, now = Date.now()): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

const NOT_SENT = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);
// A TLS handshake failure happens before any request byte is written.
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO_|SELF_SIGNED_)/;

/** A transport failure as a metric label: `timeout` (headers or body), `connect` (never sent) or `network`. */
function transportFailureClass(error: unknown): string {
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return "timeout";
  }
  const code = (error as { code?: string } | null)?.code ?? "";
  if (code === "UND_ERR_CONNECT_TIMEOUT") return "timeout";
  return NOT_SENT.has(code) || TLS_FAILURE.test(code) ? "connect" : "network";
}

function classify(error: unknown, req: Pick<UpstreamRequest, "operation">): Error {
  if (error instanceof UpstreamHttpError || error instanceof UpstreamBodyError) return error;
  const code = (error as { code?: string } | null)?.code ?? "";
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamTransportError(req.operation, "timed out waiting for DigiCert", true);
  }
  const sent = !NOT_SENT.has(code) && !TLS_FAILURE.test(code);
  return new UpstreamTransportError(
    req.operation,
    sent ? `connection failed (${code || "unknown"})` : `could not connect (${code})`,
    sent,
  );
}
