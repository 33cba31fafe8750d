/**
 * App-wide: the connection to the shared store (Redis) that several gateway instances use for idempotency keys, rate
 * limits, job poller leases and shared caches. Absent (no REDIS_URL): every store stays in process memory.
 *
 * Contract for the stores built on it:
 * - Commands fail at once while Redis is unreachable (no offline queue) and after `commandTimeoutMs`; ioredis
 *   reconnects by itself, and `available` turns true again.
 * - Keys are `key(...)` (the configured prefix, then the parts joined by ':'); nothing a caller sent is ever a key
 *   part unhashed except ids already validated, and no secret (token, API key, private key, password) is ever a key or
 *   a value.
 * - Pub/sub runs on a second connection (`subscriber()`), made on first use.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../logger.js";

export interface SharedStoreOptions {
  /** redis:// or rediss:// URL (user and password in it, if any; they are never logged). */
  url: string;
  /** Prepended to every key and channel, e.g. "dcgw:" (several deployments may share one Redis). */
  keyPrefix: string;
  /** A connection attempt's limit, ms. */
  connectTimeoutMs: number;
  /** A command's limit, ms: a Redis that hangs fails the command instead of the request. */
  commandTimeoutMs: number;
  logger: Logger;
}

/** The shared store could not be reached or did not answer; what depends on it follows the Redis-down policy. */
export class SharedStoreUnavailableError extends Error {
  override readonly name = "SharedStoreUnavailableError";
  readonly code = "SHARED_STORE_UNAVAILABLE";
  constructor(options?: { cause?: unknown }) {
    super("The shared store (Redis) is unavailable.", options);
  }
}

/** The URL as it may be logged: scheme, host and port only. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(unparsable URL)";
  }
}

export class SharedRedis {
  readonly client: Redis;
  readonly prefix: string;
  readonly #options: SharedStoreOptions;
  readonly #logger: Logger;
  #subscriber: Redis | null = null;
  #wasReady = false;
  #closed = false;

  constructor(options: SharedStoreOptions) {
    this.#options = options;
    this.prefix = options.keyPrefix;
    this.#logger = options.logger;
    this.client = new Redis(options.url, this.#connectionOptions());
    this.#watch(this.client, "commands");
  }

  /** Connected and ready for commands now. */
  get available(): boolean {
    return this.client.status === "ready";
  }

  /** A key (or channel) of this deployment: the prefix, then `parts` joined by ':'. */
  key(...parts: string[]): string {
    return this.prefix + parts.join(":");
  }

  /**
   * The pub/sub connection, made on first use (a connection in subscriber mode runs no other command). Unlike the
   * command connection it queues while disconnected: a `subscribe()` made while Redis is down settles once it is back
   * (so never await one on a request's path), and ioredis resubscribes every channel after a reconnect.
   */
  subscriber(): Redis {
    if (!this.#subscriber) {
      // Its own connection, made now; ioredis resubscribes its channels after each reconnect.
      this.#subscriber = this.client.duplicate({
        ...this.#connectionOptions(),
        lazyConnect: false,
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
      });
      this.#watch(this.#subscriber, "pub/sub");
    }
    return this.#subscriber;
  }

  /**
   * Connects (the first call; nothing connects before it, so building an app opens nothing) and resolves once the
   * command connection is ready, or after `ms` (false: not connected by then; ioredis keeps trying).
   */
  async waitUntilReady(ms = this.#options.connectTimeoutMs): Promise<boolean> {
    if (this.client.status === "wait") this.client.connect().catch(() => {});
    if (this.available) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.client.off("ready", onReady);
        resolve(ready);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(this.available), ms);
      timer.unref();
      this.client.on("ready", onReady);
    });
  }

  /** Readiness: Redis answers PING now. */
  async ping(): Promise<boolean> {
    if (!this.available) return false;
    try {
      return (await this.client.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      [this.client, this.#subscriber].map(async (connection) => {
        if (!connection) return;
        try {
          await connection.quit();
        } catch {
          connection.disconnect();
        }
      }),
    );
  }

  #connectionOptions(): RedisOptions {
    return {
      connectTimeout: this.#options.connectTimeoutMs,
      commandTimeout: this.#options.commandTimeoutMs,
      // Fail fast while disconnected: a request waits for nothing, and the Redis-down policy decides.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Reconnect forever, backing off to 2 s: the gateway recovers by itself when Redis is back.
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
      lazyConnect: true,
    };
  }

  /** Logs the first connection, each loss and each recovery once (never each retry, never the URL's secrets). */
  #watch(connection: Redis, role: string): void {
    const where = redactRedisUrl(this.#options.url);
    let down = false;
    connection.on("ready", () => {
      if (down || !this.#wasReady) this.#logger.info({ redis: where, role }, "shared store connected");
      down = false;
      this.#wasReady = true;
    });
    connection.on("error", (error: Error & { code?: string }) => {
      if (down || this.#closed) return;
      down = true;
      this.#logger.warn(
        { redis: where, role, code: error.code ?? error.name },
        "shared store unavailable; retrying",
      );
    });
    connection.on("end", () => {
      if (!this.#closed) down = true;
    });
  }
}
