/**
 * OpenTelemetry traces for one app: a provider of its own, never registered globally (two apps in one process must not
 * fight over the global tracer, context manager or propagator). Contexts are passed explicitly; the current operation
 * travels in request-context.ts's AsyncLocalStorage.
 */
import { type Context, ROOT_CONTEXT, type TextMapGetter, type Tracer } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";

export interface TracingSettings {
  serviceName: string;
  endpoint: string;
  headers: Record<string, string>;
  sampleRatio: number;
  parentBased: boolean;
}

export interface Tracing {
  readonly tracer: Tracer;
  /** The parent an incoming request names in `traceparent` (and `tracestate`); ROOT_CONTEXT without a valid one. */
  extract(headers: Headers): Context;
  /** Ends the provider: flushes spans still queued. */
  close(): Promise<void>;
}

const DEFAULT_SERVICE_NAME = "digicert-graphql-gateway";

const HEADERS_GETTER: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * Null (tracing off: no provider, no spans) unless `settings` or `exporter` is given. With `exporter` (tests: an
 * InMemorySpanExporter) every span is exported at once and sampled unless `settings` say otherwise; else spans go in
 * batches to the OTLP/HTTP endpoint with its headers (which may hold a collector's token: never logged).
 */
export function createTracing(settings: TracingSettings | null, exporter?: SpanExporter): Tracing | null {
  let processor: SpanProcessor;
  if (exporter) processor = new SimpleSpanProcessor(exporter);
  else if (settings) {
    processor = new BatchSpanProcessor(
      new OTLPTraceExporter({ url: settings.endpoint, headers: settings.headers }),
    );
  } else return null;
  const root = new TraceIdRatioBasedSampler(settings?.sampleRatio ?? 1);
  const sampler: Sampler = (settings?.parentBased ?? true) ? new ParentBasedSampler({ root }) : root;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings?.serviceName ?? DEFAULT_SERVICE_NAME }),
    sampler,
    spanProcessors: [processor],
  });
  const propagator = new W3CTraceContextPropagator();
  return {
    tracer: provider.getTracer(DEFAULT_SERVICE_NAME),
    extract: (headers) => propagator.extract(ROOT_CONTEXT, headers, HEADERS_GETTER),
    close: () => provider.shutdown(),
  };
}
