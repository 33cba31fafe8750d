// Benchmark (issue 12): duplicates under faults. N TLM enrollments, each with its own idempotency key and common name,
// go through two gateway instances (one simulator, one Redis), each behind its own fault proxy (bench/fault-proxy.ts).
// A caller that gets no definitive answer (connection dropped, 5xx, timeout, or a retryable typed error) retries the
// same key on the other instance, bounded. At the end the simulator's certificates are counted per common name.
// Usage: npm run bench:duplicates [-- --keys 1000 --attempts 6 --timeout-ms 3000 --no-redis ...]
// --no-redis runs the same without sharedStore: each instance remembers keys alone, so duplicates are expected.
// Processes on loopback: the simulator, two gateways (bench/server.ts roles), redis-server, and this client (which
// runs both proxies). Every phase has a deadline; the children are killed at the end.
import "reflect-metadata";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { PROFILE_IDS } from "../simulator/index.js";
import { type FaultProxy, seededRandom, startFaultProxy } from "./fault-proxy.js";
import {
  fmt,
  listCounts,
  machineLine,
  numberOption,
  p256Csr,
  pool,
  postGraphql,
  runBench,
  sharedStoreUp,
  simulatorCounters,
  spawnRole,
  spawnSimulator,
  startRedis,
  storeMode,
  tally,
  withTimeout,
} from "./harness.js";

const { values } = parseArgs({
  options: {
    keys: { type: "string", default: "1000" },
    attempts: { type: "string", default: "6" },
    concurrency: { type: "string", default: "16" },
    "timeout-ms": { type: "string", default: "3000" },
    "backoff-ms": { type: "string", default: "25" },
    drop: { type: "string", default: "0.08" },
    "drop-early": { type: "string", default: "0.08" },
    error: { type: "string", default: "0.08" },
    stall: { type: "string", default: "0.06" },
    seed: { type: "string", default: "12" },
    "no-redis": { type: "boolean", default: false },
  },
});
const int = (name: keyof typeof values, min: number, max: number) => numberOption(values, name, min, max);
function probability(name: keyof typeof values): number {
  const value = Number(values[name]);
  if (!(value >= 0 && value <= 1)) throw new Error(`--${name} must be a probability from 0 to 1`);
  return value;
}
const KEYS = int("keys", 1, 10_000);
const ATTEMPTS = int("attempts", 1, 20);
const CONCURRENCY = int("concurrency", 1, 256);
const TIMEOUT_MS = int("timeout-ms", 100, 60_000);
const BACKOFF_MS = int("backoff-ms", 0, 5_000);
const SEED = int("seed", 0, 2 ** 31);
const MIX = {
  drop: probability("drop"),
  "drop-early": probability("drop-early"),
  error: probability("error"),
  stall: probability("stall"),
};
const STALL_MS = TIMEOUT_MS + 1_000;
const USE_REDIS = !values["no-redis"];

/** The whole run, whatever happens: children are killed and the process exits past it. */
const OVERALL_DEADLINE_MS = 20 * 60_000;
const ISSUE_ROUTE = "POST /mpki/api/v1/certificate";
const ISSUE = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename
    ... on CertificateIssued { serialNumber }
    ... on CertificatePending { requestId }
    ... on Error { code message }
  }
}`;
/** Typed results that say nothing was done and the same request may be sent again. */
const RETRYABLE_TYPES = new Set(["ServiceUnavailableError", "UpstreamUnavailableError"]);
const RETRYABLE_CODES = new Set(["SERVICE_UNAVAILABLE", "UPSTREAM_UNAVAILABLE"]);

const normalizeSerial = (serial: string) => serial.replace(/[^0-9a-f]/gi, "").toUpperCase();

interface Instance {
  name: string;
  /** The GraphQL endpoint behind the fault proxy. */
  url: string;
  token: string;
  direct: string;
  proxy: FaultProxy;
}

type Told = "issued" | "pending" | "outcome unknown" | "other" | "no definitive answer";

interface KeyRecord {
  key: string;
  commonName: string;
  told: Told;
  /** The typename or code of an "other" answer. */
  detail: string | null;
  serial: string | null;
  attempts: number;
}

/** One attempt: a definitive answer (the typed result), or why the caller heard none. */
type AttemptResult =
  | { definitive: true; result: { __typename: string; serialNumber?: string; code?: string } }
  | { definitive: false; why: string };

async function attempt(instance: Instance, input: Record<string, unknown>): Promise<AttemptResult> {
  const res = await postGraphql(instance.url, instance.token, ISSUE, { input }, TIMEOUT_MS);
  if ("failed" in res)
    return { definitive: false, why: res.failed === "timeout" ? "timeout" : "connection dropped" };
  if (res.status >= 500) return { definitive: false, why: `HTTP ${res.status}` };
  let body: {
    data?: { requestCertificate?: { __typename: string } } | null;
    errors?: { extensions?: { code?: string } }[];
  };
  try {
    body = JSON.parse(res.text);
  } catch {
    return { definitive: true, result: { __typename: `HTTP ${res.status}, not JSON` } };
  }
  const result = body.data?.requestCertificate;
  if (!result) {
    const code = body.errors?.[0]?.extensions?.code ?? `HTTP ${res.status}`;
    if (RETRYABLE_CODES.has(code)) return { definitive: false, why: `GraphQL error ${code}` };
    return { definitive: true, result: { __typename: `GraphQL error ${code}` } };
  }
  if (RETRYABLE_TYPES.has(result.__typename)) return { definitive: false, why: result.__typename };
  return { definitive: true, result };
}

async function main(): Promise<string> {
  const started = new Date();
  const runId = Date.now().toString(36);
  const random = seededRandom(SEED + 1);

  const sim = await spawnSimulator();
  const redisUrl = USE_REDIS ? await startRedis() : null;
  const gatewayArgs = redisUrl ? ["--redis-url", redisUrl] : [];
  const roles = await Promise.all([
    spawnRole(["gateway", sim.url, ...gatewayArgs]),
    spawnRole(["gateway", sim.url, ...gatewayArgs]),
  ]);
  const instances: Instance[] = await Promise.all(
    roles.map(async (role, i) => {
      const direct = new URL(role.info.url);
      const proxy = await startFaultProxy({
        target: direct.origin,
        mix: MIX,
        seed: SEED * 2 + i,
        stallMs: STALL_MS,
      });
      return {
        name: i === 0 ? "A" : "B",
        url: new URL(direct.pathname, proxy.url).href,
        token: role.info.token!,
        direct: direct.origin,
        proxy,
      };
    }),
  );
  const storeUp = await sharedStoreUp(instances.map((instance) => instance.direct));

  // Inputs first (key generation is CPU this client would otherwise spend while timing callers).
  let t0 = performance.now();
  const inputs = await pool(
    Array.from({ length: KEYS }, (_, i) => i),
    4,
    async (i) => {
      const commonName = `dup-${runId}-${String(i).padStart(5, "0")}.example.com`;
      return {
        commonName,
        input: {
          profileId: PROFILE_IDS.webServer,
          seatId: "ops@example.com",
          csr: await p256Csr(commonName),
          idempotencyKey: `bench-${runId}-${i}`,
        },
      };
    },
  );
  const csrMs = performance.now() - t0;

  await simulatorCounters(sim, "DELETE");
  const attemptOutcomes = new Map<string, number>();
  t0 = performance.now();
  const records = await withTimeout(
    pool(inputs, CONCURRENCY, async ({ commonName, input }, i): Promise<KeyRecord> => {
      const record: KeyRecord = {
        key: input.idempotencyKey,
        commonName,
        told: "no definitive answer",
        detail: null,
        serial: null,
        attempts: 0,
      };
      for (let n = 0; n < ATTEMPTS; n++) {
        // Keys alternate which instance they try first; every retry goes to the other one.
        const instance = instances[(i + n) % 2]!;
        record.attempts++;
        const outcome = await attempt(instance, input);
        tally(attemptOutcomes, outcome.definitive ? "definitive answer" : outcome.why);
        if (outcome.definitive) {
          const { result } = outcome;
          if (result.__typename === "CertificateIssued") {
            record.told = "issued";
            record.serial = normalizeSerial(result.serialNumber ?? "");
          } else if (result.__typename === "CertificatePending") record.told = "pending";
          else if (result.__typename === "UpstreamOutcomeUnknownError") record.told = "outcome unknown";
          else {
            record.told = "other";
            record.detail = result.__typename;
          }
          return record;
        }
        // Short exponential backoff with jitter: 25, 50, 100 ... ms by default.
        await sleep(BACKOFF_MS * 2 ** n * (0.5 + random()));
      }
      return record;
    }),
    OVERALL_DEADLINE_MS - 3 * 60_000,
    "the callers",
  );
  const callersMs = performance.now() - t0;
  // Stalled answers still held by the proxies are past every caller (their work was done long ago): let them end.
  await sleep(STALL_MS);
  const counters = await simulatorCounters(sim, "GET");

  // Certificates per common name, from the simulator's own search (all certificates, paged).
  const perName = new Map<string, string[]>();
  for (let offset = 0; ; offset += 1000) {
    const res = await fetch(`${sim.url}/mpki/api/v1/certificate-search?limit=1000&offset=${offset}`, {
      headers: { "x-api-key": sim.apiKey },
    });
    if (!res.ok) throw new Error(`certificate-search: HTTP ${res.status}`);
    const page = (await res.json()) as {
      total: number;
      items: { common_name: string; serial_number: string }[];
    };
    for (const item of page.items) {
      const serials = perName.get(item.common_name) ?? [];
      serials.push(normalizeSerial(item.serial_number));
      perName.set(item.common_name, serials);
    }
    if (offset + page.items.length >= page.total || page.items.length === 0) break;
  }

  const histogram = { zero: 0, one: 0, more: 0 };
  let duplicates = 0;
  let maxPerKey = 0;
  let issuedNotMatching = 0;
  const told = new Map<string, number>();
  const toldByIssued = { zeroButIssued: 0, noAnswerButIssued: 0 };
  for (const record of records) {
    const serials = perName.get(record.commonName) ?? [];
    const n = serials.length;
    maxPerKey = Math.max(maxPerKey, n);
    if (n === 0) histogram.zero++;
    else if (n === 1) histogram.one++;
    else histogram.more++;
    duplicates += Math.max(0, n - 1);
    tally(told, record.told === "other" ? `other (${record.detail})` : record.told);
    if (record.told === "issued" && (n !== 1 || !serials.includes(record.serial ?? ""))) issuedNotMatching++;
    if (record.told === "issued" && n === 0) toldByIssued.zeroButIssued++;
    if (record.told === "no definitive answer" && n > 0) toldByIssued.noAnswerButIssued++;
  }
  const attemptsHistogram = new Map<number, number>();
  for (const record of records)
    attemptsHistogram.set(record.attempts, (attemptsHistogram.get(record.attempts) ?? 0) + 1);
  const totalAttempts = records.reduce((sum, r) => sum + r.attempts, 0);

  const list = (map: Map<string, number>) => listCounts(map, true);
  const out: string[] = [];
  out.push(
    `## Duplicates under faults: ${KEYS.toLocaleString("en")} enrollments with idempotency keys over two instances, ${storeMode(USE_REDIS)}\n`,
  );
  out.push(machineLine(started, ["ioredis", "undici"]));
  out.push(
    `Layout: the simulator, two gateways (A, B; \`bench/server.ts gateway${USE_REDIS ? " --redis-url" : ""}\`)${USE_REDIS ? ", one redis-server" : ""}, and this client running one fault proxy in front of each gateway. ` +
      `Fault mix per request (seed ${SEED}): drop after the answer ${MIX.drop}, drop while the gateway works (${2} ms after forwarding) ${MIX["drop-early"]}, 502/503 without forwarding ${MIX.error}, stall ${STALL_MS} ms ${MIX.stall}; the rest forwarded. ` +
      `Callers: ${CONCURRENCY} at once, caller timeout ${TIMEOUT_MS} ms, up to ${ATTEMPTS} attempts per key alternating instances (backoff ${BACKOFF_MS} ms × 2^n, jittered); a dropped connection, a timeout, a 5xx or ServiceUnavailableError/UpstreamUnavailableError is retried, any other answer is final. ` +
      `Each key: its own common name and a fresh P-256 CSR on the webServer profile (duplicates allowed by DigiCert's policy, so a second POST shows as a second certificate).\n`,
  );
  out.push("| figure | value |");
  out.push("|---|---|");
  out.push(
    `| shared store, as the gateways report it (\`gateway_shared_store_up\` on /metrics) | A: ${storeUp[0]}, B: ${storeUp[1]} |`,
  );
  out.push(
    `| keys | ${KEYS} (CSRs made in ${fmt(csrMs / 1000)} s; callers ran ${fmt(callersMs / 1000)} s) |`,
  );
  out.push(
    `| certificates issued per key (simulator search by common name) | 0: ${histogram.zero}, 1: ${histogram.one}, >1: ${histogram.more} (most for one key: ${maxPerKey}) |`,
  );
  out.push(
    `| **duplicates** (certificates beyond the first, summed over keys) | **${duplicates}** (target 0: **${duplicates === 0 ? "met" : "not met"}**) |`,
  );
  out.push(
    `| issuing POSTs the simulator received | ${counters[ISSUE_ROUTE] ?? 0} (for ${histogram.one + histogram.more} keys issued) |`,
  );
  out.push(`| what each caller was finally told | ${list(told)} |`);
  out.push(
    `| consistency | ${issuedNotMatching} callers told "issued" with a serial that is not their key's only certificate; ${toldByIssued.noAnswerButIssued} keys with no definitive answer that DigiCert did issue |`,
  );
  out.push(
    `| attempts | ${totalAttempts} in all (${fmt(totalAttempts / KEYS, 2)} per key); per key: ${[
      ...attemptsHistogram.entries(),
    ]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ")} |`,
  );
  out.push(`| attempt outcomes | ${list(attemptOutcomes)} |`);
  for (const instance of instances) {
    const c = instance.proxy.counts;
    out.push(
      `| proxy before ${instance.name} | forwarded ${c.forward}, dropped after the answer ${c.drop}, dropped while working ${c["drop-early"]}, 502 ${c.status502}, 503 ${c.status503}, stalled ${c.stall} (caller gone by then: ${c.stalledCallerGone}); gateway did not answer: ${c.upstreamFailed} |`,
    );
  }
  out.push("");
  await Promise.all(instances.map((instance) => instance.proxy.close()));
  return out.join("\n");
}

await runBench("duplicates", OVERALL_DEADLINE_MS, main);
