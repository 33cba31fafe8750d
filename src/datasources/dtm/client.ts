import {
  type DeviceRegistrationReport,
  type DtmBatchJob,
  type DtmBatchJobFilter,
  toCreatedDtmBatchJobId,
  toDeviceRegistrationReport,
  toDtmBatchJob,
  toDtmBatchJobPage,
  toWireDtmBatchJobFilter,
} from "../../model/dtm/batch-job.js";
import {
  type Device,
  type DeviceFilter,
  toDevice,
  toDevicePage,
  toWireDeviceFilter,
} from "../../model/dtm/device.js";
import type {
  DtmBatchJobId,
  DtmCertificatePolicyId,
  DtmDeviceGroupId,
  DtmDeviceId,
} from "../../model/dtm/ids.js";
import {
  type CertificatePolicy,
  type DeviceGroup,
  toCertificatePolicy,
  toCertificatePolicyPage,
  toDeviceGroup,
  toDeviceGroupPage,
} from "../../model/dtm/policy.js";
import { type DeviceRegistrationRequest, toRegisteredDeviceId } from "../../model/dtm/registration.js";
import type { BatchDecision } from "../../model/batch.js";
import type { Page } from "../../model/read.js";
import type {
  WireDtmBatchFields,
  WireDtmBatchJob,
  WireDtmCertificatePolicy,
  WireDtmDevice,
  WireDtmDeviceGroup,
  WireDtmPage,
  WireDtmRegistrationResponse,
  WireDtmReport,
} from "../../model/dtm/wire.js";
import { mapped, readCreated } from "../errors.js";
import { readBounded, type UpstreamRawBody, upstreamPath } from "../http.js";
import {
  type BatchUploadFile,
  type FileDownload,
  type ProductUpstream,
  multipartUpload,
  readJson,
  readOrNull,
  streamThrough,
  toFileDownload,
} from "../parts.js";
import { type DtmCallContext, toDtmDomainError } from "./errors.js";

export type { BatchUploadFile };

/** What the client needs from the upstream (`UpstreamClient`, or a stand-in in tests). */
export type DtmUpstream = ProductUpstream;

/** A batch registration as multipart parts: validated text fields (see `toWireDtmBatch`) and the `data` file. */
export interface DtmBatchUpload {
  fields: WireDtmBatchFields;
  /** The CSV or ZIP, streamed; sent as the `data` part. */
  file: BatchUploadFile;
}

/** A job report as DigiCert sends it (CSV by default). */
export type DtmReportDownload = FileDownload;

export const REPORT_CONTENT_TYPES = ["text/csv", "application/json"] as const;

/** The job answer after an upload is `{id}`; read at most this much. */
const MAX_CREATED_JSON_BYTES = 64 * 1024;
/** A CSV template is one header row. */
const MAX_TEMPLATE_BYTES = 64 * 1024;

/**
 * Device Trust Manager. One method per REST call, returning domain objects (mapped by src/model/dtm) and throwing
 * domain errors (mapped once, by ./errors.ts). Identifiers and bodies arrive validated (branded ids; bodies built by
 * the model). Reads whose "absent" answer is normal return null (group, policy, device, job: 403, 404).
 * Registrations, uploads and decisions are never resent once they may have reached DigiCert, and a 2xx they answered
 * that cannot be read is outcome unknown. Paths marked [I] are the simulator's choices (simulator/NOTES-dtm-paths.md).
 */
export class DtmClient {
  constructor(private readonly http: DtmUpstream) {}

  listDeviceGroups(offset: number, limit: number): Promise<Page<DeviceGroup>> {
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listDeviceGroups",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/api/v4/device-group`,
        query: { offset, limit },
      });
      return toDeviceGroupPage(res.json as WireDtmPage<WireDtmDeviceGroup>);
    });
  }

  getDeviceGroup(id: DtmDeviceGroupId): Promise<DeviceGroup | null> {
    return this.#read({}, () =>
      readOrNull(
        this.http,
        {
          operation: "dtm.getDeviceGroup",
          method: "GET",
          path: upstreamPath`/devicetrustmanager/api/v4/device-group/${id}`,
        },
        toDeviceGroup,
      ),
    );
  }

  /** [I path for reads]; `deviceGroupId` narrows to the policies assigned to that group. */
  listCertificatePolicies(
    offset: number,
    limit: number,
    deviceGroupId?: DtmDeviceGroupId,
  ): Promise<Page<CertificatePolicy>> {
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listCertificatePolicies",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy`,
        query: { device_group_id: deviceGroupId, offset, limit },
      });
      return toCertificatePolicyPage(res.json as WireDtmPage<WireDtmCertificatePolicy>);
    });
  }

  getCertificatePolicy(id: DtmCertificatePolicyId): Promise<CertificatePolicy | null> {
    return this.#read({}, () =>
      readOrNull(
        this.http,
        {
          operation: "dtm.getCertificatePolicy",
          method: "GET",
          path: upstreamPath`/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy/${id}`,
        },
        toCertificatePolicy,
      ),
    );
  }

  /**
   * The policy's CSV template, the header row only [I path: GET .../jobs/template]. Without `serverSideKeyGen`,
   * DigiCert picks client-side when the policy allows it. Read through `stream` (the answer is text/csv).
   */
  getCsvTemplate(policyId: DtmCertificatePolicyId, serverSideKeyGen?: boolean): Promise<string> {
    return this.#read({ operation: "template", certificatePolicyId: policyId }, async () => {
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
    });
  }

  /**
   * POST /api/v4/device/registration [C]; the new device's id. Not idempotent: a second call for the same name is a
   * duplicate (409 code "03", DuplicateDeviceError). Never resent.
   */
  registerDevice(body: DeviceRegistrationRequest): Promise<DtmDeviceId> {
    const call: DtmCallContext = {
      idempotent: false,
      operation: "register",
      deviceName: body.name,
      deviceGroupId: body.device_group_id,
    };
    return this.#call(call, async () => {
      const res = await this.http.request({
        operation: "dtm.registerDevice",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/devicetrustmanager/api/v4/device/registration`,
        body,
      });
      return readCreated(() => toRegisteredDeviceId(res.json as WireDtmRegistrationResponse));
    });
  }

  /** `filter` is validated before anything is sent. */
  listDevices(filter: DeviceFilter, offset: number, limit: number): Promise<Page<Device>> {
    const query = toWireDeviceFilter(filter);
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listDevices",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/api/v4/device`,
        query: { ...query, offset, limit },
      });
      return toDevicePage(res.json as WireDtmPage<WireDtmDevice>);
    });
  }

  /** 403 (another group's device) reads as absent too. */
  getDevice(id: DtmDeviceId): Promise<Device | null> {
    return this.#read({}, () =>
      readOrNull(
        this.http,
        {
          operation: "dtm.getDevice",
          method: "GET",
          path: upstreamPath`/devicetrustmanager/api/v4/device/${id}`,
        },
        toDevice,
      ),
    );
  }

  /**
   * POST .../jobs as multipart/form-data [C], `data` streamed through, never buffered; the new job's id. Not
   * idempotent, and never retried (`UpstreamClient.stream` does not retry a request with a body).
   */
  createBatchJob(upload: DtmBatchUpload): Promise<DtmBatchJobId> {
    const call: DtmCallContext = {
      idempotent: false,
      operation: "batchCreate",
      deviceGroupId: upload.fields.device_group_id,
      ...(upload.fields.certificate_policy_id
        ? { certificatePolicyId: upload.fields.certificate_policy_id }
        : {}),
    };
    return this.#call(call, async () => {
      const operation = "dtm.createBatchJob";
      const res = await streamThrough(this.http, {
        operation,
        method: "POST",
        idempotent: false,
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs`,
        body: multipartFromUpload(upload),
      });
      const wire = await readJson(res.body, MAX_CREATED_JSON_BYTES, operation);
      return readCreated(() => toCreatedDtmBatchJobId(wire));
    });
  }

  getBatchJob(id: DtmBatchJobId): Promise<DtmBatchJob | null> {
    return this.#read({ jobId: id }, () =>
      readOrNull(
        this.http,
        {
          operation: "dtm.getBatchJob",
          method: "GET",
          path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}`,
        },
        toDtmBatchJob,
      ),
    );
  }

  /** [I] newest first. `filter` is validated before anything is sent. */
  listBatchJobs(filter: DtmBatchJobFilter, offset: number, limit: number): Promise<Page<DtmBatchJob>> {
    const query = toWireDtmBatchJobFilter(filter);
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listBatchJobs",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs`,
        query: { ...query, offset, limit },
      });
      return toDtmBatchJobPage(res.json as WireDtmPage<WireDtmBatchJob>);
    });
  }

  /** 204 [I]; only a PENDING_APPROVAL job can be approved or rejected (else 400). Never resent. */
  decideBatchJob(id: DtmBatchJobId, decision: BatchDecision): Promise<void> {
    return this.#call({ idempotent: false, operation: "batchDecide", jobId: id }, async () => {
      await this.http.request({
        operation: decision === "approve" ? "dtm.approveBatchJob" : "dtm.rejectBatchJob",
        method: "PUT",
        idempotent: false,
        path:
          decision === "approve"
            ? upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/approve`
            : upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/reject`,
      });
    });
  }

  /**
   * The report with `?format=json`, parsed. Buffered, so bounded by the client's `maxResponseBytes`: a report has a
   * row per data row, so large jobs need `downloadReport` (streamed). 403/404: BatchReportNotFoundError.
   */
  downloadReportJson(id: DtmBatchJobId): Promise<DeviceRegistrationReport> {
    return this.#read({ operation: "batchReport", jobId: id }, async () => {
      const res = await this.http.request({
        operation: "dtm.downloadReport",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/download/report`,
        query: { format: "json" },
      });
      return toDeviceRegistrationReport(res.json as WireDtmReport);
    });
  }

  /** The report as DigiCert sends it (CSV by default, or JSON), streamed. 400 until the job is processed. */
  downloadReport(id: DtmBatchJobId, format: "csv" | "json" = "csv"): Promise<DtmReportDownload> {
    return this.#read({ operation: "batchReport", jobId: id }, async () => {
      const res = await streamThrough(this.http, {
        operation: "dtm.downloadReport",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${id}/download/report`,
        query: { format },
        accept: `${format === "json" ? "application/json" : "text/csv"}, */*;q=0.1`,
      });
      return toFileDownload(res, REPORT_CONTENT_TYPES);
    });
  }

  /** A read: safe to repeat, so an ambiguous failure is "unavailable", never "outcome unknown". */
  #read<T>(about: Omit<DtmCallContext, "idempotent">, run: () => Promise<T>): Promise<T> {
    return this.#call({ operation: "read", ...about, idempotent: true }, run);
  }

  #call<T>(call: DtmCallContext, run: () => Promise<T>): Promise<T> {
    return mapped(run, (error) => toDtmDomainError(error, call));
  }
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data, streamed.

function multipartFromUpload(upload: DtmBatchUpload): UpstreamRawBody {
  return multipartUpload(upload.fields, "data", upload.file);
}
