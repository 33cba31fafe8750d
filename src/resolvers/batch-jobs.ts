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
 * The job through the request's loaders; for a bare id both products are asked at once and the one that has it
 * answers. Null when neither has it; an error only when no answer was found and a read failed.
 */
export async function loadBatchJob(ctx: GatewayContext, ref: JobRef): Promise<BatchJob | null> {
  if (ref.kind === "IOT_ENROLLMENT") return loadIotBatchJob(ctx, ref.id);
  if (ref.kind === "DTM_DEVICE_REGISTRATION") return loadDtmBatchJob(ctx, ref.id);
  const answers = await Promise.allSettled([
    loadIotBatchJob(ctx, ref.id as BatchJobId),
    loadDtmBatchJob(ctx, ref.id as DtmBatchJobId),
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
