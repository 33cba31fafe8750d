/**
 * Device Trust Manager use cases (GraphQL-free): register one device, disable and delete one, create a device
 * registration batch from an uploaded file, and read devices, groups, policies, jobs and reports (approve and reject:
 * ./batch-jobs.ts). Everything the gateway can check is checked before anything is sent; registering, disabling,
 * deleting, uploading and deciding are never resent.
 *
 * Layer: may import context, loaders, stores, datasources (types), model and batch-file; never schema.
 */
import type { GatewayContext } from "../context.js";
import type { BatchUploadFile } from "../datasources/parts.js";
import { BATCH_FILE_LIMITS, type BatchFileRules, neutraliseCsv } from "../batch-file/check.js";
import { checkBatchAgainstPolicy, type DtmBatchInput, toWireDtmBatch } from "../model/dtm/batch-input.js";
import type { DeviceRegistrationReport, DtmBatchJob, DtmBatchJobFilter } from "../model/dtm/batch-job.js";
import { type Device, type DeviceFilter, toWireDisableDevice } from "../model/dtm/device.js";
import type { DtmJobStatus } from "../model/dtm/enums.js";
import type {
  DtmBatchJobId,
  DtmCertificatePolicyId,
  DtmDeviceGroupId,
  DtmDeviceId,
} from "../model/dtm/ids.js";
import { type CertificatePolicy, type DeviceGroup, requiredTemplateColumns } from "../model/dtm/policy.js";
import { type DeviceRegistrationInput, toWireDeviceRegistration } from "../model/dtm/registration.js";
import {
  CertificatePolicyNotFoundError,
  DeviceGroupNotFoundError,
  UpstreamInvalidResponseError,
  ValidationError,
} from "../model/errors.js";
import type { Page } from "../model/read.js";
import { noteSkipped } from "./iot.js";
import {
  arrivedWhole,
  checkUploadedFile,
  chunksOf,
  isEmptyUpload,
  type UploadedFile,
  uploadName,
} from "./uploads.js";

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
    ctx.loaders.deviceGroup.load(input.deviceGroupId),
    ...policyIds.map((id) => ctx.loaders.certificatePolicy.load(id)),
  ]);
  if (!group) throw new DeviceGroupNotFoundError(input.deviceGroupId);
  const missing = policyIds.find((_id, i) => !policies[i]);
  if (missing) throw new CertificatePolicyNotFoundError(missing);
  return ctx.services.dtm.registerDevice(body);
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
 * whole file, streamed as it arrives (CSV header against the policy's template, each row, each CSR's signature on
 * worker threads, cells a spreadsheet would run as a formula; ZIP entries: only regular files, no nested archive).
 * Nothing is sent before all of the file has arrived and passed, and nothing when anything fails. The upload is never
 * resent.
 */
export async function createDeviceRegistrationBatch(
  ctx: GatewayContext,
  input: CreateDeviceRegistrationBatchInput,
  limits: Omit<BatchFileRules, "requiredColumns" | "serverSideKeyGeneration"> = BATCH_FILE_LIMITS,
): Promise<DtmBatchJobId> {
  const serverSide = input.serverSideKeyGeneration != null;
  // Before any upstream read: the cheapest refusal (an empty or oversized file) comes first. The file may still be
  // arriving: its first byte (or its end) tells an empty one; one too large is also refused as it is read.
  if ((await isEmptyUpload(input.file)) || input.file.size > limits.maxBytes) {
    await checkUploadedFile(ctx, input.file, {
      ...limits,
      requiredColumns: [],
      serverSideKeyGeneration: serverSide,
    });
  }
  const fields = await toWireDtmBatch(input, null, ctx.now);
  const policy = await batchPolicy(ctx, input);
  checkBatchAgainstPolicy({ ...input, certificatePolicyId: policy.id }, policy);
  const known = policy.templateColumns
    .filter((column) => !(serverSide && column.clientSideOnly))
    .map((column) => column.name);
  const { format } = await checkUploadedFile(ctx, input.file, {
    ...limits,
    requiredColumns: requiredTemplateColumns(policy, serverSide),
    knownColumns: known,
    multipleColumns: new Set(policy.templateColumns.filter((c) => c.multiple).map((c) => c.name)),
    serverSideKeyGeneration: serverSide,
  });
  fields.certificate_policy_id = policy.id;
  // Checked whole, so all of it is here; nothing is sent before that.
  await arrivedWhole(input.file);

  const file: BatchUploadFile = {
    // DigiCert tells CSV from ZIP by the name: it follows what the file is, whatever it was called.
    name: `${uploadName(input.file.name).replace(/\.[^.]*$/, "")}.${format.toLowerCase()}`,
    stream: chunksOf(input.file),
    size: input.file.size,
    ...(input.file.type ? { contentType: input.file.type } : {}),
  };
  return ctx.services.dtm.createBatchJob({ fields, file });
}

/** The policy named in the input, or the group's only BATCH policy; typed not-found errors otherwise. */
async function batchPolicy(ctx: GatewayContext, input: DtmBatchInput): Promise<CertificatePolicy> {
  const policyId = input.certificatePolicyId ?? null;
  // Read together: the group's check does not wait for the policy's.
  const [group, named] = await Promise.all([
    ctx.loaders.deviceGroup.load(input.deviceGroupId),
    policyId === null ? null : ctx.loaders.certificatePolicy.load(policyId),
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
 * the tenant (`ctx.services.reports`): a report is fixed for a given job state, so one download serves everyone watching it.
 */
export async function loadDeviceRegistrationReport(
  ctx: GatewayContext,
  job: DtmBatchJob,
): Promise<DeviceRegistrationReport | null> {
  if (!REPORT_READY.has(job.status)) return null;
  const key = `${ctx.services.tenantScope}|${job.id}|${job.status}|${job.success ?? ""}|${job.failed ?? ""}`;
  const report = await ctx.services.reports.fetch(key, { context: { dtm: ctx.services.dtm, jobId: job.id } });
  if (!report) throw new UpstreamInvalidResponseError();
  return report;
}

/** Every policy assigned to the group (a group has a handful). */
export async function groupPolicies(
  ctx: GatewayContext,
  groupId: DtmDeviceGroupId,
): Promise<CertificatePolicy[]> {
  const { items } = await ctx.services.dtm.listCertificatePolicies(0, 100, groupId);
  for (const policy of items) ctx.loaders.certificatePolicy.prime(policy.id, policy);
  return items;
}

/** A policy's CSV template, the header row only, as DigiCert serves it. */
export async function csvTemplate(
  ctx: GatewayContext,
  policyId: DtmCertificatePolicyId,
  serverSideKeyGeneration: boolean | null,
): Promise<string> {
  // Handed to spreadsheets: a cell that would run as a formula is neutralised (OWASP CSV injection).
  return neutraliseCsv(await ctx.services.dtm.getCsvTemplate(policyId, serverSideKeyGeneration ?? undefined));
}

/** Devices matching `filter`, newest first. */
export function listDevices(ctx: GatewayContext, filter: DeviceFilter) {
  return async (offset: number, limit: number): Promise<Page<Device>> => {
    const page = noteSkipped(
      ctx,
      "dtm.listDevices",
      await ctx.services.dtm.listDevices(filter, offset, limit),
    );
    for (const device of page.items) ctx.loaders.device.prime(device.id, device);
    return page;
  };
}

/** Device registration jobs matching `filter`, newest first. */
export function listDtmBatchJobs(ctx: GatewayContext, filter: DtmBatchJobFilter) {
  return async (offset: number, limit: number): Promise<Page<DtmBatchJob>> =>
    noteSkipped(ctx, "dtm.listBatchJobs", await ctx.services.dtm.listBatchJobs(filter, offset, limit));
}

/** The device groups these credentials can use (the first 100). */
export async function listDeviceGroups(ctx: GatewayContext): Promise<DeviceGroup[]> {
  return noteSkipped(ctx, "dtm.listDeviceGroups", await ctx.services.dtm.listDeviceGroups(0, 100)).items;
}

// ---------------------------------------------------------------------------------------------
// A device's lifecycle: disable, delete, and its bootstrap configuration
// ---------------------------------------------------------------------------------------------

/**
 * Disables a device (PATCH .../disable with the reason [C]). The reason is checked before anything is sent. DigiCert's
 * answer is not documented (it may be a partial record), so the device is read again when asked for, never taken from
 * it. Never resent. DeviceNotFoundError for a device DigiCert does not show these credentials.
 */
export async function disableDevice(
  ctx: GatewayContext,
  id: DtmDeviceId,
  reason: string,
): Promise<DtmDeviceId> {
  const body = toWireDisableDevice(reason);
  await ctx.services.dtm.disableDevice(id, body);
  ctx.loaders.device.clear(id);
  return id;
}

/**
 * Deletes a device (PATCH .../delete [C]); DigiCert's own test disables it first, and the simulator requires that
 * [I]. Never resent. Afterwards the device reads as absent in this request.
 */
export async function deleteDevice(ctx: GatewayContext, id: DtmDeviceId): Promise<DtmDeviceId> {
  await ctx.services.dtm.deleteDevice(id);
  ctx.loaders.device.clear(id).prime(id, null);
  return id;
}

export interface BootstrapDownloadLink {
  /** The gateway's own route, relative to the GraphQL endpoint's origin. */
  url: string;
  contentType: "application/zip";
  fileName: string;
}

/** Where to fetch a device's bootstrap configuration through the gateway (no upstream call until it is fetched). */
export function bootstrapDownloadLink(
  device: Device,
  downloadPath: (deviceId: string) => string,
): BootstrapDownloadLink {
  return {
    url: downloadPath(device.id),
    contentType: "application/zip",
    fileName: `bootstrap-${device.id}.zip`,
  };
}
