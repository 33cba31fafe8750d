import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UpstreamHttpError, UpstreamTransportError } from "../../src/datasources/errors.js";
import { type IotDownload, IotClient } from "../../src/datasources/iot/client.js";
import {
  createDownloadHandler,
  type DownloadHandlerOptions,
  iotBatchDownloadPath,
} from "../../src/http/downloads.js";
import type { BatchJobId } from "../../src/model/iot/ids.js";

const JOB = "e6006353-ba03-4909-afc8-c611f00d7644";
const SECRET = "upstream text that must not leak";

/** What the fake DigiCert answers next: a download, or a failure to throw. */
let next: () => Promise<IotDownload>;
let calls: BatchJobId[];
let logs: string[];
let server: Server;
let origin: string;

const authenticate: DownloadHandlerOptions["authenticate"] = async (authorization) => {
  if (authorization !== "Bearer good" && authorization !== "Bearer reader") {
    throw new GraphQLError("Unauthorized", {
      extensions: {
        code: "UNAUTHENTICATED",
        http: { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="test"' } },
      },
    });
  }
  return {
    viewer: {
      subject: "tester",
      tenant: "default",
      scopes: new Set(authorization === "Bearer good" ? ["batch-jobs"] : ["certificates:read"]),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    },
    services: {
      iot: {
        downloadBatchCertificates: (id: BatchJobId) => {
          calls.push(id);
          return next();
        },
      },
    },
  };
};

/** The IoT client over a DigiCert that fails every call with `error`: it throws what the handler sees. */
function failingDownload(error: Error): Promise<IotDownload> {
  const fail = () => Promise.reject(error);
  return new IotClient({ request: fail, stream: fail }).downloadBatchCertificates(JOB as BatchJobId);
}

function download(body: AsyncIterable<Uint8Array>, headers: Partial<IotDownload> = {}): IotDownload {
  return {
    contentType: "application/zip",
    contentLength: null,
    fileName: null,
    headers: {},
    body,
    ...headers,
  };
}

beforeAll(async () => {
  logs = [];
  const handler = createDownloadHandler({
    authenticate,
    logger: pino({ level: "trace" }, { write: (line: string) => void logs.push(line) }),
  });
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end("not mine");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  calls = [];
  next = () => Promise.reject(new Error("no download prepared"));
});

async function get(path: string, bearer: string | null = "good") {
  const res = await fetch(`${origin}${path}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  return { res, text: await res.text() };
}

/** The status of a GET sent with its path exactly as given. */
function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: "127.0.0.1",
      port: new URL(origin).port,
      path,
      headers: { authorization: "Bearer good" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("createDownloadHandler", () => {
  it("leaves paths outside its base path to the next handler", async () => {
    for (const path of ["/graphql", "/downloadsx", "/health"]) {
      const { res, text } = await get(path);
      expect([res.status, text]).toEqual([418, "not mine"]);
    }
  });

  it("builds the URL GraphQL hands out", () => {
    expect(iotBatchDownloadPath(JOB)).toBe(`/downloads/iot-batch/${JOB}`);
  });

  it("streams each chunk as it arrives, without waiting for the whole body", async () => {
    let releaseSecond!: () => void;
    const secondMayCome = new Promise<void>((resolve) => (releaseSecond = resolve));
    next = async () =>
      download(
        (async function* () {
          yield Buffer.from("first;");
          // Only sent once the client has the first chunk: a buffering handler would hang here.
          await secondMayCome;
          yield Buffer.from("second");
        })(),
        { contentType: "application/pkcs7-mime", contentLength: 12 },
      );
    const res = await fetch(`${origin}/downloads/iot-batch/${JOB.toUpperCase()}`, {
      headers: { authorization: "Bearer good" },
    });
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "content-type": "application/pkcs7-mime",
      "content-length": "12",
      "content-disposition": `attachment; filename="${JOB}.p7m"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe("first;");
    releaseSecond();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += Buffer.from(chunk.value).toString();
    }
    expect(rest).toBe("second");
    expect(calls).toEqual([JOB]);
  });

  it("names the file from the job id and a fixed extension only, whatever DigiCert calls it", async () => {
    for (const [contentType, extension] of [
      ["application/json", "json"],
      ["application/zip", "zip"],
      ["application/pgp-encrypted", "pgp"],
      ["application/octet-stream", "bin"],
    ]) {
      next = async () =>
        download((async function* () {})(), {
          contentType: contentType!,
          fileName: "evil.exe",
          headers: { "content-disposition": 'attachment; filename="evil.exe"' },
        });
      const { res } = await get(`/downloads/iot-batch/${JOB}`);
      expect(res.headers.get("content-type")).toBe(contentType);
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${JOB}.${extension}"`);
    }
  });

  it("ends the upstream body when the client goes away mid-download", async () => {
    let upstreamEnded!: () => void;
    const ended = new Promise<void>((resolve) => (upstreamEnded = resolve));
    next = async () =>
      download(
        (async function* () {
          try {
            for (;;) {
              yield Buffer.alloc(64 * 1024, 1);
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
          } finally {
            upstreamEnded();
          }
        })(),
      );
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${origin}/downloads/iot-batch/${JOB}`, {
        headers: { authorization: "Bearer good" },
      });
      req.on("response", (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (error) => {
        if ((error as NodeJS.ErrnoException).code !== "ECONNRESET") reject(error);
      });
      req.end();
    });
    await expect(
      Promise.race([
        ended.then(() => "ended"),
        new Promise((resolve) => setTimeout(() => resolve("still running"), 2_000)),
      ]),
    ).resolves.toBe("ended");
  });

  it("cuts the response off when the upstream body fails midway (the client sees an error, not a short file)", async () => {
    next = async () =>
      download(
        (async function* () {
          yield Buffer.from("partial");
          throw new Error(SECRET);
        })(),
        { contentLength: 100 },
      );
    await expect(get(`/downloads/iot-batch/${JOB}`)).rejects.toThrow();
    expect(logs.join("\n")).not.toContain(SECRET);
  });

  it("refuses before calling DigiCert: 401, 403, 400, 404 and 405, each JSON with no-store", async () => {
    const cases: [string, string | null, number, string, string?][] = [
      [`/downloads/iot-batch/${JOB}`, null, 401, "UNAUTHENTICATED"],
      [`/downloads/iot-batch/${JOB}`, "forged", 401, "UNAUTHENTICATED"],
      [`/downloads/iot-batch/${JOB}`, "reader", 403, "FORBIDDEN"],
      ["/downloads/iot-batch/not-a-uuid", "good", 400, "VALIDATION_FAILED"],
      ["/downloads/iot-batch/", "good", 400, "VALIDATION_FAILED"],
      ["/downloads/elsewhere", "good", 404, "NOT_FOUND"],
    ];
    for (const [path, bearer, status, code] of cases) {
      const { res, text } = await get(path, bearer);
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(JSON.parse(text).errors[0].extensions.code).toBe(code);
    }
    // Sent as is (fetch would resolve dot segments first): encoded dots and slashes are no job id.
    for (const path of ["/downloads/iot-batch/%2e%2e", "/downloads/iot-batch/..%2f..%2fgraphql"]) {
      expect(await rawStatus(path)).toBe(400);
    }
    const anonymous = await get(`/downloads/iot-batch/${JOB}`, null);
    expect(anonymous.text).toBe(
      '{"errors":[{"message":"Unauthorized","extensions":{"code":"UNAUTHENTICATED"}}]}',
    );
    expect(anonymous.res.headers.get("www-authenticate")).toBe('Bearer realm="test"');
    const post = await fetch(`${origin}/downloads/iot-batch/${JOB}`, {
      method: "POST",
      headers: { authorization: "Bearer good" },
    });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET"]);
    expect(calls).toEqual([]);
  });

  it("maps DigiCert's failures to statuses and codes of its own, never DigiCert's text", async () => {
    const details = [{ code: "invalid_request", field: null, message: SECRET }];
    const cases: [Error, number, string, string | null][] = [
      [
        new UpstreamHttpError("iot.downloadBatchCertificates", 404, details, null),
        404,
        "REQUEST_NOT_FOUND",
        null,
      ],
      [
        new UpstreamHttpError("iot.downloadBatchCertificates", 403, details, null),
        404,
        "REQUEST_NOT_FOUND",
        null,
      ],
      [
        new UpstreamHttpError("iot.downloadBatchCertificates", 400, details, null),
        409,
        "BATCH_JOB_NOT_COMPLETE",
        null,
      ],
      [
        new UpstreamHttpError("iot.downloadBatchCertificates", 500, details, null),
        502,
        "UPSTREAM_UNAVAILABLE",
        null,
      ],
      [
        new UpstreamHttpError("iot.downloadBatchCertificates", 503, details, 7),
        502,
        "UPSTREAM_UNAVAILABLE",
        "7",
      ],
      [
        new UpstreamHttpError("iot.downloadBatchCertificates", 401, details, null),
        502,
        "UPSTREAM_UNAUTHENTICATED",
        null,
      ],
      [
        new UpstreamTransportError("iot.downloadBatchCertificates", SECRET, true),
        502,
        "UPSTREAM_UNAVAILABLE",
        null,
      ],
      [new Error(SECRET), 500, "INTERNAL_SERVER_ERROR", null],
    ];
    for (const [error, status, code, retryAfter] of cases) {
      next = () => failingDownload(error);
      const { res, text } = await get(`/downloads/iot-batch/${JOB}`);
      expect([res.status, JSON.parse(text).errors[0].extensions.code]).toEqual([status, code]);
      expect(res.headers.get("retry-after")).toBe(retryAfter);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(text).not.toContain(SECRET);
    }
  });
});
