import { request as httpRequest } from "node:http";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { JOB_SUBSCRIPTION, pendingIotJob, readJobSse } from "../helpers/jobs.js";
import { IOT_PROFILE_IDS } from "../../simulator/index.js";
import { type Stack, type StackOptions, startStack } from "../helpers/stack.js";

const POLLS = "GET /iot/api/v1/batch-enroll/:job_id";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each test stops its own gateway: stop() is once per app.
let stacks: Stack[] = [];
let dirs: string[] = [];
async function stack(options: StackOptions = {}): Promise<Stack> {
  const started = await startStack({ simulator: { batchStepMs: 150 }, ...options });
  stacks.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  stacks = [];
  dirs = [];
});

async function readyz(s: Stack): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL("/readyz", s.url));
  return { status: res.status, body: await res.json() };
}

describe("Shutdown", () => {
  it("turns readiness to 503 at once, serves through the drain window with Connection: close, then refuses", async () => {
    const s = await stack();
    expect(await readyz(s)).toEqual({ status: 200, body: { status: "ready" } });
    const stopped = s.app.stop({ drainMs: 400, graceMs: 1_000 });
    expect(await readyz(s)).toEqual({ status: 503, body: { status: "draining" } });
    const res = await fetch(s.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await s.token()}` },
      body: JSON.stringify({ query: "{ profiles(first: 1) { edges { node { profileId } } } }" }),
    });
    expect(res.headers.get("connection")).toBe("close");
    expect(((await res.json()) as any).data.profiles.edges).toHaveLength(1);
    await stopped;
    await expect(fetch(new URL("/healthz", s.url))).rejects.toThrow();
  });

  it("completes a graphql-ws subscription, closes its socket with 1001, and stops polling", async () => {
    const s = await stack();
    const token = await s.token();
    const jobId = await pendingIotJob(s.url, token, "shutdown-ws.iot.example.com");
    let closeCode = 0;
    const client = createClient({
      url: s.url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: { closed: (event) => void (closeCode = (event as { code: number }).code) },
    });
    let first!: () => void;
    const gotFirst = new Promise<void>((resolve) => (first = resolve));
    const outcome = new Promise<string>((resolve) => {
      client.subscribe(
        { query: JOB_SUBSCRIPTION, variables: { id: jobId } },
        {
          next: () => first(),
          error: (error) => resolve(`error ${JSON.stringify(error)}`),
          complete: () => resolve("complete"),
        },
      );
    });
    await gotFirst;
    const started = Date.now();
    await s.app.stop({ drainMs: 0, graceMs: 3_000 });
    expect(await outcome).toBe("complete");
    expect(Date.now() - started).toBeLessThan(3_000);
    await sleep(50);
    expect(closeCode).toBe(1001);
    const polls = s.simulator.requestCount(POLLS);
    await sleep(400); // the test stack polls every 50-200 ms
    expect(s.simulator.requestCount(POLLS)).toBe(polls);
    await client.dispose();
  });

  it("ends an SSE subscription with event: complete", async () => {
    const s = await stack();
    const token = await s.token();
    const jobId = await pendingIotJob(s.url, token, "shutdown-sse.iot.example.com");
    let stopped: Promise<void> | undefined;
    const stream = await readJobSse(s.url, token, jobId, () => {
      stopped = s.app.stop({ drainMs: 0, graceMs: 3_000 });
    });
    expect(stream).toEqual({ events: ["PENDING_APPROVAL 1/0/0"], completed: true });
    await stopped;
  });

  it("lets a slow upstream call in flight finish before it closes the pools", async () => {
    const s = await stack();
    s.simulator.injectFault({ route: "GET /mpki/api/v2/profile", kind: "slow-body", delayMs: 700, times: 1 });
    const answer = s.gql<any>("{ profiles(first: 2) { edges { node { profileId } } } }");
    await sleep(150);
    await s.app.stop({ drainMs: 0, graceMs: 5_000 });
    const result = await answer;
    expect(result.errors).toBeUndefined();
    expect(result.data.profiles.edges).toHaveLength(2);
  });

  it("cuts an upload still arriving at the grace deadline and removes its temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shutdown-upload-"));
    dirs.push(dir);
    const s = await stack({ uploadTmpDir: dir });
    const token = await s.token();
    const boundary = "----shutdown";
    const head =
      `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n` +
      JSON.stringify({
        query:
          "mutation($input: CreateIotBatchEnrollmentInput!) { createIotBatchEnrollment(input: $input) { __typename } }",
        variables: {
          input: {
            // Valid: the operation runs while the file arrives and waits on it (an invalid input is answered at once).
            enrollmentProfileId: IOT_PROFILE_IDS.deviceCsr,
            keyGeneration: "CLIENT_SIDE",
            certificateFormat: "JSON",
            file: null,
          },
        },
      }) +
      `\r\n--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}` +
      `\r\n--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="devices.csv"\r\ncontent-type: text/csv\r\n\r\n` +
      "csr,subject.common_name\r\n";
    // A client that sends the start of its file and then stalls, as a slow link would.
    const req = httpRequest(s.url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(Buffer.byteLength(head) + 1_000_000),
        "x-graphql-csrf": "1",
      },
    });
    const ended = new Promise<string>((resolve) => {
      req.on("response", (res) => resolve(`status ${res.statusCode}`));
      req.on("error", (error) => resolve(`error ${(error as NodeJS.ErrnoException).code}`));
    });
    req.write(head);
    for (let i = 0; i < 100 && (await readdir(dir)).length === 0; i++) await sleep(20);
    expect((await readdir(dir)).length).toBe(1);
    await s.app.stop({ drainMs: 0, graceMs: 300 });
    expect(await ended).toMatch(/^error /);
    expect(await readdir(dir)).toEqual([]);
  });

  it("answers /healthz and /readyz without a token and with nothing but a status word", async () => {
    const s = await stack();
    const health = await fetch(new URL("/healthz", s.url));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect(await readyz(s)).toEqual({ status: 200, body: { status: "ready" } });
    expect((await fetch(new URL("/readyz", s.url), { method: "POST" })).status).toBe(405);
  });

  it("reports not ready, and nothing more, while DigiCert fails its hello", async () => {
    const fresh = await stack({ app: { readinessCacheMs: 0 } });
    fresh.simulator.injectFault({ route: "GET /mpki/api/v1/hello", kind: "status", status: 503 });
    expect(await readyz(fresh)).toEqual({ status: 503, body: { status: "not ready" } });
    fresh.simulator.clearFaults();
    expect(await readyz(fresh)).toEqual({ status: 200, body: { status: "ready" } });
  });
});
