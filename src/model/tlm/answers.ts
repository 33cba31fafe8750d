/**
 * Trust Lifecycle Manager's certificate answers read into ./certificate.ts's types: details, search pages, additional
 * formats, and what issue/renew/pickup answer. Reading is liberal (PEM or bare base64, colon serials, numeric strings,
 * zone-less dates as UTC): one unreadable value nulls that value alone, and an answer to an issuing call that names a
 * certificate or a request is never lost. Imports only the model (errors, ids, read, pem, x509, ./certificate).
 */
import { UpstreamInvalidResponseError, UpstreamOutcomeUnknownError, ValidationError } from "../errors.js";
import { isUuid, parseRequestId, type RequestId, toSerialNumber, type Uuid } from "../ids.js";
import { armour, readCertificates } from "../pem.js";
import { count, idLike, isObject, oneOf, type Page, str, toDate } from "../read.js";
import { splitPemBlocks, X509ParseError } from "../x509.js";
import {
  type AdditionalFormats,
  CERTIFICATE_STATUSES,
  type Certificate,
  type ChainEntry,
  DELIVERY_FORMATS,
  type DeliveryFormat,
  type EnrollmentOutcome,
  REVOCATION_REASONS,
  toHex,
} from "./certificate.js";

/** Details (GET /certificate/{serial}) and search items. A serial is required; everything else reads as null. */
export function toCertificate(wire: unknown): Certificate {
  const serialNumber = isObject(wire) ? toSerialNumber(wire.serial_number) : null;
  if (!isObject(wire) || !serialNumber) throw new UpstreamInvalidResponseError();
  const profileId = field(wire.profile, "id");
  const revocation = isObject(wire.revocation) ? wire.revocation : null;
  return {
    serialNumber,
    // TLM reports statuses in lowercase (`issued`).
    status: oneOf(CERTIFICATE_STATUSES, wire.status) ?? "UNKNOWN",
    commonName: str(wire.common_name),
    validFrom: toDate(wire.valid_from),
    validTo: toDate(wire.valid_to),
    thumbprint: toHex(wire.thumbprint),
    pem: readCertificates(wire.certificate)?.[0] ?? null,
    seatId: field(wire.seat, "seat_id"),
    profileId: isUuid(profileId) ? (profileId.toLowerCase() as Uuid) : null,
    businessUnit: idAndName(wire.business_unit),
    accountId: field(wire.account, "id"),
    notes: str(wire.notes),
    templateName: str(wire.template_name),
    issuingCaName: str(wire.issuing_ca_name),
    issuingCaId: field(wire.ica, "id"),
    securityRating: str(wire.cert_security_rating),
    revocation: revocation
      ? {
          reason: oneOf(REVOCATION_REASONS, revocation.reason),
          revokedAt: toDate(revocation.revocation_date),
          comments: str(revocation.comments),
        }
      : null,
  };
}

/**
 * A certificate-search page (`{total, offset, limit, items}` [C] S1; `records` read too). An item without a readable
 * serial cannot be identified and is left out; every other item is served, whatever else it lacks.
 */
export function toCertificateSearchPage(wire: unknown): Page<Certificate> {
  const items = isObject(wire) ? (Array.isArray(wire.items) ? wire.items : wire.records) : undefined;
  if (!isObject(wire) || !Array.isArray(items)) throw new UpstreamInvalidResponseError();
  return {
    items: items.flatMap((item) => readable(() => toCertificate(item))),
    total: count(wire.total),
    offset: count(wire.offset),
    limit: count(wire.limit),
  };
}

/**
 * additional-formats [C] tutorial. Each chain entry keeps its place: a blob in either form is normalised to PEM, and
 * one that is neither is passed on as sent, so only that entry's parsed fields fail.
 */
export function toAdditionalFormats(wire: unknown): AdditionalFormats {
  if (!isObject(wire)) throw new UpstreamInvalidResponseError();
  const chain = Array.isArray(wire.x509_cert_chain) ? wire.x509_cert_chain : [];
  return {
    pkcs7: readPkcs7(wire.pkcs7),
    chain: chain.flatMap((entry): ChainEntry[] => {
      if (!isObject(entry) || typeof entry.cert_blob !== "string") return [];
      return [
        {
          commonName: str(entry.common_name),
          pem: readCertificates(entry.cert_blob)?.[0] ?? entry.cert_blob,
        },
      ];
    }),
  };
}

/**
 * Issue, renew and pickup share one answer: an issued certificate (a serial number; the certificate in whichever
 * form could be read, or null) or a pending request (`request_id`, picked up with `profileId`). Any other 2xx is
 * UpstreamOutcomeUnknownError (with any id-like value it did carry), never a plain failure: DigiCert may have issued something.
 */
export function toEnrollmentOutcome(
  wire: unknown,
  profileId: Uuid | null,
  requested: DeliveryFormat = "X509",
): EnrollmentOutcome {
  if (!isObject(wire)) throw new UpstreamOutcomeUnknownError(null);
  const serialNumber = toSerialNumber(wire.serial_number);
  if (serialNumber) {
    const deliveryFormat = oneOf(DELIVERY_FORMATS, wire.delivery_format) ?? requested;
    const certificates = deliveryFormat === "X509" ? readCertificates(wire.certificate) : null;
    return {
      kind: "issued",
      serialNumber,
      deliveryFormat,
      pem: certificates ? certificates.join("") : null,
      pkcs7: deliveryFormat === "PKCS7" ? readPkcs7(wire.certificate) : null,
    };
  }
  const requestId = toRequestId(wire.request_id);
  // An answer without a status but with a request id is read as pending [I]; the tutorial's says PENDING.
  const pending = wire.status === undefined || wire.status === null || oneOf(["PENDING"], wire.status);
  if (requestId && pending && profileId) return { kind: "pending", requestId, profileId };
  throw new UpstreamOutcomeUnknownError(requestId ?? idLike(wire.serial_number) ?? idLike(wire.request_id));
}

/** A PKCS#7 bundle as PEM: a PKCS7 (or CMS) block as sent, or bare base64 armoured; null for anything else. */
function readPkcs7(value: unknown): string | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  if (!value.includes("-----BEGIN")) {
    const base64 = value.replace(/\s+/g, "");
    return /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? armour(base64, "PKCS7") : null;
  }
  try {
    const blocks = splitPemBlocks(value);
    const [block] = blocks;
    if (blocks.length !== 1 || !block || !["PKCS7", "CMS"].includes(block.label)) return null;
    return armour(block.base64, "PKCS7");
  } catch (error) {
    if (error instanceof X509ParseError) return null;
    throw error;
  }
}

function toRequestId(value: unknown): RequestId | null {
  if (typeof value !== "string") return null;
  try {
    return parseRequestId(value.trim());
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

/** A value that looks like an identifier (never free text), to hand back in an outcome-unknown error. */
/** `object[key]` as a non-empty string, or null. */
function field(object: unknown, key: string): string | null {
  return isObject(object) ? str(object[key]) : null;
}

function idAndName(value: unknown): { id: string; name: string | null } | null {
  const id = field(value, "id");
  return id ? { id, name: field(value, "name") } : null;
}

/** The mapped item, or nothing when it cannot be read (so its neighbours still are). */
function readable<T>(read: () => T): T[] {
  try {
    return [read()];
  } catch (error) {
    if (error instanceof UpstreamInvalidResponseError) return [];
    throw error;
  }
}
