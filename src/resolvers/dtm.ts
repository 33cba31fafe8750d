import DataLoader from "dataloader";
import { LRUCache } from "lru-cache";
import type { DtmClient } from "../datasources/dtm/client.js";
import type { GatewayContext } from "../context.js";
import type { BatchUploadFile } from "../datasources/parts.js";
import { type BatchFileRules, checkBatchFile, DTM_BATCH_FILE_LIMITS } from "../model/batch-file.js";
import {
  type CertificatePolicy,
  type Device,
  type DeviceGroup,
  type DeviceRegistrationInput,
  type DeviceRegistrationReport,
  type DtmBatchInput,
  type DtmBatchJob,
  type DtmBatchJobId,
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  type DtmDeviceId,
  type DtmJobStatus,
  checkBatchAgainstPolicy,
  requiredTemplateColumns,
  toCertificatePolicy,
  toCreatedDtmBatchJobId,
  toDevice,
  toDeviceGroup,
  toDeviceRegistrationReport,
  toDtmBatchJob,
  toDtmDomainError,
  toWireDeviceRegistration,
  toWireDtmBatch,
  type DtmCallContext,
} from "../model/dtm.js";
import {
  CertificatePolicyNotFoundError,
  DeviceGroupNotFoundError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import { isUuid } from "../model/ids.js";
import type { BatchDecision } from "./iot-batch.js";
import { chunksOf, type UploadedFile, uploadName } from "./uploads.js";

/**
 * Device Trust Manager use cases (GraphQL-free): register one device, create a device registration batch from an
 * uploaded file, approve or reject it, and read devices, groups, policies, jobs and reports. Everything the gateway
 * can check is checked before anything is sent; registering, uploading and deciding are never resent.
 */

// ---------------------------------------------------------------------------------------------
// Single registration
// ---------------------------------------------------------------------------------------------

/** Registers one device; its id, or a typed error (DuplicateDeviceError for a name taken in the group). */
export async function registerDevice(
  ctx: GatewayContext,
  input: DeviceRegistrationInput,
): Promise<DtmDeviceId> {
  const body = await toWireDeviceRegistration(input);
  // The group and each policy are read first: a wrong id is a typed not-found, and nothing is sent.
  const policyIds = (input.bootstrap ?? []).map((entry) => entry.certificatePolicyId);
  const [group, ...policies] = await Promise.all([
    loadDeviceGroup(ctx, input.deviceGroupId),
    ...policyIds.map((id) => loadCertificatePolicy(ctx, id)),
  ]);
  if (!group) throw new DeviceGroupNotFoundError(input.deviceGroupId);
  const missing = policyIds.find((_id, i) => !policies[i]);
  if (missing) throw new CertificatePolicyNotFoundError(missing);
  let wire: Awaited<ReturnType<GatewayContext["dtm"]["registerDevice"]>>;
  try {
    wire = await ctx.dtm.registerDevice(body);
  } catch (error) {
    throw toDtmDomainError(error, {
      idempotent: false,
      operation: "register",
      deviceName: body.name,
      deviceGroupId: body.device_group_id,
    });
  }
  // A 2xx we cannot read after a registration: the device may exist.
  if (!isUuid(wire?.device_id)) throw new UpstreamOutcomeUnknownError();
  return wire.device_id.toLowerCase() as DtmDeviceId;
}

// ---------------------------------------------------------------------------------------------
// Batch registration
// ---------------------------------------------------------------------------------------------

export interface CreateDeviceRegistrationBatchInput extends DtmBatchInput {
  file: UploadedFile;
}

/**
 * Creates a device registration batch job. Checked before the upload: every field (encryption certificate, passcode,
 * emails), the group and the certificate policy (BATCH, assigned to the group, key generation, key type), then the
 * whole file, streamed (CSV header against the policy's template, each row, each CSR's signature; ZIP entries).
 * Nothing is sent when anything fails. The upload is never resent.
 */
export async function createDeviceRegistrationBatch(
  ctx: GatewayContext,
  input: CreateDeviceRegistrationBatchInput,
  limits: Omit<BatchFileRules, "requiredColumns" | "serverSideKeyGeneration"> = DTM_BATCH_FILE_LIMITS,
): Promise<DtmBatchJobId> {
  const serverSide = input.serverSideKeyGeneration != null;
  // Before any upstream read: the cheapest refusal comes first.
  if (input.file.size > limits.maxBytes) {
    await checkBatchFile(input.file, { ...limits, requiredColumns: [], serverSideKeyGeneration: serverSide });
  }
  const fields = await toWireDtmBatch(input, null, ctx.now);
  const policy = await batchPolicy(ctx, input);
  checkBatchAgainstPolicy({ ...input, certificatePolicyId: policy.id }, policy);
  const known = policy.templateColumns
    .filter((column) => !(serverSide && column.clientSideOnly))
    .map((column) => column.name);
  const { format } = await checkBatchFile(input.file, {
    ...limits,
    requiredColumns: requiredTemplateColumns(policy, serverSide),
    knownColumns: known,
    multipleColumns: new Set(policy.templateColumns.filter((c) => c.multiple).map((c) => c.name)),
    serverSideKeyGeneration: serverSide,
  });
  fields.certificate_policy_id = policy.id;

  const file: BatchUploadFile = {
    // DigiCert tells CSV from ZIP by the name: it follows what the file is, whatever it was called.
    name: `${uploadName(input.file.name).replace(/\.[^.]*$/, "")}.${format.toLowerCase()}`,
    stream: chunksOf(input.file),
    size: input.file.size,
    ...(input.file.type ? { contentType: input.file.type } : {}),
  };
  let created: unknown;
  try {
    created = await ctx.dtm.createBatchJob({ fields, file });
  } catch (error) {
    throw toDtmDomainError(error, {
      idempotent: false,
      operation: "batchCreate",
      deviceGroupId: input.deviceGroupId,
      certificatePolicyId: policy.id,
    });
  }
  try {
    return toCreatedDtmBatchJobId(created);
  } catch (error) {
    // A 2xx we cannot read after an upload: the job may exist.
    if (error instanceof UpstreamInvalidResponseError) throw new UpstreamOutcomeUnknownError();
    throw error;
  }
}

/** The policy named in the input, or the group's only BATCH policy; typed not-found errors otherwise. */
async function batchPolicy(ctx: GatewayContext, input: DtmBatchInput): Promise<CertificatePolicy> {
  const policyId = input.certificatePolicyId ?? null;
  // Read together: the group's check does not wait for the policy's.
  const [group, named] = await Promise.all([
    loadDeviceGroup(ctx, input.deviceGroupId),
    policyId === null ? null : loadCertificatePolicy(ctx, policyId),
  ]);
  if (!group) throw new DeviceGroupNotFoundError(input.deviceGroupId);
  if (policyId !== null) {
    if (!named) throw new CertificatePolicyNotFoundError(policyId);
    return named;
  }
  const candidates = await groupPolicies(ctx, input.deviceGroupId);
  const batch = candidates.filter((policy) => policy.managementMethods.includes("BATCH"));
  if (batch.length !== 1) {
    throw new ValidationError(
      "input.certificatePolicyId",
      batch.length === 0
        ? "The device group has no certificate policy that allows batch registration."
        : "The device group has several batch certificate policies: name one.",
    );
  }
  return batch[0]!;
}

/** Approves or rejects a PENDING_APPROVAL device registration job. Never resent. */
export async function decideDeviceRegistrationBatch<D extends BatchDecision>(
  ctx: GatewayContext,
  jobId: DtmBatchJobId,
  decision: D,
): Promise<{ kind: D; jobId: DtmBatchJobId }> {
  try {
    if (decision === "approve") await ctx.dtm.approveBatchJob(jobId);
    else await ctx.dtm.rejectBatchJob(jobId);
  } catch (error) {
    throw toDtmDomainError(error, { idempotent: false, operation: "batchDecide", jobId });
  }
  dtmLoaders(ctx).job.clear(jobId);
  return { kind: decision, jobId };
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

/** Statuses after which every row is processed and the report can be read. */
const REPORT_READY: ReadonlySet<DtmJobStatus> = new Set([
  "COMPLETE",
  "FAILED",
  "PENDING_APPROVAL",
  "PENDING_REJECTION",
  "REJECTION_IN_PROGRESS",
  "REJECTED",
  "TERMINATED",
]);

/**
 * The job's per-row report, or null while rows are still being processed. Shared by every request and subscriber of
 * the tenant (`ctx.reports`): a report is fixed for a given job state, so one download serves everyone watching it.
 */
export async function loadDeviceRegistrationReport(
  ctx: GatewayContext,
  job: DtmBatchJob,
): Promise<DeviceRegistrationReport | null> {
  if (!REPORT_READY.has(job.status)) return null;
  const key = `${ctx.tenantScope}|${job.id}|${job.status}|${job.success ?? ""}|${job.failed ?? ""}`;
  try {
    const report = await ctx.reports.fetch(key, { context: { dtm: ctx.dtm, jobId: job.id } });
    if (!report) throw new UpstreamInvalidResponseError();
    return report;
  } catch (error) {
    throw toDtmDomainError(error, { idempotent: true, operation: "batchReport", jobId: job.id });
  }
}

/** Reports by tenant and job state, bounded by rows held; concurrent reads of one key share one download. */
export type ReportCache = LRUCache<
  string,
  DeviceRegistrationReport,
  { dtm: DtmClient; jobId: DtmBatchJobId }
>;

export function createReportCache(maxRows = 200_000): ReportCache {
  return new LRUCache({
    maxSize: maxRows,
    sizeCalculation: (report) => report.rows.length + 1,
    ttl: 10 * 60_000,
    fetchMethod: async (_key, _stale, { context }) =>
      toDeviceRegistrationReport(await context.dtm.downloadReportJson(context.jobId)),
  });
}

/**
 * One read of the job with these clients, no loader (the request's loader and the subscription poller both use it);
 * null when DigiCert knows none with this id for these credentials.
 */
export async function readDtmBatchJob(dtm: DtmClient, jobId: DtmBatchJobId): Promise<DtmBatchJob | null> {
  try {
    const wire = await dtm.getBatchJob(jobId);
    return wire ? toDtmBatchJob(wire) : null;
  } catch (error) {
    throw toDtmDomainError(error, { idempotent: true, operation: "read", jobId });
  }
}

export function loadDtmBatchJob(ctx: GatewayContext, id: DtmBatchJobId): Promise<DtmBatchJob | null> {
  return dtmLoaders(ctx).job.load(id);
}

export function loadDevice(ctx: GatewayContext, id: DtmDeviceId): Promise<Device | null> {
  return dtmLoaders(ctx).device.load(id);
}

export function loadDeviceGroup(ctx: GatewayContext, id: DtmDeviceGroupId): Promise<DeviceGroup | null> {
  return dtmLoaders(ctx).group.load(id);
}

export function loadCertificatePolicy(
  ctx: GatewayContext,
  id: DtmCertificatePolicyId,
): Promise<CertificatePolicy | null> {
  return dtmLoaders(ctx).policy.load(id);
}

/** Every policy assigned to the group (a group has a handful). */
export async function groupPolicies(
  ctx: GatewayContext,
  groupId: DtmDeviceGroupId,
): Promise<CertificatePolicy[]> {
  try {
    const page = await ctx.dtm.listCertificatePolicies(0, 100, groupId);
    if (!Array.isArray(page?.records)) throw new UpstreamInvalidResponseError();
    const policies = page.records.map(toCertificatePolicy);
    for (const policy of policies) dtmLoaders(ctx).policy.prime(policy.id, policy);
    return policies;
  } catch (error) {
    throw toDtmDomainError(error, { idempotent: true, operation: "read" });
  }
}

/** A policy's CSV template, the header row only, as DigiCert serves it. */
export async function csvTemplate(
  ctx: GatewayContext,
  policyId: DtmCertificatePolicyId,
  serverSideKeyGeneration: boolean | null,
): Promise<string> {
  try {
    return await ctx.dtm.getCsvTemplate(policyId, serverSideKeyGeneration ?? undefined);
  } catch (error) {
    throw toDtmDomainError(error, {
      idempotent: true,
      operation: "template",
      certificatePolicyId: policyId,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Per-request loaders (beside the use cases that need them; context.ts only holds the shared ones)
// ---------------------------------------------------------------------------------------------

interface DtmLoaders {
  job: DataLoader<DtmBatchJobId, DtmBatchJob | null>;
  device: DataLoader<DtmDeviceId, Device | null>;
  group: DataLoader<DtmDeviceGroupId, DeviceGroup | null>;
  policy: DataLoader<DtmCertificatePolicyId, CertificatePolicy | null>;
}

const perRequest = new WeakMap<GatewayContext, DtmLoaders>();

function dtmLoaders(ctx: GatewayContext): DtmLoaders {
  let loaders = perRequest.get(ctx);
  if (loaders) return loaders;
  const { dtm } = ctx;
  loaders = {
    job: byId((id) => readDtmBatchJob(dtm, id)),
    device: byId(async (id) => {
      const wire = await dtm.getDevice(id);
      return wire ? toDevice(wire) : null;
    }),
    group: byId(async (id) => {
      const wire = await dtm.getDeviceGroup(id);
      return wire ? toDeviceGroup(wire) : null;
    }),
    policy: byId(async (id) => {
      const wire = await dtm.getCertificatePolicy(id);
      return wire ? toCertificatePolicy(wire) : null;
    }),
  };
  perRequest.set(ctx, loaders);
  return loaders;
}

/** One read per distinct key, in parallel; a failed key becomes its domain error, the others still resolve. */
function byId<K extends string, V>(
  load: (key: K) => Promise<V>,
  call: (key: K) => Omit<DtmCallContext, "idempotent"> = () => ({ operation: "read" }),
): DataLoader<K, V> {
  return new DataLoader<K, V>((keys) =>
    Promise.all(
      keys.map((key) =>
        load(key).catch((error: unknown) => {
          const mapped = toDtmDomainError(error, { idempotent: true, operation: "read", ...call(key) });
          return mapped instanceof Error ? mapped : new Error("load failed");
        }),
      ),
    ),
  );
}
