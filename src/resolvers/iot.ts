/**
 * IoT Trust Manager use cases (GraphQL-free). Everything that can be checked is checked before
 * DigiCert is called: the input, then the enrollment profile and its specification. A call that
 * issues a certificate is never retried, and a private key is returned once, never stored.
 *
 * Layer: may import context, loaders, stores, datasources (types), model and batch-file; never schema.
 */
import { SCOPES } from "../auth/viewer.js";
import type { GatewayContext } from "../context.js";
import { DeviceCertificateNotFoundError, ForbiddenError, ProfileNotFoundError } from "../model/errors.js";
import type { ListPage } from "../model/iot/list.js";
import type { Page } from "../model/read.js";
import type { RevocationReason } from "../model/tlm/certificate.js";
import {
  checkIotRevocationReason,
  type DeviceCertificate,
  type DeviceCertificateFilter,
} from "../model/iot/certificate.js";
import type { DeviceEnrollmentOutcome } from "../model/iot/enrollment.js";
import {
  checkAgainstProfile,
  type IotEnrollmentInput,
  type IotRenewalInput,
  toWireIotEnrollment,
  toWireIotRenewal,
} from "../model/iot/enrollment-input.js";
import type { DeviceCertificateRef } from "../model/iot/ids.js";
import type { PrivateKeyMaterial } from "../model/iot/private-key.js";
import type { EnrollmentProfile } from "../model/iot/profile.js";
import { fingerprintOf, parseIdempotencyKey } from "../stores/idempotency.js";

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
  const specification = await ctx.services.iot.getEnrollmentSpecification(profile.id);
  await checkAgainstProfile(input, profile, specification);
  const format = input.serverSideKeyGeneration?.privateKeyFormat ?? null;
  return once(ctx, input.idempotencyKey, { op: "enrollDeviceCertificate", body }, () =>
    ctx.services.iot.enrollCertificate(body, format),
  );
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
  return once(ctx, input.idempotencyKey, { op: "renewDeviceCertificate", ref, body }, () =>
    ctx.services.iot.renewCertificate(ref, body, format),
  );
}

export async function revokeDeviceCertificate(
  ctx: GatewayContext,
  ref: DeviceCertificateRef,
  reason: RevocationReason,
): Promise<{ kind: "revoked"; ref: DeviceCertificateRef }> {
  checkIotRevocationReason(reason);
  const existing = await ctx.loaders.deviceCertificate.load(ref);
  if (!existing) throw new DeviceCertificateNotFoundError(ref);
  await ctx.services.iot.revokeCertificate(existing.id, reason, ref);
  ctx.loaders.deviceCertificate.clear(ref);
  return { kind: "revoked", ref: existing.id };
}

/**
 * With an idempotency key, a repeat returns the first outcome without issuing again. The stored copy
 * never holds the private key (keys never reach a cache): only the first call gets it, and
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
  const { idempotency, tenantScope } = ctx.services;
  const stored = await idempotency.run(tenantScope, key, fingerprintOf(request), async () => {
    const outcome = await issue();
    delivered = outcome.privateKey;
    return { ...outcome, privateKey: null, privateKeyDelivered: outcome.privateKey !== null };
  });
  return { kind: "enrolled", ...stored, privateKey: delivered };
}

/** The fields an enrollment under the profile sends: from the profile when it came with them, else one read. */
export async function enrollmentFields(ctx: GatewayContext, profile: EnrollmentProfile) {
  return profile.fields ?? ctx.services.iot.getEnrollmentSpecification(profile.id);
}

/** IoT enrollment profiles, in DigiCert's order. */
export function listEnrollmentProfiles(ctx: GatewayContext) {
  return async (offset: number, limit: number): Promise<Page<EnrollmentProfile>> => {
    const page = noteSkipped(
      ctx,
      "iot.listEnrollmentProfiles",
      await ctx.services.iot.listEnrollmentProfiles(offset, limit),
    );
    for (const p of page.items) ctx.loaders.enrollmentProfile.prime(p.id, p);
    return page;
  };
}

/** IoT certificates matching `filter`. */
export function listDeviceCertificates(ctx: GatewayContext, filter: DeviceCertificateFilter) {
  return async (offset: number, limit: number): Promise<Page<DeviceCertificate>> => {
    const page = noteSkipped(
      ctx,
      "iot.listCertificates",
      await ctx.services.iot.listCertificates(filter, offset, limit),
    );
    for (const c of page.items) ctx.loaders.deviceCertificate.prime(c.id, c);
    return page;
  };
}

/**
 * A page that left out records DigiCert sent without a readable id: the caller still gets the rest, and the operator
 * a warning (the count only: never the records, which may hold anything).
 */
export function noteSkipped<P extends ListPage<unknown>>(ctx: GatewayContext, operation: string, page: P): P {
  if (page.skipped > 0) {
    ctx.logger.warn(
      { operation, skipped: page.skipped, tenant: ctx.viewer.tenant },
      "records without a readable id left out of a page",
    );
  }
  return page;
}
