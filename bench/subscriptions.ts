// Benchmark (issue 4): many graphql-ws subscribers of batch job status in ONE gateway process.
// Reports upstream polls per interval, event delivery latency (p50/p99) and gateway RSS per subscriber.
// Usage: npm run bench:subscriptions [-- --jobs 1000 --per-job 10 --sockets 100 --poll-ms 1000 ...]
// Three processes on loopback: the simulator, the gateway (both bench/server.ts roles) and this client.
// Traffic goes to loopback only; every phase has a deadline and the children are killed at the end.
import "reflect-metadata";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { Client } from "graphql-ws";
import {
  JOB_GET_ROUTE,
  type JobSubscriber,
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
  spawnRole,
  spawnSimulator,
  subscribeJobStatus,
  until,
  untilPendingApproval,
  wsClient,
} from "./harness.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    "per-job": { type: "string", default: "10" },
    sockets: { type: "string", default: "100" },
    "poll-ms": { type: "string", default: "1000" },
    "step-ms": { type: "string", default: "10" },
    window: { type: "string", default: "10" },
    approve: { type: "string", default: "200" },
    "approve-gap-ms": { type: "string", default: "25" },
    /** How subscribers name the job: its global id (names the product), or DigiCert's bare job id. */
    ids: { type: "string", default: "global" },
  },
});
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
if (PER_SOCKET > 1000) throw new Error("more than 1000 subscriptions per socket: raise --sockets");

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

async function main(): Promise<string> {
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
      `Each job has ${PER_JOB} subscribers, on different sockets. Gateway \`jobPolling\` min = max = ${POLL_MS} ms; simulator DTM job step ${STEP_MS} ms. ` +
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

await runBench("subscriptions", OVERALL_DEADLINE_MS, main);
