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
import type { ListPage } from "../../model/iot/list.js";
import { UpstreamInvalidResponseError } from "../../model/errors.js";
import type {
  WireDisableDevice,
  WireDtmBatchFields,
  WireDtmDevice,
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

/** A device's bootstrap configuration as DigiCert sends it: a ZIP [C: DigiCert's test saves it as bootstrap.zip]. */
export type BootstrapDownload = FileDownload;

export const BOOTSTRAP_CONTENT_TYPES = ["application/zip"] as const;

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

  /** Pages (here and below) in any of DigiCert's list shapes; a record without a readable id is left out (`skipped`). */
  listDeviceGroups(offset: number, limit: number): Promise<ListPage<DeviceGroup>> {
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listDeviceGroups",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/api/v4/device-group`,
        query: { offset, limit },
      });
      return toDeviceGroupPage(res.json);
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
  ): Promise<ListPage<CertificatePolicy>> {
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listCertificatePolicies",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy`,
        query: { device_group_id: deviceGroupId, offset, limit },
      });
      return toCertificatePolicyPage(res.json);
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
  listDevices(filter: DeviceFilter, offset: number, limit: number): Promise<ListPage<Device>> {
    const query = toWireDeviceFilter(filter);
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listDevices",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/api/v4/device`,
        query: { ...query, offset, limit },
      });
      return toDevicePage(res.json);
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
  listBatchJobs(filter: DtmBatchJobFilter, offset: number, limit: number): Promise<ListPage<DtmBatchJob>> {
    const query = toWireDtmBatchJobFilter(filter);
    return this.#read({}, async () => {
      const res = await this.http.request({
        operation: "dtm.listBatchJobs",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs`,
        query: { ...query, offset, limit },
      });
      return toDtmBatchJobPage(res.json);
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
      return toDeviceRegistrationReport(res.json as WireDtmReport, id);
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

  /**
   * PATCH /api/v4/device/{id}/disable with `{reason}` [C: DigiCert's own test, 200]. The answer's body is not
   * documented: a device record in it is returned (the simulator sends one [I]), anything else is null. Never resent:
   * DigiCert does not say a repeat is harmless, so an ambiguous failure is outcome unknown. 403/404:
   * DeviceNotFoundError naming `field`.
   */
  disableDevice(id: DtmDeviceId, body: WireDisableDevice, field = "input.id"): Promise<Device | null> {
    return this.#call(
      { idempotent: false, operation: "disable", deviceId: id, deviceField: field },
      async () => {
        const operation = "dtm.disableDevice";
        const res = await streamThrough(this.http, {
          operation,
          method: "PATCH",
          idempotent: false,
          path: upstreamPath`/devicetrustmanager/api/v4/device/${id}/disable`,
          body: jsonBody(body),
        });
        return deviceOrNull(await answerJson(res.body, operation), id);
      },
    );
  }

  /**
   * PATCH /api/v4/device/{id}/delete, no body [C: DigiCert's own test, 200, after disabling]. Never resent (a repeat
   * of a delete that took effect is a 404). 403/404: DeviceNotFoundError naming `field`.
   */
  deleteDevice(id: DtmDeviceId, field = "input.id"): Promise<void> {
    return this.#call(
      { idempotent: false, operation: "delete", deviceId: id, deviceField: field },
      async () => {
        const operation = "dtm.deleteDevice";
        const res = await streamThrough(this.http, {
          operation,
          method: "PATCH",
          idempotent: false,
          path: upstreamPath`/devicetrustmanager/api/v4/device/${id}/delete`,
        });
        await answerJson(res.body, operation);
      },
    );
  }

  /**
   * GET /api/v4/bootstrap-config/download/{device_id} [C: a ZIP], streamed unread (it may hold key material: never
   * buffered, logged or cached here). 403/404: DeviceNotFoundError naming `field`.
   */
  downloadBootstrapConfig(id: DtmDeviceId, field = "id"): Promise<BootstrapDownload> {
    return this.#read({ operation: "bootstrap", deviceId: id, deviceField: field }, async () => {
      const res = await streamThrough(this.http, {
        operation: "dtm.downloadBootstrapConfig",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/api/v4/bootstrap-config/download/${id}`,
        accept: "application/zip, application/octet-stream;q=0.5, */*;q=0.1",
      });
      return toFileDownload(res, BOOTSTRAP_CONTENT_TYPES);
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

/** A JSON request body for stream(), which sends raw bodies (and never resends one). */
function jsonBody(value: unknown): UpstreamRawBody {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return {
    contentType: "application/json",
    length: bytes.length,
    content: (async function* () {
      yield bytes;
    })(),
  };
}

/**
 * The body of a 2xx that DigiCert documents as a status only (disable, delete): read to the end, at most 64 KiB, and
 * parsed when it is JSON; anything else (empty, "OK") is null, never a failure: the call took effect.
 */
async function answerJson(body: AsyncIterable<Uint8Array>, operation: string): Promise<unknown> {
  const text = await readBounded(body, MAX_CREATED_JSON_BYTES, operation).catch(() => "");
  try {
    return text.trim() === "" ? null : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

/** The device a disable answered with, when the answer is that device's record; anything else is null. */
function deviceOrNull(json: unknown, id: DtmDeviceId): Device | null {
  try {
    const device = toDevice(json as WireDtmDevice);
    return device.id === id ? device : null;
  } catch (error) {
    if (error instanceof UpstreamInvalidResponseError) return null;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data, streamed.

function multipartFromUpload(upload: DtmBatchUpload): UpstreamRawBody {
  return multipartUpload(upload.fields, "data", upload.file);
}
