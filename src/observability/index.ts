/**
 * Metrics, traces, request ids and the per-operation log line: what an operator sees. CONTRACT used by app.ts and
 * tenants.ts; the implementation behind it is free to change.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "../logger.js";

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
  spanExporter?: unknown;
}

export type CacheName = "parsedCertificates" | "reports" | "jobKinds";

/** What the rest of the app reports; every method is a cheap no-op when metrics are off. */
export interface GatewayMetrics {
  rateLimited(): void;
  uploadReceived(bytes: number): void;
  uploadRefused(reason: string): void;
  cacheLookup(cache: CacheName, hit: boolean): void;
  jobPoll(outcome: "ok" | "error"): void;
  /** Gauges read at scrape time. */
  watchJobs(source: { readonly activePollers: number }): void;
}

export interface Observability {
  /** Yoga plugins, first in the list: request id, operation span, operation metrics, the info log line. */
  plugins: Plugin[];
  metrics: GatewayMetrics;
  /** Serves GET /metrics when metrics are on the gateway's own port; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Opens the separate metrics listener, if configured; resolves with its URL (null when none). */
  start(): Promise<URL | null>;
  /** Closes the metrics listener and flushes spans. */
  close(): Promise<void>;
}

const NO_METRICS: GatewayMetrics = {
  rateLimited() {},
  uploadReceived() {},
  uploadRefused() {},
  cacheLookup() {},
  jobPoll() {},
  watchJobs() {},
};

export function createObservability(options: ObservabilityOptions): Observability {
  void options;
  return {
    plugins: [],
    metrics: NO_METRICS,
    handle: () => Promise.resolve(false),
    start: () => Promise.resolve(null),
    close: () => Promise.resolve(),
  };
}
