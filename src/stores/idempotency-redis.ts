/**
 * App-wide, across instances: callers' idempotency keys and the outcome each one got, in the shared Redis. One record
 * per (scope, key); the first call claims it (SET NX), only the claimant calls DigiCert, and every repeat on any
 * instance gets its outcome. Imports the model, the memory store's contract and SharedRedis.
 */
import { createHash, randomUUID } from "node:crypto";
import {
  decodeDomainError,
  type EncodedDomainError,
  encodeDomainError,
  ServiceUnavailableError,
  UpstreamOutcomeUnknownError,
} from "../model/errors.js";
import { type Idempotency, IdempotencyConflictError, provesNothingHappened } from "./idempotency.js";
import { type SharedRedis, SharedStoreUnavailableError } from "./redis.js";

export interface RedisIdempotencyOptions {
  /** How long a record (claim or outcome) lives in Redis, ms; far longer than `pendingMs`. */
  ttlMs: number;
  /** How long a claim's owner may take before repeats are told the outcome is unknown, ms. */
  pendingMs: number;
  /** First interval between reads of a pending record, ms (default 50); doubles up to 250. */
  pollMs?: number;
  /** Redis failed after the outcome was known (or a record changed under its owner); the caller was still answered. */
  onStoreError?: (error: unknown) => void;
}

/** The owner's outcome could not be stored because its claim was no longer in Redis as written (e.g. Redis restarted). */
export class IdempotencyRecordLostError extends Error {
  override readonly name = "IdempotencyRecordLostError";
  readonly code = "IDEMPOTENCY_RECORD_LOST";
  constructor() {
    super("An idempotency claim was gone or replaced before its outcome could be stored.");
  }
}

interface PendingRecord {
  state: "pending";
  fingerprint: string;
  /** Random per claim: only the call that wrote it may finish or release it. */
  owner: string;
  /** Epoch ms (the owner's clock): past it, a pending record reads as outcome unknown. */
  deadline: number;
}
type DoneRecord = { state: "done"; fingerprint: string } & (
  { ok: true; value: unknown } | { ok: false; error: EncodedDomainError }
);
type StoredRecord = PendingRecord | DoneRecord;

/** Replaces the record with ARGV[2] (PX ARGV[3]) only while it is still exactly the claim ARGV[1]. */
const FINISH = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;
/** Deletes the record only while it is still exactly the claim ARGV[1]. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

const MAX_POLL_MS = 250;

/**
 * Client-supplied idempotency keys shared by every instance on one Redis: `fn` runs at most once per (scope, key)
 * across all of them, within `ttlMs`. Same contract as IdempotencyStore (a conflicting fingerprint is refused, outcomes
 * that may have issued are remembered, failures proving nothing happened are forgotten), plus:
 * - a repeat of a call in flight elsewhere waits for it, at most until the claim's deadline (`pendingMs`), then gets
 *   UpstreamOutcomeUnknownError; a claim never turns into "free to issue again" while its record lives;
 * - Redis unreachable before the claim is known: ServiceUnavailableError, and fn is not called;
 * - Redis failing after fn answered: the caller still gets fn's outcome, `onStoreError` hears of it, and the claim
 *   stays pending (repeats are told the outcome is unknown, never issued again).
 * Values and errors are stored as JSON (errors via encodeDomainError): fn's result must be plain JSON data and must
 * never hold private key material. Nothing of a key, fingerprint or value is put in an error.
 */
export class RedisIdempotencyStore implements Idempotency {
  readonly #redis: SharedRedis;
  readonly #ttlMs: number;
  readonly #pendingMs: number;
  readonly #pollMs: number;
  readonly #onStoreError: (error: unknown) => void;
  /** Calls of this process in flight, by (scope, key, fingerprint): a local repeat shares one promise. */
  readonly #inFlight = new Map<string, Promise<unknown>>();

  constructor(redis: SharedRedis, options: RedisIdempotencyOptions) {
    this.#redis = redis;
    this.#ttlMs = Math.max(1, Math.ceil(options.ttlMs));
    this.#pendingMs = options.pendingMs;
    this.#pollMs = Math.max(1, options.pollMs ?? 50);
    this.#onStoreError = options.onStoreError ?? (() => undefined);
  }

  async run<T>(scope: string, key: string, fingerprint: string, fn: () => Promise<T>): Promise<T> {
    // Keyed with the fingerprint: another request under the same key goes to Redis, which refuses or serves it.
    const local = JSON.stringify([scope, key, fingerprint]);
    const shared = this.#inFlight.get(local);
    if (shared) return shared as Promise<T>;
    const promise = this.#run(this.#keyOf(scope, key), fingerprint, fn);
    this.#inFlight.set(local, promise);
    try {
      return await promise;
    } finally {
      this.#inFlight.delete(local);
    }
  }

  #keyOf(scope: string, key: string): string {
    // Scopes may hold tenant names and keys are the caller's: Redis sees a digest only.
    const digest = createHash("sha256")
      .update(JSON.stringify([scope, key]))
      .digest("hex");
    return this.#redis.key("idem", digest.slice(0, 40));
  }

  async #run<T>(redisKey: string, fingerprint: string, fn: () => Promise<T>): Promise<T> {
    for (;;) {
      const claim = JSON.stringify({
        state: "pending",
        fingerprint,
        owner: randomUUID(),
        deadline: Date.now() + this.#pendingMs,
      } satisfies PendingRecord);
      let claimed: boolean;
      try {
        claimed = (await this.#redis.client.set(redisKey, claim, "PX", this.#ttlMs, "NX")) === "OK";
      } catch {
        // A timed-out SET may still have been applied: take the claim back if it was, or it would read as pending.
        void this.#eval(RELEASE, redisKey, claim).catch(() => undefined);
        throw new ServiceUnavailableError();
      }
      if (claimed) return this.#own(redisKey, claim, fingerprint, fn);
      const outcome = await this.#await<T>(redisKey, fingerprint);
      if (outcome.found) return outcome.value;
      // The record is gone (its owner proved nothing happened, or it expired): this call may claim it.
    }
  }

  /** Runs fn under this call's claim, then stores its outcome (or releases the claim) if the claim is still its own. */
  async #own<T>(redisKey: string, claim: string, fingerprint: string, fn: () => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await Promise.resolve().then(fn);
    } catch (error) {
      if (provesNothingHappened(error)) {
        await this.#store(() => this.#eval(RELEASE, redisKey, claim));
      } else {
        const record: DoneRecord = {
          state: "done",
          fingerprint,
          ok: false,
          error: encodeDomainError(error, () => new UpstreamOutcomeUnknownError()),
        };
        await this.#store(() =>
          this.#eval(FINISH, redisKey, claim, JSON.stringify(record), String(this.#ttlMs)),
        );
      }
      throw error;
    }
    await this.#store(() => {
      const record: DoneRecord = { state: "done", fingerprint, ok: true, value };
      return this.#eval(FINISH, redisKey, claim, JSON.stringify(record), String(this.#ttlMs));
    });
    return value;
  }

  /** Runs a write whose failure must not change the caller's answer; reports it instead. */
  async #store(write: () => Promise<unknown>): Promise<void> {
    try {
      if ((await write()) !== 1) this.#report(new IdempotencyRecordLostError());
    } catch (error) {
      this.#report(new SharedStoreUnavailableError({ cause: error }));
    }
  }

  #report(error: Error): void {
    try {
      this.#onStoreError(error);
    } catch {
      // A failing listener must not take fn's outcome from the caller.
    }
  }

  /**
   * Waits for someone else's claim: the stored outcome once it is done, `{ found: false }` once the record is gone,
   * UpstreamOutcomeUnknownError once a pending record's deadline has passed.
   */
  async #await<T>(
    redisKey: string,
    fingerprint: string,
  ): Promise<{ found: true; value: T } | { found: false }> {
    let interval = this.#pollMs;
    for (;;) {
      let raw: string | null;
      try {
        raw = await this.#redis.client.get(redisKey);
      } catch {
        throw new ServiceUnavailableError();
      }
      if (raw === null) return { found: false };
      const record = parseRecord(raw);
      // Unreadable: it may stand for an issued certificate, so it never frees the key.
      if (!record) throw new UpstreamOutcomeUnknownError();
      if (record.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      if (record.state === "done") {
        if (record.ok) return { found: true, value: record.value as T };
        throw decodeDomainError(record.error) ?? new UpstreamOutcomeUnknownError();
      }
      const left = record.deadline - Date.now();
      if (left <= 0) throw new UpstreamOutcomeUnknownError();
      await sleep(Math.min(interval, left));
      interval = Math.min(interval * 2, Math.max(MAX_POLL_MS, this.#pollMs));
    }
  }

  async #eval(script: string, redisKey: string, ...args: string[]): Promise<unknown> {
    return this.#redis.client.eval(script, 1, redisKey, ...args);
  }
}

/** A stored record, or null when it is not one this store wrote. */
function parseRecord(raw: string): StoredRecord | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const record = parsed as Record<string, unknown>;
  if (typeof record.fingerprint !== "string") return null;
  if (record.state === "pending")
    return typeof record.deadline === "number" ? (parsed as PendingRecord) : null;
  if (record.state !== "done") return null;
  if (record.ok === true && "value" in record) return parsed as DoneRecord;
  if (record.ok === false && typeof record.error === "object" && record.error !== null)
    return parsed as DoneRecord;
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
