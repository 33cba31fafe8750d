import { SCOPES } from "../auth/viewer.js";
import type { GatewayContext } from "../context.js";
import type { BatchJob } from "../model/batch.js";
import { BatchJobNotFoundError, ValidationError } from "../model/errors.js";
import { jobKey } from "../subscriptions/job-key.js";
import { batchJobKind } from "../resolvers/batch-jobs.js";
import { JobNotFoundError } from "../subscriptions/job-watcher.js";
import { BatchJobInterface, parseJobRef } from "./batch.js";
import { builder } from "./builder.js";

/**
 * Batch job status over SSE and graphql-ws: the current state first, then each change, until a
 * terminal status, then completion. One upstream poller per job (per tenant) however many listen;
 * it stops when the last subscriber leaves.
 */
async function watchKeys(
  ctx: GatewayContext,
  ids: readonly string[],
): Promise<{ keys: string[]; byKey: Map<string, string> }> {
  const tenant = ctx.services.jobScope;
  if (tenant === null) {
    throw new ValidationError("id", "Job subscriptions are not available in pass-through mode.");
  }
  if (ids.length === 0 || ids.length > 50) throw new ValidationError("ids", "Watch 1 to 50 jobs at once.");
  const refs = ids.map((id) => ({ id, ref: parseJobRef(id) }));
  const byKey = new Map<string, string>();
  await Promise.all(
    refs.map(async ({ id, ref }) => {
      // A bare job id names no product: the job's first read says which (and that it exists).
      const kind = await batchJobKind(ctx, ref);
      if (!kind) throw new BatchJobNotFoundError(id);
      byKey.set(jobKey(tenant, kind, ref.id), id);
    }),
  );
  return { keys: [...byKey.keys()], byKey };
}

/** The watcher's not-found names the tenant in its key: callers get the job id they sent instead. */
function notFound(error: unknown, byKey: Map<string, string>): unknown {
  if (!(error instanceof JobNotFoundError)) return error;
  return new BatchJobNotFoundError(byKey.get(error.key) ?? "");
}

/**
 * Passes the watcher's iterator through, mapping its not-found error. A plain iterator, not an async
 * generator: a generator cannot act on return() while it awaits the next change, so a subscriber
 * leaving a quiet job would keep its poller alive.
 */
function stream<T>(iterator: AsyncIterableIterator<T>, byKey: Map<string, string>): AsyncIterableIterator<T> {
  const mapped: AsyncIterableIterator<T> = {
    next: () =>
      iterator.next().catch((error: unknown) => {
        throw notFound(error, byKey);
      }),
    return: (value?: unknown) =>
      iterator.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
    throw: (error?: unknown) => iterator.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}

builder.subscriptionFields((t) => ({
  batchJobStatusChanged: t.field({
    type: BatchJobInterface,
    authScopes: { scope: SCOPES.batchJobs },
    description:
      "One batch job's state now, then on every change until a terminal status (COMPLETE, FAILED, TERMINATED, REJECTED). One poller of DigiCert per job however many listen.",
    args: {
      id: t.arg.id({
        required: true,
        description: "The job's global id (`BatchJob.id`), or DigiCert's job id (`jobId`, a UUID).",
      }),
    },
    subscribe: async (_root, { id }, ctx) => {
      const { keys, byKey } = await watchKeys(ctx, [String(id)]);
      return stream(ctx.services.jobs.watch(keys[0]!), byKey);
    },
    resolve: (job: BatchJob) => job,
  }),
  batchJobsStatusChanged: t.field({
    type: BatchJobInterface,
    authScopes: { scope: SCOPES.batchJobs },
    description:
      "Several batch jobs (1 to 50): each one's state now, then its changes; completes when all have.",
    args: {
      ids: t.arg.idList({
        required: true,
        description: "1 to 50 jobs: each a global id (`BatchJob.id`) or DigiCert's job id (`jobId`, a UUID).",
      }),
    },
    subscribe: async (_root, { ids }, ctx) => {
      const { keys, byKey } = await watchKeys(ctx, ids.map(String));
      return stream(ctx.services.jobs.watchMany(keys), byKey);
    },
    resolve: (event: { job: BatchJob }) => event.job,
  }),
}));
