/**
 * App-wide: a tier in Redis under an instance's own cache, so what one instance read from DigiCert (a job's product, a
 * job report) serves every instance. Only public, immutable-for-its-key data goes here, never a secret. Imports the
 * shared store and the observability types only.
 */
import { createHash } from "node:crypto";
import type { CacheName, GatewayMetrics } from "../observability/types.js";
import type { SharedRedis } from "./redis.js";

export interface SharedCacheOptions<V> {
  /** Counted as this cache's lookups (hit or miss) in gateway_cache_lookups_total. */
  name: CacheName;
  ttlMs: number;
  /** A value whose JSON is larger is not shared (each instance keeps reading it itself). */
  maxBytes: number;
  /** What came back from Redis, checked; null: unreadable (a miss). */
  decode(json: unknown): V | null;
  metrics: GatewayMetrics;
}

/**
 * `get` and `set` never throw and never wait on a Redis that is down: a failure is a miss, and a lost write costs one
 * more upstream read somewhere. Keys are digests of the caller's key (which holds the tenant scope).
 */
export class SharedCache<V> {
  readonly #redis: SharedRedis;
  readonly #options: SharedCacheOptions<V>;

  constructor(redis: SharedRedis, options: SharedCacheOptions<V>) {
    this.#redis = redis;
    this.#options = options;
  }

  async get(key: string): Promise<V | undefined> {
    let found: V | null = null;
    if (this.#redis.available) {
      try {
        const text = await this.#redis.client.get(this.#key(key));
        found = text === null ? null : this.#options.decode(JSON.parse(text));
      } catch {
        found = null;
      }
    }
    this.#options.metrics.cacheLookup(this.#options.name, found !== null);
    return found ?? undefined;
  }

  /** Stores `value` for everyone, in the background. */
  set(key: string, value: V): void {
    if (!this.#redis.available) return;
    const text = JSON.stringify(value);
    if (Buffer.byteLength(text) > this.#options.maxBytes) return;
    this.#redis.client.set(this.#key(key), text, "PX", this.#options.ttlMs).catch(() => {});
  }

  #key(key: string): string {
    return this.#redis.key(
      "cache",
      this.#options.name,
      createHash("sha256").update(key).digest("hex").slice(0, 40),
    );
  }
}
