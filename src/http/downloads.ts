import type { ServerResponse } from "node:http";
import { SCOPES, type Viewer } from "../auth/viewer.js";
import type { IotDownload } from "../datasources/iot/client.js";
import type { Logger } from "../logger.js";
import { RequestNotFoundError, ValidationError } from "../model/errors.js";
import { type BatchJobId, parseBatchJobId } from "../model/iot/ids.js";
import { extensionFor } from "../resolvers/iot-batch.js";
import { type DownloadHandler, fileRoute, sendError, sendFile, sendUpstreamFailure } from "./file-route.js";

export type { DownloadHandler };

/** Where the gateway serves files; GraphQL's `download.url` points here. */
export const DOWNLOADS_BASE_PATH = "/downloads";

/** The gateway's URL path of an IoT batch job's file (relative to the GraphQL endpoint's origin). */
export function iotBatchDownloadPath(jobId: string, basePath = DOWNLOADS_BASE_PATH): string {
  return `${basePath}/iot-batch/${encodeURIComponent(jobId)}`;
}

export interface DownloadHandlerOptions {
  /**
   * app.ts's `authenticate`, the same as GraphQL's: resolves with the caller and its tenant's
   * services, or throws (a GraphQLError with `extensions.http`: 401).
   */
  authenticate(
    authorization: string | null,
    apiKey: string | null,
  ): Promise<{
    viewer: Viewer;
    services: { iot: { downloadBatchCertificates(id: BatchJobId): Promise<IotDownload> } };
  }>;
  logger: Logger;
  /** Default DOWNLOADS_BASE_PATH. */
  basePath?: string;
}

const JOB_ROUTE = /^\/iot-batch\/([^/]*)$/;

/**
 * Files DigiCert produces (batch downloads: JSON, ZIP, P7M), streamed to the caller through the
 * gateway, never held whole in memory.
 *
 * `GET {basePath}/iot-batch/{jobId}` with `Authorization: Bearer <token>` (as for GraphQL; and
 * `x-api-key` in pass-through mode):
 * - 200: DigiCert's bytes as they arrive; `Content-Type` as DigiCert sent it (JSON, ZIP, P7M, PGP, else
 *   octet-stream), `Content-Length` when DigiCert sent one, `Content-Disposition: attachment;
 *   filename="<jobId>.<json|zip|p7m|pgp|bin>"` (built only from the validated id and the content type),
 *   `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`.
 * - Errors are JSON `{"errors":[{"message","extensions":{"code"}}]}` with `Cache-Control: no-store`:
 *   401 UNAUTHENTICATED, 403 FORBIDDEN (no `batch-jobs` scope), 400 VALIDATION_FAILED (not a job id),
 *   404 REQUEST_NOT_FOUND (no such job for this tenant) or NOT_FOUND (no such route), 405 (not GET),
 *   409 BATCH_JOB_NOT_COMPLETE, 502 UPSTREAM_UNAVAILABLE (with `Retry-After` when known) or another
 *   UPSTREAM_* code. No message carries DigiCert's text.
 * A caller that goes away mid-download ends the upstream body (its connection is released).
 */
export function createDownloadHandler(options: DownloadHandlerOptions): DownloadHandler {
  const logger = options.logger.child({ component: "downloads" });
  return fileRoute({
    prefix: options.basePath ?? DOWNLOADS_BASE_PATH,
    logger,
    authenticate: options.authenticate,
    serve: async (req, res, route, { viewer, services }) => {
      const match = JOB_ROUTE.exec(route);
      if (!match) {
        sendError(res, 404, "NOT_FOUND", "No download here.");
        return;
      }
      if (!viewer.scopes.has(SCOPES.batchJobs)) {
        sendError(res, 403, "FORBIDDEN", "Your token does not grant the scope this download needs.");
        return;
      }
      let jobId: BatchJobId;
      try {
        jobId = parseBatchJobId(match[1] ?? "", "id");
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        sendError(res, 400, error.code, error.message, {}, { field: error.field });
        return;
      }
      let download: IotDownload;
      try {
        download = await services.iot.downloadBatchCertificates(jobId);
      } catch (error) {
        sendUpstreamFailure(res, error, (e) => jobFailure(res, e), { logger, about: { jobId } });
        return;
      }
      await sendFile(req, res, download, `${jobId}.${extensionFor(download.contentType)}`, {
        logger,
        about: { tenant: viewer.tenant, subject: viewer.subject, jobId },
        served: "batch download served",
        endedEarly: "batch download ended early",
      });
    },
  });
}

/** A batch download's own failures: no such job (404), or the job is not COMPLETE yet (409, DigiCert's only 400). */
function jobFailure(res: ServerResponse, error: unknown): boolean {
  if (error instanceof RequestNotFoundError) {
    sendError(res, 404, error.code, error.message);
  } else if (error instanceof ValidationError) {
    sendError(
      res,
      409,
      "BATCH_JOB_NOT_COMPLETE",
      "A batch job's certificates can be downloaded once it is COMPLETE.",
    );
  } else {
    return false;
  }
  return true;
}
