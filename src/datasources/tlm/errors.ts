/**
 * Trust Lifecycle Manager's failures as domain errors, in one place: what a status means depends on what the call was
 * about (TLM answers 403 for a profile or certificate the credentials may not see: to the caller it does not exist).
 * Imports the shared rules (../errors.ts) and the model's errors.
 */
import { refusedValue, saysAlreadyRevoked, toUpstreamDomainError, UpstreamHttpError } from "../errors.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DuplicateCertificateError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  RequestNotFoundError,
  ValidationError,
} from "../../model/errors.js";
import { SAN_INPUT_FIELDS, SUBJECT_INPUT_FIELDS } from "../../model/tlm/enrollment.js";

/** What the failed call was about, so a status can be read in context. */
export interface CallContext {
  /** False for calls that create something (issue, renew): then an ambiguous failure is "outcome unknown". */
  idempotent: boolean;
  profileId?: string;
  serialNumber?: string;
  requestId?: string;
  /** What the call does to a certificate, where a status means something only for that (422 on renew). */
  action?: "renew" | "revoke" | "resume";
}

/** Maps a TLM call's failure to the domain error a caller can act on; anything unrecognised is returned as is. */
export function toTlmDomainError(error: unknown, call: CallContext): unknown {
  if (error instanceof UpstreamHttpError) {
    const { status } = error;
    if (status === 400) return fromBadRequest(error, call);
    if (status === 403) {
      if (call.profileId) return new ProfileNotFoundError(call.profileId);
      if (call.serialNumber) return new CertificateNotFoundError(call.serialNumber);
    }
    if (status === 404) {
      if (call.requestId) return new RequestNotFoundError(call.requestId);
      if (call.serialNumber) return new CertificateNotFoundError(call.serialNumber);
    }
    if (status === 422 && call.serialNumber && call.action)
      return fromUnprocessable(call.serialNumber, call.action);
  }
  return toUpstreamDomainError(error, call.idempotent);
}

/**
 * 422: S1 documents it for a renewal outside the profile's window (and escrow). For revoke and resume no 422 is
 * documented: DigiCert understood the request and refused it for this certificate, which the caller can act on.
 */
function fromUnprocessable(serialNumber: string, action: NonNullable<CallContext["action"]>): unknown {
  return action === "renew" ? new RenewalNotAllowedError(serialNumber) : refusedFor(serialNumber, action);
}

function refusedFor(serialNumber: string, action: "revoke" | "resume"): ValidationError {
  return new ValidationError(
    "input.serialNumber",
    action === "resume"
      ? `DigiCert ONE refused to resume certificate ${serialNumber}: only a suspended (CERTIFICATE_HOLD) certificate from DigiCert's private CA can be resumed.`
      : `DigiCert ONE refused to revoke certificate ${serialNumber} in its current state.`,
  );
}

function fromBadRequest(error: UpstreamHttpError, call: CallContext): unknown {
  if (error.hasCode("duplicate_error")) return new DuplicateCertificateError();
  if (call.serialNumber && saysAlreadyRevoked(error)) return new AlreadyRevokedError(call.serialNumber);
  // Resume of a certificate that is not on hold (or not from a CA that can suspend): no field is named.
  if (call.serialNumber && call.action === "resume" && !error.details.some((d) => d.field)) {
    return refusedFor(call.serialNumber, "resume");
  }
  const field = error.details.find((d) => d.field)?.field ?? null;
  if (field === "csr") return new InvalidCsrError("DigiCert ONE refused the CSR for this profile.");
  return refusedValue(field ? toInputPath(field) : "input");
}

/** TLM field paths (snake_case, request-shaped) as the GraphQL input paths a caller sent. */
export function toInputPath(field: string): string {
  if (field === "profile.id") return "input.profileId";
  if (field === "seat.seat_id" || field === "seat.id") return "input.seatId";
  if (field.startsWith("validity")) return "input.validity";
  const subject = /^attributes\.subject\.(\w+)$/.exec(field)?.[1];
  if (subject)
    return `input.subject.${Object.hasOwn(SUBJECT_INPUT_FIELDS, subject) ? SUBJECT_INPUT_FIELDS[subject] : subject}`;
  const san = /^attributes\.extensions\.san\.(\w+)/.exec(field)?.[1];
  if (san)
    return `input.subjectAltNames.${Object.hasOwn(SAN_INPUT_FIELDS, san) ? SAN_INPUT_FIELDS[san] : san}`;
  if (field === "tags" || field.startsWith("tags[") || field.startsWith("tags.")) return "input.tags";
  if (field === "delivery_format") return "input.deliveryFormat";
  if (field === "include_ca_chain") return "input.includeCaChain";
  return "input";
}
