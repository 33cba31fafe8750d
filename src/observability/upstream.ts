/**
 * What src/datasources/http.ts reports of each upstream call, and the no-op it uses when nobody listens. A leaf (types
 * and one constant): the datasources import it without depending on prom-client or OpenTelemetry.
 */

/** The operation a client is bound to (UpstreamClient.forOperation): its ids go on the call's log line. */
export interface UpstreamScope {
  readonly requestId: string;
  readonly operationName: string | undefined;
  readonly operationType: string | undefined;
  readonly tenant: string | undefined;
}

/** One upstream call (its retries included), as http.ts describes it. Never holds a raw path, query or header. */
export interface UpstreamCall {
  /** The operation it is made for; null outside any (job polls, readiness probes, file downloads). */
  readonly scope: UpstreamScope | null;
  /** tlm, iot or dtm (the prefix of the call's operation name), else "other". */
  readonly product: string;
  /** The path template, e.g. `/mpki/api/v1/certificate/{}`. */
  readonly route: string;
  readonly method: string;
  /** Attempts made so far (1 during the first). */
  attempts: number;
  /** The last attempt's HTTP status, or its transport failure: `timeout`, `connect` or `network`. */
  status: string;
  /**
   * Why the call failed, when it did: the transport class above, `http` (a non-2xx answer), `invalid_body` (a 2xx
   * body too large or not JSON) or `error` (anything else).
   */
  error: string | null;
  /** The telemetry's own state for the call (its span); http.ts never reads it. */
  state: unknown;
}

/** Told of each call; every method must be cheap and must not throw. */
export interface UpstreamTelemetry {
  /** Before the first attempt. */
  callStarted(call: UpstreamCall): void;
  /** After each attempt (one HTTP exchange), with its duration; `call.attempts` is its number. */
  attemptEnded(call: UpstreamCall, seconds: number): void;
  /** Once, after the last attempt. */
  callEnded(call: UpstreamCall): void;
}

export const NO_UPSTREAM_TELEMETRY: UpstreamTelemetry = Object.freeze({
  callStarted() {},
  attemptEnded() {},
  callEnded() {},
});
