import { setTimeout as sleep } from "node:timers/promises";
import { UpstreamHttpError, UpstreamTransportError } from "./errors.js";

/**
 * Our own retry loop for upstream calls, instead of undici's retry interceptor: that one caps a
 * `Retry-After` wait at its `maxTimeout` (so it may retry sooner than DigiCert asked) and retries
 * PUT/DELETE by method alone. Here every wait honours `Retry-After` and the caller says what is idempotent.
 */
export interface RetryPolicy {
  /** Attempts in all, including the first; 1 disables retries. */
  maxAttempts: number;
  /** Total time the call may take across attempts and waits, in ms; no wait starts that would end past it. */
  budgetMs: number;
  /** First backoff, doubled each retry, with full jitter (random between 0 and the cap). */
  baseDelayMs: number;
  /** Cap on the backoff; a longer `Retry-After` from the upstream still wins. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  budgetMs: 10_000,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
});

/** What one failed attempt tells the retrier. */
export type AttemptOutcome = { retry: false } | { retry: true; retryAfterMs: number | null };

/** Time source for `withRetry`; tests pass a fake one. */
export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

const realClock: RetryClock = {
  now: () => performance.now(),
  sleep: async (ms) => {
    await sleep(ms);
  },
  random: () => Math.random(),
};

/**
 * Runs `attempt` (numbered from 1) until it succeeds, `classify` says not to retry, attempts run out,
 * or the next wait would end at or past the budget. Each wait is a fully jittered exponential backoff
 * (`random() * min(maxDelayMs, baseDelayMs * 2^(n-1))`), but never less than a `Retry-After` the upstream
 * gave. When that `Retry-After` exceeds what is left of the budget it stops at once, without waiting.
 * Whenever it stops on a failure, it rethrows the last error unchanged. The budget bounds the waits;
 * an attempt already running is bounded only by the client's own timeouts.
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  classify: (error: unknown) => AttemptOutcome,
  policy: RetryPolicy,
  clock: RetryClock = realClock,
): Promise<T> {
  const deadline = clock.now() + policy.budgetMs;
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= maxAttempts) throw error;
      const outcome = classify(error);
      if (!outcome.retry) throw error;
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
      const wait = Math.max(clock.random() * cap, outcome.retryAfterMs ?? 0);
      if (clock.now() + wait >= deadline) throw error;
      await clock.sleep(wait);
    }
  }
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/**
 * The gateway's rule for DigiCert calls. An idempotent read retries on 429, 502, 503, 504 (honouring
 * `Retry-After`) and on any transport error. A call that is not idempotent (one that creates or changes)
 * retries only on a transport error proving the request never left (`mayHaveReachedUpstream === false`),
 * never on an HTTP answer. Anything else (other statuses, unreadable bodies, non-upstream errors) is final.
 */
export function classifyUpstreamFailure(error: unknown, idempotent: boolean): AttemptOutcome {
  if (error instanceof UpstreamTransportError) {
    return idempotent || !error.mayHaveReachedUpstream
      ? { retry: true, retryAfterMs: null }
      : { retry: false };
  }
  if (error instanceof UpstreamHttpError && idempotent && RETRYABLE_STATUS.has(error.status)) {
    const seconds = error.retryAfterSeconds;
    return { retry: true, retryAfterMs: seconds === null ? null : seconds * 1000 };
  }
  return { retry: false };
}
