import { IncomingMessage } from "node:http";
import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

export interface BodyLimitOptions {
  /**
   * Leave `multipart/form-data` requests (uploads) to their own streaming path. Yoga's own
   * `maxRequestBodySize` (default 25 MB) still applies to them. Default: false (limited too).
   */
  exemptMultipart?: boolean;
}

export const PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE";

/**
 * Refuses a GraphQL request larger than `maxBytes` with HTTP 413 and the body
 * `{"errors":[{"message":"Request body too large","extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}`.
 *
 * - A `Content-Length` over the limit is refused before any byte of the body is read.
 * - A body without one (chunked), or longer than it announced, is counted as it is read and
 *   refused at the first chunk that crosses the limit; the rest is not read. Over node:http a body
 *   is never longer than its Content-Length (the parser frames it), so one within it is not re-streamed.
 * - A GET request's query string (which carries the operation) counts as its body.
 * - The 413 carries `Connection: close`, so Node's server closes the socket after answering
 *   instead of draining the unread rest of the body to keep the connection alive.
 *
 * HTTP only, by nature (a yoga `onRequestParse` hook: it wraps whichever request parser yoga picked).
 * Set it below yoga's own `maxRequestBodySize` (25 MB, code REQUEST_ENTITY_TOO_LARGE), which still
 * runs after this one.
 */
export function limitRequestBody(maxBytes: number, options: BodyLimitOptions = {}): Plugin {
  if (!Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`limitRequestBody: maxBytes must be a positive integer, got ${String(maxBytes)}.`);
  }
  const { exemptMultipart = false } = options;
  return {
    onRequestParse({ request, url, requestParser, setRequestParser, fetchAPI, serverContext }) {
      const contentType = request.headers.get("content-type")?.toLowerCase() ?? "";
      if (exemptMultipart && contentType.startsWith("multipart/form-data")) return;
      if (request.method === "GET" && url.search.length > maxBytes) throw requestBodyTooLarge();
      const contentLength = request.headers.get("content-length");
      // A malformed Content-Length is yoga's to refuse (400); the body is counted regardless.
      const announced = contentLength !== null && /^\d+$/.test(contentLength);
      if (announced && Number(contentLength) > maxBytes) throw requestBodyTooLarge();
      if (!requestParser || !request.body) return;
      // Counting costs a stream pipeline per request (an AbortController and a DOMException each): skip it where
      // the transport already holds the body to its announced length.
      if (announced && (serverContext as { req?: unknown } | undefined)?.req instanceof IncomingMessage)
        return;
      const parse = requestParser;
      setRequestParser(async (req) => {
        const limited = withLimitedBody(req, maxBytes, fetchAPI);
        try {
          return await parse(limited.request);
        } catch (error) {
          // Yoga's multipart parser rewraps a body error as 400 "invalid multipart data".
          if (limited.overLimit()) throw requestBodyTooLarge();
          throw error;
        }
      });
    },
  };
}

/** The 413 error; yoga strips `extensions.http` from the response body. */
export function requestBodyTooLarge(): GraphQLError {
  return new GraphQLError("Request body too large", {
    extensions: { code: PAYLOAD_TOO_LARGE, http: { status: 413, headers: { Connection: "close" } } },
  });
}

type FetchAPI = { Request: typeof Request; TransformStream: typeof TransformStream };

/** The same request, its body erroring once more than maxBytes have passed through. */
function withLimitedBody(
  request: Request,
  maxBytes: number,
  fetchAPI: FetchAPI,
): { request: Request; overLimit: () => boolean } {
  const body = request.body;
  if (!body) return { request, overLimit: () => false };
  // As yoga's own limit does: a native stream needs the native TransformStream, yoga's ponyfill
  // stream (the Node adapter's) the ponyfill one.
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let bytes = 0;
  const limited = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > maxBytes) {
          controller.error(requestBodyTooLarge());
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  const limitedRequest = new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: limited,
    duplex: "half",
  } as RequestInit);
  return { request: limitedRequest, overLimit: () => bytes > maxBytes };
}
