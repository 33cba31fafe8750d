// Benchmark (issue 12): subscriptions across instances. `--jobs` × `--per-job` graphql-ws subscribers of batch job
// status, each job's subscribers spread over two gateway instances (one simulator, one Redis), and the upstream job
// polls per poll interval in total (target: at most one per job per interval). Then a few jobs are approved and every
// one of their subscribers, on either instance, should receive COMPLETE.
// Usage: npm run bench:cluster-subscriptions [-- --jobs 1000 --per-job 10 --sockets 20 --poll-ms 1000 --no-redis ...]
// --no-redis runs the same without sharedStore: each instance polls its own subscribers' jobs, so polls double.
// Processes on loopback: the simulator, two gateways (bench/server.ts roles), redis-server, and this client.
// Every phase has a deadline; the children are killed at the end.
import "reflect-metadata";
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
  gatewayMetrics,
  jobGlobalId,
  listCounts,
  machineLine,
  newJobSubscriber,
  numberOption,
  pct,
  reached,
  runBench,
  sharedStoreUp,
  simulatorCounters,
  spawnRole,
  spawnSimulator,
  startRedis,
  subscribeJobStatus,
  storeMode,
  tally,
  until,
  untilPendingApproval,
  wsClient,
} from "./harness.js";

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
const int = (name: keyof typeof values, min: number, max: number) => numberOption(values, name, min, max);
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

/** One gateway's job poll count (gateway_job_polls_total, all outcomes) and active pollers, from its /metrics. */
async function gatewayPolls(gatewayUrl: string): Promise<{ polls: number; pollers: number }> {
  const text = await gatewayMetrics(gatewayUrl);
  let polls = 0;
  for (const match of text.matchAll(/^gateway_job_polls_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)/gm))
    polls += Number(match[1]);
  const pollers = Number(/^gateway_job_pollers_active (\d+)/m.exec(text)?.[1] ?? Number.NaN);
  return { polls, pollers };
}

interface Subscriber extends JobSubscriber {
  instance: number;
}

async function main(): Promise<string> {
  const started = new Date();
  const runId = Date.now().toString(36);

  const csrList = await deviceCsrs(4);
  const sim = await spawnSimulator(["--dtm-step-ms", String(STEP_MS)]);
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
  const storeUp = await sharedStoreUp(gateways.map((g) => g.info.url));

  // 1. Jobs, straight on the simulator, until every one rests in PENDING_APPROVAL.
  let t0 = performance.now();
  const jobIds = await createJobs(
    sim,
    { device: `cluster-${runId}`, job: "bench cluster subscriptions" },
    JOBS,
    csrList,
  );
  await untilPendingApproval(sim, JOBS, JOBS * STEP_MS * 4 + 120_000);
  const jobsMs = performance.now() - t0;
  const globalIds = jobIds.map(jobGlobalId);

  // 2. Subscribe: SOCKETS graphql-ws clients per instance, subscriptions dealt over them in turn.
  const problems = new Map<string, number>();
  const note = (why: string) => tally(problems, why);
  const clients: Client[][] = gateways.map((g) =>
    Array.from({ length: SOCKETS }, () => wsClient(g.info.url, g.info.token!, note)),
  );
  const subscribers: Subscriber[] = [];
  const dealt = [0, 0];
  await simulatorCounters(sim, "DELETE");
  t0 = performance.now();
  for (let k = 0; k < SUBSCRIBERS; k++) {
    const sub: Subscriber = { ...newJobSubscriber(k % JOBS), instance: instanceOf(k) };
    subscribers.push(sub);
    subscribeJobStatus(clients[sub.instance]![dealt[sub.instance]!++ % SOCKETS]!, globalIds[sub.job]!, sub);
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
      `${failed.length} subscriptions failed, e.g. ${String(failed[0]!.error)} ${JSON.stringify(failed[0]!.error)}; sockets: ${listCounts(problems)}`,
    );
  const subscribeGets = (await simulatorCounters(sim, "GET"))[JOB_GET_ROUTE] ?? 0;

  // 3. Upstream polls in a quiet window (after two intervals to settle): nothing changes, every subscriber stays.
  await sleep(2 * POLL_MS);
  const metricsBefore = await Promise.all(gateways.map((g) => gatewayPolls(g.info.url)));
  await simulatorCounters(sim, "DELETE");
  t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const windowCounts = await simulatorCounters(sim, "GET");
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
    await approveJob(sim, jobIds[j]!);
    approvedAt.set(j, performance.now());
  }
  const watched = subscribers.filter((s) => approvedAt.has(s.job));
  const deliveryTimedOut = !(await reached(
    () => watched.every((s) => s.changedAt !== null || s.error !== null),
    10 * POLL_MS + 30_000,
    "COMPLETE events",
    50,
  ));
  const delivered = watched.filter((s) => s.changedAt !== null);
  const deliveredOn = [0, 1].map((g) => delivered.filter((s) => s.instance === g).length);
  const watchedOn = [0, 1].map((g) => watched.filter((s) => s.instance === g).length);
  const wrongStatus = delivered.filter((s) => s.changedStatus !== "COMPLETE").length;
  const latency = delivered.map((s) => s.changedAt! - approvedAt.get(s.job)!).sort((a, b) => a - b);

  for (const instanceClients of clients) for (const client of instanceClients) await client.dispose();

  const out: string[] = [];
  out.push(
    `## Subscriptions across instances: ${SUBSCRIBERS.toLocaleString("en")} subscribers on ${JOBS.toLocaleString("en")} jobs over two instances, ${storeMode(USE_REDIS)}\n`,
  );
  out.push(machineLine(started, ["graphql-yoga", "graphql-ws", "ioredis"]));
  out.push(
    `Layout: the simulator (DTM job step ${STEP_MS} ms), two gateways (A, B; \`bench/server.ts gateway --job-poll-ms ${POLL_MS} --max-ops-per-socket ${Math.max(PER_SOCKET, 20)}${USE_REDIS ? " --redis-url" : ""}\`)${USE_REDIS ? ", one redis-server" : ""}, and this client: ${SOCKETS} graphql-ws sockets per instance. ` +
      `Each job has ${PER_JOB} subscribers alternating between A and B (A ${subscribers.filter((s) => s.instance === 0).length}, B ${subscribers.filter((s) => s.instance === 1).length}). Poll interval (jobPolling min = max) ${POLL_MS} ms, so "per interval" is polls per ${POLL_MS} ms.\n`,
  );
  out.push("| figure | value |");
  out.push("|---|---|");
  out.push(
    `| shared store, as the gateways report it (\`gateway_shared_store_up\`) | A: ${storeUp[0]}, B: ${storeUp[1]} |`,
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
    `| delivery after approving ${APPROVE} jobs | ${delivered.length} of ${watched.length} of their subscribers received the new status (A ${deliveredOn[0]} of ${watchedOn[0]}, B ${deliveredOn[1]} of ${watchedOn[1]})${deliveryTimedOut ? " (**timed out waiting for the rest**)" : ""}; ${wrongStatus} got a status other than COMPLETE; approve answered → event p50 ${fmt(pct(latency, 0.5))} ms, p99 ${fmt(pct(latency, 0.99))} ms |`,
  );
  if (problems.size > 0) out.push(`| problems | ${listCounts(problems)} |`);
  out.push("");
  return out.join("\n");
}

await runBench("cluster-subscriptions", OVERALL_DEADLINE_MS, main);
