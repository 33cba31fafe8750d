import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { JOB_SUBSCRIPTION, pendingIotJob } from "../helpers/jobs.js";

const DRAIN_MS = 300;
const TIMEOUT_MS = 4_000;
let child: ChildProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  child?.kill("SIGKILL");
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** `npm start` as a newcomer runs it (tsx, built-in simulator), on free ports; resolves with its URL and dev token. */
async function startGateway(): Promise<{
  url: URL;
  token: string;
  output: () => string;
  exited: Promise<number | null>;
}> {
  dataDir = await mkdtemp(join(tmpdir(), "gateway-process-"));
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
      SIMULATOR_DATA_DIR: dataDir,
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let out = "";
  proc.stdout!.on("data", (chunk: Buffer) => void (out += chunk.toString()));
  proc.stderr!.on("data", (chunk: Buffer) => void (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  for (let i = 0; i < 300; i++) {
    const url = /GraphQL gateway ready: (\S+)/.exec(out)?.[1];
    const token = /^\s+(eyJ\S+)$/m.exec(out)?.[1];
    if (url && token) return { url: new URL(url), token, output: () => out, exited };
    if (proc.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the gateway did not start:\n${out}`);
}

describe("The gateway process", () => {
  it("exits 0 on SIGTERM within the drain window plus the deadline, after its subscriber saw complete", async () => {
    const { url, token, output, exited } = await startGateway();
    const jobId = await pendingIotJob(url, token, "sigterm.iot.example.com");
    const client = createClient({
      url: url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    let first!: () => void;
    const gotFirst = new Promise<void>((resolve) => (first = resolve));
    const outcome = new Promise<string>((resolve) => {
      client.subscribe(
        { query: JOB_SUBSCRIPTION, variables: { id: jobId } },
        { next: () => first(), error: () => resolve("error"), complete: () => resolve("complete") },
      );
    });
    await gotFirst;
    const signalled = Date.now();
    child!.kill("SIGTERM");
    // Ready is 503 at once; the listener still answers during the drain window.
    const ready = await fetch(new URL("/readyz", url));
    expect(ready.status).toBe(503);
    expect(await outcome).toBe("complete");
    expect(await exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(DRAIN_MS + TIMEOUT_MS);
    expect(output()).toContain('"msg":"shutting down"');
    expect(output()).toContain('"msg":"stopped"');
    await client.dispose();
  }, 30_000);
});
