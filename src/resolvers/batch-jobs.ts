import type { GatewayContext } from "../context.js";
import type { DtmClient } from "../datasources/dtm/client.js";
import type { IotClient } from "../datasources/iot/client.js";
import type { BatchJob, BatchJobKind } from "../model/batch.js";
import { type DtmBatchJobId, toDtmBatchJob, toDtmDomainError } from "../model/dtm.js";
import { type BatchJobId, toIotBatchJob, toIotDomainError } from "../model/iot.js";
import { loadDtmBatchJob } from "./dtm.js";
import { loadIotBatchJob } from "./iot-batch.js";

/**
 * Batch jobs of either product, read by a reference that may or may not say which product runs the job (a global id
 * does; DigiCert's bare job id does not).
 */
export type JobRef =
  | { kind: "IOT_ENROLLMENT"; id: BatchJobId }
  | { kind: "DTM_DEVICE_REGISTRATION"; id: DtmBatchJobId }
  /** A bare job id (a UUID, lower case): either product's. */
  | { kind: null; id: string };

/**
 * The job through the request's loaders. A bare id is read from the product remembered for it (`ctx.jobKinds`), else
 * from both at once. Null when neither has it; an error only when no answer was found and a read failed.
 */
export async function loadBatchJob(ctx: GatewayContext, ref: JobRef): Promise<BatchJob | null> {
  // A failed lookup by another request is not this one's failure: it reads both products instead.
  const kind = ref.kind ?? (await ctx.jobKinds.get(kindKey(ctx, ref.id))?.catch(() => null)) ?? null;
  if (kind === "IOT_ENROLLMENT") return loadIotBatchJob(ctx, ref.id as BatchJobId);
  if (kind === "DTM_DEVICE_REGISTRATION") return loadDtmBatchJob(ctx, ref.id as DtmBatchJobId);
  const job = await loadEither(ctx, ref.id);
  if (job) ctx.jobKinds.set(kindKey(ctx, ref.id), Promise.resolve(job.kind));
  return job;
}

/**
 * Which product runs the job: from the reference, from memory, or from one first read shared by every concurrent
 * caller (null: neither product has it). A job id belongs to one product for good, so what is kept never goes stale;
 * "not found" and failures are not kept.
 */
export function batchJobKind(ctx: GatewayContext, ref: JobRef): Promise<BatchJobKind | null> {
  if (ref.kind) return Promise.resolve(ref.kind);
  const key = kindKey(ctx, ref.id);
  let kind = ctx.jobKinds.get(key);
  if (!kind) {
    kind = loadEither(ctx, ref.id).then((job) => job?.kind ?? null);
    ctx.jobKinds.set(key, kind);
    const forget = () => void (ctx.jobKinds.get(key) === kind && ctx.jobKinds.delete(key));
    kind.then((found) => found ?? forget(), forget);
  }
  return kind;
}

/** Both products asked at once; the one that has the job answers. */
async function loadEither(ctx: GatewayContext, id: string): Promise<BatchJob | null> {
  const answers = await Promise.allSettled([
    loadIotBatchJob(ctx, id as BatchJobId),
    loadDtmBatchJob(ctx, id as DtmBatchJobId),
  ]);
  for (const answer of answers) if (answer.status === "fulfilled" && answer.value) return answer.value;
  const failed = answers.find((answer) => answer.status === "rejected");
  if (failed) throw failed.reason;
  return null;
}

/** Kept per tenant: another tenant's answer for the same id says nothing about this one's. */
function kindKey(ctx: GatewayContext, id: string): string {
  return `${ctx.idempotencyScope}|${id}`;
}

/**
 * One fresh read of a job, with no request and no loader: what the subscription poller uses, with the tenant's own
 * clients. Null when DigiCert has no such job for these credentials.
 */
export async function readBatchJob(
  clients: { iot: IotClient; dtm: DtmClient },
  kind: BatchJobKind,
  id: string,
): Promise<BatchJob | null> {
  if (kind === "IOT_ENROLLMENT") {
    try {
      const wire = await clients.iot.getBatchJob(id as BatchJobId);
      return wire ? toIotBatchJob(wire) : null;
    } catch (error) {
      throw toIotDomainError(error, { idempotent: true, operation: "read", jobId: id });
    }
  }
  try {
    const wire = await clients.dtm.getBatchJob(id as DtmBatchJobId);
    return wire ? toDtmBatchJob(wire) : null;
  } catch (error) {
    throw toDtmDomainError(error, { idempotent: true, operation: "read", jobId: id });
  }
}
