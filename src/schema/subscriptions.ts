import { SCOPES } from "../auth/viewer.js";
import type { GatewayContext } from "../context.js";
import { RequestNotFoundError, ValidationError } from "../model/errors.js";
import type { IotBatchJob } from "../model/iot.js";
import { JobNotFoundError } from "../subscriptions/job-watcher.js";
import { BatchJobInterface, parseJobIdArgument } from "./batch.js";
import { builder } from "./builder.js";

/**
 * Batch job status over SSE and graphql-ws: the current state first, then each change, until a
 * terminal status, then completion. One upstream poller per job (per tenant) however many listen;
 * it stops when the last subscriber leaves.
 */
function watchKeys(
  ctx: GatewayContext,
  ids: readonly string[],
): { keys: string[]; byKey: Map<string, string> } {
  if (ctx.jobScope === null) {
    throw new ValidationError("id", "Job subscriptions are not available in pass-through mode.");
  }
  if (ids.length === 0 || ids.length > 50) throw new ValidationError("ids", "Watch 1 to 50 jobs at once.");
  const byKey = new Map<string, string>();
  for (const id of ids) byKey.set(`${ctx.jobScope}|${parseJobIdArgument(id)}`, id);
  return { keys: [...byKey.keys()], byKey };
}

/** The watcher's not-found names the tenant in its key: callers get the job id they sent instead. */
function notFound(error: unknown, byKey: Map<string, string>): unknown {
  return error instanceof JobNotFoundError ? new RequestNotFoundError(byKey.get(error.key) ?? "") : error;
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
    description: "One batch job's state now, then on every change until it completes, fails or is rejected.",
    args: { id: t.arg.id({ required: true, description: "The job's global id, or DigiCert's job id." }) },
    subscribe: (_root, { id }, ctx) => {
      const { keys, byKey } = watchKeys(ctx, [String(id)]);
      return stream(ctx.jobs.watch(keys[0]!), byKey);
    },
    resolve: (job: IotBatchJob) => job,
  }),
  batchJobsStatusChanged: t.field({
    type: BatchJobInterface,
    authScopes: { scope: SCOPES.batchJobs },
    description:
      "Several batch jobs (1 to 50): each one's state now, then its changes; completes when all have.",
    args: { ids: t.arg.idList({ required: true }) },
    subscribe: (_root, { ids }, ctx) => {
      const { keys, byKey } = watchKeys(ctx, ids.map(String));
      return stream(ctx.jobs.watchMany(keys), byKey);
    },
    resolve: (event: { job: IotBatchJob }) => event.job,
  }),
}));
