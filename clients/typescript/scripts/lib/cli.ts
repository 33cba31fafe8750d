/**
 * What every script shares: its world (`ScriptIo`: environment, output streams, working directory, the WebSocket
 * implementation; given by the entry, node-entry.ts, or by a test), argument parsing with node:util's parseArgs,
 * the gateway client built from GATEWAY_URL / GATEWAY_TOKEN, and the exit codes: 0 ok, 1 failure, 2 usage error.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  GatewayClient,
  GatewayClientError,
  GatewayRequestError,
  GatewayResultError,
} from "../../src/client.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:4000/graphql";

export interface OutputStream {
  write(text: string): unknown;
  /** Progress indicators are drawn only on a terminal. */
  isTTY?: boolean;
}

export interface ScriptIo {
  /** GATEWAY_URL, GATEWAY_TOKEN, GATEWAY_PERSISTED_DOCUMENTS; nothing else is read. */
  env: Readonly<Record<string, string | undefined>>;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Relative paths in arguments are read against this. */
  cwd: string;
  /** The WebSocket constructor for subscriptions (Node 20: the `ws` package). */
  webSocketImpl?: unknown;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** The clock (tests move it). */
  now?: () => Date;
}

/** The command line was wrong: the script prints the message and its usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "USAGE";
}

/** A failure the script has explained on stderr already: exit 1 with nothing more printed. */
export class ReportedFailure extends Error {
  override readonly name = "ReportedFailure";
  readonly code = "REPORTED";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Every script takes these. */
const COMMON = {
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** parseArgs in strict mode: an unknown option, a missing value or a stray positional is a UsageError. */
export function parseOptions<O extends Options>(argv: readonly string[], options: O) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...COMMON, ...options },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

/** A whole number option within [min, max]; `fallback` when absent. */
export function intOption(
  value: string | undefined,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(
      `--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}.`,
    );
  }
  return Number(value);
}

/** One of `choices`; `fallback` when absent. */
export function choiceOption<C extends string>(
  value: string | undefined,
  name: string,
  choices: readonly C[],
  fallback: C,
): C {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, not ${JSON.stringify(value)}.`);
  }
  return value as C;
}

/** The section of every script's --help that says how it reaches the gateway. */
export const ENVIRONMENT_HELP = `Environment:
  GATEWAY_URL                  the GraphQL endpoint (default ${DEFAULT_GATEWAY_URL})
  GATEWAY_TOKEN                the bearer token (npm start prints a development token)
  GATEWAY_PERSISTED_DOCUMENTS  true: send persisted document ids, for a gateway running trusted documents

Exit codes: 0 ok, 1 failure, 2 usage error.`;

/** The gateway client the environment describes. */
export function gatewayClient(io: ScriptIo): GatewayClient {
  const url = io.env["GATEWAY_URL"] || DEFAULT_GATEWAY_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`GATEWAY_URL is not a URL.`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError("GATEWAY_URL must be an http or https URL.");
  }
  const token = io.env["GATEWAY_TOKEN"];
  return new GatewayClient({
    url: parsed,
    token: token || null,
    persistedDocuments: io.env["GATEWAY_PERSISTED_DOCUMENTS"] === "true",
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(io.webSocketImpl ? { webSocketImpl: io.webSocketImpl } : {}),
  });
}

/**
 * Runs a script's body and turns what it throws into an exit code and a message on stderr: usage errors 2 (with
 * the usage), the gateway's errors 1 (code and message; never the token), anything else 1.
 */
export async function runScript(io: ScriptIo, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n\n${usage}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ReportedFailure) return EXIT_FAILURE;
    if (error instanceof GatewayRequestError) {
      const id = error.requestId ? ` (request id ${error.requestId})` : "";
      io.stderr.write(
        `error: the gateway refused the request: ${error.codes.join(", ")}: ${error.message}${id}\n`,
      );
      if (error.code === "UNAUTHENTICATED") io.stderr.write("hint: set GATEWAY_TOKEN to a valid token.\n");
      return EXIT_FAILURE;
    }
    if (error instanceof GatewayResultError) {
      io.stderr.write(`error: ${error.typename} (${error.code}): ${error.message}\n`);
      return EXIT_FAILURE;
    }
    if (error instanceof GatewayClientError) {
      io.stderr.write(`error: ${error.code}: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

/** `options.help`: print the usage on stdout. */
export function printUsage(io: ScriptIo, usage: string): number {
  io.stdout.write(`${usage}\n`);
  return EXIT_OK;
}

export const DAY_MS = 86_400_000;
