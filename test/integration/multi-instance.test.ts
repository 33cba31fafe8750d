/**
 * Two gateway instances on one simulator and one real redis-server (REDIS_URL): what a load balancer in front of them
 * must not be able to break. Idempotency keys, rate limits and job pollers hold across both; with Redis down the
 * Redis-down policy holds (README, "Running more than one instance").
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { createClient } from "graphql-ws";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { PROFILE_IDS, type Simulator, startSimulator } from "../../simulator/index.js";
import type { App, AppConfig } from "../../src/app.js";
import { createDevIssuer, type DevIssuer } from "../../src/auth/dev.js";
import { JOB_SUBSCRIPTION, pendingIotJob } from "../helpers/jobs.js";
import { generateCsr } from "../helpers/pki.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { TEST_DEFENCES, testApp } from "../helpers/stack.js";

type Row = Record<string, any>;

const ISSUE_ROUTE = "POST /mpki/api/v1/certificate";
const POLLS = "GET /iot/api/v1/batch-enroll/:job_id";
const ISSUE = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename
    ... on CertificateIssued { serialNumber }
    ... on Error { code message }
  }
}`;

interface Instance {
  app: App;
  url: URL;
  gql(query: string, variables?: Record<string, unknown>): Promise<{ data?: Row; errors?: Row[] }>;
  /** gateway_job_polls_total{outcome="ok"} on this instance's /metrics. */
  polls(): Promise<number>;
  readiness(): Promise<{ status: number; body: unknown }>;
}

let simulator: Simulator;
let redis: TestRedis;
let issuer: DevIssuer;
let token: string;

beforeAll(async () => {
  [simulator, redis, issuer] = await Promise.all([
    startSimulator({ seedCertificates: 12, logger: false, batchStepMs: 150 }),
    startRedis(),
    createDevIssuer(),
  ]);
  token = await issuer.sign({ sub: "tester", tenant: "default" });
});
afterAll(async () => {
  await simulator?.close();
  await redis?.stop();
});

/** Two started instances sharing `redis` under a prefix of their own (tests never see each other's keys). */
async function twoInstances(overrides: Partial<AppConfig> = {}): Promise<[Instance, Instance]> {
  const keyPrefix = `t${randomUUID().slice(0, 8)}:`;
  const start = async (): Promise<Instance> => {
    const app = testApp(simulator.url, issuer, {
      sharedStore: {
        url: redis.url,
        keyPrefix,
        connectTimeoutMs: 1_000,
        commandTimeoutMs: 500,
        leaseTtlMs: 600,
      },
      readinessCacheMs: 0,
      jobPolling: { minIntervalMs: 100, maxIntervalMs: 100 },
      ...overrides,
    });
    const url = await app.start();
    running.push(app);
    return {
      app,
      url,
      async gql(query, variables) {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as never;
      },
      async polls() {
        const text = await (await fetch(new URL("/metrics", url))).text();
        const line = text.split("\n").find((l) => l.startsWith('gateway_job_polls_total{outcome="ok"}'));
        return Number(line?.split(" ")[1] ?? 0);
      },
      async readiness() {
        const res = await fetch(new URL("/readyz", url));
        return { status: res.status, body: await res.json() };
      },
    };
  };
  return [await start(), await start()];
}

const running: App[] = [];
beforeEach(() => simulator.resetCounters());
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.stop({ graceMs: 100 })));
  await redis.start(); // a test that killed it leaves it running again for the next
});

async function enrollment(prefix: string) {
  const commonName = `${prefix}-${randomUUID().slice(0, 8)}.example.com`;
  const { pem } = await generateCsr({ subject: `CN=${commonName}` });
  return {
    profileId: PROFILE_IDS.webServer,
    seatId: "ops@example.com",
    csr: pem,
    idempotencyKey: `order-${randomUUID()}`,
  };
}

const until = async (check: () => Promise<boolean> | boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe("an idempotency key across two instances", () => {
  it("sent to both at once, issues one certificate: one POST, the same serial for both callers", async () => {
    const [a, b] = await twoInstances();
    const input = await enrollment("both");
    const [first, second] = await Promise.all([a.gql(ISSUE, { input }), b.gql(ISSUE, { input })]);
    expect(first.data?.requestCertificate.__typename).toBe("CertificateIssued");
    expect(second.data?.requestCertificate).toEqual(first.data?.requestCertificate);
    expect(simulator.requestCount(ISSUE_ROUTE)).toBe(1);
  });

  it("repeated on the other instance later, returns the first certificate without a second POST", async () => {
    const [a, b] = await twoInstances();
    const input = await enrollment("later");
    const first = await a.gql(ISSUE, { input });
    const again = await b.gql(ISSUE, { input });
    expect(first.data?.requestCertificate.__typename).toBe("CertificateIssued");
    expect(again.data?.requestCertificate).toEqual(first.data?.requestCertificate);
    expect(simulator.requestCount(ISSUE_ROUTE)).toBe(1);
  });

  it("after a lost answer on one instance, the repeat on the other is outcome unknown too, never a second POST", async () => {
    const [a, b] = await twoInstances();
    const input = await enrollment("reset");
    simulator.injectFault({ route: ISSUE_ROUTE, kind: "reset", times: 1 });
    const first = await a.gql(ISSUE, { input });
    const again = await b.gql(ISSUE, { input });
    expect(first.data?.requestCertificate.code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
    expect(again.data?.requestCertificate.__typename).toBe("UpstreamOutcomeUnknownError");
    expect(simulator.requestCount(ISSUE_ROUTE)).toBe(1);
  });
});

describe("the rate limit across two instances", () => {
  it("holds for the sum of both: 5 a minute in all, however the calls are spread", async () => {
    const [a, b] = await twoInstances({ defences: { ...TEST_DEFENCES, rateLimitPerMinute: 5 } });
    const query = `{ profiles(first: 1) { edges { node { profileId } } } }`;
    const answers = [];
    for (const instance of [a, b, a, b, a]) answers.push(await instance.gql(query));
    for (const answer of answers) expect(answer.errors).toBeUndefined();
    const refusedOnB = await b.gql(query);
    const refusedOnA = await a.gql(query);
    expect(refusedOnB.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
    expect(refusedOnA.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
  });
});

describe("job subscribers on two instances", () => {
  function subscribe(instance: Instance, jobId: string) {
    const client = createClient({
      url: instance.url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const statuses: string[] = [];
    const done = new Promise<string[]>((resolve, reject) => {
      client.subscribe<{ batchJobStatusChanged: { status: string } }>(
        { query: JOB_SUBSCRIPTION, variables: { id: jobId } },
        {
          next: (v) => void statuses.push(v.data!.batchJobStatusChanged.status),
          error: reject,
          complete: () => resolve(statuses),
        },
      );
    });
    return { statuses, done, dispose: () => client.dispose() };
  }

  async function approve(instance: Instance, jobId: string) {
    const res = await instance.gql(`mutation($id: ID!) { approveIotBatchJob(id: $id) { __typename } }`, {
      id: jobId,
    });
    expect(res.data?.approveIotBatchJob.__typename).toBe("IotBatchJobApproved");
  }

  it("share one poller: three subscribers spread over both make the reads one poller makes", async () => {
    const [a, b] = await twoInstances();
    const jobId = await pendingIotJob(a.url, token, `cluster-${randomUUID().slice(0, 6)}.iot.example.com`);
    simulator.resetCounters();
    const subscribers = [subscribe(a, jobId), subscribe(b, jobId), subscribe(b, jobId)];
    await until(() => subscribers.every((s) => s.statuses.length > 0));
    const started = simulator.requestCount(POLLS);
    await new Promise((r) => setTimeout(r, 1_000));
    // One poller at 100 ms makes about 10 reads a second; one per instance would make about 20.
    expect(simulator.requestCount(POLLS) - started).toBeLessThanOrEqual(13);
    expect(subscribers.every((s) => s.statuses[0] === "PENDING_APPROVAL")).toBe(true);
    await approve(a, jobId);
    for (const statuses of await Promise.all(subscribers.map((s) => s.done))) {
      expect(statuses.at(-1)).toBe("COMPLETE");
    }
    await Promise.all(subscribers.map((s) => s.dispose()));
  });

  it("move to the other instance when the polling one stops, and its subscribers see the rest", async () => {
    const [a, b] = await twoInstances();
    const jobId = await pendingIotJob(a.url, token, `move-${randomUUID().slice(0, 6)}.iot.example.com`);
    const onA = subscribe(a, jobId);
    await until(() => onA.statuses.length > 0);
    const onB = subscribe(b, jobId);
    await until(() => onB.statuses.length > 0);
    await until(async () => (await a.polls()) > 2);
    const bBefore = await b.polls();
    expect(bBefore).toBe(0); // a holds the lease: b only listens
    await a.app.stop({ graceMs: 100 });
    // a released its lease on stopping: b polls from now on (at the latest within one lease TTL).
    await until(async () => (await b.polls()) > bBefore + 2, 3_000);
    await approve(b, jobId);
    expect((await onB.done).at(-1)).toBe("COMPLETE");
    await Promise.all([onA.dispose(), onB.dispose()]);
  });
});

describe("the caches two instances share", () => {
  it("a batch job's product found by one instance spares the other asking both products", async () => {
    const [a, b] = await twoInstances();
    const jobId = await pendingIotJob(a.url, token, `kind-${randomUUID().slice(0, 6)}.iot.example.com`);
    const query = `query($id: ID!) { batchJob(id: $id) { __typename status } }`;
    simulator.resetCounters();
    expect((await a.gql(query, { id: jobId })).data?.batchJob.status).toBe("PENDING_APPROVAL");
    expect(Object.keys(simulator.requestCounts())).toHaveLength(2); // IoT and DTM both asked
    simulator.resetCounters();
    expect((await b.gql(query, { id: jobId })).data?.batchJob.status).toBe("PENDING_APPROVAL");
    expect(simulator.requestCounts()).toEqual({ [POLLS]: 1 });
  });
});

describe("with Redis down", () => {
  it("refuses an issuing mutation with an idempotency key (typed), issues without one, reads, reports it, and recovers", async () => {
    const [a] = await twoInstances();
    await redis.kill();
    const keyed = await a.gql(ISSUE, { input: await enrollment("down") });
    expect(keyed.data?.requestCertificate).toMatchObject({
      __typename: "ServiceUnavailableError",
      code: "SERVICE_UNAVAILABLE",
    });
    expect(simulator.requestCount(ISSUE_ROUTE)).toBe(0);

    const { idempotencyKey: _, ...unkeyed } = await enrollment("down-unkeyed");
    const issued = await a.gql(ISSUE, { input: unkeyed });
    expect(issued.data?.requestCertificate.__typename).toBe("CertificateIssued");
    const read = await a.gql(`{ profiles(first: 1) { edges { node { profileId } } } }`);
    expect(read.errors).toBeUndefined();
    expect(await a.readiness()).toEqual({ status: 200, body: { status: "degraded" } });

    await redis.start();
    // ioredis reconnects by itself (backing off to 2 s at most).
    await until(
      async () => JSON.stringify(await a.readiness()) === '{"status":200,"body":{"status":"ready"}}',
      5_000,
    );
    const again = await a.gql(ISSUE, { input: await enrollment("back") });
    expect(again.data?.requestCertificate.__typename).toBe("CertificateIssued");
  });
});
