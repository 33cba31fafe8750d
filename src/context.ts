import { setImmediate as nextTurn } from "node:timers/promises";
import DataLoader from "dataloader";
import { LRUCache } from "lru-cache";
import type { Viewer } from "./auth/viewer.js";
import type { DtmClient } from "./datasources/dtm/client.js";
import type { IotClient } from "./datasources/iot/client.js";
import type { TlmClient } from "./datasources/tlm/client.js";
import type { Logger } from "./logger.js";
import type { ReportCache } from "./resolvers/dtm.js";
import type { IdempotencyStore } from "./resolvers/idempotency.js";
import type { JobWatcher } from "./subscriptions/job-watcher.js";
import {
  type AdditionalFormats,
  type Certificate,
  toAdditionalFormats,
  toCertificate,
} from "./model/certificate.js";
import type { BatchJob, BatchJobKind } from "./model/batch.js";
import { UpstreamInvalidResponseError } from "./model/errors.js";
import type { SerialNumber, Uuid } from "./model/ids.js";
import {
  type DeviceCertificate,
  type DeviceCertificateRef,
  type EnrollmentProfile,
  type IotProfileId,
  toDeviceCertificate,
  toEnrollmentProfile,
} from "./model/iot.js";
import { type Profile, toProfile } from "./model/profile.js";
import { type CallContext, toDomainError } from "./model/upstream-errors.js";
import { type ParsedCertificate, parseCertificatePem, X509ParseError } from "./model/x509.js";

/** Per-request loaders (dataloader's contract: one set per request, results in key order). */
export interface Loaders {
  /** TLM has no batch profile endpoint: one GET per distinct id, in parallel, deduplicated. */
  profile: DataLoader<Uuid, Profile | null>;
  certificate: DataLoader<SerialNumber, Certificate | null>;
  additionalFormats: DataLoader<SerialNumber, AdditionalFormats>;
  /** Parses each distinct PEM once per request, however many x509 fields are selected. */
  x509: DataLoader<string, ParsedCertificate>;
  enrollmentProfile: DataLoader<IotProfileId, EnrollmentProfile | null>;
  deviceCertificate: DataLoader<DeviceCertificateRef, DeviceCertificate | null>;
}

export interface GatewayContext {
  /** The verified caller; every request has one. */
  viewer: Viewer;
  tlm: TlmClient;
  iot: IotClient;
  dtm: DtmClient;
  jobs: JobWatcher<BatchJob>;
  jobScope: string | null;
  /** Remembers enrollment results by the caller's idempotency key, within `tenantScope`. */
  idempotency: IdempotencyStore;
  /**
   * The tenant (and, in pass-through mode, the caller's DigiCert key): every app-wide store below keys by it, so
   * nothing kept for one caller's credentials is served to another's.
   */
  tenantScope: string;
  /** App-wide: DTM job reports by tenant (tenantScope) and job state. */
  reports: ReportCache;
  /** App-wide: which product runs a job, by tenant (tenantScope) and bare job id. */
  jobKinds: LRUCache<string, Promise<BatchJobKind | null>>;
  loaders: Loaders;
  logger: Logger;
  /** The request's clock, so every field of one response agrees on "now". */
  now: Date;
}

/** Long-lived parts for one tenant (the cache may be shared: certificates are public). */
export interface Services {
  tlm: TlmClient;
  iot: IotClient;
  dtm: DtmClient;
  /** App-wide: one poller per watched job, whatever the number of subscribers. */
  jobs: JobWatcher<BatchJob>;
  /** The tenant jobs are watched in; null in pass-through mode (the gateway has no key to poll with). */
  jobScope: string | null;
  idempotency: IdempotencyStore;
  tenantScope: string;
  reports: ReportCache;
  jobKinds: LRUCache<string, Promise<BatchJobKind | null>>;
  /** Parsed certificates by PEM. Certificates are public and immutable, and parsing is pure. */
  parsedCertificates: LRUCache<string, ParsedCertificate>;
}

export function createParsedCertificateCache(max = 5_000): LRUCache<string, ParsedCertificate> {
  return new LRUCache({ max });
}

/** One request's context: the caller, its tenant's datasources, and fresh loaders. */
export function createContext(
  viewer: Viewer,
  services: Services,
  logger: Logger,
  now = new Date(),
): GatewayContext {
  const { tlm, iot, dtm, jobs, jobScope, idempotency, tenantScope, reports, jobKinds } = services;
  const loaders = createLoaders(services);
  return {
    viewer,
    tlm,
    iot,
    dtm,
    jobs,
    jobScope,
    idempotency,
    tenantScope,
    reports,
    jobKinds,
    loaders,
    logger,
    now,
  };
}

/** One request's loaders, each built on first use: most operations, and every subscription, use few or none. */
export function createLoaders(services: Services): Loaders {
  return new RequestLoaders(services);
}

class RequestLoaders implements Loaders {
  #enrollmentProfile?: Loaders["enrollmentProfile"];
  #deviceCertificate?: Loaders["deviceCertificate"];
  #profile?: Loaders["profile"];
  #certificate?: Loaders["certificate"];
  #additionalFormats?: Loaders["additionalFormats"];
  #x509?: Loaders["x509"];

  constructor(private readonly services: Services) {}

  get enrollmentProfile() {
    const { iot } = this.services;
    return (this.#enrollmentProfile ??= lookup(
      (id) => iot.getEnrollmentProfile(id),
      toEnrollmentProfile,
      (id) => ({ profileId: id }),
    ));
  }

  get deviceCertificate() {
    const { iot } = this.services;
    return (this.#deviceCertificate ??= lookup(
      (ref) => iot.getCertificate(ref),
      toDeviceCertificate,
      (ref) => ({ serialNumber: ref }),
    ));
  }

  get profile() {
    const { tlm } = this.services;
    return (this.#profile ??= lookup(
      (id) => tlm.getProfile(id),
      toProfile,
      (id) => ({ profileId: id }),
    ));
  }

  get certificate() {
    const { tlm } = this.services;
    return (this.#certificate ??= lookup(
      (serial) => tlm.getCertificate(serial),
      toCertificate,
      (serial) => ({ serialNumber: serial }),
    ));
  }

  get additionalFormats() {
    const { tlm } = this.services;
    return (this.#additionalFormats ??= new DataLoader((serials) =>
      settle(
        serials,
        async (serial) => toAdditionalFormats(await tlm.getAdditionalFormats(serial)),
        (serial) => ({ idempotent: true, serialNumber: serial }),
      ),
    ));
  }

  get x509() {
    const { parsedCertificates } = this.services;
    return (this.#x509 ??= new DataLoader(async (pems) => {
      // Parsing is CPU-bound: yield once so batches queued in the same tick (profiles) send first.
      await nextTurn();
      return settle(
        pems,
        async (pem) => {
          const hit = parsedCertificates.get(pem);
          if (hit) return hit;
          // Every PEM here came from DigiCert: one that does not parse is an invalid upstream response.
          const parsed = await parseCertificatePem(pem).catch((error: unknown) => {
            throw error instanceof X509ParseError ? new UpstreamInvalidResponseError() : error;
          });
          parsedCertificates.set(pem, parsed);
          return parsed;
        },
        () => ({ idempotent: true }),
      );
    }));
  }
}

/** A loader of objects a read may not find (`get` answers null), mapped from DigiCert's JSON. */
function lookup<K, W, V>(
  get: (key: K) => Promise<W | null>,
  map: (wire: W) => V,
  about: (key: K) => Omit<CallContext, "idempotent">,
): DataLoader<K, V | null> {
  return new DataLoader((keys) =>
    settle(
      keys,
      async (key) => {
        const wire = await get(key);
        return wire ? map(wire) : null;
      },
      (key) => ({ idempotent: true, ...about(key) }),
    ),
  );
}

/** Runs one load per key in parallel; a failed key becomes its domain error, the others still resolve. */
function settle<K, V>(
  keys: readonly K[],
  load: (key: K) => Promise<V>,
  call: (key: K) => Parameters<typeof toDomainError>[1],
): Promise<(V | Error)[]> {
  return Promise.all(
    keys.map((key) =>
      load(key).catch((error: unknown) => {
        const mapped = toDomainError(error, call(key));
        return mapped instanceof Error ? mapped : new Error("load failed");
      }),
    ),
  );
}
