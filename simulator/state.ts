import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type * as x509 from "@peculiar/x509";
import {
  type CertificateAuthority,
  DAY_MS,
  describeKey,
  type ExtraSanValues,
  randomSerialNumber,
  type SanType,
  type SanValues,
  type SubjectType,
  type SubjectValues,
} from "./ca.js";
import { SimulatorDataError } from "./errors.js";
import { readFileIfExists, writeFileAtomic } from "./fs-atomic.js";
import type { DtmBatchJob, DtmDevice } from "./dtm/types.js";
import type { IotBatchJob, IotCertificateRecord } from "./iot/types.js";

export const VALIDITY_UNITS = ["years", "months", "days", "hours", "minutes"] as const;
export type ValidityUnit = (typeof VALIDITY_UNITS)[number];
export interface ValiditySpec {
  readonly unit: ValidityUnit;
  readonly duration: number;
}

export interface SubjectRule {
  readonly type: SubjectType;
  readonly mandatory: boolean;
  /** FIXED_VALUE source: used when neither the request nor the CSR supplies the attribute. */
  readonly fixedValue?: string;
}

export interface SanRule {
  readonly type: SanType;
  readonly mandatory: boolean;
}

/** A certificate profile as the simulator reasons about it; seed.ts renders TLM's JSON from it. */
export interface ProfileDefinition {
  readonly id: string;
  readonly name: string;
  readonly status: "Active" | "Deleted";
  readonly signatureAlgorithm: string;
  readonly enrollmentMethod: string;
  readonly authenticationMethod: string;
  readonly renewalPeriodDays: number;
  /** TLM's duplicate_cert_policy: true allows several valid certificates per common name. */
  readonly duplicateCertPolicy: boolean;
  readonly overrideValidity: boolean;
  readonly deliveryFormat: "X509" | "PKCS7";
  readonly businessUnit: { readonly id: string; readonly name: string };
  /** Key labels as describeKey() reports them: "2048", "P-256". */
  readonly allowedKeys: readonly string[];
  readonly defaultKey: string;
  readonly validity: ValiditySpec;
  readonly subject: readonly SubjectRule[];
  readonly san: { readonly critical: boolean; readonly rules: readonly SanRule[] };
  readonly extendedKeyUsages: readonly string[];
  /** TLS profiles put the common name in a DNS SAN when no SAN was asked for. */
  readonly tls: boolean;
  readonly template: { readonly id: string; readonly name: string; readonly trust_type: string };
  /** TLM certificate-search's seat_type_id of the seats this profile issues to; default SERVER_SEAT. */
  readonly seatType?: "USER_SEAT" | "DEVICE_SEAT" | "SERVER_SEAT";
  /** TLM SANs beyond SanType this profile takes (user_principal_names, registered_ids, other_names). */
  readonly extraSanTypes?: readonly (keyof ExtraSanValues)[];
  /** The tutorial's profile fields: `automated_renewal`, `custom_extended_key_usages`, `key_escrow_policy`. */
  readonly automatedRenewal?: boolean;
  readonly customExtendedKeyUsages?: readonly string[];
  readonly keyEscrow?: {
    readonly enabled: boolean;
    readonly deploymentMode?: string;
    readonly dualAdminRecovery?: boolean;
  };
}

export type StoredStatus = "issued" | "revoked" | "suspended";

export interface Revocation {
  reason: string;
  revocation_date: string;
  comments: string;
}

export interface CertificateRecord {
  readonly serialNumber: string;
  readonly profileId: string;
  readonly seatId: string;
  readonly commonName: string;
  readonly certificatePem: string;
  readonly thumbprint: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly keyAlgorithm: string;
  readonly keySize: number;
  readonly subject: SubjectValues;
  readonly sans: SanValues;
  status: StoredStatus;
  revocation?: Revocation;
  notes: string;
  /** TLM only: the extra SANs it was issued with (kept to renew with). */
  extraSans?: ExtraSanValues;
  /** TLM only: the issue request's `tags`. */
  tags?: string[];
}

/** An approval-profile request waiting for pickup; everything needed to issue it later is resolved up front. */
export interface PendingRequest {
  readonly requestId: string;
  readonly profileId: string;
  readonly seatId: string;
  readonly createdAt: number;
  readonly publicKeyPem: string;
  readonly subject: SubjectValues;
  readonly sans: SanValues;
  readonly validity: ValiditySpec;
  readonly deliveryFormat: string;
  readonly includeCaChain: boolean;
  serialNumber?: string;
  readonly extraSans?: ExtraSanValues;
  readonly tags?: readonly string[];
}

export interface IssueInput {
  readonly profile: ProfileDefinition;
  readonly seatId: string;
  readonly publicKey: x509.PublicKey;
  readonly subject: SubjectValues;
  readonly sans: SanValues;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly notes?: string;
  /** TLM only: UPNs, registered ids and other names beyond `sans`. */
  readonly extraSans?: ExtraSanValues;
  readonly tags?: readonly string[];
}

interface StateFile {
  version: 1;
  /** Serial of the intermediate that signed these certificates; state from another CA is discarded. */
  issuer: string;
  certificates: CertificateRecord[];
  pending: PendingRequest[];
  clientThumbprints: string[];
  /** IoT Trust Manager; absent in files written before IoT existed (the caller then seeds IoT alone). */
  iot?: { certificates: IotCertificateRecord[]; jobs: IotBatchJob[] };
  /** Device Trust Manager; absent in files written before DTM existed (the caller then seeds DTM alone). */
  dtm?: { devices: DtmDevice[]; jobs: DtmBatchJob[] };
}

const STATE_FILE = "state.json";
/** Batch download artefacts (encrypted key material only) live beside state.json, not inside it. */
const BLOB_DIR = "iot-batch";
const BLOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** ISO 8601 in UTC to the second, e.g. 2025-01-31T12:00:00Z. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** notBefore plus a TLM validity; calendar units follow UTC calendar arithmetic. */
export function addValidity(from: Date, validity: ValiditySpec): Date {
  const date = new Date(from.getTime());
  const { duration } = validity;
  switch (validity.unit) {
    case "years":
      date.setUTCFullYear(date.getUTCFullYear() + duration);
      break;
    case "months":
      date.setUTCMonth(date.getUTCMonth() + duration);
      break;
    case "days":
      date.setTime(date.getTime() + duration * DAY_MS);
      break;
    case "hours":
      date.setTime(date.getTime() + duration * 3_600_000);
      break;
    case "minutes":
      date.setTime(date.getTime() + duration * 60_000);
      break;
  }
  return date;
}

/** Coalesces saves: at most one write runs and one waits; each snapshot is taken when its write starts. */
class StateWriter {
  #running: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => string,
  ) {}

  save(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#queued) return this.#queued;
    const write = this.#running.then(async () => {
      this.#queued = undefined;
      if (!this.#closed) await writeFileAtomic(this.path, this.snapshot());
    });
    this.#queued = write;
    this.#running = write.catch(() => undefined);
    return write;
  }

  /** Waits for queued writes, then ignores later saves (a handler still running after close must not write). */
  async close(): Promise<void> {
    await this.#running;
    this.#closed = true;
  }
}

/** Profiles, certificates, pending requests and API-client certificates, persisted under dataDir when given. */
export class SimulatorState {
  readonly certificates = new Map<string, CertificateRecord>();
  readonly pending = new Map<string, PendingRequest>();
  readonly clientThumbprints = new Set<string>();
  /** IoT certificates by certificate id. */
  readonly iotCertificates = new Map<string, IotCertificateRecord>();
  /** IoT batch jobs by job id. */
  readonly iotJobs = new Map<string, IotBatchJob>();
  /** False when the state file had no IoT section (or there was no file): the caller seeds IoT. */
  iotLoaded = false;
  /** DTM devices by id. */
  readonly dtmDevices = new Map<string, DtmDevice>();
  /** DTM batch jobs by id. */
  readonly dtmJobs = new Map<string, DtmBatchJob>();
  /** False when the state file had no DTM section (or there was no file): the caller seeds DTM. */
  dtmLoaded = false;
  /** `<device group id> <lowercase name>` -> device id: DTM device names are unique per device group [I]. */
  readonly #dtmByName = new Map<string, string>();
  readonly #iotBySerial = new Map<string, string>();
  readonly #blobs = new Map<string, Uint8Array>();
  readonly #writer: StateWriter | undefined;
  readonly #dataDir: string | undefined;
  #closed = false;

  private constructor(
    private readonly ca: CertificateAuthority,
    readonly profiles: ReadonlyMap<string, ProfileDefinition>,
    dataDir: string | undefined,
  ) {
    this.#dataDir = dataDir;
    this.#writer = dataDir ? new StateWriter(join(dataDir, STATE_FILE), () => this.#serialize()) : undefined;
  }

  /** Opens state for this CA; `loaded` is false when there was nothing usable to load (the caller seeds). */
  static async open(
    ca: CertificateAuthority,
    profiles: ReadonlyMap<string, ProfileDefinition>,
    dataDir: string | undefined,
  ): Promise<{ state: SimulatorState; loaded: boolean }> {
    const state = new SimulatorState(ca, profiles, dataDir);
    if (!dataDir) return { state, loaded: false };
    const path = join(dataDir, STATE_FILE);
    const text = await readFileIfExists(path);
    if (text === undefined) return { state, loaded: false };
    let file: StateFile;
    try {
      file = JSON.parse(text) as StateFile;
    } catch {
      throw new SimulatorDataError(path, `State file ${path} is not valid JSON`);
    }
    if (file.version !== 1 || !Array.isArray(file.certificates) || !Array.isArray(file.pending)) {
      throw new SimulatorDataError(path, `State file ${path} has an unsupported format`);
    }
    if (file.issuer !== state.#issuerId()) return { state, loaded: false };
    for (const record of file.certificates) state.certificates.set(record.serialNumber, record);
    for (const request of file.pending) state.pending.set(request.requestId, request);
    for (const thumbprint of file.clientThumbprints ?? []) state.clientThumbprints.add(thumbprint);
    if (file.iot) {
      if (!Array.isArray(file.iot.certificates) || !Array.isArray(file.iot.jobs)) {
        throw new SimulatorDataError(path, `State file ${path} has an unsupported format`);
      }
      for (const record of file.iot.certificates) state.addIotCertificate(record);
      for (const job of file.iot.jobs) state.iotJobs.set(job.id, job);
      state.iotLoaded = true;
    }
    if (file.dtm) {
      if (!Array.isArray(file.dtm.devices) || !Array.isArray(file.dtm.jobs)) {
        throw new SimulatorDataError(path, `State file ${path} has an unsupported format`);
      }
      for (const device of file.dtm.devices) state.addDtmDevice(device);
      for (const job of file.dtm.jobs) state.dtmJobs.set(job.id, job);
      state.dtmLoaded = true;
    }
    return { state, loaded: true };
  }

  /** Persists the current state; resolves once a write that includes every change so far has finished. */
  save(): Promise<void> {
    return this.#writer?.save() ?? Promise.resolve();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#writer?.close();
  }

  addIotCertificate(record: IotCertificateRecord): void {
    this.iotCertificates.set(record.id, record);
    this.#iotBySerial.set(record.serialNumber, record.id);
  }

  iotCertificateBySerial(serialNumber: string): IotCertificateRecord | undefined {
    const id = this.#iotBySerial.get(serialNumber.toUpperCase());
    return id === undefined ? undefined : this.iotCertificates.get(id);
  }

  addDtmDevice(device: DtmDevice): void {
    this.dtmDevices.set(device.id, device);
    this.#dtmByName.set(`${device.deviceGroupId} ${device.name.toLowerCase()}`, device.id);
  }

  removeDtmDevice(id: string): void {
    const device = this.dtmDevices.get(id);
    if (!device) return;
    this.dtmDevices.delete(id);
    this.#dtmByName.delete(`${device.deviceGroupId} ${device.name.toLowerCase()}`);
  }

  /** The device of that name (case-insensitive) in the group. */
  dtmDeviceByName(deviceGroupId: string, name: string): DtmDevice | undefined {
    const id = this.#dtmByName.get(`${deviceGroupId} ${name.toLowerCase()}`);
    return id === undefined ? undefined : this.dtmDevices.get(id);
  }

  /** A random serial no TLM or IoT certificate uses. */
  newSerialNumber(): string {
    for (;;) {
      const serial = randomSerialNumber();
      if (!this.certificates.has(serial) && !this.#iotBySerial.has(serial)) return serial;
    }
  }

  /** Stores a binary artefact: in memory, or as `<dataDir>/iot-batch/<name>` (mode 0600). Ignored after close. */
  async putBlob(name: string, data: Uint8Array): Promise<void> {
    if (!BLOB_NAME.test(name)) throw new Error("invalid blob name");
    if (this.#closed) return;
    if (!this.#dataDir) {
      this.#blobs.set(name, data);
      return;
    }
    await writeFileAtomic(join(this.#dataDir, BLOB_DIR, name), data, 0o600);
  }

  /** Opens the artefact lazily: a function giving its bytes as a stream of chunks, or undefined when there is none. */
  async openBlob(name: string): Promise<(() => AsyncIterable<Uint8Array>) | undefined> {
    if (!BLOB_NAME.test(name)) return undefined;
    if (!this.#dataDir) {
      const data = this.#blobs.get(name);
      return data === undefined
        ? undefined
        : async function* () {
            yield data;
          };
    }
    const path = join(this.#dataDir, BLOB_DIR, name);
    try {
      await stat(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return () => createReadStream(path);
  }

  /** Issues and stores a certificate (status issued); the caller saves. */
  async issue(input: IssueInput): Promise<CertificateRecord> {
    const issued = await this.ca.issue({
      serialNumber: this.newSerialNumber(),
      publicKey: input.publicKey,
      subject: input.subject,
      sans: input.sans,
      ...(input.extraSans ? { extraSans: input.extraSans } : {}),
      sanCritical: input.profile.san.critical,
      notBefore: input.notBefore,
      notAfter: input.notAfter,
      extendedKeyUsages: input.profile.extendedKeyUsages,
    });
    const key = describeKey(input.publicKey);
    const record: CertificateRecord = {
      serialNumber: issued.serialNumber,
      profileId: input.profile.id,
      seatId: input.seatId,
      commonName: input.subject.common_name?.[0] ?? "",
      certificatePem: issued.pem,
      thumbprint: issued.thumbprint,
      validFrom: isoSeconds(issued.notBefore),
      validTo: isoSeconds(issued.notAfter),
      keyAlgorithm: key.algorithm,
      keySize: key.size,
      subject: input.subject,
      sans: input.sans,
      status: "issued",
      notes: input.notes ?? "",
      ...(input.extraSans ? { extraSans: input.extraSans } : {}),
      ...(input.tags && input.tags.length > 0 ? { tags: [...input.tags] } : {}),
    };
    this.certificates.set(record.serialNumber, record);
    return record;
  }

  #issuerId(): string {
    return this.ca.intermediate.serialNumber.toUpperCase();
  }

  #serialize(): string {
    const file: StateFile = {
      version: 1,
      issuer: this.#issuerId(),
      certificates: [...this.certificates.values()],
      pending: [...this.pending.values()],
      clientThumbprints: [...this.clientThumbprints],
      iot: { certificates: [...this.iotCertificates.values()], jobs: [...this.iotJobs.values()] },
      dtm: { devices: [...this.dtmDevices.values()], jobs: [...this.dtmJobs.values()] },
    };
    return JSON.stringify(file);
  }
}
