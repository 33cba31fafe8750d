import { type DocumentNode, type ExecutionResult, getOperationAST, GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { type GatewayContext, scopeContext } from "../context.js";
import { requestIdFrom, safeOperationName } from "../observability/labels.js";
import { OperationRecord, type Outcome, runInOperation } from "../observability/request-context.js";
import { CSRF_HEADER_REQUIRED } from "./browser.js";
import { PAYLOAD_TOO_LARGE } from "./use-body-limit.js";
import { QUERY_LIMIT_CODES } from "./use-query-limits.js";
import { RATE_LIMITED } from "./use-rate-limit.js";

/** What the plugin tells of each operation's life; metrics, spans and the log line live behind it. */
export interface OperationObserver {
  /** The operation started; `headers` are the HTTP request's (a `traceparent`), null over graphql-ws. */
  started(operation: OperationRecord, headers: Headers | null): void;
  /** It ended; called exactly once for each started operation, with its outcome set. */
  ended(operation: OperationRecord): void;
  /** A subscription's stream opened, then closed (once each, closed before ended). */
  streamOpened(operation: OperationRecord): void;
  streamClosed(operation: OperationRecord): void;
}

/** Error codes of the defences that answer an operation without running it: its outcome is `refused`. */
const REFUSALS = new Set<unknown>([
  "UNAUTHENTICATED",
  CSRF_HEADER_REQUIRED,
  PAYLOAD_TOO_LARGE,
  "REQUEST_ENTITY_TOO_LARGE",
  RATE_LIMITED,
  "TOO_MANY_OPERATIONS",
  QUERY_LIMIT_CODES.depth,
  QUERY_LIMIT_CODES.aliases,
  QUERY_LIMIT_CODES.directives,
  QUERY_LIMIT_CODES.tokens,
  QUERY_LIMIT_CODES.cost,
]);

export function outcomeOf(errors: readonly unknown[] | undefined, executed: boolean): Outcome {
  if (!errors || errors.length === 0) return "ok";
  for (const error of errors) {
    if (REFUSALS.has((error as { extensions?: { code?: unknown } }).extensions?.code)) return "refused";
  }
  return executed ? "error" : "invalid";
}

/** For an answer that carried no GraphQL result (yoga's own 4xx, e.g. 415): by its status. */
function outcomeOfStatus(status: number): Outcome {
  if (status < 400) return "ok";
  if (status === 401 || status === 403 || status === 413 || status === 429) return "refused";
  return status >= 500 ? "error" : "invalid";
}

/** `errors`, each with `extensions.requestId` (new GraphQLErrors; the originals may be shared and are not changed). */
export function withRequestId<E>(errors: readonly E[], requestId: string): E[] {
  return errors.map((error) => {
    if (!(error instanceof GraphQLError) || error.extensions.requestId === requestId) return error;
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: error.originalError,
      extensions: { ...error.extensions, requestId },
    }) as E;
  });
}

function lacksRequestId(errors: readonly unknown[]): boolean {
  return errors.some((error) => error instanceof GraphQLError && error.extensions.requestId === undefined);
}

type ParamsCtx = { params?: { operationName?: unknown } };
type Hook<K extends keyof Plugin> = NonNullable<Plugin[K]>;
type AfterParse = Extract<ReturnType<Hook<"onParse">>, (...args: never[]) => unknown>;
type AfterValidate = Extract<ReturnType<Hook<"onValidate">>, (...args: never[]) => unknown>;
type ExecuteHooks = Exclude<Awaited<ReturnType<Hook<"onExecute">>>, void | undefined>;
type SubscribeHooks = Exclude<Awaited<ReturnType<Hook<"onSubscribe">>>, void | undefined>;
interface StreamEvent {
  args: { contextValue: unknown };
  result: ExecutionResult;
  setResult: (result: ExecutionResult) => void;
}
const tenantOf = (context: unknown): string | undefined => {
  const tenant = (context as { viewer?: { tenant?: unknown } } | null)?.viewer?.tenant;
  return typeof tenant === "string" ? tenant : undefined;
};

/** Each HTTP request's record, by its Request object: made on first sight, with the id its response will carry. */
export class RequestOperations {
  readonly #byRequest = new WeakMap<Request, OperationRecord>();

  of(request: Request): OperationRecord {
    let operation = this.#byRequest.get(request);
    if (!operation) {
      operation = new OperationRecord(requestIdFrom(request.headers.get("x-request-id")), "http");
      this.#byRequest.set(request, operation);
    }
    return operation;
  }
}

/** Runs one graphql-ws operation's execute or subscribe (`run`), whose execution context is `context`. */
export type WsOperationWrapper = (context: unknown, run: () => unknown) => unknown;

export interface ObservedOperations {
  /** First among yoga's plugins. */
  plugin: Plugin;
  /**
   * For src/subscriptions/graphql-ws.ts, around each execute/subscribe it runs: ends the operation when it settles.
   * Yoga `instrumentation` hooks could do it, but they cost every HTTP request too
   * (bench/RESULTS.md: most of what observability cost).
   */
  aroundWs: WsOperationWrapper;
}

export interface ObservabilityPluginOptions {
  /**
   * Also run each operation in an AsyncLocalStorage store (request-context.ts), so that every log line written while
   * it runs, by any logger createLogger made, carries its ids. Off: the operation's own lines (its upstream calls, its
   * resolvers' `ctx.logger`, its final line) carry them, and a line written elsewhere (app.ts's) does not. On Node 20
   * AsyncLocalStorage hooks every promise: about 5% more CPU per request.
   */
  asyncContext: boolean;
  /** Where HTTP requests' records are kept; pass one to read a request's id outside the plugin. */
  requests?: RequestOperations;
}

/**
 * Request ids, and each operation's start, outcome and end, for HTTP (queries, mutations, SSE subscriptions) and
 * graphql-ws alike; `observer` turns them into metrics, spans and the log line. Put it first among the plugins: its
 * hooks then see every request, also those refused by the plugins after it.
 *
 * - HTTP: each request gets an OperationRecord (by its Request object) and its response an `x-request-id` header:
 *   the caller's when well-formed (/^[A-Za-z0-9._:-]{1,128}$/), else a new UUID. It is an operation once it reaches
 *   request parsing (yoga's routing, CORS preflights and GraphiQL are not).
 * - graphql-ws: each operation gets its own record and id when the socket's pipeline is built (getEnveloped). One
 *   refused before that (TOO_MANY_OPERATIONS) is not observed.
 * - When execution starts, the context is scoped to the record (scopeContext): upstream calls count into it, log
 *   with its ids and parent their spans to its span.
 * - Every error of a GraphQL answer carries `extensions.requestId`: a second plugin is appended at the very end of
 *   yoga's list, after error masking (which rebuilds errors and would drop it), and yoga's onResultProcess catches the
 *   rest (the 401 thrown while parsing the request, parse and validation errors).
 * - A subscription ends with its stream.
 */
export function observeOperations(
  observer: OperationObserver,
  options: ObservabilityPluginOptions = { asyncContext: false },
): ObservedOperations {
  const { asyncContext, requests = new RequestOperations() } = options;
  const recordForRequest = (request: Request): OperationRecord => requests.of(request);
  /** Records by execution context (the object handed to getEnveloped, which yoga and graphql-ws execute with). */
  const byContext = new WeakMap<object, OperationRecord>();
  const recordOf = (context: unknown): OperationRecord | undefined =>
    typeof context === "object" && context !== null ? byContext.get(context) : undefined;
  const streams = new WeakMap<OperationRecord, ObservedStream<unknown>>();
  const end = (operation: OperationRecord) => {
    if (operation.ended) return;
    operation.ended = true;
    observer.ended(operation);
  };
  /** graphql-ws: ends the operation once execute/subscribe settles, unless it streams on; returns what `run` does. */
  const settle = (operation: OperationRecord, run: () => unknown): unknown => {
    const fail = (error: unknown): never => {
      operation.outcome = "error";
      end(operation);
      throw error;
    };
    const done = <R>(value: R): R => {
      if (!operation.streaming) end(operation);
      return value;
    };
    let result: unknown;
    try {
      result = run();
    } catch (error) {
      fail(error);
    }
    if (result instanceof Promise) return result.then(done, fail);
    return done(result);
  };
  /** Over graphql-ws the pipeline returns straight to the socket: the last hook that sees a result ends it. */
  const endWs = <E>(operation: OperationRecord, errors: readonly E[], outcome: Outcome): E[] => {
    operation.outcome = outcome;
    end(operation);
    return withRequestId(errors, operation.requestId);
  };

  // The tail's hooks: built once, not per operation.
  const afterParseTail: AfterParse = ({ context, result, replaceParseResult }) => {
    const operation = recordOf(context);
    if (operation?.transport === "ws" && result instanceof GraphQLError) {
      replaceParseResult(endWs(operation, [result], "invalid")[0]!);
    }
  };
  const afterValidateTail: AfterValidate = ({ context, valid, result, setResult }) => {
    const operation = recordOf(context);
    if (!valid && operation?.transport === "ws")
      setResult(endWs(operation, result, outcomeOf(result, false)));
  };
  const annotated = (operation: OperationRecord, result: ExecutionResult): ExecutionResult | null =>
    result.errors?.length ? { ...result, errors: withRequestId(result.errors, operation.requestId) } : null;
  const eventHooks = {
    onNext({ args, result, setResult }: StreamEvent) {
      const operation = recordOf(args.contextValue);
      if (!operation || !result.errors?.length) return;
      operation.outcome = outcomeOf(result.errors, true);
      setResult(annotated(operation, result)!);
    },
  };
  const executeTail: ExecuteHooks = {
    onExecuteDone({ args, result, setResult }) {
      const operation = recordOf(args.contextValue);
      if (!operation || isAsyncIterable(result)) return;
      operation.outcome = outcomeOf(result.errors, true);
      const withIds = annotated(operation, result);
      if (withIds) setResult(withIds);
    },
  };
  const subscribeTail: SubscribeHooks = {
    onSubscribeResult({ args, result, setResult }) {
      const operation = recordOf(args.contextValue);
      if (!operation) return undefined;
      if (isAsyncIterable(result)) return eventHooks;
      operation.outcome = outcomeOf(result.errors, true);
      const withIds = annotated(operation, result);
      if (withIds) setResult(withIds);
      return undefined;
    },
  };
  const tail: Plugin = {
    onParse: () => afterParseTail,
    onValidate: () => afterValidateTail,
    onExecute: () => executeTail,
    onSubscribe: () => subscribeTail,
  };

  /** graphql-ws: the operation ends when execute or subscribe settles (HTTP ones end with their response). */
  const aroundWs: WsOperationWrapper = (context, run) => {
    const operation = recordOf(context);
    if (operation?.transport !== "ws") return run();
    return asyncContext ? runInOperation(operation, settle, operation, run) : settle(operation, run);
  };

  const plugin: Plugin = {
    // Appended last, after yoga's own plugins: the envelop orchestrator initialises the array as it grows.
    onPluginInit({ plugins }) {
      (plugins as unknown[]).push(tail);
    },
    ...(asyncContext
      ? {
          instrumentation: {
            request({ request }: { request: Request }, wrapped: () => Promise<void> | void) {
              return runInOperation(recordForRequest(request), wrapped);
            },
          },
        }
      : {}),
    onRequestParse({ request }) {
      const operation = recordForRequest(request);
      if (operation.graphql) return;
      operation.graphql = true;
      observer.started(operation, request.headers);
    },
    onEnveloped({ context }) {
      if (!context) return;
      // HTTP: yoga's context holds the request, whose record exists since onRequestParse.
      const { request } = context as { request?: Request };
      if (request) {
        byContext.set(context, recordForRequest(request));
        return;
      }
      // graphql-ws: no HTTP request around it; one record per operation.
      const operation = new OperationRecord(requestIdFrom(null), "ws");
      operation.graphql = true;
      operation.operationName = safeOperationName((context as ParamsCtx).params?.operationName);
      byContext.set(context, operation);
      observer.started(operation, null);
    },
    onParse: () => afterParse,
    onExecute({ args }) {
      const operation = recordOf(args.contextValue);
      if (operation) executing(operation, args.contextValue);
    },
    onSubscribe({ args }) {
      const operation = recordOf(args.contextValue);
      if (!operation) return undefined;
      executing(operation, args.contextValue);
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          operation.streaming = true;
          const stream = new ObservedStream(result, operation, observer, end, asyncContext);
          streams.set(operation, stream);
          setResult(stream);
        },
      };
    },
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result) || isAsyncIterable(result)) return;
      const operation = recordForRequest(request);
      const { errors } = result as ExecutionResult;
      operation.outcome = outcomeOf(errors, operation.executed);
      if (errors?.length && lacksRequestId(errors)) {
        setResult({ ...result, errors: withRequestId(errors, operation.requestId) });
      }
    },
    onResponse({ request, response }) {
      const operation = recordForRequest(request);
      response.headers.set("x-request-id", operation.requestId);
      if (!operation.graphql) return;
      // A stream is read by the response body; an error answer (406: not acceptable as a stream) never reads it.
      if (operation.streaming && response.status < 400) return;
      if (operation.streaming) {
        operation.outcome = outcomeOfStatus(response.status);
        return void streams.get(operation)?.return();
      }
      operation.outcome ??= outcomeOfStatus(response.status);
      end(operation);
    },
  };

  return { plugin, aroundWs };

  /** Execution starts: the caller is known, and the context is scoped to the operation. */
  function executing(operation: OperationRecord, context: unknown): void {
    operation.executed = true;
    operation.tenant = tenantOf(context);
    const ctx = context as Partial<GatewayContext>;
    // A ctx.logger child would repeat the ids the AsyncLocalStorage mixin already adds.
    if (ctx.services && ctx.loaders && ctx.logger)
      scopeContext(ctx as GatewayContext, operation, !asyncContext);
  }

  /** The operation's name and type, from its document (also when the caller named none). */
  function afterParse({ context, result }: { context: unknown; result: DocumentNode | Error | null }) {
    const operation = recordOf(context);
    if (!operation || !result || result instanceof Error) return;
    const wanted = (context as ParamsCtx).params?.operationName;
    const ast = getOperationAST(result, typeof wanted === "string" ? wanted : undefined);
    operation.operationName = safeOperationName(ast ? (ast.name?.value ?? "") : wanted);
    if (ast) operation.operationType = ast.operation;
  }
}

/**
 * A subscription's stream as the transport reads it: its end (done, `return()`, `throw()` or an error) closes the
 * operation once; with asyncContext each `next()` (and the event's resolvers) runs in the operation's store.
 */
class ObservedStream<T> implements AsyncIterableIterator<T> {
  readonly #source: AsyncIterator<T>;
  /** Counted open from the first read; a stream nobody reads (yoga's 406) is never open. */
  #state: "unread" | "open" | "closed" = "unread";

  constructor(
    source: AsyncIterable<T>,
    private readonly operation: OperationRecord,
    private readonly observer: OperationObserver,
    private readonly end: (operation: OperationRecord) => void,
    private readonly asyncContext: boolean,
  ) {
    this.#source = source[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.#state === "unread") {
      this.#state = "open";
      this.observer.streamOpened(this.operation);
    }
    try {
      const result = await (this.asyncContext
        ? runInOperation(this.operation, nextOf, this.#source)
        : this.#source.next());
      if (result.done) this.#close(null);
      return result;
    } catch (error) {
      this.#close("error");
      throw error;
    }
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.#close(null);
    return this.#source.return
      ? await this.#source.return(value)
      : { done: true, value: value as IteratorReturnResult<T>["value"] };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    this.#close("error");
    if (this.#source.throw) return this.#source.throw(error);
    throw error;
  }

  #close(failure: Outcome | null): void {
    if (this.#state === "closed") return;
    if (this.#state === "open") this.observer.streamClosed(this.operation);
    this.#state = "closed";
    if (failure) this.operation.outcome = failure;
    else this.operation.outcome ??= "ok";
    this.end(this.operation);
  }
}

const nextOf = <T>(source: AsyncIterator<T>) => source.next();
