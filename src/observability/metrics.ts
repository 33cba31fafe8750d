/**
 * The gateway's Prometheus metrics, in a registry of the app's own (several apps may run in one process). No label ever
 * holds a token, key, serial, subject or raw path; the tenant only when `tenantLabel` is on. Operation names and tenants
 * are bounded (BoundedLabel); every other label comes from a fixed set.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { BoundedLabel } from "./labels.js";
import type { Outcome } from "./request-context.js";
import {
  type CacheName,
  type GatewayMetrics,
  NO_METRICS,
  UPLOAD_REFUSAL_REASONS,
  type UploadRefusalReason,
} from "./types.js";

export interface MetricsSettings {
  enabled: boolean;
  tenantLabel: boolean;
}

export type SubscriptionTransport = "sse" | "ws";

/** Everything the app records; the GatewayMetrics part is what other layers see. */
export interface MetricsRecorder extends GatewayMetrics {
  /** Null when metrics are off. */
  readonly registry: Registry | null;
  /** `name` is already safe (safeOperationName); it is bounded here. */
  operationEnded(
    name: string,
    type: string,
    outcome: Outcome,
    tenant: string | undefined,
    seconds: number,
  ): void;
  subscriptionOpened(transport: SubscriptionTransport): void;
  subscriptionClosed(transport: SubscriptionTransport): void;
  upstreamAttempt(product: string, route: string, method: string, status: string, seconds: number): void;
  upstreamRetry(product: string, route: string): void;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const REASONS = new Set<string>(UPLOAD_REFUSAL_REASONS);
// The shared* tiers (REDIS_URL) are not started at 0: a single instance shows no always-empty series for them.
const CACHES: readonly CacheName[] = ["parsedCertificates", "reports", "jobKinds"];

const NO_RECORDER: MetricsRecorder = Object.freeze({
  ...NO_METRICS,
  registry: null,
  operationEnded() {},
  subscriptionOpened() {},
  subscriptionClosed() {},
  upstreamAttempt() {},
  upstreamRetry() {},
});

export function createMetrics(settings: MetricsSettings): MetricsRecorder {
  return settings.enabled ? new PromMetrics(settings.tenantLabel) : NO_RECORDER;
}

class PromMetrics implements MetricsRecorder {
  readonly registry = new Registry();
  readonly #tenantLabel: boolean;
  readonly #names = new BoundedLabel(100);
  readonly #tenants = new BoundedLabel(100);
  readonly #operations: Counter;
  readonly #operationSeconds: Histogram;
  readonly #subscriptions: Gauge;
  readonly #upstream: Counter;
  readonly #upstreamSeconds: Histogram;
  readonly #retries: Counter;
  readonly #polls: Counter;
  readonly #cache: Counter;
  readonly #uploadBytes: Counter;
  readonly #uploadRefusals: Counter;
  readonly #rateLimited: Counter;
  readonly #sharedStoreUp: Gauge;
  #jobs: { readonly activePollers: number } | null = null;
  #sharedStore: { readonly available: boolean } | null = null;

  constructor(tenantLabel: boolean) {
    const registers = [this.registry];
    this.#tenantLabel = tenantLabel;
    const operationLabels = [
      "operation_name",
      "operation_type",
      "outcome",
      ...(tenantLabel ? ["tenant"] : []),
    ];
    this.#operations = new Counter({
      name: "gateway_graphql_operations_total",
      help: "GraphQL operations finished, by name (bounded), type and outcome (ok, error, invalid, refused).",
      labelNames: operationLabels,
      registers,
    });
    this.#operationSeconds = new Histogram({
      name: "gateway_graphql_operation_duration_seconds",
      help: "Time from a GraphQL operation's start to its answer (a subscription: to its end).",
      labelNames: operationLabels,
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#subscriptions = new Gauge({
      name: "gateway_subscriptions_open",
      help: "Subscriptions streaming now, by transport (sse, ws).",
      labelNames: ["transport"],
      registers,
    });
    this.#upstream = new Counter({
      name: "gateway_upstream_requests_total",
      help: "HTTP exchanges with DigiCert ONE (each retry counts), by product, route template, method and status.",
      labelNames: ["product", "route", "method", "status"],
      registers,
    });
    this.#upstreamSeconds = new Histogram({
      name: "gateway_upstream_request_duration_seconds",
      help: "Time of one HTTP exchange with DigiCert ONE, to its last body byte (streamed bodies: to the headers).",
      labelNames: ["product", "route", "method", "status"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#retries = new Counter({
      name: "gateway_upstream_retries_total",
      help: "Upstream attempts after the first, by product and route template.",
      labelNames: ["product", "route"],
      registers,
    });
    const pollers: Gauge = new Gauge({
      name: "gateway_job_pollers_active",
      help: "Batch job pollers running (one per watched job, however many subscribers).",
      registers,
      collect: () => pollers.set(this.#jobs?.activePollers ?? 0),
    });
    const sharedStoreUp: Gauge = new Gauge({
      name: "gateway_shared_store_up",
      help: "1 while the shared store (Redis, REDIS_URL) answers, 0 while it does not; absent without one.",
      registers: [],
      collect: () => sharedStoreUp.set(this.#sharedStore?.available ? 1 : 0),
    });
    this.#sharedStoreUp = sharedStoreUp;
    this.#polls = new Counter({
      name: "gateway_job_polls_total",
      help: "Batch job polls, by outcome (ok, not_found, error).",
      labelNames: ["outcome"],
      registers,
    });
    this.#cache = new Counter({
      name: "gateway_cache_lookups_total",
      help: "Lookups in the app-wide caches, by cache and result (hit, miss).",
      labelNames: ["cache", "result"],
      registers,
    });
    this.#uploadBytes = new Counter({
      name: "gateway_upload_received_bytes_total",
      help: "Bytes of uploaded files received (spooled to disk).",
      registers,
    });
    this.#uploadRefusals = new Counter({
      name: "gateway_batch_file_refusals_total",
      help: "Uploaded batch files refused before anything was sent, by the kind of their first problem.",
      labelNames: ["reason"],
      registers,
    });
    this.#rateLimited = new Counter({
      name: "gateway_rate_limited_total",
      help: "Operations refused by the per-caller rate limit.",
      registers,
    });
    // Known label values start at 0, so a dashboard sees a series before its first event.
    for (const transport of ["sse", "ws"]) this.#subscriptions.set({ transport }, 0);
    for (const outcome of ["ok", "not_found", "error"]) this.#polls.inc({ outcome }, 0);
    for (const reason of UPLOAD_REFUSAL_REASONS) this.#uploadRefusals.inc({ reason }, 0);
    for (const cache of CACHES) for (const result of ["hit", "miss"]) this.#cache.inc({ cache, result }, 0);
    collectDefaultMetrics({ register: this.registry });
  }

  operationEnded(name: string, type: string, outcome: Outcome, tenant: string | undefined, seconds: number) {
    const labels: Record<string, string> = {
      operation_name: this.#names.of(name),
      operation_type: type,
      outcome,
    };
    if (this.#tenantLabel) labels.tenant = tenant === undefined ? "" : this.#tenants.of(tenant);
    this.#operations.inc(labels);
    this.#operationSeconds.observe(labels, seconds);
  }

  subscriptionOpened(transport: SubscriptionTransport) {
    this.#subscriptions.inc({ transport });
  }

  subscriptionClosed(transport: SubscriptionTransport) {
    this.#subscriptions.dec({ transport });
  }

  upstreamAttempt(product: string, route: string, method: string, status: string, seconds: number) {
    const labels = { product, route, method, status };
    this.#upstream.inc(labels);
    this.#upstreamSeconds.observe(labels, seconds);
  }

  upstreamRetry(product: string, route: string) {
    this.#retries.inc({ product, route });
  }

  rateLimited() {
    this.#rateLimited.inc();
  }

  uploadReceived(bytes: number) {
    if (Number.isFinite(bytes) && bytes > 0) this.#uploadBytes.inc(bytes);
  }

  uploadRefused(reason: UploadRefusalReason) {
    this.#uploadRefusals.inc({ reason: REASONS.has(reason) ? reason : "other" });
  }

  cacheLookup(cache: CacheName, hit: boolean) {
    this.#cache.inc({ cache, result: hit ? "hit" : "miss" });
  }

  jobPoll(outcome: "ok" | "not_found" | "error") {
    this.#polls.inc({ outcome });
  }

  watchJobs(source: { readonly activePollers: number }) {
    this.#jobs = source;
  }

  watchSharedStore(source: { readonly available: boolean }) {
    if (!this.#sharedStore) this.registry.registerMetric(this.#sharedStoreUp);
    this.#sharedStore = source;
  }
}
