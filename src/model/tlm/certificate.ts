/** Trust Lifecycle Manager certificates: details, search, additional formats, and what issue/renew/pickup answer. */
import { UpstreamInvalidResponseError, ValidationError } from "../errors.js";
import {
  isSerialNumber,
  toSerialNumber,
  isUuid,
  type RequestId,
  type SerialNumber,
  type Uuid,
} from "../ids.js";
import { count, type Page, toDate } from "../read.js";
import type {
  WireAdditionalFormats,
  WireCertificateDetails,
  WireCertificateResponse,
  WireRevocationReason,
  WireSearchFilter,
  WireSearchPage,
} from "./wire.js";

export const CERTIFICATE_STATUSES = [
  "ISSUED",
  "PENDING",
  "REVOKED",
  "EXPIRED",
  "SUSPENDED",
  "UNKNOWN",
] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export const REVOCATION_REASONS = [
  "UNSPECIFIED",
  "KEY_COMPROMISE",
  "CA_COMPROMISE",
  "AFFILIATION_CHANGED",
  "SUPERSEDED",
  "CESSATION_OF_OPERATION",
  "CERTIFICATE_HOLD",
  "REMOVE_FROM_CRL",
  "PRIVILEGE_WITHDRAWN",
  "AA_COMPROMISE",
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface Revocation {
  reason: RevocationReason | null;
  revokedAt: Date | null;
  comments: string | null;
}

export interface Certificate {
  serialNumber: SerialNumber;
  status: CertificateStatus;
  commonName: string | null;
  validFrom: Date | null;
  validTo: Date | null;
  /** SHA-256 of the DER, uppercase hex, as TLM reports it. */
  thumbprint: string | null;
  pem: string;
  seatId: string | null;
  profileId: Uuid | null;
  businessUnit: { id: string; name: string | null } | null;
  revocation: Revocation | null;
}

export interface ChainEntry {
  commonName: string | null;
  pem: string;
}

export interface AdditionalFormats {
  pkcs7: string | null;
  /** End-entity first, root last. */
  chain: ChainEntry[];
}

export type EnrollmentOutcome =
  | { kind: "issued"; serialNumber: SerialNumber; pem: string }
  | { kind: "pending"; requestId: RequestId; profileId: Uuid };

/** TLM reports statuses in lowercase (`issued`); its search filter takes uppercase. */
export function toCertificate(wire: WireCertificateDetails): Certificate {
  if (typeof wire?.serial_number !== "string" || !isSerialNumber(wire.serial_number)) {
    throw new UpstreamInvalidResponseError();
  }
  if (typeof wire.certificate !== "string") throw new UpstreamInvalidResponseError();
  return {
    serialNumber: toSerialNumber(wire.serial_number) as SerialNumber,
    status: toStatus(wire.status),
    commonName: wire.common_name ?? null,
    validFrom: toDate(wire.valid_from),
    validTo: toDate(wire.valid_to),
    thumbprint: wire.thumbprint?.toUpperCase() ?? null,
    pem: wire.certificate,
    seatId: wire.seat?.seat_id ?? null,
    profileId: wire.profile?.id && isUuid(wire.profile.id) ? (wire.profile.id.toLowerCase() as Uuid) : null,
    businessUnit: wire.business_unit
      ? { id: wire.business_unit.id, name: wire.business_unit.name ?? null }
      : null,
    revocation: wire.revocation
      ? {
          reason: toRevocationReason(wire.revocation.reason),
          revokedAt: toDate(wire.revocation.revocation_date),
          comments: wire.revocation.comments ?? null,
        }
      : null,
  };
}

export function toAdditionalFormats(wire: WireAdditionalFormats): AdditionalFormats {
  if (typeof wire !== "object" || wire === null) throw new UpstreamInvalidResponseError();
  return {
    pkcs7: typeof wire.pkcs7 === "string" ? wire.pkcs7 : null,
    chain: (wire.x509_cert_chain ?? []).map((entry) => ({
      commonName: entry.common_name ?? null,
      pem: entry.cert_blob,
    })),
  };
}

/** Issue, renew and pickup share one response: an issued certificate, or a pending request. */
export function toEnrollmentOutcome(
  wire: WireCertificateResponse,
  profileId: Uuid | null,
): EnrollmentOutcome {
  if (typeof wire !== "object" || wire === null) throw new UpstreamInvalidResponseError();
  if (typeof wire.serial_number === "string" && isSerialNumber(wire.serial_number)) {
    if (typeof wire.certificate !== "string") throw new UpstreamInvalidResponseError();
    return {
      kind: "issued",
      serialNumber: toSerialNumber(wire.serial_number) as SerialNumber,
      pem: wire.certificate,
    };
  }
  const pending = wire.status?.toUpperCase() === "PENDING" && typeof wire.request_id === "string";
  if (pending && wire.request_id && profileId) {
    return { kind: "pending", requestId: wire.request_id as RequestId, profileId };
  }
  throw new UpstreamInvalidResponseError();
}

export function toWireRevocationReason(reason: RevocationReason): WireRevocationReason {
  return reason.toLowerCase() as WireRevocationReason;
}

function toStatus(value: string | undefined): CertificateStatus {
  const upper = value?.toUpperCase();
  return (CERTIFICATE_STATUSES as readonly string[]).includes(upper ?? "")
    ? (upper as CertificateStatus)
    : "UNKNOWN";
}

function toRevocationReason(value: string | undefined): RevocationReason | null {
  const upper = value?.toUpperCase();
  return (REVOCATION_REASONS as readonly string[]).includes(upper ?? "") ? (upper as RevocationReason) : null;
}

/** What certificate-search filters by; all given fields must match. */
export interface CertificateFilter {
  profileId?: Uuid | null;
  seatId?: string | null;
  commonName?: string | null;
  status?: CertificateStatus | null;
  serialNumber?: SerialNumber | null;
  /** SHA-256 of the DER, hex. */
  thumbprint?: string | null;
}

/** Validates a search filter (before any upstream call) and builds certificate-search's query. */
export function toWireSearchFilter(filter: CertificateFilter, path = "filter"): WireSearchFilter {
  if (filter.thumbprint && !/^[0-9A-Fa-f]{64}$/.test(filter.thumbprint)) {
    throw new ValidationError(`${path}.thumbprint`, "A thumbprint is 64 hexadecimal characters (SHA-256).");
  }
  for (const key of ["seatId", "commonName"] as const) {
    const value = filter[key];
    if (value !== null && value !== undefined && !/^[^\u0000-\u001f\u007f]{1,255}$/.test(value)) {
      throw new ValidationError(`${path}.${key}`, "Must be 1 to 255 printable characters.");
    }
  }
  return {
    profile_id: filter.profileId ?? undefined,
    seat_id: filter.seatId ?? undefined,
    common_name: filter.commonName ?? undefined,
    status: filter.status ?? undefined,
    serial_number: filter.serialNumber ?? undefined,
    thumbprint: filter.thumbprint?.toUpperCase(),
  };
}

/** A certificate-search page (`{total, offset, limit, items}`). */
export function toCertificateSearchPage(wire: WireSearchPage): Page<Certificate> {
  if (typeof wire !== "object" || wire === null || !Array.isArray(wire.items)) {
    throw new UpstreamInvalidResponseError();
  }
  return {
    items: wire.items.map(toCertificate),
    total: count(wire.total),
    offset: count(wire.offset),
    limit: count(wire.limit),
  };
}
