/**
 * TLM enrollment use cases (GraphQL-free). Each validates everything it can before calling DigiCert,
 * and never retries a call that issues a certificate: a certificate must never be issued twice.
 *
 * Layer: may import context, loaders, stores, datasources (types), model and batch-file; never schema.
 */
import type { GatewayContext } from "../context.js";
import { ValidationError } from "../model/errors.js";
import type { RequestId, SerialNumber, Uuid } from "../model/ids.js";
import type { EnrollmentOutcome, RevocationReason } from "../model/tlm/certificate.js";
import {
  type EnrollmentInput,
  type RenewalInput,
  toWireIssueRequest,
  toWireRenewRequest,
} from "../model/tlm/enrollment.js";
import { fingerprintOf, parseIdempotencyKey } from "../stores/idempotency.js";

export async function requestCertificate(
  ctx: GatewayContext,
  input: EnrollmentInput & { idempotencyKey?: string | null },
): Promise<EnrollmentOutcome> {
  const body = await toWireIssueRequest(input);
  return once(ctx, input.idempotencyKey, { op: "requestCertificate", body }, () =>
    ctx.services.tlm.issueCertificate(body),
  );
}

export async function renewCertificate(
  ctx: GatewayContext,
  serialNumber: SerialNumber,
  input: RenewalInput & { idempotencyKey?: string | null },
): Promise<EnrollmentOutcome> {
  const body = await toWireRenewRequest(input);
  // Only the original certificate knows the profile a pending renewal is picked up with.
  const profileOf = async () =>
    (await ctx.loaders.certificate.load(serialNumber).catch(() => null))?.profileId ?? null;
  return once(ctx, input.idempotencyKey, { op: "renewCertificate", serialNumber, body }, () =>
    ctx.services.tlm.renewCertificate(serialNumber, body, profileOf),
  );
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
  return ctx.services.idempotency.run(ctx.services.tenantScope, key, fingerprintOf(request), issue);
}

/** Pickup only reads the request's state: safe to repeat. */
export function pickupCertificate(
  ctx: GatewayContext,
  requestId: RequestId,
  profileId: Uuid,
): Promise<EnrollmentOutcome> {
  return ctx.services.tlm.pickupCertificate(requestId, profileId);
}

/**
 * `comments` is still checked (a bad value is refused as before) but not sent: DigiCert's revoke request takes
 * `revocation_reason` only (S1), so a comment would be dropped by DigiCert or refused.
 */
export async function revokeCertificate(
  ctx: GatewayContext,
  serialNumber: SerialNumber,
  reason: RevocationReason,
  comments: string | null | undefined,
): Promise<{ kind: "revoked"; serialNumber: SerialNumber }> {
  if (comments && (comments.length > 512 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(comments))) {
    throw new ValidationError("input.comments", "Comments are at most 512 printable characters.");
  }
  await ctx.services.tlm.revokeCertificate(serialNumber, reason);
  ctx.loaders.certificate.clear(serialNumber);
  return { kind: "revoked", serialNumber };
}

/** Takes a suspended (CERTIFICATE_HOLD) certificate off hold. */
export async function resumeCertificate(
  ctx: GatewayContext,
  serialNumber: SerialNumber,
): Promise<{ kind: "resumed"; serialNumber: SerialNumber }> {
  await ctx.services.tlm.resumeCertificate(serialNumber);
  ctx.loaders.certificate.clear(serialNumber);
  return { kind: "resumed", serialNumber };
}
