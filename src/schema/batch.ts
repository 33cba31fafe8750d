import type { ObjectRef, ScalarRef } from "@pothos/core";
import { GraphQLError } from "graphql";
import { SCOPES } from "../auth/viewer.js";
import { iotBatchDownloadPath } from "../http/downloads.js";
import {
  InvalidCsrError,
  ProfileNotFoundError,
  RequestNotFoundError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import { BATCH_JOB_STATUSES, type BatchJob } from "../model/batch.js";
import {
  BATCH_CERTIFICATE_FORMATS,
  type BatchDownloadCertificate,
  type BatchJobId,
  type IotBatchJob,
  parseBatchJobId,
} from "../model/iot.js";
import {
  type BatchDecision,
  type BatchDownloadLink,
  batchDownloadLink,
  createIotBatchEnrollment,
  decideIotBatchJob,
  loadIotBatchJob,
  loadIotBatchJsonDownload,
} from "../resolvers/iot-batch.js";
import type { UploadedFile } from "../resolvers/uploads.js";
import type { GatewayContext } from "../context.js";
import { type DtmBatchJob, type DtmBatchJobId, parseDtmBatchJobId } from "../model/dtm.js";
import { type JobRef, loadBatchJob } from "../resolvers/batch-jobs.js";
import { loadDeviceRegistrationReport } from "../resolvers/dtm.js";
import { requireScope } from "./access.js";
import { decodeGlobalId } from "./global-id.js";
import { type BuilderTypes, builder, nodeTypeNames } from "./builder.js";
import { ChainCertificateRef } from "./certificate.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { IotKeyTypeEnum, PrivateKeySyntaxEnum } from "./iot.js";
import { X509Ref } from "./x509.js";

/*
 * Batch jobs. `BatchJob` is what every kind of job shows: IoT Trust Manager batch enrollment (here) and
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
    serialize: (value: unknown) => never;
    parseValue: (value: unknown) => UploadedFile;
    parseLiteral: () => never;
  },
) => ScalarRef<BuilderTypes, never, UploadedFile>;

export const FileRef = scalarType("File", {
  description:
    "An uploaded file (input only): a part of a multipart/form-data request, per the GraphQL multipart request spec.",
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
  values: BATCH_JOB_STATUSES,
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
    jobId: t.exposeString("id", { description: "DigiCert's id of the job (a UUID)." }),
    kind: t.field({ type: BatchJobKindEnum, resolve: (job) => job.kind }),
    name: t.exposeString("name", { nullable: true }),
    status: t.field({ type: BatchJobStatusEnum, resolve: (job) => job.status }),
    totalCount: t.exposeInt("total", { nullable: true, description: "Rows (or files) in the job." }),
    successCount: t.exposeInt("success", { nullable: true, description: "Certificates issued so far." }),
    failedCount: t.exposeInt("failed", { nullable: true, description: "Rows that failed so far." }),
    createdAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.createdAt }),
    updatedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.updatedAt }),
    completedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.completedAt }),
    report: t.field({
      type: BatchJobReportRef,
      description: "Why the job or its rows failed.",
      resolve: (job) => job,
    }),
  }),
});

// ---------------------------------------------------------------------------------------------
// IotBatchJob
// ---------------------------------------------------------------------------------------------

const BatchCertificateFormatEnum = builder.enumType("BatchCertificateFormat", {
  description:
    "JSON: read `certificates` and `chain` here (or the file). PEM / DER: a ZIP of files, or for server-side keys a P7M (CMS EnvelopedData for the encryption certificate) holding that ZIP and the keys.",
  values: BATCH_CERTIFICATE_FORMATS,
});

const IotBatchKeyGenerationEnum = builder.enumType("IotBatchKeyGeneration", {
  values: {
    CLIENT_SIDE: { description: "The data file carries CSRs (a csr column, or a ZIP of CSR files)." },
    SERVER_SIDE: { description: "DigiCert generates the keys and returns them encrypted." },
  } as const,
});

const IotBatchPrivateKeyFormatEnum = builder.enumType("IotBatchPrivateKeyFormat", {
  description: "The key files inside a server-side PEM or DER download.",
  values: ["PEM", "DER"] as const,
});

const IotBatchCertificateRef = builder.objectRef<BatchDownloadCertificate>("IotBatchCertificate").implement({
  description: "A certificate a JSON-format batch job issued.",
  authScopes: auth,
  fields: (t) => ({
    certificateId: t.exposeString("id", {
      description: "The device certificate's id in IoT Trust Manager (a UUID).",
    }),
    uniqueIdentifier: t.exposeString("uniqueIdentifier", {
      description: 'The input row or file it came from, e.g. "Line #0000001".',
    }),
    pem: t.exposeString("pem", { description: "The end-entity certificate, PEM." }),
    x509: t.field({
      type: X509Ref,
      description: "Parsed from `pem`; no upstream call.",
      resolve: (c, _args, ctx) => ctx.loaders.x509.load(c.pem),
    }),
    chain: t.field({
      type: [ChainCertificateRef],
      description: "The chain after this certificate, when the job asked for it with each certificate.",
      resolve: (c) => c.chain,
    }),
    privateKey: t.string({
      nullable: true,
      authScopes: { scope: SCOPES.generateKeys },
      description:
        "Server-side jobs only (null otherwise); needs scope keys:generate. Base64 of a DER CMS EnvelopedData for the job's encryption certificate, holding the key as PEM: `openssl smime -decrypt -binary -inform DER -inkey <key>` opens it. The gateway never decrypts, logs or caches it.",
      resolve: (c) => {
        const key = c.privateKey?.reveal();
        return key && "base64" in key ? key.base64 : null;
      },
    }),
  }),
});

const BatchJobDownloadRef = builder.objectRef<BatchDownloadLink>("BatchJobDownload").implement({
  description:
    "The job's file, fetched through the gateway (streamed from DigiCert): GET `url` with the same `Authorization` header as GraphQL.",
  authScopes: auth,
  fields: (t) => ({
    url: t.exposeString("url", {
      description: "The gateway's download route, relative to the GraphQL endpoint's origin.",
    }),
    contentType: t.exposeString("contentType", {
      description: "application/json, application/zip, or application/pkcs7-mime (server-side PEM/DER).",
    }),
    fileName: t.exposeString("fileName"),
  }),
});

export const IotBatchJobRef = builder.objectRef<IotBatchJob>("IotBatchJob");
nodeTypeNames.add("IotBatchJob");

builder.node(IotBatchJobRef, {
  description: "An IoT Trust Manager batch enrollment job.",
  interfaces: [BatchJobInterface],
  authScopes: auth,
  isTypeOf: (value) => (value as Partial<BatchJob> | null)?.kind === "IOT_ENROLLMENT",
  id: { resolve: (job) => job.id, parse: (id) => parseBatchJobId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.batchJobs);
    return loadIotBatchJob(ctx, id);
  },
  fields: (t) => ({
    enrollmentProfileId: t.exposeString("enrollmentProfileId", {
      nullable: true,
      description: "The IoT enrollment profile (IOT_<uuid>).",
    }),
    enrollmentProfileName: t.exposeString("enrollmentProfileName", { nullable: true }),
    keyGeneration: t.field({
      type: IotBatchKeyGenerationEnum,
      nullable: true,
      resolve: (job) => job.keyGeneration,
    }),
    certificateFormat: t.field({
      type: BatchCertificateFormatEnum,
      nullable: true,
      resolve: (job) => job.certificateFormat,
    }),
    includeFullChain: t.exposeBoolean("includeFullChain", {
      description: "Each certificate comes with its chain.",
    }),
    keyType: t.field({
      type: IotKeyTypeEnum,
      nullable: true,
      description: "Server-side jobs.",
      resolve: (job) => job.keyType,
    }),
    privateKeyFormat: t.field({
      type: IotBatchPrivateKeyFormatEnum,
      nullable: true,
      description: "Server-side jobs.",
      resolve: (job) => job.privateKeyFormat,
    }),
    fileName: t.exposeString("fileName", { nullable: true, description: "The uploaded file's name." }),
    approvedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.approvedAt }),
    rejectedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.rejectedAt }),
    startedAt: t.field({ type: "DateTime", nullable: true, resolve: (job) => job.startedAt }),
    certificates: t.field({
      type: [IotBatchCertificateRef],
      nullable: true,
      description:
        "A COMPLETE JSON-format job's certificates, parsed (one download per request, with `chain`); null for other jobs: use `download`.",
      resolve: async (job, _args, ctx) => (await loadIotBatchJsonDownload(ctx, job))?.certificates ?? null,
    }),
    chain: t.field({
      type: [ChainCertificateRef],
      nullable: true,
      description:
        "A COMPLETE JSON-format job's issuing chain, intermediate first: each certificate is signed by the next. Null for other jobs.",
      resolve: async (job, _args, ctx) => (await loadIotBatchJsonDownload(ctx, job))?.chain ?? null,
    }),
    download: t.field({
      type: BatchJobDownloadRef,
      nullable: true,
      description: "A COMPLETE job's file, in any format, through the gateway; null before then.",
      resolve: (job) => batchDownloadLink(job, (jobId) => iotBatchDownloadPath(jobId)),
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

interface JobIdOf {
  IOT_ENROLLMENT: BatchJobId;
  DTM_DEVICE_REGISTRATION: DtmBatchJobId;
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
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => loadBatchJob(ctx, parseJobRef(String(id))),
  }),
}));

const IotBatchServerSideKeyGenerationInput = builder.inputType("IotBatchServerSideKeyGenerationInput", {
  description: "DigiCert generates each row's key and returns it encrypted to `encryptionCertificate`.",
  fields: (t) => ({
    encryptionCertificate: t.string({
      required: true,
      description: "One PEM certificate with an RSA key, within its validity.",
    }),
    keyType: t.field({ type: IotKeyTypeEnum, description: "Absent: the profile's default." }),
    privateKeyFormat: t.field({
      type: IotBatchPrivateKeyFormatEnum,
      description: "The key files inside a PEM/DER download; default PEM.",
    }),
    privateKeySyntax: t.field({
      type: PrivateKeySyntaxEnum,
      description: "Default PKCS8; PKCS1 for RSA keys only.",
    }),
  }),
});

const CreateIotBatchEnrollmentInput = builder.inputType("CreateIotBatchEnrollmentInput", {
  fields: (t) => ({
    enrollmentProfileId: t.string({
      required: true,
      description: "An IoT enrollment profile that allows BATCH: IOT_ and a UUID.",
    }),
    keyGeneration: t.field({ type: IotBatchKeyGenerationEnum, required: true }),
    certificateFormat: t.field({ type: BatchCertificateFormatEnum, required: true }),
    includeFullChain: t.boolean({ description: "Put the chain with each certificate (default false)." }),
    file: t.field({
      type: FileRef,
      required: true,
      description:
        "CSV with a header row of enrollment-specification field ids or names (CLIENT_SIDE: with a csr column; SERVER_SIDE: without), or a ZIP of CSR files or of one CSV.",
    }),
    serverSideKeyGeneration: t.field({
      type: IotBatchServerSideKeyGenerationInput,
      description: "Required with SERVER_SIDE, refused with CLIENT_SIDE.",
    }),
  }),
});

type Created = { kind: "created"; job: IotBatchJob };
type Decided<K extends BatchDecision> = { kind: K; jobId: BatchJobId };

const IotBatchEnrollmentCreatedRef = builder.objectRef<Created>("IotBatchEnrollmentCreated").implement({
  description: "DigiCert accepted the file; the job runs in the background (poll `batchJob`).",
  authScopes: auth,
  fields: (t) => ({ job: t.field({ type: IotBatchJobRef, resolve: (r) => r.job }) }),
});

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
      jobId: t.string({ resolve: (r) => r.jobId }),
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

function decidedType<K extends BatchDecision>(name: string, description: string) {
  return jobOutcomeType<Decided<K>, BatchJobId, IotBatchJob>(
    name,
    description,
    IotBatchJobRef,
    loadIotBatchJob,
  );
}

const CreateResult = resultUnion<Created>(
  "CreateIotBatchEnrollmentResult",
  "The new job, or why not.",
  { created: IotBatchEnrollmentCreatedRef },
  [ValidationError, InvalidCsrError, ProfileNotFoundError, UpstreamOutcomeUnknownError, ...UPSTREAM_ERRORS],
);
const DECISION_ERRORS = [
  ValidationError,
  RequestNotFoundError,
  UpstreamOutcomeUnknownError,
  ...UPSTREAM_ERRORS,
];
const ApproveResult = resultUnion<Decided<"approve">>(
  "ApproveIotBatchJobResult",
  "The approved job, or why not (RequestNotFoundError: no such job; ValidationError: not PENDING_APPROVAL).",
  {
    approve: decidedType<"approve">("IotBatchJobApproved", "DigiCert accepted the approval; the job runs."),
  },
  DECISION_ERRORS,
);
const RejectResult = resultUnion<Decided<"reject">>(
  "RejectIotBatchJobResult",
  "The rejected job, or why not (RequestNotFoundError: no such job; ValidationError: not PENDING_APPROVAL).",
  {
    reject: decidedType<"reject">(
      "IotBatchJobRejected",
      "DigiCert accepted the rejection; nothing is issued.",
    ),
  },
  DECISION_ERRORS,
);

builder.mutationFields((t) => ({
  createIotBatchEnrollment: t.field({
    authScopes: auth,
    type: CreateResult.ref,
    description:
      "Creates an IoT batch enrollment job from a data file sent as a multipart upload (with the header x-graphql-csrf or Authorization). Checked before anything is sent: the profile id, the key generation fields, the encryption certificate, the CSV header, and the profile's rules. Never resent.",
    args: { input: t.arg({ type: CreateIotBatchEnrollmentInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      CreateResult.run(async () => ({
        kind: "created" as const,
        job: await createIotBatchEnrollment(ctx, {
          enrollmentProfileId: input.enrollmentProfileId,
          keyGeneration: input.keyGeneration,
          certificateFormat: input.certificateFormat,
          includeFullChain: input.includeFullChain ?? null,
          file: input.file,
          serverSideKeyGeneration: input.serverSideKeyGeneration ?? null,
        }),
      })),
  }),
  approveIotBatchJob: t.field({
    authScopes: auth,
    type: ApproveResult.ref,
    description: "Approves a PENDING_APPROVAL job. Never resent.",
    args: { id: t.arg.id({ required: true, description: "Global id or job id." }) },
    resolve: (_root, { id }, ctx) =>
      ApproveResult.run(() => decideIotBatchJob(ctx, parseJobIdOf(String(id), "IOT_ENROLLMENT"), "approve")),
  }),
  rejectIotBatchJob: t.field({
    authScopes: auth,
    type: RejectResult.ref,
    description: "Rejects a PENDING_APPROVAL job; nothing is issued. Never resent.",
    args: { id: t.arg.id({ required: true, description: "Global id or job id." }) },
    resolve: (_root, { id }, ctx) =>
      RejectResult.run(() => decideIotBatchJob(ctx, parseJobIdOf(String(id), "IOT_ENROLLMENT"), "reject")),
  }),
}));
