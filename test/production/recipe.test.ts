// The Dockerfile's recipe, rehearsed where no container engine exists: test/production/dockerfile.ts runs each
// stage's COPY and RUN (npm ci, npm run build, npm ci --omit=dev) in a temporary directory of its own, then this test
// starts the runtime stage's CMD as `docker run` would (built-in simulator: no DIGICERT_BASE_URL, the image's
// default), waits for the HEALTHCHECK command, asks one GraphQL query with the printed dev token, and stops it with
// SIGTERM. A recipe that forgets a file the bundle needs, or installs too little, fails here. It needs the npm
// registry (or a warm npm cache) and takes a minute or two.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Build, build, buildContext, inStage, run, type Stage } from "./dockerfile.js";
import { freePort } from "../helpers/listen.js";

const repo = join(import.meta.dirname, "../..");
const BUILD_TIMEOUT_MS = 240_000;

/** This machine's network and registry settings stand in for the build machine's; nothing else leaks in. */
const PASSED_THROUGH = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "npm_config_registry",
  "npm_config_cache",
  "npm_config_userconfig",
  "NPM_CONFIG_REGISTRY",
  "NPM_CONFIG_CACHE",
  "NPM_CONFIG_USERCONFIG",
];

function baseEnvironment(home: string): Record<string, string> {
  // This Node first; no node_modules/.bin of the repository (npm test puts it on PATH).
  const path = [
    dirname(process.execPath),
    ...(process.env.PATH ?? "").split(delimiter).filter((p) => !p.includes("node_modules")),
  ];
  const env: Record<string, string> = { PATH: path.join(delimiter), HOME: home };
  for (const name of PASSED_THROUGH) if (process.env[name]) env[name] = process.env[name];
  return env;
}

/** Docker's duration syntax as the HEALTHCHECK options use it: 30s, 1m30s, 500ms. */
function durationMs(value: string | undefined, fallback: number): number {
  if (!value) return fallback;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"];
  }
  return total;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let workspace: string;
let recipe: Build;
let runtime: Stage;
let buildLog = "";
let child: ChildProcess | null = null;
let stdout = "";
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let containerEnv: Record<string, string>;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), "recipe-"));
  const home = join(workspace, "home");
  mkdirSync(home);
  const context = join(workspace, "context");
  buildContext(repo, context);
  try {
    recipe = await build({
      dockerfile: readFileSync(join(repo, "Dockerfile"), "utf8"),
      context,
      workspace,
      // The host's npm cache (under its HOME) is the RUN --mount=type=cache.
      baseEnv: { ...baseEnvironment(process.env.HOME ?? home) },
      onOutput: (chunk) => (buildLog += chunk),
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- build output (tail) ---\n${buildLog.slice(-3000)}`);
  }
  runtime = recipe.stages.at(-1)!;
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

describe("the Dockerfile's recipe, rehearsed without a container engine", () => {
  it("builds from a context that .dockerignore keeps to sources and manifests", () => {
    const context = join(workspace, "context");
    for (const needed of [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "scripts/build.ts",
      "src/main.ts",
    ]) {
      expect(existsSync(join(context, needed)), needed).toBe(true);
    }
    for (const keptOut of ["node_modules", ".git", ".simulator-data", "dist", "test", "README.md"]) {
      expect(existsSync(join(context, keptOut)), keptOut).toBe(false);
    }
  });

  it("builds on the Node major version this machine runs, so the rehearsal is faithful", () => {
    const major = process.versions.node.split(".")[0];
    for (const stage of recipe.stages) expect(stage.base).toMatch(new RegExp(`^node:${major}[.-]`));
  });

  it("ends in a runtime stage with the two bundles and production dependencies only", () => {
    const has = (path: string) => existsSync(inStage(runtime, path));
    expect(recipe.stages.map((stage) => stage.name)).toEqual(["build", "runtime"]);
    expect(has("dist/main.js") && has("dist/main.js.map") && has("dist/simulator.js")).toBe(true);
    for (const dependency of ["graphql", "graphql-yoga", "@peculiar/x509", "reflect-metadata", "jose"]) {
      expect(has(`node_modules/${dependency}/package.json`), dependency).toBe(true);
    }
    for (const devOnly of ["esbuild", "tsx", "typescript", "vitest", "src", "simulator", "scripts"]) {
      expect(has(devOnly) || has(`node_modules/${devOnly}`), devOnly).toBe(false);
    }
  });

  it("runs as the node user, exposes the GraphQL and metrics ports, and makes node PID 1", () => {
    expect(runtime.user).toBe("node");
    expect(runtime.env).toMatchObject({ NODE_ENV: "production", HOST: "0.0.0.0", PORT: "4000" });
    expect(runtime.expose).toEqual([4000, 9464]);
    expect(runtime.cmd).toEqual(["node", "--enable-source-maps", "dist/main.js"]);
    expect(recipe.notes.filter((note) => note.includes("shell-form CMD"))).toEqual([]);
  });

  it("starts the runtime CMD, passes its HEALTHCHECK, and answers a GraphQL query with the simulator's data", async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const home = join(workspace, "home");
    // As `docker run -e ...`: the image's ENV, then a free port instead of 4000 (the healthcheck reads PORT),
    // and loopback instead of 0.0.0.0 (a test does not listen on the network).
    containerEnv = {
      ...baseEnvironment(home),
      ...runtime.env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      HOST: "127.0.0.1",
    };
    const [command, ...args] = runtime.cmd!;
    child = spawn(command!, args, {
      cwd: inStage(runtime, runtime.workdir),
      env: containerEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    exited = new Promise((resolve) => child!.once("exit", (code, signal) => resolve({ code, signal })));

    // The HEALTHCHECK's own command, polled faster than its interval, for as long as Docker would wait.
    const healthcheck = runtime.healthcheck!;
    expect(healthcheck).not.toBeNull();
    const patience =
      durationMs(healthcheck.options["start-period"], 0) +
      durationMs(healthcheck.options.interval, 30_000) * Number(healthcheck.options.retries ?? 3);
    const deadline = Date.now() + patience;
    let healthy = false;
    while (!healthy && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the CMD exited ${child.exitCode}:\n${stdout}`);
      healthy =
        (await run(healthcheck.command, { cwd: inStage(runtime, runtime.workdir), env: containerEnv }))
          .code === 0;
      if (!healthy) await sleep(200);
    }
    expect(healthy, `HEALTHCHECK never passed in ${patience} ms:\n${stdout}`).toBe(true);

    while (!stdout.includes("Try it:") && Date.now() < deadline) await sleep(20);
    const url = /GraphQL gateway ready: (\S+)/.exec(stdout)?.[1];
    const token = /Development token[^\n]*\n\s+(\S+)/.exec(stdout)?.[1];
    expect(url, stdout).toBe(`http://127.0.0.1:${port}/graphql`);
    expect(token, stdout).toMatch(/^ey/);

    const response = await fetch(url!, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          "{ profiles(first: 5) { edges { node { profileId name status } } } certificates(first: 2) { totalCount edges { node { x509 { subject { commonName } sha256Fingerprint } } } } }",
      }),
    });
    const body = (await response.json()) as {
      errors?: unknown;
      data: {
        profiles: { edges: { node: { name: string; status: string } }[] };
        certificates: { totalCount: number; edges: { node: { x509: { sha256Fingerprint: string } } }[] };
      };
    };
    expect(body.errors).toBeUndefined();
    expect(body.data.profiles.edges.map((edge) => edge.node.name)).toContain("Web Server TLS");
    // Parsed certificates: @peculiar/x509 ran in the bundle, so reflect-metadata loaded before it.
    expect(body.data.certificates.totalCount).toBeGreaterThan(0);
    expect(body.data.certificates.edges[0]!.node.x509.sha256Fingerprint).toMatch(/^[0-9A-F]{64}$/);
  }, 90_000);

  it("serves GraphiQL and every asset its page names (a package the bundle loads at run time)", async () => {
    expect(child, "the previous test starts the CMD").not.toBeNull();
    const url = /GraphQL gateway ready: (\S+)/.exec(stdout)![1]!;
    const page = await fetch(url, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length, html.slice(0, 2000)).toBeGreaterThan(0);
    for (const asset of assets) {
      const response = await fetch(new URL(asset, url));
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
  }, 30_000);

  it("serves Prometheus metrics on METRICS_PORT, the image's second exposed port", async () => {
    expect(child, "the previous tests start the CMD").not.toBeNull();
    const response = await fetch(`http://127.0.0.1:${containerEnv.METRICS_PORT}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("# TYPE ");
  });

  it("stops the runtime CMD with exit code 0 within the shutdown deadline on SIGTERM", async () => {
    expect(child, "the previous test starts the CMD").not.toBeNull();
    const shutdownTimeoutMs = Number(containerEnv.SHUTDOWN_TIMEOUT_MS ?? 15_000);
    const started = Date.now();
    child!.kill("SIGTERM");
    const outcome = await Promise.race([
      exited,
      sleep(shutdownTimeoutMs + 2_000).then(() => "timeout" as const),
    ]);
    expect(
      outcome,
      `still running ${shutdownTimeoutMs + 2_000} ms after SIGTERM:\n${stdout.slice(-2000)}`,
    ).not.toBe("timeout");
    expect(outcome).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(shutdownTimeoutMs);
  }, 30_000);
});
