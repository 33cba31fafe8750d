import type {
  DtmBatchJobId,
  DtmCertificatePolicyId,
  DtmDeviceGroupId,
  DtmDeviceId,
} from "../../model/dtm.js";
import {
  type BatchUploadFile,
  header,
  multipartUpload,
  nullWhenHidden,
  readJson,
  safeFileName,
  streamThrough,
} from "../parts.js";
import {
  readBounded,
  type UpstreamRawBody,
  type UpstreamRequest,
  type UpstreamResponse,
  type UpstreamStreamRequest,
  type UpstreamStreamResponse,
  upstreamPath,
} from "../http.js";
import type {
  WireDtmBatchCreated,
  WireDtmBatchFields,
  WireDtmBatchJob,
  WireDtmBatchJobFilter,
  WireDtmCertificatePolicy,
  WireDtmDevice,
  WireDtmDeviceFilter,
  WireDtmDeviceGroup,
  WireDtmDeviceRegistration,
  WireDtmPage,
  WireDtmRegistrationResponse,
  WireDtmReport,
} from "./wire.js";

export type { BatchUploadFile };

/** What DtmClient needs from the upstream: `UpstreamClient.request`, and `stream` for uploads and downloads. */
export interface DtmUpstream {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  stream?(req: UpstreamStreamRequest): Promise<UpstreamStreamResponse>;
}

/** A batch registration as multipart parts: validated text fields (see `toWireDtmBatch`) and the `data` file. */
export interface DtmBatchUpload {
  fields: WireDtmBatchFields;
  /** The CSV or ZIP, streamed; sent as the `data` part. */
  file: BatchUploadFile;
}

/** A job report as DigiCert sends it (CSV by default). */
export interface DtmReportDownload {
  /** `text/csv` or `application/json`, else `application/octet-stream`. */
  contentType: string;
  contentLength: number | null;
  /** From Content-Disposition, reduced to [A-Za-z0-9._-], or null. */
  fileName: string | null;
  /** Headers safe to forward. */
  headers: Record<string, string>;
  /** Unread; consume it or end it early with `return()`. */
  body: AsyncIterable<Uint8Array>;
}

export const REPORT_CONTENT_TYPES = ["text/csv", "application/json"] as const;

/** The job answer after an upload is `{id}`; read at most this much. */
const MAX_CREATED_JSON_BYTES = 64 * 1024;
/** A CSV template is one header row. */
const MAX_TEMPLATE_BYTES = 64 * 1024;

/**
 * Device Trust Manager. One method per REST call, returning DigiCert's JSON as sent; mapping to domain objects is the
 * model's job (src/model/dtm.ts). Identifiers arrive validated (branded).
 * Contract: reads whose "absent" answer is normal return null (group, policy, device, job: 403, 404); every other
 * non-2xx throws `UpstreamHttpError`. Registrations, uploads and decisions are never resent once they may have
 * reached DigiCert. Paths marked [I] are the simulator's choices (simulator/NOTES-dtm-paths.md).
 */
export class DtmClient {
  constructor(private readonly http: DtmUpstream) {}

  async listDeviceGroups(offset: number, limit: number): Promise<WireDtmPage<WireDtmDeviceGroup>> {
    const res = await this.http.request({
      operation: "dtm.listDeviceGroups",
      method: "GET",
      path: upstreamPath`/devicetrustmanager/api/v4/device-group`,
      query: { offset, limit },
    });
    return res.json as WireDtmPage<WireDtmDeviceGroup>;
  }

  async getDeviceGroup(id: DtmDeviceGroupId): Promise<WireDtmDeviceGroup | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "dtm.getDeviceGroup",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/api/v4/device-group/${id}`,
      });
      return res.json as WireDtmDeviceGroup;
    });
  }

  /** [I path for reads]; `deviceGroupId` narrows to the policies assigned to that group. */
  async listCertificatePolicies(
    offset: number,
    limit: number,
    deviceGroupId?: DtmDeviceGroupId,
  ): Promise<WireDtmPage<WireDtmCertificatePolicy>> {
    const res = await this.http.request({
      operation: "dtm.listCertificatePolicies",
      method: "GET",
      path: upstreamPath`/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy`,
      query: { device_group_id: deviceGroupId, offset, limit },
    });
    return res.json as WireDtmPage<WireDtmCertificatePolicy>;
  }

  async getCertificatePolicy(id: DtmCertificatePolicyId): Promise<WireDtmCertificatePolicy | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "dtm.getCertificatePolicy",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy/${id}`,
      });
      return res.json as WireDtmCertificatePolicy;
    });
  }

  /**
   * The policy's CSV template, the header row only [I path: GET .../jobs/template]. Without `serverSideKeyGen`,
   * DigiCert picks client-side when the policy allows it. Read through `stream` (the answer is text/csv).
   */
  async getCsvTemplate(policyId: DtmCertificatePolicyId, serverSideKeyGen?: boolean): Promise<string> {
    const operation = "dtm.getCsvTemplate";
    const res = await streamThrough(this.http, {
      operation,
      method: "GET",
      path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/template`,
      query: {
        certificate_policy_id: policyId,
        server_side_key_gen: serverSideKeyGen === undefined ? undefined : String(serverSideKeyGen),
      },
      accept: "text/csv, */*;q=0.1",
    });
    return readBounded(res.body, MAX_TEMPLATE_BYTES, operation);
  }

  /**
   * POST /api/v4/device/registration [C]. Not idempotent: a second call for the same name is a duplicate
   * (409 code "03"). Never resent.
   */
  async registerDevice(body: WireDtmDeviceRegistration): Promise<WireDtmRegistrationResponse> {
    const res = await this.http.request({
      operation: "dtm.registerDevice",
      method: "POST",
      idempotent: false,
      path: upstreamPath`/devicetrustmanager/api/v4/device/registration`,
      body,
    });
    return res.json as WireDtmRegistrationResponse;
  }

  async listDevices(
    filter: WireDtmDeviceFilter,
    offset: number,
    limit: number,
  ): Promise<WireDtmPage<WireDtmDevice>> {
    const res = await this.http.request({
      operation: "dtm.listDevices",
      method: "GET",
      path: upstreamPath`/devicetrustmanager/api/v4/device`,
      query: { ...filter, offset, limit },
    });
    return res.json as WireDtmPage<WireDtmDevice>;
  }

  /** 403 (another group's device) reads as absent too. */
  async getDevice(id: DtmDeviceId): Promise<WireDtmDevice | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "dtm.getDevice",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/api/v4/device/${id}`,
      });
      return res.json as WireDtmDevice;
    });
  }

  /**
   * POST .../jobs as multipart/form-data [C], `data` streamed through, never buffered. Not idempotent, and never
   * retried (`UpstreamClient.stream` does not retry a request with a body).
   */
  async createBatchJob(upload: DtmBatchUpload): Promise<WireDtmBatchCreated> {
    const operation = "dtm.createBatchJob";
    const res = await streamThrough(this.http, {
      operation,
      method: "POST",
      idempotent: false,
      path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs`,
      body: multipartFromUpload(upload),
    });
    return (await readJson(res.body, MAX_CREATED_JSON_BYTES, operation)) as WireDtmBatchCreated;
  }

  async getBatchJob(id: DtmBatchJobId): Promise<WireDtmBatchJob | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "dtm.getBatchJob",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}`,
      });
      return res.json as WireDtmBatchJob;
    });
  }

  /** [I] newest first. */
  async listBatchJobs(
    filter: WireDtmBatchJobFilter,
    offset: number,
    limit: number,
  ): Promise<WireDtmPage<WireDtmBatchJob>> {
    const res = await this.http.request({
      operation: "dtm.listBatchJobs",
      method: "GET",
      path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs`,
      query: { ...filter, offset, limit },
    });
    return res.json as WireDtmPage<WireDtmBatchJob>;
  }

  /** 204 [I]; only a PENDING_APPROVAL job can be approved (else 400). */
  async approveBatchJob(id: DtmBatchJobId): Promise<void> {
    await this.http.request({
      operation: "dtm.approveBatchJob",
      method: "PUT",
      idempotent: false,
      path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/approve`,
    });
  }

  /** 204 [I]; only a PENDING_APPROVAL job can be rejected (else 400). */
  async rejectBatchJob(id: DtmBatchJobId): Promise<void> {
    await this.http.request({
      operation: "dtm.rejectBatchJob",
      method: "PUT",
      idempotent: false,
      path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/reject`,
    });
  }

  /**
   * The report with `?format=json`, parsed. Buffered, so bounded by the client's `maxResponseBytes`: a report has a
   * row per data row, so large jobs need `downloadReport` (streamed).
   */
  async downloadReportJson(id: DtmBatchJobId): Promise<WireDtmReport> {
    const res = await this.http.request({
      operation: "dtm.downloadReport",
      method: "GET",
      path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/download/report`,
      query: { format: "json" },
    });
    return res.json as WireDtmReport;
  }

  /** The report as DigiCert sends it (CSV by default, or JSON), streamed. 400 until the job is processed. */
  async downloadReport(id: DtmBatchJobId, format: "csv" | "json" = "csv"): Promise<DtmReportDownload> {
    const res = await streamThrough(this.http, {
      operation: "dtm.downloadReport",
      method: "GET",
      path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/download/report`,
      query: { format },
      accept: `${format === "json" ? "application/json" : "text/csv"}, */*;q=0.1`,
    });
    return toReportDownload(res);
  }
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data, streamed.

function multipartFromUpload(upload: DtmBatchUpload): UpstreamRawBody {
  return multipartUpload(upload.fields, "data", upload.file);
}

// ---------------------------------------------------------------------------------------------
// Responses read from a stream
// ---------------------------------------------------------------------------------------------

function toReportDownload(res: UpstreamStreamResponse): DtmReportDownload {
  const mediaType = header(res.headers, "content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  const contentType = (REPORT_CONTENT_TYPES as readonly string[]).includes(mediaType)
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
