import type { Pool } from "undici";
import type { Viewer } from "./auth/viewer.js";
import type { UpstreamConfig } from "./config.js";
import type { Services } from "./context.js";
import { UpstreamHttpError } from "./datasources/errors.js";
import { createUpstreamPool, UpstreamClient } from "./datasources/http.js";
import { DtmClient } from "./datasources/dtm/client.js";
import { IotClient } from "./datasources/iot/client.js";
import { TlmClient } from "./datasources/tlm/client.js";
import type { Logger } from "./logger.js";
import {
  BATCH_JOB_KINDS,
  type BatchJob,
  decodeBatchJob,
  encodeBatchJob,
  type BatchJobKind,
  type BatchJobStatus,
  TERMINAL_BATCH_JOB_STATUSES,
} from "./model/batch.js";
import type { Observability } from "./observability/index.js";
import { outsideOperation } from "./observability/request-context.js";
import type { UpstreamScope } from "./observability/upstream.js";
import { readBatchJob } from "./resolvers/batch-jobs.js";
import { fingerprintOf, type Idempotency, IdempotencyStore } from "./stores/idempotency.js";
import { RedisIdempotencyStore } from "./stores/idempotency-redis.js";
import { createJobKindCache } from "./stores/job-kinds.js";
import { createParsedCertificateCache } from "./stores/parsed-certificates.js";
import { createReportCache, decodeSharedReport, REPORT_TTL_MS } from "./stores/reports.js";
import { SharedCache } from "./stores/shared-cache.js";
import type { SharedRedis } from "./stores/redis.js";
import { parseJobKey } from "./subscriptions/job-key.js";
import { createRedisPollCoordinator } from "./subscriptions/job-lease.js";
import { JobWatcher } from "./subscriptions/job-watcher.js";

export interface TenantsConfig {
  upstream: UpstreamConfig;
  passthroughApiKey?: boolean;
  jobPolling?: JobPollingOptions;
  logger: Logger;
  observability: Observability;
  /** Redis shared by every instance; null: all state in this process. */
  sharedStore: { redis: SharedRedis; idempotencyTtlMs: number; leaseTtlMs: number } | null;
}

export type Tenants = ReturnType<typeof createTenants>;

/** How batch jobs are polled for subscribers; each field absent: its `JOB_POLLING_DEFAULTS` value. */
export interface JobPollingOptions {
  /** A moving job's wait between polls (queued or processing at DigiCert), and the wait after any change. */
  minIntervalMs?: number;
  /** How slow a job waiting for a person (PENDING_APPROVAL) gets, x1.5 per unchanged poll; the backoff's cap. */
  maxIntervalMs?: number;
  /** Upstream job polls per second per tenant (first reads included); with Redis, split between the instances. */
  budgetPerSecond?: number;
  /** Polls a tenant may make back to back after a quiet spell. */
  budgetBurst?: number;
}

/**
 * DigiCert ONE's limits are per API key and unpublished; CertCentral's published ones are 1,000 requests per 5 minutes
 * (3.3/s) and 100 per 5 s. 2 polls/s with bursts of 10 stays at 60% and 20% of those, leaving the rest for the tenant's
 * other calls. 200 ms keeps a moving job's change p99 near 200 ms while the budget allows it.
 */
export const JOB_POLLING_DEFAULTS = {
  minIntervalMs: 200,
  maxIntervalMs: 15_000,
  budgetPerSecond: 2,
  budgetBurst: 10,
} as const satisfies Required<JobPollingOptions>;

/** DigiCert works on these by itself (queued, processing, rejecting): polled at the moving pace, changed or not. */
const MOVING_BATCH_JOB_STATUSES: ReadonlySet<BatchJobStatus> = new Set([
  "PENDING",
  "APPROVED",
  "IN_PROGRESS",
  "PENDING_REJECTION",
  "REJECTION_IN_PROGRESS",
]);

/**
 * Upstream clients per tenant. API-key tenants share one pool to the origin; each client-certificate
 * tenant has its own (a TLS identity is per connection). Pass-through mode makes a client per request
 * from the caller's own key, on the shared pool.
 */
export function createTenants(config: TenantsConfig) {
  const { transport, tenants } = config.upstream;
  const logger = config.logger.child({ component: "upstream" });
  const { metrics, upstream: telemetry } = config.observability;
  const sharedPool = createUpstreamPool(transport);
  const pools: Pool[] = [sharedPool];
  const parsedCertificates = createParsedCertificateCache(undefined, metrics);
  const redis = config.sharedStore?.redis ?? null;
  // Shared, a claim's deadline is the longest an issuing call can take (it is never retried); then a claim whose owner
  // never finished reads as outcome unknown, never as free.
  const idempotency: Idempotency = redis
    ? new RedisIdempotencyStore(redis, {
        ttlMs: config.sharedStore!.idempotencyTtlMs,
        pendingMs: transport.connectTimeoutMs + transport.headersTimeoutMs + transport.bodyTimeoutMs + 1_000,
        onStoreError: (error) =>
          logger.error(
            { code: (error as { code?: unknown }).code ?? "unknown" },
            "an idempotency outcome could not be stored; repeats of that key will read outcome unknown",
          ),
      })
    : new IdempotencyStore();
  const reports = createReportCache(
    undefined,
    metrics,
    redis &&
      new SharedCache(redis, {
        name: "sharedReports",
        ttlMs: REPORT_TTL_MS,
        maxBytes: 8 * 1024 * 1024,
        decode: decodeSharedReport,
        metrics,
      }),
  );
  const jobKinds = createJobKindCache(undefined, metrics);
  // A job id belongs to one product for good: a week in Redis.
  const sharedJobKinds =
    redis &&
    new SharedCache<BatchJobKind>(redis, {
      name: "sharedJobKinds",
      ttlMs: 7 * 24 * 3_600_000,
      maxBytes: 64,
      decode: (json) => BATCH_JOB_KINDS.find((kind) => kind === json) ?? null,
      metrics,
    });
  const services = new Map<string, Services>();
  const readJob = async (key: string): Promise<BatchJob | null> => {
    const { tenant, kind, jobId } = parseJobKey(key);
    const clients = services.get(tenant);
    return clients && kind ? readBatchJob(clients, kind, jobId) : null;
  };
  // One upstream poller per watched job, however many subscribers. A key is `${tenant}|${kind}|${jobId}`
  // (see jobKey), polled with that tenant's own credentials, so tenants never share a poller or a snapshot.
  // A poll serves every subscriber: it runs outside the first one's operation (its logs, counts and spans).
  // Each tenant's jobs share one budget of polls per second (DigiCert's rate limits are per API key).
  const polling: Required<JobPollingOptions> = {
    minIntervalMs: config.jobPolling?.minIntervalMs ?? JOB_POLLING_DEFAULTS.minIntervalMs,
    maxIntervalMs: config.jobPolling?.maxIntervalMs ?? JOB_POLLING_DEFAULTS.maxIntervalMs,
    budgetPerSecond: config.jobPolling?.budgetPerSecond ?? JOB_POLLING_DEFAULTS.budgetPerSecond,
    budgetBurst: config.jobPolling?.budgetBurst ?? JOB_POLLING_DEFAULTS.budgetBurst,
  };
  const jobs = new JobWatcher<BatchJob>({
    fetch: async (key) => {
      try {
        const job = await outsideOperation(readJob, key);
        metrics.jobPoll(job ? "ok" : "not_found");
        return job;
      } catch (error) {
        metrics.jobPoll("error");
        throw error;
      }
    },
    isTerminal: (job) => TERMINAL_BATCH_JOB_STATUSES.has(job.status),
    isMoving: (job) => MOVING_BATCH_JOB_STATUSES.has(job.status),
    minIntervalMs: polling.minIntervalMs,
    maxIntervalMs: polling.maxIntervalMs,
    budget: { pollsPerSecond: polling.budgetPerSecond, burst: polling.budgetBurst },
    budgetKey: (key) => parseJobKey(key).tenant,
    maxConsecutiveErrors: 5,
    // With Redis, one instance polls each job (a lease) and every instance fans its snapshots out.
    ...(redis
      ? {
          coordinator: createRedisPollCoordinator<BatchJob>(redis, {
            leaseTtlMs: config.sharedStore!.leaseTtlMs,
            encode: encodeBatchJob,
            decode: decodeBatchJob,
            logger,
          }),
        }
      : {}),
  });
  /**
   * One set of clients on `http`, with the app-wide stores; `tenantScope` keys those stores. `forOperation` makes the
   * same set on `http` bound to one operation (per request: it makes no closure of its own).
   */
  const servicesOn = (
    http: UpstreamClient,
    tenantScope: string,
    jobScope: string | null,
    bound = false,
  ): Services => ({
    tlm: new TlmClient(http),
    iot: new IotClient(http),
    dtm: new DtmClient(http),
    jobs,
    jobScope,
    parsedCertificates,
    idempotency,
    tenantScope,
    reports,
    jobKinds,
    sharedJobKinds,
    metrics,
    ...(bound
      ? {}
      : {
          forOperation: (scope: UpstreamScope) =>
            servicesOn(http.forOperation(scope), tenantScope, jobScope, true),
        }),
  });
  for (const [tenant, credentials] of tenants) {
    const pool = credentials.kind === "apiKey" ? sharedPool : createUpstreamPool(transport, credentials);
    if (pool !== sharedPool) pools.push(pool);
    services.set(
      tenant,
      servicesOn(new UpstreamClient({ ...transport, credentials }, logger, pool, telemetry), tenant, tenant),
    );
  }
  return {
    /** The viewer's tenant's services; null when this gateway does not serve that tenant. */
    forViewer(viewer: Viewer, callerApiKey: string | null): Services | null {
      if (!config.passthroughApiKey) return services.get(viewer.tenant) ?? null;
      if (!callerApiKey || callerApiKey.length > 512 || /[\s\u0000-\u001f]/.test(callerApiKey)) return null;
      const credentials = { kind: "apiKey" as const, apiKey: callerApiKey };
      const http = new UpstreamClient({ ...transport, credentials }, logger, sharedPool, telemetry);
      // Scoped by tenant and by a digest of the caller's DigiCert key (never the key itself). Pass-through
      // callers bring their own key per request: the gateway has none to poll jobs with (jobScope null).
      return servicesOn(http, `${viewer.tenant}:${fingerprintOf(callerApiKey)}`, null);
    },
    /** App-wide job watcher: one poller per watched job (shutdown completes its subscribers). */
    jobs,
    /**
     * Whether DigiCert answers TLM's hello with a configured tenant's credentials (the first one). In
     * pass-through mode with no tenant of its own, any HTTP answer proves the upstream is reachable.
     */
    async probeUpstream(): Promise<boolean> {
      const first = services.values().next().value;
      if (first) return first.tlm.hello();
      const http = new UpstreamClient(
        { ...transport, credentials: { kind: "apiKey", apiKey: "-" } },
        logger,
        sharedPool,
        telemetry,
      );
      return new TlmClient(http).hello().catch((error: unknown) => error instanceof UpstreamHttpError);
    },
    /** Stops every poller (their subscribers complete); later subscriptions complete at once. */
    stopPolling: () => jobs.close(),
    async close() {
      await jobs.close();
      await Promise.all(pools.map((pool) => pool.close()));
    },
  };
}
