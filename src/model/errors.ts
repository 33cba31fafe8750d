/**
 * Domain errors: expected failures a caller can act on. They surface as typed members of
 * mutation result unions, or as GraphQL errors whose `extensions.code` is `code`.
 * Contract: a message is written here, by us; it never carries an upstream URL, an upstream
 * body excerpt, or a credential.
 */
export abstract class DomainError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
}

export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "INVALID_CSR",
  "PROFILE_NOT_FOUND",
  "CERTIFICATE_NOT_FOUND",
  "REQUEST_NOT_FOUND",
  "DUPLICATE_CERTIFICATE",
  "ALREADY_REVOKED",
  "RENEWAL_NOT_ALLOWED",
  "UPSTREAM_UNAUTHENTICATED",
  "UPSTREAM_FORBIDDEN",
  "UPSTREAM_UNAVAILABLE",
  "UPSTREAM_OUTCOME_UNKNOWN",
  "UPSTREAM_INVALID_RESPONSE",
  "FORBIDDEN",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Input the gateway or DigiCert refused; `field` is the input path, e.g. `input.subject.country`. */
export class ValidationError extends DomainError {
  override readonly name = "ValidationError";
  readonly code = "VALIDATION_FAILED";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The CSR is not one well-formed, correctly signed PKCS#10 request acceptable to the profile. */
export class InvalidCsrError extends DomainError {
  override readonly name = "InvalidCsrError";
  readonly code = "INVALID_CSR";
}

export class ProfileNotFoundError extends DomainError {
  override readonly name = "ProfileNotFoundError";
  readonly code = "PROFILE_NOT_FOUND";
  constructor(readonly profileId: string) {
    super(`Profile ${profileId} does not exist or this gateway's DigiCert credentials cannot use it.`);
  }
}

export class CertificateNotFoundError extends DomainError {
  override readonly name = "CertificateNotFoundError";
  readonly code = "CERTIFICATE_NOT_FOUND";
  constructor(readonly serialNumber: string) {
    super(`No certificate has serial number ${serialNumber}.`);
  }
}

export class RequestNotFoundError extends DomainError {
  override readonly name = "RequestNotFoundError";
  readonly code = "REQUEST_NOT_FOUND";
  constructor(readonly requestId: string) {
    super(`No pending certificate request has id ${requestId}.`);
  }
}

export class DuplicateCertificateError extends DomainError {
  override readonly name = "DuplicateCertificateError";
  readonly code = "DUPLICATE_CERTIFICATE";
  constructor() {
    super("The profile allows one valid certificate per subject, and one already exists.");
  }
}

export class AlreadyRevokedError extends DomainError {
  override readonly name = "AlreadyRevokedError";
  readonly code = "ALREADY_REVOKED";
  constructor(readonly serialNumber: string) {
    super(`Certificate ${serialNumber} is already revoked.`);
  }
}

export class RenewalNotAllowedError extends DomainError {
  override readonly name = "RenewalNotAllowedError";
  readonly code = "RENEWAL_NOT_ALLOWED";
  constructor(readonly serialNumber: string) {
    super(`Certificate ${serialNumber} cannot be renewed now (outside its profile's renewal window).`);
  }
}

/** DigiCert rejected the gateway's own credentials (HTTP 401): an operator must fix the configuration. */
export class UpstreamAuthenticationError extends DomainError {
  override readonly name = "UpstreamAuthenticationError";
  readonly code = "UPSTREAM_UNAUTHENTICATED";
  constructor() {
    super("DigiCert ONE rejected the gateway's credentials.");
  }
}

/** DigiCert authenticated the gateway but refused the operation (HTTP 403). */
export class UpstreamForbiddenError extends DomainError {
  override readonly name = "UpstreamForbiddenError";
  readonly code = "UPSTREAM_FORBIDDEN";
  constructor() {
    super("DigiCert ONE refused this operation for the gateway's credentials.");
  }
}

/** Nothing happened upstream (refused connection, 429, 5xx before processing); safe to try again later. */
export class UpstreamUnavailableError extends DomainError {
  override readonly name = "UpstreamUnavailableError";
  readonly code = "UPSTREAM_UNAVAILABLE";
  constructor(readonly retryAfterSeconds: number | null = null) {
    super("DigiCert ONE is unavailable; try again later.");
  }
}

/** A non-idempotent call failed after it may have reached DigiCert: it may or may not have taken effect. */
export class UpstreamOutcomeUnknownError extends DomainError {
  override readonly name = "UpstreamOutcomeUnknownError";
  readonly code = "UPSTREAM_OUTCOME_UNKNOWN";
  constructor() {
    super("The request may or may not have reached DigiCert ONE; check before trying again.");
  }
}

/** DigiCert answered with a body the gateway cannot read. */
export class UpstreamInvalidResponseError extends DomainError {
  override readonly name = "UpstreamInvalidResponseError";
  readonly code = "UPSTREAM_INVALID_RESPONSE";
  constructor() {
    super("DigiCert ONE returned a response the gateway could not read.");
  }
}

/** The caller's token lacks a scope this field needs; only that field fails. */
export class ForbiddenError extends DomainError {
  override readonly name = "ForbiddenError";
  readonly code = "FORBIDDEN";
  constructor() {
    super("Your token does not grant the scope this field needs.");
  }
}
