// The Observability contract with nothing behind it: no plugins, metrics, spans, request ids or log line. Only for
// bench:observability's "none" target, which loads it in place of src/observability/index.ts through
// bench/without-observability.mjs, so "with" and "without" are the same build of the same code.
import type { Observability, ObservabilityOptions } from "../src/observability/index.js";
import { NO_METRICS } from "../src/observability/types.js";
import { NO_UPSTREAM_TELEMETRY } from "../src/observability/upstream.js";

export { NO_METRICS };

export function createObservability(_options: ObservabilityOptions): Observability {
  return {
    plugins: [],
    aroundWsOperation: (_context, run) => run(),
    metrics: NO_METRICS,
    upstream: NO_UPSTREAM_TELEMETRY,
    requestIdOf: () => "",
    handle: async () => false,
    start: async () => null,
    close: async () => {},
  };
}
