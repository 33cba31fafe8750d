/**
 * App-wide: automatic persisted queries (APQ), SHA-256 hex of a query -> its text. In this process's memory (an LRU
 * bounded by count and bytes) and, with the shared store, in Redis too (`apq:<hash>`, with a TTL), so a query one
 * instance registered is found by every other. Imports the shared store only.
 */
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";
import type { SharedRedis } from "./redis.js";

/** A query larger than this is run but never stored (the Redis tier has no byte bound of its own, only the TTL). */
export const APQ_MAX_DOCUMENT_BYTES = 64 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface ApqStoreOptions {
  /** Queries kept in memory at most (least recently used go first). */
  maxEntries: number;
  /** Bytes of query text (plus 64 per key) kept in memory at most. */
  maxBytes: number;
  /** The Redis tier; null: memory only (one instance). */
  redis: SharedRedis | null;
  /** How long a query stays in Redis after it was last registered, ms. */
  ttlMs: number;
}

/**
 * `get` and `set` never throw and never wait on a Redis that is down: a failure is "not found", and the client sends
 * the full query again. Only a 64-hex-digit hash is ever looked up or becomes a key.
 */
export class ApqStore {
  readonly #memory: LRUCache<string, string>;
  readonly #redis: SharedRedis | null;
  readonly #ttlMs: number;

  constructor(options: ApqStoreOptions) {
    this.#memory = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (query) => Buffer.byteLength(query) + 64,
    });
    this.#redis = options.redis;
    this.#ttlMs = options.ttlMs;
  }

  async get(hash: string): Promise<string | null> {
    if (!SHA256_HEX.test(hash)) return null;
    const local = this.#memory.get(hash);
    if (local !== undefined) return local;
    const redis = this.#redis;
    if (!redis?.available) return null;
    let text: string | null;
    try {
      text = await redis.client.get(redis.key("apq", hash));
    } catch {
      return null;
    }
    // What Redis holds is checked like a client's registration: a value that is not its hash's text is a miss.
    if (text === null || createHash("sha256").update(text, "utf8").digest("hex") !== hash) return null;
    this.#memory.set(hash, text);
    return text;
  }

  /** Stores a query whose hash the caller verified; the Redis write runs in the background. */
  set(hash: string, query: string): void {
    if (!SHA256_HEX.test(hash) || Buffer.byteLength(query) > APQ_MAX_DOCUMENT_BYTES) return;
    this.#memory.set(hash, query);
    const redis = this.#redis;
    if (!redis?.available) return;
    redis.client.set(redis.key("apq", hash), query, "PX", this.#ttlMs).catch(() => {});
  }

  /** Queries in memory now (tests, metrics). */
  get size(): number {
    return this.#memory.size;
  }
}
