import type { GatewayContext } from "../context.js";
import type { DtmClient } from "../datasources/dtm/client.js";
import type { IotClient } from "../datasources/iot/client.js";
import type { BatchJob, BatchJobKind } from "../model/batch.js";
import type { DtmBatchJobId } from "../model/dtm.js";
import type { BatchJobId } from "../model/iot.js";
import { loadDtmBatchJob, readDtmBatchJob } from "./dtm.js";
import { loadIotBatchJob, readIotBatchJob } from "./iot-batch.js";

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
 * The job through the request's loaders, from the product that runs it (`batchJobKind`). Null when neither product has
 * it; an error when no answer was found and a read failed.
 */
export async function loadBatchJob(ctx: GatewayContext, ref: JobRef): Promise<BatchJob | null> {
  const kind = await batchJobKind(ctx, ref);
  if (kind === "IOT_ENROLLMENT") return loadIotBatchJob(ctx, ref.id as BatchJobId);
  if (kind === "DTM_DEVICE_REGISTRATION") return loadDtmBatchJob(ctx, ref.id as DtmBatchJobId);
  return null;
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
  return `${ctx.tenantScope}|${id}`;
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
    ? readIotBatchJob(clients.iot, id as BatchJobId)
    : readDtmBatchJob(clients.dtm, id as DtmBatchJobId);
}
