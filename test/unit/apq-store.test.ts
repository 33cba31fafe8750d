import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { APQ_MAX_DOCUMENT_BYTES, ApqStore } from "../../src/stores/apq.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const query = (name: string, pad = 0) => `query ${name} { __typename }${" ".repeat(pad)}`;

describe("ApqStore (memory)", () => {
  it("evicts the least recently used when the bytes bound is reached", async () => {
    // Each entry counts its UTF-8 bytes plus 64 for the key: two 1000-byte queries fit in 2200 bytes, three do not.
    const store = new ApqStore({ maxEntries: 100, maxBytes: 2_200, redis: null, ttlMs: 1_000 });
    const [a, b, c] = ["A", "B", "C"].map((name) => query(name, 1_000 - query(name).length));
    store.set(sha256(a!), a!);
    store.set(sha256(b!), b!);
    expect(await store.get(sha256(a!))).toBe(a); // A is now the most recently used
    store.set(sha256(c!), c!);
    expect(store.size).toBe(2);
    expect(await store.get(sha256(b!))).toBeNull();
    expect(await store.get(sha256(a!))).toBe(a);
    expect(await store.get(sha256(c!))).toBe(c);
  });

  it("never stores a query over the per-document limit, and never looks up what is not a SHA-256 hex digest", async () => {
    const store = new ApqStore({ maxEntries: 10, maxBytes: 1024 * 1024, redis: null, ttlMs: 1_000 });
    const big = query("Big", APQ_MAX_DOCUMENT_BYTES);
    store.set(sha256(big), big);
    expect(await store.get(sha256(big))).toBeNull();
    store.set("not-a-hash", query("Odd"));
    expect(store.size).toBe(0);
    expect(await store.get("../../etc")).toBeNull();
  });
});
