// What the bench scripts share: their child processes (bench/server.ts roles, a redis-server), deadlines, the
// simulator's DTM batch jobs, gateway /metrics, graphql-ws clients, CSRs, and the report's figures and lines.
// The children started here are registered here; `runBench` kills them (and removes their temp dirs) at the end.
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import * as x509 from "@peculiar/x509";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { DTM_IDS } from "../simulator/index.js";

x509.cryptoProvider.set(crypto);

// ---------------------------------------------------------------------------------------------------------------
// Options.
// ---------------------------------------------------------------------------------------------------------------

/** `--name` as a number from `min` to `max` (a whole one unless `integer` is false); throws otherwise. */
export function numberOption<V extends Record<string, unknown>>(
  values: V,
  name: keyof V & string,
  min: number,
  max: number,
  integer = true,
): number {
  const value = Number(values[name]);
  if (!(value >= min && value <= max) || (integer && !Number.isInteger(value)))
    throw new Error(`--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
  return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Children: bench/server.ts roles and redis-server, killed at the end.
// ---------------------------------------------------------------------------------------------------------------

const children: ChildProcess[] = [];
/** Removed once the children are gone. */
const tempDirs: string[] = [];

export interface Role {
  child: ChildProcess;
  info: { url: string; apiKey?: string; token?: string };
  /** The child's next stdout line (after the first, which is `info`). */
  nextLine(): Promise<string>;
}

/** Starts one bench/server.ts role in a child process and reads the JSON line it prints. */
export async function spawnRole(args: string[], nodeArgs: string[] = []): Promise<Role> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, "--import", "tsx", new URL("./server.ts", import.meta.url).pathname, ...args],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  const queue: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  const nextLine = () =>
    queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<string>((r) => waiters.push(r));
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`bench server ${args[0]} exited ${code}`))),
  );
  exited.catch(() => undefined);
  const line = await withTimeout(
    Promise.race([nextLine(), exited]),
    120_000,
    `starting bench server ${args[0]}`,
  );
  return { child, info: JSON.parse(line), nextLine };
}

export interface Simulator {
  url: string;
  apiKey: string;
}

/** The simulator role (`args`: its flags), as its URL and API key. */
export async function spawnSimulator(args: string[] = []): Promise<Simulator> {
  const role = await spawnRole(["simulator", ...args]);
  return { url: role.info.url, apiKey: role.info.apiKey! };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of its own: free loopback port, temporary directory, no persistence. Resolves with its URL. */
export async function startRedis(): Promise<string> {
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

export async function killChildren(): Promise<void> {
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

/**
 * Runs a bench's `main` and prints the report it returns. The whole run, whatever happens, is bounded by
 * `deadlineMs`: past it (exit 2), on SIGINT/SIGTERM (exit 130) or when `main` throws, the children are killed.
 */
export async function runBench(name: string, deadlineMs: number, main: () => Promise<string>): Promise<void> {
  const overall = setTimeout(() => {
    process.stderr.write(`bench:${name}: overall deadline passed; killing the children\n`);
    void killChildren().finally(() => process.exit(2));
  }, deadlineMs);
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
}

// ---------------------------------------------------------------------------------------------------------------
// Deadlines and concurrency.
// ---------------------------------------------------------------------------------------------------------------

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` every `everyMs` until it returns true; throws after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  everyMs = 100,
) {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` over `items` with at most `concurrency` at once, in order of start. */
export async function pool<T, R>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<R>) {
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

/** Like `until`, but resolves false instead of throwing when `check` is not true within `ms` (or throws). */
export async function reached(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  everyMs = 100,
): Promise<boolean> {
  try {
    await until(check, ms, what, everyMs);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A child's memory.
// ---------------------------------------------------------------------------------------------------------------

/** A process's resident set size in bytes, from /proc (Linux). */
export function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** The gateway's memory after a full GC (bench/server.ts --stats-on-sigusr2, node --expose-gc), and its VmRSS then. */
export async function gcStats(role: Role): Promise<{ rss: number; heapUsed: number; external: number }> {
  role.child.kill("SIGUSR2");
  const line = await withTimeout(role.nextLine(), 30_000, "gateway stats");
  const { memory } = JSON.parse(line) as { memory: { heapUsed: number; external: number } };
  return { rss: rssOf(role.child.pid!), heapUsed: memory.heapUsed, external: memory.external };
}

// ---------------------------------------------------------------------------------------------------------------
// CSRs: the private keys stay in this process's memory.
// ---------------------------------------------------------------------------------------------------------------

/** A fresh P-256 key and a CSR naming `commonName`. */
export async function p256Csr(commonName: string): Promise<string> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await crypto.subtle.generateKey(alg, false, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: alg,
  });
  return csr.toString("pem");
}

/** A fresh RSA-2048 key and a CSR with the subject `name`, for DTM batch CSV rows. */
export async function rsaCsr(name: string, extractable = false): Promise<string> {
  const alg = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const keys = (await crypto.subtle.generateKey(alg, extractable, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: alg });
  return csr.toString("pem");
}

/** A few RSA-2048 CSRs, reused across jobs (a device's name comes from its CSV row, not its CSR). */
export async function deviceCsrs(count: number, extractable = false): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++)
    out.push(await rsaCsr(`CN=bench-device-${i}.example.com, O=Example Devices, OU=Bench`, extractable));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The simulator's DTM batch jobs and request counters.
// ---------------------------------------------------------------------------------------------------------------

export const BATCH_BASE = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
/** The simulator's counter key for one job's GET: what a gateway's poll costs upstream. */
export const JOB_GET_ROUTE = `GET ${BATCH_BASE}/:id`;

export async function simulatorJson(
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

/** The simulator's requests per route since the last DELETE (GET), or a reset of them (DELETE: `{}`). */
export async function simulatorCounters(
  sim: Simulator,
  method: "GET" | "DELETE",
): Promise<Record<string, number>> {
  const res = await fetch(`${sim.url}/_simulator/counters`, { method, signal: AbortSignal.timeout(10_000) });
  return res.status === 204 ? {} : ((await res.json()) as Record<string, number>);
}

/**
 * Creates one DTM batch job of one device on the approval policy: it will rest in PENDING_APPROVAL.
 * The device is `${names.device}-${index}` (index zero-padded to 5), the job `${names.job} ${index}`.
 */
export async function createJob(
  sim: Simulator,
  names: { device: string; job: string },
  index: number,
  csr: string,
): Promise<string> {
  const device = `${names.device}-${String(index).padStart(5, "0")}`;
  const csv =
    "device_name,subject.common_name,subject.organization_name,subject.organization_unit,csr\r\n" +
    `${device},${device}.example.com,Example Devices,Bench,"${csr.trim()}"\r\n`;
  const form = new FormData();
  form.set("job_type", "device_registration");
  form.set("name", `${names.job} ${index}`);
  form.set("device_group_id", DTM_IDS.deviceGroups.factoryLine);
  form.set("certificate_policy_id", DTM_IDS.certificatePolicies.factoryApproval);
  form.set("server_side_key_gen", "false");
  form.set("data", new Blob([csv], { type: "text/csv" }), `${device}.csv`);
  const answer = (await simulatorJson(sim, "POST", BATCH_BASE, form)) as { id: string };
  return answer.id;
}

/** `count` jobs (see `createJob`), 8 at a time, the CSRs dealt in turn; within 5 minutes. */
export function createJobs(
  sim: Simulator,
  names: { device: string; job: string },
  count: number,
  csrs: string[],
): Promise<string[]> {
  return withTimeout(
    pool(
      Array.from({ length: count }, (_, i) => i),
      8,
      (i) => createJob(sim, names, i, csrs[i % csrs.length]!),
    ),
    300_000,
    "creating jobs",
  );
}

export async function countJobs(sim: Simulator, statuses: string): Promise<number> {
  const answer = (await simulatorJson(sim, "GET", `${BATCH_BASE}?status=${statuses}&limit=1`)) as {
    total: number;
  };
  return answer.total;
}

/** Waits until `jobs` jobs rest in PENDING_APPROVAL; throws as soon as any job ends, or after `ms`. */
export async function untilPendingApproval(sim: Simulator, jobs: number, ms: number): Promise<void> {
  await until(
    async () => {
      if ((await countJobs(sim, "FAILED,COMPLETE,TERMINATED")) > 0) throw new Error("a bench job failed");
      return (await countJobs(sim, "PENDING_APPROVAL")) >= jobs;
    },
    ms,
    "jobs reaching PENDING_APPROVAL",
    250,
  );
}

/** Approves one job on the simulator; it answers (204) once the job is COMPLETE. */
export async function approveJob(sim: Simulator, jobId: string): Promise<void> {
  const res = await fetch(new URL(`${BATCH_BASE}/${jobId}/approve`, sim.url), {
    method: "PUT",
    headers: { "x-api-key": sim.apiKey },
    signal: AbortSignal.timeout(30_000),
  });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`approve ${jobId}: HTTP ${res.status}`);
}

/** A DTM batch job's global id (what the product's API names it by). */
export const jobGlobalId = (jobId: string) => Buffer.from(`DtmBatchJob:${jobId}`).toString("base64");

// ---------------------------------------------------------------------------------------------------------------
// Gateways: /metrics, GraphQL over HTTP, graphql-ws.
// ---------------------------------------------------------------------------------------------------------------

export const JOB_STATUS_SUBSCRIPTION = `subscription($id: ID!) { batchJobStatusChanged(id: $id) { jobId status } }`;

/** A gateway's /metrics text (served on its own port). */
export async function gatewayMetrics(gatewayUrl: string): Promise<string> {
  const res = await fetch(new URL("/metrics", gatewayUrl), { signal: AbortSignal.timeout(10_000) });
  return res.text();
}

/**
 * POSTs one GraphQL operation to `url` with a bearer `token`, within `timeoutMs`: the answer's status and text, or
 * why none came (`timeout`: past `timeoutMs`; `connection`: anything else, a dropped connection included).
 */
export async function postGraphql(
  url: string,
  token: string,
  query: string,
  variables: Record<string, unknown>,
  timeoutMs: number,
): Promise<{ status: number; text: string } | { failed: "timeout" | "connection" }> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, text: await res.text() };
  } catch (error) {
    return { failed: (error as Error).name === "TimeoutError" ? "timeout" : "connection" };
  }
}

/** What each gateway says about its shared store: "gateway_shared_store_up 1" on /metrics, or "absent". */
export function sharedStoreUp(gatewayUrls: string[]): Promise<string[]> {
  return Promise.all(
    gatewayUrls.map(
      async (url) => /^gateway_shared_store_up (\d)/m.exec(await gatewayMetrics(url))?.[1] ?? "absent",
    ),
  );
}

/** One subscriber's record: when it got its first event, and when the first different status arrived. */
export interface JobSubscriber {
  job: number;
  firstAt: number | null;
  firstStatus: string | null;
  changedAt: number | null;
  changedStatus: string | null;
  completedAt: number | null;
  error: unknown;
}

export const newJobSubscriber = (job: number): JobSubscriber => ({
  job,
  firstAt: null,
  firstStatus: null,
  changedAt: null,
  changedStatus: null,
  completedAt: null,
  error: null,
});

/** Subscribes `sub` to `batchJobStatusChanged(id: globalId)` on `client`, recording into it; returns the leave. */
export function subscribeJobStatus(client: Client, globalId: string, sub: JobSubscriber): () => void {
  return client.subscribe<{ batchJobStatusChanged: { jobId: string; status: string } }>(
    { query: JOB_STATUS_SUBSCRIPTION, variables: { id: globalId } },
    {
      next: (result) => {
        const now = performance.now();
        if (result.errors) {
          sub.error ??= result.errors;
          return;
        }
        const status = result.data?.batchJobStatusChanged.status ?? null;
        if (sub.firstAt === null) {
          sub.firstAt = now;
          sub.firstStatus = status;
        } else if (sub.changedAt === null && status !== sub.firstStatus) {
          sub.changedAt = now;
          sub.changedStatus = status;
        }
      },
      error: (error) => {
        sub.error ??= error;
      },
      complete: () => {
        sub.completedAt = performance.now();
      },
    },
  );
}

/**
 * A lazy graphql-ws client of a gateway (`url`: http or ws), no retries; `unexpected` hears of a close other than
 * 1000 and of socket errors (with the error's text when `describeErrors`).
 */
export function wsClient(
  url: string,
  token: string,
  unexpected: (why: string) => void,
  describeErrors = false,
): Client {
  return createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
    on: {
      closed: (event) => {
        const code = (event as { code?: number } | undefined)?.code;
        if (code !== 1000) unexpected(`socket closed with ${code}`);
      },
      error: (error) => unexpected(describeErrors ? `socket error: ${String(error)}` : "socket error"),
    },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Figures and report lines.
// ---------------------------------------------------------------------------------------------------------------

/** The `q` quantile of an ascending array (NaN when empty). */
export function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

export const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** Adds one to `key`'s count. */
export const tally = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** "key count, key count" in the map's order (or most first, with `byCount`). */
export function listCounts(map: Map<string, number>, byCount = false): string {
  const entries = [...map.entries()];
  if (byCount) entries.sort((a, b) => b[1] - a[1]);
  return entries.map(([k, v]) => `${k} ${v}`).join(", ");
}

/** An installed package's version, from node_modules. */
export function packageVersion(name: string): string {
  return (
    JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;
}

/** The report's "Run: … Machine: …" line: when, the CPUs and memory, Node, and the versions of `packages`. */
export function machineLine(started: Date, packages: string[]): string {
  return `Run: ${started.toISOString()}. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${packages.map((name) => `${name} ${packageVersion(name)}`).join(", ")}.`;
}

/** How a two-instance bench ran, for its title. */
export const storeMode = (useRedis: boolean) =>
  useRedis ? "sharedStore on Redis" : "**no sharedStore (--no-redis)**";
