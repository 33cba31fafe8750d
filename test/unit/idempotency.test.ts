import { describe, expect, it, vi } from "vitest";
import {
  DuplicateCertificateError,
  InvalidCsrError,
  ServiceUnavailableError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import {
  IdempotencyConflictError,
  IdempotencyStore,
  fingerprintOf,
  parseIdempotencyKey,
} from "../../src/stores/idempotency.js";

const input = { profileId: "p-1", csr: "-----BEGIN CERTIFICATE REQUEST-----…", validity: { days: 30 } };
const fp = fingerprintOf(input);
const issued = { kind: "issued", serialNumber: "0A1B" };

/** Resolves when told to, so a test can hold a call in flight. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("IdempotencyStore", () => {
  it("runs fn on the first call and returns its result", async () => {
    const store = new IdempotencyStore();
    const fn = vi.fn(async () => issued);
    await expect(store.run("tenant-a", "key-1", fp, fn)).resolves.toBe(issued);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("returns the first result to a sequential repeat without calling fn again", async () => {
    const store = new IdempotencyStore();
    const fn = vi.fn(async () => ({ ...issued }));
    const first = await store.run("tenant-a", "key-1", fp, fn);
    const again = await store.run("tenant-a", "key-1", fingerprintOf({ ...input }), fn);
    expect(again).toBe(first);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("calls fn once for concurrent repeats, which all get its result", async () => {
    const store = new IdempotencyStore();
    const gate = deferred<typeof issued>();
    const fn = vi.fn(() => gate.promise);
    const calls = [1, 2, 3].map(() => store.run("tenant-a", "key-1", fp, fn));
    await Promise.resolve();
    gate.resolve(issued);
    await expect(Promise.all(calls)).resolves.toEqual([issued, issued, issued]);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("refuses the same key with a different request, as a ValidationError on input.idempotencyKey, without calling fn", async () => {
    const store = new IdempotencyStore();
    await store.run("tenant-a", "key-1", fp, async () => issued);
    const fn = vi.fn(async () => issued);
    const other = fingerprintOf({ ...input, profileId: "p-2" });
    const error = await store.run("tenant-a", "key-1", other, fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      name: "ValidationError",
      code: "VALIDATION_FAILED",
      field: "input.idempotencyKey",
      message: "This idempotency key was already used with a different request.",
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it("refuses a different request with the key of a call still in flight", async () => {
    const store = new IdempotencyStore();
    const gate = deferred<typeof issued>();
    const first = store.run("tenant-a", "key-1", fp, () => gate.promise);
    const fn = vi.fn(async () => issued);
    await expect(store.run("tenant-a", "key-1", fingerprintOf({}), fn)).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
    gate.resolve(issued);
    await expect(first).resolves.toBe(issued);
    expect(fn).not.toHaveBeenCalled();
  });

  it("keeps scopes apart: the same key in another scope runs fn again", async () => {
    const store = new IdempotencyStore();
    const fn = vi.fn(async () => issued);
    await store.run("tenant-a", "key-1", fp, fn);
    await store.run("tenant-b", "key-1", fingerprintOf({ other: true }), fn);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("forgets failures that prove nothing happened upstream, so a repeat runs fn again", async () => {
    for (const failure of [
      new UpstreamUnavailableError(30),
      new ServiceUnavailableError(),
      new ValidationError("input.subject.country", "bad"),
      new InvalidCsrError("bad CSR"),
    ]) {
      const store = new IdempotencyStore();
      await expect(
        store.run("tenant-a", "key-1", fp, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      const fn = vi.fn(async () => issued);
      await expect(store.run("tenant-a", "key-1", fp, fn)).resolves.toBe(issued);
      expect(fn).toHaveBeenCalledTimes(1);
    }
  });

  it("remembers an unknown outcome: a repeat rethrows it without calling DigiCert again", async () => {
    const store = new IdempotencyStore();
    const unknown = new UpstreamOutcomeUnknownError();
    await expect(
      store.run("tenant-a", "key-1", fp, async () => {
        throw unknown;
      }),
    ).rejects.toBe(unknown);
    const fn = vi.fn(async () => issued);
    await expect(store.run("tenant-a", "key-1", fp, fn)).rejects.toBe(unknown);
    expect(fn).not.toHaveBeenCalled();
  });

  it("remembers final refusals and errors it does not recognise", async () => {
    for (const failure of [new DuplicateCertificateError(), new TypeError("bug after the call")]) {
      const store = new IdempotencyStore();
      await store
        .run("tenant-a", "key-1", fp, async () => {
          throw failure;
        })
        .catch(() => undefined);
      const fn = vi.fn(async () => issued);
      await expect(store.run("tenant-a", "key-1", fp, fn)).rejects.toBe(failure);
      expect(fn).not.toHaveBeenCalled();
    }
  });

  it("treats a synchronous throw from fn like a rejection", async () => {
    const store = new IdempotencyStore();
    const unknown = new UpstreamOutcomeUnknownError();
    const fn = (): Promise<never> => {
      throw unknown;
    };
    await expect(store.run("tenant-a", "key-1", fp, fn)).rejects.toBe(unknown);
    await expect(store.run("tenant-a", "key-1", fp, fn)).rejects.toBe(unknown);
  });

  it("forgets an outcome once its TTL has passed", async () => {
    let now = 1_000; // lru-cache reads a start time of 0 as "no TTL"
    const store = new IdempotencyStore({ ttlMs: 5, now: () => now });
    const fn = vi.fn(async () => issued);
    await store.run("tenant-a", "key-1", fp, fn);
    now = 1_004;
    await store.run("tenant-a", "key-1", fp, fn);
    expect(fn).toHaveBeenCalledTimes(1);
    now = 1_006;
    await store.run("tenant-a", "key-1", fingerprintOf({ reused: "after expiry" }), fn);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("forgets on real time with a tiny TTL", async () => {
    const store = new IdempotencyStore({ ttlMs: 1 });
    const fn = vi.fn(async () => issued);
    await store.run("tenant-a", "key-1", fp, fn);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.run("tenant-a", "key-1", fp, fn);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("keeps at most maxEntries outcomes, dropping the least recently used", async () => {
    const store = new IdempotencyStore({ maxEntries: 2 });
    const fn = vi.fn(async () => issued);
    for (const key of ["k1", "k2", "k3"]) await store.run("tenant-a", key, fp, fn);
    await store.run("tenant-a", "k3", fp, fn);
    expect(fn).toHaveBeenCalledTimes(3);
    await store.run("tenant-a", "k1", fp, fn);
    expect(fn).toHaveBeenCalledTimes(4);
  });
});

describe("parseIdempotencyKey", () => {
  it("accepts 1 to 128 characters of letters, digits, '_', '.', ':' and '-'", () => {
    for (const key of ["a", "9f1c2e4a-7b3d-4c1e-9a2b-3c4d5e6f7a8b", "order:42.retry_1", "x".repeat(128)]) {
      expect(parseIdempotencyKey(key)).toBe(key);
    }
  });

  it("refuses anything else as a ValidationError on input.idempotencyKey", () => {
    for (const key of ["", "x".repeat(129), "has space", "slash/", "ü", "new\nline", "semi;colon"]) {
      expect(() => parseIdempotencyKey(key)).toThrow(ValidationError);
      try {
        parseIdempotencyKey(key);
      } catch (error) {
        expect(error).toMatchObject({ field: "input.idempotencyKey", code: "VALIDATION_FAILED" });
      }
    }
  });
});

describe("fingerprintOf", () => {
  it("does not depend on the order of object keys, at any depth", () => {
    const a = { profileId: "p", subject: { commonName: "a", country: "US" }, sans: ["x", "y"] };
    const b = { sans: ["x", "y"], subject: { country: "US", commonName: "a" }, profileId: "p" };
    expect(fingerprintOf(a)).toBe(fingerprintOf(b));
    expect(fingerprintOf(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with any value, and with the order of array items", () => {
    const base = fingerprintOf({ sans: ["x", "y"], n: 1 });
    expect(fingerprintOf({ sans: ["y", "x"], n: 1 })).not.toBe(base);
    expect(fingerprintOf({ sans: ["x", "y"], n: 2 })).not.toBe(base);
    expect(fingerprintOf({ sans: ["x", "y"], n: "1" })).not.toBe(base);
  });

  it("follows JSON: undefined members are dropped, toJSON is used", () => {
    expect(fingerprintOf({ a: 1, b: undefined })).toBe(fingerprintOf({ a: 1 }));
    expect(fingerprintOf({ at: new Date(0) })).toBe(fingerprintOf({ at: "1970-01-01T00:00:00.000Z" }));
    expect(fingerprintOf(Object.assign(Object.create(null), { a: 1 }))).toBe(fingerprintOf({ a: 1 }));
  });
});
