import { createHash, randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { UpstreamUnavailableError } from "../../src/model/errors.js";
import type { SharedRedis } from "../../src/stores/redis.js";
import { createRedisPollCoordinator } from "../../src/subscriptions/job-lease.js";
import {
  type JobIterator,
  JobNotFoundError,
  JobWatcher,
  type JobWatcherOptions,
} from "../../src/subscriptions/job-watcher.js";
import { connectShared, startRedis, type TestRedis } from "../helpers/redis.js";

interface Job {
  id: string;
  status: string;
  total: number | null;
  success: number | null;
  failed: number | null;
}

const LEASE_TTL_MS = 300;
const KEY = "acme|iot|6f1c2a9e-0d7b-4a51-9a43-2b8e5c1d7f00";
const TERMINAL = new Set(["COMPLETE", "FAILED", "REJECTED"]);

/** The one upstream both instances read: the test changes `job`; `failure` is thrown while set. */
const source = {
  job: null as Job | null,
  failure: null as unknown,
  set(patch: Partial<Job>) {
    source.job = { ...source.job!, ...patch };
  },
};

interface Instance {
  name: string;
  redis: SharedRedis;
  watcher: JobWatcher<Job>;
  fetches: number;
}

let server: TestRedis;
let prefix: string;
let instances: Instance[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await Promise.all(instances.map((i) => i.watcher.close()));
  await Promise.all(instances.map((i) => i.redis.close()));
  instances = [];
  if (server) await server.start(); // a test that killed it may have failed before starting it again
});

async function instance(name: string, options: Partial<JobWatcherOptions<Job>> = {}): Promise<Instance> {
  const redis = await connectShared(server, prefix);
  const coordinator = createRedisPollCoordinator<Job>(redis, {
    leaseTtlMs: LEASE_TTL_MS,
    encode: (job) => job,
    decode: (json) => json as Job,
  });
  await waitFor(() => redis.subscriber().status === "ready", "the pub/sub connection is ready");
  const self: Instance = {
    name,
    redis,
    fetches: 0,
    watcher: new JobWatcher<Job>({
      fetch: async () => {
        self.fetches += 1;
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (source.failure) throw source.failure;
        return source.job && { ...source.job };
      },
      isTerminal: (job) => TERMINAL.has(job.status),
      minIntervalMs: 20,
      maxIntervalMs: 40,
      maxConsecutiveErrors: 3,
      coordinator,
      ...options,
    }),
  };
  instances.push(self);
  return self;
}

async function pair(options: Partial<JobWatcherOptions<Job>> = {}) {
  prefix = `t${randomBytes(6).toString("hex")}:`;
  source.job = { id: "job-1", status: "PENDING_APPROVAL", total: null, success: null, failed: null };
  source.failure = null;
  return [await instance("A", options), await instance("B", options)] as const;
}

async function waitFor(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const label = (job: Job) => (job.success === null ? job.status : `${job.status} ${job.success}`);

/** A subscriber: reads its iterator to the end, recording what it saw and how it ended. */
function subscriber(iterator: JobIterator<Job>) {
  const sub = {
    seen: [] as string[],
    completed: false,
    error: null as unknown,
    done: Promise.resolve(),
    leave: () => iterator.return(),
  };
  sub.done = (async () => {
    try {
      for await (const job of iterator) sub.seen.push(label(job));
      sub.completed = true;
    } catch (error) {
      sub.error = error;
    }
  })();
  return sub;
}

type Sub = ReturnType<typeof subscriber>;

const sawNow = (subs: Sub[], state: string) =>
  waitFor(() => subs.every((s) => s.seen.at(-1) === state), `every subscriber saw ${state}`);

/** The job's Redis keys: the watcher key (which names the tenant) hashed. */
const jobKey = (part: string) =>
  `${prefix}job:${createHash("sha256").update(KEY).digest("hex").slice(0, 40)}:${part}`;

const pollers = () => instances.reduce((sum, i) => sum + i.watcher.activePollers, 0);

describe("one job poller across instances, with a lease on Redis", () => {
  it("serves subscribers on both instances from one poller: each sees every change and the terminal state, then completes", async () => {
    const [a, b] = await pair();
    const a1 = subscriber(a.watcher.watch(KEY));
    await sawNow([a1], "PENDING_APPROVAL");
    const b1 = subscriber(b.watcher.watch(KEY));
    const b2 = subscriber(b.watcher.watch(KEY));
    await sawNow([b1, b2], "PENDING_APPROVAL"); // a joiner on the other instance gets the current state first
    expect([a.watcher.activePollers, b.watcher.activePollers]).toEqual([1, 0]);
    const keys = await b.redis.client.keys(`${prefix}*`);
    expect(keys.sort()).toEqual([jobKey("last"), jobKey("lease")]);
    expect(keys.join(" ")).not.toContain("acme");
    expect(JSON.parse((await b.redis.client.get(jobKey("last")))!)).toMatchObject({
      status: "PENDING_APPROVAL",
    });

    const steps: [Partial<Job>, string][] = [
      [{ status: "APPROVED" }, "APPROVED"],
      [{ status: "IN_PROGRESS", total: 3, success: 0, failed: 0 }, "IN_PROGRESS 0"],
      [{ success: 1 }, "IN_PROGRESS 1"],
      [{ success: 2 }, "IN_PROGRESS 2"],
    ];
    for (const [patch, state] of steps) {
      source.set(patch);
      await sawNow([a1, b1, b2], state);
    }
    source.set({ status: "COMPLETE", success: 3 });
    await Promise.all([a1.done, b1.done, b2.done]);

    const expected = ["PENDING_APPROVAL", ...steps.map(([, state]) => state), "COMPLETE 3"];
    for (const sub of [a1, b1, b2]) {
      expect(sub.seen).toEqual(expected);
      expect(sub.completed).toBe(true);
    }
    expect(b.fetches).toBe(0);
    expect(a.fetches).toBeGreaterThanOrEqual(expected.length);
    expect(pollers()).toBe(0);
  });

  it("makes as many job reads for three subscribers spread over two instances as for one subscriber", async () => {
    const [a, b] = await pair();
    const windowMs = 800;
    const readsIn = async (subscribe: () => Sub[]) => {
      const before = [a.fetches, b.fetches];
      const subs = subscribe();
      await new Promise((resolve) => setTimeout(resolve, windowMs));
      const reads = [a.fetches - before[0]!, b.fetches - before[1]!];
      await Promise.all(subs.map((s) => s.leave()));
      await waitFor(() => pollers() === 0, "no poller runs");
      return reads;
    };
    const [alone] = await readsIn(() => [subscriber(a.watcher.watch(KEY))]);
    const [spreadA, spreadB] = await readsIn(() => [
      subscriber(b.watcher.watch(KEY)),
      subscriber(a.watcher.watch(KEY)),
      subscriber(b.watcher.watch(KEY)),
    ]);
    // Twice as many would mean each instance polled; a poll or two either way is the timers' jitter.
    expect(alone).toBeGreaterThan(10);
    expect(Math.min(spreadA!, spreadB!)).toBe(0); // whichever took the lease did every read
    expect(Math.abs(spreadA! + spreadB! - alone!)).toBeLessThanOrEqual(3);
  });

  it("moves the poller at once when its instance closes, and the other instance's subscribers get the next change", async () => {
    const [a, b] = await pair();
    const a1 = subscriber(a.watcher.watch(KEY));
    await sawNow([a1], "PENDING_APPROVAL");
    const b1 = subscriber(b.watcher.watch(KEY));
    await sawNow([b1], "PENDING_APPROVAL");
    expect(b.fetches).toBe(0);

    const closedAt = performance.now();
    await a.watcher.close();
    expect(a1.completed).toBe(true);
    await waitFor(() => b.fetches > 0, "B polls");
    const takeoverMs = performance.now() - closedAt;
    expect(takeoverMs).toBeLessThan(LEASE_TTL_MS / 2); // released and said so: no wait for the TTL
    expect(b.watcher.activePollers).toBe(1);

    source.set({ status: "APPROVED" });
    await sawNow([b1], "APPROVED");
    expect(b1.seen).toEqual(["PENDING_APPROVAL", "APPROVED"]);
  });

  it("moves the poller within one lease TTL when its instance dies without releasing the lease", async () => {
    const [a, b] = await pair();
    const a1 = subscriber(a.watcher.watch(KEY));
    await sawNow([a1], "PENDING_APPROVAL");
    const b1 = subscriber(b.watcher.watch(KEY));
    await sawNow([b1], "PENDING_APPROVAL");
    await new Promise((resolve) => setTimeout(resolve, LEASE_TTL_MS)); // some renewals happened
    expect(b.fetches).toBe(0);

    const leaseLeftMs = await b.redis.client.pttl(jobKey("lease"));
    const diedAt = performance.now();
    a.redis.client.disconnect(); // no renewal, no release from here on
    await a.watcher.close();
    await waitFor(() => b.fetches > 0, "B polls");
    const takeoverMs = performance.now() - diedAt;
    console.info(
      `takeover after a crash: ${takeoverMs.toFixed(0)} ms; the lease had ${leaseLeftMs} ms left (TTL ${LEASE_TTL_MS} ms)`,
    );
    expect(leaseLeftMs).toBeGreaterThan(0);
    expect(takeoverMs).toBeGreaterThanOrEqual(leaseLeftMs - 5); // it waited for the lease to expire...
    expect(takeoverMs).toBeLessThan(leaseLeftMs + 100); // ...and took it just then (timers on a busy machine)
    expect(takeoverMs).toBeLessThan(LEASE_TTL_MS + 100);

    source.set({ status: "APPROVED" });
    await sawNow([b1], "APPROVED");
    expect(b1.error).toBeNull();
  });

  it("errors subscribers on both instances with JobNotFoundError when the job disappears", async () => {
    const [a, b] = await pair();
    const a1 = subscriber(a.watcher.watch(KEY));
    await sawNow([a1], "PENDING_APPROVAL");
    const b1 = subscriber(b.watcher.watch(KEY));
    await sawNow([b1], "PENDING_APPROVAL");

    source.job = null;
    await Promise.all([a1.done, b1.done]);
    for (const sub of [a1, b1]) {
      expect(sub.error).toBeInstanceOf(JobNotFoundError);
      expect(sub.error).toMatchObject({ code: "JOB_NOT_FOUND", key: KEY });
    }
    expect(b.fetches).toBe(0);
    expect(pollers()).toBe(0);
  });

  it("errors subscribers on both instances after too many failed polls: the leader's error, typed elsewhere", async () => {
    const [a, b] = await pair();
    const a1 = subscriber(a.watcher.watch(KEY));
    await sawNow([a1], "PENDING_APPROVAL");
    const b1 = subscriber(b.watcher.watch(KEY));
    const b2 = subscriber(b.watcher.watch(KEY));
    await sawNow([b1], "PENDING_APPROVAL");

    source.failure = new UpstreamUnavailableError(0.01);
    await Promise.all([a1.done, b1.done, b2.done]);
    for (const sub of [a1, b1, b2]) expect(sub.error).toBeInstanceOf(UpstreamUnavailableError);
    expect(b1.error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", retryAfterSeconds: 0.01 });
    expect(b.fetches).toBe(0);
  });

  it("keeps subscribers on both instances served while Redis is down, then returns to one poller by itself", async () => {
    const [a, b] = await pair();
    const a1 = subscriber(a.watcher.watch(KEY));
    await sawNow([a1], "PENDING_APPROVAL");
    const b1 = subscriber(b.watcher.watch(KEY));
    await sawNow([b1], "PENDING_APPROVAL");
    expect(pollers()).toBe(1);

    await server.kill();
    await waitFor(() => pollers() === 2, "each instance polls for itself");
    source.set({ status: "APPROVED" });
    await sawNow([a1, b1], "APPROVED");
    source.set({ status: "IN_PROGRESS", total: 2, success: 0, failed: 0 });
    await sawNow([a1, b1], "IN_PROGRESS 0");

    await server.start();
    await waitFor(() => pollers() === 1, "one instance polls again", 10_000);
    const reads = { a: a.fetches, b: b.fetches };
    source.set({ success: 1 });
    await sawNow([a1, b1], "IN_PROGRESS 1");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const polled = [a.fetches > reads.a, b.fetches > reads.b];
    expect(polled.filter(Boolean)).toHaveLength(1);

    source.set({ status: "COMPLETE", success: 2 });
    await Promise.all([a1.done, b1.done]);
    for (const sub of [a1, b1]) {
      expect(sub.error).toBeNull();
      expect(sub.seen).toEqual([
        "PENDING_APPROVAL",
        "APPROVED",
        "IN_PROGRESS 0",
        "IN_PROGRESS 1",
        "COMPLETE 2",
      ]);
    }
  });

  it("serves subscribers who arrive while Redis is down from each instance's own poller, then shares one", async () => {
    const [a, b] = await pair();
    await server.kill();
    await waitFor(() => !a.redis.available && !b.redis.available, "both see Redis gone");
    const a1 = subscriber(a.watcher.watch(KEY));
    const b1 = subscriber(b.watcher.watch(KEY));
    await sawNow([a1, b1], "PENDING_APPROVAL");
    expect(pollers()).toBe(2);
    expect(a.fetches).toBeGreaterThan(0);
    expect(b.fetches).toBeGreaterThan(0);

    await server.start();
    await waitFor(() => pollers() === 1, "one instance polls again", 10_000);
    source.set({ status: "REJECTED" });
    await Promise.all([a1.done, b1.done]);
    for (const sub of [a1, b1])
      expect(sub).toMatchObject({ seen: ["PENDING_APPROVAL", "REJECTED"], error: null });
  });

  it("splits a tenant's poll budget between the instances that poll its jobs, and hands it all to the one left", async () => {
    // Four moving jobs wanting 50 polls/s each, two led by each instance; the tenant's budget is 20/s in all.
    const [a, b] = await pair({
      isMoving: () => true,
      budget: { pollsPerSecond: 20, burst: 1 },
      budgetKey: () => "acme",
    });
    source.set({ status: "IN_PROGRESS" });
    const keys = [1, 2, 3, 4].map((n) => `acme|iot|job-${n}`);
    const subs = [
      subscriber(a.watcher.watch(keys[0]!)),
      subscriber(a.watcher.watch(keys[1]!)),
      subscriber(b.watcher.watch(keys[2]!)),
      subscriber(b.watcher.watch(keys[3]!)),
    ];
    await sawNow(subs, "IN_PROGRESS");
    const share = (i: Instance) => i.watcher.budget("acme")?.share ?? Number.NaN;
    await waitFor(() => Math.abs(share(a) - 0.5) < 0.01 && Math.abs(share(b) - 0.5) < 0.01, "an even split");
    expect([a.watcher.activePollers, b.watcher.activePollers]).toEqual([2, 2]);

    const before = a.fetches + b.fetches;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const seconds = (performance.now() - started) / 1000;
    const polls = a.fetches + b.fetches - before;
    // Each instance alone would take the whole 20/s (40/s together); split, they make 20/s plus a token or two.
    expect(polls).toBeLessThanOrEqual(20 * seconds + 4);
    expect(polls).toBeGreaterThanOrEqual(20 * seconds * 0.6);
    expect(a.watcher.budget("acme")?.stretch).toBeCloseTo(10, 0); // 200/s wanted in all, 20/s granted

    await a.watcher.close();
    await waitFor(() => share(b) === 1, "the whole budget for the instance left", 2_000);
    await Promise.all(subs.map((sub) => sub.leave()));
  });
});
