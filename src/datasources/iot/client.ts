import type { BatchDecision } from "../../model/batch.js";
import type { ListPage } from "../../model/iot/list.js";
import type { RevocationReason } from "../../model/tlm/certificate.js";
import { type BatchJobId, type DeviceCertificateRef, type IotProfileId } from "../../model/iot/ids.js";
import {
  type IotBatchDownload,
  type IotBatchJob,
  toBatchDownload,
  toIotBatchJob,
} from "../../model/iot/batch-job.js";
import {
  type DeviceCertificate,
  type DeviceCertificateFilter,
  toDeviceCertificate,
  toDeviceCertificatePage,
  toWireCertificateFilter,
  toWireIotRevocationReason,
} from "../../model/iot/certificate.js";
import { type DeviceEnrollmentOutcome, toDeviceEnrollmentOutcome } from "../../model/iot/enrollment.js";
import type { IotEnrollmentRequest, IotRenewRequest } from "../../model/iot/enrollment-input.js";
import type { PrivateKeyFormat } from "../../model/iot/enums.js";
import {
  type EnrollmentField,
  type EnrollmentProfile,
  toEnrollmentFields,
  toEnrollmentProfile,
  toEnrollmentProfilePage,
} from "../../model/iot/profile.js";
import type {
  WireBatchDownload,
  WireBatchEnrollmentFields,
  WireBatchJob,
  WireEnrollmentSpecification,
  WireIotEnrollmentResponse,
} from "../../model/iot/wire.js";
import { mapped, readCreated } from "../errors.js";
import {
  type UpstreamRawBody,
  type UpstreamStreamRequest,
  type UpstreamStreamResponse,
  upstreamPath,
} from "../http.js";
import {
  type BatchUploadFile,
  type FileDownload,
  type ProductUpstream,
  multipart,
  multipartUpload,
  type Part,
  readJson,
  readOrNull,
  streamThrough,
  toFileDownload,
} from "../parts.js";
import { type IotCallContext, toIotDomainError } from "./errors.js";

export type { BatchUploadFile, UpstreamRawBody, UpstreamStreamRequest, UpstreamStreamResponse };

/** What the client needs from the upstream (`UpstreamClient`, or a stand-in in tests). */
export type IotUpstream = ProductUpstream;

/** A batch enrollment as multipart parts: validated text fields (see `toWireBatchEnrollment`) and the file. */
export interface IotBatchUpload {
  fields: WireBatchEnrollmentFields;
  file: BatchUploadFile;
}

/** A batch download as DigiCert sends it: JSON, a ZIP, or an encrypted P7M/PGP file. */
export type IotDownload = FileDownload;

export const DOWNLOAD_CONTENT_TYPES = [
  "application/json",
  "application/zip",
  "application/pkcs7-mime",
  "application/pgp-encrypted",
] as const;

/** The job JSON after a batch upload is small (at most 100 row errors); read at most this much. */
const MAX_JOB_JSON_BYTES = 1024 * 1024;

/**
 * IoT Trust Manager (`/iot/api/v1`). One method per REST call, returning domain objects (mapped by src/model/iot)
 * and throwing domain errors (mapped once, by ./errors.ts). Identifiers and bodies arrive validated (branded ids;
 * bodies built by the model). Reads whose "absent" answer is normal return null (profile, certificate, batch job:
 * 403, 404). Calls that issue, revoke or decide are never resent once they may have reached DigiCert, and a 2xx
 * they answered that cannot be read is outcome unknown, never a plain failure.
 */
export class IotClient {
  constructor(private readonly http: IotUpstream) {}

  /** A page in any of DigiCert's list shapes; a profile without a readable id is left out (counted in `skipped`). */
  listEnrollmentProfiles(offset: number, limit: number): Promise<ListPage<EnrollmentProfile>> {
    return this.#call({ idempotent: true, operation: "read" }, async () => {
      const res = await this.http.request({
        operation: "iot.listEnrollmentProfiles",
        method: "GET",
        path: upstreamPath`/iot/api/v1/enrollment-profile`,
        query: { offset, limit },
      });
      return toEnrollmentProfilePage(res.json);
    });
  }

  getEnrollmentProfile(id: IotProfileId): Promise<EnrollmentProfile | null> {
    return this.#call({ idempotent: true, operation: "read", profileId: id }, () =>
      readOrNull(
        this.http,
        {
          operation: "iot.getEnrollmentProfile",
          method: "GET",
          path: upstreamPath`/iot/api/v1/enrollment-profile/${id}`,
        },
        toEnrollmentProfile,
      ),
    );
  }

  /** The fields an enrollment under the profile sends. */
  getEnrollmentSpecification(id: IotProfileId): Promise<EnrollmentField[]> {
    return this.#call({ idempotent: true, operation: "read", profileId: id }, async () => {
      const res = await this.http.request({
        operation: "iot.getEnrollmentSpecification",
        method: "GET",
        path: upstreamPath`/iot/api/v1/enrollment-profile/${id}/enrollment-specification`,
      });
      return toEnrollmentFields(res.json as WireEnrollmentSpecification);
    });
  }

  /**
   * Not idempotent: issues a certificate (and may generate its key). Never resent. `privateKeyFormat` is what the
   * request asked for (null for a CSR): the answer does not repeat it.
   */
  enrollCertificate(
    body: IotEnrollmentRequest,
    privateKeyFormat: PrivateKeyFormat | null,
  ): Promise<DeviceEnrollmentOutcome> {
    const call: IotCallContext = {
      idempotent: false,
      operation: "enroll",
      profileId: body.enrollment_profile_id,
    };
    return this.#call(call, async () => {
      const res = await this.http.request({
        operation: "iot.enrollCertificate",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/iot/api/v1/certificate`,
        body,
      });
      return readCreated(() =>
        toDeviceEnrollmentOutcome(res.json as WireIotEnrollmentResponse, privateKeyFormat),
      );
    });
  }

  /** Not idempotent: issues a certificate. Never resent. POST, as the newer docs say (the older page: PUT). */
  renewCertificate(
    ref: DeviceCertificateRef,
    body: IotRenewRequest,
    privateKeyFormat: PrivateKeyFormat | null,
  ): Promise<DeviceEnrollmentOutcome> {
    return this.#call({ idempotent: false, operation: "renew", certificate: ref }, async () => {
      const res = await this.http.request({
        operation: "iot.renewCertificate",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/iot/api/v1/certificate/${ref}/renew`,
        body,
      });
      return readCreated(() =>
        toDeviceEnrollmentOutcome(res.json as WireIotEnrollmentResponse, privateKeyFormat),
      );
    });
  }

  /**
   * 204. Not idempotent: a second revoke is a 400. `reason` is checked (IoT takes fewer reasons) before sending.
   * `about` is the id or serial the caller named, which errors repeat (default `ref`).
   */
  revokeCertificate(ref: DeviceCertificateRef, reason: RevocationReason, about: string = ref): Promise<void> {
    const wireReason = toWireIotRevocationReason(reason);
    return this.#call({ idempotent: false, operation: "revoke", certificate: about }, async () => {
      await this.http.request({
        operation: "iot.revokeCertificate",
        method: "PUT",
        idempotent: false,
        path: upstreamPath`/iot/api/v1/certificate/${ref}/revoke`,
        body: { reason: wireReason },
      });
    });
  }

  /**
   * `filter` is validated before anything is sent. A page in any of DigiCert's list shapes; a record without a
   * readable id is left out (counted in `skipped`), one with an unreadable serial or certificate is kept.
   */
  listCertificates(
    filter: DeviceCertificateFilter,
    offset: number,
    limit: number,
  ): Promise<ListPage<DeviceCertificate>> {
    const query = toWireCertificateFilter(filter);
    return this.#call({ idempotent: true, operation: "read" }, async () => {
      const res = await this.http.request({
        operation: "iot.listCertificates",
        method: "GET",
        path: upstreamPath`/iot/api/v1/certificate`,
        query: { ...query, offset, limit },
      });
      return toDeviceCertificatePage(res.json);
    });
  }

  /** By certificate id or serial number. 403 (another tenant's certificate) reads as absent too. */
  getCertificate(ref: DeviceCertificateRef): Promise<DeviceCertificate | null> {
    return this.#call({ idempotent: true, operation: "read", certificate: ref }, () =>
      readOrNull(
        this.http,
        {
          operation: "iot.getCertificate",
          method: "GET",
          path: upstreamPath`/iot/api/v1/certificate/${ref}`,
        },
        toDeviceCertificate,
      ),
    );
  }

  /**
   * POST /batch-enroll as multipart/form-data [I: path chosen by the simulator, see
   * simulator/NOTES-iot-batch-paths.md]. The file is streamed through, never buffered. Not idempotent.
   */
  createBatchEnrollment(upload: IotBatchUpload | FormData): Promise<IotBatchJob> {
    const profileId = upload instanceof FormData ? undefined : upload.fields.enrollment_profile_id;
    const call: IotCallContext = {
      idempotent: false,
      operation: "batchCreate",
      ...(profileId ? { profileId } : {}),
    };
    return this.#call(call, async () => {
      const body = upload instanceof FormData ? multipartFromFormData(upload) : multipartFromUpload(upload);
      const operation = "iot.createBatchEnrollment";
      const res = await streamThrough(this.http, {
        operation,
        method: "POST",
        idempotent: false,
        path: upstreamPath`/iot/api/v1/batch-enroll`,
        body,
      });
      const wire = (await readJson(res.body, MAX_JOB_JSON_BYTES, operation)) as WireBatchJob;
      return readCreated(() => toIotBatchJob(wire));
    });
  }

  /** GET /batch-enroll/{job_id} [I: path chosen by the simulator]. */
  getBatchJob(id: BatchJobId): Promise<IotBatchJob | null> {
    return this.#call({ idempotent: true, operation: "read", jobId: id }, () =>
      readOrNull(
        this.http,
        { operation: "iot.getBatchJob", method: "GET", path: upstreamPath`/iot/api/v1/batch-enroll/${id}` },
        toIotBatchJob,
      ),
    );
  }

  /** 204; only a PENDING_APPROVAL job can be approved or rejected (else 400). Never resent. */
  decideBatchJob(id: BatchJobId, decision: BatchDecision): Promise<void> {
    return this.#call({ idempotent: false, operation: "batchDecide", jobId: id }, async () => {
      await this.http.request({
        operation: decision === "approve" ? "iot.approveBatchJob" : "iot.rejectBatchJob",
        method: "PUT",
        idempotent: false,
        path:
          decision === "approve"
            ? upstreamPath`/iot/api/v1/batch-enroll/${id}/approve`
            : upstreamPath`/iot/api/v1/batch-enroll/${id}/reject`,
      });
    });
  }

  /**
   * The download of a COMPLETE job whose certificate_format is json, parsed. Buffered, so bounded by
   * the client's `maxResponseBytes`; `downloadBatchCertificates` streams any format.
   */
  downloadBatchCertificatesJson(id: BatchJobId): Promise<IotBatchDownload> {
    return this.#call({ idempotent: true, operation: "batchDownload", jobId: id }, async () => {
      const res = await this.http.request({
        operation: "iot.downloadBatchCertificates",
        method: "GET",
        path: upstreamPath`/iot/api/v1/batch-enroll/${id}/download-certificates`,
      });
      return toBatchDownload(res.json as WireBatchDownload, id);
    });
  }

  /** The download of a COMPLETE job as DigiCert sends it (JSON, ZIP or P7M), streamed. */
  downloadBatchCertificates(id: BatchJobId): Promise<IotDownload> {
    return this.#call({ idempotent: true, operation: "batchDownload", jobId: id }, async () => {
      const res = await streamThrough(this.http, {
        operation: "iot.downloadBatchCertificates",
        method: "GET",
        path: upstreamPath`/iot/api/v1/batch-enroll/${id}/download-certificates`,
        accept: `${DOWNLOAD_CONTENT_TYPES.join(", ")}, */*;q=0.1`,
      });
      return toFileDownload(res, DOWNLOAD_CONTENT_TYPES);
    });
  }

  #call<T>(call: IotCallContext, run: () => Promise<T>): Promise<T> {
    return mapped(run, (error) => toIotDomainError(error, call));
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
