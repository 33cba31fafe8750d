import type { IncomingMessage, ServerResponse } from "node:http";

export interface ReadinessOptions {
  /** Whether the upstream (and, later, any shared store) answers; a throw or a hang counts as not ready. */
  probe(): Promise<boolean>;
  /** How long an answer is reused, so a scraping load balancer never turns into upstream traffic. */
  cacheMs: number;
  /** A probe still running after this is not ready. */
  timeoutMs: number;
  now?: () => number;
}

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the upstream answers TLM's hello, cached; 503
 * from the moment shutdown starts). Both are unauthenticated, so they say one word and nothing a stranger could use.
 */
export function createHealth(options: ReadinessOptions) {
  const now = options.now ?? Date.now;
  let draining = false;
  let cached: { ready: boolean; at: number } | null = null;
  let running: Promise<boolean> | null = null;

  const probeOnce = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), options.timeoutMs);
    });
    try {
      return await Promise.race([options.probe().catch(() => false), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** One probe at a time, whatever the number of callers; the answer is kept for cacheMs. */
  const ready = async (): Promise<boolean> => {
    if (draining) return false;
    if (cached && now() - cached.at < options.cacheMs) return cached.ready;
    running ??= probeOnce().then((result) => {
      cached = { ready: result, at: now() };
      running = null;
      return result;
    });
    return (await running) && !draining;
  };

  return {
    get draining() {
      return draining;
    },
    /** Readiness answers 503 from now on. */
    drain() {
      draining = true;
    },
    ready,
    /** Answers GET/HEAD /healthz and /readyz; false for any other request. */
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const path = (req.url ?? "").split("?")[0];
      if (path !== "/healthz" && path !== "/readyz") return false;
      if (req.method !== "GET" && req.method !== "HEAD") {
        send(res, 405, { status: "method not allowed" }, { allow: "GET, HEAD" });
        return true;
      }
      if (path === "/healthz") {
        send(res, 200, { status: "ok" });
      } else if (await ready()) {
        send(res, 200, { status: "ready" });
      } else {
        send(res, 503, { status: draining ? "draining" : "not ready" });
      }
      return true;
    },
  };
}

export type Health = ReturnType<typeof createHealth>;

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(res.req.method === "HEAD" ? undefined : text);
}
