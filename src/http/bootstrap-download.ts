import type { ServerResponse } from "node:http";
import { SCOPES, type Viewer } from "../auth/viewer.js";
import type { BootstrapDownload } from "../datasources/dtm/client.js";
import type { Logger } from "../logger.js";
import type { Device } from "../model/dtm/device.js";
import { DeviceNotFoundError } from "../model/errors.js";
import { type DtmDeviceId, parseDtmDeviceId } from "../model/dtm/ids.js";
import { ValidationError } from "../model/errors.js";
import { DOWNLOADS_BASE_PATH } from "./downloads.js";
import { type DownloadHandler, fileRoute, sendError, sendFile, sendUpstreamFailure } from "./file-route.js";

/** The route's segment under the downloads base path. */
const ROUTE = "/dtm-bootstrap";

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
  const logger = options.logger.child({ component: "bootstrap-downloads" });
  return fileRoute({
    prefix: `${(options.basePath ?? DOWNLOADS_BASE_PATH).replace(/\/+$/, "")}${ROUTE}`,
    logger,
    authenticate: options.authenticate,
    serve: async (req, res, route, { viewer, services }) => {
      const match = /^\/([^/]*)$/.exec(route);
      if (!match) {
        sendError(res, 404, "NOT_FOUND", "No download here.");
        return;
      }
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
        // The ZIP of a device whose key DigiCert generated may carry that key: the same scope as any generated key,
        // unless DigiCert's answer proves every policy uses client-side keys (an unreadable answer proves nothing).
        if (!device.bootstrapKeysClientSideOnly && !viewer.scopes.has(SCOPES.generateKeys)) {
          sendError(
            res,
            403,
            "FORBIDDEN",
            "This device's bootstrap configuration may hold a key DigiCert generated: it needs the keys:generate scope too.",
          );
          return;
        }
        download = await services.dtm.downloadBootstrapConfig(deviceId);
      } catch (error) {
        sendUpstreamFailure(res, error, (e) => bootstrapFailure(res, e), { logger, about: { deviceId } });
        return;
      }
      await sendFile(req, res, download, `bootstrap-${deviceId}.zip`, {
        logger,
        about: { tenant: viewer.tenant, subject: viewer.subject, deviceId },
        served: "bootstrap configuration served",
        endedEarly: "bootstrap download ended early",
      });
    },
  });
}

/** The bootstrap route's own failures: no such device (404), or DigiCert has none for it now (409, e.g. disabled). */
function bootstrapFailure(res: ServerResponse, error: unknown): boolean {
  if (error instanceof DeviceNotFoundError) {
    sendError(res, 404, "DEVICE_NOT_FOUND", error.message);
  } else if (error instanceof ValidationError) {
    sendError(
      res,
      409,
      "BOOTSTRAP_NOT_AVAILABLE",
      "DigiCert ONE has no bootstrap configuration to download for this device now (a disabled device has none).",
    );
  } else {
    return false;
  }
  return true;
}

/** A path segment percent-decoded; one that does not decode is left as is (and refused as an id). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
