import type { GatewayContext } from "../context.js";
import type { WireCertificateResponse } from "../datasources/tlm/wire.js";
import {
  type EnrollmentOutcome,
  type RevocationReason,
  toEnrollmentOutcome,
  toWireRevocationReason,
} from "../model/certificate.js";
import {
  type EnrollmentInput,
  type RenewalInput,
  toWireIssueRequest,
  toWireRenewRequest,
} from "../model/enrollment.js";
import {
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import type { RequestId, SerialNumber, Uuid } from "../model/ids.js";
import { type CallContext, toDomainError } from "../model/upstream-errors.js";
import { fingerprintOf, parseIdempotencyKey } from "./idempotency.js";

/**
 * Enrollment use cases (GraphQL-free). Each validates everything it can before calling DigiCert,
 * and never retries a call that issues a certificate: a certificate must never be issued twice.
 */

export async function requestCertificate(
  ctx: GatewayContext,
  input: EnrollmentInput & { idempotencyKey?: string | null },
): Promise<EnrollmentOutcome> {
  const body = await toWireIssueRequest(input);
  const call = { idempotent: false, profileId: input.profileId };
  return once(ctx, input.idempotencyKey, { op: "requestCertificate", body }, async () =>
    readOutcome(await upstream(() => ctx.tlm.issueCertificate(body), call), input.profileId, call),
  );
}

export async function renewCertificate(
  ctx: GatewayContext,
  serialNumber: SerialNumber,
  input: RenewalInput & { idempotencyKey?: string | null },
): Promise<EnrollmentOutcome> {
  const body = await toWireRenewRequest(input);
  const call = { idempotent: false, serialNumber };
  return once(ctx, input.idempotencyKey, { op: "renewCertificate", serialNumber, body }, async () => {
    const wire = await upstream(() => ctx.tlm.renewCertificate(serialNumber, body), call);
    if (wire?.serial_number) return readOutcome(wire, null, call);
    // A pending renewal is picked up with its profile's id, which only the original certificate knows.
    const original = await ctx.loaders.certificate.load(serialNumber).catch(() => null);
    return readOutcome(wire, original?.profileId ?? null, call);
  });
}

/**
 * With a caller's idempotency key, runs `issue` once per key and request content (in the caller's
 * tenant): a repeat gets the first outcome, even an unknown one, and never a second certificate.
 * Everything that can be validated is validated before this, so a refusal never consumes the key.
 */
function once(
  ctx: GatewayContext,
  idempotencyKey: string | null | undefined,
  request: unknown,
  issue: () => Promise<EnrollmentOutcome>,
): Promise<EnrollmentOutcome> {
  if (idempotencyKey === null || idempotencyKey === undefined) return issue();
  const key = parseIdempotencyKey(idempotencyKey);
  return ctx.idempotency.run(ctx.tenantScope, key, fingerprintOf(request), issue);
}

/** Pickup only reads the request's state: safe to repeat, so it is reported as idempotent. */
export async function pickupCertificate(
  ctx: GatewayContext,
  requestId: RequestId,
  profileId: Uuid,
): Promise<EnrollmentOutcome> {
  const call = { idempotent: true, requestId, profileId };
  const wire = await upstream(() => ctx.tlm.pickupCertificate(requestId, profileId), call);
  return readOutcome(wire, profileId, call);
}

export async function revokeCertificate(
  ctx: GatewayContext,
  serialNumber: SerialNumber,
  reason: RevocationReason,
  comments: string | null | undefined,
): Promise<{ kind: "revoked"; serialNumber: SerialNumber }> {
  if (comments && (comments.length > 512 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(comments))) {
    throw new ValidationError("input.comments", "Comments are at most 512 printable characters.");
  }
  await upstream(
    () => ctx.tlm.revokeCertificate(serialNumber, toWireRevocationReason(reason), comments ?? undefined),
    { idempotent: true, serialNumber },
  );
  ctx.loaders.certificate.clear(serialNumber);
  return { kind: "revoked", serialNumber };
}

async function upstream<T>(fn: () => Promise<T>, call: CallContext): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toDomainError(error, call);
  }
}

/** A 2xx we cannot read after a create means the certificate may exist: outcome unknown, not failure. */
function readOutcome(
  wire: WireCertificateResponse,
  profileId: Uuid | null,
  call: CallContext,
): EnrollmentOutcome {
  try {
    return toEnrollmentOutcome(wire, profileId);
  } catch (error) {
    if (error instanceof UpstreamInvalidResponseError && !call.idempotent)
      throw new UpstreamOutcomeUnknownError();
    throw error;
  }
}
