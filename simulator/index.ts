import "reflect-metadata";
import { isIP } from "node:net";
import { resolve } from "node:path";
import { CA_ORGANIZATION, CertificateAuthority, EKU } from "./ca.js";
import { SimulatorOptionError } from "./errors.js";
import { DTM_DEVICE_GROUPS, DTM_POLICIES } from "./dtm/policies.js";
import { seedDtmDevices } from "./dtm/seed.js";
import { IOT_PROFILES } from "./iot/profiles.js";
import { seedIotCertificates } from "./iot/seed.js";
import type { UploadLimits } from "./upload.js";
import { registerDtmRoutes } from "./routes/dtm.js";
import { registerIotRoutes } from "./routes/iot.js";
import { registerTlmRoutes } from "./routes/tlm.js";
import { CALLERS, DEFAULT_API_KEY, PROFILES, seedCertificates } from "./seed.js";
import {
  type Fault,
  parseLatency,
  type ServerOptions,
  type SimulatorLogger,
  SimulatorServer,
} from "./server.js";
import { SimulatorState } from "./state.js";

export { SimulatorDataError, SimulatorOptionError } from "./errors.js";
export { DEFAULT_API_KEY, PROFILE_IDS, RESTRICTED_API_KEY } from "./seed.js";
export { IOT_DEVICE_FIELD_IDS, IOT_KEY_TYPES, IOT_PROFILE_IDS, type IotKeyType } from "./iot/profiles.js";
export { DTM_IDS } from "./dtm/ids.js";
export { DTM_KEY_TYPES, type DtmKeyType } from "./dtm/policies.js";
export type { Fault, SimulatorLogger } from "./server.js";

export interface SimulatorOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Added before every API response; default 0. */
  latencyMs?: number;
  /** Approval profile: pickup returns PENDING until this long after the request; default 5000. */
  pickupDelayMs?: number;
  /** Persist CA and state here; unset = in memory. */
  dataDir?: string;
  /** Default 300. */
  seedCertificates?: number;
  /** IoT Trust Manager certificates to seed; default 30. */
  seedIotCertificates?: number;
  /** IoT batch jobs: one state step (APPROVED -> IN_PROGRESS, and the least time IN_PROGRESS lasts); default 3000. */
  batchStepMs?: number;
  /** IoT batch upload caps; each defaults as in BatchLimits. */
  batchLimits?: BatchLimits;
  /**
   * Device Trust Manager batch jobs: one state step (PENDING lasts at least this long, IN_PROGRESS too, and each
   * rejection state); default batchStepMs.
   */
  dtmJobStepMs?: number;
  /** DTM batch upload caps; each defaults as in DtmBatchLimits. */
  dtmBatchLimits?: DtmBatchLimits;
  /** Serve HTTPS; a certificate from issueClientCertificate() then authenticates without x-api-key. */
  tls?: boolean;
  /**
   * How TLM certificate details and certificate-search items carry `certificate`: "pem" (default; the tutorial) or
   * "base64", bare base64 DER as in the published spec's example. Issue, renew, pickup and additional-formats answers
   * stay PEM, as documented.
   */
  certificateEncoding?: "pem" | "base64";
  logger?: false | SimulatorLogger;
}

export interface Simulator {
  /** e.g. http://127.0.0.1:54321 (https:// when tls). */
  readonly url: string;
  readonly port: number;
  readonly rootCertificatePem: string;
  readonly intermediateCertificatePem: string;
  setLatency(ms: number): void;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** e.g. requestCount("GET /mpki/api/v2/profile/:id"). */
  requestCount(routeKey: string): number;
  /** Every API route key seen since the last reset. */
  requestCounts(): Record<string, number>;
  resetCounters(): void;
  /** A client certificate from the simulator's CA; in tls mode it authenticates as DEFAULT_API_KEY's tenant. */
  issueClientCertificate(commonName?: string): Promise<{ certificatePem: string; privateKeyPem: string }>;
  /** Closes server, sockets and timers, then flushes state; idempotent. */
  close(): Promise<void>;
}

/** Caps on one IoT batch upload. Over a byte, entry or row cap the simulator answers 413. */
export interface BatchLimits {
  /** The data file, default 16 MiB (the real service allows 200 MB). */
  maxUploadBytes?: number;
  /** Entries in an uploaded ZIP, default 10 000. */
  maxZipEntries?: number;
  /** Bytes a ZIP may inflate to in total, default 64 MiB. */
  maxInflatedBytes?: number;
  /** Rows (CSV lines or CSR files) per job, default 5000. */
  maxRows?: number;
}

/**
 * Caps on one DTM batch upload. The data file is written to disk as it arrives (bounded memory); a ZIP is inflated in
 * memory. Over a cap the simulator answers 413.
 */
export interface DtmBatchLimits {
  /** The data file, default 200 MiB (the docs: "can't exceed more than 200 MB"). */
  maxUploadBytes?: number;
  /** Entries in an uploaded ZIP, default 10 000. */
  maxZipEntries?: number;
  /** Bytes a ZIP may inflate to in total, default 256 MiB. */
  maxInflatedBytes?: number;
  /** Rows per job, default 1 000 000 (the docs: "No limit on the number of devices per job"). */
  maxRows?: number;
}

const DEFAULT_BATCH_LIMITS: UploadLimits = {
  maxUploadBytes: 16 * 1024 * 1024,
  maxZipEntries: 10_000,
  maxInflatedBytes: 64 * 1024 * 1024,
  maxRows: 5000,
};

const DEFAULT_DTM_BATCH_LIMITS: UploadLimits = {
  maxUploadBytes: 200 * 1024 * 1024,
  maxZipEntries: 10_000,
  maxInflatedBytes: 256 * 1024 * 1024,
  maxRows: 1_000_000,
};

function batchLimits(
  input: BatchLimits | undefined,
  defaults: UploadLimits = DEFAULT_BATCH_LIMITS,
  option = "batchLimits",
  maxRows = 1_000_000,
): UploadLimits {
  const limit = (name: keyof BatchLimits, max: number): number => {
    const value = integerOption(`${option}.${name}`, input?.[name], defaults[name], max);
    if (value < 1)
      throw new SimulatorOptionError(`${option}.${name}`, `${option}.${name} must be at least 1`);
    return value;
  };
  return {
    maxUploadBytes: limit("maxUploadBytes", 1024 * 1024 * 1024),
    maxZipEntries: limit("maxZipEntries", 1_000_000),
    maxInflatedBytes: limit("maxInflatedBytes", 4 * 1024 * 1024 * 1024),
    maxRows: limit("maxRows", maxRows),
  };
}

function integerOption(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new SimulatorOptionError(name, `${name} must be an integer between 0 and ${max}`);
  }
  return value;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Names the TLS server certificate covers: loopback by IP and DNS, plus the bind host when it is specific. */
function serverNames(host: string): { dns_names: string[]; ip_addresses: string[] } {
  const dns = new Set(["localhost"]);
  const ips = new Set(["127.0.0.1", "::1"]);
  if (host !== "0.0.0.0" && host !== "::") (isIP(host) ? ips : dns).add(host);
  return { dns_names: [...dns], ip_addresses: [...ips] };
}

/**
 * Starts a DigiCert ONE simulator (Trust Lifecycle Manager, IoT Trust Manager, Device Trust Manager); loads CA and
 * state from dataDir when present, else generates and seeds.
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? "127.0.0.1";
  const port = integerOption("port", options.port, 0, 65_535);
  const latencyMs = parseLatency(options.latencyMs ?? 0);
  const pickupDelayMs = integerOption("pickupDelayMs", options.pickupDelayMs, 5000, 2 ** 31 - 1);
  const seedCount = integerOption("seedCertificates", options.seedCertificates, 300, 100_000);
  const iotSeedCount = integerOption("seedIotCertificates", options.seedIotCertificates, 30, 100_000);
  const batchStepMs = integerOption("batchStepMs", options.batchStepMs, 3000, 86_400_000);
  const limits = batchLimits(options.batchLimits);
  const dtmJobStepMs = integerOption("dtmJobStepMs", options.dtmJobStepMs, batchStepMs, 86_400_000);
  const dtmLimits = batchLimits(
    options.dtmBatchLimits,
    DEFAULT_DTM_BATCH_LIMITS,
    "dtmBatchLimits",
    100_000_000,
  );
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  const logger = options.logger || undefined;
  const certificateEncoding = options.certificateEncoding ?? "pem";
  if (certificateEncoding !== "pem" && certificateEncoding !== "base64") {
    throw new SimulatorOptionError("certificateEncoding", 'certificateEncoding must be "pem" or "base64"');
  }

  let ca = dataDir ? await CertificateAuthority.load(dataDir) : undefined;
  if (!ca) {
    ca = await CertificateAuthority.create();
    if (dataDir) await ca.save(dataDir);
  }
  const { state, loaded } = await SimulatorState.open(ca, new Map(PROFILES.map((p) => [p.id, p])), dataDir);
  if (!loaded) {
    const started = performance.now();
    await seedCertificates(state, seedCount);
    logger?.info(
      { certificates: seedCount, ms: Math.round(performance.now() - started) },
      "seeded certificates",
    );
  }
  if (!state.iotLoaded) {
    await seedIotCertificates(state, ca, IOT_PROFILES, iotSeedCount);
    await state.save();
    logger?.info({ certificates: iotSeedCount }, "seeded IoT certificates");
  }
  if (!state.dtmLoaded) {
    seedDtmDevices(state);
    state.dtmLoaded = true;
    await state.save();
  }

  const defaultCaller = CALLERS.get(DEFAULT_API_KEY)!;
  let tls: ServerOptions["tls"];
  if (options.tls) {
    const serverCertificate = await ca.issueWithNewKey(
      { common_name: ["localhost"], organization_name: [CA_ORGANIZATION] },
      serverNames(host),
      [EKU.serverAuth],
      365,
    );
    tls = {
      key: serverCertificate.privateKeyPem,
      cert: `${serverCertificate.certificatePem}\n${ca.intermediatePem}\n`,
      ca: [ca.rootPem, ca.intermediatePem],
      clientCaller: (thumbprint) => (state.clientThumbprints.has(thumbprint) ? defaultCaller : undefined),
    };
  }

  const server = new SimulatorServer({ host, port, latencyMs, credentials: CALLERS, tls, logger });
  registerTlmRoutes(server, { state, ca, pickupDelayMs, certificateEncoding });
  const iot = registerIotRoutes(server, {
    state,
    ca,
    profiles: IOT_PROFILES,
    batch: { stepMs: batchStepMs, limits, logger },
  });
  const dtm = registerDtmRoutes(server, {
    state,
    groups: DTM_DEVICE_GROUPS,
    policies: DTM_POLICIES,
    batch: { stepMs: dtmJobStepMs, limits: dtmLimits, logger, ...(dataDir ? { dataDir } : {}) },
  });
  let boundPort: number;
  try {
    boundPort = await server.listen();
  } catch (error) {
    await dtm.close();
    await iot.close();
    await server.close();
    await state.close();
    throw error;
  }
  const url = `${tls ? "https" : "http"}://${urlHost(host)}:${boundPort}`;
  logger?.info({ url, tls: Boolean(tls), dataDir: dataDir ?? null }, "DigiCert ONE simulator listening");

  let closing: Promise<void> | undefined;
  const issuingCa = ca;
  return {
    url,
    port: boundPort,
    rootCertificatePem: ca.rootPem,
    intermediateCertificatePem: ca.intermediatePem,
    setLatency: (ms) => server.setLatency(ms),
    injectFault: (fault) => server.injectFault(fault),
    clearFaults: () => server.clearFaults(),
    requestCount: (routeKey) => server.requestCount(routeKey),
    requestCounts: () => server.requestCounts(),
    resetCounters: () => server.resetCounters(),
    async issueClientCertificate(commonName = "simulator-api-client") {
      if (typeof commonName !== "string" || commonName.trim() === "" || commonName.length > 64) {
        throw new SimulatorOptionError("commonName", "commonName must be 1 to 64 characters");
      }
      const issued = await issuingCa.issueWithNewKey(
        { common_name: [commonName.trim()], organization_name: [CA_ORGANIZATION] },
        {},
        [EKU.clientAuth],
        365,
      );
      state.clientThumbprints.add(issued.thumbprint);
      await state.save();
      return { certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem };
    },
    close() {
      closing ??= (async () => {
        await dtm.close();
        await iot.close();
        await server.close();
        await state.close();
        logger?.info({ url }, "DigiCert ONE simulator closed");
      })();
      return closing;
    },
  };
}
