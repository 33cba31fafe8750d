import type { SerialNumber } from "../../model/ids.js";
import type { BatchJobId, DeviceCertificateId, IotProfileId } from "../../model/iot.js";
import {
  type BatchUploadFile,
  header,
  multipart,
  multipartUpload,
  nullWhenHidden,
  type Part,
  readJson,
  safeFileName,
  streamThrough,
} from "../parts.js";

export type { BatchUploadFile };
import {
  type UpstreamRawBody,
  type UpstreamRequest,
  type UpstreamResponse,
  type UpstreamStreamRequest,
  type UpstreamStreamResponse,
  upstreamPath,
} from "../http.js";

export type { UpstreamRawBody, UpstreamStreamRequest, UpstreamStreamResponse };
import type {
  WireBatchDownload,
  WireBatchEnrollmentFields,
  WireBatchJob,
  WireDeviceCertificate,
  WireEnrollmentProfile,
  WireEnrollmentSpecification,
  WireIotCertificateFilter,
  WireIotEnrollmentRequest,
  WireIotEnrollmentResponse,
  WireIotPage,
  WireIotRenewRequest,
  WireIotRevocationReason,
} from "./wire.js";

/** A request body sent as is (not JSON-encoded), e.g. multipart/form-data. */

/**
 * What IotClient needs from the upstream: `UpstreamClient.request`, and for multipart uploads and
 * file downloads a `stream` with the contract above (not buffered, no body-size cap on 2xx).
 */
export interface IotUpstream {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  stream?(req: UpstreamStreamRequest): Promise<UpstreamStreamResponse>;
}

/** A batch enrollment as multipart parts: validated text fields (see `toWireBatchEnrollment`) and the file. */
export interface IotBatchUpload {
  fields: WireBatchEnrollmentFields;
  file: BatchUploadFile;
}

/** A batch download as DigiCert sends it: JSON, a ZIP, or an encrypted P7M/PGP file. */
export interface IotDownload {
  /** One of DOWNLOAD_CONTENT_TYPES, else `application/octet-stream`. */
  contentType: string;
  /** Bytes, when DigiCert sent a Content-Length. */
  contentLength: number | null;
  /** The file name from Content-Disposition, reduced to [A-Za-z0-9._-], or null. */
  fileName: string | null;
  /** Headers safe to forward: content-type, and content-length / content-disposition when known. */
  headers: Record<string, string>;
  /** Unread; consume it or end it early with `return()`, or the connection stays busy. */
  body: AsyncIterable<Uint8Array>;
}

export const DOWNLOAD_CONTENT_TYPES = [
  "application/json",
  "application/zip",
  "application/pkcs7-mime",
  "application/pgp-encrypted",
] as const;

/** The job JSON after a batch upload is small (at most 100 row errors); read at most this much. */
const MAX_JOB_JSON_BYTES = 1024 * 1024;

/**
 * IoT Trust Manager (`/iot/api/v1`). One method per REST call, returning DigiCert's JSON as sent;
 * mapping to domain objects is the model's job (src/model/iot.ts). Identifiers arrive validated (branded).
 * Contract: reads whose "absent" answer is normal return null (profile, certificate, batch job: 403, 404);
 * every other non-2xx throws `UpstreamHttpError`. Calls that issue, revoke or decide are never resent
 * once they may have reached DigiCert.
 */
export class IotClient {
  constructor(private readonly http: IotUpstream) {}

  async listEnrollmentProfiles(offset: number, limit: number): Promise<WireIotPage<WireEnrollmentProfile>> {
    const res = await this.http.request({
      operation: "iot.listEnrollmentProfiles",
      method: "GET",
      path: upstreamPath`/iot/api/v1/enrollment-profile`,
      query: { offset, limit },
    });
    return res.json as WireIotPage<WireEnrollmentProfile>;
  }

  async getEnrollmentProfile(id: IotProfileId): Promise<WireEnrollmentProfile | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "iot.getEnrollmentProfile",
        method: "GET",
        path: upstreamPath`/iot/api/v1/enrollment-profile/${id}`,
      });
      return res.json as WireEnrollmentProfile;
    });
  }

  async getEnrollmentSpecification(id: IotProfileId): Promise<WireEnrollmentSpecification> {
    const res = await this.http.request({
      operation: "iot.getEnrollmentSpecification",
      method: "GET",
      path: upstreamPath`/iot/api/v1/enrollment-profile/${id}/enrollment-specification`,
    });
    return res.json as WireEnrollmentSpecification;
  }

  /** Not idempotent: issues a certificate (and may generate its key). Never resent. */
  async enrollCertificate(body: WireIotEnrollmentRequest): Promise<WireIotEnrollmentResponse> {
    const res = await this.http.request({
      operation: "iot.enrollCertificate",
      method: "POST",
      idempotent: false,
      path: upstreamPath`/iot/api/v1/certificate`,
      body,
    });
    return res.json as WireIotEnrollmentResponse;
  }

  /** Not idempotent: issues a certificate. Never resent. POST, as the newer docs say (the older page: PUT). */
  async renewCertificate(
    ref: DeviceCertificateId | SerialNumber,
    body: WireIotRenewRequest,
  ): Promise<WireIotEnrollmentResponse> {
    const res = await this.http.request({
      operation: "iot.renewCertificate",
      method: "POST",
      idempotent: false,
      path: upstreamPath`/iot/api/v1/certificate/${ref}/renew`,
      body,
    });
    return res.json as WireIotEnrollmentResponse;
  }

  /** 204. Not idempotent: a second revoke is a 400. */
  async revokeCertificate(
    ref: DeviceCertificateId | SerialNumber,
    reason: WireIotRevocationReason,
  ): Promise<void> {
    await this.http.request({
      operation: "iot.revokeCertificate",
      method: "PUT",
      idempotent: false,
      path: upstreamPath`/iot/api/v1/certificate/${ref}/revoke`,
      body: { reason },
    });
  }

  async listCertificates(
    filter: WireIotCertificateFilter,
    offset: number,
    limit: number,
  ): Promise<WireIotPage<WireDeviceCertificate>> {
    const res = await this.http.request({
      operation: "iot.listCertificates",
      method: "GET",
      path: upstreamPath`/iot/api/v1/certificate`,
      query: { ...filter, offset, limit },
    });
    return res.json as WireIotPage<WireDeviceCertificate>;
  }

  /** By certificate id or serial number. 403 (another tenant's certificate) reads as absent too. */
  async getCertificate(ref: DeviceCertificateId | SerialNumber): Promise<WireDeviceCertificate | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "iot.getCertificate",
        method: "GET",
        path: upstreamPath`/iot/api/v1/certificate/${ref}`,
      });
      return res.json as WireDeviceCertificate;
    });
  }

  /**
   * POST /batch-enroll as multipart/form-data [I: path chosen by the simulator, see
   * simulator/NOTES-iot-batch-paths.md]. The file is streamed through, never buffered. Not idempotent.
   */
  async createBatchEnrollment(upload: IotBatchUpload | FormData): Promise<WireBatchJob> {
    const multipart =
      upload instanceof FormData ? multipartFromFormData(upload) : multipartFromUpload(upload);
    const operation = "iot.createBatchEnrollment";
    const res = await streamThrough(this.http, {
      operation,
      method: "POST",
      idempotent: false,
      path: upstreamPath`/iot/api/v1/batch-enroll`,
      body: multipart,
    });
    return (await readJson(res.body, MAX_JOB_JSON_BYTES, operation)) as WireBatchJob;
  }

  /** GET /batch-enroll/{job_id} [I: path chosen by the simulator]. */
  async getBatchJob(id: BatchJobId): Promise<WireBatchJob | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "iot.getBatchJob",
        method: "GET",
        path: upstreamPath`/iot/api/v1/batch-enroll/${id}`,
      });
      return res.json as WireBatchJob;
    });
  }

  /** 204; only a PENDING_APPROVAL job can be approved (else 400). */
  async approveBatchJob(id: BatchJobId): Promise<void> {
    await this.http.request({
      operation: "iot.approveBatchJob",
      method: "PUT",
      idempotent: false,
      path: upstreamPath`/iot/api/v1/batch-enroll/${id}/approve`,
    });
  }

  /** 204; only a PENDING_APPROVAL job can be rejected (else 400). */
  async rejectBatchJob(id: BatchJobId): Promise<void> {
    await this.http.request({
      operation: "iot.rejectBatchJob",
      method: "PUT",
      idempotent: false,
      path: upstreamPath`/iot/api/v1/batch-enroll/${id}/reject`,
    });
  }

  /**
   * The download of a COMPLETE job whose certificate_format is json, parsed. Buffered, so bounded by
   * the client's `maxResponseBytes`; `downloadBatchCertificates` streams any format.
   */
  async downloadBatchCertificatesJson(id: BatchJobId): Promise<WireBatchDownload> {
    const res = await this.http.request({
      operation: "iot.downloadBatchCertificates",
      method: "GET",
      path: upstreamPath`/iot/api/v1/batch-enroll/${id}/download-certificates`,
    });
    return res.json as WireBatchDownload;
  }

  /** The download of a COMPLETE job as DigiCert sends it (JSON, ZIP or P7M), streamed. */
  async downloadBatchCertificates(id: BatchJobId): Promise<IotDownload> {
    const res = await streamThrough(this.http, {
      operation: "iot.downloadBatchCertificates",
      method: "GET",
      path: upstreamPath`/iot/api/v1/batch-enroll/${id}/download-certificates`,
      accept: `${DOWNLOAD_CONTENT_TYPES.join(", ")}, */*;q=0.1`,
    });
    return toDownload(res);
  }
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data, streamed (RFC 7578; names escaped as the WHATWG FormData serialiser does)
// ---------------------------------------------------------------------------------------------

function multipartFromUpload(upload: IotBatchUpload): UpstreamRawBody {
  return multipartUpload(upload.fields, "file", upload.file);
}

function multipartFromFormData(form: FormData): UpstreamRawBody {
  const parts: Part[] = [];
  for (const [name, value] of form.entries()) {
    parts.push(
      typeof value === "string"
        ? { name, value }
        : {
            name,
            value: {
              fileName: value.name,
              contentType: value.type || "application/octet-stream",
              stream: value.stream() as unknown as AsyncIterable<Uint8Array>,
              size: value.size,
            },
          },
    );
  }
  return multipart(parts);
}

// ---------------------------------------------------------------------------------------------
// Responses read from a stream
// ---------------------------------------------------------------------------------------------

function toDownload(res: UpstreamStreamResponse): IotDownload {
  const mediaType = header(res.headers, "content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  const contentType = (DOWNLOAD_CONTENT_TYPES as readonly string[]).includes(mediaType)
    ? mediaType
    : "application/octet-stream";
  const lengthText = header(res.headers, "content-length")?.trim();
  const contentLength = lengthText && /^\d{1,15}$/.test(lengthText) ? Number(lengthText) : null;
  const fileName = safeFileName(header(res.headers, "content-disposition"));
  const headers: Record<string, string> = { "content-type": contentType };
  if (contentLength !== null) headers["content-length"] = String(contentLength);
  if (fileName) headers["content-disposition"] = `attachment; filename="${fileName}"`;
  return { contentType, contentLength, fileName, headers, body: res.body };
}
