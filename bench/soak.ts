// Benchmark (issue 12): soak. Two gateway instances on one simulator and one Redis; `--minutes` of mixed traffic at
// `--rate` operations per second in total over the two (certificate by serial, certificate search, profiles,
// enrollments with idempotency keys, a share of them repeated on the other instance), with `--subscriptions` graphql-ws
// subscriptions to batch job status open throughout. Reports gateway-caused errors, each instance's RSS at the start and
// the end, and Redis round trips per operation.
// Usage: npm run bench:soak [-- --minutes 10 --rate 200 --subscriptions 500 --no-redis ...]
// Processes on loopback: the simulator, two gateways (bench/server.ts roles), redis-server, and this client.
// Bounded: the run's length plus setup; every phase has a deadline and the children are killed at the end.
import "reflect-metadata";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { Client } from "graphql-ws";
import { Redis } from "ioredis";
import { PROFILE_IDS } from "../simulator/index.js";
import {
  JOB_STATUS_SUBSCRIPTION,
  type Role,
  createJob,
  fmt,
  gcStats,
  jobGlobalId,
  listCounts,
  machineLine,
  mib,
  numberOption,
  p256Csr,
  pct,
  postGraphql,
  rsaCsr,
  rssOf,
  runBench,
  sharedStoreUp,
  simulatorJson,
  spawnRole,
  spawnSimulator,
  startRedis,
  storeMode,
  tally,
  until,
  untilPendingApproval,
  wsClient,
  withTimeout,
} from "./harness.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    rate: { type: "string", default: "200" },
    subscriptions: { type: "string", default: "500" },
    jobs: { type: "string", default: "50" },
    "per-socket": { type: "string", default: "50" },
    "poll-ms": { type: "string", default: "1000" },
    "timeout-ms": { type: "string", default: "10000" },
    "max-in-flight": { type: "string", default: "256" },
    "no-redis": { type: "boolean", default: false },
  },
});
const num = (name: keyof typeof values, min: number, max: number, integer = true) =>
  numberOption(values, name, min, max, integer);
const MINUTES = num("minutes", 0.1, 120, false);
const RATE = num("rate", 1, 5000);
const SUBSCRIPTIONS = num("subscriptions", 0, 20_000);
const JOBS = Math.min(num("jobs", 1, 1000), Math.max(SUBSCRIPTIONS, 1));
const PER_SOCKET = num("per-socket", 1, 1000);
const POLL_MS = num("poll-ms", 100, 60_000);
const TIMEOUT_MS = num("timeout-ms", 100, 120_000);
const MAX_IN_FLIGHT = num("max-in-flight", 1, 10_000);
const USE_REDIS = !values["no-redis"];
const DURATION_MS = MINUTES * 60_000;
/** Traffic before the "start" RSS is taken (JIT, caches and pools reach their working size): 10% of the run, at most 60 s. */
const WARMUP_MS = Math.min(60_000, DURATION_MS * 0.1);
const QUIET_MS = 10_000;
const OVERALL_DEADLINE_MS = DURATION_MS + WARMUP_MS + 8 * 60_000;

const BY_SERIAL = `query($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber status commonName validTo } }`;
const SEARCH = `query($cn: String!) { certificates(first: 20, filter: { commonName: $cn }) { totalCount edges { node { serialNumber status } } } }`;
const PROFILES = `{ profiles(first: 20) { edges { node { id name } } } }`;
const ISSUE = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename
    ... on CertificateIssued { serialNumber }
    ... on Error { code }
  }
}`;

/** Redis's own count of commands it processed (INFO stats), and per command (INFO commandstats). */
async function redisCommands(redis: Redis): Promise<{ total: number; perCommand: Map<string, number> }> {
  const stats = await redis.info("stats");
  const total = Number(/^total_commands_processed:(\d+)/m.exec(stats)?.[1] ?? Number.NaN);
  const perCommand = new Map<string, number>();
  for (const match of (await redis.info("commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    perCommand.set(match[1]!, Number(match[2]));
  }
  return { total, perCommand };
}

type Kind = "certificate by serial" | "certificate search" | "profiles" | "enrollment" | "enrollment repeat";
const KINDS: Kind[] = [
  "certificate by serial",
  "certificate search",
  "profiles",
  "enrollment",
  "enrollment repeat",
];

interface Instance {
  name: string;
  role: Role;
  url: string;
  token: string;
}

/** Sends one GraphQL operation; resolves with its data, or with what went wrong (a gateway-caused error here). */
async function gql(
  instance: Instance,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ data: Record<string, unknown> } | { error: string }> {
  const res = await postGraphql(instance.url, instance.token, query, variables, TIMEOUT_MS);
  if ("failed" in res) return { error: res.failed === "timeout" ? "client timeout" : "connection error" };
  if (res.status < 200 || res.status > 299) return { error: `HTTP ${res.status}` };
  try {
    const body = JSON.parse(res.text) as {
      data?: Record<string, unknown>;
      errors?: { extensions?: { code?: string } }[];
    };
    if (body.errors?.length)
      return { error: `GraphQL error ${body.errors[0]?.extensions?.code ?? "(no code)"}` };
    if (!body.data) return { error: "no data" };
    return { data: body.data };
  } catch {
    return { error: "answer not JSON" };
  }
}

async function main(): Promise<string> {
  const started = new Date();
  const runId = Date.now().toString(36);

  const sim = await spawnSimulator(["--dtm-step-ms", "10"]);
  const redisUrl = USE_REDIS ? await startRedis() : null;
  const redis = redisUrl ? new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 }) : null;
  const gatewayArgs = [
    "--job-poll-ms",
    String(POLL_MS),
    "--max-ops-per-socket",
    String(Math.max(PER_SOCKET, 20)),
    "--stats-on-sigusr2",
    ...(redisUrl ? ["--redis-url", redisUrl] : []),
  ];
  const roles = await Promise.all([
    spawnRole(["gateway", sim.url, ...gatewayArgs], ["--expose-gc"]),
    spawnRole(["gateway", sim.url, ...gatewayArgs], ["--expose-gc"]),
  ]);
  const instances: Instance[] = roles.map((role, i) => ({
    name: i === 0 ? "A" : "B",
    role,
    url: role.info.url,
    token: role.info.token!,
  }));
  const storeUp = await sharedStoreUp(instances.map((instance) => instance.url));
  const rssBeforeTraffic = await Promise.all(roles.map((role) => gcStats(role)));

  // Inputs: serials and common names from the simulator's seeded certificates; CSRs for enrollments.
  const seeded = (await simulatorJson(sim, "GET", "/mpki/api/v1/certificate-search?limit=300")) as {
    items: { serial_number: string; common_name: string }[];
  };
  const serials = seeded.items.map((item) => item.serial_number);
  const commonNames = [...new Set(seeded.items.map((item) => item.common_name))];
  const enrollCsrs = await Promise.all(
    Array.from({ length: 64 }, (_, i) => p256Csr(`soak-${runId}-${i}.example.com`)),
  );

  // Jobs for the subscriptions, each resting in PENDING_APPROVAL for the whole run.
  let t0 = performance.now();
  const jobCsr = await rsaCsr("CN=bench-device.example.com, O=Example Devices, OU=Bench");
  const jobIds: string[] = [];
  for (let i = 0; i < JOBS && SUBSCRIPTIONS > 0; i += 8) {
    const batch = Array.from({ length: Math.min(8, JOBS - i) }, (_, k) =>
      createJob(sim, { device: `soak-${runId}`, job: "bench soak" }, i + k, jobCsr),
    );
    jobIds.push(...(await Promise.all(batch)));
  }
  if (SUBSCRIPTIONS > 0) {
    await untilPendingApproval(sim, JOBS, 120_000);
  }
  const jobsMs = performance.now() - t0;

  // Subscriptions: subscriber k watches job k % JOBS on instance floor(k / JOBS) % 2, so every job with more than one
  // subscriber has them on both instances.
  const subscriptionProblems = new Map<string, number>();
  const noteSubscription = (why: string) => tally(subscriptionProblems, why);
  const clients: Client[] = [];
  const perInstance = [0, 0];
  let firstEvents = 0;
  let subscriptionEvents = 0;
  let completedEarly = 0;
  const clientFor: Client[][] = [[], []];
  const socketsNeeded = (count: number) => Math.ceil(count / PER_SOCKET);
  const subscribersOn = [0, 1].map(
    (g) =>
      Array.from({ length: SUBSCRIPTIONS }, (_, k) => k).filter((k) => Math.floor(k / JOBS) % 2 === g).length,
  );
  for (const g of [0, 1]) {
    for (let s = 0; s < socketsNeeded(subscribersOn[g]!); s++) {
      const client = wsClient(instances[g]!.url, instances[g]!.token, noteSubscription);
      clients.push(client);
      clientFor[g]!.push(client);
    }
  }
  t0 = performance.now();
  for (let k = 0; k < SUBSCRIPTIONS; k++) {
    const g = Math.floor(k / JOBS) % 2;
    const index = perInstance[g]!++;
    const client = clientFor[g]![Math.floor(index / PER_SOCKET)]!;
    const globalId = jobGlobalId(jobIds[k % JOBS]!);
    let first = true;
    client.subscribe<{ batchJobStatusChanged: { status: string } }>(
      { query: JOB_STATUS_SUBSCRIPTION, variables: { id: globalId } },
      {
        next: (result) => {
          if (result.errors) noteSubscription(`GraphQL error ${String(result.errors[0]?.extensions?.code)}`);
          subscriptionEvents++;
          if (first) firstEvents++;
          first = false;
        },
        error: () => noteSubscription("subscription error"),
        complete: () => completedEarly++,
      },
    );
    if (k % 200 === 199) await sleep(0);
  }
  await until(() => firstEvents >= SUBSCRIPTIONS, 120_000, "every subscription's first event", 50);
  const subscribeMs = performance.now() - t0;

  // A quiet window: what the two instances cost Redis with the subscriptions open and no traffic.
  const quietStart = redis ? await redisCommands(redis) : null;
  await sleep(QUIET_MS);
  const quietEnd = redis ? await redisCommands(redis) : null;
  const backgroundPerSecond =
    quietStart && quietEnd ? (quietEnd.total - quietStart.total - 2) / (QUIET_MS / 1000) : Number.NaN;

  // Traffic: an open loop at RATE over both instances (alternating), kinds by weight.
  const weights: [Kind, number][] = [
    ["certificate by serial", 0.35],
    ["certificate search", 0.25],
    ["profiles", 0.2],
    ["enrollment", 0.15],
    ["enrollment repeat", 0.05],
  ];
  const errors = new Map<string, number>();
  const latencies = new Map<Kind, number[]>(KINDS.map((kind) => [kind, []]));
  const sent = new Map<Kind, number>(KINDS.map((kind) => [kind, 0]));
  const issuedByKey = new Map<string, { input: Record<string, unknown>; serial: string; instance: number }>();
  const issuedKeys: string[] = [];
  let measuring = false;
  let measuredOps = 0;
  let inFlight = 0;
  let notSent = 0;
  let opIndex = 0;
  let random = 0x2545f491;
  const nextRandom = () => {
    random = (Math.imul(random, 1103515245) + 12345) >>> 0;
    return random / 4294967296;
  };
  const noteError = (kind: Kind, why: string) => tally(errors, `${kind}: ${why}`);

  async function operation(kind: Kind, g: number): Promise<void> {
    const instance = instances[g]!;
    const began = performance.now();
    const i = opIndex++;
    let outcome: Awaited<ReturnType<typeof gql>>;
    let repeatOf: { serial: string } | null = null;
    let enrolledKey: string | null = null;
    let enrolledInput: Record<string, unknown> | null = null;
    if (kind === "certificate by serial") {
      outcome = await gql(instance, BY_SERIAL, { s: serials[i % serials.length] });
    } else if (kind === "certificate search") {
      outcome = await gql(instance, SEARCH, { cn: commonNames[i % commonNames.length] });
    } else if (kind === "profiles") {
      outcome = await gql(instance, PROFILES, {});
    } else {
      const previous =
        kind === "enrollment repeat" ? issuedKeys[Math.floor(nextRandom() * issuedKeys.length)] : undefined;
      const record = previous ? issuedByKey.get(previous) : undefined;
      if (record) {
        // The same key and input again, on the instance that did not issue it: the first certificate must come back.
        repeatOf = record;
        outcome = await gql(instances[1 - record.instance]!, ISSUE, { input: record.input });
      } else {
        enrolledKey = `soak-${runId}-${i}`;
        enrolledInput = {
          profileId: PROFILE_IDS.webServer,
          seatId: "ops@example.com",
          csr: enrollCsrs[i % enrollCsrs.length],
          idempotencyKey: enrolledKey,
        };
        outcome = await gql(instance, ISSUE, { input: enrolledInput });
      }
    }
    const ms = performance.now() - began;
    if (measuring) {
      measuredOps++;
      latencies.get(kind)!.push(ms);
    }
    if ("error" in outcome) {
      noteError(kind, outcome.error);
      return;
    }
    const { data } = outcome;
    if (kind === "certificate by serial" && !data.certificate) noteError(kind, "null for a known serial");
    if (kind === "certificate search") {
      const total = (data.certificates as { totalCount?: number } | undefined)?.totalCount ?? 0;
      if (total < 1) noteError(kind, "no match for a seeded common name");
    }
    if (kind === "enrollment" || kind === "enrollment repeat") {
      const result = data.requestCertificate as { __typename: string; serialNumber?: string };
      if (result.__typename !== "CertificateIssued") {
        noteError(kind, `typed ${result.__typename}`);
        return;
      }
      if (repeatOf && result.serialNumber !== repeatOf.serial)
        noteError(kind, "a different certificate than the first");
      if (enrolledKey && enrolledInput) {
        issuedByKey.set(enrolledKey, { input: enrolledInput, serial: result.serialNumber!, instance: g });
        issuedKeys.push(enrolledKey);
        if (issuedKeys.length > 2000) issuedByKey.delete(issuedKeys.shift()!);
      }
    }
  }

  function pickKind(): Kind {
    let x = nextRandom();
    for (const [kind, weight] of weights) {
      // A repeat needs an earlier issued key; until there is one it is a first enrollment.
      if (x < weight) return kind === "enrollment repeat" && issuedKeys.length === 0 ? "enrollment" : kind;
      x -= weight;
    }
    return "profiles";
  }

  const peakRss = [0, 0];
  const rssSampler = setInterval(() => {
    roles.forEach((role, g) => {
      peakRss[g] = Math.max(peakRss[g]!, rssOf(role.child.pid!));
    });
  }, 1000);
  let rssStart: { rss: number; heapUsed: number }[] = [];
  let measuredStart: Awaited<ReturnType<typeof redisCommands>> | null = null;
  let measuredStartedAt = 0;
  const pending = new Set<Promise<void>>();
  const trafficStart = performance.now();
  let issued = 0;
  let phase: "warm-up" | "measured" = "warm-up";
  let phaseStart = trafficStart;
  while (true) {
    const now = performance.now();
    if (phase === "warm-up" && now - trafficStart >= WARMUP_MS) {
      // The start of the measured run: both instances' RSS after a full GC, and Redis's command count.
      phase = "measured";
      await Promise.all([...pending]);
      rssStart = await Promise.all(roles.map((role) => gcStats(role)));
      if (redis) measuredStart = await redisCommands(redis);
      measuredStartedAt = performance.now();
      measuring = true;
      phaseStart = measuredStartedAt;
      issued = 0;
      continue;
    }
    if (phase === "measured" && now - phaseStart >= DURATION_MS) break;
    const due = Math.floor(((now - phaseStart) / 1000) * RATE) - issued;
    for (let n = 0; n < due; n++) {
      issued++;
      if (inFlight >= MAX_IN_FLIGHT) {
        if (measuring) notSent++;
        continue;
      }
      const kind = pickKind();
      if (measuring) sent.set(kind, sent.get(kind)! + 1);
      inFlight++;
      const promise = operation(kind, issued % 2).finally(() => {
        inFlight--;
        pending.delete(promise);
      });
      pending.add(promise);
    }
    await sleep(5);
  }
  await withTimeout(Promise.all([...pending]), TIMEOUT_MS + 5_000, "the last operations");
  const measuredMs = performance.now() - measuredStartedAt;
  const measuredEnd = redis ? await redisCommands(redis) : null;
  clearInterval(rssSampler);
  const rssEnd = await Promise.all(roles.map((role) => gcStats(role)));

  const lostSubscriptions = completedEarly;
  for (const client of clients) await client.dispose();
  await redis?.quit();

  // Report.
  const gatewayErrors =
    [...errors.values()].reduce((a, b) => a + b, 0) +
    [...subscriptionProblems.values()].reduce((a, b) => a + b, 0) +
    lostSubscriptions;
  const out: string[] = [];
  out.push(
    `## Soak: ${fmt(MINUTES, MINUTES % 1 ? 1 : 0)} min of mixed traffic at ${RATE} operations/s over two instances, ${SUBSCRIPTIONS} open subscriptions, ${storeMode(USE_REDIS)}\n`,
  );
  out.push(machineLine(started, ["graphql-yoga", "graphql-ws", "ioredis"]));
  out.push(
    `Layout: the simulator, two gateways (A, B; \`bench/server.ts gateway --job-poll-ms ${POLL_MS} --stats-on-sigusr2${USE_REDIS ? " --redis-url" : ""}\`, node --expose-gc)${USE_REDIS ? ", one redis-server" : ""}, and this client. ` +
      `Traffic: an open loop, operations alternating between the instances; weights: ${weights.map(([k, w]) => `${k} ${w}`).join(", ")} ("enrollment repeat": an earlier key and input again on the other instance; the first certificate must come back). ` +
      `At most ${MAX_IN_FLIGHT} operations in flight (past that an operation is not sent, and counted); client timeout ${TIMEOUT_MS} ms. ` +
      `A warm-up of ${fmt(WARMUP_MS / 1000, 0)} s at the same rate comes first; "start" is after it. ` +
      `Subscriptions: \`batchJobStatusChanged\` on ${JOBS} DTM batch jobs resting in PENDING_APPROVAL (${jobIds.length ? `made in ${fmt(jobsMs / 1000)} s` : "none"}), ${SUBSCRIPTIONS} subscriptions (A ${subscribersOn[0]}, B ${subscribersOn[1]}) on graphql-ws sockets of at most ${PER_SOCKET}, all open before the traffic (first events in ${fmt(subscribeMs / 1000)} s).\n`,
  );
  out.push("| figure | value |");
  out.push("|---|---|");
  out.push(
    `| shared store, as the gateways report it (\`gateway_shared_store_up\`) | A: ${storeUp[0]}, B: ${storeUp[1]} |`,
  );
  const totalSent = [...sent.values()].reduce((a, b) => a + b, 0);
  out.push(
    `| operations (measured run) | ${measuredOps.toLocaleString("en")} answered in ${fmt(measuredMs / 1000)} s = ${fmt(measuredOps / (measuredMs / 1000))}/s (${KINDS.map((k) => `${k} ${sent.get(k)}`).join(", ")}); not sent (client at its in-flight cap): ${notSent}; sent ${totalSent} |`,
  );
  out.push(
    `| **gateway-caused errors** | **${gatewayErrors}** (target 0: **${gatewayErrors === 0 ? "met" : "not met"}**)${gatewayErrors ? `: ${listCounts(errors)}${subscriptionProblems.size ? `; subscriptions: ${listCounts(subscriptionProblems)}` : ""}${lostSubscriptions ? `; subscriptions completed early ${lostSubscriptions}` : ""}` : ""} (warm-up included) |`,
  );
  out.push(
    `| latency p50 / p99 ms | ${KINDS.map((k) => {
      const xs = latencies.get(k)!.sort((a, b) => a - b);
      return `${k} ${fmt(pct(xs, 0.5))} / ${fmt(pct(xs, 0.99))}`;
    }).join("; ")} |`,
  );
  out.push(
    `| subscriptions | ${SUBSCRIPTIONS} open at the start; ${SUBSCRIPTIONS - lostSubscriptions} still open at the end; ${subscriptionEvents} events received (first events included) |`,
  );
  for (const g of [0, 1]) {
    const drift = (rssEnd[g]!.rss - rssStart[g]!.rss) / rssStart[g]!.rss;
    out.push(
      `| ${instances[g]!.name}: RSS after a full GC | before traffic ${mib(rssBeforeTraffic[g]!.rss)} MiB; **start ${mib(rssStart[g]!.rss)} MiB, end ${mib(rssEnd[g]!.rss)} MiB, drift ${drift >= 0 ? "+" : ""}${fmt(drift * 100)}%** (target < 10%: **${Math.abs(drift) < 0.1 ? "met" : "not met"}**); heap used ${mib(rssStart[g]!.heapUsed)} → ${mib(rssEnd[g]!.heapUsed)} MiB; peak RSS sampled each second ${mib(peakRss[g]!)} MiB |`,
    );
  }
  if (measuredStart && measuredEnd && quietStart && quietEnd) {
    const commands = measuredEnd.total - measuredStart.total - 2; // the two INFO calls of this client
    const background = backgroundPerSecond * (measuredMs / 1000);
    const perCommand = [...measuredEnd.perCommand.entries()]
      .map(([name, calls]) => [name, calls - (measuredStart.perCommand.get(name) ?? 0)] as const)
      .filter(([name, calls]) => calls > 0 && name !== "info")
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    out.push(
      `| **Redis round trips per operation** | **${fmt(commands / Math.max(measuredOps, 1), 2)}** (${commands.toLocaleString("en")} commands / ${measuredOps.toLocaleString("en")} operations); of which background (leases, pub/sub, with no traffic: ${fmt(backgroundPerSecond)} commands/s) ${fmt(background / Math.max(measuredOps, 1), 2)}, traffic ${fmt((commands - background) / Math.max(measuredOps, 1), 2)} |`,
    );
    out.push(
      `| Redis commands (measured run, most called) | ${perCommand.map(([name, calls]) => `${name} ${calls}`).join(", ") || "none"} |`,
    );
  }
  out.push("");
  return out.join("\n");
}

await runBench("soak", OVERALL_DEADLINE_MS, main);
