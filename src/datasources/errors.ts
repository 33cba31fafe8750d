/**
 * Transport-level failures of an upstream call, and the rules every product shares for turning them into domain
 * errors. The HTTP layer throws these; each product's errors.ts maps them once, and nothing above the datasources
 * sees them. Messages never hold a URL, a body excerpt or a credential. Imports only the model's errors.
 */
import {
  UpstreamAuthenticationError,
  UpstreamForbiddenError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../model/errors.js";

export interface UpstreamErrorDetail {
  /** Upstream's machine code, e.g. `invalid_input_field`, `no_access`. */
  code: string;
  /** Upstream's field name for validation errors, when it gives one. */
  field: string | null;
  /** Upstream's message: for classifying only (TLM signals some cases by text); never shown to callers. */
  message: string;
}

/** DigiCert answered with a non-2xx status. */
export class UpstreamHttpError extends Error {
  override readonly name = "UpstreamHttpError";
  readonly code = "UPSTREAM_HTTP_ERROR";
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly details: UpstreamErrorDetail[],
    /** Seconds from a `Retry-After` header, when present and parseable. */
    readonly retryAfterSeconds: number | null,
  ) {
    super(`${operation}: DigiCert answered HTTP ${status}${details[0] ? ` (${details[0].code})` : ""}`);
  }

  hasCode(code: string): boolean {
    return this.details.some((d) => d.code === code);
  }
}

/**
 * The call failed without an HTTP answer. `mayHaveReachedUpstream` is false only when the
 * request provably never left (connect refused or timed out), which makes a POST safe to report
 * as not done.
 */
export class UpstreamTransportError extends Error {
  override readonly name = "UpstreamTransportError";
  readonly code = "UPSTREAM_TRANSPORT_ERROR";
  constructor(
    readonly operation: string,
    readonly reason: string,
    readonly mayHaveReachedUpstream: boolean,
  ) {
    super(`${operation}: ${reason}`);
  }
}

/** DigiCert answered 2xx with a body that is not the JSON we expect, or is too large. */
export class UpstreamBodyError extends Error {
  override readonly name = "UpstreamBodyError";
  readonly code = "UPSTREAM_BODY_ERROR";
  constructor(
    readonly operation: string,
    reason: string,
  ) {
    super(`${operation}: ${reason}`);
  }
}

/** 403 (another tenant's resource, which the caller must not learn exists) and 404: "no such thing" to the caller. */
export function isHidden(error: unknown): error is UpstreamHttpError {
  return error instanceof UpstreamHttpError && (error.status === 403 || error.status === 404);
}

/** A read whose "absent" answer is normal: hidden (403, 404) becomes null. */
export async function nullWhenHidden<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isHidden(error)) return null;
    throw error;
  }
}

/**
 * What every product's failures mean when nothing product-specific applies. `idempotent` is false for calls that
 * create or change something: then an ambiguous failure (connection lost after sending, 5xx, an unreadable 2xx) is
 * "outcome unknown", never a plain failure. Anything unrecognised is returned as is, and yoga masks it.
 */
export function toUpstreamDomainError(error: unknown, idempotent: boolean): unknown {
  if (error instanceof UpstreamTransportError) {
    return error.mayHaveReachedUpstream && !idempotent
      ? new UpstreamOutcomeUnknownError()
      : new UpstreamUnavailableError();
  }
  if (error instanceof UpstreamBodyError) {
    // A 2xx we cannot read after a create: it may have taken effect.
    return idempotent ? new UpstreamInvalidResponseError() : new UpstreamOutcomeUnknownError();
  }
  if (!(error instanceof UpstreamHttpError)) return error;
  const { status } = error;
  if (status === 400) return new ValidationError("input", "DigiCert ONE refused the value of input.");
  if (status === 401) return new UpstreamAuthenticationError();
  if (status === 403) return new UpstreamForbiddenError();
  // 429 and 503 mean "not processed"; other 5xx on a create may have taken effect.
  if (status === 429 || status === 503) return new UpstreamUnavailableError(error.retryAfterSeconds);
  if (status >= 500) {
    return idempotent
      ? new UpstreamUnavailableError(error.retryAfterSeconds)
      : new UpstreamOutcomeUnknownError();
  }
  return new UpstreamInvalidResponseError();
}

/**
 * Reads what DigiCert answered to a call that created something: a 2xx the model cannot read (invalid upstream
 * response) becomes outcome unknown, since the certificate, device or job may exist.
 */
export async function readCreated<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof UpstreamInvalidResponseError) throw new UpstreamOutcomeUnknownError();
    throw error;
  }
}

/** Runs one upstream call and its reading; any failure leaves as the domain error `map` makes of it. */
export async function mapped<T>(run: () => Promise<T>, map: (error: unknown) => unknown): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw map(error);
  }
}

/** TLM and IoT say "already revoked" only in their message text (Terraform matches it the same way). */
export function saysAlreadyRevoked(error: UpstreamHttpError): boolean {
  return error.details.some((d) => /already\s+(has\s+been|been)\s+revoked/i.test(d.message));
}

/** DigiCert refused a value; `path` is the caller's input path it came from. */
export function refusedValue(path: string): ValidationError {
  return new ValidationError(path, `DigiCert ONE refused the value of ${path}.`);
}
