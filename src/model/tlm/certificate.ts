/**
 * Trust Lifecycle Manager certificates: what a certificate, its chain and an issue/renew/pickup outcome are, and the
 * certificate-search filter. ./answers.ts reads DigiCert's answers into these (it imports ../pem.ts, which imports
 * ChainEntry from here, so this file must not). Imports only the model (errors, ids).
 */
import { ValidationError } from "../errors.js";
import type { RequestId, SerialNumber, Uuid } from "../ids.js";
import type { WireDeliveryFormat, WireRevocationReason, WireSearchFilter } from "./wire.js";

export const CERTIFICATE_STATUSES = [
  "ISSUED",
  "PENDING",
  "REVOKED",
  "EXPIRED",
  "SUSPENDED",
  "UNKNOWN",
] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** What certificate-search's `status` takes [C] S1 (uppercase there; lowercase in answers). */
export const SEARCH_STATUSES = ["ISSUED", "REVOKED", "EXPIRED", "SUSPENDED"] as const;
export type SearchStatus = (typeof SEARCH_STATUSES)[number];

/** certificate-search's `seat_type_id` [C] S1. */
export const SEAT_TYPES = [
  "USER_SEAT",
  "DEVICE_SEAT",
  "SERVER_SEAT",
  "IMPORTED_SEAT",
  "UNMANAGED_SEAT",
] as const;
export type SeatType = (typeof SEAT_TYPES)[number];

/** How an issued certificate is delivered: S1's DeliveryFormat (`x509` | `PKCS7`). */
export const DELIVERY_FORMATS = ["X509", "PKCS7"] as const;
export type DeliveryFormat = (typeof DELIVERY_FORMATS)[number];

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
  /** The end-entity certificate as normalised PEM; null when DigiCert sent none, or text that is neither form. */
  pem: string | null;
  seatId: string | null;
  profileId: Uuid | null;
  businessUnit: { id: string; name: string | null } | null;
  /** `account.id` [C] S1. */
  accountId: string | null;
  /** `notes` [C] S1. */
  notes: string | null;
  /** `template_name` [C] tutorial. */
  templateName: string | null;
  /** `issuing_ca_name` [C] tutorial ([LOW] S5). */
  issuingCaName: string | null;
  /** `ica.id` [C] tutorial ([LOW] S5): a hex id in the tutorial, a UUID in S1's search filter. */
  issuingCaId: string | null;
  /** `cert_security_rating` [C] tutorial, e.g. "Secure". */
  securityRating: string | null;
  revocation: Revocation | null;
}

export interface ChainEntry {
  commonName: string | null;
  pem: string;
}

export interface AdditionalFormats {
  /** PKCS#7 (PEM, `-----BEGIN PKCS7-----`) of the certificate and its chain. */
  pkcs7: string | null;
  /** End-entity first, root last. */
  chain: ChainEntry[];
}

export type EnrollmentOutcome =
  | {
      kind: "issued";
      serialNumber: SerialNumber;
      /** As DigiCert says it delivered the certificate, else as it was asked for. */
      deliveryFormat: DeliveryFormat;
      /** X.509 delivery: the certificate, then the chain when asked for, normalised PEM; null if unreadable. */
      pem: string | null;
      /** PKCS#7 delivery: the bundle as PEM; null if unreadable. */
      pkcs7: string | null;
    }
  | { kind: "pending"; requestId: RequestId; profileId: Uuid };

export function toWireRevocationReason(reason: RevocationReason): WireRevocationReason {
  return reason.toLowerCase() as WireRevocationReason;
}

export function toWireDeliveryFormat(format: DeliveryFormat | null | undefined): WireDeliveryFormat {
  return format === "PKCS7" ? "PKCS7" : "x509";
}

/** What certificate-search filters by [C] S1 section 1.7; every given field must match. */
export interface CertificateFilter {
  profileId?: Uuid | null;
  seatId?: string | null;
  seatType?: SeatType | null;
  commonName?: string | null;
  status?: SearchStatus | null;
  /** Any of these; sent comma-separated in `status` [I]. */
  statuses?: readonly SearchStatus[] | null;
  serialNumber?: SerialNumber | null;
  /** SHA-256 of the DER, hex (colons allowed). */
  thumbprint?: string | null;
  businessUnitId?: Uuid | null;
  businessUnitName?: string | null;
  issuingCaId?: string | null;
  issuingCaName?: string | null;
  issuingCaSerialNumber?: SerialNumber | null;
  /** The issuing CA's key identifier (the certificates' AKI), hex (colons allowed). */
  authorityKeyIdentifier?: string | null;
  /** valid_to: expiring before this [C] S1 ("Limit results to certificates expiring before specified date"). */
  expiresBefore?: Date | null;
  /** valid_from: issued after this [C] S1 ("Limit results to certificates issued after specified date"). */
  issuedAfter?: Date | null;
}

const PRINTABLE = /^[^\u0000-\u001f\u007f]{1,255}$/;

/** Validates a search filter (before any upstream call) and builds certificate-search's query. */
export function toWireSearchFilter(filter: CertificateFilter, path = "filter"): WireSearchFilter {
  for (const key of ["seatId", "commonName", "businessUnitName", "issuingCaName"] as const) {
    const value = filter[key];
    if (value !== null && value !== undefined && !PRINTABLE.test(value)) {
      throw new ValidationError(`${path}.${key}`, "Must be 1 to 255 printable characters.");
    }
  }
  const thumbprint = filter.thumbprint ? toHex(filter.thumbprint) : null;
  if (filter.thumbprint && thumbprint?.length !== 64) {
    throw new ValidationError(`${path}.thumbprint`, "A thumbprint is 64 hexadecimal characters (SHA-256).");
  }
  const aki = filter.authorityKeyIdentifier ? toHex(filter.authorityKeyIdentifier) : null;
  if (filter.authorityKeyIdentifier && (!aki || aki.length < 2 || aki.length > 128 || aki.length % 2)) {
    throw new ValidationError(
      `${path}.authorityKeyIdentifier`,
      "A key identifier is 1 to 64 bytes in hexadecimal (colons allowed).",
    );
  }
  if (filter.issuingCaId != null && !/^[A-Za-z0-9-]{1,64}$/.test(filter.issuingCaId)) {
    throw new ValidationError(
      `${path}.issuingCaId`,
      "An issuing CA id is 1 to 64 letters, digits or dashes.",
    );
  }
  if (filter.status && filter.statuses) {
    throw new ValidationError(`${path}.statuses`, "Give status or statuses, not both.");
  }
  if (filter.statuses && filter.statuses.length === 0) {
    throw new ValidationError(`${path}.statuses`, "Give at least one status, or leave statuses out.");
  }
  const statuses = filter.statuses ? [...new Set(filter.statuses)] : filter.status ? [filter.status] : [];
  return {
    profile_id: filter.profileId ?? undefined,
    seat_id: filter.seatId ?? undefined,
    seat_type_id: filter.seatType ?? undefined,
    common_name: filter.commonName ?? undefined,
    status: statuses.length > 0 ? statuses.join(",") : undefined,
    serial_number: filter.serialNumber ?? undefined,
    thumbprint: thumbprint ?? undefined,
    business_unit_id: filter.businessUnitId ?? undefined,
    business_unit_name: filter.businessUnitName ?? undefined,
    issuing_ca_id: filter.issuingCaId ?? undefined,
    issuing_ca_name: filter.issuingCaName ?? undefined,
    issuing_ca_serial_number: filter.issuingCaSerialNumber ?? undefined,
    aki: aki ?? undefined,
    // Whole seconds, rounded so the bound never lets in more than asked.
    valid_from: filter.issuedAfter ? isoSeconds(filter.issuedAfter, "up") : undefined,
    valid_to: filter.expiresBefore ? isoSeconds(filter.expiresBefore, "down") : undefined,
  };
}

/** ISO 8601 in UTC to the second, e.g. 2026-01-31T12:00:00Z. */
function isoSeconds(date: Date, round: "up" | "down"): string {
  const seconds = (round === "up" ? Math.ceil : Math.floor)(date.getTime() / 1000);
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Hex as DigiCert prints it: uppercase, no separators; null when it is not hex (colon-separated bytes allowed). */
export function toHex(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  if (!/^[0-9A-Fa-f]+$/.test(trimmed) && !/^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+$/.test(trimmed)) return null;
  return trimmed.replaceAll(":", "").toUpperCase();
}
