import { UpstreamBodyError, UpstreamHttpError, UpstreamTransportError } from "../datasources/errors.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DuplicateCertificateError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  RequestNotFoundError,
  UpstreamAuthenticationError,
  UpstreamForbiddenError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "./errors.js";

/** What the failed call was about, so a status can be read in context (TLM's 403 means "no such profile"). */
export interface CallContext {
  /** False for calls that create something (issue, renew): then an ambiguous failure is "outcome unknown". */
  idempotent: boolean;
  profileId?: string;
  serialNumber?: string;
  requestId?: string;
}

/**
 * Maps a datasource failure to the domain error a caller can act on. Anything unrecognised is
 * returned as is, and yoga masks it.
 */
export function toDomainError(error: unknown, call: CallContext): unknown {
  if (error instanceof UpstreamTransportError) {
    return error.mayHaveReachedUpstream && !call.idempotent
      ? new UpstreamOutcomeUnknownError()
      : new UpstreamUnavailableError();
  }
  if (error instanceof UpstreamBodyError) {
    // A 2xx we cannot read after a create: the certificate may exist.
    return call.idempotent ? new UpstreamInvalidResponseError() : new UpstreamOutcomeUnknownError();
  }
  if (!(error instanceof UpstreamHttpError)) return error;
  const { status } = error;
  if (status === 400) return fromBadRequest(error, call);
  if (status === 401) return new UpstreamAuthenticationError();
  if (status === 403) {
    // TLM answers 403 for what the credentials may not see: to the caller it does not exist.
    if (call.profileId) return new ProfileNotFoundError(call.profileId);
    if (call.serialNumber) return new CertificateNotFoundError(call.serialNumber);
    return new UpstreamForbiddenError();
  }
  if (status === 404) {
    if (call.requestId) return new RequestNotFoundError(call.requestId);
    if (call.serialNumber) return new CertificateNotFoundError(call.serialNumber);
  }
  if (status === 422 && call.serialNumber) return new RenewalNotAllowedError(call.serialNumber);
  // 429 and 503 mean "not processed"; other 5xx on a create may have taken effect.
  if (status === 429 || status === 503) return new UpstreamUnavailableError(error.retryAfterSeconds);
  if (status >= 500) {
    return call.idempotent
      ? new UpstreamUnavailableError(error.retryAfterSeconds)
      : new UpstreamOutcomeUnknownError();
  }
  return new UpstreamInvalidResponseError();
}

function fromBadRequest(error: UpstreamHttpError, call: CallContext): unknown {
  if (error.hasCode("duplicate_error")) return new DuplicateCertificateError();
  // TLM signals "already revoked" only by its message text (Terraform matches it the same way).
  if (
    call.serialNumber &&
    error.details.some((d) => /already\s+(has\s+been|been)\s+revoked/i.test(d.message))
  ) {
    return new AlreadyRevokedError(call.serialNumber);
  }
  const field = error.details.find((d) => d.field)?.field ?? null;
  if (field === "csr") return new InvalidCsrError("DigiCert ONE refused the CSR for this profile.");
  const path = field ? toInputPath(field) : "input";
  return new ValidationError(path, `DigiCert ONE refused the value of ${path}.`);
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
