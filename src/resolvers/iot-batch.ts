/**
 * IoT batch enrollment use cases (GraphQL-free): create a job from an uploaded data file, and read its JSON
 * download and file link (approve and reject: ./batch-jobs.ts; reads: the loaders). Everything the gateway can
 * check is checked before the upload is sent; creating is never resent.
 *
 * Layer: may import context, loaders, stores, datasources (types), model and batch-file; never schema.
 */
import { BATCH_FILE_LIMITS, type BatchFileRules } from "../batch-file/check.js";
import type { GatewayContext } from "../context.js";
import type { BatchUploadFile } from "../datasources/iot/client.js";
import { ProfileNotFoundError, ValidationError } from "../model/errors.js";
import {
  checkBatchAgainstProfile,
  type BatchServerSideKeyGenerationInput,
  type IotBatchDownload,
  type IotBatchEnrollmentInput,
  type IotBatchJob,
  toWireBatchEnrollment,
} from "../model/iot/batch-job.js";
import type { BatchCertificateFormat, KeyGeneration } from "../model/iot/enums.js";
import { parseIotProfileId } from "../model/iot/ids.js";
import type { EnrollmentField } from "../model/iot/profile.js";
import {
  arrivedWhole,
  checkUploadedFile,
  chunksOf,
  isEmptyUpload,
  type UploadedFile,
  uploadName,
} from "./uploads.js";

export interface CreateIotBatchEnrollmentInput {
  enrollmentProfileId: string;
  keyGeneration: KeyGeneration;
  certificateFormat: BatchCertificateFormat;
  includeFullChain?: boolean | null;
  file: UploadedFile;
  /** Required with SERVER_SIDE, refused with CLIENT_SIDE. */
  serverSideKeyGeneration?: BatchServerSideKeyGenerationInput | null;
}

const KEYGEN = "input.serverSideKeyGeneration";

/** The caps of a batch data file (BATCH_FILE_LIMITS unless a test says otherwise). */
export type BatchFileLimits = Omit<BatchFileRules, "requiredColumns" | "serverSideKeyGeneration">;

/**
 * Creates an IoT batch enrollment job. Checked before the upload: the key generation fields and the encryption
 * certificate, the profile's rules (BATCH, key generation, key type), then the whole file, streamed as it arrives:
 * the CSV header against the profile's enrollment specification, each row, each CSR's signature (on worker threads),
 * cells a spreadsheet would run as a formula; a ZIP's entries (only regular files, no nested archive, one CSV or CSR
 * files). Nothing is sent before all of the file has arrived and passed, and nothing when anything fails
 * (InvalidBatchFileError names the rows, columns and entries). The upload is never resent.
 */
export async function createIotBatchEnrollment(
  ctx: GatewayContext,
  input: CreateIotBatchEnrollmentInput,
  limits: BatchFileLimits = BATCH_FILE_LIMITS,
): Promise<IotBatchJob> {
  const enrollmentProfileId = parseIotProfileId(input.enrollmentProfileId, "input.enrollmentProfileId");
  const serverSide = input.keyGeneration === "SERVER_SIDE";
  const keygen = input.serverSideKeyGeneration ?? null;
  if (serverSide && keygen === null) {
    throw new ValidationError(
      KEYGEN,
      "SERVER_SIDE key generation needs serverSideKeyGeneration with an encryption certificate.",
    );
  }
  if (!serverSide && keygen !== null) {
    throw new ValidationError(KEYGEN, "Only SERVER_SIDE key generation takes serverSideKeyGeneration.");
  }
  const model: IotBatchEnrollmentInput = {
    enrollmentProfileId,
    certificateFormat: input.certificateFormat,
    includeFullChain: input.includeFullChain ?? null,
    serverSideKeyGeneration: keygen,
  };
  const fields = await toWireBatchEnrollment(model, ctx.now);
  // Before any upstream read: an empty or oversized file is refused first (see createDeviceRegistrationBatch).
  if ((await isEmptyUpload(input.file)) || input.file.size > limits.maxBytes) {
    await checkUploadedFile(ctx, input.file, {
      ...limits,
      requiredColumns: [],
      serverSideKeyGeneration: serverSide,
    });
  }
  const profile = await ctx.loaders.enrollmentProfile.load(enrollmentProfileId);
  if (!profile) throw new ProfileNotFoundError(enrollmentProfileId);
  checkBatchAgainstProfile(model, profile);
  const specification = profile.fields ?? (await ctx.services.iot.getEnrollmentSpecification(profile.id));
  const { format } = await checkUploadedFile(
    ctx,
    input.file,
    iotBatchFileRules(specification, serverSide, limits),
  );
  // Checked whole, so all of it is here; nothing is sent before that.
  await arrivedWhole(input.file);

  const file: BatchUploadFile = {
    // Named for what the file is (a CSV or a ZIP), whatever it was called, as for DTM.
    name: `${uploadName(input.file.name).replace(/\.[^.]*$/, "")}.${format.toLowerCase()}`,
    stream: chunksOf(input.file),
    size: input.file.size,
    ...(input.file.type ? { contentType: input.file.type } : {}),
  };
  const job = await ctx.services.iot.createBatchEnrollment({ fields, file });
  ctx.loaders.iotBatchJob.prime(job.id, job);
  return job;
}

/**
 * The parsed JSON download of a COMPLETE job whose certificate format is JSON, or null for any other
 * job (other formats are files: see `batchDownloadLink`). Read once per request however many fields use it.
 */
export async function loadIotBatchJsonDownload(
  ctx: GatewayContext,
  job: IotBatchJob,
): Promise<IotBatchDownload | null> {
  if (job.status !== "COMPLETE" || job.certificateFormat !== "JSON") return null;
  return ctx.loaders.iotBatchDownload.load(job.id);
}

export interface BatchDownloadLink {
  /** The gateway's own route, relative to the GraphQL endpoint's origin. */
  url: string;
  /** What DigiCert sends for this job: JSON, a ZIP, or an encrypted P7M. */
  contentType: string;
  fileName: string;
}

/** Where to fetch a COMPLETE job's file through the gateway; null before then. */
export function batchDownloadLink(
  job: IotBatchJob,
  downloadPath: (jobId: string) => string,
): BatchDownloadLink | null {
  if (job.status !== "COMPLETE") return null;
  const contentType =
    job.certificateFormat === "JSON"
      ? "application/json"
      : job.keyGeneration === "SERVER_SIDE"
        ? "application/pkcs7-mime"
        : "application/zip";
  return { url: downloadPath(job.id), contentType, fileName: `${job.id}.${extensionFor(contentType)}` };
}

/** A fixed file extension per download content type. */
export function extensionFor(contentType: string): string {
  switch (contentType) {
    case "application/json":
      return "json";
    case "application/zip":
      return "zip";
    case "application/pkcs7-mime":
      return "p7m";
    case "application/pgp-encrypted":
      return "pgp";
    default:
      return "bin";
  }
}

// ---------------------------------------------------------------------------------------------
// The data file's rules
// ---------------------------------------------------------------------------------------------

/**
 * What an IoT batch file is checked against: its header names enrollment-specification fields by id or by name
 * (case-insensitive, as DigiCert reads them), a multi-valued field may repeat, any other column is refused. A
 * client-side CSV needs a csr column (one PEM CSR per row), a server-side one must not have it; a ZIP holds one CSV,
 * or (client-side) CSR files [C: digicert-api.md 2.5]. Required fields are not required columns: a CSR (or a ZIP of
 * CSR files) may supply the subject, and DigiCert reports a row that lacks one.
 */
export function iotBatchFileRules(
  fields: readonly EnrollmentField[],
  serverSide: boolean,
  limits: BatchFileLimits = BATCH_FILE_LIMITS,
): BatchFileRules {
  const aliases = new Map<string, string>();
  for (const field of fields) {
    const id = field.id.toLowerCase();
    const name = field.name.toLowerCase();
    // A field's name never hides another field's id, nor the csr column; of two fields with one name, the first
    // has it (as DigiCert's simulator reads a header).
    if (
      name !== id &&
      name !== "csr" &&
      !aliases.has(name) &&
      !fields.some((other) => other.id.toLowerCase() === name)
    ) {
      aliases.set(name, id);
    }
  }
  return {
    ...limits,
    requiredColumns: serverSide ? [] : ["csr"],
    knownColumns: fields.map((field) => field.id.toLowerCase()),
    multipleColumns: new Set(fields.filter((field) => field.multiple).map((field) => field.id.toLowerCase())),
    aliases,
    serverSideKeyGeneration: serverSide,
  };
}
