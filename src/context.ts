/**
 * One request's context: the verified caller, its tenant's long-lived services, and that request's loaders (built on
 * first use). Imports loaders, stores and datasources (types); what resolvers and schema read through `ctx`.
 */
import type { Viewer } from "./auth/viewer.js";
import type { DtmClient } from "./datasources/dtm/client.js";
import type { IotClient } from "./datasources/iot/client.js";
import type { TlmClient } from "./datasources/tlm/client.js";
import { createLoaders, type Loaders } from "./loaders.js";
import type { Logger } from "./logger.js";
import type { BatchJob, BatchJobKind } from "./model/batch.js";
import type { GatewayMetrics } from "./observability/types.js";
import type { UpstreamScope } from "./observability/upstream.js";
import type { Idempotency } from "./stores/idempotency.js";
import type { JobKindCache } from "./stores/job-kinds.js";
import type { ParsedCertificateCache } from "./stores/parsed-certificates.js";
import type { ReportCache } from "./stores/reports.js";
import type { SharedCache } from "./stores/shared-cache.js";
import type { JobWatcher } from "./subscriptions/job-watcher.js";

export type { Loaders };

/** Long-lived parts for one tenant; the app-wide stores are shared by every tenant and key by `tenantScope`. */
export interface Services {
  tlm: TlmClient;
  iot: IotClient;
  dtm: DtmClient;
  /** App-wide: one poller per watched job, whatever the number of subscribers. */
  jobs: JobWatcher<BatchJob>;
  /** The tenant jobs are watched in; null in pass-through mode (the gateway has no key to poll with). */
  jobScope: string | null;
  /** Remembers enrollment results by the caller's idempotency key, within `tenantScope`. */
  idempotency: Idempotency;
  /**
   * The tenant (and, in pass-through mode, the caller's DigiCert key): every app-wide store keys by it, so nothing
   * kept for one caller's credentials is served to another's.
   */
  tenantScope: string;
  /** App-wide: DTM job reports by tenant (tenantScope) and job state. */
  reports: ReportCache;
  /** App-wide: which product runs a job, by tenant (tenantScope) and bare job id. */
  jobKinds: JobKindCache;
  /** The job kinds every instance shares (REDIS_URL), under `jobKinds`; absent or null: this instance's only. */
  sharedJobKinds?: SharedCache<BatchJobKind> | null;
  /** App-wide: parsed certificates by PEM (certificates are public and immutable, and parsing is pure). */
  parsedCertificates: ParsedCertificateCache;
  /** The app's metrics (batch-file refusals are counted through it); absent: nothing is counted (unit tests). */
  metrics?: GatewayMetrics;
  /**
   * The same services with clients bound to one operation: its upstream calls count into it, log with its ids and
   * parent their spans to its span. Absent (unit tests): the services serve as they are.
   */
  forOperation?(scope: UpstreamScope): Services;
}

export interface GatewayContext {
  /** The verified caller; every request has one. */
  viewer: Viewer;
  services: Services;
  loaders: Loaders;
  logger: Logger;
  /** The request's clock, so every field of one response agrees on "now". */
  now: Date;
}

/**
 * Binds a context to the operation it runs for, before anything runs (the observability plugin calls it when
 * execution starts): its services' clients and the loaders over them, and its logger, carry the operation's ids.
 */
export function scopeContext(ctx: GatewayContext, scope: UpstreamScope, scopeLogger = true): void {
  const scoped = ctx.services.forOperation?.(scope);
  if (scoped) {
    ctx.services = scoped;
    ctx.loaders = createLoaders(scoped);
  }
  if (!scopeLogger) return;
  // Made on first use: most operations never log through ctx.logger, and a pino child costs microseconds.
  const base = ctx.logger;
  let scopedLogger: Logger | undefined;
  Object.defineProperty(ctx, "logger", {
    configurable: true,
    enumerable: true,
    get: () =>
      (scopedLogger ??= base.child({
        requestId: scope.requestId,
        operationName: scope.operationName,
        operationType: scope.operationType,
        tenant: scope.tenant,
      })),
    set: (logger: Logger) => void (scopedLogger = logger),
  });
}

/** One request's context: the caller, its tenant's services, and fresh loaders. */
export function createContext(
  viewer: Viewer,
  services: Services,
  logger: Logger,
  now = new Date(),
): GatewayContext {
  return { viewer, services, loaders: createLoaders(services), logger, now };
}
