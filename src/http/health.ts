import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * `ready`; `degraded`: ready, but a shared store (Redis) does not answer, so what needs it is refused (idempotent
 * issuing) or runs per instance (rate limits, job polls). Degraded still answers 200: every instance shares the one
 * store, so taking them all out of the load balancer would only stop the reads that still work.
 */
export type Readiness = "ready" | "degraded" | "not ready";

export interface ReadinessOptions {
  /** The upstream answers (TLM's hello) and the shared store, if any; a throw or a hang counts as not ready. */
  probe(): Promise<Readiness>;
  /** How long an answer is reused, so a scraping load balancer never turns into upstream traffic. */
  cacheMs: number;
  /** A probe still running after this is not ready. */
  timeoutMs: number;
  now?: () => number;
}

/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the upstream answers TLM's hello, cached; 503
 * from the moment shutdown starts; 200 "degraded" while a shared store is down). Both are unauthenticated, so they
 * say one word and nothing a stranger could use.
 */
export function createHealth(options: ReadinessOptions) {
  const now = options.now ?? Date.now;
  let draining = false;
  let cached: { ready: Readiness; at: number } | null = null;
  let running: Promise<Readiness> | null = null;

  const probeOnce = async (): Promise<Readiness> => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Readiness>((resolve) => {
      timer = setTimeout(() => resolve("not ready"), options.timeoutMs);
    });
    try {
      return await Promise.race([options.probe().catch((): Readiness => "not ready"), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** One probe at a time, whatever the number of callers; the answer is kept for cacheMs. */
  const ready = async (): Promise<Readiness> => {
    if (draining) return "not ready";
    if (cached && now() - cached.at < options.cacheMs) return cached.ready;
    running ??= probeOnce().then((result) => {
      cached = { ready: result, at: now() };
      running = null;
      return result;
    });
    const result = await running;
    return draining ? "not ready" : result;
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
        return true;
      }
      const readiness = await ready();
      if (readiness !== "not ready") send(res, 200, { status: readiness });
      else send(res, 503, { status: draining ? "draining" : "not ready" });
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
