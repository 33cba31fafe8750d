// What metrics, request ids and tracing (off) cost: certificate(serialNumber) at 16 connections in alternating rounds,
// in front of one simulator, on this code with metrics on, with metrics off, and (the reference) the same code with
// src/observability/index.ts replaced by no-ops (bench/without-observability.mjs). With --baseline <dir>, also an
// older checkout, e.g. `git worktree add /tmp/baseline 4da9553` whose node_modules links to this one's.
// Usage: npm run bench:observability [-- --rounds 5 --duration 4 --baseline /tmp/baseline]. Loopback only, bounded.
// On 2+ CPUs the gateways run on the last CPU and this process and the simulator on the others (taskset; --no-pin to
// share them all): unpinned, the load generator and the simulator preempt the gateway, and per-round CPU per request
// varied by ±30% for the same target.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "4" },
    baseline: { type: "string" },
    "no-pin": { type: "boolean", default: false },
  },
});
const CPUS = availableParallelism();
const PIN = !values["no-pin"] && CPUS >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
const GATEWAY_CPU = String(CPUS - 1);
const OTHER_CPUS = `0-${CPUS - 2}`;
// Every thread of this process (autocannon, the main loop) off the gateway's CPU.
if (PIN) spawnSync("taskset", ["-a", "-p", "-c", OTHER_CPUS, String(process.pid)], { stdio: "ignore" });
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
if (!(ROUNDS >= 1 && ROUNDS <= 20 && DURATION >= 1 && DURATION <= 30))
  throw new Error("--rounds 1-20, --duration 1-30");

async function role(
  serverTs: string,
  args: string[],
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; info: Record<string, string> }> {
  const command = [process.execPath, "--import", "tsx", ...nodeArgs, serverTs, ...args];
  // taskset execs node: the child's pid is node's, as /proc reads need.
  const cpus = args[0] === "gateway" ? GATEWAY_CPU : OTHER_CPUS;
  const [file, ...argv] = PIN ? ["taskset", "-c", cpus, ...command] : command;
  const child = spawn(file!, argv, { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}`)));
  });
  return { child, info: JSON.parse(line) };
}

// CPU seconds (user + system) a process has used, from /proc (Linux): CPU per request is less noisy than req/s on a
// shared VM, and at saturation a one-threaded server's throughput is the inverse of it.
const TICKS = 100; // USER_HZ, 100 on every Linux this runs on
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

const here = new URL("./server.ts", import.meta.url).pathname;
const children: ChildProcess[] = [];
try {
  const simulator = await role(here, ["simulator"]);
  children.push(simulator.child);
  const withoutObservability = new URL("./without-observability.mjs", import.meta.url).pathname;
  // `requestIds`: whether its answers carry x-request-id (checked before measuring); null for an older checkout.
  const roles: {
    name: string;
    serverTs: string;
    args: string[];
    nodeArgs: string[];
    requestIds: boolean | null;
  }[] = [
    {
      name: "metrics on, request ids, tracing off",
      serverTs: here,
      args: ["--metrics", "on"],
      nodeArgs: [],
      requestIds: true,
    },
    {
      name: "metrics off, request ids, tracing off",
      serverTs: here,
      args: ["--metrics", "off"],
      nodeArgs: [],
      requestIds: true,
    },
    ...(values.baseline
      ? [
          {
            name: "baseline: an older checkout",
            serverTs: `${values.baseline}/bench/server.ts`,
            args: [],
            nodeArgs: [],
            requestIds: null,
          },
        ]
      : []),
    // The reference (last): this same code with src/observability/index.ts replaced by no-ops.
    {
      name: "none: same code, observability replaced by no-ops",
      serverTs: here,
      args: [],
      nodeArgs: ["--import", withoutObservability],
      requestIds: false,
    },
  ];
  const targets: { name: string; url: string; token: string; pid: number; requestIds: boolean | null }[] = [];
  for (const { name, serverTs, args, nodeArgs, requestIds } of roles) {
    const gateway = await role(serverTs, ["gateway", simulator.info.url!, ...args], nodeArgs);
    children.push(gateway.child);
    targets.push({
      name,
      url: gateway.info.url!,
      token: gateway.info.token!,
      pid: gateway.child.pid!,
      requestIds,
    });
  }
  const headersFor = (target: (typeof targets)[number]) => ({
    "content-type": "application/json",
    authorization: `Bearer ${target.token}`,
  });
  const search = await fetch(
    new URL("/mpki/api/v1/certificate-search?offset=0&limit=1", simulator.info.url),
    {
      headers: { "x-api-key": simulator.info.apiKey! },
    },
  );
  const serial = ((await search.json()) as { items: { serial_number: string }[] }).items[0]!.serial_number;
  const body = JSON.stringify({
    query: `query($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber status commonName validTo } }`,
    variables: { s: serial },
  });
  const run = async (target: (typeof targets)[number], duration: number) => {
    const result = await autocannon({
      url: target.url,
      method: "POST",
      headers: headersFor(target),
      body,
      connections: 16,
      duration,
    });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return result;
  };
  // Each target is what its name says: request ids exactly where observability is in.
  for (const target of targets) {
    const response = await fetch(target.url, { method: "POST", headers: headersFor(target), body });
    await response.arrayBuffer();
    const wrong = target.requestIds !== null && response.headers.has("x-request-id") !== target.requestIds;
    if (!response.ok || wrong)
      throw new Error(
        `${target.name}: status ${response.status}, x-request-id ${response.headers.get("x-request-id")}`,
      );
  }
  for (const target of targets) await run(target, 5); // warm-up: JIT and connection pools (2 s left round 1 at +60% CPU)
  const rps = new Map(targets.map((t) => [t.name, [] as number[]]));
  const cpu = new Map(targets.map((t) => [t.name, [] as number[]])); // gateway CPU µs per request
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the next target: a fixed order gave the last one a steady edge (the simulator's GC).
    for (const target of targets.map((_, i) => targets[(i + round) % targets.length]!)) {
      const before = cpuSeconds(target.pid);
      const result = await run(target, DURATION);
      rps.get(target.name)!.push(result.requests.average);
      cpu.get(target.name)!.push(((cpuSeconds(target.pid) - before) / result.requests.total) * 1e6);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const reference = targets.at(-1)!.name;
  // Paired by round: each target against the reference's figure of the same round, which ran next to it in time; the
  // machine's drift (rounds got 2x faster over one run) then cancels, where medians of each target's own rounds mix it in.
  const paired = (series: Map<string, number[]>, name: string) =>
    median(series.get(name)!.map((x, round) => x / series.get(reference)![round]!));
  console.log(
    `Run: ${new Date().toISOString()}; ${ROUNDS} alternating rounds of ${DURATION} s, 16 connections; ` +
      (PIN ? `gateways on CPU ${GATEWAY_CPU}, simulator and load on CPU ${OTHER_CPUS}.\n` : "unpinned.\n"),
  );
  console.log(
    `| gateway | req/s (median) | vs ${reference}, paired by round (median) | gateway CPU µs/request (median) | vs ${reference}, paired by round (median) | CPU µs/request by round |`,
  );
  console.log("|---|---|---|---|---|---|");
  const pct = (ratio: number) => `${((ratio - 1) * 100).toFixed(1)}%`;
  for (const target of targets) {
    const cs = cpu.get(target.name)!;
    console.log(
      `| ${target.name} | ${Math.round(median(rps.get(target.name)!))} | ${pct(paired(rps, target.name))} | ` +
        `${Math.round(median(cs))} | ${pct(paired(cpu, target.name))} | ${cs.map(Math.round).join(", ")} |`,
    );
  }
} finally {
  for (const child of children) child.kill("SIGTERM");
}
