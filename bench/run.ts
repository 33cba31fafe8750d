// Benchmarks for the gateway (issue: overhead and dashboard). Prints a Markdown report to stdout.
// Usage: npm run bench [-- --runs 5 --duration 5]. Traffic goes to loopback only, bounded in time.
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import * as x509 from "@peculiar/x509";
import autocannon from "autocannon";
import { Client } from "undici";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "5" }, duration: { type: "string", default: "5" } },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 5)
  throw new Error("--runs must be 1 to 5 (the cold dashboard needs a fresh page per run)");
const DURATION = Number(values.duration);
const WARMUP_REQUESTS = 200;

interface Targets {
  simulator: string;
  gateway: string;
  /** Bearer token the gateway accepts. */
  token: string;
  proxy: string;
  bareYoga: string;
  apiKey: string;
}

/** Starts one bench/server.ts role in a child process and reads the JSON line it prints. */
async function spawnRole(
  args: string[],
): Promise<{ child: ChildProcess; info: { url: string; apiKey?: string; token?: string } }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL("./server.ts", import.meta.url).pathname, ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`bench server ${args[0]} exited ${code}`)));
  });
  return { child, info: JSON.parse(line) };
}

async function startTargets(): Promise<{ children: ChildProcess[]; targets: Targets }> {
  const simulator = await spawnRole(["simulator"]);
  const gateway = await spawnRole(["gateway", simulator.info.url]);
  const proxy = await spawnRole(["proxy", simulator.info.url]);
  const bareYoga = await spawnRole(["bare-yoga"]);
  return {
    children: [gateway.child, proxy.child, bareYoga.child, simulator.child],
    targets: {
      simulator: simulator.info.url,
      gateway: gateway.info.url,
      token: gateway.info.token!,
      proxy: proxy.info.url,
      bareYoga: bareYoga.info.url,
      apiKey: simulator.info.apiKey!,
    },
  };
}

async function admin(targets: Targets, method: string, path: string, body?: unknown) {
  const res = await fetch(`${targets.simulator}/_simulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status === 204 ? null : res.json();
}

interface Probe {
  name: string;
  url: URL;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

function probes(targets: Targets, serial: string): Probe[] {
  const gatewayBody = JSON.stringify({
    query: `query($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber status commonName validTo thumbprint pem } }`,
    variables: { s: serial },
  });
  return [
    {
      name: "direct GET /mpki/api/v1/certificate/{serial}",
      url: new URL(`/mpki/api/v1/certificate/${serial}`, targets.simulator),
      method: "GET",
      headers: { "x-api-key": targets.apiKey },
    },
    {
      name: "gateway certificate(serialNumber)",
      url: new URL(targets.gateway),
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${targets.token}` },
      body: gatewayBody,
    },
    {
      name: "control: bare undici proxy, same GET",
      url: new URL(`/mpki/api/v1/certificate/${serial}`, targets.proxy),
      method: "GET",
      headers: {},
    },
    {
      name: "control: bare graphql-yoga, constant resolver, same query",
      url: new URL(targets.bareYoga),
      method: "POST",
      headers: { "content-type": "application/json" },
      body: gatewayBody,
    },
  ];
}

/**
 * Sequential requests on one keep-alive connection for DURATION seconds after a warm-up, timed with
 * hrtime (autocannon's latency histogram has whole-millisecond resolution).
 */
async function sequential(probe: Probe): Promise<{ rps: number; p50: number; p99: number }> {
  const client = new Client(probe.url.origin, { pipelining: 1 });
  const path = probe.url.pathname + probe.url.search;
  const times: number[] = [];
  let deadline = Number.POSITIVE_INFINITY;
  try {
    for (let i = 0; performance.now() < deadline; i++) {
      if (i === WARMUP_REQUESTS) deadline = performance.now() + DURATION * 1000;
      const start = process.hrtime.bigint();
      const res = await client.request({
        path,
        method: probe.method,
        headers: probe.headers,
        body: probe.body,
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${probe.name}: HTTP ${res.statusCode}`);
      if (i >= WARMUP_REQUESTS) times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    await client.close();
  }
  times.sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  return { rps: (times.length / total) * 1000, p50: pct(times, 0.5), p99: pct(times, 0.99) };
}

async function concurrent(
  probe: Probe,
  connections: number,
): Promise<{ rps: number; p50: number; p99: number }> {
  const result = await autocannon({
    url: probe.url.href,
    method: probe.method,
    headers: probe.headers,
    body: probe.body,
    connections,
    duration: DURATION,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${probe.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

type Stat = { rps: number; p50: number; p99: number };
function medianStat(runs: Stat[]): Stat {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
  };
}

const DASHBOARD_QUERY = `query($after: String) {
  certificates(first: 50, after: $after) {
    totalCount
    edges { node {
      serialNumber status commonName validTo
      profile { profileId name signatureAlgorithm }
      x509 { subject { dn } issuer { dn } subjectAltNames { type value } publicKey { algorithm size curve }
             sha256Fingerprint keyUsage extendedKeyUsage { name } notAfter daysUntilExpiry }
    } }
  }
}`;

/** The connection's cursor for the item just before `offset` (Pothos offset cursors). */
function afterCursor(offset: number): string | null {
  return offset === 0 ? null : Buffer.from(`OffsetConnection:${offset - 1}`).toString("base64");
}

/** One dashboard query for the page at `offset`; a page not seen before is "cold" for the x509 cache. */
async function dashboardGateway(targets: Targets, offset = 0): Promise<number> {
  const start = performance.now();
  const res = await fetch(targets.gateway, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${targets.token}` },
    body: JSON.stringify({ query: DASHBOARD_QUERY, variables: { after: afterCursor(offset) } }),
  });
  const body = (await res.json()) as { errors?: unknown; data?: { certificates: { edges: unknown[] } } };
  if (body.errors || body.data?.certificates.edges.length !== 50) throw new Error("dashboard query failed");
  return performance.now() - start;
}

/** The same work by hand over REST: search, then each distinct profile, then parse every certificate. */
async function dashboardRest(targets: Targets, parallel: boolean): Promise<number> {
  const headers = { "x-api-key": targets.apiKey };
  const start = performance.now();
  const search = (await (
    await fetch(new URL("/mpki/api/v1/certificate-search?offset=0&limit=50", targets.simulator), { headers })
  ).json()) as { items: { certificate: string; profile: { id: string } }[] };
  const ids = [...new Set(search.items.map((i) => i.profile.id))];
  const get = (id: string) =>
    fetch(new URL(`/mpki/api/v2/profile/${id}`, targets.simulator), { headers }).then((r) => r.json());
  if (parallel) await Promise.all(ids.map(get));
  else for (const item of search.items) await get(item.profile.id);
  for (const item of search.items) {
    const cert = new x509.X509Certificate(item.certificate);
    void cert.subject;
    await cert.getThumbprint("SHA-256");
  }
  return performance.now() - start;
}

async function counted(
  targets: Targets,
  fn: () => Promise<number>,
): Promise<{ ms: number; requests: number }> {
  await admin(targets, "DELETE", "/counters");
  const ms = await fn();
  const counts = (await admin(targets, "GET", "/counters")) as Record<string, number>;
  return { ms, requests: Object.values(counts).reduce((a, b) => a + b, 0) };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function main() {
  const { children, targets } = await startTargets();
  const out: string[] = [];
  try {
    const pkg = (name: string) =>
      (
        JSON.parse(
          readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), "utf8"),
        ) as { version: string }
      ).version;
    out.push(
      `Run: ${new Date().toISOString()}; ${RUNS} runs per figure, medians; ${DURATION} s per run (autocannon for 16 concurrent; one keep-alive connection timed with hrtime for sequential, after ${WARMUP_REQUESTS} warm-up requests).`,
    );
    out.push(
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; graphql ${pkg("graphql")}, graphql-yoga ${pkg("graphql-yoga")}, undici ${pkg("undici")}, @pothos/core ${pkg("@pothos/core")}, autocannon ${pkg("autocannon")}.`,
    );
    out.push(
      "Layout: three processes on loopback: the simulator, the gateway, and the load client (this one).\n",
    );

    const first = (await (
      await fetch(new URL("/mpki/api/v1/certificate-search?offset=0&limit=1", targets.simulator), {
        headers: { "x-api-key": targets.apiKey },
      })
    ).json()) as { items: { serial_number: string }[] };
    const serial = first.items[0]!.serial_number;

    out.push("## Overhead: certificate(serialNumber) vs the same GET straight to the simulator\n");
    out.push("| simulator latency | client | target | req/s | p50 ms | p99 ms |");
    out.push("|---|---|---|---|---|---|");
    const added: string[] = [];
    for (const latency of [0, 20]) {
      await admin(targets, "PUT", "/latency", { ms: latency });
      const [direct, gateway, proxy, bareYoga] = probes(targets, serial) as [Probe, Probe, Probe, Probe];
      for (const mode of ["sequential", "16 concurrent"] as const) {
        const stats: Record<string, Stat> = {};
        // The bare yoga control has no upstream: measured once, at 0 ms.
        for (const probe of latency === 0 ? [direct, gateway, proxy, bareYoga] : [direct, gateway, proxy]) {
          const runs: Stat[] = [];
          for (let r = 0; r < RUNS; r++) {
            runs.push(mode === "sequential" ? await sequential(probe) : await concurrent(probe, 16));
          }
          stats[probe.name] = medianStat(runs);
          const s = stats[probe.name]!;
          out.push(
            `| ${latency} ms | ${mode} | ${probe.name} | ${fmt(s.rps, 0)} | ${fmt(s.p50)} | ${fmt(s.p99)} |`,
          );
        }
        const delta = stats[gateway.name]!.p50 - stats[direct.name]!.p50;
        const hop = stats[proxy.name]!.p50 - stats[direct.name]!.p50;
        added.push(
          `- ${latency} ms upstream, ${mode}: gateway adds ${fmt(delta)} ms at p50; a bare proxy hop adds ${fmt(hop)} ms`,
        );
        const floor = stats[bareYoga.name];
        if (floor) {
          added.push(
            `- ${latency} ms upstream, ${mode}: gateway req/s = ${fmt((stats[gateway.name]!.rps / floor.rps) * 100, 1)}% of bare graphql-yoga's (P2: ≥ 70% at 16 concurrent)`,
          );
        }
      }
    }
    out.push("", ...added, "");

    out.push("## Dashboard: 50 certificates with profile and x509 fields, 20 ms upstream latency\n");
    await admin(targets, "PUT", "/latency", { ms: 20 });
    await dashboardGateway(targets); // warm-up: connections, JIT
    let coldPage = 0; // 300 seeded certificates: pages 1..5 are cold, so RUNS must stay <= 5
    const rows: [string, () => Promise<number>][] = [
      ["gateway, same page again (parsed certificates cached)", () => dashboardGateway(targets)],
      ["gateway, a page not seen before (cold x509 cache)", () => dashboardGateway(targets, 50 * ++coldPage)],
      ["REST client, profiles in parallel", () => dashboardRest(targets, true)],
      ["REST client, one profile GET per certificate", () => dashboardRest(targets, false)],
    ];
    out.push("| client | wall ms (median) | upstream requests | wall in 20 ms round trips |");
    out.push("|---|---|---|---|");
    for (const [name, fn] of rows) {
      const runs: { ms: number; requests: number }[] = [];
      for (let r = 0; r < RUNS; r++) runs.push(await counted(targets, fn));
      const ms = median(runs.map((r) => r.ms));
      out.push(`| ${name} | ${fmt(ms, 1)} | ${median(runs.map((r) => r.requests))} | ${fmt(ms / 20, 2)} |`);
    }
    await admin(targets, "PUT", "/latency", { ms: 0 });
  } finally {
    for (const child of children) child.kill("SIGTERM");
  }
  console.log(out.join("\n"));
}

await main();
