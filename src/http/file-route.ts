/**
 * What every file route beside GraphQL shares (IoT batch downloads, DTM bootstrap configurations): the route's
 * prefix, GET only, the caller authenticated as for GraphQL, JSON errors with codes and `no-store`, DigiCert's bytes
 * streamed through (never held whole, never cached or logged), and upstream failures as HTTP statuses.
 * Imports the model's errors and the auth viewer type; a route file builds on it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GraphQLError } from "graphql";
import type { Viewer } from "../auth/viewer.js";
import type { Logger } from "../logger.js";
import { DomainError, UpstreamUnavailableError } from "../model/errors.js";

/** Resolves true when the request was under the route's prefix (and answered), false to leave it to the next. */
export type DownloadHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const DEFAULT_CHALLENGE = 'Bearer realm="digicert-graphql-gateway"';

export interface FileRouteOptions<A extends { viewer: Viewer }> {
  /** The path this route answers, and everything below it. */
  prefix: string;
  logger: Logger;
  /** app.ts's `authenticate`: the caller and its tenant's services, or a throw (401). */
  authenticate(authorization: string | null, apiKey: string | null): Promise<A>;
  /** Answers an authenticated GET; `route` is the path after the prefix. */
  serve(req: IncomingMessage, res: ServerResponse, route: string, auth: A): Promise<void>;
}

/** A handler for GET `{prefix}/...`: 405 for other methods, 401 before `serve`, 500 (logged) when `serve` throws. */
export function fileRoute<A extends { viewer: Viewer }>(options: FileRouteOptions<A>): DownloadHandler {
  const prefix = options.prefix.replace(/\/+$/, "");
  return async (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    try {
      if (req.method !== "GET") {
        sendError(res, 405, "METHOD_NOT_ALLOWED", "Downloads are read with GET.", { allow: "GET" });
        return true;
      }
      let auth: A;
      try {
        auth = await options.authenticate(firstHeader(req, "authorization"), firstHeader(req, "x-api-key"));
      } catch (error) {
        sendError(res, 401, "UNAUTHENTICATED", "Unauthorized", {
          "www-authenticate": (error instanceof GraphQLError && challengeOf(error)) || DEFAULT_CHALLENGE,
        });
        return true;
      }
      await options.serve(req, res, path.slice(prefix.length), auth);
    } catch (error) {
      options.logger.error({ err: error }, "download failed");
      if (!res.headersSent) sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error.");
      else res.destroy();
    }
    return true;
  };
}

/** A file as a datasource streams it. */
export interface StreamedFile {
  contentType: string;
  contentLength: number | null;
  body: AsyncIterable<Uint8Array>;
}

/**
 * Streams `file` to the caller as an attachment named `fileName` (built by the route from validated values only),
 * and logs one line (what `about` says, never the bytes). A caller that goes away ends the upstream body, which
 * releases its connection; a body that fails midway ends the response.
 */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: StreamedFile,
  fileName: string,
  log: { logger: Logger; about: Record<string, unknown>; served: string; endedEarly: string },
): Promise<void> {
  const body = file.body instanceof Readable ? file.body : Readable.from(file.body);
  if (res.destroyed || req.destroyed) {
    body.destroy();
    return;
  }
  res.writeHead(200, {
    "content-type": file.contentType,
    ...(file.contentLength === null ? {} : { "content-length": String(file.contentLength) }),
    "content-disposition": `attachment; filename="${fileName}"`,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  const started = performance.now();
  try {
    await pipeline(body, res);
    log.logger.info({ ...log.about, ms: Math.round(performance.now() - started) }, log.served);
  } catch (error) {
    const reason = (error as { code?: string } | null)?.code ?? "error";
    log.logger.info({ ...log.about, reason }, log.endedEarly);
  }
}

/**
 * What a datasource threw, as the route's answer: the route's own cases first (`own` answers and returns true), then
 * DigiCert unavailable (502 with Retry-After when known), any other domain error (502 with its code), else 500, logged.
 */
export function sendUpstreamFailure(
  res: ServerResponse,
  error: unknown,
  own: (error: unknown) => boolean,
  log: { logger: Logger; about: Record<string, unknown> },
): void {
  if (own(error)) return;
  if (error instanceof UpstreamUnavailableError) {
    const retry: Record<string, string> =
      error.retryAfterSeconds === null ? {} : { "retry-after": String(error.retryAfterSeconds) };
    sendError(res, 502, error.code, error.message, retry);
  } else if (error instanceof DomainError) {
    sendError(res, 502, error.code, error.message);
  } else {
    log.logger.error({ err: error, ...log.about }, "download failed");
    sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error.");
  }
}

export function firstHeader(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

function challengeOf(error: GraphQLError): string | undefined {
  const http = error.extensions.http as { headers?: Record<string, string> } | undefined;
  return Object.entries(http?.headers ?? {}).find(([name]) => name.toLowerCase() === "www-authenticate")?.[1];
}

/** A JSON error `{"errors":[{"message","extensions":{"code",...}}]}`, not cached. */
export function sendError(
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
