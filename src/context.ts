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
import type { BatchJob } from "./model/batch.js";
import type { IdempotencyStore } from "./stores/idempotency.js";
import type { JobKindCache } from "./stores/job-kinds.js";
import type { ParsedCertificateCache } from "./stores/parsed-certificates.js";
import type { ReportCache } from "./stores/reports.js";
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
  idempotency: IdempotencyStore;
  /**
   * The tenant (and, in pass-through mode, the caller's DigiCert key): every app-wide store keys by it, so nothing
   * kept for one caller's credentials is served to another's.
   */
  tenantScope: string;
  /** App-wide: DTM job reports by tenant (tenantScope) and job state. */
  reports: ReportCache;
  /** App-wide: which product runs a job, by tenant (tenantScope) and bare job id. */
  jobKinds: JobKindCache;
  /** App-wide: parsed certificates by PEM (certificates are public and immutable, and parsing is pure). */
  parsedCertificates: ParsedCertificateCache;
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

/** One request's context: the caller, its tenant's services, and fresh loaders. */
export function createContext(
  viewer: Viewer,
  services: Services,
  logger: Logger,
  now = new Date(),
): GatewayContext {
  return { viewer, services, loaders: createLoaders(services), logger, now };
}
