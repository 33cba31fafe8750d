import { describe, expect, it } from "vitest";
import { PollScheduler, type PollSlot } from "../../src/subscriptions/poll-scheduler.js";

/** Timers that fire only when `advance` says (in order, at their due time); `now` is the fake time. */
function fakeClock() {
  let now = 0;
  let ids = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    get pending() {
      return timers.size;
    },
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      timers.set(++ids, { at: now + ms, fn });
      return ids;
    },
    clearTimeout(handle: unknown) {
      timers.delete(handle as number);
    },
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = until;
    },
  };
}

function setup(pollsPerSecond: number, burst?: number) {
  const clock = fakeClock();
  const scheduler = new PollScheduler({ pollsPerSecond, ...(burst ? { burst } : {}) }, clock);
  return { clock, scheduler };
}

/** A job that polls again `intervalMs` after each poll it is granted, recording when each one ran. */
function repeating(scheduler: PollScheduler, clock: { now(): number }, key: string, intervalMs: number) {
  const job = { slot: scheduler.slot(key), runs: [] as number[] };
  const poll = () => {
    job.runs.push(clock.now());
    job.slot.after(intervalMs, poll);
  };
  job.slot.want(intervalMs);
  job.slot.now(poll);
  return job;
}

describe("PollScheduler", () => {
  it("grants polls at once while the burst lasts, then one per 1/rate, in the order they came due", () => {
    const { clock, scheduler } = setup(2, 3);
    const ran: [string, number][] = [];
    for (const name of ["a", "b", "c", "d", "e"]) {
      scheduler.slot("acme").now(() => ran.push([name, clock.now()]));
    }
    expect(ran).toEqual([
      ["a", 0],
      ["b", 0],
      ["c", 0],
    ]);
    clock.advance(2_000);
    expect(ran.slice(3)).toEqual([
      ["d", 500],
      ["e", 1_000],
    ]);
    expect(clock.pending).toBe(0);
    expect(scheduler.state("acme")).toMatchObject({ granted: 5, waiting: 0 });
  });

  it("never grants more than burst + rate × T in any window of T seconds, however the jobs' timers line up", () => {
    const { clock, scheduler } = setup(20, 5);
    const jobs = Array.from({ length: 50 }, () => repeating(scheduler, clock, "acme", 100));
    clock.advance(30_000);
    const runs = jobs.flatMap((job) => job.runs).sort((a, b) => a - b);
    for (const windowMs of [100, 1_000, 5_000]) {
      let most = 0;
      for (let i = 0, j = 0; i < runs.length; i++) {
        while (runs[i]! - runs[j]! >= windowMs) j++;
        most = Math.max(most, i - j + 1);
      }
      expect(most).toBeLessThanOrEqual(5 + (20 * windowMs) / 1000);
    }
    // The jobs want 500/s: the whole budget is used, and no more.
    expect(runs.length).toBeGreaterThanOrEqual(20 * 30);
    expect(runs.length).toBeLessThanOrEqual(5 + 20 * 30);
  });

  it("stretches every job's wait by demand / rate, so that each gets the same share", () => {
    const { clock, scheduler } = setup(10, 1);
    const jobs = Array.from({ length: 20 }, () => repeating(scheduler, clock, "acme", 200));
    expect(scheduler.state("acme")).toMatchObject({ demand: 100, ratePerSecond: 10, stretch: 10 });
    clock.advance(60_000);
    const counts = jobs.map((job) => job.runs.length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // Each job is polled about every 200 ms × 10 = 2 s: 30 in a minute, give or take its place in the first round.
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(28);
    const gaps = jobs[7]!.runs.slice(5).map((at, i) => at - jobs[7]!.runs[4 + i]!);
    for (const gap of gaps) expect(gap).toBeCloseTo(2_000, -2);
  });

  it("keeps the ratio the jobs asked for when it stretches: a job wanting 4× the polls gets about 4× the polls", () => {
    const { clock, scheduler } = setup(10, 1);
    const fast = Array.from({ length: 10 }, () => repeating(scheduler, clock, "acme", 100));
    const slow = Array.from({ length: 10 }, () => repeating(scheduler, clock, "acme", 400));
    clock.advance(120_000);
    const total = (jobs: { runs: number[] }[]) => jobs.reduce((sum, job) => sum + job.runs.length, 0);
    expect(total(fast) / total(slow)).toBeGreaterThan(3.5);
    expect(total(fast) / total(slow)).toBeLessThan(4.5);
    expect(total(fast) + total(slow)).toBeLessThanOrEqual(1 + 10 * 120);
  });

  it("lets polls run at their own pace, unstretched, while the demand fits the budget", () => {
    const { clock, scheduler } = setup(100, 1);
    const jobs = Array.from({ length: 5 }, () => repeating(scheduler, clock, "acme", 250));
    expect(scheduler.state("acme")?.stretch).toBe(1);
    clock.advance(10_000);
    for (const job of jobs) expect(job.runs.length).toBeGreaterThanOrEqual(40);
  });

  it("puts first reads ahead of the polls already waiting for a token", () => {
    const { clock, scheduler } = setup(1, 1);
    const ran: string[] = [];
    scheduler.slot("acme").now(() => ran.push("first"));
    scheduler.slot("acme").after(0, () => ran.push("scheduled 1"));
    scheduler.slot("acme").after(0, () => ran.push("scheduled 2"));
    clock.advance(0);
    scheduler.slot("acme").now(() => ran.push("new job's first read"));
    clock.advance(3_000);
    expect(ran).toEqual(["first", "new job's first read", "scheduled 1", "scheduled 2"]);
  });

  it("serves fast jobs first when a wave of slow ones comes due together, and drains the wave with the tokens left", () => {
    const { clock, scheduler } = setup(10, 1);
    const slow = Array.from({ length: 40 }, () => repeating(scheduler, clock, "acme", 20_000));
    const fast = repeating(scheduler, clock, "acme", 200);
    clock.advance(20_000); // every slow job's second poll comes due at once, 20 s after its first read
    const fastBefore = fast.runs.length;
    clock.advance(4_000);
    // The wave's 40 polls would hold a first-come line for 4 s; earliest deadline first keeps the fast job's pace.
    const gaps = fast.runs.slice(fastBefore - 1).map((at, i, runs) => (i ? at - runs[i - 1]! : 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(300);
    expect(slow.filter((job) => job.runs.length >= 2).length).toBeGreaterThan(20);
    clock.advance(10_000);
    expect(slow.every((job) => job.runs.length >= 2)).toBe(true);
  });

  it("holds every poll of the budget during a pause, first reads included, and keeps other budgets going", () => {
    const { clock, scheduler } = setup(100, 10);
    const ran: [string, number][] = [];
    const acme = scheduler.slot("acme");
    acme.pause(5_000);
    acme.after(1_000, () => ran.push(["acme scheduled", clock.now()]));
    scheduler.slot("acme").now(() => ran.push(["acme first read", clock.now()]));
    scheduler.slot("globex").now(() => ran.push(["globex first read", clock.now()]));
    clock.advance(10_000);
    expect(ran).toEqual([
      ["globex first read", 0],
      ["acme first read", 5_000],
      ["acme scheduled", 5_000],
    ]);
  });

  it("keeps budgets apart: one tenant's load stretches only its own jobs", () => {
    const { clock, scheduler } = setup(5, 1);
    const busy = Array.from({ length: 50 }, () => repeating(scheduler, clock, "acme", 100));
    const quiet = repeating(scheduler, clock, "globex", 1_000);
    clock.advance(20_000);
    expect(scheduler.state("acme")?.stretch).toBeCloseTo(100);
    expect(scheduler.state("globex")?.stretch).toBe(1);
    expect(quiet.runs.length).toBe(21);
    expect(busy.reduce((sum, job) => sum + job.runs.length, 0)).toBeLessThanOrEqual(1 + 5 * 20);
  });

  it("takes a released job's demand out and leaves no timer once nothing waits", () => {
    const { clock, scheduler } = setup(1, 1);
    const slots: PollSlot[] = [];
    let ran = 0;
    for (let i = 0; i < 4; i++) {
      const slot = scheduler.slot("acme");
      slot.want(500);
      slot.now(() => ran++);
      slots.push(slot);
    }
    expect(ran).toBe(1);
    expect(scheduler.state("acme")).toMatchObject({ demand: 8, waiting: 3 });
    expect(clock.pending).toBe(1);
    slots[1]!.cancel();
    slots[2]!.release();
    slots[3]!.release();
    slots[3]!.release();
    expect(scheduler.state("acme")).toMatchObject({ demand: 4, waiting: 0 });
    expect(clock.pending).toBe(0);
    slots[0]!.after(100, () => ran++);
    slots[0]!.release();
    expect(clock.pending).toBe(0);
    expect(scheduler.state("acme")?.demand).toBe(2); // a cancelled poll's job still wants its polls
    slots[1]!.release();
    expect(scheduler.state("acme")?.demand).toBe(0);
    clock.advance(10_000);
    expect(ran).toBe(1);
  });

  it("replaces a job's pending poll with its next one: at most one per slot", () => {
    const { clock, scheduler } = setup(100, 10);
    const ran: string[] = [];
    const slot = scheduler.slot("acme");
    slot.after(1_000, () => ran.push("late"));
    slot.after(200, () => ran.push("sooner"));
    clock.advance(5_000);
    expect(ran).toEqual(["sooner"]);
  });

  it("scales the rate and the burst by this instance's share, and tells when a budget's demand rises from zero", () => {
    const { clock, scheduler } = setup(10, 4);
    const heard: string[] = [];
    const stop = scheduler.onDemand((key) => heard.push(key));
    const job = repeating(scheduler, clock, "acme", 50);
    repeating(scheduler, clock, "acme", 50);
    expect(heard).toEqual(["acme"]);
    expect(scheduler.demands()).toEqual(new Map([["acme", 40]]));
    scheduler.setShare("acme", 0.25);
    expect(scheduler.state("acme")).toMatchObject({ share: 0.25, ratePerSecond: 2.5, stretch: 16 });
    scheduler.setShare("acme", 0); // refused: a share is in (0, 1]
    scheduler.setShare("acme", 1.5);
    expect(scheduler.state("acme")?.share).toBe(0.25);
    const before = scheduler.state("acme")!.granted;
    clock.advance(20_000);
    expect(scheduler.state("acme")!.granted - before).toBeLessThanOrEqual(1 + 2.5 * 20);
    expect(job.runs.length).toBeGreaterThan(10);
    stop();
    repeating(scheduler, clock, "globex", 50);
    expect(heard).toEqual(["acme"]);
  });

  it("runs every poll at once and never stretches without a limit", () => {
    const { clock, scheduler } = setup(Number.POSITIVE_INFINITY);
    const jobs = Array.from({ length: 100 }, () => repeating(scheduler, clock, "acme", 10));
    expect(jobs.every((job) => job.runs.length === 1)).toBe(true);
    expect(scheduler.state("acme")?.stretch).toBe(1);
    clock.advance(1_000);
    expect(jobs.every((job) => job.runs.length === 101)).toBe(true);
  });

  it("refuses options that cannot work", () => {
    const clock = fakeClock();
    expect(() => new PollScheduler({ pollsPerSecond: 0 }, clock)).toThrow(RangeError);
    expect(() => new PollScheduler({ pollsPerSecond: Number.NaN }, clock)).toThrow(RangeError);
    expect(() => new PollScheduler({ pollsPerSecond: 1, burst: 0 }, clock)).toThrow(RangeError);
    expect(() => new PollScheduler({ pollsPerSecond: 1, burst: 1.5 }, clock)).toThrow(RangeError);
  });
});
