// A fault-injecting HTTP proxy on loopback, in front of one gateway (issue 12's duplicates benchmark). Per request, by
// configured probabilities drawn from a seeded PRNG, it:
//   forward     forwards and relays the answer;
//   drop        forwards, waits for the gateway's whole answer, then destroys the caller's connection (the gateway
//               did the work, the caller never hears);
//   drop-early  forwards, then destroys the caller's connection after `dropEarlyMs` while the gateway is still working
//               (the proxy still reads and discards the answer, so the gateway finishes);
//   error       answers 502 or 503 without forwarding (the gateway never sees the request);
//   stall       forwards, then holds the gateway's answer for `stallMs` (set it past the caller's timeout).
// It counts what it did. HTTP only (no WebSocket upgrades); loopback only.
// In code: `const proxy = await startFaultProxy({ target, mix: { drop: 0.1, error: 0.1 }, seed: 1 })`; or alone:
//   tsx bench/fault-proxy.ts <target-url> [--drop P --drop-early P --error P --stall P --stall-ms N --seed N]
// which prints {"url": ...} and, on SIGTERM, {"counts": ...} before it exits.
import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Pool } from "undici";

export type FaultAction = "forward" | "drop" | "drop-early" | "error" | "stall";
export const FAULT_ACTIONS: readonly FaultAction[] = ["forward", "drop", "drop-early", "error", "stall"];

/** Probability of each fault per request; what is left forwards normally. The sum must be at most 1. */
export type FaultMix = Partial<Record<Exclude<FaultAction, "forward">, number>>;

export interface FaultProxyOptions {
  /** The gateway's origin, e.g. http://127.0.0.1:4000. */
  target: string;
  mix: FaultMix;
  /** Seeds the PRNG that picks each request's action (and 502 or 503). */
  seed: number;
  /** How long a stalled answer is held, ms (past the caller's timeout); default 5000. */
  stallMs?: number;
  /** How long after forwarding a drop-early cuts the caller, ms; default 2. */
  dropEarlyMs?: number;
}

export interface FaultCounts extends Record<FaultAction, number> {
  /** Of `error`: how many were 502 and 503. */
  status502: number;
  status503: number;
  /** Forwarded requests the gateway did not answer (connection refused, reset): relayed to the caller as 502. */
  upstreamFailed: number;
  /** Stalled answers whose caller had already gone when the stall ended. */
  stalledCallerGone: number;
}

export interface FaultProxy {
  readonly url: string;
  /** Live counts since start (the same object, updated in place). */
  readonly counts: FaultCounts;
  /** Stops listening, cuts open connections and pending stalls. */
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, uniform on [0, 1); enough for picking faults reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Hop-by-hop headers (RFC 9110 section 7.6.1), and the ones undici or node set themselves.
const SKIPPED_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
]);

function forwardable(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SKIPPED_HEADERS.has(name.toLowerCase())) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const { target, mix, seed, stallMs = 5_000, dropEarlyMs = 2 } = options;
  const weights = FAULT_ACTIONS.filter((a) => a !== "forward").map(
    (action) => [action, mix[action as keyof FaultMix] ?? 0] as const,
  );
  const total = weights.reduce((sum, [, p]) => sum + p, 0);
  if (weights.some(([, p]) => !(p >= 0)) || total > 1 + 1e-9) {
    throw new Error("fault probabilities must be non-negative and sum to at most 1");
  }
  const random = seededRandom(seed);
  const pick = (): FaultAction => {
    let x = random();
    for (const [action, p] of weights) {
      if (x < p) return action;
      x -= p;
    }
    return "forward";
  };
  const counts: FaultCounts = {
    forward: 0,
    drop: 0,
    "drop-early": 0,
    error: 0,
    stall: 0,
    status502: 0,
    status503: 0,
    upstreamFailed: 0,
    stalledCallerGone: 0,
  };
  const pool = new Pool(target, { connections: 128, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const stalls = new AbortController();
  // Every stalled answer listens on this one signal (to end at close), far more than the default 10.
  setMaxListeners(0, stalls.signal);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const action = pick();
    counts[action]++;
    if (action === "error") {
      const status = random() < 0.5 ? 502 : 503;
      counts[status === 502 ? "status502" : "status503"]++;
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(`fault proxy: ${status}\n`);
      return;
    }
    const forwarded = pool.request({
      path: req.url ?? "/",
      method: (req.method ?? "GET") as "GET",
      headers: forwardable(req.headers),
      body: body.length > 0 ? body : null,
    });
    if (action === "drop-early") {
      await sleep(dropEarlyMs);
      req.socket.destroy();
    }
    let status: number;
    let headers: Record<string, string>;
    let payload: Buffer;
    try {
      const upstream = await forwarded;
      payload = Buffer.from(await upstream.body.arrayBuffer());
      status = upstream.statusCode;
      headers = forwardable(upstream.headers);
    } catch {
      counts.upstreamFailed++;
      if (!res.destroyed) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end("fault proxy: the gateway did not answer\n");
      }
      return;
    }
    if (action === "drop" || action === "drop-early") {
      req.socket.destroy();
      return;
    }
    if (action === "stall") {
      try {
        await sleep(stallMs, undefined, { signal: stalls.signal });
      } catch {
        req.socket.destroy();
        return;
      }
      if (res.destroyed || req.socket.destroyed) {
        counts.stalledCallerGone++;
        return;
      }
    }
    res.writeHead(status, headers);
    res.end(payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    async close() {
      stalls.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.close();
    },
  };
}

// Run alone: one proxy until SIGTERM.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      drop: { type: "string", default: "0" },
      "drop-early": { type: "string", default: "0" },
      error: { type: "string", default: "0" },
      stall: { type: "string", default: "0" },
      "stall-ms": { type: "string", default: "5000" },
      seed: { type: "string", default: "1" },
    },
  });
  const [target] = positionals;
  if (!target) throw new Error("usage: fault-proxy.ts <target-url> [--drop P --error P --stall P ...]");
  const proxy = await startFaultProxy({
    target,
    mix: {
      drop: Number(values.drop),
      "drop-early": Number(values["drop-early"]),
      error: Number(values.error),
      stall: Number(values.stall),
    },
    seed: Number(values.seed),
    stallMs: Number(values["stall-ms"]),
  });
  process.stdout.write(`${JSON.stringify({ url: proxy.url })}\n`);
  process.on("SIGTERM", async () => {
    await proxy.close();
    process.stdout.write(`${JSON.stringify({ counts: proxy.counts })}\n`);
    process.exit(0);
  });
}
