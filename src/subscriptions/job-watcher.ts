/**
 * Live job status for subscriptions, GraphQL-free: one upstream poller per job however many
 * subscribers, shared through async iterators. The GraphQL layer (yoga's SSE and graphql-ws alike)
 * only maps a subscription's arguments to keys and iterator values to payloads.
 *
 * - A poller starts with a job's first subscriber and stops (aborting its in-flight fetch) when the
 *   last one leaves, when the job reaches a terminal status, when the job is not found, or after too
 *   many consecutive fetch errors.
 * - Its pace follows the job: every `minIntervalMs` while the job moves (`isMoving`, e.g. IN_PROGRESS)
 *   and after any change; slower (x1.5 per unchanged poll, up to `maxIntervalMs`) while it waits
 *   (e.g. for an approval); backing off (x2, never sooner than a `Retry-After`) on errors.
 * - With a `budget`, every job polled under one budget key (the tenant) shares at most
 *   `pollsPerSecond` upstream polls (see PollScheduler): when the jobs want more, every interval is
 *   stretched by the same factor, and a token bucket caps what goes out; a `Retry-After` holds the
 *   whole budget.
 * - Each subscriber holds at most one undelivered snapshot per job, the newest: a slow subscriber
 *   skips intermediate states but never the terminal one, which is always the last.
 * - With a `coordinator` (several instances), one instance polls each job and the others follow what
 *   it publishes (see PollCoordinator); subscribers see the same snapshots and ends either way.
 */

import {
  type BudgetLedger,
  type BudgetState,
  type PollBudgetOptions,
  PollScheduler,
  type PollSlot,
  type SchedulerClock,
} from "./poll-scheduler.js";

/**
 * What `watch` and `watchMany` return: an async iterator whose `return()` and `throw()` always exist,
 * so adapters can end it without optional calls.
 */
export interface JobIterator<V> extends AsyncIterableIterator<V> {
  /** Leaves at once: a waiting `next()` resolves `done`, and nothing more is delivered. */
  return(): Promise<IteratorResult<V>>;
  /** Leaves like `return()`, and rejects with `error` (as a generator suspended at a `yield` would). */
  throw(error?: unknown): Promise<IteratorResult<V>>;
}

/** What the watcher needs of a job: a status, and an id for the caller's own use. */
export interface JobSnapshot {
  readonly id: string;
  readonly status: string;
}

/** Timers and a monotonic clock (ms) for the pollers and their budgets; tests pass a fake one. */
export type WatcherClock = SchedulerClock;

export interface JobWatcherOptions<T extends JobSnapshot> {
  /**
   * Reads a job's current state upstream; `null` means not found (its subscribers get a
   * `JobNotFoundError` and polling stops). It must honour `signal`: the watcher aborts it when the
   * last subscriber leaves or on `close()`, and ignores whatever it settles with afterwards. Throwing
   * counts as a failed poll; an error with a numeric `retryAfterSeconds` delays the next one.
   */
  fetch(key: string, signal: AbortSignal): Promise<T | null>;
  /** Statuses after which the job never changes (e.g. COMPLETE, FAILED, REJECTED). */
  isTerminal(job: T): boolean;
  /**
   * True when two snapshots differ in a way subscribers care about. Default: `status`, `total`,
   * `success` or `failed` differs (`jobChanged`). A terminal snapshot is delivered regardless.
   */
  changed?(previous: T, next: T): boolean;
  /** First wait between polls, the wait after each change, and a moving job's wait. */
  minIntervalMs: number;
  /**
   * Longest wait between polls: the x1.5 growth while unchanged and the x2 error backoff stop here
   * (a longer `Retry-After` still wins, and so does a budget's stretch).
   */
  maxIntervalMs: number;
  /**
   * True while the job moves on its own (DigiCert processes it: e.g. APPROVED, IN_PROGRESS): it is
   * polled every `minIntervalMs`, changed or not. Any other job slows down while unchanged (e.g.
   * PENDING_APPROVAL waits for a person). Default: none moves (every job slows down while unchanged).
   */
  isMoving?(job: T): boolean;
  /**
   * Upstream polls per second per budget key, across all its jobs (first reads included), and how
   * many may go back to back after a quiet spell. Default: no limit.
   */
  budget?: PollBudgetOptions;
  /** The budget a key polls under (its tenant: DigiCert's rate limits are per API key). Default: one for all. */
  budgetKey?(key: string): string;
  /** Stop after this many consecutive fetch errors (at least 1); subscribers get the last error. */
  maxConsecutiveErrors: number;
  clock?: WatcherClock;
  /**
   * Shares each job's poller with other instances (e.g. `createRedisPollCoordinator`), and may split
   * each budget between them. Absent: this instance polls every job it has subscribers for.
   * `close()` closes it too.
   */
  coordinator?: PollCoordinator<T>;
}

/**
 * What one instance's poller tells the others: a snapshot its subscribers got (changed or terminal),
 * or the end (`notFound`: fetch gave null; `failed`: too many consecutive errors, with the last one).
 */
export type JobEvent<T> =
  | { readonly type: "snapshot"; readonly job: T }
  | { readonly type: "notFound" }
  | { readonly type: "failed"; readonly error: unknown };

/**
 * Decides, per job key, which instance polls upstream, and carries what that poller publishes to the
 * other instances. The watcher joins a key at its first local subscriber and leaves it when the last
 * one leaves, when the job ends, or on `close()`; it polls only between `lead()` and `follow()`.
 */
export interface PollCoordinator<T extends JobSnapshot> {
  /** Starts sharing `key`; `peer`'s methods are called later, never during `join`. */
  join(key: string, peer: PollPeer<T>): PollMembership<T>;
  /**
   * Optional: splits each budget between the instances polling under it (the watcher calls it once,
   * at construction, when it has a budget), through `ledger.setShare`, until `close()`.
   */
  shareBudgets?(ledger: BudgetLedger): void;
  /** Leaves every key still joined; resolves when their leases are released (never rejects). */
  close(): Promise<void>;
}

/** How a coordinator steers one key's local poller. */
export interface PollPeer<T> {
  /**
   * Poll from now on (this instance holds the key's lease, or the shared store is unreachable and
   * each instance polls for itself). Already polling: keep the schedule and publish the last snapshot
   * again, so that followers converge on it.
   */
  lead(): void;
  /** Stop polling (aborting a fetch in flight): another instance polls and publishes. */
  follow(): void;
  /** What the polling instance published, or the last snapshot it stored; ignored while polling. */
  receive(event: JobEvent<T>): void;
}

/** One key's share in a coordinator. */
export interface PollMembership<T> {
  /** Tells the other instances (only while this instance holds the lease; never throws). */
  publish(event: JobEvent<T>): void;
  /** Stops, releasing the lease if held; resolves when done (never rejects). Idempotent. */
  leave(): Promise<void>;
}

/**
 * The job's fetch answered `null`. `key` is the watcher's key; the message names neither it nor the
 * tenant. Adapters map it to the domain's own not-found error.
 */
export class JobNotFoundError extends Error {
  override readonly name = "JobNotFoundError";
  readonly code = "JOB_NOT_FOUND";
  constructor(readonly key: string) {
    super("The job does not exist or is not visible with these credentials.");
  }
}

/** The default `changed`: the status or one of the counts (`total`, `success`, `failed`) differs. */
export function jobChanged(previous: JobSnapshot, next: JobSnapshot): boolean {
  if (previous.status !== next.status) return true;
  const a = previous as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  return COUNT_FIELDS.some((field) => !Object.is(a[field], b[field]));
}

const COUNT_FIELDS = ["total", "success", "failed"] as const;

/** Node's timers, unref'd: a poller never keeps the process alive on its own. */
const realClock: WatcherClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => performance.now(),
};

/** Without a `budget` option: no limit, so every wait is exactly the poller's own. */
const UNLIMITED: PollBudgetOptions = { pollsPerSecond: Number.POSITIVE_INFINITY };

/** How a poller talks to one subscriber (an iterator's slot for one key). */
interface Sink<T> {
  next(job: T): void;
  complete(): void;
  error(error: unknown): void;
}

/** One key's poller. It exists from its first subscriber until it stops, and is never reused. */
interface Poller<T> {
  readonly key: string;
  readonly sinks: Set<Sink<T>>;
  /** The last snapshot fetched, handed at once to subscribers that join later. */
  last: T | null;
  /** The wait this poller wants between polls now, before any budget stretch or `Retry-After`. */
  intervalMs: number;
  consecutiveErrors: number;
  /** Its place in its budget (timer, line, demand) while this instance polls the key; else null. */
  slot: PollSlot | null;
  /** The in-flight fetch's controller, if one runs. */
  controller: AbortController | null;
  /** This instance polls the key now (always, without a coordinator; a follower does not). */
  polling: boolean;
  /** The key's share in the coordinator, if there is one. */
  membership: PollMembership<T> | null;
  stopped: boolean;
}

export class JobWatcher<T extends JobSnapshot> {
  readonly #options: JobWatcherOptions<T>;
  readonly #changed: (previous: T, next: T) => boolean;
  readonly #isMoving: (job: T) => boolean;
  readonly #budgetKey: (key: string) => string;
  readonly #scheduler: PollScheduler;
  readonly #pollers = new Map<string, Poller<T>>();
  /** Polls in progress, so `close()` can wait for their fetches to settle. */
  readonly #polls = new Set<Promise<void>>();
  /** Coordinator memberships being left, so `close()` can wait for their leases to be released. */
  readonly #leaving = new Set<Promise<void>>();
  #closed = false;

  constructor(options: JobWatcherOptions<T>) {
    const { minIntervalMs, maxIntervalMs, maxConsecutiveErrors } = options;
    if (!(Number.isFinite(minIntervalMs) && minIntervalMs > 0)) {
      throw new RangeError("minIntervalMs must be a positive number of milliseconds.");
    }
    if (!(Number.isFinite(maxIntervalMs) && maxIntervalMs >= minIntervalMs)) {
      throw new RangeError("maxIntervalMs must be a number at least minIntervalMs.");
    }
    if (!(Number.isInteger(maxConsecutiveErrors) && maxConsecutiveErrors >= 1)) {
      throw new RangeError("maxConsecutiveErrors must be an integer of at least 1.");
    }
    this.#options = options;
    this.#changed = options.changed ?? jobChanged;
    this.#isMoving = options.isMoving ?? (() => false);
    this.#budgetKey = options.budgetKey ?? (() => "");
    this.#scheduler = new PollScheduler(options.budget ?? UNLIMITED, options.clock ?? realClock);
    // An unlimited budget has nothing to split.
    if (options.budget && Number.isFinite(options.budget.pollsPerSecond)) {
      options.coordinator?.shareBudgets?.(this.#scheduler);
    }
  }

  /**
   * An async iterator for one subscriber: first the job's current state (fetched, or the last one
   * known when a poller already runs), then each change, until a terminal status (yielded, then the
   * iterator completes), an error (thrown: `JobNotFoundError`, the last fetch error, or what
   * `isTerminal` / `changed` threw), or the subscriber leaves (`return()` or `throw()`).
   *
   * `key` identifies one upstream job INCLUDING its tenant (e.g. `${tenant}:${kind}:${jobId}`): two
   * keys never share a poller or a snapshot. Nothing happens until the first `next()`; a subscriber
   * that never finishes its iteration must call `return()`, or its poller runs on. Snapshots are
   * shared between subscribers: treat them as read-only. After `close()` it completes at once.
   */
  watch(key: string): JobIterator<T> {
    return new Feed<T, T>([key], this.#subscribe, (_key, job) => job);
  }

  /**
   * Several jobs at once: one iterator that yields `{ key, job }` from each key (duplicates counted
   * once) with the same guarantees per key as `watch`, and completes when every job has. An error on
   * any key ends the whole iterator: the snapshots already waiting are delivered, then it throws and
   * the other keys are left. No keys: it completes at once.
   */
  watchMany(keys: readonly string[]): JobIterator<{ key: string; job: T }> {
    return new Feed<T, { key: string; job: T }>([...new Set(keys)], this.#subscribe, (key, job) => ({
      key,
      job,
    }));
  }

  /**
   * Pollers that poll upstream on this instance, counting one whose first fetch is in flight (for
   * tests, metrics, and shutdown); a key another instance polls for this one's subscribers is not one.
   */
  get activePollers(): number {
    let count = 0;
    for (const poller of this.#pollers.values()) if (poller.polling) count += 1;
    return count;
  }

  /**
   * The caller changed the job itself (e.g. approved it through this gateway): when this instance
   * polls `key`, its next poll runs as soon as its budget allows (ahead of scheduled ones) and the
   * fast pace resumes. Otherwise (no subscriber here, or another instance polls it) nothing happens.
   */
  refresh(key: string): void {
    const poller = this.#pollers.get(key);
    if (!poller?.polling || !poller.slot || poller.controller) return; // a fetch in flight reads it anyway
    poller.intervalMs = this.#options.minIntervalMs;
    poller.slot.want(poller.intervalMs);
    poller.slot.now(() => {
      if (!poller.stopped && poller.polling) this.#startPoll(poller);
    });
  }

  /** A budget key's budget on this instance as it stands (for tests and metrics); null before its first poll. */
  budget(budgetKey: string): BudgetState | null {
    return this.#scheduler.state(budgetKey);
  }

  /**
   * Stops every poller (clearing its timer and aborting its fetch) and completes every subscriber:
   * each still gets the snapshot it had waiting, then `done`. Later `watch` iterators complete at
   * once. Resolves when the aborted fetches have settled and the coordinator (if any) has released
   * this instance's leases and closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const poller of [...this.#pollers.values()]) {
      this.#stop(poller);
      for (const sink of [...poller.sinks]) sink.complete();
    }
    await Promise.all([...this.#polls, ...this.#leaving]);
    await this.#options.coordinator?.close();
  }

  /** Adds a subscriber to `key`'s poller, starting one if needed; returns how to leave. */
  readonly #subscribe = (key: string, sink: Sink<T>): (() => void) => {
    if (this.#closed) {
      sink.complete();
      return () => {};
    }
    let poller = this.#pollers.get(key);
    if (poller) {
      poller.sinks.add(sink);
      if (poller.last !== null) sink.next(poller.last);
    } else {
      poller = {
        key,
        sinks: new Set([sink]),
        last: null,
        intervalMs: this.#options.minIntervalMs,
        consecutiveErrors: 0,
        slot: null,
        controller: null,
        polling: false,
        membership: null,
        stopped: false,
      };
      this.#pollers.set(key, poller);
      const { coordinator } = this.#options;
      if (coordinator) poller.membership = coordinator.join(key, this.#peerFor(poller));
      else this.#lead(poller);
    }
    const joined = poller;
    return () => {
      if (joined.sinks.delete(sink) && joined.sinks.size === 0) this.#stop(joined);
    };
  };

  /** How the coordinator steers `poller`; every call after the poller stopped is ignored. */
  #peerFor(poller: Poller<T>): PollPeer<T> {
    return {
      lead: () => this.#lead(poller),
      follow: () => this.#follow(poller),
      receive: (event) => this.#receive(poller, event),
    };
  }

  /** Starts polling (a first read, ahead of the budget's scheduled polls), or (polling) republishes the last snapshot. */
  #lead(poller: Poller<T>): void {
    if (poller.stopped) return;
    if (poller.polling) {
      if (poller.last !== null) this.#publish(poller, { type: "snapshot", job: poller.last });
      return;
    }
    poller.polling = true;
    poller.intervalMs = this.#options.minIntervalMs;
    poller.consecutiveErrors = 0;
    const slot = this.#scheduler.slot(this.#budgetKey(poller.key));
    poller.slot = slot;
    slot.want(poller.intervalMs);
    slot.now(() => {
      if (!poller.stopped && poller.polling) this.#startPoll(poller);
    });
  }

  /** Stops polling but keeps the subscribers and the last snapshot, which what is received is compared with. */
  #follow(poller: Poller<T>): void {
    if (poller.stopped || !poller.polling) return;
    poller.polling = false;
    this.#halt(poller);
  }

  /** Another instance's snapshot or end, handled as this instance's own poll would have been. */
  #receive(poller: Poller<T>, event: JobEvent<T>): void {
    if (poller.stopped || poller.polling) return;
    try {
      if (event.type === "snapshot") {
        if (this.#take(poller, event.job).terminal) this.#end(poller, null);
      } else {
        this.#end(poller, event.type === "notFound" ? new JobNotFoundError(poller.key) : event.error);
      }
    } catch (error) {
      this.#end(poller, error); // isTerminal or changed threw: a bug, not an upstream hiccup
    }
  }

  #publish(poller: Poller<T>, event: JobEvent<T>): void {
    poller.membership?.publish(event);
  }

  /** Makes `job` the last snapshot and hands it to the subscribers when it changed or is terminal. */
  #take(poller: Poller<T>, job: T): { changed: boolean; terminal: boolean } {
    const previous = poller.last;
    poller.last = job;
    const terminal = this.#options.isTerminal(job);
    const changed = previous === null || terminal || this.#changed(previous, job);
    if (changed) for (const sink of [...poller.sinks]) sink.next(job);
    return { changed, terminal };
  }

  #startPoll(poller: Poller<T>): void {
    const poll = this.#poll(poller);
    this.#polls.add(poll);
    void poll.then(() => this.#polls.delete(poll));
  }

  /** One fetch and what follows from it. Never rejects. */
  async #poll(poller: Poller<T>): Promise<void> {
    const controller = new AbortController();
    poller.controller = controller;
    let job: T | null;
    try {
      job = await this.#options.fetch(poller.key, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return; // stopped, or now following another instance
      poller.controller = null;
      this.#failed(poller, error);
      return;
    }
    if (controller.signal.aborted) return;
    poller.controller = null;
    if (job == null) {
      this.#publish(poller, { type: "notFound" });
      this.#end(poller, new JobNotFoundError(poller.key));
      return;
    }
    try {
      poller.consecutiveErrors = 0;
      const { changed, terminal } = this.#take(poller, job);
      if (changed) this.#publish(poller, { type: "snapshot", job });
      if (terminal) {
        this.#end(poller, null);
        return;
      }
      const { minIntervalMs, maxIntervalMs } = this.#options;
      // A change is likely followed by another (an approval by processing): back to the fast pace.
      poller.intervalMs =
        changed || this.#isMoving(job) ? minIntervalMs : Math.min(maxIntervalMs, poller.intervalMs * 1.5);
      this.#schedule(poller);
    } catch (error) {
      this.#end(poller, error); // isTerminal or changed threw: a bug, not an upstream hiccup
    }
  }

  #failed(poller: Poller<T>, error: unknown): void {
    poller.consecutiveErrors += 1;
    if (poller.consecutiveErrors >= this.#options.maxConsecutiveErrors) {
      this.#publish(poller, { type: "failed", error });
      this.#end(poller, error);
      return;
    }
    poller.intervalMs = Math.min(this.#options.maxIntervalMs, poller.intervalMs * 2);
    const retryAfter = retryAfterMs(error);
    // DigiCert's limits are per API key: its Retry-After holds every job of the budget, not only this one.
    poller.slot?.pause(retryAfter);
    this.#schedule(poller, retryAfter);
  }

  /** The next poll after the poller's interval (stretched by its budget's load), never sooner than `floorMs`. */
  #schedule(poller: Poller<T>, floorMs = 0): void {
    const slot = poller.slot;
    if (!slot) return;
    slot.want(poller.intervalMs);
    slot.after(
      poller.intervalMs,
      () => {
        if (!poller.stopped && poller.polling) this.#startPoll(poller);
      },
      floorMs,
    );
  }

  /** Stops the poller, then completes (`error` null) or fails its subscribers. */
  #end(poller: Poller<T>, error: unknown): void {
    this.#stop(poller);
    for (const sink of [...poller.sinks]) {
      if (error === null) sink.complete();
      else sink.error(error);
    }
  }

  #stop(poller: Poller<T>): void {
    if (poller.stopped) return;
    poller.stopped = true;
    poller.polling = false;
    if (this.#pollers.get(poller.key) === poller) this.#pollers.delete(poller.key);
    this.#halt(poller);
    if (poller.membership) {
      const leaving = poller.membership.leave();
      this.#leaving.add(leaving);
      void leaving.then(() => this.#leaving.delete(leaving));
    }
  }

  /** Leaves the budget (clearing the poller's timer or place in line) and aborts its fetch in flight. */
  #halt(poller: Poller<T>): void {
    poller.slot?.release();
    poller.slot = null;
    poller.controller?.abort();
    poller.controller = null;
  }
}

/** A `retryAfterSeconds` the error carries (UpstreamHttpError, UpstreamUnavailableError), in ms; else 0. */
function retryAfterMs(error: unknown): number {
  if (typeof error !== "object" || error === null || !("retryAfterSeconds" in error)) return 0;
  const seconds = error.retryAfterSeconds;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

type Subscribe<T> = (key: string, sink: Sink<T>) => () => void;

interface Waiter<V> {
  resolve(result: IteratorResult<V>): void;
  reject(error: unknown): void;
}

const DONE: IteratorResult<never> = Object.freeze({ done: true, value: undefined });

/**
 * The iterator behind `watch` and `watchMany`. Per key it holds at most one undelivered value, the
 * newest (a value arriving while a `next()` waits goes straight to it). It subscribes on the first
 * `next()` and leaves on completion, on an error, or on `return()` / `throw()`, whichever comes first.
 */
class Feed<T, V> implements JobIterator<V> {
  readonly #keys: readonly string[];
  readonly #subscribe: Subscribe<T>;
  readonly #wrap: (key: string, job: T) => V;
  /** Undelivered values, the newest per key; the Map keeps a key's place when its value is replaced. */
  readonly #pending = new Map<string, V>();
  /** Keys subscribed and not yet ended. */
  readonly #open = new Set<string>();
  /** `next()` calls waiting; only ever non-empty while `#pending` is empty. */
  readonly #waiters: Waiter<V>[] = [];
  readonly #leaves: (() => void)[] = [];
  #failure: { error: unknown } | null = null;
  #started = false;
  #left = false;
  #finished = false;

  constructor(keys: readonly string[], subscribe: Subscribe<T>, wrap: (key: string, job: T) => V) {
    this.#keys = keys;
    this.#subscribe = subscribe;
    this.#wrap = wrap;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<V>> {
    if (this.#finished) return Promise.resolve(DONE);
    if (!this.#started) this.#start();
    const first = this.#pending.entries().next();
    if (!first.done) {
      const [key, value] = first.value;
      this.#pending.delete(key);
      return Promise.resolve({ done: false, value });
    }
    if (this.#failure) {
      const { error } = this.#failure;
      this.#finish();
      return Promise.reject(error);
    }
    if (this.#open.size === 0) {
      this.#finish();
      return Promise.resolve(DONE);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<V>> {
    this.#finish();
    return Promise.resolve(DONE);
  }

  throw(error?: unknown): Promise<IteratorResult<V>> {
    this.#finish();
    return Promise.reject(error);
  }

  #start(): void {
    this.#started = true;
    for (const key of this.#keys) this.#open.add(key);
    for (const key of this.#keys) {
      const leave = this.#subscribe(key, this.#sinkFor(key));
      if (this.#left) {
        leave(); // subscribing ended everything (a closed watcher completes at once)
        return;
      }
      this.#leaves.push(leave);
    }
  }

  #sinkFor(key: string): Sink<T> {
    return {
      next: (job) => {
        if (!this.#open.has(key)) return;
        const value = this.#wrap(key, job);
        const waiter = this.#waiters.shift();
        if (waiter) waiter.resolve({ done: false, value });
        else this.#pending.set(key, value);
      },
      complete: () => {
        if (!this.#open.delete(key) || this.#open.size > 0) return;
        this.#leave();
        if (this.#waiters.length > 0) this.#finish();
      },
      error: (error) => {
        if (!this.#open.has(key)) return;
        this.#open.clear();
        this.#failure = { error };
        this.#leave();
        const waiter = this.#waiters.shift();
        if (!waiter) return; // the next `next()` drains what is pending, then throws
        this.#finish();
        waiter.reject(error);
      },
    };
  }

  /** Unsubscribes from every key still subscribed. */
  #leave(): void {
    if (this.#left) return;
    this.#left = true;
    for (const leave of this.#leaves.splice(0)) leave();
  }

  /** Nothing more will be delivered: leaves, drops what was pending, and ends waiting calls. */
  #finish(): void {
    this.#finished = true;
    this.#open.clear();
    this.#pending.clear();
    this.#failure = null;
    this.#leave();
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(DONE);
  }
}
