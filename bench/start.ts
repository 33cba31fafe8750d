// Start-up time: from spawn to the first successful GraphQL answer (a profiles query, one upstream read), the median
// (and min, max) of N starts of each way to run the gateway. Prints a Markdown table.
// Usage: npm run bench:start [-- --runs 7]
//   (a) tsx src/main.ts, today's `npm start`, on the built-in simulator;
//   (b) node --enable-source-maps dist/main.js (the image's CMD) on the built-in simulator (.simulator-data already
//       made, as on every start but the first; "cold": a fresh one each start);
//   (c) the same with an external upstream: a simulator started beforehand, a PEM token key, a token signed for it.
// (b) and (c) run twice: `npm run build` as it is (npm packages bundled) and with --external-packages.
// Builds go to bench/.out/; every child listens on loopback and is stopped with SIGTERM.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { freePort } from "../test/helpers/listen.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "7" },
    "poll-ms": { type: "string", default: "10" },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 50) throw new Error("--runs must be 1 to 50");
const POLL_MS = Number(values["poll-ms"]);
const GIVE_UP_MS = 60_000;

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "bench/.out");
const scratch = mkdtempSync(join(tmpdir(), "bench-start-"));
const QUERY = JSON.stringify({ query: "{ profiles(first: 1) { edges { node { profileId } } } }" });
const ISSUER = "urn:bench:start";
const AUDIENCE = "digicert-graphql-gateway";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether something accepts TCP connections on 127.0.0.1:port now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function buildTo(outdir: string, externalPackages: boolean): void {
  const args = ["--import", "tsx", "scripts/build.ts", "--outdir", outdir];
  if (externalPackages) args.push("--external-packages");
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (result.status !== 0) throw new Error(`build to ${outdir} failed`);
}

/** Env for a child: this process's PATH and HOME, quiet logs, a fast drain so runs follow one another quickly. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? scratch,
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    SHUTDOWN_DRAIN_MS: "0",
    ...extra,
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, sleep(20_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/** One start: spawn, then POST the query every POLL_MS until an answer with data; ms from spawn to that answer. */
async function oneStart(
  argv: string[],
  env: Record<string, string>,
  token: string | null,
): Promise<{ ms: number; bannerMs: number; child: ChildProcess }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const url = `http://127.0.0.1:${port}/graphql`;
  const started = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: root,
    env: { ...env, PORT: String(port), METRICS_PORT: String(metricsPort) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let bearer = token;
  let bannerMs = Number.NaN;
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (Number.isNaN(bannerMs) && output.includes("GraphQL gateway ready"))
      bannerMs = performance.now() - started;
    // On the built-in simulator the dev token exists once the banner is out.
    bearer ??= /Development token[^\n]*\n\s+(ey\S+)/.exec(output)?.[1] ?? null;
  });
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let listening = false;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${argv.join(" ")} exited ${child.exitCode}:\n${output}`);
    if (performance.now() - started > GIVE_UP_MS) {
      await stop(child);
      throw new Error(`${argv.join(" ")}: no answer in ${GIVE_UP_MS} ms:\n${output}`);
    }
    // A refused TCP connect costs the poller next to nothing; a refused fetch costs it an Error with a stack, on a
    // machine whose CPUs the starting gateway needs. So: connect until it listens, then ask.
    listening ||= await accepts(port);
    if (bearer && listening) {
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
          body: QUERY,
        });
        const body = (await response.json()) as { data?: { profiles?: { edges: unknown[] } } };
        if (response.ok && body.data?.profiles?.edges.length)
          return { ms: performance.now() - started, bannerMs, child };
      } catch {
        // not listening yet
      }
    }
    await sleep(POLL_MS);
  }
}

interface Row {
  name: string;
  target?: number;
  samples: number[];
  /** Spawn to the "GraphQL gateway ready" line. */
  banners: number[];
}

async function measure(
  name: string,
  argv: string[],
  env: () => Record<string, string>,
  token: string | null,
  target?: number,
): Promise<Row> {
  const samples: number[] = [];
  const banners: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, bannerMs, child } = await oneStart(argv, env(), token);
    samples.push(ms);
    banners.push(bannerMs);
    await stop(child);
  }
  process.stderr.write(`${name}: ${samples.map((ms) => ms.toFixed(0)).join(", ")} ms\n`);
  return { name, target, samples, banners };
}

const median = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!.toFixed(2);
  mkdirSync(out, { recursive: true });
  const dist = join(out, "dist");
  buildTo(dist, false);
  const externalDist = join(out, "dist-external-packages");
  buildTo(externalDist, true);
  const node = (build: string) => [process.execPath, "--enable-source-maps", join(build, "main.js")];

  // The token key of (c): a PEM public key file, as AUTH_PUBLIC_KEY_FILE takes it, and one token signed for it.
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicKeyFile = join(scratch, "token-key.pem");
  writeFileSync(publicKeyFile, publicKey.export({ type: "spki", format: "pem" }));
  const token = await new SignJWT({
    tenant: "default",
    scope: "certificates:read certificates:write keys:generate batch-jobs devices",
  })
    .setProtectedHeader({ alg: "ES256" })
    .setSubject("bench")
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey);

  // (a), (b): one data dir, made by an untimed first start, as on a developer's second `npm start`.
  const warmData = join(scratch, "simulator-data");
  const builtIn = () => childEnv({ SIMULATOR_DATA_DIR: warmData });
  const warmup = await oneStart(node(dist), builtIn(), null);
  await stop(warmup.child);
  let cold = 0;
  const coldEnv = () => childEnv({ SIMULATOR_DATA_DIR: join(scratch, `cold-${cold++}`) });

  // (c): the upstream, started once beforehand.
  const simulatorPort = await freePort();
  const simulator = spawn(process.execPath, ["--enable-source-maps", join(dist, "simulator.js")], {
    cwd: root,
    env: childEnv({
      SIMULATOR_PORT: String(simulatorPort),
      SIMULATOR_DATA_DIR: join(scratch, "external-simulator"),
      SIMULATOR_LOG_LEVEL: "warn",
    }),
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    let text = "";
    simulator.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("listening on")) resolve();
    });
    simulator.once("exit", (code) => reject(new Error(`the simulator exited ${code}`)));
  });
  const external = () =>
    childEnv({
      DIGICERT_BASE_URL: `http://127.0.0.1:${simulatorPort}`,
      DIGICERT_API_KEY: "sim-local-api-key",
      AUTH_PUBLIC_KEY_FILE: publicKeyFile,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_ALGORITHMS: "ES256",
    });

  const tsx = join(root, "node_modules/.bin/tsx");
  const rows: Row[] = [];
  try {
    rows.push(await measure("(a) tsx src/main.ts, built-in simulator", [tsx, "src/main.ts"], builtIn, null));
    for (const [label, build] of [
      ["npm packages bundled", dist],
      ["npm packages external", externalDist],
    ] as const) {
      rows.push(
        await measure(`(b) dist/main.js, ${label}, built-in simulator`, node(build), builtIn, null, 1000),
      );
      rows.push(
        await measure(`(c) dist/main.js, ${label}, external upstream`, node(build), external, token, 800),
      );
    }
    rows.push(
      await measure(
        "(b, cold) dist/main.js, npm packages bundled, fresh .simulator-data",
        node(dist),
        coldEnv,
        null,
      ),
    );
  } finally {
    await stop(simulator);
    rmSync(scratch, { recursive: true, force: true });
  }

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const lines = [
    `Start-up: spawn to the first GraphQL answer (\`profiles(first: 1)\`, polled every ${POLL_MS} ms), ${RUNS} starts each.`,
    `Node ${process.version}, ${cpus().length} x ${cpu}; load average ${loadBefore} before, ${loadavg()[0]!.toFixed(2)} after.`,
    "",
    "| Start | Median | Min | Max | Target | Median to the ready line |",
    "|---|---:|---:|---:|---|---:|",
    ...rows.map((row) => {
      const m = median(row.samples);
      const target =
        row.target === undefined ? "" : `≤ ${row.target} ms ${m <= row.target ? "(met)" : "(missed)"}`;
      const f = (ms: number) => `${ms.toFixed(0)} ms`;
      return `| ${row.name} | ${f(m)} | ${f(Math.min(...row.samples))} | ${f(Math.max(...row.samples))} | ${target} | ${f(median(row.banners))} |`;
    }),
  ];
  console.log(lines.join("\n"));
}

await main();
