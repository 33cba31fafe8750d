/**
 * Batch jobs of either product (GraphQL-free), read by a reference that may or may not say which product runs the
 * job (a global id does; DigiCert's bare job id does not), and approved or rejected the same way for both.
 *
 * Layer: may import context, loaders, stores, datasources (types), model and batch-file; never schema.
 */
import type { GatewayContext } from "../context.js";
import type { DtmClient } from "../datasources/dtm/client.js";
import type { IotClient } from "../datasources/iot/client.js";
import type { BatchDecision, BatchJob, BatchJobKind } from "../model/batch.js";
import type { DtmBatchJobId } from "../model/dtm/ids.js";
import type { BatchJobId } from "../model/iot/ids.js";

/** A job reference: a product and its id, or a bare id of either product. */
export type JobRef =
  | { kind: "IOT_ENROLLMENT"; id: BatchJobId }
  | { kind: "DTM_DEVICE_REGISTRATION"; id: DtmBatchJobId }
  /** A bare job id (a UUID, lower case): either product's. */
  | { kind: null; id: string };

/** The job id type of each product. */
export interface JobIdOf {
  IOT_ENROLLMENT: BatchJobId;
  DTM_DEVICE_REGISTRATION: DtmBatchJobId;
}

/**
 * Approves or rejects a PENDING_APPROVAL job of either product (DigiCert answers 204). Never resent: a failure that
 * may have reached DigiCert is outcome unknown. The request's copy of the job is dropped, so a field read after
 * this reads it again.
 */
export async function decideBatchJob<K extends BatchJobKind, D extends BatchDecision>(
  ctx: GatewayContext,
  kind: K,
  jobId: JobIdOf[K],
  decision: D,
): Promise<{ kind: D; jobId: JobIdOf[K] }> {
  if (kind === "IOT_ENROLLMENT") {
    await ctx.services.iot.decideBatchJob(jobId as BatchJobId, decision);
    ctx.loaders.iotBatchJob.clear(jobId as BatchJobId);
  } else {
    await ctx.services.dtm.decideBatchJob(jobId as DtmBatchJobId, decision);
    ctx.loaders.dtmBatchJob.clear(jobId as DtmBatchJobId);
  }
  return { kind: decision, jobId };
}

/**
 * The job through the request's loaders, from the product that runs it (`batchJobKind`). Null when neither product has
 * it; an error when no answer was found and a read failed.
 */
export async function loadBatchJob(ctx: GatewayContext, ref: JobRef): Promise<BatchJob | null> {
  const kind = await batchJobKind(ctx, ref);
  if (kind === "IOT_ENROLLMENT") return ctx.loaders.iotBatchJob.load(ref.id as BatchJobId);
  if (kind === "DTM_DEVICE_REGISTRATION") return ctx.loaders.dtmBatchJob.load(ref.id as DtmBatchJobId);
  return null;
}

/**
 * Which product runs the job: from the reference, from memory, or from one first read shared by every concurrent
 * caller (null: neither product has it). A job id belongs to one product for good, so what is kept never goes stale;
 * "not found" and failures are not kept.
 */
export function batchJobKind(ctx: GatewayContext, ref: JobRef): Promise<BatchJobKind | null> {
  if (ref.kind) return Promise.resolve(ref.kind);
  const { jobKinds, sharedJobKinds, tenantScope } = ctx.services;
  // Kept per tenant: another tenant's answer for the same id says nothing about this one's.
  const key = `${tenantScope}|${ref.id}`;
  let kind = jobKinds.get(key);
  if (!kind) {
    // Another instance's answer (shared store) first, else both products asked; a kind found is shared.
    const read = () =>
      loadEither(ctx, ref.id).then((job) => {
        if (job) sharedJobKinds?.set(key, job.kind);
        return job?.kind ?? null;
      });
    kind = sharedJobKinds ? sharedJobKinds.get(key).then((known) => known ?? read()) : read();
    jobKinds.set(key, kind);
    const forget = () => void (jobKinds.get(key) === kind && jobKinds.delete(key));
    kind.then((found) => found ?? forget(), forget);
  }
  return kind;
}

/** Both products asked at once; the one that has the job answers. */
async function loadEither(ctx: GatewayContext, id: string): Promise<BatchJob | null> {
  const answers = await Promise.allSettled([
    ctx.loaders.iotBatchJob.load(id as BatchJobId),
    ctx.loaders.dtmBatchJob.load(id as DtmBatchJobId),
  ]);
  for (const answer of answers) if (answer.status === "fulfilled" && answer.value) return answer.value;
  const failed = answers.find((answer) => answer.status === "rejected");
  if (failed) throw failed.reason;
  return null;
}

/**
 * One fresh read of a job, with no request and no loader: what the subscription poller uses, with the tenant's own
 * clients. Null when DigiCert has no such job for these credentials.
 */
export function readBatchJob(
  clients: { iot: IotClient; dtm: DtmClient },
  kind: BatchJobKind,
  id: string,
): Promise<BatchJob | null> {
  return kind === "IOT_ENROLLMENT"
    ? clients.iot.getBatchJob(id as BatchJobId)
    : clients.dtm.getBatchJob(id as DtmBatchJobId);
}
