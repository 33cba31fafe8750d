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
} from "../../model/errors.js";

/** What the failed call was about, so a status can be read in context. */
export interface CallContext {
  /** False for calls that create something (issue, renew): then an ambiguous failure is "outcome unknown". */
  idempotent: boolean;
  profileId?: string;
  serialNumber?: string;
  requestId?: string;
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
    if (status === 422 && call.serialNumber) return new RenewalNotAllowedError(call.serialNumber);
  }
  return toUpstreamDomainError(error, call.idempotent);
}

function fromBadRequest(error: UpstreamHttpError, call: CallContext): unknown {
  if (error.hasCode("duplicate_error")) return new DuplicateCertificateError();
  if (call.serialNumber && saysAlreadyRevoked(error)) return new AlreadyRevokedError(call.serialNumber);
  const field = error.details.find((d) => d.field)?.field ?? null;
  if (field === "csr") return new InvalidCsrError("DigiCert ONE refused the CSR for this profile.");
  return refusedValue(field ? toInputPath(field) : "input");
}

const SUBJECT_FIELDS: Record<string, string> = {
  common_name: "commonName",
  organization_name: "organizationName",
  organization_units: "organizationalUnits",
  locality: "locality",
  state: "state",
  country: "country",
  email: "email",
  postal_code: "postalCode",
  street_address: "streetAddresses",
};
const SAN_FIELDS: Record<string, string> = {
  dns_names: "dnsNames",
  ip_addresses: "ipAddresses",
  emails: "emails",
  uris: "uris",
};

/** TLM field paths (snake_case, request-shaped) as the GraphQL input paths a caller sent. */
export function toInputPath(field: string): string {
  if (field === "profile.id") return "input.profileId";
  if (field === "seat.seat_id" || field === "seat.id") return "input.seatId";
  if (field.startsWith("validity")) return "input.validity";
  const subject = /^attributes\.subject\.(\w+)$/.exec(field)?.[1];
  if (subject) return `input.subject.${SUBJECT_FIELDS[subject] ?? subject}`;
  const san = /^attributes\.extensions\.san\.(\w+)$/.exec(field)?.[1];
  if (san) return `input.subjectAltNames.${SAN_FIELDS[san] ?? san}`;
  return "input";
}
