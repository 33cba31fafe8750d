/**
 * A script's process entry: the only place that reads process.env, process.argv and the real streams, and hands the
 * `ws` package to the client (Node 20 has no global WebSocket). Each script ends with
 * `if (isEntry(import.meta.url)) await main(run)`.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import type { ScriptIo } from "./cli.js";

/** Whether the module at `moduleUrl` is the file node (or tsx) was asked to run. */
export function isEntry(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}

/** The process's own world. */
export function nodeIo(): ScriptIo {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    webSocketImpl: WebSocket,
  };
}

/** Runs `run` with the command line and the process's world, and sets the exit code it returns. */
export async function main(run: (argv: readonly string[], io: ScriptIo) => Promise<number>): Promise<void> {
  process.exitCode = await run(process.argv.slice(2), nodeIo());
}
