/**
 * RedisIdempotencyStore on a real redis-server: two stores on two connections play two gateway instances behind a
 * load balancer, and a key must never run fn twice between them, whatever Redis or an owner does.
 */
import { randomUUID } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  DuplicateCertificateError,
  ServiceUnavailableError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
} from "../../src/model/errors.js";
import { IdempotencyConflictError, fingerprintOf } from "../../src/stores/idempotency.js";
import { IdempotencyRecordLostError, RedisIdempotencyStore } from "../../src/stores/idempotency-redis.js";
import { type SharedRedis, SharedStoreUnavailableError } from "../../src/stores/redis.js";
import { connectShared, startRedis, type TestRedis } from "../helpers/redis.js";

const fp = fingerprintOf({ op: "requestCertificate", body: { profile: { id: "p-1" }, csr: "…" } });
/** What the TLM resolver stores: an EnrollmentOutcome. */
const issued = {
  kind: "issued",
  serialNumber: "0A1B2C3D",
  deliveryFormat: "X509",
  pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  pkcs7: null,
};
/** What the IoT resolver stores: the outcome without its private key, saying one was delivered. */
const enrolled = {
  certificate: {
    id: null,
    serialNumber: "0A1B2C3E",
    requestId: "req-1",
    status: "AUTO_APPROVED",
    result: "SUCCESS",
    pem: "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
    chain: [{ commonName: null, pem: "-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n" }],
    unreadable: ["id"],
  },
  privateKey: null,
  privateKeyUnreadable: false,
  privateKeyDelivered: true,
};

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("RedisIdempotencyStore across two instances", () => {
  let server: TestRedis;
  let prefix: string;
  let redisA: SharedRedis;
  let redisB: SharedRedis;
  let storeErrors: unknown[];
  const hanging: Array<() => void> = [];

  const connect = () => connectShared(server, prefix);
  const storeOn = (redis: SharedRedis, options: { pendingMs?: number } = {}) =>
    new RedisIdempotencyStore(redis, {
      ttlMs: 60_000,
      pendingMs: options.pendingMs ?? 5_000,
      pollMs: 10,
      onStoreError: (error) => storeErrors.push(error),
    });

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    prefix = `t${randomUUID().slice(0, 8)}:`;
    storeErrors = [];
    redisA = await connect();
    redisB = await connect();
  });
  afterEach(async () => {
    for (const release of hanging.splice(0)) release();
    await Promise.all([redisA.close(), redisB.close()]);
    await server.start(); // after a test that killed it
  });

  it("runs fn once when the same key arrives at both instances at once, and both callers get its value", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    const gate = deferred<typeof issued>();
    const fnA = vi.fn(() => gate.promise);
    const fnB = vi.fn(() => gate.promise);
    const calls = [a.run("tenant-a", "order-42", fp, fnA), b.run("tenant-a", "order-42", fp, fnB)];
    await until(() => fnA.mock.calls.length + fnB.mock.calls.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the other one is polling by now
    gate.resolve(issued);
    const [fromA, fromB] = await Promise.all(calls);
    expect(fromA).toEqual(issued);
    expect(fromB).toEqual(issued);
    expect(fnA.mock.calls.length + fnB.mock.calls.length).toBe(1);
  });

  it("shares one call between concurrent repeats on one instance", async () => {
    const a = storeOn(redisA);
    const gate = deferred<typeof issued>();
    const fn = vi.fn(() => gate.promise);
    const calls = [1, 2, 3].map(() => a.run("tenant-a", "order-42", fp, fn));
    await until(() => fn.mock.calls.length > 0);
    gate.resolve(issued);
    await expect(Promise.all(calls)).resolves.toEqual([issued, issued, issued]);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("gives a later repeat on the other instance the same value, through JSON, without calling fn", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    await a.run("tenant-a", "order-42", fp, async () => issued);
    await a.run("tenant-a", "device-7", fp, async () => enrolled);
    const fn = vi.fn(async () => ({ ...issued, serialNumber: "FFFF" }));
    await expect(b.run("tenant-a", "order-42", fp, fn)).resolves.toEqual(issued);
    await expect(b.run("tenant-a", "device-7", fp, fn)).resolves.toEqual(enrolled);
    expect(fn).not.toHaveBeenCalled();
  });

  it("keeps scopes apart, and stores under a digest with the TTL: no tenant name or caller's key in Redis", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    const fn = vi.fn(async () => issued);
    await a.run("acme-secret-tenant", "order-42", fp, fn);
    await b.run("globex", "order-42", fp, fn);
    expect(fn).toHaveBeenCalledTimes(2);
    const keys = await redisA.client.keys(`${prefix}*`);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^${prefix}idem:[0-9a-f]{40}$`));
      const ttl = await redisA.client.pttl(key);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      const value = (await redisA.client.get(key))!;
      expect(value).not.toContain("acme");
      expect(value).not.toContain("order-42");
    }
  });

  it("refuses another request under the same key on the other instance, done or in flight, without calling fn", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    const other = fingerprintOf({ op: "requestCertificate", body: { profile: { id: "p-2" } } });
    const fn = vi.fn(async () => issued);
    await a.run("tenant-a", "order-42", fp, async () => issued);
    await expect(b.run("tenant-a", "order-42", other, fn)).rejects.toBeInstanceOf(IdempotencyConflictError);

    const gate = deferred<typeof issued>();
    const inFlight = a.run("tenant-a", "order-43", fp, () => gate.promise);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const error = await b.run("tenant-a", "order-43", other, fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdempotencyConflictError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "input.idempotencyKey" });
    gate.resolve(issued);
    await expect(inFlight).resolves.toEqual(issued);
    expect(fn).not.toHaveBeenCalled();
  });

  it("gives the other instance a remembered failure as its own class, with its fields", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    const fn = vi.fn(async () => issued);
    const failures = [new UpstreamOutcomeUnknownError("req-9"), new DuplicateCertificateError()];
    for (const [i, failure] of failures.entries()) {
      await expect(
        a.run("tenant-a", `k${i}`, fp, async () => {
          throw failure;
        }),
      ).rejects.toBe(failure);
      const repeat = await b.run("tenant-a", `k${i}`, fp, fn).catch((e: unknown) => e);
      expect(repeat).toBeInstanceOf(failure.constructor);
      expect(repeat).toMatchObject({ ...failure, name: failure.name, message: failure.message });
    }
    expect(fn).not.toHaveBeenCalled();
  });

  it("tells the other instance 'outcome unknown' for a failure it does not recognise, and never runs fn", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    const bug = new TypeError("a bug after the POST");
    await expect(
      a.run("tenant-a", "order-42", fp, async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
    const fn = vi.fn(async () => issued);
    const repeat = await b.run("tenant-a", "order-42", fp, fn).catch((e: unknown) => e);
    expect(repeat).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect((repeat as Error).message).not.toContain("bug");
    expect(fn).not.toHaveBeenCalled();
  });

  it("frees the key after a failure that proves nothing happened, so the other instance may issue", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    const refused = new UpstreamUnavailableError(30);
    await expect(
      a.run("tenant-a", "order-42", fp, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
    const fn = vi.fn(async () => issued);
    await expect(b.run("tenant-a", "order-42", fp, fn)).resolves.toEqual(issued);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("lets a waiting instance take a key its owner freed, and run fn once", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    let fail!: (error: unknown) => void;
    const first = a.run(
      "tenant-a",
      "order-42",
      fp,
      () => new Promise<never>((_resolve, reject) => (fail = reject)),
    );
    await until(() => fail !== undefined);
    const fn = vi.fn(async () => issued);
    const waiting = b.run("tenant-a", "order-42", fp, fn);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fn).not.toHaveBeenCalled();
    fail(new UpstreamUnavailableError(null));
    await expect(first).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(waiting).resolves.toEqual(issued);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("tells a repeat 'outcome unknown' once an owner that never finishes passes its deadline, and never runs fn", async () => {
    const [a, b] = [storeOn(redisA, { pendingMs: 300 }), storeOn(redisB, { pendingMs: 300 })];
    const gate = deferred<typeof issued>();
    hanging.push(() => gate.resolve(issued));
    const owner = a.run("tenant-a", "order-42", fp, () => gate.promise);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const fn = vi.fn(async () => issued);
    const started = Date.now();
    await expect(b.run("tenant-a", "order-42", fp, fn)).rejects.toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    // Past the deadline the claim still stands: a later repeat is refused at once, never issued.
    await expect(b.run("tenant-a", "order-42", fp, fn)).rejects.toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(fn).not.toHaveBeenCalled();
    // A late owner's outcome is still stored, and repeats get it from then on.
    gate.resolve(issued);
    await expect(owner).resolves.toEqual(issued);
    await expect(b.run("tenant-a", "order-42", fp, fn)).resolves.toEqual(issued);
    expect(fn).not.toHaveBeenCalled();
  });

  it("refuses with ServiceUnavailableError while Redis is down, without calling fn, and works again once it is back", async () => {
    const a = storeOn(redisA);
    await server.kill();
    const fn = vi.fn(async () => issued);
    const error = await a.run("tenant-a", "order-42", fp, fn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryAfterSeconds: 5 });
    expect(fn).not.toHaveBeenCalled();

    await server.start();
    await until(() => redisA.available && redisB.available);
    await expect(a.run("tenant-a", "order-42", fp, fn)).resolves.toEqual(issued);
    expect(fn).toHaveBeenCalledTimes(1);
    await expect(storeOn(redisB).run("tenant-a", "order-42", fp, fn)).resolves.toEqual(issued);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("refuses a waiting repeat with ServiceUnavailableError when Redis goes down under it", async () => {
    const [a, b] = [storeOn(redisA), storeOn(redisB)];
    const gate = deferred<typeof issued>();
    hanging.push(() => gate.resolve(issued));
    void a.run("tenant-a", "order-42", fp, () => gate.promise).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const fn = vi.fn(async () => issued);
    const waiting = b.run("tenant-a", "order-42", fp, fn).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.kill();
    expect(await waiting).toBeInstanceOf(ServiceUnavailableError);
    expect(fn).not.toHaveBeenCalled();
  });

  it("still gives the caller fn's value when Redis dies while fn runs, and reports the lost write", async () => {
    const a = storeOn(redisA);
    const result = await a.run("tenant-a", "order-42", fp, async () => {
      await server.kill();
      return issued;
    });
    expect(result).toEqual(issued);
    expect(storeErrors).toHaveLength(1);
    expect(storeErrors[0]).toBeInstanceOf(SharedStoreUnavailableError);
  });

  it("leaves the claim pending when the owner cannot store its outcome: the other instance never issues", async () => {
    const [a, b] = [storeOn(redisA, { pendingMs: 300 }), storeOn(redisB, { pendingMs: 300 })];
    const result = await a.run("tenant-a", "order-42", fp, async () => {
      redisA.client.disconnect(); // this instance loses Redis after DigiCert issued; Redis itself stays up
      return issued;
    });
    expect(result).toEqual(issued);
    expect(storeErrors).toHaveLength(1);
    const fn = vi.fn(async () => issued);
    await expect(b.run("tenant-a", "order-42", fp, fn)).rejects.toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(fn).not.toHaveBeenCalled();
  });

  it("reports a claim that vanished under its owner (as after a Redis restart) and still answers the caller", async () => {
    const a = storeOn(redisA);
    const result = await a.run("tenant-a", "order-42", fp, async () => {
      const keys = await redisB.client.keys(`${prefix}*`);
      await redisB.client.del(...keys);
      return issued;
    });
    expect(result).toEqual(issued);
    expect(storeErrors).toHaveLength(1);
    expect(storeErrors[0]).toBeInstanceOf(IdempotencyRecordLostError);
    expect(await redisA.client.keys(`${prefix}*`)).toEqual([]); // nothing written over what is there now
  });
});
