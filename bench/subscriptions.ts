// Benchmark (issues 4 and 14): graphql-ws subscribers of batch job status in ONE gateway process.
//   --scenario p4 (default; issue 14, target P4): adaptive polling within a tenant's budget of upstream polls per
//     second. One tenant watches jobs that move (IN_PROGRESS, a count changing at random) or wait for approval; each
//     change is timed from the moment it becomes readable upstream to each subscriber's event, next to the polls per
//     second the gateway made. Runs: `active` (--active-jobs moving jobs at --budget), `scale` (--scale-jobs moving
//     jobs at --budget: the budget holds, latency degrades evenly), `mixed` (--scale-jobs jobs of which
//     --mixed-moving move and the rest wait, some approved during the window), `default` (a small tenant at the
//     gateway's default budget).
//   --scenario fanout (issue 4): --jobs jobs × --per-job subscribers at a fixed --poll-ms, no budget: upstream polls
//     per interval, delivery latency (p50/p99) and gateway RSS per subscriber.
// Usage: npm run bench:subscriptions [-- --scenario p4 --budget 500 ...] (--help lists every flag)
// Processes on loopback: the simulator, the gateway (both bench/server.ts roles) and this client; in p4 the gateway's
// upstream is this client, which answers the jobs' GETs itself (so that it knows when each change became readable)
// and forwards everything else to the simulator. Every phase has a deadline and the children are killed at the end.
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { Client } from "graphql-ws";
import { JOB_POLLING_DEFAULTS } from "../src/tenants.js";
import {
  BATCH_BASE,
  JOB_GET_ROUTE,
  type JobSubscriber,
  type Simulator,
  approveJob,
  createJobs,
  deviceCsrs,
  fmt,
  gcStats,
  jobGlobalId,
  machineLine,
  mib,
  newJobSubscriber,
  numberOption,
  pct,
  reached,
  rssOf,
  runBench,
  simulatorCounters,
  simulatorJson,
  spawnRole,
  spawnSimulator,
  subscribeJobStatus,
  until,
  untilPendingApproval,
  wsClient,
} from "./harness.js";

const FLAGS = {
  scenario: {
    type: "string",
    default: "p4",
    help: "p4 (issue 14: adaptive polling, budget) or fanout (issue 4)",
  },
  // p4
  runs: { type: "string", default: "active,scale,mixed,default", help: "p4: which runs, comma-separated" },
  budget: {
    type: "string",
    default: "500",
    help: "p4: the tenant's budget, polls/s, in active, scale and mixed",
  },
  "active-jobs": { type: "string", default: "100", help: "p4 active: moving jobs" },
  "scale-jobs": { type: "string", default: "1000", help: "p4 scale and mixed: jobs" },
  "mixed-moving": { type: "string", default: "100", help: "p4 mixed: of --scale-jobs, how many move" },
  "mixed-approvals": {
    type: "string",
    default: "100",
    help: "p4 mixed: waiting jobs approved during the window",
  },
  "default-jobs": { type: "string", default: "10", help: "p4 default: jobs at the default budget" },
  "default-moving": { type: "string", default: "2", help: "p4 default: of --default-jobs, how many move" },
  "change-ms": { type: "string", default: "1000", help: "p4: mean time between a moving job's changes, ms" },
  "p4-window": { type: "string", default: "20", help: "p4: measurement window, s (default run: 3×)" },
  "p4-warmup": {
    type: "string",
    default: "auto",
    help: "p4: warm-up before the window, s (auto: 3 s, or long enough for waiting jobs to settle)",
  },
  "p4-per-job": { type: "string", default: "2", help: "p4: subscribers per job, on different sockets" },
  "p4-sockets": { type: "string", default: "10", help: "p4: graphql-ws sockets" },
  seed: { type: "string", default: "14", help: "p4: seed of the changes' timing" },
  // fanout
  jobs: { type: "string", default: "1000", help: "fanout: jobs" },
  "per-job": { type: "string", default: "10", help: "fanout: subscribers per job" },
  sockets: { type: "string", default: "100", help: "fanout: graphql-ws sockets" },
  "poll-ms": { type: "string", default: "1000", help: "fanout: gateway jobPolling min = max, ms" },
  "step-ms": { type: "string", default: "10", help: "fanout: simulator DTM job step, ms" },
  window: { type: "string", default: "10", help: "fanout: quiet polling window, s" },
  approve: { type: "string", default: "200", help: "fanout: jobs approved" },
  "approve-gap-ms": { type: "string", default: "25", help: "fanout: gap between approvals, ms" },
  /** How subscribers name the job: its global id (names the product), or DigiCert's bare job id. */
  ids: {
    type: "string",
    default: "global",
    help: "fanout: global (global ids) or uuid (DigiCert's bare job ids)",
  },
  help: { type: "boolean", default: false, help: "this list" },
} as const;
const { values } = parseArgs({ options: FLAGS });
if (values.help) {
  const lines = Object.entries(FLAGS).map(
    ([name, flag]) => `  --${name}${flag.type === "string" ? ` (${flag.default})` : ""}: ${flag.help}`,
  );
  console.log(`Usage: npm run bench:subscriptions [-- flags]\n${lines.join("\n")}`);
  process.exit(0);
}
if (values.scenario !== "p4" && values.scenario !== "fanout")
  throw new Error("--scenario must be p4 or fanout");
const int = (name: keyof typeof values, min: number, max: number) => numberOption(values, name, min, max);
const JOBS = int("jobs", 1, 5000);
const PER_JOB = int("per-job", 1, 100);
const SOCKETS = int("sockets", 1, 1000);
const POLL_MS = int("poll-ms", 100, 60_000);
const STEP_MS = int("step-ms", 1, 1000);
const WINDOW_S = int("window", 1, 120);
const APPROVE = Math.min(int("approve", 0, 5000), JOBS);
const APPROVE_GAP_MS = int("approve-gap-ms", 0, 1000);
if (values.ids !== "global" && values.ids !== "uuid") throw new Error("--ids must be global or uuid");
const BARE_IDS = values.ids === "uuid";
const SUBSCRIBERS = JOBS * PER_JOB;
const PER_SOCKET = Math.ceil(SUBSCRIBERS / SOCKETS);
if (values.scenario === "fanout" && PER_SOCKET > 1000) {
  throw new Error("more than 1000 subscriptions per socket: raise --sockets");
}

/** The whole run, whatever happens: children are killed and the process exits past it. */
const OVERALL_DEADLINE_MS = 14 * 60_000;

/** The median of a few RSS samples over `ms` (RSS moves with GC). */
async function steadyRss(pid: number, ms = 1000, samples = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < samples; i++) {
    xs.push(rssOf(pid));
    await sleep(ms / samples);
  }
  return median(xs);
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Issue 4: --jobs × --per-job subscribers at a fixed poll interval and no budget. */
async function fanout(): Promise<string> {
  const out: string[] = [];
  const started = new Date();

  const csrList = await deviceCsrs(4, true);
  const sim = await spawnSimulator(["--dtm-step-ms", String(STEP_MS)]);
  const gwRole = await spawnRole(
    [
      "gateway",
      sim.url,
      "--job-poll-ms",
      String(POLL_MS),
      "--job-poll-budget",
      "off",
      "--max-ops-per-socket",
      String(PER_SOCKET),
      "--stats-on-sigusr2",
    ],
    ["--expose-gc"],
  );
  const gatewayPid = gwRole.child.pid!;
  const wsUrl = gwRole.info.url.replace(/^http/, "ws");
  const token = gwRole.info.token!;
  const rssAtStart = await steadyRss(gatewayPid, 500);

  // 1. Jobs, straight on the simulator, until every one rests in PENDING_APPROVAL.
  const runId = Date.now().toString(36);
  let t0 = performance.now();
  const jobIds = await createJobs(
    sim,
    { device: `bench-${runId}`, job: "bench subscriptions" },
    JOBS,
    csrList,
  );
  const createMs = performance.now() - t0;
  await untilPendingApproval(sim, JOBS, JOBS * STEP_MS * 4 + 120_000);
  const pendingMs = performance.now() - t0;
  const globalIds = jobIds.map((id) => (BARE_IDS ? id : jobGlobalId(id)));

  // 2. Warm-up: one socket, a few subscriptions, then left (the gateway's code paths JIT-compiled).
  const problems: string[] = [];
  const unexpected = (why: string) => {
    if (problems.length < 20) problems.push(why);
  };
  {
    const warm = wsClient(wsUrl, token, () => undefined);
    const subs: JobSubscriber[] = [];
    const leaves: (() => void)[] = [];
    for (let j = 0; j < Math.min(PER_SOCKET, JOBS); j++) {
      const sub = newJobSubscriber(j);
      subs.push(sub);
      leaves.push(subscribeJobStatus(warm, globalIds[j]!, sub));
    }
    await until(() => subs.every((s) => s.firstAt !== null || s.error), 60_000, "warm-up events");
    const failed = subs.find((s) => s.error);
    if (failed) throw new Error(`warm-up subscription failed: ${JSON.stringify(failed.error)}`);
    for (const leave of leaves) leave();
    await warm.dispose();
    await sleep(2 * POLL_MS);
  }
  const rssBefore = await steadyRss(gatewayPid);
  const gcBefore = await gcStats(gwRole);
  const clientRssBefore = process.memoryUsage().rss;

  // 3. Subscribe: subscriber k watches job k % JOBS on socket floor(k / PER_SOCKET), so a job's
  // subscribers sit on different sockets. Each gets the current state (PENDING_APPROVAL) first.
  const clients: Client[] = [];
  for (let s = 0; s < SOCKETS; s++) clients.push(wsClient(wsUrl, token, unexpected, true));
  const subscribers: JobSubscriber[] = [];
  await simulatorCounters(sim, "DELETE");
  t0 = performance.now();
  let peakRssSubscribing = 0;
  const peakTimer = setInterval(() => {
    peakRssSubscribing = Math.max(peakRssSubscribing, rssOf(gatewayPid));
  }, 50);
  for (let k = 0; k < SUBSCRIBERS; k++) {
    const sub = newJobSubscriber(k % JOBS);
    subscribers.push(sub);
    subscribeJobStatus(clients[Math.floor(k / PER_SOCKET)]!, globalIds[sub.job]!, sub);
    if (k % 500 === 499) await sleep(0); // let the sockets flush
  }
  try {
    await until(
      () => subscribers.every((s) => s.firstAt !== null || s.error !== null),
      180_000,
      "every subscriber's first event",
      50,
    );
  } finally {
    clearInterval(peakTimer);
  }
  const subscribeMs = performance.now() - t0;
  const subscribeErrors = subscribers.filter((s) => s.error !== null);
  if (subscribeErrors.length > 0) {
    throw new Error(
      `${subscribeErrors.length} subscriptions failed, e.g. ${JSON.stringify(subscribeErrors[0]!.error)}`,
    );
  }
  const notPending = subscribers.filter((s) => s.firstStatus !== "PENDING_APPROVAL").length;
  const subscribeCounts = await simulatorCounters(sim, "GET");
  const subscribeGets = subscribeCounts[JOB_GET_ROUTE] ?? 0;
  const subscribeOther = Object.entries(subscribeCounts)
    .filter(([key]) => key !== JOB_GET_ROUTE)
    .reduce((a, [, n]) => a + n, 0);

  await sleep(2 * POLL_MS);
  const rssAfter = await steadyRss(gatewayPid);
  const clientRssAfter = process.memoryUsage().rss;
  const gcAfter = await gcStats(gwRole);
  await sleep(2 * POLL_MS);

  // 4. Upstream polls in a quiet window: nothing changes, every subscriber stays.
  await simulatorCounters(sim, "DELETE");
  const cpuStart = cpuMsOf(gatewayPid);
  t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const counts = await simulatorCounters(sim, "GET");
  const windowMs = performance.now() - t0;
  const gatewayCpuMs = cpuMsOf(gatewayPid) - cpuStart;
  const polls = counts[JOB_GET_ROUTE] ?? 0;
  const otherRequests = Object.entries(counts)
    .filter(([key]) => key !== JOB_GET_ROUTE)
    .reduce((a, [, n]) => a + n, 0);
  const pollsPerSecond = polls / (windowMs / 1000);
  const pollsPerInterval = pollsPerSecond * (POLL_MS / 1000);
  const rssPolling = await steadyRss(gatewayPid, 500);

  // 5. Delivery: approve APPROVE jobs one after another on the simulator (its answer comes once the
  // job is COMPLETE); each of their subscribers should receive COMPLETE on the gateway's next poll.
  const approvedAt = new Map<number, { sent: number; acked: number }>();
  t0 = performance.now();
  for (let j = 0; j < APPROVE; j++) {
    const sent = performance.now();
    await approveJob(sim, jobIds[j]!);
    approvedAt.set(j, { sent, acked: performance.now() });
    const wait = sent + APPROVE_GAP_MS - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const approveMs = performance.now() - t0;
  const watched = subscribers.filter((s) => approvedAt.has(s.job));
  const deliveryTimedOut = !(await reached(
    () => watched.every((s) => s.changedAt !== null || s.error !== null),
    10 * POLL_MS + 30_000,
    "COMPLETE events",
    50,
  ));
  await sleep(500); // the completions that follow the terminal event
  const delivered = watched.filter((s) => s.changedAt !== null);
  const wrongStatus = delivered.filter((s) => s.changedStatus !== "COMPLETE").length;
  const completed = watched.filter((s) => s.completedAt !== null).length;
  const fromSent = delivered.map((s) => s.changedAt! - approvedAt.get(s.job)!.sent).sort((a, b) => a - b);
  const fromAck = delivered.map((s) => s.changedAt! - approvedAt.get(s.job)!.acked).sort((a, b) => a - b);
  const approveRtt = [...approvedAt.values()].map((a) => a.acked - a.sent).sort((a, b) => a - b);
  const firstByJob = new Map<number, number>();
  for (const s of delivered) {
    firstByJob.set(s.job, Math.min(firstByJob.get(s.job) ?? Number.POSITIVE_INFINITY, s.changedAt!));
  }
  const fanOut = delivered.map((s) => s.changedAt! - firstByJob.get(s.job)!).sort((a, b) => a - b);
  const spread = [...firstByJob.keys()]
    .map((job) => {
      const times = delivered.filter((s) => s.job === job).map((s) => s.changedAt!);
      return Math.max(...times) - Math.min(...times);
    })
    .sort((a, b) => a - b);

  for (const client of clients) await client.dispose();
  await sleep(1000);
  const rssAfterLeaving = await steadyRss(gatewayPid);
  const gcAfterLeaving = await gcStats(gwRole);

  // Report.
  const perSubscriber = (rssAfter - rssBefore) / SUBSCRIBERS;
  out.push(
    `## Subscriptions: ${SUBSCRIBERS.toLocaleString("en")} graphql-ws subscribers over ${JOBS} jobs\n`,
  );
  out.push(machineLine(started, ["graphql-yoga", "graphql-ws", "ws", "undici"]));
  out.push(
    `Layout: three processes on loopback: the simulator, ONE gateway, and the client (this one: ${SOCKETS} sockets × ${PER_SOCKET} subscriptions, \`maxOperationsPerSocket\` raised to ${PER_SOCKET}). ` +
      `Each job has ${PER_JOB} subscribers, on different sockets. Gateway \`jobPolling\` min = max = ${POLL_MS} ms, no poll budget; simulator DTM job step ${STEP_MS} ms. ` +
      `Subscription: \`batchJobStatusChanged(id: <${BARE_IDS ? "the bare job UUID" : "global id"}>) { jobId status }\`.\n`,
  );
  out.push("| phase | figure |");
  out.push("|---|---|");
  out.push(
    `| setup | ${JOBS} jobs created on the simulator in ${fmt(createMs / 1000)} s, all PENDING_APPROVAL after ${fmt(pendingMs / 1000)} s |`,
  );
  out.push(
    `| subscribe | ${SUBSCRIBERS.toLocaleString("en")} subscriptions, each with its first event, in ${fmt(subscribeMs / 1000)} s (${fmt(SUBSCRIBERS / (subscribeMs / 1000), 0)}/s); ${notPending} first events not PENDING_APPROVAL; upstream job GETs meanwhile: ${subscribeGets} (other upstream requests: ${subscribeOther}) |`,
  );
  out.push(
    `| polls, ${fmt(windowMs / 1000)} s quiet window | ${polls} job GETs upstream = ${fmt(pollsPerSecond)}/s = **${fmt(pollsPerInterval)} per ${POLL_MS} ms interval** for ${JOBS} jobs (${fmt(pollsPerInterval / JOBS, 3)} per job per interval; ${fmt(pollsPerInterval / SUBSCRIBERS, 3)} per subscriber); other upstream requests: ${otherRequests} |`,
  );
  out.push(
    `| gateway CPU while polling | ${fmt((gatewayCpuMs / windowMs) * 100)} % of one core (${fmt(gatewayCpuMs / Math.max(polls, 1), 3)} ms per poll, pings and timers included) |`,
  );
  out.push(
    `| gateway RSS | at start ${mib(rssAtStart)} MiB; after jobs and warm-up ${mib(rssBefore)} MiB; with ${SUBSCRIBERS.toLocaleString("en")} subscriptions ${mib(rssAfter)} MiB (peak while subscribing ${mib(peakRssSubscribing)} MiB; during the polling window ${mib(rssPolling)} MiB); after every socket left ${mib(rssAfterLeaving)} MiB |`,
  );
  out.push(
    `| **gateway RSS per subscriber** | **${fmt(perSubscriber / 1024, 2)} KiB** ((${mib(rssAfter)} − ${mib(rssBefore)} MiB) / ${SUBSCRIBERS.toLocaleString("en")}; includes the ${JOBS} pollers and ${SOCKETS} sockets) |`,
  );
  out.push(
    `| gateway after a full GC (heap used / RSS) | after jobs and warm-up ${mib(gcBefore.heapUsed)} / ${mib(gcBefore.rss)} MiB; with ${SUBSCRIBERS.toLocaleString("en")} subscriptions ${mib(gcAfter.heapUsed)} / ${mib(gcAfter.rss)} MiB (**${fmt((gcAfter.heapUsed - gcBefore.heapUsed) / SUBSCRIBERS / 1024, 2)} KiB of live heap per subscriber**, ${fmt((gcAfter.rss - gcBefore.rss) / SUBSCRIBERS / 1024, 2)} KiB RSS); after every socket left ${mib(gcAfterLeaving.heapUsed)} / ${mib(gcAfterLeaving.rss)} MiB |`,
  );
  out.push(
    `| bench client (context) | RSS ${mib(clientRssBefore)} MiB before subscribing (after creating the jobs), ${mib(clientRssAfter)} MiB with ${SUBSCRIBERS.toLocaleString("en")} subscriptions on ${SOCKETS} graphql-ws clients (no forced GC: only an upper bound of the client's cost) |`,
  );
  out.push(
    `| approvals | ${APPROVE} jobs approved on the simulator, one every ${APPROVE_GAP_MS} ms (${fmt(approveMs / 1000)} s in all; approve round trip p50 ${fmt(pct(approveRtt, 0.5))} ms, p99 ${fmt(pct(approveRtt, 0.99))} ms) |`,
  );
  out.push(
    `| delivered | ${delivered.length} of ${watched.length} subscribers received the new status${deliveryTimedOut ? " (**timed out waiting for the rest**)" : ""}; ${wrongStatus} got a status other than COMPLETE; ${completed} saw the subscription complete after it |`,
  );
  out.push(
    `| **latency approve sent → event received** | **p50 ${fmt(pct(fromSent, 0.5))} ms, p99 ${fmt(pct(fromSent, 0.99))} ms**, min ${fmt(fromSent[0] ?? Number.NaN)} ms, max ${fmt(fromSent.at(-1) ?? Number.NaN)} ms |`,
  );
  out.push(
    `| latency approve answered (job COMPLETE) → event received | p50 ${fmt(pct(fromAck, 0.5))} ms, p99 ${fmt(pct(fromAck, 0.99))} ms |`,
  );
  out.push(
    `| fan-out: event received − the same job's first subscriber's | p50 ${fmt(pct(fanOut, 0.5), 2)} ms, p99 ${fmt(pct(fanOut, 0.99), 2)} ms; per job, last − first subscriber: p50 ${fmt(pct(spread, 0.5), 2)} ms, p99 ${fmt(pct(spread, 0.99), 2)} ms |`,
  );
  if (problems.length > 0) out.push(`| problems | ${problems.join("; ")} |`);
  out.push("");
  out.push(
    `The approve → event latency includes up to one poll interval (${POLL_MS} ms: the gateway learns of the change on the job's next poll, and pollers are not aligned with approvals, so about half an interval on average), the upstream GET, and delivery to the ${PER_JOB} subscribers; the simulator applies an approval before it answers, so "answered" is when the new status became readable. Fan-out latency isolates the gateway's delivery to one job's subscribers (and this client's own receive loop).`,
  );
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------------------------
// P4 (issue 14): adaptive polling within a tenant's budget.
// ---------------------------------------------------------------------------------------------------------------

const P4_SUBSCRIPTION = `subscription($id: ID!) { batchJobStatusChanged(id: $id) { jobId status successCount } }`;
const JOB_PATH = /^\/devicetrustmanager\/certificate-batch-service\/api\/v1\/jobs\/([0-9a-f-]{36})$/;

/** One job the fake upstream serves: it moves (IN_PROGRESS, `success` counting up) or waits (PENDING_APPROVAL). */
interface FakeJob {
  readonly id: string;
  readonly globalId: string;
  readonly moving: boolean;
  status: "IN_PROGRESS" | "PENDING_APPROVAL" | "COMPLETE";
  success: number;
  /** When change k became readable (performance.now()): `success` reached k, or (waiting jobs) the approval. */
  readonly changedAt: number[];
  /** When the next change is due (moving jobs). */
  nextChangeAt: number;
  /** GETs served, all of them and within the measurement window. */
  polls: number;
  windowPolls: number;
}

/** A seeded PRNG (mulberry32): the same changes at the same offsets on every run with one seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The gateway's upstream in p4: this process answers the fake jobs' GETs (the simulator's own job JSON as the template,
 * with the job's id, status and counts), so a change's time is exactly when it became readable; everything else goes
 * to the simulator.
 */
async function startJobUpstream(sim: Simulator, template: Record<string, unknown>) {
  const jobs = new Map<string, FakeJob>();
  const state = { measuring: false, polls: 0, windowPolls: 0 };
  const server = createServer((req, res) => {
    const id = req.method === "GET" ? JOB_PATH.exec(req.url ?? "")?.[1] : undefined;
    const job = id ? jobs.get(id) : undefined;
    if (job) {
      state.polls += 1;
      job.polls += 1;
      if (state.measuring) {
        state.windowPolls += 1;
        job.windowPolls += 1;
      }
      const body = JSON.stringify({
        ...template,
        id: job.id,
        name: `p4 ${job.id.slice(0, 8)}`,
        status: job.status,
        total: 1_000_000,
        success: job.success,
        failed: 0,
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    void forward(req, res);
  });
  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string" && entry[0] !== "host",
        ),
      );
      const answer = await fetch(new URL(req.url ?? "/", sim.url), {
        method: req.method ?? "GET",
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      const body = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, {
        "content-type": answer.headers.get("content-type") ?? "application/json",
      });
      res.end(body);
    } catch {
      res.writeHead(502).end();
    }
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jobs,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface P4Run {
  name: string;
  /** null: the gateway's default budget. */
  budget: number | null;
  moving: number;
  waiting: number;
  approvals: number;
  windowS: number;
}

interface P4Result {
  run: P4Run;
  budget: number;
  burst: number;
  wantedPerSecond: number;
  pollsPerSecond: number;
  windowS: number;
  moving: number[];
  approved: number[];
  undelivered: number;
  movingIntervals: number[];
  waitingIntervals: number[];
  cpuPercent: number;
  problems: string[];
  firstEventsS: number;
}

/** The latency of each change made in the window, at each subscriber: moving jobs' changes and approvals apart. */
async function p4Run(
  run: P4Run,
  sim: Simulator,
  template: Record<string, unknown>,
  options: { changeMs: number; perJob: number; sockets: number; warmupS: number | null; next: () => number },
): Promise<P4Result> {
  const upstream = await startJobUpstream(sim, template);
  const { budgetPerSecond: defaultBudget, budgetBurst, minIntervalMs, maxIntervalMs } = JOB_POLLING_DEFAULTS;
  const budget = run.budget ?? defaultBudget;
  const total = run.moving + run.waiting;
  const perSocket = Math.ceil((total * options.perJob) / options.sockets);
  const gateway = await spawnRole([
    "gateway",
    upstream.url,
    "--job-poll-budget",
    String(budget),
    "--max-ops-per-socket",
    String(Math.max(20, perSocket)),
  ]);
  const problems: string[] = [];
  const unexpected = (why: string) => {
    if (problems.length < 10) problems.push(why);
  };
  try {
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const id = randomUUID();
      upstream.jobs.set(id, {
        id,
        globalId: jobGlobalId(id),
        moving: i < run.moving,
        status: i < run.moving ? "IN_PROGRESS" : "PENDING_APPROVAL",
        success: 0,
        changedAt: [],
        nextChangeAt: start + -Math.log(1 - options.next()) * options.changeMs,
        polls: 0,
        windowPolls: 0,
      });
    }
    const jobs = [...upstream.jobs.values()];

    // Subscribers: job j's k-th subscriber on socket (j * perJob + k) % sockets, so a job's subscribers differ.
    const clients: Client[] = [];
    for (let i = 0; i < options.sockets; i++)
      clients.push(wsClient(gateway.info.url, gateway.info.token!, unexpected));
    const latencies = { moving: [] as number[], approved: [] as number[] };
    let measuring = false;
    let windowStart = 0;
    let windowEnd = Number.POSITIVE_INFINITY;
    let expected = 0;
    let delivered = 0;
    const firsts: number[] = [];
    let slot = 0;
    for (const job of jobs) {
      for (let k = 0; k < options.perJob; k++) {
        let seen = 0;
        let approvedSeen = false;
        let first = true;
        clients[slot++ % options.sockets]!.subscribe<{
          batchJobStatusChanged: { status: string; successCount: number | null };
        }>(
          { query: P4_SUBSCRIPTION, variables: { id: job.globalId } },
          {
            next: (result) => {
              const now = performance.now();
              const event = result.data?.batchJobStatusChanged;
              if (result.errors || !event) return unexpected(`event error ${JSON.stringify(result.errors)}`);
              if (first) {
                first = false;
                firsts.push(now);
              }
              const count = event.successCount ?? 0;
              for (let c = seen + 1; c <= count; c++) {
                const at = job.changedAt[c - 1]!;
                if (at >= windowStart && at < windowEnd && measuring) {
                  latencies.moving.push(now - at);
                  delivered += 1;
                }
              }
              seen = Math.max(seen, count);
              if (!job.moving && !approvedSeen && event.status !== "PENDING_APPROVAL") {
                approvedSeen = true;
                const at = job.changedAt[0]!;
                if (measuring && at >= windowStart) {
                  latencies.approved.push(now - at);
                  delivered += 1;
                }
              }
            },
            error: (error) => unexpected(`subscription error ${String(error)}`),
            complete: () => undefined,
          },
        );
      }
    }
    await until(
      () => firsts.length === total * options.perJob,
      120_000,
      "every subscriber's first event",
      50,
    );
    const firstEventsS = (performance.now() - start) / 1000;

    // Changes: each moving job at exponential intervals (mean --change-ms); approvals at random times in the window.
    const waitingJobs = jobs.filter((job) => !job.moving);
    const approvalAt = Array.from({ length: Math.min(run.approvals, waitingJobs.length) }, () =>
      options.next(),
    )
      .map((u) => u * run.windowS * 1000 * 0.8)
      .sort((a, b) => a - b);
    let approvalIndex = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      for (const job of jobs) {
        if (!job.moving || now < job.nextChangeAt) continue;
        job.success += 1;
        job.changedAt.push(now);
        if (measuring && now < windowEnd) expected += options.perJob;
        job.nextChangeAt = now + -Math.log(1 - options.next()) * options.changeMs;
      }
      while (
        measuring &&
        approvalIndex < approvalAt.length &&
        now - windowStart >= approvalAt[approvalIndex]!
      ) {
        const job = waitingJobs[approvalIndex++]!;
        job.status = "COMPLETE";
        job.changedAt.push(now);
        expected += options.perJob;
      }
    }, 5);

    // Warm-up: waiting jobs slow down x1.5 per unchanged poll to maxIntervalMs; stretched, that takes a while.
    const warmupS =
      options.warmupS ??
      (run.waiting > 0 ? Math.min(90, ((maxIntervalMs * 3.3) / 1000) * Math.max(1, run.waiting / 300)) : 3);
    await sleep(warmupS * 1000);
    const cpuStart = cpuMsOf(gateway.child.pid!);
    upstream.state.measuring = true;
    measuring = true;
    windowStart = performance.now();
    await sleep(run.windowS * 1000);
    windowEnd = performance.now();
    upstream.state.measuring = false;
    const windowS = (windowEnd - windowStart) / 1000;
    const cpuPercent = ((cpuMsOf(gateway.child.pid!) - cpuStart) / (windowS * 1000)) * 100;
    // The last changes' events: at most one stretched interval of the slowest job, plus delivery.
    await reached(() => delivered >= expected, 60_000, "the window's changes delivered", 50);
    clearInterval(ticker);

    const wantedPerSecond = run.moving * (1000 / minIntervalMs) + run.waiting * (1000 / maxIntervalMs);
    const intervals = (moving: boolean) =>
      jobs
        .filter((job) => job.moving === moving && job.status !== "COMPLETE")
        .map((job) => (windowS * 1000) / Math.max(job.windowPolls, 1))
        .sort((a, b) => a - b);
    for (const client of clients) await client.dispose();
    return {
      run,
      budget,
      burst: budgetBurst,
      wantedPerSecond,
      pollsPerSecond: upstream.state.windowPolls / windowS,
      windowS,
      moving: latencies.moving.sort((a, b) => a - b),
      approved: latencies.approved.sort((a, b) => a - b),
      undelivered: Math.max(0, expected - delivered),
      movingIntervals: intervals(true),
      waitingIntervals: intervals(false),
      cpuPercent,
      problems,
      firstEventsS,
    };
  } finally {
    gateway.child.kill("SIGTERM");
    await new Promise((resolve) => gateway.child.once("exit", resolve));
    await upstream.close();
  }
}

/** Issue 14 P4: one tenant's jobs, polled adaptively within its budget. */
async function p4(): Promise<string> {
  const started = new Date();
  const budget = numberOption(values, "budget", 1, 100_000);
  const window = int("p4-window", 5, 300);
  const scaleJobs = int("scale-jobs", 1, 5000);
  const options = {
    changeMs: int("change-ms", 50, 60_000),
    perJob: int("p4-per-job", 1, 20),
    sockets: int("p4-sockets", 1, 100),
    warmupS: values["p4-warmup"] === "auto" ? null : int("p4-warmup", 0, 600),
    next: random(int("seed", 0, 2 ** 31)),
  };
  const mixedMoving = Math.min(int("mixed-moving", 0, 5000), scaleJobs);
  const defaultJobs = int("default-jobs", 1, 500);
  const defaultMoving = Math.min(int("default-moving", 0, 500), defaultJobs);
  const catalogue: Record<string, P4Run> = {
    active: {
      name: "active",
      budget,
      moving: int("active-jobs", 1, 5000),
      waiting: 0,
      approvals: 0,
      windowS: window,
    },
    scale: { name: "scale", budget, moving: scaleJobs, waiting: 0, approvals: 0, windowS: window },
    mixed: {
      name: "mixed",
      budget,
      moving: mixedMoving,
      waiting: scaleJobs - mixedMoving,
      approvals: int("mixed-approvals", 0, 5000),
      windowS: window,
    },
    default: {
      name: "default",
      budget: null,
      moving: defaultMoving,
      waiting: defaultJobs - defaultMoving,
      approvals: Math.min(2, defaultJobs - defaultMoving),
      windowS: window * 3,
    },
  };
  const names = String(values.runs).split(",").filter(Boolean);
  for (const name of names) if (!catalogue[name]) throw new Error(`--runs: unknown run ${name}`);

  // The template: one real DTM job of the simulator, as its GET answers it.
  const sim = await spawnSimulator(["--dtm-step-ms", "10"]);
  const csrs = await deviceCsrs(1, true);
  const [templateId] = await createJobs(
    sim,
    { device: `p4-${Date.now().toString(36)}`, job: "p4 template" },
    1,
    csrs,
  );
  await untilPendingApproval(sim, 1, 60_000);
  const template = (await simulatorJson(sim, "GET", `${BATCH_BASE}/${templateId}`)) as Record<
    string,
    unknown
  >;

  const results: P4Result[] = [];
  for (const name of names) results.push(await p4Run(catalogue[name]!, sim, template, options));

  const { minIntervalMs, maxIntervalMs, budgetPerSecond, budgetBurst } = JOB_POLLING_DEFAULTS;
  const ms = (xs: number[], q: number) => (xs.length ? fmt(pct(xs, q), 0) : "–");
  const out: string[] = [];
  out.push(`## Subscriptions: adaptive job polling within a tenant's budget (issue 14, P4)\n`);
  out.push(machineLine(started, ["graphql-yoga", "graphql-ws", "undici"]));
  out.push(
    `Layout: the simulator, ONE gateway per run (\`bench/server.ts gateway\`, the gateway's polling defaults: moving ${minIntervalMs} ms, waiting x1.5 per unchanged poll up to ${fmt(maxIntervalMs / 1000, 0)} s; budget burst ${budgetBurst}), and this client, which is the gateway's upstream for the jobs' GETs (the simulator's DTM job JSON with the job's status and counts; everything else forwarded to the simulator). One tenant. ` +
      `Moving jobs are IN_PROGRESS and their \`success\` count goes up at random (exponential gaps, mean ${options.changeMs} ms); waiting jobs are PENDING_APPROVAL, and approved ones become COMPLETE. ${options.perJob} subscribers per job over ${options.sockets} graphql-ws sockets, \`batchJobStatusChanged(id) { jobId status successCount }\`. ` +
      `Latency: from the moment the change is readable upstream to each subscriber's event, for every change made in the window (after a warm-up). "Wanted": what the jobs would poll without a budget once settled (moving ${fmt(1000 / minIntervalMs, 0)}/s each, waiting ${fmt(1000 / maxIntervalMs, 3)}/s each).\n`,
  );
  out.push(
    "| run | tenant's jobs (moving + waiting) | budget, polls/s | wanted, polls/s | **polls/s observed** | **change → event p50 / p90 / p99 / max, ms** (samples) | per-job poll interval min / median / max, ms | gateway CPU |",
  );
  out.push("|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    const budgetText = `${r.run.budget === null ? "**default** " : ""}${fmt(r.budget, 0)} (burst ${r.burst})`;
    const latency = (xs: number[]) =>
      `${ms(xs, 0.5)} / ${ms(xs, 0.9)} / **${ms(xs, 0.99)}** / ${xs.length ? fmt(xs.at(-1)!, 0) : "–"} (${xs.length})`;
    const spread = (xs: number[]) =>
      xs.length ? `${ms(xs, 0)} / ${ms(xs, 0.5)} / ${fmt(xs.at(-1)!, 0)}` : "–";
    out.push(
      `| ${r.run.name} | ${r.run.moving} + ${r.run.waiting} | ${budgetText} | ${fmt(r.wantedPerSecond)} | **${fmt(r.pollsPerSecond)}** over ${fmt(r.windowS, 0)} s | moving: ${latency(r.moving)}${r.run.approvals ? `; approvals: ${latency(r.approved)}` : ""}${r.undelivered ? `; **${r.undelivered} not delivered**` : ""} | moving: ${spread(r.movingIntervals)}${r.run.waiting ? `; waiting: ${spread(r.waitingIntervals)}` : ""} | ${fmt(r.cpuPercent)} % |`,
    );
  }
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.run.name}: ${p}`));
  if (problems.length) out.push(`\nProblems: ${problems.join("; ")}`);
  out.push(
    `\nFirst events (every subscriber's current state, first reads ahead of the scheduled polls): ${results.map((r) => `${r.run.name} ${fmt(r.firstEventsS, 1)} s`).join(", ")}. The gateway's default budget is ${budgetPerSecond} polls/s per tenant (burst ${budgetBurst}).`,
  );
  return out.join("\n");
}

await runBench("subscriptions", OVERALL_DEADLINE_MS, values.scenario === "p4" ? p4 : fanout);
