import { describe, expect, it } from "vitest";
import type { IotBatchJob } from "../../src/model/iot/batch-job.js";
import {
  type JobEvent,
  JobNotFoundError,
  JobWatcher,
  type JobWatcherOptions,
  type PollCoordinator,
  type PollPeer,
} from "../../src/subscriptions/job-watcher.js";
import type { BudgetLedger } from "../../src/subscriptions/poll-scheduler.js";

interface Job {
  id: string;
  status: string;
  total: number | null;
  success: number | null;
  failed: number | null;
  note?: string;
}

/** Lets every promise callback and I/O callback queued so far run (no real waiting). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Timers that fire only when `advance` says; records every delay asked for. */
function fakeClock() {
  let now = 0;
  let ids = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const delays: number[] = [];
  return {
    delays,
    /** Timers scheduled and not yet fired or cleared. */
    get pending() {
      return timers.size;
    },
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      timers.set(++ids, { at: now + ms, fn });
      delays.push(ms);
      return ids;
    },
    clearTimeout(handle: unknown) {
      timers.delete(handle as number);
    },
    /** Moves time forward, firing due timers in order and letting the polls they start finish. */
    async advance(ms: number) {
      const until = now + ms;
      for (;;) {
        await settle();
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
      await settle();
    },
  };
}

/** An upstream holding jobs by key, counting fetches; `failures` are thrown first, in order. */
function fakeUpstream(initial: Record<string, Partial<Job>>) {
  const jobs = new Map<string, Job>();
  for (const [key, job] of Object.entries(initial)) {
    jobs.set(key, { id: key, status: "PENDING_APPROVAL", total: null, success: null, failed: null, ...job });
  }
  const upstream = {
    jobs,
    calls: [] as string[],
    signals: [] as AbortSignal[],
    failures: [] as unknown[],
    /** While true, fetches hang until aborted. */
    hold: false,
    set(key: string, patch: Partial<Job>) {
      jobs.set(key, { ...jobs.get(key)!, ...patch });
    },
    fetch: async (key: string, signal: AbortSignal): Promise<Job | null> => {
      upstream.calls.push(key);
      upstream.signals.push(signal);
      const failure = upstream.failures.shift();
      if (failure !== undefined) throw failure;
      if (upstream.hold) {
        return new Promise<never>((_, reject) =>
          signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
        );
      }
      const job = jobs.get(key);
      return job ? { ...job } : null;
    },
  };
  return upstream;
}

const TERMINAL = new Set(["COMPLETE", "FAILED", "REJECTED"]);
const DONE = { done: true, value: undefined };
const KEY = "acme:iot:e6006353-ba03-4909-afc8-c611f00d7644";

function setup(
  initial: Record<string, Partial<Job>> = { [KEY]: {} },
  options: Partial<JobWatcherOptions<Job>> = {},
) {
  const clock = fakeClock();
  const upstream = fakeUpstream(initial);
  const watcher = new JobWatcher<Job>({
    fetch: upstream.fetch,
    isTerminal: (job) => TERMINAL.has(job.status),
    minIntervalMs: 1_000,
    maxIntervalMs: 8_000,
    maxConsecutiveErrors: 3,
    clock,
    ...options,
  });
  return { clock, upstream, watcher };
}

const value = (status: string, counts: Partial<Job> = {}) => ({
  done: false,
  value: expect.objectContaining({ status, ...counts }),
});

describe("JobWatcher.watch", () => {
  it("yields the job's current state first", async () => {
    const { watcher, upstream } = setup({ [KEY]: { status: "IN_PROGRESS", total: 10, success: 4 } });
    const it = watcher.watch(KEY);
    await expect(it.next()).resolves.toEqual(value("IN_PROGRESS", { total: 10, success: 4 }));
    expect(upstream.calls).toEqual([KEY]);
    await it.return();
  });

  it("fetches nothing until the first next()", async () => {
    const { watcher, upstream } = setup();
    const it = watcher.watch(KEY);
    await settle();
    expect(upstream.calls).toEqual([]);
    expect(watcher.activePollers).toBe(0);
    await it.return();
  });

  it("delivers each change in order, then the terminal state, then completes and stops polling", async () => {
    const { watcher, upstream, clock } = setup();
    const it = watcher.watch(KEY);
    await expect(it.next()).resolves.toEqual(value("PENDING_APPROVAL"));

    const steps: Partial<Job>[] = [
      { status: "APPROVED" },
      { status: "IN_PROGRESS", total: 3, success: 0, failed: 0 },
      { success: 1 },
      { success: 2, failed: 1 },
      { status: "COMPLETE" },
    ];
    const seen: Job[] = [];
    for (const step of steps) {
      upstream.set(KEY, step);
      const next = it.next();
      await clock.advance(1_000);
      const result = await next;
      if (!result.done) seen.push(result.value);
    }
    expect(seen.map((j) => [j.status, j.success, j.failed])).toEqual([
      ["APPROVED", null, null],
      ["IN_PROGRESS", 0, 0],
      ["IN_PROGRESS", 1, 0],
      ["IN_PROGRESS", 2, 1],
      ["COMPLETE", 2, 1],
    ]);
    await expect(it.next()).resolves.toEqual(DONE);
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);
    expect(upstream.calls).toHaveLength(6);
  });

  it("does not deliver polls where nothing subscribers care about changed", async () => {
    const { watcher, upstream, clock } = setup({ [KEY]: { status: "IN_PROGRESS", total: 5, success: 1 } });
    const it = watcher.watch(KEY);
    await it.next();
    let delivered = false;
    const next = it.next().then((r) => ((delivered = true), r));

    upstream.set(KEY, { note: "an irrelevant field moved" });
    await clock.advance(1_000 + 1_500 + 2_250);
    expect(upstream.calls).toHaveLength(4);
    expect(delivered).toBe(false);

    upstream.set(KEY, { success: 2 });
    await clock.advance(3_375);
    await expect(next).resolves.toEqual(value("IN_PROGRESS", { success: 2 }));
    await it.return();
  });

  it("uses a custom changed() to decide what is delivered", async () => {
    const { watcher, upstream, clock } = setup(undefined, {
      changed: (previous, next) => previous.note !== next.note,
    });
    const it = watcher.watch(KEY);
    await it.next();
    upstream.set(KEY, { note: "now it matters" });
    const next = it.next();
    await clock.advance(1_000);
    await expect(next).resolves.toEqual({
      done: false,
      value: expect.objectContaining({ note: "now it matters" }),
    });
    await it.return();
  });

  it("polls a key once per interval however many subscribers it has", async () => {
    const { watcher, upstream, clock } = setup();
    const subscribers = [watcher.watch(KEY), watcher.watch(KEY), watcher.watch(KEY)];
    const firsts = await Promise.all(subscribers.map((s) => s.next()));
    expect(firsts).toEqual([value("PENDING_APPROVAL"), value("PENDING_APPROVAL"), value("PENDING_APPROVAL")]);
    expect(upstream.calls).toHaveLength(1);
    expect(watcher.activePollers).toBe(1);

    for (const [n, status] of ["APPROVED", "IN_PROGRESS", "COMPLETE"].entries()) {
      upstream.set(KEY, { status });
      const nexts = subscribers.map((s) => s.next());
      await clock.advance(1_000);
      expect(upstream.calls).toHaveLength(2 + n);
      expect(await Promise.all(nexts)).toEqual([value(status), value(status), value(status)]);
    }
    expect(await Promise.all(subscribers.map((s) => s.next()))).toEqual([DONE, DONE, DONE]);
    expect(watcher.activePollers).toBe(0);
  });

  it("gives a late subscriber the last known state at once, without an extra fetch", async () => {
    const { watcher, upstream, clock } = setup();
    const early = watcher.watch(KEY);
    await early.next();
    upstream.set(KEY, { status: "IN_PROGRESS" });
    const earlyNext = early.next();
    await clock.advance(1_000);
    await earlyNext;
    expect(upstream.calls).toHaveLength(2);

    const late = watcher.watch(KEY);
    await expect(late.next()).resolves.toEqual(value("IN_PROGRESS"));
    expect(upstream.calls).toHaveLength(2);
    await Promise.all([early.return(), late.return()]);
  });

  it("shares a first fetch still in flight with subscribers that join during it", async () => {
    const { watcher, upstream } = setup();
    const a = watcher.watch(KEY);
    const b = watcher.watch(KEY);
    const [first, second] = await Promise.all([a.next(), b.next()]);
    expect(first).toEqual(value("PENDING_APPROVAL"));
    expect(second).toEqual(value("PENDING_APPROVAL"));
    expect(upstream.calls).toHaveLength(1);
    await Promise.all([a.return(), b.return()]);
  });

  it("stops the poller and aborts its fetch when the last subscriber leaves, and restarts for a new one", async () => {
    const { watcher, upstream, clock } = setup();
    const a = watcher.watch(KEY);
    const b = watcher.watch(KEY);
    await Promise.all([a.next(), b.next()]);

    upstream.hold = true;
    const waiting = a.next();
    await clock.advance(1_000);
    expect(upstream.calls).toHaveLength(2); // in flight, hanging
    await b.return();
    expect(watcher.activePollers).toBe(1);
    expect(upstream.signals[1]!.aborted).toBe(false);

    await a.return();
    await expect(waiting).resolves.toEqual(DONE);
    expect(watcher.activePollers).toBe(0);
    expect(upstream.signals[1]!.aborted).toBe(true);
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(upstream.calls).toHaveLength(2);

    upstream.hold = false;
    upstream.set(KEY, { status: "IN_PROGRESS" });
    const c = watcher.watch(KEY);
    await expect(c.next()).resolves.toEqual(value("IN_PROGRESS"));
    expect(upstream.calls).toHaveLength(3);
    expect(watcher.activePollers).toBe(1);
    await c.return();
    expect(watcher.activePollers).toBe(0);
  });

  it("stops the poller when a for-await loop breaks", async () => {
    const { watcher, clock } = setup();
    for await (const job of watcher.watch(KEY)) {
      expect(job.status).toBe("PENDING_APPROVAL");
      break;
    }
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("slows down by x1.5 up to maxIntervalMs while nothing changes, and resets on a change", async () => {
    const { watcher, upstream, clock } = setup();
    const it = watcher.watch(KEY);
    await it.next();
    const next = it.next();
    await clock.advance(1_000 + 1_500 + 2_250 + 3_375 + 5_062.5 + 7_593.75 + 8_000);
    expect(clock.delays).toEqual([1_000, 1_500, 2_250, 3_375, 5_062.5, 7_593.75, 8_000, 8_000]);

    upstream.set(KEY, { status: "APPROVED" });
    await clock.advance(8_000);
    await expect(next).resolves.toEqual(value("APPROVED"));
    expect(clock.delays.slice(8)).toEqual([1_000]);
    await it.return();
  });

  it("backs off x2 on fetch errors and never polls sooner than their retryAfterSeconds", async () => {
    const { watcher, upstream, clock } = setup(undefined, { maxConsecutiveErrors: 5 });
    const it = watcher.watch(KEY);
    await it.next();
    const next = it.next();
    upstream.failures.push(
      new Error("ECONNRESET"),
      Object.assign(new Error("HTTP 503"), { retryAfterSeconds: 5 }),
      Object.assign(new Error("HTTP 503"), { retryAfterSeconds: 30 }),
      new Error("ECONNRESET"),
    );
    await clock.advance(1_000 + 2_000 + 5_000 + 30_000);
    // 1 s; error: 2 s; error, Retry-After 5 s beats 4 s; error, 30 s beats the 8 s cap; error: capped at 8 s.
    expect(clock.delays).toEqual([1_000, 2_000, 5_000, 30_000, 8_000]);
    expect(upstream.calls).toHaveLength(5);

    upstream.set(KEY, { status: "IN_PROGRESS" });
    await clock.advance(8_000);
    await expect(next).resolves.toEqual(value("IN_PROGRESS"));
    expect(clock.delays.at(-1)).toBe(1_000); // a change resets the interval
    await it.return();
  });

  it("counts only consecutive errors: a successful poll starts the count again", async () => {
    const { watcher, upstream, clock } = setup(undefined, { maxConsecutiveErrors: 2 });
    const it = watcher.watch(KEY);
    await it.next();
    const next = it.next().catch((e: unknown) => e);
    upstream.failures.push(new Error("first"), undefined, new Error("second"));
    await clock.advance(1_000 + 2_000 + 3_000);
    expect(upstream.calls).toHaveLength(4);
    expect(watcher.activePollers).toBe(1);

    upstream.set(KEY, { status: "APPROVED" });
    await clock.advance(6_000);
    expect(await next).toEqual(value("APPROVED"));
    await it.return();
  });

  it("retries a failed first fetch and then delivers the current state", async () => {
    const { watcher, upstream, clock } = setup();
    upstream.failures.push(new Error("ECONNRESET"));
    const it = watcher.watch(KEY);
    const first = it.next();
    await clock.advance(2_000);
    await expect(first).resolves.toEqual(value("PENDING_APPROVAL"));
    expect(upstream.calls).toHaveLength(2);
    await it.return();
  });

  it("ends every subscriber with the last error after maxConsecutiveErrors failed polls", async () => {
    const { watcher, upstream, clock } = setup();
    const a = watcher.watch(KEY);
    const b = watcher.watch(KEY);
    await Promise.all([a.next(), b.next()]);
    const last = new Error("third failure");
    upstream.failures.push(new Error("first failure"), new Error("second failure"), last);

    const caught = (e: unknown) => ({ caught: e });
    const nextA = a.next().catch(caught);
    const nextB = b.next().catch(caught);
    await clock.advance(1_000 + 2_000 + 4_000);
    expect(await nextA).toEqual({ caught: last });
    expect(await nextB).toEqual({ caught: last });
    expect(upstream.calls).toHaveLength(4);
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);
    await expect(a.next()).resolves.toEqual(DONE);
  });

  it("delivers a snapshot a slow subscriber had waiting before the error that ended it", async () => {
    const { watcher, upstream, clock } = setup(undefined, { maxConsecutiveErrors: 1 });
    const it = watcher.watch(KEY);
    await it.next();
    upstream.set(KEY, { status: "APPROVED" });
    await clock.advance(1_000);
    const failure = new Error("gone");
    upstream.failures.push(failure);
    await clock.advance(1_000);
    await expect(it.next()).resolves.toEqual(value("APPROVED"));
    await expect(it.next()).rejects.toBe(failure);
    await expect(it.next()).resolves.toEqual(DONE);
  });

  it("throws JobNotFoundError when the first fetch finds nothing, and keeps no poller", async () => {
    const { watcher, upstream, clock } = setup({});
    const it = watcher.watch("acme:iot:missing");
    const error = await it.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobNotFoundError);
    expect(error).toMatchObject({ code: "JOB_NOT_FOUND", key: "acme:iot:missing" });
    expect((error as Error).message).not.toContain("acme");
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);
    expect(upstream.calls).toHaveLength(1);
    await expect(it.next()).resolves.toEqual(DONE);
  });

  it("throws JobNotFoundError when a job disappears while watched", async () => {
    const { watcher, upstream, clock } = setup();
    const it = watcher.watch(KEY);
    await it.next();
    const next = it.next().catch((e: unknown) => e);
    upstream.jobs.delete(KEY);
    await clock.advance(1_000);
    expect(await next).toBeInstanceOf(JobNotFoundError);
    expect(watcher.activePollers).toBe(0);
  });

  it("never shares a poller or a snapshot between keys, such as two tenants' jobs with one id", async () => {
    const acme = "acme:iot:1";
    const globex = "globex:iot:1";
    const { watcher, upstream, clock } = setup({
      [acme]: { status: "IN_PROGRESS", total: 10 },
      [globex]: { status: "PENDING_APPROVAL", total: 2 },
    });
    const a = watcher.watch(acme);
    const g = watcher.watch(globex);
    await expect(a.next()).resolves.toEqual(value("IN_PROGRESS", { total: 10 }));
    await expect(g.next()).resolves.toEqual(value("PENDING_APPROVAL", { total: 2 }));
    expect(watcher.activePollers).toBe(2);
    expect(upstream.calls.sort()).toEqual([acme, globex]);

    const late = watcher.watch(globex); // joins globex's poller only
    await expect(late.next()).resolves.toEqual(value("PENDING_APPROVAL", { total: 2 }));
    expect(upstream.calls).toHaveLength(2);

    await Promise.all([g.return(), late.return()]);
    expect(watcher.activePollers).toBe(1);
    upstream.set(acme, { status: "COMPLETE" });
    const next = a.next();
    await clock.advance(1_000);
    await expect(next).resolves.toEqual(value("COMPLETE"));
    expect(upstream.calls.filter((k) => k === globex)).toHaveLength(1);
  });

  it("gives a slow subscriber the newest state instead of a queue, but never skips the terminal one", async () => {
    const { watcher, upstream, clock } = setup();
    const fast = watcher.watch(KEY);
    const slow = watcher.watch(KEY);
    await Promise.all([fast.next(), slow.next()]);

    const fastSeen: string[] = [];
    for (const step of [{ status: "APPROVED" }, { status: "IN_PROGRESS" }, { status: "COMPLETE" }]) {
      upstream.set(KEY, step);
      const next = fast.next();
      await clock.advance(1_000);
      const result = await next;
      if (!result.done) fastSeen.push(result.value.status);
    }
    expect(fastSeen).toEqual(["APPROVED", "IN_PROGRESS", "COMPLETE"]);

    await expect(slow.next()).resolves.toEqual(value("COMPLETE"));
    await expect(slow.next()).resolves.toEqual(DONE);
  });

  it("returns and throws cleanly before the first value and while waiting", async () => {
    const { watcher, upstream, clock } = setup();

    const unused = watcher.watch(KEY);
    await expect(unused.return()).resolves.toEqual(DONE);
    await expect(unused.next()).resolves.toEqual(DONE);
    const boom = new Error("subscriber went away");
    const thrownEarly = watcher.watch(KEY);
    await expect(thrownEarly.throw(boom)).rejects.toBe(boom);
    await expect(thrownEarly.next()).resolves.toEqual(DONE);
    expect(upstream.calls).toHaveLength(0);

    const it = watcher.watch(KEY);
    await it.next();
    const waiting = it.next();
    await expect(it.throw(boom)).rejects.toBe(boom);
    await expect(waiting).resolves.toEqual(DONE);
    await expect(it.next()).resolves.toEqual(DONE);
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);

    const leaving = watcher.watch(KEY);
    const first = leaving.next(); // the first fetch is still in flight
    await leaving.return();
    await expect(first).resolves.toEqual(DONE);
    expect(watcher.activePollers).toBe(0);
  });

  it("ends subscribers with the error when isTerminal throws", async () => {
    const bug = new Error("bug in isTerminal");
    const { watcher } = setup(undefined, {
      isTerminal: () => {
        throw bug;
      },
    });
    await expect(watcher.watch(KEY).next()).rejects.toBe(bug);
    expect(watcher.activePollers).toBe(0);
  });

  it("accepts the model's batch jobs as snapshots", () => {
    const watcher = new JobWatcher<IotBatchJob>({
      fetch: async () => null,
      isTerminal: (job) => ["COMPLETE", "FAILED", "REJECTED"].includes(job.status),
      minIntervalMs: 1_000,
      maxIntervalMs: 30_000,
      maxConsecutiveErrors: 5,
    });
    expect(watcher.activePollers).toBe(0);
  });

  it("refuses options that cannot work", () => {
    const base = { fetch: async () => null, isTerminal: () => false };
    const make = (o: Partial<JobWatcherOptions<Job>>) => () =>
      new JobWatcher<Job>({ ...base, minIntervalMs: 1, maxIntervalMs: 2, maxConsecutiveErrors: 1, ...o });
    expect(make({ minIntervalMs: 0 })).toThrow(RangeError);
    expect(make({ maxIntervalMs: 0.5 })).toThrow(RangeError);
    expect(make({ maxConsecutiveErrors: 0 })).toThrow(RangeError);
  });
});

describe("JobWatcher.watchMany", () => {
  it("merges several jobs' updates and completes when all have completed", async () => {
    const k1 = "acme:iot:1";
    const k2 = "acme:iot:2";
    const { watcher, upstream, clock } = setup({ [k1]: {}, [k2]: { status: "IN_PROGRESS" } });
    const it = watcher.watchMany([k1, k2, k1]);
    const seen: [string, string][] = [];
    const take = async () => {
      const result = await it.next();
      if (!result.done) seen.push([result.value.key, result.value.job.status]);
      return result;
    };
    await take();
    await take();
    expect(seen.sort()).toEqual([
      [k1, "PENDING_APPROVAL"],
      [k2, "IN_PROGRESS"],
    ]);
    expect(upstream.calls.sort()).toEqual([k1, k2]);
    expect(watcher.activePollers).toBe(2);

    upstream.set(k1, { status: "COMPLETE" });
    let next = take();
    await clock.advance(1_000);
    await next;
    expect(seen.at(-1)).toEqual([k1, "COMPLETE"]);
    expect(watcher.activePollers).toBe(1);

    upstream.set(k2, { status: "FAILED" });
    next = take();
    await clock.advance(1_500); // k2 was unchanged at 1 s, so it waits 1.5 s
    await next;
    expect(seen.at(-1)).toEqual([k2, "FAILED"]);
    await expect(it.next()).resolves.toEqual(DONE);
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("shares pollers with single-key subscribers", async () => {
    const k1 = "acme:iot:1";
    const { watcher, upstream } = setup({ [k1]: {} });
    const single = watcher.watch(k1);
    await single.next();
    const many = watcher.watchMany([k1]);
    await expect(many.next()).resolves.toEqual({ done: false, value: { key: k1, job: expect.anything() } });
    expect(upstream.calls).toHaveLength(1);
    await many.return();
    expect(watcher.activePollers).toBe(1);
    await single.return();
    expect(watcher.activePollers).toBe(0);
  });

  it("throws the first error after what was waiting, and leaves the other jobs", async () => {
    const k1 = "acme:iot:1";
    const { watcher } = setup({ [k1]: {} });
    const it = watcher.watchMany([k1, "acme:iot:missing"]);
    const results: unknown[] = [];
    for (;;) {
      try {
        const result = await it.next();
        if (result.done) break;
        results.push(result.value.key);
      } catch (error) {
        results.push(error);
      }
    }
    expect(results).toEqual([k1, expect.any(JobNotFoundError)]);
    expect(watcher.activePollers).toBe(0);
  });

  it("completes at once for no keys", async () => {
    const { watcher, upstream } = setup();
    await expect(watcher.watchMany([]).next()).resolves.toEqual(DONE);
    expect(upstream.calls).toHaveLength(0);
  });
});

describe("JobWatcher.close", () => {
  it("completes every subscriber, aborts fetches in flight and leaves no timers", async () => {
    const k1 = "acme:iot:1";
    const k2 = "acme:iot:2";
    const { watcher, upstream, clock } = setup({ [k1]: {}, [k2]: {} });
    const a = watcher.watch(k1);
    const b = watcher.watchMany([k1, k2]);
    await a.next();
    await b.next();
    await b.next();
    const waitingA = a.next();
    const waitingB = b.next();
    upstream.hold = true;
    const c = watcher.watch("acme:iot:3");
    const waitingC = c.next(); // its first fetch hangs until aborted

    await watcher.close();
    expect(await Promise.all([waitingA, waitingB, waitingC])).toEqual([DONE, DONE, DONE]);
    expect(upstream.signals.at(-1)!.aborted).toBe(true);
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);

    const after = watcher.watch(k1);
    await expect(after.next()).resolves.toEqual(DONE);
    expect(upstream.calls).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });
});

/** A coordinator the test steers: it records each key's peer, what the watcher published, and leaves. */
function fakeCoordinator() {
  const members = new Map<string, { peer: PollPeer<Job>; published: JobEvent<Job>[]; leaves: number }>();
  const state = { closed: false, slowLeave: false, release: () => {} };
  const coordinator: PollCoordinator<Job> = {
    join(key, peer) {
      const member = { peer, published: [] as JobEvent<Job>[], leaves: 0 };
      members.set(key, member);
      return {
        publish: (event) => void member.published.push(event),
        leave: () => {
          member.leaves += 1;
          if (!state.slowLeave) return Promise.resolve();
          return new Promise<void>((resolve) => (state.release = resolve));
        },
      };
    },
    async close() {
      state.closed = true;
    },
  };
  return {
    members,
    coordinator,
    get closed() {
      return state.closed;
    },
    /** While true, `leave()` stays pending until `release()`. */
    set slowLeave(slow: boolean) {
      state.slowLeave = slow;
    },
    release: () => state.release(),
    member(key = KEY) {
      const member = members.get(key);
      if (!member) throw new Error(`${key} was never joined`);
      return member;
    },
  };
}

function coordinated(initial?: Record<string, Partial<Job>>, options: Partial<JobWatcherOptions<Job>> = {}) {
  const fake = fakeCoordinator();
  return { ...setup(initial, { coordinator: fake.coordinator, ...options }), fake };
}

const snapshot = (status: string, counts: Partial<Job> = {}): Job => ({
  id: KEY,
  status,
  total: null,
  success: null,
  failed: null,
  ...counts,
});

describe("JobWatcher with a coordinator", () => {
  it("polls nothing while another instance polls, and serves subscribers what it published", async () => {
    const { watcher, upstream, clock, fake } = coordinated();
    const a = watcher.watch(KEY);
    const first = a.next();
    await clock.advance(5_000);
    expect(upstream.calls).toHaveLength(0);
    expect(watcher.activePollers).toBe(0); // a follower is not a poller

    fake.member().peer.receive({ type: "snapshot", job: snapshot("IN_PROGRESS", { total: 4, success: 1 }) });
    await expect(first).resolves.toEqual(value("IN_PROGRESS", { total: 4, success: 1 }));
    const b = watcher.watch(KEY); // a local joiner gets the state at once
    await expect(b.next()).resolves.toEqual(value("IN_PROGRESS", { success: 1 }));
    expect(fake.members.size).toBe(1);

    const next = a.next();
    fake.member().peer.receive({ type: "snapshot", job: snapshot("IN_PROGRESS", { total: 4, success: 1 }) });
    fake.member().peer.receive({ type: "snapshot", job: snapshot("IN_PROGRESS", { total: 4, success: 2 }) });
    await expect(next).resolves.toEqual(value("IN_PROGRESS", { success: 2 })); // the unchanged one was not delivered
    fake.member().peer.receive({ type: "snapshot", job: snapshot("COMPLETE", { total: 4, success: 2 }) });
    await expect(a.next()).resolves.toEqual(value("COMPLETE"));
    await expect(a.next()).resolves.toEqual(DONE);
    await expect(b.next()).resolves.toEqual(value("COMPLETE"));
    await expect(b.next()).resolves.toEqual(DONE);
    expect(fake.member().leaves).toBe(1);
    expect(upstream.calls).toHaveLength(0);
  });

  it("polls from lead() with its own schedule and publishes each changed snapshot and the terminal one", async () => {
    const { watcher, upstream, clock, fake } = coordinated();
    const it = watcher.watch(KEY);
    const first = it.next();
    await settle();
    fake.member().peer.lead();
    await expect(first).resolves.toEqual(value("PENDING_APPROVAL"));
    expect(watcher.activePollers).toBe(1);

    await clock.advance(1_000 + 1_500); // two unchanged polls: nothing published
    upstream.set(KEY, { status: "APPROVED" });
    const approved = it.next();
    await clock.advance(2_250);
    await expect(approved).resolves.toEqual(value("APPROVED"));
    upstream.set(KEY, { status: "COMPLETE" });
    const complete = it.next();
    await clock.advance(1_000);
    await expect(complete).resolves.toEqual(value("COMPLETE"));
    await expect(it.next()).resolves.toEqual(DONE);

    expect(upstream.calls).toHaveLength(5);
    expect(clock.delays).toEqual([1_000, 1_500, 2_250, 1_000]);
    expect(fake.member().published.map((e) => e.type === "snapshot" && e.job.status)).toEqual([
      "PENDING_APPROVAL",
      "APPROVED",
      "COMPLETE",
    ]);
    expect(fake.member().leaves).toBe(1);
    expect(watcher.activePollers).toBe(0);
  });

  it("stops polling on follow(), aborting its fetch, and goes on from what the new poller publishes", async () => {
    const { watcher, upstream, clock, fake } = coordinated();
    const it = watcher.watch(KEY);
    const first = it.next();
    await settle();
    fake.member().peer.lead();
    await first;
    upstream.hold = true;
    await clock.advance(1_000);
    expect(upstream.calls).toHaveLength(2); // in flight

    fake.member().peer.follow();
    expect(upstream.signals[1]!.aborted).toBe(true);
    expect(watcher.activePollers).toBe(0);
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(upstream.calls).toHaveLength(2);

    const next = it.next();
    fake.member().peer.receive({ type: "snapshot", job: snapshot("PENDING_APPROVAL") }); // what it already has
    fake.member().peer.receive({ type: "snapshot", job: snapshot("APPROVED") });
    await expect(next).resolves.toEqual(value("APPROVED"));

    upstream.hold = false;
    upstream.set(KEY, { status: "IN_PROGRESS" });
    fake.member().peer.lead(); // it takes the lease back: polls at once
    await expect(it.next()).resolves.toEqual(value("IN_PROGRESS"));
    expect(upstream.calls).toHaveLength(3);
    await it.return();
    expect(fake.member().leaves).toBe(1);
  });

  it("ignores what is received while it polls, and publishes its last snapshot again when told to lead once more", async () => {
    const { watcher, upstream, clock, fake } = coordinated();
    const it = watcher.watch(KEY);
    const first = it.next();
    await settle();
    fake.member().peer.lead();
    await first;
    const next = it.next();
    fake.member().peer.receive({ type: "snapshot", job: snapshot("APPROVED") });
    fake.member().peer.receive({ type: "notFound" });
    await settle();

    fake.member().peer.lead();
    expect(fake.member().published).toHaveLength(2);
    expect(fake.member().published[1]).toEqual({
      type: "snapshot",
      job: expect.objectContaining({ status: "PENDING_APPROVAL" }),
    });
    expect(clock.pending).toBe(1); // the schedule goes on: no second timer, no extra fetch
    expect(upstream.calls).toHaveLength(1);

    upstream.set(KEY, { status: "REJECTED" });
    await clock.advance(1_000);
    await expect(next).resolves.toEqual(value("REJECTED"));
  });

  it("ends subscribers with JobNotFoundError, or the error, another instance's poller ended with", async () => {
    const { watcher, fake } = coordinated({ [KEY]: {}, "acme:iot:2": {} });
    const lost = watcher.watch(KEY);
    const failed = watcher.watch("acme:iot:2");
    const first = [lost.next().catch((e: unknown) => e), failed.next().catch((e: unknown) => e)];
    await settle();
    const upstreamError = new Error("decoded elsewhere");
    fake.member().peer.receive({ type: "notFound" });
    fake.member("acme:iot:2").peer.receive({ type: "failed", error: upstreamError });
    const [notFound, error] = await Promise.all(first);
    expect(notFound).toBeInstanceOf(JobNotFoundError);
    expect(notFound).toMatchObject({ key: KEY });
    expect(error).toBe(upstreamError);
    expect(fake.member().leaves).toBe(1);
    expect(fake.member("acme:iot:2").leaves).toBe(1);
  });

  it("publishes its own ends: not found, and the last error after too many failed polls", async () => {
    const polled = async (options: Partial<JobWatcherOptions<Job>> = {}) => {
      const setup = coordinated(undefined, options);
      const it = setup.watcher.watch(KEY);
      const first = it.next();
      await settle();
      setup.fake.member().peer.lead();
      await first;
      return { ...setup, it, end: it.next().catch((e: unknown) => e) };
    };

    const gone = await polled();
    gone.upstream.jobs.delete(KEY);
    await gone.clock.advance(1_000);
    expect(await gone.end).toBeInstanceOf(JobNotFoundError);
    expect(gone.fake.member().published.at(-1)).toEqual({ type: "notFound" });

    const failing = await polled({ maxConsecutiveErrors: 2 });
    const last = new Error("second failure");
    failing.upstream.failures.push(new Error("first failure"), last);
    await failing.clock.advance(1_000 + 2_000);
    expect(await failing.end).toBe(last);
    expect(failing.fake.member().published.at(-1)).toEqual({ type: "failed", error: last });
    expect(failing.fake.member().published).toHaveLength(2); // the first snapshot, then the end
    expect(failing.watcher.activePollers).toBe(0);
  });

  it("leaves when the last local subscriber leaves, and close() waits for the lease's release and closes the coordinator", async () => {
    const { watcher, clock, fake } = coordinated();
    const a = watcher.watch(KEY);
    const b = watcher.watch(KEY);
    const firsts = [a.next(), b.next()];
    await settle();
    fake.member().peer.lead();
    await Promise.all(firsts);
    await a.return();
    expect(fake.member().leaves).toBe(0);
    await b.return();
    expect(fake.member().leaves).toBe(1);
    expect(clock.pending).toBe(0);

    const c = watcher.watch(KEY);
    const first = c.next();
    await settle();
    fake.member().peer.lead();
    await first;
    fake.slowLeave = true;
    let closed = false;
    const closing = watcher.close().then(() => (closed = true));
    await expect(c.next()).resolves.toEqual(DONE);
    await settle();
    expect(fake.member().leaves).toBe(1);
    expect(closed).toBe(false); // the release is still in flight
    fake.release();
    await closing;
    expect(fake.closed).toBe(true);
    await expect(watcher.watch(KEY).next()).resolves.toEqual(DONE);
  });
});

describe("JobWatcher pacing and budgets", () => {
  const MOVING = new Set(["APPROVED", "IN_PROGRESS"]);
  const tenantOf = (key: string) => key.slice(0, key.indexOf(":"));

  it("polls a moving job every minIntervalMs, changed or not, and slows down once it waits", async () => {
    const { watcher, upstream, clock } = setup(
      { [KEY]: { status: "IN_PROGRESS", total: 9, success: 1 } },
      {
        isMoving: (job) => MOVING.has(job.status),
      },
    );
    const it = watcher.watch(KEY);
    await it.next();
    await clock.advance(2_500); // unchanged, but moving: no slowing down
    expect(clock.delays).toEqual([1_000, 1_000, 1_000]);

    upstream.set(KEY, { status: "PENDING_APPROVAL" });
    const next = it.next();
    await clock.advance(500 + 1_000 + 1_500 + 2_250);
    await expect(next).resolves.toEqual(value("PENDING_APPROVAL"));
    // The change itself, then waiting: x1.5 per unchanged poll.
    expect(clock.delays.slice(3)).toEqual([1_000, 1_500, 2_250, 3_375]);
    await it.return();
  });

  it("keeps a tenant's polls within its budget and stretches every job's interval evenly", async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `acme:iot:${i}`);
    const initial = Object.fromEntries(keys.map((key) => [key, { status: "IN_PROGRESS" }]));
    const { watcher, upstream, clock } = setup(initial, {
      isMoving: (job) => MOVING.has(job.status),
      budget: { pollsPerSecond: 2, burst: 2 },
      budgetKey: tenantOf,
    });
    const it = watcher.watchMany(keys);
    const firsts: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const first = it.next();
      await clock.advance(500);
      firsts.push(await first);
    }
    expect(firsts).toHaveLength(10); // first reads go one per token, ahead of the scheduled polls
    // 10 jobs want a poll a second each: 10/s against 2/s, so each is polled every 5 s.
    expect(watcher.budget("acme")).toMatchObject({ demand: 10, ratePerSecond: 2, stretch: 5 });
    const before = upstream.calls.length;
    await clock.advance(60_000);
    const calls = upstream.calls.slice(before);
    expect(calls.length).toBeLessThanOrEqual(2 + 2 * 60);
    expect(calls.length).toBeGreaterThanOrEqual(2 * 60 - 2);
    const perJob = keys.map((key) => calls.filter((k) => k === key).length);
    expect(Math.max(...perJob) - Math.min(...perJob)).toBeLessThanOrEqual(1);
    await it.return();
    expect(clock.pending).toBe(0);
    expect(watcher.budget("acme")?.demand).toBe(0);
  });

  it("gives another tenant's jobs their own budget", async () => {
    const busy = Array.from({ length: 20 }, (_, i) => `acme:iot:${i}`);
    const initial = Object.fromEntries(
      [...busy, "globex:iot:1"].map((key) => [key, { status: "IN_PROGRESS" }]),
    );
    const { watcher, upstream, clock } = setup(initial, {
      isMoving: (job) => MOVING.has(job.status),
      budget: { pollsPerSecond: 2, burst: 1 },
      budgetKey: tenantOf,
    });
    const acme = watcher.watchMany(busy);
    void acme.next();
    const globex = watcher.watch("globex:iot:1");
    await expect(globex.next()).resolves.toEqual(value("IN_PROGRESS"));
    await clock.advance(10_000);
    expect(upstream.calls.filter((k) => k === "globex:iot:1")).toHaveLength(11); // every 1 s, unstretched
    expect(upstream.calls.filter((k) => k.startsWith("acme:")).length).toBeLessThanOrEqual(1 + 2 * 10);
    expect(watcher.budget("globex")?.stretch).toBe(1);
    await Promise.all([acme.return(), globex.return()]);
  });

  it("holds every job of the tenant after one poll's Retry-After, not only the job that got it", async () => {
    const k1 = "acme:iot:1";
    const k2 = "acme:iot:2";
    const { watcher, upstream, clock } = setup(
      { [k1]: { status: "IN_PROGRESS" }, [k2]: { status: "IN_PROGRESS" } },
      { isMoving: () => true, budget: { pollsPerSecond: 100, burst: 10 }, budgetKey: tenantOf },
    );
    const a = watcher.watch(k1);
    await a.next();
    upstream.failures.push(Object.assign(new Error("HTTP 429"), { retryAfterSeconds: 10 }));
    await clock.advance(1_000); // k1's poll gets the 429: the budget holds until 11 s
    const b = watcher.watch(k2);
    const firstOfB = b.next();
    await clock.advance(9_999);
    expect(upstream.calls).toEqual([k1, k1]); // k2's first read waits too
    await clock.advance(1);
    await expect(firstOfB).resolves.toEqual(value("IN_PROGRESS"));
    expect(upstream.calls.slice(2).sort()).toEqual([k1, k2]);
    await Promise.all([a.return(), b.return()]);
  });

  it("polls a waiting job at once when told it was changed here, then at the fast pace", async () => {
    const { watcher, upstream, clock } = setup(undefined, { budget: { pollsPerSecond: 10, burst: 1 } });
    const it = watcher.watch(KEY);
    await it.next();
    await clock.advance(1_000 + 1_500 + 2_250); // waiting: the next poll is 3.375 s away
    upstream.set(KEY, { status: "APPROVED" });
    const next = it.next();
    watcher.refresh(KEY);
    await clock.advance(100); // the last poll just spent the token: the next one comes at 10/s
    await expect(next).resolves.toEqual(value("APPROVED"));
    expect(upstream.calls).toHaveLength(5);
    expect(clock.delays.at(-1)).toBe(1_000); // changed: the fast pace again
    watcher.refresh("acme:iot:not-watched"); // nothing to poll: nothing happens
    await clock.advance(0);
    expect(upstream.calls).toHaveLength(5);
    await it.return();
    expect(clock.pending).toBe(0);
  });

  it("completes subscribers waiting in a budget's line on close(), leaving no timer", async () => {
    const keys = ["acme:iot:1", "acme:iot:2", "acme:iot:3"];
    const { watcher, upstream, clock } = setup(Object.fromEntries(keys.map((key) => [key, {}])), {
      budget: { pollsPerSecond: 1, burst: 1 },
      budgetKey: tenantOf,
    });
    const iterators = keys.map((key) => watcher.watch(key));
    const firsts = iterators.map((it) => it.next());
    await settle();
    expect(upstream.calls).toEqual(["acme:iot:1"]);
    expect(watcher.budget("acme")?.waiting).toBe(2);
    await watcher.close();
    expect(await Promise.all(firsts)).toEqual([value("PENDING_APPROVAL"), DONE, DONE]);
    expect(clock.pending).toBe(0);
    expect(watcher.budget("acme")).toMatchObject({ waiting: 0, demand: 0 });
  });

  it("splits its budget as the coordinator says, and stops polling under it while following", async () => {
    let ledger: BudgetLedger | null = null;
    const fake = fakeCoordinator();
    const { watcher, clock } = setup(
      { [KEY]: { status: "IN_PROGRESS" } },
      {
        isMoving: () => true,
        budget: { pollsPerSecond: 4, burst: 1 },
        budgetKey: tenantOf,
        coordinator: { ...fake.coordinator, shareBudgets: (l) => void (ledger = l) },
      },
    );
    expect(ledger).not.toBeNull();
    const it = watcher.watch(KEY);
    const first = it.next();
    await settle();
    expect(ledger!.demands()).toEqual(new Map());
    fake.member().peer.lead();
    await first;
    expect(ledger!.demands()).toEqual(new Map([["acme", 1]]));
    ledger!.setShare("acme", 0.125);
    expect(watcher.budget("acme")).toMatchObject({ ratePerSecond: 0.5, stretch: 2 });
    // 0.5 token/s from now: the next poll waits for its token until 2 s, then the next wait is stretched x2.
    await clock.advance(2_000);
    expect(clock.delays.slice(-2)).toEqual([1_000, 2_000]);

    fake.member().peer.follow();
    expect(ledger!.demands()).toEqual(new Map());
    expect(clock.pending).toBe(0);
    await it.return();
  });
});
