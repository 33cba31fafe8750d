/**
 * IoT batch enrollment use cases (GraphQL-free): create a job from an uploaded data file, and read its JSON
 * download and file link (approve and reject: ./batch-jobs.ts; reads: the loaders). Everything the gateway can
 * check is checked before the upload is sent; creating is never resent.
 *
 * Layer: may import context, loaders, stores, datasources (types), model and batch-file; never schema.
 */
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
import { chunksOf, type UploadedFile, uploadName } from "./uploads.js";

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

export async function createIotBatchEnrollment(
  ctx: GatewayContext,
  input: CreateIotBatchEnrollmentInput,
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
  await checkDataFile(input.file, serverSide);
  const profile = await ctx.loaders.enrollmentProfile.load(enrollmentProfileId);
  if (!profile) throw new ProfileNotFoundError(enrollmentProfileId);
  checkBatchAgainstProfile(model, profile);

  const file: BatchUploadFile = {
    name: uploadName(input.file.name),
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
// The data file: checked as far as its first line, before anything is sent
// ---------------------------------------------------------------------------------------------

/** Enough to hold a header row (and see whether a row follows); the file itself is in memory already. */
const HEAD_BYTES = 64 * 1024;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * A ZIP (of CSR files, or holding one CSV) is passed on as it is. A CSV needs a header row, a `csr`
 * column for client-side keys (and none for server-side keys), and at least one row. The rest of the
 * file (each row, each CSR) is DigiCert's to judge: it reports bad rows on the job.
 */
async function checkDataFile(file: UploadedFile, serverSide: boolean): Promise<void> {
  if (file.size === 0) throw new ValidationError("input.file", "The data file is empty.");
  const head = await readHead(file, HEAD_BYTES);
  if (ZIP_MAGIC.every((byte, i) => head[i] === byte)) return;
  if (head.includes(0)) {
    throw new ValidationError("input.file", "Expected a CSV file, or a ZIP of CSR files or of one CSV.");
  }
  const text = Buffer.from(head)
    .toString("utf8")
    .replace(/^\uFEFF/, "");
  const end = text.search(/\r?\n/);
  if (end === -1 && file.size > HEAD_BYTES) {
    throw new ValidationError("input.file", "The CSV's header row is too long.");
  }
  const header = (end === -1 ? text : text.slice(0, end)).split(",").map((cell) =>
    cell
      .trim()
      .replace(/^"(.*)"$/s, "$1")
      .trim()
      .toLowerCase(),
  );
  if (header.every((cell) => cell === "")) {
    throw new ValidationError("input.file", "The CSV has no header row.");
  }
  const hasCsr = header.includes("csr");
  if (!serverSide && !hasCsr) {
    throw new ValidationError(
      "input.file",
      "A client-side batch CSV needs a csr column (one PEM CSR per row); or upload a ZIP of CSR files.",
    );
  }
  if (serverSide && hasCsr) {
    throw new ValidationError(
      "input.file",
      "A server-side batch CSV has no csr column: DigiCert ONE generates the keys.",
    );
  }
  const rows = end === -1 ? "" : text.slice(end).trim();
  if (rows === "" && file.size <= HEAD_BYTES) {
    throw new ValidationError("input.file", "The CSV has a header row and no rows.");
  }
}

async function readHead(file: UploadedFile, max: number): Promise<Uint8Array> {
  const reader = file.stream().getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max);
}
