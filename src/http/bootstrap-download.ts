import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GraphQLError } from "graphql";
import { SCOPES, type Viewer } from "../auth/viewer.js";
import type { BootstrapDownload } from "../datasources/dtm/client.js";
import type { Logger } from "../logger.js";
import type { Device } from "../model/dtm/device.js";
import { DeviceNotFoundError } from "../model/errors.js";
import { type DtmDeviceId, parseDtmDeviceId } from "../model/dtm/ids.js";
import { DomainError, UpstreamUnavailableError, ValidationError } from "../model/errors.js";
import { DOWNLOADS_BASE_PATH, type DownloadHandler } from "./downloads.js";

/** The route's segment under the downloads base path. */
const ROUTE = "/dtm-bootstrap";
const DEFAULT_CHALLENGE = 'Bearer realm="digicert-graphql-gateway"';

/** The gateway's URL path of a device's bootstrap configuration (relative to the GraphQL endpoint's origin). */
export function bootstrapDownloadPath(deviceId: string, basePath = DOWNLOADS_BASE_PATH): string {
  return `${basePath}${ROUTE}/${encodeURIComponent(deviceId)}`;
}

export interface BootstrapDownloadHandlerOptions {
  /** app.ts's `authenticate`, the same as GraphQL's and the batch downloads': the caller and its tenant's services. */
  authenticate(
    authorization: string | null,
    apiKey: string | null,
  ): Promise<{
    viewer: Viewer;
    services: {
      dtm: {
        getDevice(id: DtmDeviceId): Promise<Device | null>;
        downloadBootstrapConfig(id: DtmDeviceId): Promise<BootstrapDownload>;
      };
    };
  }>;
  logger: Logger;
  /** Default DOWNLOADS_BASE_PATH (the route is `{basePath}/dtm-bootstrap/{deviceId}`). */
  basePath?: string;
}

/**
 * A Device Trust Manager device's bootstrap configuration (DigiCert's ZIP [C]), streamed to the caller through the
 * gateway, never held whole in memory, never cached or logged: for a device registered with server-side key
 * generation it may hold the device's private key.
 *
 * `GET {basePath}/dtm-bootstrap/{deviceId}` with `Authorization: Bearer <token>` (and `x-api-key` in pass-through
 * mode). Needs scope `devices`, and `keys:generate` too when the device has a server-side key generation policy. The
 * device is read first (one GET), so an id DigiCert does not show these credentials is a 404 before any download.
 * - 200: DigiCert's bytes as they arrive; `Content-Type: application/zip` (else application/octet-stream),
 *   `Content-Length` when DigiCert sent one, `Content-Disposition: attachment; filename="bootstrap-<deviceId>.zip"`
 *   (built from the validated id only), `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`.
 * - Errors are JSON `{"errors":[{"message","extensions":{"code"}}]}` with `Cache-Control: no-store`: 401
 *   UNAUTHENTICATED, 403 FORBIDDEN, 400 VALIDATION_FAILED (not a device id), 404 DEVICE_NOT_FOUND or NOT_FOUND (no
 *   such route), 405 (not GET), 409 BOOTSTRAP_NOT_AVAILABLE (DigiCert refused, e.g. a disabled device), 502
 *   UPSTREAM_UNAVAILABLE (with `Retry-After` when known) or another UPSTREAM_* code. No message carries DigiCert's text.
 *
 * Resolves false for any path outside `{basePath}/dtm-bootstrap`, so it is mounted before the batch downloads'
 * handler (which answers every other path under the base).
 */
export function createBootstrapDownloadHandler(options: BootstrapDownloadHandlerOptions): DownloadHandler {
  const prefix = `${(options.basePath ?? DOWNLOADS_BASE_PATH).replace(/\/+$/, "")}${ROUTE}`;
  const logger = options.logger.child({ component: "bootstrap-downloads" });

  return async (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    try {
      await serve(req, res, path.slice(prefix.length));
    } catch (error) {
      logger.error({ err: error }, "bootstrap download failed");
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
    let auth: Awaited<ReturnType<BootstrapDownloadHandlerOptions["authenticate"]>>;
    try {
      auth = await options.authenticate(firstHeader(req, "authorization"), firstHeader(req, "x-api-key"));
    } catch (error) {
      const challenge = error instanceof GraphQLError ? challengeOf(error) : undefined;
      sendError(res, 401, "UNAUTHENTICATED", "Unauthorized", {
        "www-authenticate": challenge ?? DEFAULT_CHALLENGE,
      });
      return;
    }
    const match = /^\/([^/]*)$/.exec(route);
    if (!match) {
      sendError(res, 404, "NOT_FOUND", "No download here.");
      return;
    }
    const { viewer, services } = auth;
    if (!viewer.scopes.has(SCOPES.devices)) {
      sendError(res, 403, "FORBIDDEN", "Your token does not grant the scope this download needs.");
      return;
    }
    let deviceId: DtmDeviceId;
    try {
      deviceId = parseDtmDeviceId(decodeSegment(match[1] ?? ""), "id");
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      sendError(res, 400, error.code, error.message, {}, { field: error.field });
      return;
    }

    let download: BootstrapDownload;
    try {
      const device = await services.dtm.getDevice(deviceId);
      if (!device) throw new DeviceNotFoundError(deviceId, "id");
      // The ZIP of a device whose key DigiCert generated may carry that key: the same scope as any generated key.
      if (
        device.bootstrap.some((policy) => policy.serverSideKeyGeneration) &&
        !viewer.scopes.has(SCOPES.generateKeys)
      ) {
        sendError(
          res,
          403,
          "FORBIDDEN",
          "This device's keys are generated by DigiCert: its bootstrap configuration needs the keys:generate scope too.",
        );
        return;
      }
      download = await services.dtm.downloadBootstrapConfig(deviceId);
    } catch (error) {
      sendUpstreamFailure(res, error, deviceId);
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
      "content-disposition": `attachment; filename="bootstrap-${deviceId}.zip"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    const started = performance.now();
    try {
      // pipeline ends the upstream body when the caller goes away, and the response when the body fails midway.
      await pipeline(body, res);
      logger.info(
        {
          tenant: viewer.tenant,
          subject: viewer.subject,
          deviceId,
          ms: Math.round(performance.now() - started),
        },
        "bootstrap configuration served",
      );
    } catch (error) {
      logger.info(
        { tenant: viewer.tenant, deviceId, reason: (error as { code?: string } | null)?.code ?? "error" },
        "bootstrap download ended early",
      );
    }
  }

  /** What the DTM datasource threw: a domain error (404, 409 or 502), or anything else (500, logged). */
  function sendUpstreamFailure(res: ServerResponse, domain: unknown, deviceId: DtmDeviceId): void {
    if (domain instanceof DeviceNotFoundError) {
      sendError(res, 404, "DEVICE_NOT_FOUND", domain.message);
    } else if (domain instanceof ValidationError) {
      sendError(
        res,
        409,
        "BOOTSTRAP_NOT_AVAILABLE",
        "DigiCert ONE has no bootstrap configuration to download for this device now (a disabled device has none).",
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
      logger.error({ err: domain, deviceId }, "bootstrap download failed");
      sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error.");
    }
  }
}

/** A path segment percent-decoded; one that does not decode is left as is (and refused as an id). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function firstHeader(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function challengeOf(error: GraphQLError): string | undefined {
  const http = error.extensions.http as { headers?: Record<string, string> } | undefined;
  return Object.entries(http?.headers ?? {}).find(([name]) => name.toLowerCase() === "www-authenticate")?.[1];
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
