/**
 * A real redis-server for a test: its own free loopback port and temporary directory, no persistence, always stopped.
 * `.ci/run` installs Debian's redis-server when it is missing; REDIS_SERVER names another binary.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { SharedRedis } from "../../src/stores/redis.js";
import { freePort } from "./listen.js";

export const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Kills the server at once (SIGKILL), as a crash would; `start()` brings it back on the same port, empty. */
  kill(): Promise<void>;
  /** Starts it again after kill(), on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "gw-redis-"));
  let child: ChildProcess | null = null;

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(
        REDIS_SERVER,
        [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--dir",
          dir,
          "--save",
          "",
          "--appendonly",
          "no",
          "--protected-mode",
          "yes",
          "--loglevel",
          "notice", // "Ready to accept connections" is a notice
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let output = "";
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`redis-server did not start within 10 s: ${output.slice(-500)}`));
      }, 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on("data", onData);
      proc.stderr!.on("data", onData);
      proc.once("error", (error) => {
        clearTimeout(timer);
        reject(
          new Error(`redis-server could not be started (${error.message}); install Debian's redis-server`),
        );
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        if (child === proc) child = null;
        reject(new Error(`redis-server exited ${code}: ${output.slice(-500)}`));
      });
      child = proc;
    });

  const terminate = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc) return;
    child = null;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill(signal);
    });
  };

  await launch();
  let stopped = false;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => terminate("SIGKILL"),
    start: () => (child ? Promise.resolve() : launch()),
    async stop() {
      if (stopped) return;
      stopped = true;
      await terminate("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A connection to `server` as one gateway instance makes it (short limits, silent), ready; the caller closes it. */
export async function connectShared(server: TestRedis, keyPrefix: string): Promise<SharedRedis> {
  const redis = new SharedRedis({
    url: server.url,
    keyPrefix,
    connectTimeoutMs: 1_000,
    commandTimeoutMs: 500,
    logger: pino({ level: "silent" }),
  });
  if (!(await redis.waitUntilReady())) throw new Error("the test's redis-server did not answer");
  return redis;
}
