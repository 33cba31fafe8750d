// Pieces the product clients share: what they need from the upstream, reads whose "absent" answer is normal, a
// streamed multipart body, bounded JSON reading of a streamed answer, safe header reading, streamed downloads.
import { randomBytes } from "node:crypto";
import { nullWhenHidden, UpstreamBodyError } from "./errors.js";
import {
  readBounded,
  type UpstreamRequest,
  type UpstreamResponse,
  type UpstreamRawBody,
  type UpstreamStreamRequest,
  type UpstreamStreamResponse,
} from "./http.js";

const encoder = new TextEncoder();
const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]{1,127}\/[A-Za-z0-9!#$&^_.+-]{1,127}$/;
export interface Part {
  name: string;
  value:
    | string
    | { fileName: string; contentType: string; stream: AsyncIterable<Uint8Array | string>; size?: number };
}

/** `"`, CR and LF percent-encoded, as browsers and undici do, so a name cannot end the header. */
function escapeHeaderValue(value: string): string {
  return value.replaceAll("\r", "%0D").replaceAll("\n", "%0A").replaceAll('"', "%22");
}

export function multipart(parts: readonly Part[]): UpstreamRawBody {
  const boundary = `----digicert-graphql-gateway-${randomBytes(16).toString("hex")}`;
  const heads = parts.map((part, index) => {
    const start = `${index === 0 ? "" : "\r\n"}--${boundary}\r\n`;
    const disposition = `Content-Disposition: form-data; name="${escapeHeaderValue(part.name)}"`;
    if (typeof part.value === "string") return encoder.encode(`${start}${disposition}\r\n\r\n${part.value}`);
    const type = CONTENT_TYPE.test(part.value.contentType)
      ? part.value.contentType
      : "application/octet-stream";
    return encoder.encode(
      `${start}${disposition}; filename="${escapeHeaderValue(part.value.fileName)}"\r\nContent-Type: ${type}\r\n\r\n`,
    );
  });
  const tail = encoder.encode(`${parts.length === 0 ? "" : "\r\n"}--${boundary}--\r\n`);
  let length: number | undefined = tail.length;
  for (const [index, part] of parts.entries()) {
    const size = typeof part.value === "string" ? 0 : part.value.size;
    length = length === undefined || size === undefined ? undefined : length + heads[index]!.length + size;
  }
  async function* content(): AsyncIterable<Uint8Array> {
    for (const [index, part] of parts.entries()) {
      yield heads[index]!;
      if (typeof part.value === "string") continue;
      let read = 0;
      for await (const chunk of part.value.stream) {
        const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
        read += bytes.length;
        if (part.value.size !== undefined && read > part.value.size) break;
        yield bytes;
      }
      if (part.value.size !== undefined && read !== part.value.size) {
        throw new RangeError(`The upload's ${part.name} part is not the ${part.value.size} bytes declared.`);
      }
    }
    yield tail;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    content: content(),
    ...(length === undefined ? {} : { length }),
  };
}

export async function readJson(
  body: AsyncIterable<Uint8Array>,
  max: number,
  operation: string,
): Promise<unknown> {
  const text = await readBounded(body, max, operation);
  if (text.length === 0) throw new UpstreamBodyError(operation, "response body is empty");
  // JSON.parse's own message quotes the input: never pass it on.
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamBodyError(operation, "response body is not valid JSON");
  }
}

export function header(headers: UpstreamStreamResponse["headers"], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `filename` of a Content-Disposition, kept only when it is a plain name of [A-Za-z0-9._-]. */
export function safeFileName(disposition: string | undefined): string | null {
  const name = disposition ? /filename\s*=\s*"?([^";]*)"?/i.exec(disposition)?.[1]?.trim() : undefined;
  if (!name || name.length > 128 || !/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name)) return null;
  return name;
}

/** The data file of a batch upload, read as it is sent (never buffered here). */
export interface BatchUploadFile {
  /** The file name as the user gave it; escaped in the part header. */
  name: string;
  /** Default `application/octet-stream`. */
  contentType?: string;
  /** A `Readable`, a web `ReadableStream`, or any async iterable of bytes. */
  stream: AsyncIterable<Uint8Array | string>;
  /** Bytes, when known: sent as Content-Length (with the framing) and checked against what is read. */
  size?: number;
}

/** A batch upload's multipart body: its validated text fields, then the file under `fileField`. */
export function multipartUpload(fields: object, fileField: string, file: BatchUploadFile): UpstreamRawBody {
  const parts: Part[] = Object.entries(fields)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .map(([name, value]) => ({ name, value }));
  parts.push({
    name: fileField,
    value: {
      fileName: file.name,
      contentType: file.contentType ?? "application/octet-stream",
      stream: file.stream,
      ...(file.size === undefined ? {} : { size: file.size }),
    },
  });
  return multipart(parts);
}

/** Uploads and downloads need the upstream's stream(); without it nothing is sent. */
export function streamThrough(
  http: { stream?(req: UpstreamStreamRequest): Promise<UpstreamStreamResponse> },
  req: UpstreamStreamRequest,
): Promise<UpstreamStreamResponse> {
  if (!http.stream) {
    throw new TypeError("The upstream client has no stream(): batch uploads and file downloads need it.");
  }
  return http.stream(req);
}

/** A file as DigiCert sends it (a batch download, a job report), streamed. */
export interface FileDownload {
  /** One of the types the call allows, else `application/octet-stream`. */
  contentType: string;
  /** Bytes, when DigiCert sent a Content-Length. */
  contentLength: number | null;
  /** The file name from Content-Disposition, reduced to [A-Za-z0-9._-], or null. */
  fileName: string | null;
  /** Headers safe to forward: content-type, and content-length / content-disposition when known. */
  headers: Record<string, string>;
  /** Unread; consume it or end it early with `return()`, or the connection stays busy. */
  body: AsyncIterable<Uint8Array>;
}

/** A streamed answer as a download: its type kept only when one of `types`, its length and name only when safe. */
export function toFileDownload(res: UpstreamStreamResponse, types: readonly string[]): FileDownload {
  const mediaType = header(res.headers, "content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  const contentType = types.includes(mediaType) ? mediaType : "application/octet-stream";
  const lengthText = header(res.headers, "content-length")?.trim();
  const contentLength = lengthText && /^\d{1,15}$/.test(lengthText) ? Number(lengthText) : null;
  const fileName = safeFileName(header(res.headers, "content-disposition"));
  const headers: Record<string, string> = { "content-type": contentType };
  if (contentLength !== null) headers["content-length"] = String(contentLength);
  if (fileName) headers["content-disposition"] = `attachment; filename="${fileName}"`;
  return { contentType, contentLength, fileName, headers, body: res.body };
}

/**
 * What a product client needs from the upstream: `UpstreamClient.request`, and for multipart uploads and file
 * downloads a `stream` (not buffered, no body-size cap on 2xx).
 */
export interface ProductUpstream {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  stream?(req: UpstreamStreamRequest): Promise<UpstreamStreamResponse>;
}

/** A read whose "absent" answer (403, 404) is normal: DigiCert's JSON read by `map`, or null. */
export async function readOrNull<W, T>(
  http: Pick<ProductUpstream, "request">,
  req: UpstreamRequest,
  map: (wire: W) => T,
): Promise<T | null> {
  const res = await nullWhenHidden(() => http.request(req));
  return res ? map(res.json as W) : null;
}
