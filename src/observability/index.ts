/**
 * Metrics, traces, request ids and the per-operation log line: what an operator sees. CONTRACT used by app.ts and
 * tenants.ts; the implementation behind it is free to change. Imports only its own folder, the logger's type and the
 * yoga plugin it hands to app.ts (src/plugins/use-observability.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace-node";
import type { Plugin } from "graphql-yoga";
import type { Registry } from "prom-client";
import type { Logger } from "../logger.js";
import {
  observeOperations,
  type OperationObserver,
  RequestOperations,
  type WsOperationWrapper,
} from "../plugins/use-observability.js";
import { createMetrics, type MetricsRecorder } from "./metrics.js";
import { OperationRecord } from "./request-context.js";
import { createTracing, type Tracing } from "./tracing.js";
import type { GatewayMetrics } from "./types.js";
import type { UpstreamCall, UpstreamTelemetry } from "./upstream.js";

export type { CacheName, GatewayMetrics, UploadRefusalReason } from "./types.js";
export { NO_METRICS } from "./types.js";
export type { UpstreamTelemetry } from "./upstream.js";

export interface MetricsOptions {
  enabled: boolean;
  /** Port of a separate /metrics listener (0: any free port); null: /metrics on the gateway's own port. */
  port: number | null;
  host: string;
  /** Whether the tenant name may be a label (off by default: a tenant name can be sensitive). */
  tenantLabel: boolean;
}

/** From the standard OTEL_* variables (config.ts reads them); null: tracing off, nothing exported. */
export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces. */
  endpoint: string;
  headers: Record<string, string>;
  /** Fraction of traces sampled, 0..1 (OTEL_TRACES_SAMPLER / _ARG). */
  sampleRatio: number;
  /** parentbased_* samplers: an incoming traceparent's sampled flag decides, the ratio applies to root spans. */
  parentBased: boolean;
}

export interface ObservabilityOptions {
  metrics: MetricsOptions;
  tracing: TracingOptions | null;
  logger: Logger;
  /** Tests: export spans here (e.g. an InMemorySpanExporter) instead of OTLP; turns tracing on. */
  spanExporter?: SpanExporter;
  /**
   * Run each operation in an AsyncLocalStorage store, so every log line written while it runs carries its ids (the
   * createLogger mixin), also lines app.ts writes. Default off: on Node 20 it hooks every promise, about 5% CPU per
   * request; off, the operation's own lines (upstream calls, ctx.logger, its final line) still carry them.
   */
  asyncContext?: boolean;
}

export interface Observability {
  /** Yoga plugins, first in the list: request id, operation span, operation metrics, the info log line. */
  plugins: Plugin[];
  /** Around each graphql-ws operation's execute/subscribe (graphql-ws.ts's `around`): ends its record. */
  aroundWsOperation: WsOperationWrapper;
  metrics: GatewayMetrics;
  /** For the upstream clients (tenants.ts): per-call metrics and spans, children of the operation's span. */
  upstream: UpstreamTelemetry;
  /** The id an HTTP request's response carries (`x-request-id`), for log lines written outside the plugin. */
  requestIdOf(request: Request): string;
  /** Serves GET /metrics when metrics are on the gateway's own port; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Opens the separate metrics listener, if configured; resolves with its URL (null when none). */
  start(): Promise<URL | null>;
  /** Closes the metrics listener and flushes spans. */
  close(): Promise<void>;
}

export function createObservability(options: ObservabilityOptions): Observability {
  const { logger } = options;
  const metrics = createMetrics(options.metrics);
  const tracing = createTracing(options.tracing, options.spanExporter);
  const sharedPort = options.metrics.enabled && options.metrics.port === null;
  let listener: Server | null = null;
  let closing: Promise<void> | null = null;
  const requests = new RequestOperations();
  const operations = observeOperations(operationObserver(metrics, tracing, logger), {
    asyncContext: options.asyncContext ?? false,
    requests,
  });

  return {
    plugins: [operations.plugin],
    aroundWsOperation: operations.aroundWs,
    requestIdOf: (request) => requests.of(request).requestId,
    metrics,
    upstream: upstreamTelemetry(metrics, tracing),
    async handle(req, res) {
      if (!sharedPort || !metrics.registry || !isMetricsPath(req.url)) return false;
      await serveMetrics(metrics.registry, req, res);
      return true;
    },
    async start() {
      const { registry } = metrics;
      const { port, host } = options.metrics;
      if (!registry || port === null || listener) return null;
      const server = createServer((req, res) => {
        if (!isMetricsPath(req.url)) {
          res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
          return;
        }
        serveMetrics(registry, req, res).catch(() => res.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      listener = server;
      const bound = (server.address() as AddressInfo).port;
      const shown = host === "0.0.0.0" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      return new URL(`http://${shown}:${bound}/metrics`);
    },
    close() {
      closing ??= (async () => {
        const server = listener;
        listener = null;
        if (server) {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeAllConnections();
          await closed;
        }
        await tracing?.close();
      })();
      return closing;
    },
  };
}

function isMetricsPath(url: string | undefined): boolean {
  return url === "/metrics" || (url?.startsWith("/metrics?") ?? false);
}

async function serveMetrics(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  const text = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : text);
}

/** An operation's metrics, span and "graphql operation" log line. */
function operationObserver(
  metrics: MetricsRecorder,
  tracing: Tracing | null,
  logger: Logger,
): OperationObserver {
  return {
    started(operation, headers) {
      if (!tracing) return;
      const span = tracing.tracer.startSpan(
        "graphql",
        {
          kind: SpanKind.SERVER,
          startTime: performance.timeOrigin + operation.startedAt,
          attributes: { "gateway.request.id": operation.requestId, "gateway.transport": operation.transport },
        },
        headers ? tracing.extract(headers) : ROOT_CONTEXT,
      );
      operation.span = span;
      operation.traceContext = trace.setSpan(ROOT_CONTEXT, span);
    },
    ended(operation) {
      const seconds = (performance.now() - operation.startedAt) / 1000;
      const name = operation.operationName ?? "";
      const type = operation.operationType ?? "unknown";
      const outcome = operation.outcome ?? "error";
      metrics.operationEnded(name, type, outcome, operation.tenant, seconds);
      if (logger.isLevelEnabled("info")) logInfo(logger, operation, name, type, outcome, seconds);
      const { span } = operation;
      if (!span) return;
      span.updateName(type === "unknown" ? "graphql" : name ? `${type} ${name}` : type);
      span.setAttributes({
        "graphql.operation.name": name,
        "graphql.operation.type": type,
        "gateway.outcome": outcome,
        "gateway.upstream.calls": operation.upstreamCalls,
      });
      if (outcome === "error") span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    streamOpened(operation) {
      metrics.subscriptionOpened(operation.transport === "ws" ? "ws" : "sse");
    },
    streamClosed(operation) {
      metrics.subscriptionClosed(operation.transport === "ws" ? "ws" : "sse");
    },
  };
}

/** The one line per operation: never its variables, its text, or anything secret. */
function logInfo(
  logger: Logger,
  operation: OperationRecord,
  operationName: string,
  operationType: string,
  outcome: string,
  seconds: number,
): void {
  logger.info(
    {
      requestId: operation.requestId,
      operationName,
      operationType,
      tenant: operation.tenant,
      transport: operation.transport,
      durationMs: Math.round(seconds * 10_000) / 10,
      upstreamCalls: operation.upstreamCalls,
      outcome,
    },
    "graphql operation",
  );
}

/** The operation a call is made for: the record its client was bound to (scopeContext). */
function operationOf(call: UpstreamCall): OperationRecord | null {
  return call.scope instanceof OperationRecord ? call.scope : null;
}

/**
 * Upstream calls: a metric per attempt (and per retry), the operation's `upstreamCalls`, and, inside a traced
 * operation, a CLIENT span per call. Calls outside any operation (job polls, readiness probes, file downloads) get
 * metrics only.
 */
function upstreamTelemetry(metrics: MetricsRecorder, tracing: Tracing | null): UpstreamTelemetry {
  return {
    callStarted(call) {
      if (!tracing) return;
      const parent = operationOf(call)?.traceContext;
      if (!parent) return;
      call.state = tracing.tracer.startSpan(
        `${call.method} ${call.route}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            "gateway.upstream.product": call.product,
            "http.route": call.route,
            "http.request.method": call.method,
          },
        },
        parent,
      );
    },
    attemptEnded(call, seconds) {
      const operation = operationOf(call);
      if (operation) operation.upstreamCalls += 1;
      metrics.upstreamAttempt(call.product, call.route, call.method, call.status, seconds);
      if (call.attempts > 1) metrics.upstreamRetry(call.product, call.route);
    },
    callEnded(call: UpstreamCall) {
      const span = call.state as Span | undefined;
      if (!span) return;
      const status = Number(call.status);
      span.setAttribute("gateway.upstream.status", call.status);
      if (Number.isInteger(status) && status > 0) span.setAttribute("http.response.status_code", status);
      span.setAttribute("http.request.resend_count", call.attempts - 1);
      if (call.error) {
        span.setAttribute("error.type", call.error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
