/** IoT batch enrollment: jobs, the fields of a batch upload, and the JSON download of a finished job. */
import { type BatchJob } from "../batch.js";
import { UpstreamInvalidResponseError, ValidationError } from "../errors.js";
import { isUuid } from "../ids.js";
import { encryptionCertificate } from "../input.js";
import { leafAndChain } from "../pem.js";
import { count, oneOf, toDate } from "../read.js";
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

export function toIotBatchJob(wire: WireBatchJob): IotBatchJob {
  if (typeof wire?.job_id !== "string" || !isUuid(wire.job_id) || typeof wire.status !== "string") {
    throw new UpstreamInvalidResponseError();
  }
  const profileId = wire.enrollment_profile?.id;
  return {
    id: wire.job_id.toLowerCase() as BatchJobId,
    kind: "IOT_ENROLLMENT",
    name: wire.name ?? null,
    status: oneOf(IOT_BATCH_JOB_STATUSES, wire.status) ?? "UNKNOWN",
    total: count(wire.total),
    success: count(wire.success),
    failed: count(wire.failed),
    createdAt: toDate(wire.created_at),
    updatedAt: toDate(wire.updated_at),
    completedAt: toDate(wire.completed_at),
    enrollmentProfileId: profileId && isIotProfileId(profileId) ? parseIotProfileId(profileId) : null,
    enrollmentProfileName: wire.enrollment_profile?.name || null,
    keyGeneration: oneOf(["CLIENT_SIDE", "SERVER_SIDE"] as const, wire.key_generation),
    certificateFormat: oneOf(BATCH_CERTIFICATE_FORMATS, wire.certificate_format),
    includeFullChain: wire.include_full_chain_with_each_certificate === true,
    keyType: oneOf(IOT_KEY_TYPES, wire.key_type),
    privateKeyFormat: oneOf(["PEM", "DER"] as const, wire.private_key_format),
    fileName: wire.file_name || null,
    approvedAt: toDate(wire.approved_at),
    rejectedAt: toDate(wire.rejected_at),
    startedAt: toDate(wire.started_at),
    failureReason: wire.error ?? null,
    rowErrors: (Array.isArray(wire.errors) ? wire.errors : []).flatMap((e) =>
      typeof e?.unique_identifier === "string" && typeof e.message === "string"
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

export interface BatchDownloadCertificate {
  id: DeviceCertificateId;
  /** e.g. "Line #0000001" for a CSV row, or the CSR's file name. */
  uniqueIdentifier: string;
  /** The leaf alone. */
  pem: string;
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
}

/** The JSON download [C shape]. Content is kept as sent: the x509 loader parses `pem` when asked. */
export function toBatchDownload(wire: WireBatchDownload): IotBatchDownload {
  if (
    typeof wire !== "object" ||
    wire === null ||
    typeof wire.job_id !== "string" ||
    !isUuid(wire.job_id) ||
    !Array.isArray(wire.certificates)
  ) {
    throw new UpstreamInvalidResponseError();
  }
  return {
    jobId: wire.job_id.toLowerCase() as BatchJobId,
    chain: toChain(wire.chain ?? []),
    certificates: wire.certificates.map((entry: WireBatchDownloadCertificate) => {
      if (
        typeof entry?.id !== "string" ||
        !isUuid(entry.id) ||
        typeof entry.unique_identifier !== "string" ||
        typeof entry.body !== "string"
      ) {
        throw new UpstreamInvalidResponseError();
      }
      return {
        id: entry.id.toLowerCase() as DeviceCertificateId,
        uniqueIdentifier: entry.unique_identifier,
        ...leafAndChain(entry.body),
        privateKey:
          entry.private_key === undefined ? null : toPrivateKey(entry.private_key, "CERT_ENCRYPTED_KEY_ONLY"),
      };
    }),
  };
}
