import { GraphQLError } from "graphql";
import type { Plugin, YogaInitialContext } from "graphql-yoga";
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export interface RateLimitOptions<TContext> {
  /** Operations one caller may run per window. */
  points: number;
  /** Length of the window, in seconds (a fixed window that starts at the caller's first operation). */
  durationSeconds: number;
  /**
   * The caller's key, from the execution context (e.g. `${tenant}:${subject}` of the verified
   * token), or null for a caller that is not limited. Called once per operation.
   */
  keyOf: (context: TContext) => string | null;
  /** Told of each refusal (metrics). */
  onRefused?: () => void;
  /**
   * Count in Redis, so the limit holds for the sum of every instance sharing it (rate-limiter-flexible's
   * RateLimiterRedis, keys under `keyPrefix`). While Redis cannot answer, each instance counts in its own memory
   * (the insurance limiter): operations go on, limited per instance. Absent: this process's memory only.
   */
  redis?: { client: Redis; keyPrefix: string };
}

export const RATE_LIMITED = "RATE_LIMITED";

/**
 * Limits each caller to `points` operations per `durationSeconds`: across instances with `redis`, else in this
 * process's memory (rate-limiter-flexible's RateLimiterMemory; a second gateway instance has its own counters).
 *
 * Counts each query and mutation (onExecute) and each subscription (onSubscribe, once at its
 * start), on every path through the envelop pipeline: HTTP, SSE and graphql-ws. Parse and
 * validation are not counted (the context, and so the caller, is only known at execution); the
 * query limits bound their cost.
 *
 * Over the limit the operation is answered, without running, by a GraphQLError with code
 * RATE_LIMITED and `extensions.retryAfterSeconds` (whole seconds, at least 1). Over HTTP yoga turns
 * its `extensions.http` into status 429 and a `Retry-After` header of the same number.
 */
export function useRateLimit<TContext extends object = Record<string, unknown>>(
  options: RateLimitOptions<YogaInitialContext & TContext>,
): Plugin<TContext> {
  const { points, durationSeconds, keyOf } = options;
  if (!Number.isInteger(points) || points < 1) {
    throw new RangeError(`useRateLimit: points must be a positive integer, got ${String(points)}.`);
  }
  // rate-limiter-flexible reads duration 0 as "never expires".
  if (!Number.isInteger(durationSeconds) || durationSeconds < 1) {
    throw new RangeError(
      `useRateLimit: durationSeconds must be a positive integer, got ${String(durationSeconds)}.`,
    );
  }
  const memory = new RateLimiterMemory({ points, duration: durationSeconds });
  const limiter = options.redis
    ? new RateLimiterRedis({
        storeClient: options.redis.client,
        keyPrefix: options.redis.keyPrefix,
        points,
        duration: durationSeconds,
        // Not ready (down, reconnecting): straight to the per-instance insurance limiter, no waiting on a socket.
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      })
    : memory;

  async function check(context: YogaInitialContext & TContext): Promise<GraphQLError | undefined> {
    const key = keyOf(context);
    if (key === null) return undefined;
    try {
      // In Redis a caller is a digest: tenant and subject names stay out of the shared store.
      await limiter.consume(options.redis ? createHash("sha256").update(key).digest("base64url") : key);
      return undefined;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      options.onRefused?.();
      return rateLimitedError(rejection.msBeforeNext);
    }
  }

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const error = await check(args.contextValue);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/** The RATE_LIMITED error for a caller who may try again in `msBeforeNext` milliseconds. */
export function rateLimitedError(msBeforeNext: number): GraphQLError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new GraphQLError(`Too many requests; retry in ${retryAfterSeconds} s.`, {
    extensions: {
      code: RATE_LIMITED,
      retryAfterSeconds,
      http: { status: 429, headers: { "Retry-After": String(retryAfterSeconds) } },
    },
  });
}
