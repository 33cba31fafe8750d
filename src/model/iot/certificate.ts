/** IoT device certificates: records, list filters and revocation reasons. */
import { UpstreamInvalidResponseError, ValidationError } from "../errors.js";
import { isSerialNumber, toSerialNumber, isUuid, parseSerialNumber, type SerialNumber } from "../ids.js";
import { text } from "../input.js";
import { chainPem, leafAndChain } from "../pem.js";
import { oneOf, type Page, toDate, toPage } from "../read.js";
import {
  CERTIFICATE_STATUSES,
  type CertificateStatus,
  type ChainEntry,
  REVOCATION_REASONS,
  type Revocation,
  type RevocationReason,
} from "../tlm/certificate.js";
import {
  DEVICE_CERTIFICATE_FILTER_STATUSES,
  IOT_ENROLLMENT_METHODS,
  IOT_KEY_TYPES,
  type IotEnrollmentMethod,
  type IotKeyType,
  type KeyGeneration,
} from "./enums.js";
import {
  type BatchJobId,
  type DeviceCertificateId,
  type IotProfileId,
  isIotProfileId,
  parseIotProfileId,
} from "./ids.js";
import type {
  WireDeviceCertificate,
  WireIotCertificateFilter,
  WireIotChainEntry,
  WireIotPage,
  WireIotRevocationReason,
} from "./wire.js";

/** Longest attribute value a filter takes. */
const MAX_VALUE = 256;

/** An IoT certificate. `pem` is the leaf alone, so the x509 loader reads the same fields as for TLM. */
export interface DeviceCertificate {
  id: DeviceCertificateId;
  serialNumber: SerialNumber;
  status: CertificateStatus;
  commonName: string | null;
  deviceIdentifier: string | null;
  enrollmentProfileId: IotProfileId | null;
  enrollmentProfileName: string | null;
  enrollmentMethod: IotEnrollmentMethod | null;
  keyGeneration: KeyGeneration | null;
  /** The subject key's type. */
  keyType: IotKeyType | null;
  requestId: string | null;
  /** SHA-256 of the DER, uppercase hex. */
  thumbprint: string | null;
  validFrom: Date | null;
  validTo: Date | null;
  createdAt: Date | null;
  pem: string;
  /** The issuing chain, intermediate first. */
  chain: ChainEntry[];
  deviceAttributes: { id: string; name: string | null; value: string }[];
  certificateAttributes: { id: string; value: string }[];
  batchJobId: BatchJobId | null;
  renewedFrom: DeviceCertificateId | null;
  revocation: Revocation | null;
}

export function toDeviceCertificate(wire: WireDeviceCertificate): DeviceCertificate {
  if (
    typeof wire?.id !== "string" ||
    !isUuid(wire.id) ||
    typeof wire.serial_number !== "string" ||
    !isSerialNumber(wire.serial_number) ||
    typeof wire.body !== "string"
  ) {
    throw new UpstreamInvalidResponseError();
  }
  const { pem } = leafAndChain(wire.body);
  const profileId = wire.enrollment_profile?.id;
  const status = oneOf(CERTIFICATE_STATUSES, wire.status) ?? "UNKNOWN";
  return {
    id: wire.id.toLowerCase() as DeviceCertificateId,
    serialNumber: toSerialNumber(wire.serial_number) as SerialNumber,
    status,
    commonName: wire.common_name || null,
    deviceIdentifier: wire.device_identifier || null,
    enrollmentProfileId: profileId && isIotProfileId(profileId) ? parseIotProfileId(profileId) : null,
    enrollmentProfileName: wire.enrollment_profile?.name || null,
    enrollmentMethod: oneOf(IOT_ENROLLMENT_METHODS, wire.enrollment_method),
    keyGeneration: oneOf(["CLIENT_SIDE", "SERVER_SIDE"] as const, wire.key_generation),
    keyType: oneOf(IOT_KEY_TYPES, wire.key_type),
    requestId: wire.certificate_request_id ?? null,
    thumbprint: wire.thumbprint?.toUpperCase() ?? null,
    validFrom: toDate(wire.valid_from),
    validTo: toDate(wire.valid_to),
    createdAt: toDate(wire.created_at),
    pem,
    chain: toChain(wire.chain),
    deviceAttributes: (wire.device_attributes ?? []).map((a) => ({
      id: a.id,
      name: a.name ?? null,
      value: a.value,
    })),
    certificateAttributes: (wire.certificate_profile_attributes ?? []).map((a) => ({
      id: a.id,
      value: a.value,
    })),
    batchJobId:
      wire.batch_job_id && isUuid(wire.batch_job_id) ? (wire.batch_job_id.toLowerCase() as BatchJobId) : null,
    renewedFrom:
      wire.renewed_from && isUuid(wire.renewed_from)
        ? (wire.renewed_from.toLowerCase() as DeviceCertificateId)
        : null,
    revocation:
      status === "REVOKED" || wire.revocation_reason || wire.revoked_at
        ? {
            reason: oneOf(REVOCATION_REASONS, wire.revocation_reason),
            revokedAt: toDate(wire.revoked_at),
            comments: null,
          }
        : null,
  };
}

export interface DeviceCertificateFilter {
  serialNumber?: string | null;
  commonName?: string | null;
  /** ISSUED, REVOKED or EXPIRED (IoT has no other status to filter by). */
  statuses?: readonly CertificateStatus[] | null;
  enrollmentProfileId?: IotProfileId | null;
  enrollmentMethod?: IotEnrollmentMethod | null;
  deviceIdentifier?: string | null;
  batchJobId?: BatchJobId | null;
}

/** Validates a list filter; `path` prefixes the field names in errors (e.g. `filter.statuses`). */
export function toWireCertificateFilter(
  filter: DeviceCertificateFilter,
  path = "filter",
): WireIotCertificateFilter {
  const out: WireIotCertificateFilter = {};
  if (filter.serialNumber != null)
    out.serial_number = parseSerialNumber(filter.serialNumber, `${path}.serialNumber`);
  if (filter.commonName != null) out.common_name = text(filter.commonName, `${path}.commonName`, 255);
  if (filter.statuses != null && filter.statuses.length > 0) {
    for (const status of filter.statuses) {
      if (!(DEVICE_CERTIFICATE_FILTER_STATUSES as readonly string[]).includes(status)) {
        throw new ValidationError(
          `${path}.statuses`,
          "Device certificates are filtered by ISSUED, REVOKED or EXPIRED.",
        );
      }
    }
    out.status = [...new Set(filter.statuses)].join(",");
  }
  if (filter.enrollmentProfileId != null) out.enrollment_profile_id = filter.enrollmentProfileId;
  if (filter.enrollmentMethod != null) {
    out.enrollment_method =
      oneOf(IOT_ENROLLMENT_METHODS, filter.enrollmentMethod) ??
      (() => {
        throw new ValidationError(`${path}.enrollmentMethod`, "Expected API or BATCH.");
      })();
  }
  if (filter.deviceIdentifier != null) {
    out.device_identifier = text(filter.deviceIdentifier, `${path}.deviceIdentifier`, MAX_VALUE);
  }
  if (filter.batchJobId != null) out.batch_job_id = filter.batchJobId;
  return out;
}

/** IoT takes the RFC 5280 reasons except the suspension pair and aa_compromise [I: simulator]. */
export function checkIotRevocationReason(reason: RevocationReason, field = "input.reason"): RevocationReason {
  if (reason === "CERTIFICATE_HOLD" || reason === "REMOVE_FROM_CRL" || reason === "AA_COMPROMISE") {
    throw new ValidationError(field, `IoT Trust Manager does not revoke with reason ${reason}.`);
  }
  return reason;
}

/** The reason as IoT spells it; a reason IoT does not take is a ValidationError. */
export function toWireIotRevocationReason(reason: RevocationReason): WireIotRevocationReason {
  return checkIotRevocationReason(reason).toLowerCase() as WireIotRevocationReason;
}

/** A record's `chain`: each entry's blob as one PEM (PEM, or bare base64 DER). */
export function toChain(entries: WireIotChainEntry[] | undefined): ChainEntry[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw new UpstreamInvalidResponseError();
  return entries.map((entry) => ({ commonName: entry?.common_name ?? null, pem: chainPem(entry?.blob) }));
}

export function toDeviceCertificatePage(wire: WireIotPage<WireDeviceCertificate>): Page<DeviceCertificate> {
  return toPage(wire, toDeviceCertificate);
}
