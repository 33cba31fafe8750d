/**
 * Transport-level failures of an upstream call. Datasources throw these; the model maps them to
 * domain errors per operation. Messages never hold a URL, a body excerpt or a credential.
 */
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
