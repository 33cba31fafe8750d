// A proxy in front of the simulator that rewrites chosen JSON answers, to show the gateway a shape a real tenant may
// send (an unreadable certificate, an envelope) while everything else stays the simulator's. Port 0; close() it.
import { createServer, type IncomingMessage } from "node:http";
import { request } from "undici";
import { listenOnLoopback } from "./listen.js";

export interface ProxiedCall {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
}

/** Returns the JSON to answer instead, or undefined to pass the simulator's answer on unchanged. */
export type Tamper = (call: ProxiedCall, json: unknown, status: number) => unknown;

export interface TamperProxy {
  url: string;
  /** Every call seen, in order. */
  calls: ProxiedCall[];
  /** Replaces the rewrite rule (tests change it between cases). */
  setTamper(tamper: Tamper | null): void;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

export async function startTamperProxy(target: string, initial: Tamper | null = null): Promise<TamperProxy> {
  let tamper = initial;
  const calls: ProxiedCall[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://proxy.invalid");
      const call = { method: req.method ?? "GET", path: url.pathname, query: url.searchParams };
      calls.push(call);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string" && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      const sent = await body(req);
      const upstream = await request(`${target}${req.url ?? "/"}`, {
        method: call.method as "GET",
        headers,
        body: sent.length > 0 ? sent : undefined,
      });
      let text = await upstream.body.text();
      const contentType = String(upstream.headers["content-type"] ?? "");
      if (tamper && contentType.startsWith("application/json")) {
        const replaced = tamper(call, JSON.parse(text), upstream.statusCode);
        if (replaced !== undefined) text = JSON.stringify(replaced);
      }
      const out: Record<string, string> = {};
      for (const name of ["content-type", "retry-after"]) {
        const value = upstream.headers[name];
        if (typeof value === "string") out[name] = value;
      }
      if (upstream.statusCode !== 204) out["content-length"] = String(Buffer.byteLength(text));
      res.writeHead(upstream.statusCode, out);
      res.end(upstream.statusCode === 204 ? undefined : text);
    })().catch(() => res.destroy());
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    calls,
    setTamper(next) {
      tamper = next;
    },
    close,
  };
}
