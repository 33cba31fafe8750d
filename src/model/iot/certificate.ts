/** IoT device certificates: records, list filters and revocation reasons. */
import { UpstreamInvalidResponseError, ValidationError } from "../errors.js";
import { isUuid, parseSerialNumber, type SerialNumber, toSerialNumber } from "../ids.js";
import { text } from "../input.js";
import { readCertificates } from "../pem.js";
import { isObject, oneOf, toDate } from "../read.js";
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
import { type ListPage, type PartlyReadable, shortText, toListPage } from "./list.js";
import type { WireDeviceCertificate, WireIotCertificateFilter, WireIotRevocationReason } from "./wire.js";

/** Longest attribute value a filter takes. */
const MAX_VALUE = 256;

/** Fields of a device certificate record that DigiCert may send in a form the gateway cannot read. */
export type DeviceCertificateField = "serialNumber" | "pem";

/**
 * An IoT certificate. `pem` is the leaf alone, so the x509 loader reads the same fields as for TLM. A record is read
 * whenever its id is: a serial or certificate that cannot be read is null and named in `unreadable`.
 */
export interface DeviceCertificate extends PartlyReadable<DeviceCertificateField> {
  id: DeviceCertificateId;
  serialNumber: SerialNumber | null;
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
  pem: string | null;
  /** The issuing chain, intermediate first; entries that hold no certificate are left out. */
  chain: ChainEntry[];
  deviceAttributes: { id: string; name: string | null; value: string }[];
  certificateAttributes: { id: string; value: string }[];
  batchJobId: BatchJobId | null;
  renewedFrom: DeviceCertificateId | null;
  revocation: Revocation | null;
}

/** Longest name, identifier or attribute value read from a record. */
const MAX_TEXT = 1024;

/**
 * One record of GET /certificate or GET /certificate/{id}. Only the id is required (UpstreamInvalidResponseError
 * without it): a serial number that is not hex, a `body` that holds no certificate, `chain: null` or a chain entry
 * with an empty blob leave the rest of the record as it is.
 */
export function toDeviceCertificate(wire: WireDeviceCertificate): DeviceCertificate {
  if (!isObject(wire) || !isUuid(wire.id)) throw new UpstreamInvalidResponseError();
  const unreadable: DeviceCertificateField[] = [];
  const serialNumber = toSerialNumber(wire.serial_number);
  if (!serialNumber) unreadable.push("serialNumber");
  // The body may carry the chain after the leaf: the record's own `chain` is the one shown.
  const pem = readCertificates(wire.body)?.[0] ?? null;
  if (!pem) unreadable.push("pem");
  const profile: Record<string, unknown> = isObject(wire.enrollment_profile) ? wire.enrollment_profile : {};
  const status = oneOf(CERTIFICATE_STATUSES, wire.status) ?? "UNKNOWN";
  const thumbprint = shortText(wire.thumbprint, 128);
  return {
    id: wire.id.toLowerCase() as DeviceCertificateId,
    serialNumber,
    status,
    commonName: shortText(wire.common_name, MAX_TEXT),
    deviceIdentifier: shortText(wire.device_identifier, MAX_TEXT),
    enrollmentProfileId: isIotProfileId(profile.id) ? parseIotProfileId(profile.id) : null,
    enrollmentProfileName: shortText(profile.name, MAX_TEXT),
    enrollmentMethod: oneOf(IOT_ENROLLMENT_METHODS, wire.enrollment_method),
    keyGeneration: oneOf(["CLIENT_SIDE", "SERVER_SIDE"] as const, wire.key_generation),
    keyType: oneOf(IOT_KEY_TYPES, wire.key_type),
    requestId: shortText(wire.certificate_request_id, MAX_TEXT),
    thumbprint: thumbprint && /^[0-9A-Fa-f:]+$/.test(thumbprint) ? thumbprint.toUpperCase() : null,
    validFrom: toDate(wire.valid_from),
    validTo: toDate(wire.valid_to),
    createdAt: toDate(wire.created_at),
    pem,
    chain: toChain(wire.chain),
    deviceAttributes: idValues(wire.device_attributes).map(({ id, value, entry }) => ({
      id,
      name: shortText(entry.name, MAX_TEXT),
      value,
    })),
    certificateAttributes: idValues(wire.certificate_profile_attributes).map(({ id, value }) => ({
      id,
      value,
    })),
    batchJobId: isUuid(wire.batch_job_id) ? (wire.batch_job_id.toLowerCase() as BatchJobId) : null,
    renewedFrom: isUuid(wire.renewed_from) ? (wire.renewed_from.toLowerCase() as DeviceCertificateId) : null,
    revocation:
      status === "REVOKED" || wire.revocation_reason || wire.revoked_at
        ? {
            reason: oneOf(REVOCATION_REASONS, wire.revocation_reason),
            revokedAt: toDate(wire.revoked_at),
            comments: null,
          }
        : null,
    unreadable,
  };
}

/** `[{id, value}]` attribute lists: entries without a string id and value are left out. */
function idValues(list: unknown): { id: string; value: string; entry: Record<string, unknown> }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown) =>
    isObject(entry) && typeof entry.id === "string" && typeof entry.value === "string"
      ? [{ id: entry.id, value: entry.value, entry }]
      : [],
  );
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

/**
 * A `chain` as DigiCert sends it: entries whose `blob` is PEM (certificate records) or bare base64 DER (the batch JSON
 * download), or one PEM text of several certificates. `null`, an absent chain and entries that hold no certificate
 * (an empty or missing blob) are left out: the other entries stand. Whether a blob is really a certificate is the x509
 * loader's to say, for that entry alone.
 */
export function toChain(chain: unknown): ChainEntry[] {
  if (typeof chain === "string") {
    return (readCertificates(chain) ?? []).map((pem) => ({ commonName: null, pem }));
  }
  if (!Array.isArray(chain)) return [];
  return chain.flatMap((entry: unknown) => {
    if (!isObject(entry)) return [];
    const commonName = shortText(entry.common_name, MAX_TEXT);
    return (readCertificates(entry.blob) ?? []).map((pem) => ({ commonName, pem }));
  });
}

export function toDeviceCertificatePage(wire: unknown): ListPage<DeviceCertificate> {
  return toListPage(wire, (record) => toDeviceCertificate(record as WireDeviceCertificate));
}
