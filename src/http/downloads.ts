import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GraphQLError } from "graphql";
import { SCOPES, type Viewer } from "../auth/viewer.js";
import type { IotDownload } from "../datasources/iot/client.js";
import type { Logger } from "../logger.js";
import {
  DomainError,
  RequestNotFoundError,
  UpstreamUnavailableError,
  ValidationError,
} from "../model/errors.js";
import { type BatchJobId, parseBatchJobId } from "../model/iot/ids.js";
import { extensionFor } from "../resolvers/iot-batch.js";

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

/** Resolves true when the request was under `basePath` (and answered), false to leave it to yoga. */
export type DownloadHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const JOB_ROUTE = /^\/iot-batch\/([^/]*)$/;
const DEFAULT_CHALLENGE = 'Bearer realm="digicert-graphql-gateway"';

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
  const basePath = (options.basePath ?? DOWNLOADS_BASE_PATH).replace(/\/+$/, "");
  const logger = options.logger.child({ component: "downloads" });

  return async (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (path !== basePath && !path.startsWith(`${basePath}/`)) return false;
    try {
      await serve(req, res, path.slice(basePath.length));
    } catch (error) {
      logger.error({ err: error }, "download failed");
      if (!res.headersSent) sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error.");
      else res.destroy();
    }
    return true;
  };

  async function serve(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    if (req.method !== "GET") {
      sendError(res, 405, "METHOD_NOT_ALLOWED", "Downloads are read with GET.", { allow: "GET" });
      return;
    }
    let auth: Awaited<ReturnType<DownloadHandlerOptions["authenticate"]>>;
    try {
      auth = await options.authenticate(firstHeader(req, "authorization"), firstHeader(req, "x-api-key"));
    } catch (error) {
      const headers = error instanceof GraphQLError ? httpHeaders(error) : {};
      sendError(res, 401, "UNAUTHENTICATED", "Unauthorized", {
        "www-authenticate": headers["www-authenticate"] ?? DEFAULT_CHALLENGE,
      });
      return;
    }
    const match = JOB_ROUTE.exec(route);
    if (!match) {
      sendError(res, 404, "NOT_FOUND", "No download here.");
      return;
    }
    if (!auth.viewer.scopes.has(SCOPES.batchJobs)) {
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
      download = await auth.services.iot.downloadBatchCertificates(jobId);
    } catch (error) {
      sendUpstreamFailure(res, error, jobId);
      return;
    }
    const body = download.body instanceof Readable ? download.body : Readable.from(download.body);
    if (res.destroyed || req.destroyed) {
      body.destroy();
      return;
    }
    res.writeHead(200, {
      "content-type": download.contentType,
      ...(download.contentLength === null ? {} : { "content-length": String(download.contentLength) }),
      "content-disposition": `attachment; filename="${jobId}.${extensionFor(download.contentType)}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    const started = performance.now();
    try {
      // pipeline destroys the body when the response closes early (the caller went away), which
      // aborts the upstream request, and destroys the response when the body fails midway.
      await pipeline(body, res);
      logger.info(
        {
          tenant: auth.viewer.tenant,
          subject: auth.viewer.subject,
          jobId,
          ms: Math.round(performance.now() - started),
        },
        "batch download served",
      );
    } catch (error) {
      logger.info(
        { tenant: auth.viewer.tenant, jobId, reason: (error as { code?: string } | null)?.code ?? "error" },
        "batch download ended early",
      );
    }
  }

  /** `domain` is what the IoT datasource threw: a domain error (404, 409 or 502), or anything else (500, logged). */
  function sendUpstreamFailure(res: ServerResponse, domain: unknown, jobId: BatchJobId): void {
    if (domain instanceof RequestNotFoundError) {
      sendError(res, 404, domain.code, domain.message);
    } else if (domain instanceof ValidationError) {
      // The one 400 of a download: the job is not COMPLETE yet (or ended without certificates).
      sendError(
        res,
        409,
        "BATCH_JOB_NOT_COMPLETE",
        "A batch job's certificates can be downloaded once it is COMPLETE.",
      );
    } else if (domain instanceof UpstreamUnavailableError) {
      sendError(
        res,
        502,
        domain.code,
        domain.message,
        domain.retryAfterSeconds === null ? {} : { "retry-after": String(domain.retryAfterSeconds) },
      );
    } else if (domain instanceof DomainError) {
      sendError(res, 502, domain.code, domain.message);
    } else {
      logger.error({ err: domain, jobId }, "download failed");
      sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error.");
    }
  }
}

function firstHeader(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function httpHeaders(error: GraphQLError): Record<string, string> {
  const http = error.extensions.http as { headers?: Record<string, string> } | undefined;
  return Object.fromEntries(Object.entries(http?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  extensions: Record<string, unknown> = {},
): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] });
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(body);
}
