import type { ObjectRef, ScalarRef } from "@pothos/core";
import { GraphQLError } from "graphql";
import { SCOPES } from "../auth/viewer.js";
import type { GatewayContext } from "../context.js";
import { BATCH_JOB_STATUSES, type BatchJob } from "../model/batch.js";
import type { DtmBatchJob } from "../model/dtm/batch-job.js";
import { parseDtmBatchJobId } from "../model/dtm/ids.js";
import { RequestNotFoundError, UpstreamOutcomeUnknownError, ValidationError } from "../model/errors.js";
import { parseBatchJobId } from "../model/iot/ids.js";
import { decideBatchJob, type JobIdOf, type JobRef, loadBatchJob } from "../resolvers/batch-jobs.js";
import { loadDeviceRegistrationReport } from "../resolvers/dtm.js";
import type { UploadedFile } from "../resolvers/uploads.js";
import { decodeGlobalId } from "./global-id.js";
import { type BuilderTypes, builder, describedValues } from "./builder.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";

/*
 * Batch jobs. `BatchJob` is what every kind of job shows: IoT Trust Manager batch enrollment (./iot-batch-job.ts) and
 * Device Trust Manager batch registration (./dtm.ts). Both take their data file as a GraphQL multipart
 * upload (https://github.com/jaydenseric/graphql-multipart-request-spec), streamed to disk by
 * useStreamedUploads: the `File` scalar.
 *
 * Ids: job arguments take a job's global id (`BatchJob.id`, also readable with `node(id)`), which names
 * its product, or DigiCert's own job id (`jobId`, a UUID).
 */

const auth = { scope: SCOPES.batchJobs } as const;

// ---------------------------------------------------------------------------------------------
// File (input only)
// ---------------------------------------------------------------------------------------------

function notAFile(): GraphQLError {
  return new GraphQLError(
    "Not a valid File: send the file as a multipart request (GraphQL multipart request spec), mapped to this variable.",
    { extensions: { code: "BAD_USER_INPUT" } },
  );
}

function isUploadedFile(value: unknown): value is UploadedFile {
  const file = value as Partial<UploadedFile> | null;
  return (
    typeof file === "object" &&
    file !== null &&
    typeof file.name === "string" &&
    typeof file.size === "number" &&
    typeof file.stream === "function"
  );
}

// File is not in builder.ts's Scalars map (a shared file); the cast gives it the same typing that an
// entry `File: { Input: UploadedFile; Output: never }` there would.
const scalarType = builder.scalarType.bind(builder) as unknown as (
  name: "File",
  options: {
    description: string;
    specifiedByURL: string;
    serialize: (value: unknown) => never;
    parseValue: (value: unknown) => UploadedFile;
    parseLiteral: () => never;
  },
) => ScalarRef<BuilderTypes, never, UploadedFile>;

export const FileRef = scalarType("File", {
  description:
    "An uploaded file (input only): a part of a multipart/form-data request, per the GraphQL multipart request spec; send it with the header x-graphql-csrf (or Authorization). Streamed to a temporary file, never held in memory.",
  specifiedByURL: "https://github.com/jaydenseric/graphql-multipart-request-spec",
  serialize: () => {
    throw new GraphQLError("File is an input-only scalar.");
  },
  parseValue: (value) => {
    if (!isUploadedFile(value)) throw notAFile();
    return value;
  },
  parseLiteral: () => {
    throw notAFile();
  },
});

// ---------------------------------------------------------------------------------------------
// BatchJob
// ---------------------------------------------------------------------------------------------

export const BatchJobKindEnum = builder.enumType("BatchJobKind", {
  description: "Which product's job this is.",
  values: {
    IOT_ENROLLMENT: { description: "IoT Trust Manager batch enrollment." },
    DTM_DEVICE_REGISTRATION: { description: "Device Trust Manager batch device registration." },
  } as const,
});

export const BatchJobStatusEnum = builder.enumType("BatchJobStatus", {
  description:
    "IoT jobs: PENDING_APPROVAL (the profile needs approval) or APPROVED at creation, then IN_PROGRESS, then COMPLETE (at least one certificate issued; failed rows counted) or FAILED; REJECTED after rejection. Device Trust Manager jobs: PENDING, IN_PROGRESS, then COMPLETE or FAILED, or PENDING_APPROVAL after processing (approval policies) until approved (COMPLETE) or rejected (PENDING_REJECTION, REJECTION_IN_PROGRESS, REJECTED); TERMINATED if stopped. Terminal: COMPLETE, FAILED, TERMINATED, REJECTED. UNKNOWN: a status this gateway does not know.",
  values: describedValues(BATCH_JOB_STATUSES, {
    PENDING: "Device Trust Manager: accepted, not yet processing.",
    PENDING_APPROVAL:
      "Waiting for approveIotBatchJob / approveDeviceRegistrationBatch (IoT: before processing; Device Trust Manager: after).",
    APPROVED: "IoT: approved (or needing no approval), about to run.",
    IN_PROGRESS: "Processing its rows.",
    COMPLETE: "Done (IoT: at least one certificate issued; failed rows are counted). Terminal.",
    FAILED: "The whole job failed (report.failureReason says why). Terminal.",
    TERMINATED: "Device Trust Manager: stopped. Terminal.",
    PENDING_REJECTION: "Device Trust Manager: a rejection is queued.",
    REJECTION_IN_PROGRESS: "Device Trust Manager: the rejection is being carried out.",
    REJECTED: "Rejected: nothing was issued or registered. Terminal.",
    UNKNOWN: "A status DigiCert added since this gateway was written; the job's other fields stand.",
  }),
});

interface RowError {
  uniqueIdentifier: string;
  message: string;
}

const BatchJobRowErrorRef = builder.objectRef<RowError>("BatchJobRowError").implement({
  description: "One input row (or file) that failed.",
  fields: (t) => ({
    uniqueIdentifier: t.exposeString("uniqueIdentifier", {
      description: 'The row or file, e.g. "Line #0000002" or a CSR\'s file name.',
    }),
    message: t.exposeString("message", { description: "DigiCert's reason (job data)." }),
  }),
});

/** The shared fields' shape: IoT jobs carry their row errors; DTM jobs' come from their report. */
type AnyBatchJob = BatchJob & { failureReason?: string | null; rowErrors?: RowError[] };

/** Row errors of a Device Trust Manager job, from its report once processed (empty before then). */
async function reportRowErrors(ctx: GatewayContext, job: AnyBatchJob): Promise<RowError[]> {
  if (job.kind !== "DTM_DEVICE_REGISTRATION") return job.rowErrors ?? [];
  const report = await loadDeviceRegistrationReport(ctx, job as DtmBatchJob);
  return (report?.rows ?? [])
    .filter((row) => row.status === "FAILED")
    .map((row) => ({
      uniqueIdentifier: `Row ${row.row}${row.deviceName ? ` (${row.deviceName})` : ""}`,
      message: row.errorMessage ?? row.errorCode ?? "Failed.",
    }));
}

// The job itself: each field reads only what it needs (failureReason reads nothing more).
const BatchJobReportRef = builder.objectRef<AnyBatchJob>("BatchJobReport").implement({
  description: "What went wrong, as DigiCert reports it on the job.",
  fields: (t) => ({
    failureReason: t.string({
      nullable: true,
      description: "Why the whole job failed (FAILED jobs).",
      resolve: (job) => job.failureReason ?? null,
    }),
    rowErrors: t.field({
      type: [BatchJobRowErrorRef],
      nullable: true,
      description:
        "The failed rows. IoT jobs: those DigiCert lists on the job (the first 100 or so). Device Trust Manager jobs: from the job's report, once every row is processed (empty before then; null, with an error, when the report cannot be read).",
      resolve: (job, _args, ctx) => reportRowErrors(ctx, job),
    }),
  }),
});

export const BatchJobInterface = builder.interfaceRef<AnyBatchJob>("BatchJob").implement({
  description:
    "A job that works through many items in the background: IoT batch enrollment (IotBatchJob) or Device Trust Manager batch registration (DtmBatchJob).",
  interfaces: [builder.nodeInterfaceRef()],
  authScopes: auth,
  resolveType: (job) => (job.kind === "IOT_ENROLLMENT" ? "IotBatchJob" : "DtmBatchJob"),
  fields: (t) => ({
    jobId: t.exposeString("id", {
      description: "DigiCert's id of the job (a UUID); what job id arguments take besides `id`.",
    }),
    kind: t.field({
      type: BatchJobKindEnum,
      description: "Which product runs it.",
      resolve: (job) => job.kind,
    }),
    name: t.exposeString("name", { nullable: true, description: "The job's name; null when it has none." }),
    status: t.field({ type: BatchJobStatusEnum, description: "Where it is.", resolve: (job) => job.status }),
    totalCount: t.exposeInt("total", {
      nullable: true,
      description: "Rows (or files) in the job, as DigiCert counts them (`total`); null until DigiCert says.",
    }),
    successCount: t.exposeInt("success", {
      nullable: true,
      description: "Rows done so far (certificates issued, devices registered; DigiCert's `success`).",
    }),
    failedCount: t.exposeInt("failed", {
      nullable: true,
      description: "Rows that failed so far (DigiCert's `failed`).",
    }),
    createdAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it was created, as DigiCert reports it.",
      resolve: (job) => job.createdAt,
    }),
    updatedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it last changed, as DigiCert reports it.",
      resolve: (job) => job.updatedAt,
    }),
    completedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it reached a terminal status; null before then.",
      resolve: (job) => job.completedAt,
    }),
    report: t.field({
      type: BatchJobReportRef,
      description: "Why the job or its rows failed.",
      resolve: (job) => job,
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JOB_TYPES: Record<string, BatchJob["kind"]> = {
  IotBatchJob: "IOT_ENROLLMENT",
  DtmBatchJob: "DTM_DEVICE_REGISTRATION",
};

/**
 * A job's global id (which names its product), or DigiCert's bare job id (a UUID: either product's). The message
 * never repeats the input.
 */
export function parseJobRef(id: string, field = "id"): JobRef {
  if (UUID.test(id)) return { kind: null, id: id.toLowerCase() };
  const global = decodeGlobalId(id);
  const kind = global ? JOB_TYPES[global.typename] : undefined;
  if (!global || !kind) {
    throw new ValidationError(field, "Expected a batch job's global id, or its job id (a UUID).");
  }
  return kind === "IOT_ENROLLMENT"
    ? { kind, id: parseBatchJobId(global.id, field) }
    : { kind, id: parseDtmBatchJobId(global.id, field) };
}

/** A job id for an operation of one product: its global id, or a bare UUID. Another product's global id is refused. */
export function parseJobIdOf<K extends BatchJob["kind"]>(id: string, kind: K): JobIdOf[K] {
  const ref = parseJobRef(id);
  if (ref.kind !== null && ref.kind !== kind) {
    throw new ValidationError("id", "This is another product's batch job.");
  }
  return ref.id as JobIdOf[K];
}

// ---------------------------------------------------------------------------------------------
// Query and mutations
// ---------------------------------------------------------------------------------------------

builder.queryFields((t) => ({
  batchJob: t.field({
    type: BatchJobInterface,
    nullable: true,
    authScopes: auth,
    description:
      "A batch job of either product by its global id, or by DigiCert's job id (a UUID; both products are asked); null when DigiCert has none.",
    args: {
      id: t.arg.id({
        required: true,
        description:
          "The job's global id (`BatchJob.id`), or DigiCert's job id (`jobId`, a UUID); checked before any upstream call.",
      }),
    },
    resolve: (_root, { id }, ctx) => loadBatchJob(ctx, parseJobRef(String(id))),
  }),
}));

/**
 * A job mutation's success object: the job's id, and the job as DigiCert reports it now (read when selected).
 * Shared by both products' decisions (and Device Trust Manager's create).
 */
export function jobOutcomeType<T extends { kind: string; jobId: I }, I extends string, J extends object>(
  name: string,
  description: string,
  job: ObjectRef<BuilderTypes, J>,
  load: (ctx: GatewayContext, jobId: I) => Promise<J | null>,
) {
  return builder.objectRef<T>(name).implement({
    description,
    authScopes: auth,
    fields: (t) => ({
      jobId: t.string({ description: "DigiCert's id of the job (a UUID).", resolve: (r) => r.jobId }),
      job: t.field({
        type: job,
        nullable: true,
        description: "The job as DigiCert reports it now (read when selected).",
        // Pothos cannot resolve its list-or-object conditional type for a generic J.
        resolve: (r, _args, ctx) => load(ctx, r.jobId) as never,
      }),
    }),
  });
}

const DECISION_ERRORS = [
  ValidationError,
  RequestNotFoundError,
  UpstreamOutcomeUnknownError,
  ...UPSTREAM_ERRORS,
];

interface DecisionNames {
  /** The mutation field. */
  field: string;
  /** Its result union and success type. */
  result: string;
  success: string;
  successDescription: string;
  description: string;
}

/**
 * Approve and reject mutations for one product's jobs: the id read as that product's (a global id of another product
 * is refused), one upstream call, never resent, and the same typed errors for both products.
 */
export function decisionMutations<K extends BatchJob["kind"], J extends object>(options: {
  kind: K;
  job: ObjectRef<BuilderTypes, J>;
  load: (ctx: GatewayContext, jobId: JobIdOf[K]) => Promise<J | null>;
  approve: DecisionNames;
  reject: DecisionNames;
}): void {
  const results = (["approve", "reject"] as const).map((decision) => {
    const names = options[decision];
    type Decided = { kind: typeof decision; jobId: JobIdOf[K] };
    // One success member, keyed by this decision (the union's `kind`).
    const success = {
      [decision]: jobOutcomeType<Decided, JobIdOf[K], J>(
        names.success,
        names.successDescription,
        options.job,
        options.load,
      ),
    } as unknown as Record<Decided["kind"], { name: string }>;
    const result = resultUnion<Decided>(
      names.result,
      `The ${decision === "approve" ? "approved" : "rejected"} job, or why not (RequestNotFoundError: no such job; ValidationError: not PENDING_APPROVAL).`,
      success,
      DECISION_ERRORS,
    );
    return { decision, names, result };
  });
  builder.mutationFields((t) =>
    Object.fromEntries(
      results.map(({ decision, names, result }) => [
        names.field,
        t.field({
          authScopes: auth,
          type: result.ref,
          description: names.description,
          args: {
            id: t.arg.id({
              required: true,
              description:
                "The job's global id (`BatchJob.id`, of this product), or DigiCert's job id (`jobId`, a UUID); checked before any upstream call.",
            }),
          },
          resolve: (_root, { id }, ctx) =>
            result.run(() =>
              decideBatchJob(ctx, options.kind, parseJobIdOf(String(id), options.kind), decision),
            ),
        }),
      ]),
    ),
  );
}
