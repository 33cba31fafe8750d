/**
 * Every per-request dataloader, one set per request, each built on first use (most operations, and every
 * subscription, use few or none). Dataloader's contract: results in key order, one failed key fails only its own
 * load. Each loader reads through a product's datasource, which returns domain objects and throws domain errors.
 * Imports datasources, stores and the model; nothing above.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import DataLoader from "dataloader";
import type { DtmClient } from "./datasources/dtm/client.js";
import type { IotClient } from "./datasources/iot/client.js";
import type { TlmClient } from "./datasources/tlm/client.js";
import type { DtmBatchJob } from "./model/dtm/batch-job.js";
import type { Device } from "./model/dtm/device.js";
import type {
  DtmBatchJobId,
  DtmCertificatePolicyId,
  DtmDeviceGroupId,
  DtmDeviceId,
} from "./model/dtm/ids.js";
import type { CertificatePolicy, DeviceGroup } from "./model/dtm/policy.js";
import { UpstreamInvalidResponseError } from "./model/errors.js";
import type { SerialNumber, Uuid } from "./model/ids.js";
import type { IotBatchDownload, IotBatchJob } from "./model/iot/batch-job.js";
import type { DeviceCertificate } from "./model/iot/certificate.js";
import type { BatchJobId, DeviceCertificateRef, IotProfileId } from "./model/iot/ids.js";
import type { EnrollmentProfile } from "./model/iot/profile.js";
import type { AdditionalFormats, Certificate } from "./model/tlm/certificate.js";
import type { Profile } from "./model/tlm/profile.js";
import { type ParsedCertificate, parseCertificatePem, X509ParseError } from "./model/x509.js";
import type { ParsedCertificateCache } from "./stores/parsed-certificates.js";

/** What the loaders read from: a tenant's clients and the app-wide parsed-certificate cache. */
export interface LoaderSources {
  tlm: TlmClient;
  iot: IotClient;
  dtm: DtmClient;
  parsedCertificates: ParsedCertificateCache;
}

export interface Loaders {
  /** TLM has no batch profile endpoint: one GET per distinct id, in parallel, deduplicated. */
  profile: DataLoader<Uuid, Profile | null>;
  certificate: DataLoader<SerialNumber, Certificate | null>;
  additionalFormats: DataLoader<SerialNumber, AdditionalFormats>;
  /** Parses each distinct PEM once per request, however many x509 fields are selected. */
  x509: DataLoader<string, ParsedCertificate>;
  enrollmentProfile: DataLoader<IotProfileId, EnrollmentProfile | null>;
  deviceCertificate: DataLoader<DeviceCertificateRef, DeviceCertificate | null>;
  iotBatchJob: DataLoader<BatchJobId, IotBatchJob | null>;
  /** A COMPLETE JSON-format job's parsed download, read once per request however many fields use it. */
  iotBatchDownload: DataLoader<BatchJobId, IotBatchDownload>;
  dtmBatchJob: DataLoader<DtmBatchJobId, DtmBatchJob | null>;
  device: DataLoader<DtmDeviceId, Device | null>;
  deviceGroup: DataLoader<DtmDeviceGroupId, DeviceGroup | null>;
  certificatePolicy: DataLoader<DtmCertificatePolicyId, CertificatePolicy | null>;
}

/** One request's loaders, each built the first time it is used. */
export function createLoaders(sources: LoaderSources): Loaders {
  return new RequestLoaders(sources);
}

class RequestLoaders implements Loaders {
  readonly #built = new Map<keyof Loaders, unknown>();

  constructor(private readonly sources: LoaderSources) {}

  get profile() {
    return this.#once("profile", () => byKey((id: Uuid) => this.sources.tlm.getProfile(id)));
  }
  get certificate() {
    return this.#once("certificate", () => byKey((s: SerialNumber) => this.sources.tlm.getCertificate(s)));
  }
  get additionalFormats() {
    return this.#once("additionalFormats", () =>
      byKey((s: SerialNumber) => this.sources.tlm.getAdditionalFormats(s)),
    );
  }
  get x509() {
    return this.#once("x509", () => x509Loader(this.sources.parsedCertificates));
  }
  get enrollmentProfile() {
    return this.#once("enrollmentProfile", () =>
      byKey((id: IotProfileId) => this.sources.iot.getEnrollmentProfile(id)),
    );
  }
  get deviceCertificate() {
    return this.#once("deviceCertificate", () =>
      byKey((ref: DeviceCertificateRef) => this.sources.iot.getCertificate(ref)),
    );
  }
  get iotBatchJob() {
    return this.#once("iotBatchJob", () => byKey((id: BatchJobId) => this.sources.iot.getBatchJob(id)));
  }
  get iotBatchDownload() {
    return this.#once("iotBatchDownload", () =>
      byKey((id: BatchJobId) => this.sources.iot.downloadBatchCertificatesJson(id)),
    );
  }
  get dtmBatchJob() {
    return this.#once("dtmBatchJob", () => byKey((id: DtmBatchJobId) => this.sources.dtm.getBatchJob(id)));
  }
  get device() {
    return this.#once("device", () => byKey((id: DtmDeviceId) => this.sources.dtm.getDevice(id)));
  }
  get deviceGroup() {
    return this.#once("deviceGroup", () =>
      byKey((id: DtmDeviceGroupId) => this.sources.dtm.getDeviceGroup(id)),
    );
  }
  get certificatePolicy() {
    return this.#once("certificatePolicy", () =>
      byKey((id: DtmCertificatePolicyId) => this.sources.dtm.getCertificatePolicy(id)),
    );
  }

  #once<K extends keyof Loaders>(name: K, make: () => Loaders[K]): Loaders[K] {
    let loader = this.#built.get(name) as Loaders[K] | undefined;
    if (!loader) this.#built.set(name, (loader = make()));
    return loader;
  }
}

/** One load per distinct key, in parallel. */
function byKey<K, V>(load: (key: K) => Promise<V>): DataLoader<K, V> {
  return new DataLoader((keys) => settle(keys, load));
}

/** Every PEM here came from DigiCert: one that does not parse is an invalid upstream response. */
function x509Loader(cache: ParsedCertificateCache): DataLoader<string, ParsedCertificate> {
  return new DataLoader(async (pems) => {
    // Parsing is CPU-bound: yield once so batches queued in the same tick (profiles) send first.
    await nextTurn();
    return settle(pems, async (pem) => {
      const hit = cache.get(pem);
      if (hit) return hit;
      const parsed = await parseCertificatePem(pem).catch((error: unknown) => {
        throw error instanceof X509ParseError ? new UpstreamInvalidResponseError() : error;
      });
      cache.set(pem, parsed);
      return parsed;
    });
  });
}

/** Runs one load per key in parallel; a failed key becomes its error, the others still resolve. */
function settle<K, V>(keys: readonly K[], load: (key: K) => Promise<V>): Promise<(V | Error)[]> {
  return Promise.all(
    keys.map((key) =>
      load(key).catch((error: unknown) => (error instanceof Error ? error : new Error("load failed"))),
    ),
  );
}
