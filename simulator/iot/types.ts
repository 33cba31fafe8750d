import type { SanValues, SubjectValues } from "../ca.js";
import type { PrivateKeySyntax } from "./artefacts.js";
import type { EnrollmentMethod, IotKeyType, KeyGeneration } from "./profiles.js";

/** One `{id, value}` of certificate_profile_attributes or device_attributes. */
export interface IotAttribute {
  readonly id: string;
  readonly value: string;
}

/** An IoT Trust Manager certificate as the simulator stores it. */
export interface IotCertificateRecord {
  readonly id: string;
  readonly requestId: string;
  readonly serialNumber: string;
  readonly profileId: string;
  readonly commonName: string;
  readonly deviceIdentifier: string;
  readonly certificatePem: string;
  readonly thumbprint: string;
  readonly validFrom: string;
  readonly validTo: string;
  /** IotKeyType of the subject key, e.g. "p_256". */
  readonly keyType: string;
  readonly subject: SubjectValues;
  readonly sans: SanValues;
  /** The certificate attributes that went into the certificate (request, CSR and fixed values). */
  readonly certificateAttributes: readonly IotAttribute[];
  readonly deviceAttributes: readonly IotAttribute[];
  readonly enrollmentMethod: EnrollmentMethod;
  readonly keyGeneration: KeyGeneration;
  readonly createdAt: string;
  readonly batchJobId?: string;
  readonly renewedFrom?: string;
  status: "issued" | "revoked";
  revocation?: { reason: string; revoked_at: string };
}

/** [I] job states: the docs show APPROVED -> IN_PROGRESS -> COMPLETE and an approval wait before them. */
export type BatchStatus =
  "PENDING_APPROVAL" | "APPROVED" | "REJECTED" | "IN_PROGRESS" | "COMPLETE" | "FAILED";
export type CertificateFormat = "json" | "pem" | "der";

/** One input line (CSV row or ZIP entry); attributes use field ids. */
export interface BatchRow {
  readonly uniqueIdentifier: string;
  readonly csr?: string;
  readonly attributes: readonly IotAttribute[];
}

export interface BatchResult {
  readonly uniqueIdentifier: string;
  readonly certificateId?: string;
  readonly error?: string;
}

export interface IotBatchJob {
  readonly id: string;
  readonly profileId: string;
  readonly keyGeneration: KeyGeneration;
  readonly certificateFormat: CertificateFormat;
  readonly includeFullChain: boolean;
  readonly fileName: string;
  readonly total: number;
  readonly createdAt: string;
  /** Server-side jobs only. */
  readonly keyType?: IotKeyType;
  readonly privateKeyFormat?: "pem" | "der";
  readonly privateKeySyntax?: PrivateKeySyntax;
  readonly encryptionCertificatePem?: string;
  status: BatchStatus;
  updatedAt: string;
  approvedAt?: string;
  rejectedAt?: string;
  startedAt?: string;
  completedAt?: string;
  error?: string;
  /** Input rows until the job has run; dropped afterwards. */
  rows?: BatchRow[];
  results: BatchResult[];
}
