/** IoT batch enrollment: jobs, the fields of a batch upload, and the JSON download of a finished job. */
import { type BatchJob, batchJobProgress } from "../batch.js";
import { UpstreamInvalidResponseError, ValidationError } from "../errors.js";
import { isUuid } from "../ids.js";
import { encryptionCertificate } from "../input.js";
import { readCertificates } from "../pem.js";
import { isObject, oneOf, str, toDate } from "../read.js";
import type { ChainEntry } from "../tlm/certificate.js";
import { toChain } from "./certificate.js";
import { checkKeyType, effectiveKeyType, KEYGEN, wireSyntax } from "./enrollment-input.js";
import {
  BATCH_CERTIFICATE_FORMATS,
  type BatchCertificateFormat,
  IOT_BATCH_JOB_STATUSES,
  IOT_KEY_TYPES,
  type IotBatchJobStatus,
  type IotKeyType,
  type KeyGeneration,
  PRIVATE_KEY_SYNTAXES,
  type PrivateKeySyntax,
  toWireKeyType,
} from "./enums.js";
import {
  type BatchJobId,
  type DeviceCertificateId,
  type IotProfileId,
  isIotProfileId,
  parseIotProfileId,
} from "./ids.js";
import { entries, type PartlyReadable, shortText } from "./list.js";
import { type PrivateKeyMaterial, toPrivateKey } from "./private-key.js";
import type { EnrollmentProfile } from "./profile.js";
import type {
  WireBatchCertificateFormat,
  WireBatchDownload,
  WireBatchDownloadCertificate,
  WireBatchEnrollmentFields,
  WireBatchJob,
} from "./wire.js";

export interface IotBatchJob extends BatchJob {
  id: BatchJobId;
  kind: "IOT_ENROLLMENT";
  status: IotBatchJobStatus;
  enrollmentProfileId: IotProfileId | null;
  enrollmentProfileName: string | null;
  keyGeneration: KeyGeneration | null;
  certificateFormat: BatchCertificateFormat | null;
  includeFullChain: boolean;
  /** Server-side jobs. */
  keyType: IotKeyType | null;
  privateKeyFormat: "PEM" | "DER" | null;
  fileName: string | null;
  approvedAt: Date | null;
  rejectedAt: Date | null;
  startedAt: Date | null;
  /** DigiCert's text for why the whole job failed (job data, not a gateway error message). */
  failureReason: string | null;
  /** DigiCert's per-row failures (the simulator lists the first 100). */
  rowErrors: { uniqueIdentifier: string; message: string }[];
}

/** A job as DigiCert sends it: only the job id is required; a status it does not know is UNKNOWN. */
export function toIotBatchJob(wire: WireBatchJob): IotBatchJob {
  if (!isObject(wire) || !isUuid(wire.job_id)) throw new UpstreamInvalidResponseError();
  const profile: Record<string, unknown> = isObject(wire.enrollment_profile) ? wire.enrollment_profile : {};
  return {
    id: wire.job_id.toLowerCase() as BatchJobId,
    kind: "IOT_ENROLLMENT",
    name: shortText(wire.name, 1024),
    status: oneOf(IOT_BATCH_JOB_STATUSES, wire.status) ?? "UNKNOWN",
    ...batchJobProgress(wire),
    enrollmentProfileId: isIotProfileId(profile.id) ? parseIotProfileId(profile.id) : null,
    enrollmentProfileName: shortText(profile.name, 1024),
    keyGeneration: oneOf(["CLIENT_SIDE", "SERVER_SIDE"] as const, wire.key_generation),
    certificateFormat: oneOf(BATCH_CERTIFICATE_FORMATS, wire.certificate_format),
    includeFullChain: wire.include_full_chain_with_each_certificate === true,
    keyType: oneOf(IOT_KEY_TYPES, wire.key_type),
    privateKeyFormat: oneOf(["PEM", "DER"] as const, wire.private_key_format),
    fileName: shortText(wire.file_name, 1024),
    approvedAt: toDate(wire.approved_at),
    rejectedAt: toDate(wire.rejected_at),
    startedAt: toDate(wire.started_at),
    failureReason: str(wire.error),
    rowErrors: (Array.isArray(wire.errors) ? wire.errors : []).flatMap((e: unknown) =>
      isObject(e) && typeof e.unique_identifier === "string" && typeof e.message === "string"
        ? [{ uniqueIdentifier: e.unique_identifier, message: e.message }]
        : [],
    ),
  };
}

export interface BatchServerSideKeyGenerationInput {
  /** Required: the generated keys come back encrypted to it (PEM, RSA key). */
  encryptionCertificate: string;
  /** Absent: the profile's default. */
  keyType?: IotKeyType | null;
  /** The key files inside PEM/DER downloads; default PEM. */
  privateKeyFormat?: "PEM" | "DER" | null;
  privateKeySyntax?: PrivateKeySyntax | null;
}

export interface IotBatchEnrollmentInput {
  enrollmentProfileId: IotProfileId;
  /** JSON (parsed by the gateway), or PEM / DER (a ZIP, or an encrypted P7M for server-side keys). */
  certificateFormat: BatchCertificateFormat;
  includeFullChain?: boolean | null;
  /** Present: DigiCert generates the keys (the file has no csr column). Absent: the file carries CSRs. */
  serverSideKeyGeneration?: BatchServerSideKeyGenerationInput | null;
}

/** Validates a batch enrollment's fields (not the file) and builds the multipart text fields. */
export async function toWireBatchEnrollment(
  input: IotBatchEnrollmentInput,
  now: Date = new Date(),
): Promise<WireBatchEnrollmentFields> {
  const format = oneOf(BATCH_CERTIFICATE_FORMATS, input.certificateFormat);
  if (!format) throw new ValidationError("input.certificateFormat", "Expected JSON, PEM or DER.");
  const out: WireBatchEnrollmentFields = {
    enrollment_profile_id: input.enrollmentProfileId,
    certificate_format: format.toLowerCase() as WireBatchCertificateFormat,
    key_generation: input.serverSideKeyGeneration ? "server_side" : "client_side",
  };
  if (input.includeFullChain != null) {
    out.include_full_chain_with_each_certificate = input.includeFullChain ? "true" : "false";
  }
  const keygen = input.serverSideKeyGeneration;
  if (keygen) {
    out.encryption_certificate = await encryptionCertificate(
      keygen.encryptionCertificate,
      `${KEYGEN}.encryptionCertificate`,
      now,
      "This private key format needs an encryption certificate (PEM, RSA key).",
    );
    const keyType = keygen.keyType == null ? null : oneOf(IOT_KEY_TYPES, keygen.keyType);
    if (keygen.keyType != null && !keyType) {
      throw new ValidationError(`${KEYGEN}.keyType`, `Expected one of ${IOT_KEY_TYPES.join(", ")}.`);
    }
    if (keyType) out.key_type = toWireKeyType(keyType);
    if (keygen.privateKeyFormat != null) {
      const keyFormat = oneOf(["PEM", "DER"] as const, keygen.privateKeyFormat);
      if (!keyFormat)
        throw new ValidationError(`${KEYGEN}.privateKeyFormat`, "Batch key files are PEM or DER.");
      out.private_key_format = keyFormat === "PEM" ? "pem" : "der";
    }
    if (keygen.privateKeySyntax != null)
      out.private_key_syntax = wireSyntax(keygen.privateKeySyntax, keyType);
  }
  return out;
}

/** The profile's rules for a batch: BATCH method, key generation path, key type and PKCS1. */
export function checkBatchAgainstProfile(input: IotBatchEnrollmentInput, profile: EnrollmentProfile): void {
  if (profile.enrollmentMethods.length > 0 && !profile.enrollmentMethods.includes("BATCH")) {
    throw new ValidationError(
      "input.enrollmentProfileId",
      "This enrollment profile does not allow batch enrollment.",
    );
  }
  const keygen = input.serverSideKeyGeneration ?? null;
  if (keygen === null && profile.keyGenerationOption === "SERVER_SIDE") {
    throw new ValidationError(
      KEYGEN,
      "This enrollment profile generates keys server-side: send serverSideKeyGeneration with an encryption certificate.",
    );
  }
  if (keygen !== null && profile.keyGenerationOption === "CLIENT_SIDE") {
    throw new ValidationError(
      KEYGEN,
      "This enrollment profile does not allow server-side key generation: upload CSRs.",
    );
  }
  if (keygen !== null) {
    const requested = oneOf(IOT_KEY_TYPES, keygen.keyType);
    checkKeyType(requested, profile, `${KEYGEN}.keyType`);
    if (oneOf(PRIVATE_KEY_SYNTAXES, keygen.privateKeySyntax) === "PKCS1") {
      wireSyntax("PKCS1", effectiveKeyType(requested, profile));
    }
  }
}

/** Fields of a downloaded certificate DigiCert may send in a form the gateway cannot read. */
export type BatchDownloadField = "id" | "uniqueIdentifier" | "pem" | "privateKey";

/** One certificate of the JSON download: whatever of it could be read. */
export interface BatchDownloadCertificate extends PartlyReadable<BatchDownloadField> {
  /** The device certificate's id; null when it was absent or not a UUID. */
  id: DeviceCertificateId | null;
  /** e.g. "Line #0000001" for a CSV row, or the CSR's file name. */
  uniqueIdentifier: string | null;
  /** The leaf alone; null when `body` held no certificate. */
  pem: string | null;
  /** What followed the leaf in `body` (with include_full_chain_with_each_certificate). */
  chain: ChainEntry[];
  /** Server-side jobs: the key encrypted to the job's encryption certificate (base64 CMS EnvelopedData). */
  privateKey: PrivateKeyMaterial | null;
}

export interface IotBatchDownload {
  jobId: BatchJobId;
  /** As DigiCert orders it: each certificate is signed by the next (intermediate, then root). */
  chain: ChainEntry[];
  certificates: BatchDownloadCertificate[];
  /** Entries of `certificates` that were not even objects, left out. */
  skipped: number;
}

/**
 * The JSON download [C shape]. Content is kept as sent: the x509 loader parses `pem` when asked. `jobId` is the job
 * asked for, used when the body does not name one. One certificate that cannot be read (an id that is not a UUID, a
 * body with no certificate, an empty key) keeps the others, and its readable fields; a chain entry with no
 * certificate is left out. A body without a `certificates` list is UpstreamInvalidResponseError.
 */
export function toBatchDownload(wire: WireBatchDownload, jobId?: BatchJobId): IotBatchDownload {
  if (!isObject(wire) || !Array.isArray(wire.certificates)) throw new UpstreamInvalidResponseError();
  const id = isUuid(wire.job_id) ? (wire.job_id.toLowerCase() as BatchJobId) : (jobId ?? null);
  if (!id) throw new UpstreamInvalidResponseError();
  const { items, skipped } = entries(wire.certificates, (entry) =>
    isObject(entry) ? toBatchDownloadCertificate(entry as unknown as WireBatchDownloadCertificate) : null,
  );
  return { jobId: id, chain: toChain(wire.chain), certificates: items, skipped };
}

function toBatchDownloadCertificate(entry: WireBatchDownloadCertificate): BatchDownloadCertificate {
  const unreadable: BatchDownloadField[] = [];
  const id = isUuid(entry.id) ? (entry.id.toLowerCase() as DeviceCertificateId) : null;
  if (!id) unreadable.push("id");
  const uniqueIdentifier = shortText(entry.unique_identifier, 1024);
  if (!uniqueIdentifier) unreadable.push("uniqueIdentifier");
  const [pem, ...chain] = readCertificates(entry.body) ?? [];
  if (!pem) unreadable.push("pem");
  let privateKey: PrivateKeyMaterial | null = null;
  if (entry.private_key !== undefined && entry.private_key !== null) {
    try {
      privateKey = toPrivateKey(entry.private_key, "CERT_ENCRYPTED_KEY_ONLY");
    } catch (error) {
      if (!(error instanceof UpstreamInvalidResponseError)) throw error;
      unreadable.push("privateKey");
    }
  }
  return {
    id,
    uniqueIdentifier,
    pem: pem ?? null,
    chain: chain.map((block) => ({ commonName: null, pem: block })),
    privateKey,
    unreadable,
  };
}
