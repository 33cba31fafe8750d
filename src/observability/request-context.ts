/**
 * The operation a piece of code runs for. The OperationRecord travels explicitly (by request and by execution context
 * in the plugin, and bound into the context's clients by scopeContext); with the `asyncContext` option the operation
 * also runs in an AsyncLocalStorage store, which the logger's mixin (src/logger.ts) reads to stamp every line. A leaf
 * (it imports only a type of its folder), so the logger may import it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Context, Span } from "@opentelemetry/api";
import type { UpstreamScope } from "./upstream.js";

export type OperationType = "query" | "mutation" | "subscription";

/**
 * How an operation ended, a metric label: `ok` ran without errors; `error` ran with at least one error; `invalid` did
 * not parse or validate; `refused` a defence answered it without running it (not authenticated, CSRF, too large, rate
 * limit, query limits, too many operations on a socket).
 */
export type Outcome = "ok" | "error" | "invalid" | "refused";

/** One GraphQL operation (an HTTP request, or one graphql-ws operation), from its start to its end. */
export class OperationRecord implements UpstreamScope {
  /** The operation's name once known: "" for an anonymous one, "other" for a name that is not a plain GraphQL name. */
  operationName: string | undefined = undefined;
  operationType: OperationType | undefined = undefined;
  /** The caller's tenant, once its token is verified. */
  tenant: string | undefined = undefined;
  /** Upstream HTTP exchanges (retries included) made while it ran. */
  upstreamCalls = 0;
  /** Its span and that span's context (upstream spans are children of it); null when not traced. */
  span: Span | null = null;
  traceContext: Context | null = null;
  /** Set by the final result; null until then. */
  outcome: Outcome | null = null;
  /** It reached the GraphQL pipeline (HTTP: past yoga's routing; graphql-ws: always). */
  graphql = false;
  /** Execution started (execute or subscribe was called). */
  executed = false;
  /** It answers with a stream that ends later (a subscription): it ends with the stream, not the response. */
  streaming = false;
  ended = false;
  /** performance.now() at the start. */
  readonly startedAt = performance.now();

  constructor(
    readonly requestId: string,
    readonly transport: "http" | "ws",
  ) {}
}

const storage = new AsyncLocalStorage<OperationRecord>();

/** The operation the caller runs for, when operations run in AsyncLocalStorage (`asyncContext`). */
export function currentOperation(): OperationRecord | undefined {
  return storage.getStore();
}

/** Runs `fn(...args)` (and everything it starts) as part of `operation`. */
export function runInOperation<A extends unknown[], R>(
  operation: OperationRecord,
  fn: (...args: A) => R,
  ...args: A
): R {
  return storage.run(operation, fn, ...args);
}

/** Runs `fn(...args)` outside any operation: work shared by many (a job poll) is not charged to the first caller. */
export function outsideOperation<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
  return storage.exit(fn, ...args);
}
