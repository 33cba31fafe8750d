import { describe, expect, it } from "vitest";
import {
  UpstreamBodyError,
  UpstreamHttpError,
  UpstreamTransportError,
} from "../../src/datasources/errors.js";
import {
  type AttemptOutcome,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  classifyUpstreamFailure,
  withRetry,
} from "../../src/datasources/retry.js";

/** A clock that never really waits: sleeping advances `now` and is recorded. */
function fakeClock(random = () => 1) {
  let now = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => void (now += ms),
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    random,
  };
}

const http = (status: number, retryAfterSeconds: number | null = null) =>
  new UpstreamHttpError("tlm.test", status, [], retryAfterSeconds);
const reset = () => new UpstreamTransportError("tlm.test", "connection failed (ECONNRESET)", true);
const refused = () => new UpstreamTransportError("tlm.test", "could not connect (ECONNREFUSED)", false);

const policy: RetryPolicy = { maxAttempts: 3, budgetMs: 10_000, baseDelayMs: 200, maxDelayMs: 2_000 };

/** Fails with each error in turn, then succeeds with "ok"; records the attempt numbers it was given. */
function scripted(...errors: unknown[]) {
  const calls: number[] = [];
  const attempt = async (n: number) => {
    calls.push(n);
    const error = errors[n - 1];
    if (error !== undefined) throw error;
    return "ok";
  };
  return { calls, attempt };
}

const asGet = (error: unknown) => classifyUpstreamFailure(error, true);
const asPost = (error: unknown) => classifyUpstreamFailure(error, false);

describe("withRetry", () => {
  it("returns the first success without waiting", async () => {
    const clock = fakeClock();
    const { calls, attempt } = scripted();
    await expect(withRetry(attempt, asGet, policy, clock)).resolves.toBe("ok");
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it("retries a 503 on a read and then succeeds, numbering the attempts", async () => {
    const clock = fakeClock();
    const { calls, attempt } = scripted(http(503), http(503));
    await expect(withRetry(attempt, asGet, policy, clock)).resolves.toBe("ok");
    expect(calls).toEqual([1, 2, 3]);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("waits at least Retry-After, even when it is longer than maxDelayMs", async () => {
    const clock = fakeClock(() => 0);
    const { attempt } = scripted(http(429, 5), http(503, 3));
    await withRetry(attempt, asGet, { ...policy, maxDelayMs: 100 }, clock);
    expect(clock.sleeps).toEqual([5_000, 3_000]);
  });

  it("waits the longer of its backoff and a shorter Retry-After", async () => {
    const clock = fakeClock(() => 1);
    const { attempt } = scripted(http(503, 0));
    await withRetry(attempt, asGet, policy, clock);
    expect(clock.sleeps).toEqual([200]);
  });

  it("stops at once and rethrows the last error when Retry-After exceeds the remaining budget", async () => {
    const clock = fakeClock();
    const last = http(503, 11);
    const { calls, attempt } = scripted(last);
    await expect(withRetry(attempt, asGet, policy, clock)).rejects.toBe(last);
    expect(calls).toEqual([1]);
    expect(clock.sleeps).toEqual([]);
  });

  it("counts the time attempts take against the budget", async () => {
    const clock = fakeClock(() => 1);
    const last = http(503, 2);
    const calls: number[] = [];
    const attempt = async (n: number) => {
      calls.push(n);
      clock.advance(4_000);
      throw last;
    };
    await expect(withRetry(attempt, asGet, { ...policy, maxAttempts: 5 }, clock)).rejects.toBe(last);
    // 4 s attempt, 2 s wait, 4 s attempt: 10 s of the budget used, so no second wait starts.
    expect(calls).toEqual([1, 2]);
    expect(clock.sleeps).toEqual([2_000]);
  });

  it("never retries a non-idempotent call after an HTTP 500 or a reset that may have reached upstream", async () => {
    for (const error of [http(500), http(503, 1), http(429), reset()]) {
      const clock = fakeClock();
      const { calls, attempt } = scripted(error);
      await expect(withRetry(attempt, asPost, policy, clock)).rejects.toBe(error);
      expect(calls).toEqual([1]);
      expect(clock.sleeps).toEqual([]);
    }
  });

  it("retries a non-idempotent call whose connection was refused", async () => {
    const clock = fakeClock();
    const { calls, attempt } = scripted(refused());
    await expect(withRetry(attempt, asPost, policy, clock)).resolves.toBe("ok");
    expect(calls).toEqual([1, 2]);
  });

  it("respects maxAttempts and rethrows the last error unchanged", async () => {
    const clock = fakeClock();
    const errors = [http(502), http(504), reset(), http(503)];
    const { calls, attempt } = scripted(...errors);
    await expect(withRetry(attempt, asGet, policy, clock)).rejects.toBe(errors[2]);
    expect(calls).toEqual([1, 2, 3]);

    const once = scripted(http(503));
    await expect(withRetry(once.attempt, asGet, { ...policy, maxAttempts: 1 }, clock)).rejects.toBeInstanceOf(
      UpstreamHttpError,
    );
    expect(once.calls).toEqual([1]);
  });

  it("doubles the backoff cap each retry up to maxDelayMs, with full jitter within [0, cap]", async () => {
    const many = { ...policy, maxAttempts: 6, budgetMs: 60_000 };
    const errors = Array.from({ length: 5 }, () => http(503));

    const top = fakeClock(() => 0.999_999);
    await withRetry(scripted(...errors).attempt, asGet, many, top);
    expect(top.sleeps.map(Math.round)).toEqual([200, 400, 800, 1_600, 2_000]);

    const bottom = fakeClock(() => 0);
    await withRetry(scripted(...errors).attempt, asGet, many, bottom);
    expect(bottom.sleeps).toEqual([0, 0, 0, 0, 0]);

    const half = fakeClock(() => 0.5);
    await withRetry(scripted(...errors).attempt, asGet, many, half);
    expect(half.sleeps).toEqual([100, 200, 400, 800, 1_000]);

    const real = fakeClock(Math.random);
    await withRetry(scripted(...errors).attempt, asGet, many, real);
    [200, 400, 800, 1_600, 2_000].forEach((cap, i) => {
      expect(real.sleeps[i]).toBeGreaterThanOrEqual(0);
      expect(real.sleeps[i]).toBeLessThanOrEqual(cap);
    });
  });

  it("does not retry errors that are not upstream failures", async () => {
    const clock = fakeClock();
    const bug = new TypeError("x is undefined");
    const { calls, attempt } = scripted(bug);
    await expect(withRetry(attempt, asGet, policy, clock)).rejects.toBe(bug);
    expect(calls).toEqual([1]);
  });

  it("waits on real timers by default", async () => {
    const { calls, attempt } = scripted(http(503));
    const quick = { maxAttempts: 2, budgetMs: 1_000, baseDelayMs: 2, maxDelayMs: 2 };
    await expect(withRetry(attempt, asGet, quick)).resolves.toBe("ok");
    expect(calls).toEqual([1, 2]);
  });

  it("has a default policy of 3 attempts within 10 s", () => {
    expect(DEFAULT_RETRY_POLICY).toMatchObject({ maxAttempts: 3, budgetMs: 10_000 });
  });
});

describe("classifyUpstreamFailure", () => {
  const retry = (retryAfterMs: number | null): AttemptOutcome => ({ retry: true, retryAfterMs });
  const final: AttemptOutcome = { retry: false };

  it("retries a read on 429, 502, 503, 504 and transport errors, with Retry-After in ms", () => {
    expect(asGet(http(429, 7))).toEqual(retry(7_000));
    expect(asGet(http(503, 0))).toEqual(retry(0));
    expect(asGet(http(502))).toEqual(retry(null));
    expect(asGet(http(504))).toEqual(retry(null));
    expect(asGet(reset())).toEqual(retry(null));
    expect(asGet(refused())).toEqual(retry(null));
  });

  it("does not retry a read on other statuses or an unreadable body", () => {
    for (const status of [400, 401, 403, 404, 422, 500, 501]) expect(asGet(http(status))).toEqual(final);
    expect(asGet(new UpstreamBodyError("tlm.test", "response body is not valid JSON"))).toEqual(final);
  });

  it("retries a non-idempotent call only when the request provably never left", () => {
    expect(asPost(refused())).toEqual(retry(null));
    expect(asPost(reset())).toEqual(final);
    for (const status of [429, 500, 502, 503, 504]) expect(asPost(http(status, 1))).toEqual(final);
  });

  it("does not retry anything else", () => {
    expect(asGet(new TypeError("bug"))).toEqual(final);
    expect(asGet("a string")).toEqual(final);
    expect(asGet(null)).toEqual(final);
  });
});
