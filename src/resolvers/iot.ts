import { SCOPES } from "../auth/viewer.js";
import type { GatewayContext } from "../context.js";
import type { RevocationReason } from "../model/certificate.js";
import {
  ForbiddenError,
  ProfileNotFoundError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
} from "../model/errors.js";
import {
  checkAgainstProfile,
  type DeviceCertificateRef,
  type DeviceEnrollmentOutcome,
  deviceCertificateNotFound,
  type IotCallContext,
  type IotEnrollmentInput,
  type IotRenewalInput,
  type PrivateKeyMaterial,
  toDeviceEnrollmentOutcome,
  toEnrollmentFields,
  toIotDomainError,
  toWireIotEnrollment,
  toWireIotRenewal,
  toWireIotRevocationReason,
} from "../model/iot.js";
import { fingerprintOf, parseIdempotencyKey } from "./idempotency.js";

/**
 * IoT Trust Manager use cases (GraphQL-free). Everything that can be checked is checked before
 * DigiCert is called: the input, then the enrollment profile and its specification. A call that
 * issues a certificate is never retried, and a private key is returned once, never stored.
 */

export type DeviceEnrolled = DeviceEnrollmentOutcome & { kind: "enrolled" };

export async function enrollDeviceCertificate(
  ctx: GatewayContext,
  input: IotEnrollmentInput & { idempotencyKey?: string | null },
): Promise<DeviceEnrolled> {
  // Server-side key generation hands out a private key: it needs its own scope.
  if (input.serverSideKeyGeneration && !ctx.viewer.scopes.has(SCOPES.generateKeys))
    throw new ForbiddenError();
  const body = await toWireIotEnrollment(input);
  const profile = await ctx.loaders.enrollmentProfile.load(input.enrollmentProfileId);
  if (!profile) throw new ProfileNotFoundError(input.enrollmentProfileId);
  const specification = await upstream(() => ctx.iot.getEnrollmentSpecification(profile.id), {
    idempotent: true,
    operation: "read",
    profileId: profile.id,
  });
  await checkAgainstProfile(input, profile, toEnrollmentFields(specification));
  const format = input.serverSideKeyGeneration?.privateKeyFormat ?? null;
  const call: IotCallContext = { idempotent: false, operation: "enroll", profileId: profile.id };
  const enroll = async () => readOutcome(await upstream(() => ctx.iot.enrollCertificate(body), call), format);
  return once(ctx, input.idempotencyKey, { op: "enrollDeviceCertificate", body }, enroll);
}

export async function renewDeviceCertificate(
  ctx: GatewayContext,
  ref: DeviceCertificateRef,
  input: IotRenewalInput & { idempotencyKey?: string | null },
): Promise<DeviceEnrolled> {
  if (input.serverSideKeyGeneration && !ctx.viewer.scopes.has(SCOPES.generateKeys))
    throw new ForbiddenError();
  const body = await toWireIotRenewal(input);
  const format = input.serverSideKeyGeneration?.privateKeyFormat ?? null;
  const call: IotCallContext = { idempotent: false, operation: "renew", certificate: ref };
  const renew = async () =>
    readOutcome(await upstream(() => ctx.iot.renewCertificate(ref, body), call), format);
  return once(ctx, input.idempotencyKey, { op: "renewDeviceCertificate", ref, body }, renew);
}

export async function revokeDeviceCertificate(
  ctx: GatewayContext,
  ref: DeviceCertificateRef,
  reason: RevocationReason,
): Promise<{ kind: "revoked"; ref: DeviceCertificateRef }> {
  const wireReason = toWireIotRevocationReason(reason);
  const existing = await ctx.loaders.deviceCertificate.load(ref);
  if (!existing) throw deviceCertificateNotFound(ref);
  await upstream(() => ctx.iot.revokeCertificate(existing.id, wireReason), {
    idempotent: false,
    operation: "revoke",
    certificate: ref,
  });
  ctx.loaders.deviceCertificate.clear(ref);
  return { kind: "revoked", ref: existing.id };
}

async function upstream<T>(fn: () => Promise<T>, call: IotCallContext): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toIotDomainError(error, call);
  }
}

/** A 2xx we cannot read after an issue means the certificate may exist: outcome unknown, not failure. */
function readOutcome(
  wire: Parameters<typeof toDeviceEnrollmentOutcome>[0],
  format: Parameters<typeof toDeviceEnrollmentOutcome>[1],
) {
  try {
    return toDeviceEnrollmentOutcome(wire, format);
  } catch (error) {
    if (error instanceof UpstreamInvalidResponseError) throw new UpstreamOutcomeUnknownError();
    throw error;
  }
}

/**
 * With an idempotency key, a repeat returns the first outcome without issuing again. The stored copy
 * never holds the private key (issue 5: keys never reach a cache): only the first call gets it, and
 * a repeat says the key was already delivered.
 */
async function once(
  ctx: GatewayContext,
  idempotencyKey: string | null | undefined,
  request: unknown,
  issue: () => Promise<DeviceEnrollmentOutcome>,
): Promise<DeviceEnrolled> {
  if (idempotencyKey === null || idempotencyKey === undefined)
    return { kind: "enrolled", ...(await issue()) };
  const key = parseIdempotencyKey(idempotencyKey);
  let delivered: PrivateKeyMaterial | null = null;
  const stored = await ctx.idempotency.run(ctx.tenantScope, key, fingerprintOf(request), async () => {
    const outcome = await issue();
    delivered = outcome.privateKey;
    return { ...outcome, privateKey: null, privateKeyDelivered: outcome.privateKey !== null };
  });
  return { kind: "enrolled", ...stored, privateKey: delivered };
}
