// Benchmark (issue 12): subscriptions across instances. `--jobs` × `--per-job` graphql-ws subscribers of batch job
// status, each job's subscribers spread over two gateway instances (one simulator, one Redis), and the upstream job
// polls per poll interval in total (target: at most one per job per interval). Then a few jobs are approved and every
// one of their subscribers, on either instance, should receive COMPLETE.
// Usage: npm run bench:cluster-subscriptions [-- --jobs 1000 --per-job 10 --sockets 20 --poll-ms 1000 --no-redis ...]
// --no-redis runs the same without sharedStore: each instance polls its own subscribers' jobs, so polls double.
// Processes on loopback: the simulator, two gateways (bench/server.ts roles), redis-server, and this client.
// Every phase has a deadline; the children are killed at the end.
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import * as x509 from "@peculiar/x509";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { DTM_IDS } from "../simulator/index.js";

x509.cryptoProvider.set(crypto);

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    "per-job": { type: "string", default: "10" },
    /** graphql-ws sockets per instance. */
    sockets: { type: "string", default: "20" },
    "poll-ms": { type: "string", default: "1000" },
    "step-ms": { type: "string", default: "10" },
    window: { type: "string", default: "10" },
    approve: { type: "string", default: "50" },
    "no-redis": { type: "boolean", default: false },
  },
});
function int(name: keyof typeof values, min: number, max: number): number {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return value;
}
const JOBS = int("jobs", 1, 5000);
const PER_JOB = int("per-job", 1, 100);
const SOCKETS = int("sockets", 1, 500);
const POLL_MS = int("poll-ms", 100, 60_000);
const STEP_MS = int("step-ms", 1, 1000);
const WINDOW_S = int("window", 1, 120);
const APPROVE = Math.min(int("approve", 0, 5000), JOBS);
const USE_REDIS = !values["no-redis"];
const SUBSCRIBERS = JOBS * PER_JOB;
/** Subscriber k is on instance floor(k / JOBS) % 2: a job's subscribers alternate between the instances. */
const instanceOf = (k: number) => Math.floor(k / JOBS) % 2;
/** A holds the larger half: ceil(PER_JOB / 2) subscribers of each job. */
const PER_SOCKET = Math.ceil((Math.ceil(PER_JOB / 2) * JOBS) / SOCKETS);
if (PER_SOCKET > 2000) throw new Error("more than 2000 subscriptions per socket: raise --sockets");

const OVERALL_DEADLINE_MS = 15 * 60_000;
const BATCH_BASE = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
const JOB_GET_ROUTE = `GET ${BATCH_BASE}/:id`;
const SUBSCRIPTION = `subscription($id: ID!) { batchJobStatusChanged(id: $id) { jobId status } }`;

const children: ChildProcess[] = [];
const tempDirs: string[] = [];

/** Starts one bench/server.ts role in a child process and reads the JSON line it prints. */
async function spawnRole(
  args: string[],
): Promise<{ child: ChildProcess; info: { url: string; apiKey?: string; token?: string } }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./server.ts", import.meta.url).pathname, ...args],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  const line = await withTimeout(
    new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`bench server ${args[0]} exited ${code}`)));
    }),
    120_000,
    `starting bench server ${args[0]}`,
  );
  return { child, info: JSON.parse(line) };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of its own: free loopback port, temporary directory, no persistence. */
async function startRedis(): Promise<string> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  tempDirs.push(dir);
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      let output = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) resolve();
      });
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`redis-server exited ${code}: ${output.slice(-300)}`)));
    }),
    10_000,
    "starting redis-server",
  );
  return `redis://127.0.0.1:${port}`;
}

async function killChildren(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` every `everyMs` until it returns true; throws after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 100) {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` over `items` with at most `concurrency` at once, in order of start. */
async function pool<T, R>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** A few RSA-2048 CSRs, reused across jobs (a device's name comes from its CSV row, not its CSR). */
async function csrs(count: number): Promise<string[]> {
  const alg = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const keys = (await crypto.subtle.generateKey(alg, false, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=bench-device-${i}.example.com, O=Example Devices, OU=Bench`,
      keys,
      signingAlgorithm: alg,
    });
    out.push(csr.toString("pem"));
  }
  return out;
}

interface Simulator {
  url: string;
  apiKey: string;
}

async function simulatorJson(
  sim: Simulator,
  method: string,
  path: string,
  body?: FormData,
): Promise<unknown> {
  const res = await fetch(new URL(path, sim.url), {
    method,
    headers: { "x-api-key": sim.apiKey },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

async function counters(sim: Simulator, method: "GET" | "DELETE"): Promise<Record<string, number>> {
  const res = await fetch(`${sim.url}/_simulator/counters`, { method, signal: AbortSignal.timeout(10_000) });
  return res.status === 204 ? {} : ((await res.json()) as Record<string, number>);
}

/** Creates one DTM batch job of one device on the approval policy: it will rest in PENDING_APPROVAL. */
async function createJob(sim: Simulator, runId: string, index: number, csr: string): Promise<string> {
  const device = `cluster-${runId}-${String(index).padStart(5, "0")}`;
  const csv =
    "device_name,subject.common_name,subject.organization_name,subject.organization_unit,csr\r\n" +
    `${device},${device}.example.com,Example Devices,Bench,"${csr.trim()}"\r\n`;
  const form = new FormData();
  form.set("job_type", "device_registration");
  form.set("name", `bench cluster subscriptions ${index}`);
  form.set("device_group_id", DTM_IDS.deviceGroups.factoryLine);
  form.set("certificate_policy_id", DTM_IDS.certificatePolicies.factoryApproval);
  form.set("server_side_key_gen", "false");
  form.set("data", new Blob([csv], { type: "text/csv" }), `${device}.csv`);
  const answer = (await simulatorJson(sim, "POST", BATCH_BASE, form)) as { id: string };
  return answer.id;
}

async function countJobs(sim: Simulator, statuses: string): Promise<number> {
  const answer = (await simulatorJson(sim, "GET", `${BATCH_BASE}?status=${statuses}&limit=1`)) as {
    total: number;
  };
  return answer.total;
}

/** One gateway's job poll count (gateway_job_polls_total, all outcomes) and active pollers, from its /metrics. */
async function gatewayPolls(gatewayUrl: string): Promise<{ polls: number; pollers: number }> {
  const text = await (
    await fetch(new URL("/metrics", gatewayUrl), { signal: AbortSignal.timeout(10_000) })
  ).text();
  let polls = 0;
  for (const match of text.matchAll(/^gateway_job_polls_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)/gm))
    polls += Number(match[1]);
  const pollers = Number(/^gateway_job_pollers_active (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  return { polls, pollers };
}

interface Subscriber {
  job: number;
  instance: number;
  firstStatus: string | null;
  changedAt: number | null;
  changedStatus: string | null;
  error: unknown;
}

async function main(): Promise<string> {
  const started = new Date();
  const runId = Date.now().toString(36);
  const pkg = (name: string) =>
    (
      JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")) as {
        version: string;
      }
    ).version;

  const csrList = await csrs(4);
  const simRole = await spawnRole(["simulator", "--dtm-step-ms", String(STEP_MS)]);
  const sim: Simulator = { url: simRole.info.url, apiKey: simRole.info.apiKey! };
  const redisUrl = USE_REDIS ? await startRedis() : null;
  const gatewayArgs = [
    "--job-poll-ms",
    String(POLL_MS),
    "--max-ops-per-socket",
    String(Math.max(PER_SOCKET, 20)),
    ...(redisUrl ? ["--redis-url", redisUrl] : []),
  ];
  const gateways = await Promise.all([
    spawnRole(["gateway", sim.url, ...gatewayArgs]),
    spawnRole(["gateway", sim.url, ...gatewayArgs]),
  ]);
  const sharedStoreUp = await Promise.all(
    gateways.map(async (g) => {
      const text = await (await fetch(new URL("/metrics", g.info.url))).text();
      return /^gateway_shared_store_up (\d)/m.exec(text)?.[1] ?? "absent";
    }),
  );

  // 1. Jobs, straight on the simulator, until every one rests in PENDING_APPROVAL.
  let t0 = performance.now();
  const jobIds = await withTimeout(
    pool(
      Array.from({ length: JOBS }, (_, i) => i),
      8,
      (i) => createJob(sim, runId, i, csrList[i % csrList.length]!),
    ),
    300_000,
    "creating jobs",
  );
  await until(
    async () => {
      if ((await countJobs(sim, "FAILED,COMPLETE,TERMINATED")) > 0) throw new Error("a bench job failed");
      return (await countJobs(sim, "PENDING_APPROVAL")) >= JOBS;
    },
    JOBS * STEP_MS * 4 + 120_000,
    "jobs reaching PENDING_APPROVAL",
    250,
  );
  const jobsMs = performance.now() - t0;
  const globalIds = jobIds.map((id) => Buffer.from(`DtmBatchJob:${id}`).toString("base64"));

  // 2. Subscribe: SOCKETS graphql-ws clients per instance, subscriptions dealt over them in turn.
  const problems = new Map<string, number>();
  const note = (why: string) => problems.set(why, (problems.get(why) ?? 0) + 1);
  const clients: Client[][] = gateways.map((g) =>
    Array.from({ length: SOCKETS }, () =>
      createClient({
        url: g.info.url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${g.info.token}` },
        retryAttempts: 0,
        lazy: true,
        on: {
          closed: (event) => {
            const code = (event as { code?: number } | undefined)?.code;
            if (code !== 1000) note(`socket closed with ${code}`);
          },
          error: () => note("socket error"),
        },
      }),
    ),
  );
  const subscribers: Subscriber[] = [];
  const dealt = [0, 0];
  await counters(sim, "DELETE");
  t0 = performance.now();
  for (let k = 0; k < SUBSCRIBERS; k++) {
    const sub: Subscriber = {
      job: k % JOBS,
      instance: instanceOf(k),
      firstStatus: null,
      changedAt: null,
      changedStatus: null,
      error: null,
    };
    subscribers.push(sub);
    const client = clients[sub.instance]![dealt[sub.instance]!++ % SOCKETS]!;
    client.subscribe<{ batchJobStatusChanged: { status: string } }>(
      { query: SUBSCRIPTION, variables: { id: globalIds[sub.job] } },
      {
        next: (result) => {
          if (result.errors) {
            sub.error ??= result.errors;
            return;
          }
          const status = result.data?.batchJobStatusChanged.status ?? null;
          if (sub.firstStatus === null) sub.firstStatus = status;
          else if (sub.changedAt === null && status !== sub.firstStatus) {
            sub.changedAt = performance.now();
            sub.changedStatus = status;
          }
        },
        error: (error) => {
          sub.error ??= error;
        },
        complete: () => undefined,
      },
    );
    if (k % 500 === 499) await sleep(0);
  }
  await until(
    () => subscribers.every((s) => s.firstStatus !== null || s.error !== null),
    240_000,
    "every subscriber's first event",
    50,
  );
  const subscribeMs = performance.now() - t0;
  const failed = subscribers.filter((s) => s.error !== null);
  if (failed.length > 0)
    throw new Error(
      `${failed.length} subscriptions failed, e.g. ${String(failed[0]!.error)} ${JSON.stringify(failed[0]!.error)}; sockets: ${[...problems.entries()].map(([k, v]) => `${k} ${v}`).join(", ")}`,
    );
  const subscribeGets = (await counters(sim, "GET"))[JOB_GET_ROUTE] ?? 0;

  // 3. Upstream polls in a quiet window (after two intervals to settle): nothing changes, every subscriber stays.
  await sleep(2 * POLL_MS);
  const metricsBefore = await Promise.all(gateways.map((g) => gatewayPolls(g.info.url)));
  await counters(sim, "DELETE");
  t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const windowCounts = await counters(sim, "GET");
  const windowMs = performance.now() - t0;
  const metricsAfter = await Promise.all(gateways.map((g) => gatewayPolls(g.info.url)));
  const polls = windowCounts[JOB_GET_ROUTE] ?? 0;
  const otherRequests = Object.entries(windowCounts)
    .filter(([key]) => key !== JOB_GET_ROUTE)
    .reduce((a, [, n]) => a + n, 0);
  const perInterval = (polls / (windowMs / 1000)) * (POLL_MS / 1000);
  const perInstancePolls = metricsAfter.map(
    (m, g) => ((m.polls - metricsBefore[g]!.polls) / (windowMs / 1000)) * (POLL_MS / 1000),
  );

  // 4. Delivery: approve APPROVE jobs; each of their subscribers, on both instances, should receive COMPLETE.
  const approvedAt = new Map<number, number>();
  for (let j = 0; j < APPROVE; j++) {
    const res = await fetch(new URL(`${BATCH_BASE}/${jobIds[j]}/approve`, sim.url), {
      method: "PUT",
      headers: { "x-api-key": sim.apiKey },
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    if (res.status !== 204) throw new Error(`approve ${jobIds[j]}: HTTP ${res.status}`);
    approvedAt.set(j, performance.now());
  }
  const watched = subscribers.filter((s) => approvedAt.has(s.job));
  let deliveryTimedOut = false;
  try {
    await until(
      () => watched.every((s) => s.changedAt !== null || s.error !== null),
      10 * POLL_MS + 30_000,
      "COMPLETE events",
      50,
    );
  } catch {
    deliveryTimedOut = true;
  }
  const delivered = watched.filter((s) => s.changedAt !== null);
  const deliveredOn = [0, 1].map((g) => delivered.filter((s) => s.instance === g).length);
  const watchedOn = [0, 1].map((g) => watched.filter((s) => s.instance === g).length);
  const wrongStatus = delivered.filter((s) => s.changedStatus !== "COMPLETE").length;
  const latency = delivered.map((s) => s.changedAt! - approvedAt.get(s.job)!).sort((a, b) => a - b);
  const pct = (q: number) =>
    latency[Math.min(latency.length - 1, Math.floor(latency.length * q))] ?? Number.NaN;

  for (const instanceClients of clients) for (const client of instanceClients) await client.dispose();

  const out: string[] = [];
  out.push(
    `## Subscriptions across instances: ${SUBSCRIBERS.toLocaleString("en")} subscribers on ${JOBS.toLocaleString("en")} jobs over two instances, ${USE_REDIS ? "sharedStore on Redis" : "**no sharedStore (--no-redis)**"}\n`,
  );
  out.push(
    `Run: ${started.toISOString()}. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; graphql-yoga ${pkg("graphql-yoga")}, graphql-ws ${pkg("graphql-ws")}, ioredis ${pkg("ioredis")}.`,
  );
  out.push(
    `Layout: the simulator (DTM job step ${STEP_MS} ms), two gateways (A, B; \`bench/server.ts gateway --job-poll-ms ${POLL_MS} --max-ops-per-socket ${Math.max(PER_SOCKET, 20)}${USE_REDIS ? " --redis-url" : ""}\`)${USE_REDIS ? ", one redis-server" : ""}, and this client: ${SOCKETS} graphql-ws sockets per instance. ` +
      `Each job has ${PER_JOB} subscribers alternating between A and B (A ${subscribers.filter((s) => s.instance === 0).length}, B ${subscribers.filter((s) => s.instance === 1).length}). Poll interval (jobPolling min = max) ${POLL_MS} ms, so "per interval" is polls per ${POLL_MS} ms.\n`,
  );
  out.push("| figure | value |");
  out.push("|---|---|");
  out.push(
    `| shared store, as the gateways report it (\`gateway_shared_store_up\`) | A: ${sharedStoreUp[0]}, B: ${sharedStoreUp[1]} |`,
  );
  out.push(
    `| setup | ${JOBS} jobs PENDING_APPROVAL after ${fmt(jobsMs / 1000)} s; ${SUBSCRIBERS.toLocaleString("en")} subscriptions with their first event in ${fmt(subscribeMs / 1000)} s (upstream job GETs meanwhile: ${subscribeGets}); ${subscribers.filter((s) => s.firstStatus !== "PENDING_APPROVAL").length} first events not PENDING_APPROVAL |`,
  );
  out.push(
    `| **upstream job polls, ${fmt(windowMs / 1000)} s quiet window (simulator)** | ${polls} job GETs = **${fmt(perInterval)} per ${POLL_MS} ms interval** in total for ${JOBS} jobs (target ≤ ${JOBS}: **${perInterval <= JOBS ? "met" : "not met"}**; ${fmt(perInterval / JOBS, 3)} per job per interval); other upstream requests: ${otherRequests} |`,
  );
  out.push(
    `| per instance (\`gateway_job_polls_total\`, \`gateway_job_pollers_active\`) | A ${fmt(perInstancePolls[0]!)} polls per interval, ${metricsAfter[0]!.pollers} pollers; B ${fmt(perInstancePolls[1]!)} polls per interval, ${metricsAfter[1]!.pollers} pollers |`,
  );
  out.push(
    `| delivery after approving ${APPROVE} jobs | ${delivered.length} of ${watched.length} of their subscribers received the new status (A ${deliveredOn[0]} of ${watchedOn[0]}, B ${deliveredOn[1]} of ${watchedOn[1]})${deliveryTimedOut ? " (**timed out waiting for the rest**)" : ""}; ${wrongStatus} got a status other than COMPLETE; approve answered → event p50 ${fmt(pct(0.5))} ms, p99 ${fmt(pct(0.99))} ms |`,
  );
  if (problems.size > 0)
    out.push(`| problems | ${[...problems.entries()].map(([k, v]) => `${k} ${v}`).join(", ")} |`);
  out.push("");
  return out.join("\n");
}

const overall = setTimeout(() => {
  process.stderr.write("bench:cluster-subscriptions: overall deadline passed; killing the children\n");
  void killChildren().finally(() => process.exit(2));
}, OVERALL_DEADLINE_MS);
overall.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void killChildren().finally(() => process.exit(130)));
}

let report: string;
try {
  report = await main();
} catch (error) {
  await killChildren();
  throw error;
}
await killChildren();
clearTimeout(overall);
console.log(report);
process.exit(0);
