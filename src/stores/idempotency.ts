/** App-wide: callers' idempotency keys and the outcome each one got, per tenant scope; in memory, per process. Imports the model only. */
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import {
  InvalidCsrError,
  ServiceUnavailableError,
  UpstreamAuthenticationError,
  UpstreamForbiddenError,
  UpstreamUnavailableError,
  ValidationError,
} from "../model/errors.js";

const KEY_FIELD = "input.idempotencyKey";

/**
 * The idempotency key was already used, in this scope, with a request of other content. It is a
 * `ValidationError` on `input.idempotencyKey`, and keeps `name` "ValidationError" so the schema's
 * result unions (which match on `name`) show it as one.
 */
export class IdempotencyConflictError extends ValidationError {
  constructor() {
    super(KEY_FIELD, "This idempotency key was already used with a different request.");
  }
}

export interface IdempotencyStoreOptions {
  /** Finished outcomes kept at most (least recently used go first); calls in flight are not counted. */
  maxEntries: number;
  /** How long a finished outcome is remembered, from when it finished, in ms. */
  ttlMs: number;
  /** Clock for the TTL (ms, monotonic, never 0: lru-cache reads 0 as "no TTL"); for tests. Defaults to `performance.now`. */
  now?: () => number;
}

type Outcome = { fingerprint: string } & ({ ok: true; value: unknown } | { ok: false; error: unknown });
interface InFlight {
  fingerprint: string;
  promise: Promise<unknown>;
}

/** Client-supplied idempotency keys: `fn` runs once per (scope, key); see `IdempotencyStore.run` for the contract. */
export interface Idempotency {
  run<T>(scope: string, key: string, fingerprint: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * Failures that prove nothing happened upstream: forgotten, so the caller may retry with the same key.
 * Every other failure is remembered, including errors the store does not recognise, since it cannot
 * tell whether they were thrown before or after DigiCert was called. Keep input validation outside `fn`.
 */
export function provesNothingHappened(error: unknown): boolean {
  return (
    error instanceof UpstreamUnavailableError ||
    error instanceof ServiceUnavailableError ||
    error instanceof ValidationError ||
    error instanceof InvalidCsrError ||
    error instanceof UpstreamAuthenticationError ||
    error instanceof UpstreamForbiddenError
  );
}

/** Client-supplied idempotency keys: one upstream call per (scope, key). In memory, per process. */
export class IdempotencyStore implements Idempotency {
  readonly #done: LRUCache<string, Outcome>;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(options: Partial<IdempotencyStoreOptions> = {}) {
    const { maxEntries = 10_000, ttlMs = 24 * 60 * 60 * 1000, now } = options;
    this.#done = new LRUCache<string, Outcome>({
      max: maxEntries,
      ttl: ttlMs,
      ttlResolution: 0,
      ...(now ? { perf: { now } } : {}),
    });
  }

  /**
   * Runs `fn` once per (scope, key). `fingerprint` identifies the request's content (use `fingerprintOf`);
   * a repeat with the same key but another fingerprint throws IdempotencyConflictError before calling fn.
   * Concurrent repeats await the same promise. A success and any failure not proving that nothing
   * happened upstream (e.g. UpstreamOutcomeUnknownError: a certificate may have been issued) are
   * remembered for `ttlMs`, and a repeat gets the same value or error without calling fn. Failures that
   * prove nothing happened (UpstreamUnavailableError, ServiceUnavailableError, ValidationError,
   * InvalidCsrError, DigiCert refusing the gateway's credentials) are forgotten. Contract: `fn`'s result is kept in memory and handed to
   * repeats as is; it must never contain private key material (certificate results are public).
   */
  async run<T>(scope: string, key: string, fingerprint: string, fn: () => Promise<T>): Promise<T> {
    const id = JSON.stringify([scope, key]);
    const seen = this.#inFlight.get(id) ?? this.#done.get(id);
    if (seen) {
      if (seen.fingerprint !== fingerprint) throw new IdempotencyConflictError();
      if ("promise" in seen) return seen.promise as Promise<T>;
      if (seen.ok) return seen.value as T;
      throw seen.error;
    }
    // Registered before fn starts (it runs on the next microtask), so a concurrent repeat finds it.
    const promise = Promise.resolve().then(fn);
    this.#inFlight.set(id, { fingerprint, promise });
    try {
      const value = await promise;
      this.#done.set(id, { fingerprint, ok: true, value });
      return value;
    } catch (error) {
      if (!provesNothingHappened(error)) this.#done.set(id, { fingerprint, ok: false, error });
      throw error;
    } finally {
      this.#inFlight.delete(id);
    }
  }
}

/**
 * Stable SHA-256 (hex) over a JSON value with object keys sorted at every level; follows JSON.stringify
 * otherwise (`toJSON`, undefined members dropped, bigint throws).
 */
export function fingerprintOf(value: unknown): string {
  return createHash("sha256")
    .update(canonicalJson(value) ?? "null")
    .digest("hex");
}

function canonicalJson(input: unknown): string | undefined {
  const value =
    typeof (input as { toJSON?: unknown } | null)?.toJSON === "function"
      ? (input as { toJSON(): unknown }).toJSON()
      : input;
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v) ?? "null").join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .flatMap((k) => {
        const json = canonicalJson(record[k]);
        return json === undefined ? [] : [`${JSON.stringify(k)}:${json}`];
      });
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value) as string | undefined;
}

const KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Validates a caller's key: 1-128 chars of [A-Za-z0-9_.:-]; else ValidationError on `input.idempotencyKey`. */
export function parseIdempotencyKey(value: string): string {
  if (!KEY_PATTERN.test(value)) {
    throw new ValidationError(
      KEY_FIELD,
      "An idempotency key is 1 to 128 characters: letters, digits, '_', '.', ':' or '-'.",
    );
  }
  return value;
}
