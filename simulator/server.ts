import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import Router from "find-my-way";
import { ApiError, SimulatorOptionError } from "./errors.js";

/** Who is calling, after authentication; profiles gate every TLM operation. */
export interface Caller {
  readonly id: string;
  canUseProfile(profileId: string): boolean;
}

export interface Fault {
  /** Route key as in counters, e.g. "GET /mpki/api/v1/certificate/:serial"; omitted = every API route. */
  route?: string;
  kind: "status" | "reset" | "slow-body";
  /** For kind "status": 429, 500, 502, 503 (any 400-599 is accepted). */
  status?: number;
  retryAfterSeconds?: number;
  /** For kind "slow-body": delay between head and body. */
  delayMs?: number;
  /** How many requests it hits; omitted = until cleared. */
  times?: number;
}

/** The subset of pino the simulator calls; a pino logger fits. */
export interface SimulatorLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiRequest {
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: URLSearchParams;
  /** Parsed JSON body; undefined when the body was empty, and always for raw routes. */
  readonly body: unknown;
  readonly caller: Caller;
  /** The request's headers (names lowercase). */
  readonly headers: http.IncomingHttpHeaders;
  /** Raw routes only: the unread request (headers and body stream), e.g. for multipart uploads. */
  readonly raw?: http.IncomingMessage;
}

export interface ApiResponse {
  readonly status: number;
  readonly json?: unknown;
  readonly text?: string;
  /** A binary body; set content-type in headers. */
  readonly bytes?: Uint8Array;
  /** A body written chunk by chunk as it is produced (chunked transfer); set content-type in headers. */
  readonly stream?: () => AsyncIterable<Uint8Array | string>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteOptions {
  /** The handler reads the body itself from `request.raw`; the 1 MiB JSON cap does not apply. */
  readonly raw?: boolean;
}

export type ApiHandler = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;
/** Renders an error as a service's JSON error body. */
export type ErrorEnvelope = (error: ApiError) => unknown;
type ControlHandler = (body: unknown) => ApiResponse;

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly latencyMs: number;
  readonly credentials: ReadonlyMap<string, Caller>;
  /** HTTPS with optional client certificates; `clientCaller` maps a verified certificate's SHA-256 thumbprint to a caller. */
  readonly tls?: {
    readonly key: string;
    readonly cert: string;
    readonly ca: readonly string[];
    readonly clientCaller: (thumbprint: string) => Caller | undefined;
  };
  readonly logger?: SimulatorLogger;
}

type RouteEntry =
  | { readonly control: false; readonly key: string; readonly handler: ApiHandler; readonly raw: boolean }
  | { readonly control: true; readonly key: string; readonly handler: ControlHandler };

interface ActiveFault extends Fault {
  remaining?: number;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** How long a connection answered before its upload was read stays half-open, so the client can read the answer. */
const LINGER_MS = 1000;
const FAULT_ERRORS: Readonly<Record<number, { code: string; message: string }>> = {
  429: { code: "request_limit_exceeded", message: "Service unavailable, please limit request volume" },
  500: { code: "internal_error", message: "Internal server error" },
  502: { code: "bad_gateway", message: "Bad gateway" },
  503: { code: "service_unavailable", message: "Service is temporarily unavailable" },
  504: { code: "gateway_timeout", message: "Gateway timeout" },
};

/** TLM's error envelope (the default); `field` only when the error names one. */
function tlmEnvelope(error: ApiError): { errors: { code: string; message: string; field?: string }[] } {
  const entry = error.field
    ? { code: error.code, message: error.message, field: error.field }
    : { code: error.code, message: error.message };
  return { errors: [entry] };
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** Validates a fault from code or JSON; `routeKeys` are the API routes it may name. */
export function parseFault(input: unknown, routeKeys: ReadonlySet<string>): Fault {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new SimulatorOptionError("fault", "A fault must be an object");
  }
  const value = input as Record<string, unknown>;
  const fault: Fault = { kind: "status" };
  if (value.kind !== "status" && value.kind !== "reset" && value.kind !== "slow-body") {
    throw new SimulatorOptionError("kind", 'kind must be "status", "reset" or "slow-body"');
  }
  fault.kind = value.kind;
  if (value.route !== undefined) {
    if (typeof value.route !== "string" || !routeKeys.has(value.route)) {
      throw new SimulatorOptionError(
        "route",
        'route must be a route key such as "GET /mpki/api/v2/profile/:id"',
      );
    }
    fault.route = value.route;
  }
  if (fault.kind === "status") {
    const status = value.status;
    if (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599) {
      throw new SimulatorOptionError("status", "status must be an HTTP error status between 400 and 599");
    }
    fault.status = status;
  }
  if (value.retryAfterSeconds !== undefined) {
    if (!isNonNegativeInteger(value.retryAfterSeconds)) {
      throw new SimulatorOptionError("retryAfterSeconds", "retryAfterSeconds must be a non-negative integer");
    }
    fault.retryAfterSeconds = value.retryAfterSeconds;
  }
  if (fault.kind === "slow-body") {
    if (!isNonNegativeInteger(value.delayMs)) {
      throw new SimulatorOptionError(
        "delayMs",
        "delayMs must be a non-negative integer for a slow-body fault",
      );
    }
    fault.delayMs = value.delayMs;
  }
  if (value.times !== undefined) {
    if (!isNonNegativeInteger(value.times) || value.times === 0) {
      throw new SimulatorOptionError("times", "times must be a positive integer");
    }
    fault.times = value.times;
  }
  return fault;
}

export function parseLatency(ms: unknown): number {
  if (!isNonNegativeInteger(ms)) {
    throw new SimulatorOptionError("latencyMs", "latency must be a non-negative integer of milliseconds");
  }
  return ms;
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Keep draining (unread) so the 413 can still be written; the connection closes after it.
        reject(
          new ApiError(413, "invalid_request", "Request body is too large", undefined, {
            connection: "close",
          }),
        );
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  const raw = await readBody(request);
  if (raw.length === 0 || raw.toString("utf8").trim() === "") return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    // Never quote the parser's message: it echoes part of the body.
    throw ApiError.invalidRequest("Request body is not valid JSON");
  }
}

/** HTTP(S) front of the simulator: routing, counters, faults, latency, authentication and TLM error envelopes. */
export class SimulatorServer {
  readonly #options: ServerOptions;
  readonly #router = Router({ ignoreTrailingSlash: true });
  readonly #server: http.Server | https.Server;
  readonly #routeKeys = new Set<string>();
  readonly #counts = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Error bodies by path prefix, longest first; TLM's envelope elsewhere. */
  #envelopes: { readonly prefix: string; readonly render: ErrorEnvelope }[] = [];
  #faults: ActiveFault[] = [];
  #latencyMs: number;
  #closing: Promise<void> | undefined;

  constructor(options: ServerOptions) {
    this.#options = options;
    this.#latencyMs = options.latencyMs;
    const listener = (request: http.IncomingMessage, response: http.ServerResponse): void => {
      this.#handle(request, response).catch((error: unknown) => {
        options.logger?.error({ err: error }, "simulator request failed");
        if (!response.headersSent) response.destroy();
      });
    };
    this.#server = options.tls
      ? https.createServer(
          {
            key: options.tls.key,
            cert: options.tls.cert,
            ca: [...options.tls.ca],
            requestCert: true,
            rejectUnauthorized: false,
          },
          listener,
        )
      : http.createServer(listener);
    this.#server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    this.#registerControlRoutes();
  }

  /** Registers an API route; its key is "METHOD path" exactly as given here. */
  route(method: HttpMethod, path: string, handler: ApiHandler, options: RouteOptions = {}): void {
    const key = `${method} ${path}`;
    this.#routeKeys.add(key);
    this.#router.on(method, path, () => undefined, {
      control: false,
      key,
      handler,
      raw: options.raw ?? false,
    } satisfies RouteEntry);
  }

  /**
   * Errors of every request whose path starts with `prefix` (matched routes, unknown paths, faults and authentication
   * alike) use `render` instead of TLM's envelope.
   */
  errorEnvelope(prefix: string, render: ErrorEnvelope): void {
    this.#envelopes = [...this.#envelopes, { prefix, render }].sort(
      (a, b) => b.prefix.length - a.prefix.length,
    );
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off("error", reject);
        const address = this.#server.address();
        resolve(typeof address === "object" && address ? address.port : this.#options.port);
      });
    });
  }

  setLatency(ms: number): void {
    this.#latencyMs = parseLatency(ms);
  }

  injectFault(fault: Fault): void {
    const parsed: ActiveFault = parseFault(fault, this.#routeKeys);
    if (parsed.times !== undefined) parsed.remaining = parsed.times;
    this.#faults.push(parsed);
  }

  clearFaults(): void {
    this.#faults = [];
  }

  requestCount(routeKey: string): number {
    return this.#counts.get(routeKey) ?? 0;
  }

  requestCounts(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  resetCounters(): void {
    this.#counts.clear();
  }

  /** Stops listening, destroys open sockets and cancels pending timers; idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
    });
    return this.#closing;
  }

  #registerControlRoutes(): void {
    const control = (method: HttpMethod, path: string, handler: ControlHandler): void => {
      this.#router.on(method, path, () => undefined, {
        control: true,
        key: `${method} ${path}`,
        handler,
      } satisfies RouteEntry);
    };
    const noContent: ApiResponse = { status: 204 };
    control("GET", "/_simulator/counters", () => ({ status: 200, json: this.requestCounts() }));
    control("DELETE", "/_simulator/counters", () => {
      this.resetCounters();
      return noContent;
    });
    control("POST", "/_simulator/faults", (body) => {
      this.injectFault(body as Fault);
      return noContent;
    });
    control("DELETE", "/_simulator/faults", () => {
      this.clearFaults();
      return noContent;
    });
    control("PUT", "/_simulator/latency", (body) => {
      this.setLatency((body as { ms?: unknown } | undefined)?.ms as number);
      return noContent;
    });
  }

  async #handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const url = request.url ?? "/";
    const render = this.#envelopeFor(url);
    const match = this.#router.find((request.method ?? "GET") as HttpMethod, url);
    if (!match) {
      this.#send(response, this.#errorResponse(ApiError.notFound(), "unmatched", render), 0);
      return;
    }
    const route = match.store as RouteEntry;
    if (route.control) {
      await this.#handleControl(route.handler, request, response);
      return;
    }
    this.#counts.set(route.key, (this.#counts.get(route.key) ?? 0) + 1);
    const fault = this.#takeFault(route.key);
    if (fault?.kind === "reset") {
      request.socket.destroy();
      return;
    }
    if (this.#latencyMs > 0) await this.#sleep(this.#latencyMs);
    const slowMs = fault?.kind === "slow-body" ? (fault.delayMs ?? 0) : 0;
    let result: ApiResponse;
    try {
      if (fault?.kind === "status") throw this.#faultError(fault);
      const caller = this.#authenticate(request);
      const body = route.raw ? undefined : await readJson(request);
      const query = new URLSearchParams(url.includes("?") ? url.slice(url.indexOf("?") + 1) : "");
      const raw = route.raw ? request : undefined;
      result = await route.handler({
        params: match.params,
        query,
        body,
        caller,
        headers: request.headers,
        raw,
      });
    } catch (error) {
      result = this.#errorResponse(error, route.key, render);
      // A raw route may answer before reading the whole upload: close rather than drain it.
      if (route.raw && !request.complete) {
        result = { ...result, headers: { ...result.headers, connection: "close" } };
        this.#lingerOnClose(request.socket);
      }
    }
    this.#send(response, result, slowMs);
    this.#options.logger?.info(
      {
        method: request.method,
        route: route.key,
        status: result.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  }

  async #handleControl(
    handler: ControlHandler,
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ) {
    let result: ApiResponse;
    try {
      result = handler(await readJson(request));
    } catch (error) {
      result =
        error instanceof SimulatorOptionError
          ? this.#errorResponse(ApiError.invalidField(error.option, error.message), "control")
          : this.#errorResponse(error, "control");
    }
    this.#send(response, result, 0);
  }

  #takeFault(routeKey: string): ActiveFault | undefined {
    const fault = this.#faults.find(
      (candidate) => candidate.route === undefined || candidate.route === routeKey,
    );
    if (fault?.remaining !== undefined) {
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.#faults = this.#faults.filter((candidate) => candidate !== fault);
    }
    return fault;
  }

  #faultError(fault: Fault): ApiError {
    const status = fault.status ?? 500;
    const known = FAULT_ERRORS[status] ?? {
      code: "simulated_error",
      message: `Simulated ${status} response`,
    };
    const retryAfter =
      fault.retryAfterSeconds !== undefined || status === 429 || status === 503
        ? { "retry-after": String(fault.retryAfterSeconds ?? 1) }
        : undefined;
    return new ApiError(status, known.code, known.message, undefined, retryAfter);
  }

  #authenticate(request: http.IncomingMessage): Caller {
    const apiKey = request.headers["x-api-key"];
    if (typeof apiKey === "string" && apiKey !== "") {
      const caller = this.#options.credentials.get(apiKey);
      if (!caller) throw new ApiError(401, "invalid_api_key", "Invalid API key");
      return caller;
    }
    const socket = request.socket as TLSSocket;
    if (this.#options.tls && socket.authorized) {
      const thumbprint = socket.getPeerCertificate().fingerprint256?.replaceAll(":", "").toUpperCase();
      const caller = thumbprint ? this.#options.tls.clientCaller(thumbprint) : undefined;
      if (caller) return caller;
    }
    throw new ApiError(401, "AUTHORIZATION_ERROR", "No authentication data provided");
  }

  #envelopeFor(url: string): ErrorEnvelope {
    const path = url.split("?", 1)[0] ?? "";
    return this.#envelopes.find((entry) => path.startsWith(entry.prefix))?.render ?? tlmEnvelope;
  }

  #errorResponse(error: unknown, routeKey: string, render: ErrorEnvelope = tlmEnvelope): ApiResponse {
    if (error instanceof ApiError) {
      return { status: error.status, json: render(error), headers: error.headers };
    }
    this.#options.logger?.error({ err: error, route: routeKey }, "simulator handler failed");
    return { status: 500, json: render(new ApiError(500, "internal_error", "Internal server error")) };
  }

  #send(response: http.ServerResponse, result: ApiResponse, slowMs: number): void {
    if (response.destroyed) return;
    const headers: Record<string, string | number> = { ...result.headers };
    let payload: string | Uint8Array = "";
    const stream = result.status !== 204 ? result.stream : undefined;
    if (result.status !== 204 && !stream) {
      if (result.json !== undefined) {
        payload = JSON.stringify(result.json);
        headers["content-type"] = "application/json";
      } else if (result.text !== undefined) {
        payload = result.text;
        headers["content-type"] = "text/plain; charset=utf-8";
      } else if (result.bytes !== undefined) {
        payload = result.bytes;
      }
      headers["content-length"] = Buffer.byteLength(payload);
    }
    response.writeHead(result.status, headers);
    const finish = (): void => {
      if (!stream) {
        response.end(payload);
        return;
      }
      pipeline(Readable.from(stream()), response).catch((error: unknown) => {
        this.#options.logger?.error({ err: error }, "simulator response stream failed");
        response.destroy();
      });
    };
    if (slowMs <= 0) {
      finish();
      return;
    }
    response.flushHeaders();
    this.#sleep(slowMs).then(finish);
  }

  /**
   * After an answer sent before the request body was read, Node would destroy the socket while the client is still
   * sending, and the unread bytes make the kernel reset the connection, which can discard the answer before the client
   * reads it. Instead: half-close (FIN after the answer), read nothing more, and destroy the socket LINGER_MS later.
   */
  #lingerOnClose(socket: Socket): void {
    socket.destroySoon = () => {
      // Stop reading, or Node would drain (read and discard) the rest of the upload meanwhile.
      socket.pause();
      socket.end();
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        socket.destroy();
      }, LINGER_MS);
      this.#timers.add(timer);
      socket.once("close", () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
      });
    };
  }

  /** A timer that close() cancels; the promise then never settles, which ends the request's work. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }
}
