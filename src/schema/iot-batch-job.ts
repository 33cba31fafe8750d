import { SCOPES } from "../auth/viewer.js";
import { iotBatchDownloadPath } from "../http/downloads.js";
import type { BatchJob } from "../model/batch.js";
import {
  InvalidBatchFileError,
  InvalidCsrError,
  ProfileNotFoundError,
  UpstreamOutcomeUnknownError,
  ValidationError,
} from "../model/errors.js";
import { type BatchDownloadCertificate, type IotBatchJob } from "../model/iot/batch-job.js";
import { BATCH_CERTIFICATE_FORMATS } from "../model/iot/enums.js";
import { parseBatchJobId } from "../model/iot/ids.js";
import { readField, readPresent } from "../model/iot/list.js";
import {
  type BatchDownloadLink,
  batchDownloadLink,
  createIotBatchEnrollment,
  loadIotBatchJsonDownload,
} from "../resolvers/iot-batch.js";
import { requireScope } from "./access.js";
import { BatchJobInterface, decisionMutations, FileRef } from "./batch.js";
import { builder, describedValues, nodeTypeNames } from "./builder.js";
import { ChainCertificateRef } from "./certificate.js";
import { resultUnion, UPSTREAM_ERRORS } from "./errors.js";
import { enrollmentProfileIdOf, idArgDescription } from "./global-id.js";
import { IotKeyTypeEnum, PrivateKeySyntaxEnum } from "./iot.js";
import { X509Ref } from "./x509.js";

/*
 * IoT Trust Manager batch enrollment jobs (a `BatchJob`, ./batch.ts): the job, its certificates and download, and
 * the mutations that create, approve and reject one. The data file is a GraphQL multipart upload (the `File` scalar).
 */

const auth = { scope: SCOPES.batchJobs } as const;

const BatchCertificateFormatEnum = builder.enumType("BatchCertificateFormat", {
  description:
    "JSON: read `certificates` and `chain` here (or the file). PEM / DER: a ZIP of files, or for server-side keys a P7M (CMS EnvelopedData for the encryption certificate) holding that ZIP and the keys.",
  values: describedValues(BATCH_CERTIFICATE_FORMATS, {
    JSON: "One JSON file: read `certificates` and `chain` on the job, or download it.",
    PEM: "A ZIP of PEM files (server-side keys: a P7M holding that ZIP and the keys); download it.",
    DER: "A ZIP of DER files (server-side keys: a P7M holding that ZIP and the keys); download it.",
  }),
});

const IotBatchKeyGenerationEnum = builder.enumType("IotBatchKeyGeneration", {
  description: "Who generates the keys of a batch job.",
  values: {
    CLIENT_SIDE: { description: "The data file carries CSRs (a csr column, or a ZIP of CSR files)." },
    SERVER_SIDE: { description: "DigiCert generates the keys and returns them encrypted." },
  } as const,
});

const IotBatchPrivateKeyFormatEnum = builder.enumType("IotBatchPrivateKeyFormat", {
  description: "The key files inside a server-side PEM or DER download.",
  values: {
    PEM: { description: "PEM key files." },
    DER: { description: "DER key files." },
  } as const,
});

const UNREADABLE =
  "Null, with an UPSTREAM_INVALID_RESPONSE error, when DigiCert sent it in a form the gateway could not read (the job's other certificates stand).";

const IotBatchCertificateRef = builder.objectRef<BatchDownloadCertificate>("IotBatchCertificate").implement({
  description:
    "A certificate a JSON-format batch job issued: whatever of it could be read (one unreadable certificate never hides the others).",
  authScopes: auth,
  fields: (t) => ({
    certificateId: t.string({
      nullable: true,
      description: `The device certificate's id in IoT Trust Manager (a UUID). ${UNREADABLE}`,
      resolve: (c) => readField(c, "id"),
    }),
    uniqueIdentifier: t.string({
      nullable: true,
      description: `The input row or file it came from, e.g. "Line #0000001". ${UNREADABLE}`,
      resolve: (c) => readField(c, "uniqueIdentifier"),
    }),
    pem: t.string({
      nullable: true,
      description: `The end-entity certificate, PEM. ${UNREADABLE}`,
      resolve: (c) => readField(c, "pem"),
    }),
    x509: t.field({
      type: X509Ref,
      nullable: true,
      description:
        "Parsed from `pem`; no upstream call. Null, with an UPSTREAM_INVALID_RESPONSE error, when it does not parse: the job's other certificates stand.",
      resolve: (c, _args, ctx) => ctx.loaders.x509.load(readPresent(c, "pem")),
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
        const key = readField(c, "privateKey")?.reveal();
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
    fileName: t.exposeString("fileName", { description: "The file name the download is served under." }),
  }),
});

export const IotBatchJobRef = builder.objectRef<IotBatchJob>("IotBatchJob");
nodeTypeNames.add("IotBatchJob");

builder.node(IotBatchJobRef, {
  description:
    "An IoT Trust Manager batch enrollment job (GET /iot/api/v1/batch-enroll/{id}). Needs scope batch-jobs.",
  interfaces: [BatchJobInterface],
  authScopes: auth,
  isTypeOf: (value) => (value as Partial<BatchJob> | null)?.kind === "IOT_ENROLLMENT",
  id: { resolve: (job) => job.id, parse: (id) => parseBatchJobId(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.batchJobs);
    return ctx.loaders.iotBatchJob.load(id);
  },
  fields: (t) => ({
    enrollmentProfileId: t.exposeString("enrollmentProfileId", {
      nullable: true,
      description: "DigiCert's id of the IoT enrollment profile (IOT_<uuid>).",
    }),
    enrollmentProfileName: t.exposeString("enrollmentProfileName", {
      nullable: true,
      description: "That profile's name.",
    }),
    keyGeneration: t.field({
      type: IotBatchKeyGenerationEnum,
      nullable: true,
      description: "Who generates the keys; null when DigiCert does not say.",
      resolve: (job) => job.keyGeneration,
    }),
    certificateFormat: t.field({
      type: BatchCertificateFormatEnum,
      nullable: true,
      description: "The format of the job's download; null when DigiCert does not say.",
      resolve: (job) => job.certificateFormat,
    }),
    includeFullChain: t.exposeBoolean("includeFullChain", {
      description: "Each certificate comes with its chain.",
    }),
    keyType: t.field({
      type: IotKeyTypeEnum,
      nullable: true,
      description: "The generated keys' type (server-side jobs); null otherwise.",
      resolve: (job) => job.keyType,
    }),
    privateKeyFormat: t.field({
      type: IotBatchPrivateKeyFormatEnum,
      nullable: true,
      description: "The key files' format in the download (server-side jobs); null otherwise.",
      resolve: (job) => job.privateKeyFormat,
    }),
    fileName: t.exposeString("fileName", { nullable: true, description: "The uploaded file's name." }),
    approvedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it was approved; null unless it was.",
      resolve: (job) => job.approvedAt,
    }),
    rejectedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it was rejected; null unless it was.",
      resolve: (job) => job.rejectedAt,
    }),
    startedAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When DigiCert started processing it.",
      resolve: (job) => job.startedAt,
    }),
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
  description: "An IoT batch enrollment job (DigiCert's multipart POST /iot/api/v1/batch-enroll).",
  fields: (t) => ({
    enrollmentProfileId: t.id({
      required: true,
      description: `An IoT enrollment profile that allows BATCH. ${idArgDescription("EnrollmentProfile", "`profileId`, IOT_<uuid>")}`,
    }),
    keyGeneration: t.field({
      type: IotBatchKeyGenerationEnum,
      required: true,
      description: "Who generates the keys.",
    }),
    certificateFormat: t.field({
      type: BatchCertificateFormatEnum,
      required: true,
      description: "The format of the job's download.",
    }),
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

const IotBatchEnrollmentCreatedRef = builder.objectRef<Created>("IotBatchEnrollmentCreated").implement({
  description: "DigiCert accepted the file; the job runs in the background (poll `batchJob`).",
  authScopes: auth,
  fields: (t) => ({
    job: t.field({
      type: IotBatchJobRef,
      description: "The new job, as DigiCert created it.",
      resolve: (r) => r.job,
    }),
  }),
});

const CreateResult = resultUnion<Created>(
  "CreateIotBatchEnrollmentResult",
  "The new job, or why not. InvalidBatchFileError: the file was refused before anything was sent, naming rows and columns or ZIP entries.",
  { created: IotBatchEnrollmentCreatedRef },
  [
    ValidationError,
    InvalidBatchFileError,
    InvalidCsrError,
    ProfileNotFoundError,
    UpstreamOutcomeUnknownError,
    ...UPSTREAM_ERRORS,
  ],
);
builder.mutationFields((t) => ({
  createIotBatchEnrollment: t.field({
    authScopes: auth,
    type: CreateResult.ref,
    description:
      "Creates an IoT batch enrollment job from a data file sent as a multipart upload (with the header x-graphql-csrf or Authorization). Checked before anything is sent: the profile id, the key generation fields, the encryption certificate, the profile's rules, and the file (InvalidBatchFileError names its rows, columns or ZIP entries). Never resent.",
    args: {
      input: t.arg({
        type: CreateIotBatchEnrollmentInput,
        required: true,
        description: "The job and its file.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      CreateResult.run(async () => ({
        kind: "created" as const,
        job: await createIotBatchEnrollment(ctx, {
          enrollmentProfileId: enrollmentProfileIdOf(input.enrollmentProfileId, "input.enrollmentProfileId"),
          keyGeneration: input.keyGeneration,
          certificateFormat: input.certificateFormat,
          includeFullChain: input.includeFullChain ?? null,
          file: input.file,
          serverSideKeyGeneration: input.serverSideKeyGeneration ?? null,
        }),
      })),
  }),
}));

decisionMutations({
  kind: "IOT_ENROLLMENT",
  job: IotBatchJobRef,
  load: (ctx, jobId) => ctx.loaders.iotBatchJob.load(jobId),
  approve: {
    field: "approveIotBatchJob",
    result: "ApproveIotBatchJobResult",
    success: "IotBatchJobApproved",
    successDescription: "DigiCert accepted the approval; the job runs.",
    description: "Approves a PENDING_APPROVAL job. Never resent.",
  },
  reject: {
    field: "rejectIotBatchJob",
    result: "RejectIotBatchJobResult",
    success: "IotBatchJobRejected",
    successDescription: "DigiCert accepted the rejection; nothing is issued.",
    description: "Rejects a PENDING_APPROVAL job; nothing is issued. Never resent.",
  },
});
