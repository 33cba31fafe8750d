/** An LRUCache that counts its lookups (hit or miss) into the app's metrics. Imports the observability types only. */
import { LRUCache } from "lru-cache";
import type { CacheName, GatewayMetrics } from "../observability/types.js";

/**
 * `get` and `fetch` count one lookup each: a hit when the value was there (fresh), a miss otherwise (a `fetch` that
 * joins a download already in flight, or refreshes a stale value, is a miss). `has`, `peek` and `set` count nothing.
 */
export class CountedLRUCache<
  K extends NonNullable<unknown>,
  V extends NonNullable<unknown>,
  FC = unknown,
> extends LRUCache<K, V, FC> {
  readonly #name: CacheName;
  readonly #metrics: GatewayMetrics;

  constructor(name: CacheName, metrics: GatewayMetrics, options: LRUCache.Options<K, V, FC>) {
    super(options);
    this.#name = name;
    this.#metrics = metrics;
  }

  override get(key: K, options?: LRUCache.GetOptions<K, V, FC>): V | undefined {
    const value = super.get(key, options);
    this.#metrics.cacheLookup(this.#name, value !== undefined);
    return value;
  }
}
