/**
 * Paces job polls within budgets (GraphQL-free). A budget is named by a key (the tenant: DigiCert's rate limits are
 * per API key) and is shared by every job polled under it.
 *
 * - Fair share: each job says the interval it wants (`PollSlot.want`); the budget's demand is the sum of 1/interval.
 *   While the demand is above the budget's rate, every job's wait is stretched by the same factor (demand / rate), so
 *   every interval grows in proportion and latency degrades evenly instead of some jobs starving. Aiming at the whole
 *   rate builds no lasting line: each job's next poll is timed from its last one, so a poll that waited delays the next.
 * - Hard cap: a token bucket (`ratePerSecond`, `burst` deep). A poll that comes due without a token waits in line:
 *   first reads (`PollSlot.now`) first, then earliest deadline first (due time + the job's own interval), so a wave of
 *   slow jobs coming due together (subscribed together, they stay in step) never holds up the fast ones, and spreads
 *   out as it drains. Over any window of T seconds a budget grants at most burst + rate × T polls.
 * - `PollSlot.pause` (DigiCert answered with a Retry-After) holds every poll of the budget until then.
 * - `setShare` scales a budget's rate and burst by a fraction: a coordinator splits one budget between instances.
 */

/** Timers and a monotonic clock in ms (the watcher's; tests pass a fake one). */
export interface SchedulerClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export interface PollBudgetOptions {
  /** Polls per second each budget grants on average, at most; `Infinity`: no limit. */
  pollsPerSecond: number;
  /** Polls that may go back to back after a quiet spell (the bucket's size); default 1. */
  burst?: number;
}

/** One budget as it stands: for tests, metrics and coordinators. */
export interface BudgetState {
  /** Polls per second the jobs polled under it want (before any stretch). */
  readonly demand: number;
  /** This instance's fraction of the budget (1 unless a coordinator split it). */
  readonly share: number;
  /** Polls per second this instance may make under it: pollsPerSecond × share. */
  readonly ratePerSecond: number;
  /** How much every job's interval is stretched now: max(1, demand / ratePerSecond). */
  readonly stretch: number;
  /** Polls that came due and wait for a token. */
  readonly waiting: number;
  /** Polls granted since the budget was first used. */
  readonly granted: number;
}

/**
 * What a coordinator sees of the budgets to split them between instances: the demand per budget key, and a way to
 * set this instance's share of each.
 */
export interface BudgetLedger {
  /** Every budget key with jobs polled under it now, with their demand (polls per second, before any stretch). */
  demands(): ReadonlyMap<string, number>;
  /** This instance's fraction (0 to 1] of `key`'s budget from now on; 1 until told otherwise. */
  setShare(key: string, fraction: number): void;
  /** `listener` hears of a budget key whose demand rose from zero (a coordinator may split at once); returns the unsubscribe. */
  onDemand(listener: (key: string) => void): () => void;
}

/** Node's setTimeout fires at once for delays above 2^31 - 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Tokens are floats: a refill that lands a hair under 1 counts as 1. */
const EPSILON = 1e-9;

/** One budget key's bucket, line and demand. Slots talk to it directly; the scheduler only finds it by key. */
class Budget {
  share = 1;
  tokens: number;
  refilledAt: number;
  pausedUntil = Number.NEGATIVE_INFINITY;
  demand = 0;
  granted = 0;
  /** First reads, in arrival order (a Set keeps insertion order and deletes in O(1)). */
  readonly urgent = new Set<PollSlot>();
  /** Scheduled polls by deadline; a withdrawn one stays in the heap, marked, until it surfaces. */
  readonly queued = new DeadlineHeap();
  timer: unknown = undefined;
  hasTimer = false;

  constructor(
    readonly key: string,
    readonly options: Required<PollBudgetOptions>,
    readonly clock: SchedulerClock,
    /** Called when the demand rises from zero. */
    readonly onDemand: (key: string) => void,
  ) {
    this.tokens = options.burst;
    this.refilledAt = clock.now();
  }

  get rate(): number {
    return this.options.pollsPerSecond * this.share;
  }

  /** At least one token, or nothing could ever be granted. */
  get capacity(): number {
    return Math.max(1, this.options.burst * this.share);
  }

  get stretch(): number {
    return Math.max(1, this.demand / this.rate);
  }

  get waiting(): number {
    return this.urgent.size + this.queued.live;
  }

  state(): BudgetState {
    this.refill(this.clock.now());
    const { demand, share, rate: ratePerSecond, stretch, waiting, granted } = this;
    return { demand, share, ratePerSecond, stretch, waiting, granted };
  }

  setShare(fraction: number): void {
    this.refill(this.clock.now()); // the time so far accrues at the old rate
    this.share = fraction;
    this.tokens = Math.min(this.tokens, this.capacity);
    if (this.waiting > 0) this.arm();
  }

  /** Moves the demand by `delta` polls per second. */
  addDemand(delta: number): void {
    const before = this.demand;
    this.demand = before + delta < EPSILON ? 0 : before + delta; // no float dust once every job has left
    if (before === 0 && this.demand > 0) this.onDemand(this.key);
  }

  /** Runs `slot`'s poll now if a token is free and nobody is ahead of it, else puts it in line. */
  acquire(slot: PollSlot, urgent: boolean, intervalMs: number): void {
    const now = this.clock.now();
    this.refill(now);
    const ahead = urgent ? this.urgent.size : this.waiting;
    if (ahead === 0 && this.open(now)) {
      this.grant(slot);
      return;
    }
    if (urgent) this.urgent.add(slot);
    else this.queued.push(slot, now + intervalMs);
    if (!this.hasTimer) this.arm();
  }

  /** Takes `slot` out of line (no token is spent). */
  withdraw(slot: PollSlot): void {
    if (!this.urgent.delete(slot) && !this.queued.remove(slot)) return;
    if (this.waiting === 0 && this.hasTimer) {
      this.hasTimer = false;
      this.clock.clearTimeout(this.timer);
    }
  }

  /** No poll runs before `ms` from now. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    if (this.waiting > 0) this.arm();
  }

  refill(now: number): void {
    if (this.rate === Number.POSITIVE_INFINITY) this.tokens = this.capacity;
    else this.tokens = Math.min(this.capacity, this.tokens + ((now - this.refilledAt) * this.rate) / 1000);
    this.refilledAt = now;
  }

  /** A token can be taken now (the caller checks who is ahead in line). */
  open(now: number): boolean {
    return now >= this.pausedUntil && this.tokens >= 1 - EPSILON;
  }

  grant(slot: PollSlot): void {
    this.tokens -= 1;
    this.granted += 1;
    slot.run();
  }

  /** (Re)sets the one timer for when the first in line may go. */
  arm(): void {
    if (this.hasTimer) this.clock.clearTimeout(this.timer);
    const now = this.clock.now();
    this.refill(now);
    const paused = Math.max(0, this.pausedUntil - now);
    const refill = this.tokens >= 1 - EPSILON ? 0 : ((1 - this.tokens) * 1000) / this.rate;
    this.hasTimer = true;
    this.timer = this.clock.setTimeout(
      () => this.drain(),
      Math.min(MAX_TIMER_MS, Math.ceil(Math.max(paused, refill))),
    );
  }

  /** Grants what the tokens allow, first reads first, and waits again for the rest. */
  drain(): void {
    this.hasTimer = false;
    for (;;) {
      const now = this.clock.now();
      this.refill(now);
      if (!this.open(now)) break;
      const next = first(this.urgent);
      if (next) this.urgent.delete(next);
      const slot = next ?? this.queued.pop();
      if (!slot) break;
      this.grant(slot);
    }
    if (this.waiting > 0 && !this.hasTimer) this.arm();
  }
}

export class PollScheduler implements BudgetLedger {
  readonly #options: Required<PollBudgetOptions>;
  readonly #clock: SchedulerClock;
  readonly #budgets = new Map<string, Budget>();
  readonly #listeners = new Set<(key: string) => void>();

  constructor(options: PollBudgetOptions, clock: SchedulerClock) {
    const { pollsPerSecond, burst = 1 } = options;
    if (!(pollsPerSecond > 0)) {
      throw new RangeError("pollsPerSecond must be a positive number (Infinity: no limit).");
    }
    if (!(Number.isInteger(burst) && burst >= 1))
      throw new RangeError("burst must be an integer of at least 1.");
    this.#options = { pollsPerSecond, burst };
    this.#clock = clock;
  }

  /** A job's place in `budgetKey`'s budget, wanting nothing until `want` says. Release it when the job stops polling. */
  slot(budgetKey: string): PollSlot {
    return new PollSlot(this.#budget(budgetKey));
  }

  /** `key`'s budget as it stands; null when no job ever polled under it. */
  state(key: string): BudgetState | null {
    return this.#budgets.get(key)?.state() ?? null;
  }

  demands(): ReadonlyMap<string, number> {
    const demands = new Map<string, number>();
    for (const [key, budget] of this.#budgets) if (budget.demand > 0) demands.set(key, budget.demand);
    return demands;
  }

  setShare(key: string, fraction: number): void {
    if (fraction > 0 && fraction <= 1) this.#budget(key).setShare(fraction); // nonsense changes nothing
  }

  onDemand(listener: (key: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #budget(key: string): Budget {
    let budget = this.#budgets.get(key);
    if (!budget) {
      // Never removed: budget keys are the configured tenants, and a forgotten bucket would come back full.
      budget = new Budget(key, this.#options, this.#clock, (k) => {
        for (const listener of [...this.#listeners]) listener(k);
      });
      this.#budgets.set(key, budget);
    }
    return budget;
  }
}

function first<T>(set: Set<T>): T | undefined {
  return set.values().next().value;
}

interface Entry {
  readonly deadline: number;
  /** Arrival order: equal deadlines go first come first served. */
  readonly seq: number;
  readonly slot: PollSlot;
  removed: boolean;
}

/** A binary min-heap of slots by (deadline, arrival); at most one live entry per slot. */
class DeadlineHeap {
  readonly #heap: Entry[] = [];
  readonly #entries = new Map<PollSlot, Entry>();
  #seq = 0;

  /** Slots in line (withdrawn ones not counted). */
  get live(): number {
    return this.#entries.size;
  }

  push(slot: PollSlot, deadline: number): void {
    this.remove(slot);
    const entry: Entry = { deadline, seq: this.#seq++, slot, removed: false };
    this.#entries.set(slot, entry);
    this.#heap.push(entry);
    this.#up(this.#heap.length - 1);
  }

  /** Marks `slot`'s entry withdrawn; false when it was not in line. */
  remove(slot: PollSlot): boolean {
    const entry = this.#entries.get(slot);
    if (!entry) return false;
    entry.removed = true;
    this.#entries.delete(slot);
    if (this.#entries.size === 0) this.#heap.length = 0; // nothing live: drop the marked ones at once
    return true;
  }

  /** The live slot with the earliest deadline, out of line; undefined when none. */
  pop(): PollSlot | undefined {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      const last = this.#heap.pop()!;
      if (this.#heap.length > 0) {
        this.#heap[0] = last;
        this.#down(0);
      }
      if (top.removed) continue;
      this.#entries.delete(top.slot);
      return top.slot;
    }
    return undefined;
  }

  #before(a: Entry, b: Entry): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
  }

  #up(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #down(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.#before(heap[left]!, heap[least]!)) least = left;
      if (right < heap.length && this.#before(heap[right]!, heap[least]!)) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least]!, heap[i]!];
      i = least;
    }
  }
}

/**
 * One job's place in a budget: the interval it wants (its share of the demand), its one timer, and its place in line.
 * At most one poll is pending at a time: a new `after` or `now` replaces the previous one.
 */
export class PollSlot {
  readonly #budget: Budget;
  #demand = 0;
  /** The interval last wanted: its deadline in line is when it came due plus this. */
  #intervalMs = 0;
  #timer: unknown = undefined;
  #hasTimer = false;
  #poll: (() => void) | null = null;
  #released = false;

  /** Made by `PollScheduler.slot`. */
  constructor(budget: Budget) {
    this.#budget = budget;
  }

  /** The interval this job wants between polls from now on, ms (it counts in the budget's demand). */
  want(intervalMs: number): void {
    if (this.#released) return;
    const demand = 1000 / intervalMs;
    this.#budget.addDemand(demand - this.#demand);
    this.#demand = demand;
    this.#intervalMs = intervalMs;
  }

  /** The factor every wait in this budget is stretched by now (1 while the demand fits the rate). */
  get stretch(): number {
    return this.#budget.stretch;
  }

  /**
   * Runs `poll` after `delayMs` stretched by the budget's load (never sooner than `floorMs`, e.g. a Retry-After),
   * then as soon as a token is free.
   */
  after(delayMs: number, poll: () => void, floorMs = 0): void {
    this.cancel();
    if (this.#released) return;
    const ms = Math.min(MAX_TIMER_MS, Math.max(delayMs * this.#budget.stretch, floorMs));
    this.#hasTimer = true;
    this.#timer = this.#budget.clock.setTimeout(() => {
      this.#hasTimer = false;
      this.#enqueue(poll, false);
    }, ms);
  }

  /** Runs `poll` as soon as a token is free, ahead of scheduled polls (a first read: a subscriber waits for it). */
  now(poll: () => void): void {
    this.cancel();
    if (!this.#released) this.#enqueue(poll, true);
  }

  /** No poll of this budget (any job's) runs before `ms` from now: DigiCert asked to wait. */
  pause(ms: number): void {
    if (!this.#released && ms > 0) this.#budget.pause(ms);
  }

  /** Drops the pending poll: clears the timer, or leaves the line. */
  cancel(): void {
    if (this.#hasTimer) {
      this.#hasTimer = false;
      this.#budget.clock.clearTimeout(this.#timer);
    }
    if (this.#poll) {
      this.#poll = null;
      this.#budget.withdraw(this);
    }
  }

  /** The job stopped polling here: cancels what is pending and takes its demand out. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.cancel();
    this.#budget.addDemand(-this.#demand);
    this.#demand = 0;
    this.#released = true;
  }

  /** The budget granted a token (only ever called by Budget). */
  run(): void {
    const poll = this.#poll;
    this.#poll = null;
    poll?.();
  }

  #enqueue(poll: () => void, urgent: boolean): void {
    this.#poll = poll;
    this.#budget.acquire(this, urgent, this.#intervalMs);
  }
}
