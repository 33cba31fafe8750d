import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createSchema, createYoga } from "graphql-yoga";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { useStreamedUploads } from "../../../src/plugins/use-streamed-uploads.js";

const ENDPOINT = "http://gateway.test/graphql";
const MiB = 1024 * 1024;
const MAX_FILE = 64 * MiB;
const BOUNDARY = "----streamed-upload-test";

const schema = createSchema({
  typeDefs: /* GraphQL */ `
    scalar File
    type Query {
      hello: String!
    }
    type Digest {
      name: String!
      type: String!
      size: Int!
      streamed: Int!
      sha256: String!
      isFile: Boolean!
    }
    type Mutation {
      digest(file: File!): Digest!
      digestMany(files: [File!]!): [Digest!]!
      text(file: File!): String!
      explode(file: File!): Boolean!
      echo(value: String!): String!
    }
  `,
  resolvers: {
    Query: { hello: () => "world" },
    Mutation: {
      digest: (_: unknown, { file }: { file: File }) => digest(file),
      digestMany: (_: unknown, { files }: { files: File[] }) => Promise.all(files.map(digest)),
      text: (_: unknown, { file }: { file: File }) => file.text(),
      explode: async (_: unknown, { file }: { file: File }) => {
        await file.arrayBuffer();
        throw new Error("resolver failed");
      },
      echo: (_: unknown, { value }: { value: string }) => value,
    },
  },
});

/** Streams the file (never holding it whole) and reports what it read. */
async function digest(file: File) {
  const hash = createHash("sha256");
  let streamed = 0;
  for await (const chunk of file.stream() as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    streamed += chunk.byteLength;
  }
  return {
    name: file.name,
    type: file.type,
    size: file.size,
    streamed,
    sha256: hash.digest("hex"),
    isFile: file instanceof File,
  };
}

const tmpRoot = mkdtempSync(join(tmpdir(), "streamed-uploads-test-"));
afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

function setup(options: { maxFileBytes?: number; maxFiles?: number } = {}) {
  const uploads = useStreamedUploads({
    maxFileBytes: options.maxFileBytes ?? MAX_FILE,
    maxFiles: options.maxFiles ?? 3,
    tmpDir: tmpRoot,
  });
  const yoga = createYoga({ schema, logging: false, plugins: [uploads], maxRequestBodySize: false });
  return { uploads, yoga };
}

/** Nothing left behind: the plugin's count and the directory agree. */
async function expectNoTempFiles(uploads: { pendingFiles: number }) {
  await vi.waitFor(() => {
    expect(uploads.pendingFiles).toBe(0);
    expect(readdirSync(tmpRoot)).toEqual([]);
  });
}

afterEach(() => {
  expect(readdirSync(tmpRoot)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// Multipart bodies, generated as they are read
// ---------------------------------------------------------------------------------------------

interface FilePart {
  field: string;
  filename: string;
  type?: string;
  /** Bytes of deterministic content, generated chunk by chunk. */
  size: number;
}

type Part = { kind: "field"; name: string; value: string } | ({ kind: "file" } & FilePart);

const encoder = new TextEncoder();

function fieldPart(name: string, value: unknown): Part {
  return { kind: "field", name, value: typeof value === "string" ? value : JSON.stringify(value) };
}

function filePart(field: string, filename: string, size: number, type = "text/csv"): Part {
  return { kind: "file", field, filename, size, type };
}

/** Deterministic content: chunk i is filled with byte (i * 31 + offset) & 0xff. */
function* contentChunks(size: number, chunkSize = 64 * 1024): Generator<Uint8Array> {
  for (let offset = 0, i = 0; offset < size; offset += chunkSize, i++) {
    const chunk = new Uint8Array(Math.min(chunkSize, size - offset));
    for (let j = 0; j < chunk.length; j++) chunk[j] = (i * 31 + j) & 0xff;
    yield chunk;
  }
}

function sha256Of(size: number): string {
  const hash = createHash("sha256");
  for (const chunk of contentChunks(size)) hash.update(chunk);
  return hash.digest("hex");
}

function* multipartChunks(parts: Part[]): Generator<Uint8Array> {
  for (const part of parts) {
    if (part.kind === "field") {
      yield encoder.encode(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`,
      );
    } else {
      yield encoder.encode(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.field}"; filename="${part.filename}"\r\n` +
          `Content-Type: ${part.type ?? "application/octet-stream"}\r\n\r\n`,
      );
      yield* contentChunks(part.size);
      yield encoder.encode("\r\n");
    }
  }
  yield encoder.encode(`--${BOUNDARY}--\r\n`);
}

/** A body stream; `onChunk` sees the bytes sent so far and may stop (return "stall") or fail it. */
function bodyStream(
  parts: Part[],
  onChunk?: (sent: number) => "stall" | "error" | void,
): ReadableStream<Uint8Array> {
  const chunks = multipartChunks(parts);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const action = onChunk?.(sent);
      if (action === "stall") return new Promise<void>(() => undefined);
      if (action === "error") return controller.error(new Error("connection reset"));
      const next = chunks.next();
      if (next.done) return controller.close();
      sent += next.value.byteLength;
      controller.enqueue(next.value);
      return undefined;
    },
  });
}

function uploadInit(parts: Part[], init: RequestInit = {}, onChunk?: Parameters<typeof bodyStream>[1]) {
  return {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, accept: "application/json" },
    body: bodyStream(parts, onChunk),
    duplex: "half",
    ...init,
  } as RequestInit;
}

const DIGEST = "mutation ($file: File!) { digest(file: $file) { name type size streamed sha256 isFile } }";

function singleFile(size: number, query = DIGEST, map: unknown = { 0: ["variables.file"] }): Part[] {
  return [
    fieldPart("operations", { query, variables: { file: null } }),
    fieldPart("map", map),
    filePart("0", "devices.csv", size),
  ];
}

interface Body {
  data?: Record<string, any> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

// ---------------------------------------------------------------------------------------------

describe("useStreamedUploads", () => {
  it("hands a resolver a File read from disk: name, type, size, stream, text", async () => {
    const { uploads, yoga } = setup();
    const response = await yoga.fetch(ENDPOINT, uploadInit(singleFile(100_000)));
    const body = (await response.json()) as Body;
    expect(response.status).toBe(200);
    expect(body).toEqual({
      data: {
        digest: {
          name: "devices.csv",
          type: "text/csv",
          size: 100_000,
          streamed: 100_000,
          sha256: sha256Of(100_000),
          isFile: true,
        },
      },
    });
    await expectNoTempFiles(uploads);

    const text = await yoga.fetch(
      ENDPOINT,
      uploadInit([
        fieldPart("operations", { query: "mutation ($f: File!) { text(file: $f) }", variables: { f: null } }),
        fieldPart("map", { a: ["variables.f"] }),
        filePart("a", "a.txt", 0),
      ]),
    );
    expect(await text.json()).toEqual({ data: { text: "" } });
    await expectNoTempFiles(uploads);
  });

  it("maps several files, into a list", async () => {
    const { uploads, yoga } = setup();
    const parts = [
      fieldPart("operations", {
        query: "mutation ($files: [File!]!) { digestMany(files: $files) { name size sha256 } }",
        variables: { files: [null, null] },
      }),
      fieldPart("map", { 0: ["variables.files.0"], 1: ["variables.files.1"] }),
      filePart("0", "one.csv", 10),
      filePart("1", "two.zip", 70_000, "application/zip"),
    ];
    const body = (await (await yoga.fetch(ENDPOINT, uploadInit(parts))).json()) as Body;
    expect(body.data?.digestMany).toEqual([
      { name: "one.csv", size: 10, sha256: sha256Of(10) },
      { name: "two.zip", size: 70_000, sha256: sha256Of(70_000) },
    ]);
    await expectNoTempFiles(uploads);
  });

  it("streams a 60 MiB upload with memory growth well below the file's size", async () => {
    const { uploads, yoga } = setup();
    const size = 60 * MiB;
    const expected = sha256Of(size);
    // Samples are taken after a full collection: they measure what is held, not garbage not yet swept.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    gc();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed + before.arrayBuffers;
    let sawTempFile = false;
    const response = await yoga.fetch(
      ENDPOINT,
      uploadInit(singleFile(size), {}, (sent) => {
        if (sent % (4 * MiB) < 64 * 1024) {
          gc();
          const now = process.memoryUsage();
          peakRss = Math.max(peakRss, now.rss);
          peakHeap = Math.max(peakHeap, now.heapUsed + now.arrayBuffers);
          if (uploads.pendingFiles > 0) sawTempFile = true;
        }
      }),
    );
    const body = (await response.json()) as Body;
    expect(body.errors).toBeUndefined();
    expect(body.data?.digest).toMatchObject({ size, streamed: size, sha256: expected });
    expect(sawTempFile).toBe(true);
    gc();
    const after = process.memoryUsage();
    peakRss = Math.max(peakRss, after.rss);
    peakHeap = Math.max(peakHeap, after.heapUsed + after.arrayBuffers);
    console.log(
      "MEM",
      (peakRss - before.rss) / MiB,
      (peakHeap - (before.heapUsed + before.arrayBuffers)) / MiB,
    );
    expect(peakRss - before.rss).toBeLessThan(32 * MiB);
    expect(peakHeap - (before.heapUsed + before.arrayBuffers)).toBeLessThan(32 * MiB);
    await expectNoTempFiles(uploads);
  }, 60_000);

  it("answers 413 PAYLOAD_TOO_LARGE to a file one byte over the cap, stops reading and keeps nothing", async () => {
    const { uploads, yoga } = setup({ maxFileBytes: MiB });
    let sentTotal = 0;
    const response = await yoga.fetch(
      ENDPOINT,
      uploadInit(singleFile(MiB + 1), {}, (sent) => void (sentTotal = sent)),
    );
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    const body = (await response.json()) as Body;
    expect(body.errors?.[0]?.extensions?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(body.errors?.[0]?.message).toContain("devices.csv");
    await expectNoTempFiles(uploads);

    // A file exactly at the cap passes; a far larger one is not read to its end.
    const atCap = (await (await yoga.fetch(ENDPOINT, uploadInit(singleFile(MiB)))).json()) as Body;
    expect(atCap.data?.digest).toMatchObject({ size: MiB });
    const huge = await yoga.fetch(
      ENDPOINT,
      uploadInit(singleFile(50 * MiB), {}, (s) => void (sentTotal = s)),
    );
    expect(huge.status).toBe(413);
    expect(sentTotal).toBeLessThan(8 * MiB);
    await expectNoTempFiles(uploads);
  });

  it.each([
    ["points at the query", { 0: ["query"] }],
    ["points at extensions", { 0: ["extensions.file"] }],
    ["points at a variable that is not a null placeholder", { 0: ["variables.other"] }],
    ["walks the prototype", { 0: ["variables.__proto__.file"] }],
    ["is not JSON", "{0:"],
    ["is an array", [["variables.file"]]],
    ["has a non-array entry", { 0: "variables.file" }],
    ["maps a path twice", { 0: ["variables.file"], 1: ["variables.file"] }],
  ])("answers BAD_USER_INPUT to a map that %s, and keeps nothing", async (_, map) => {
    const { uploads, yoga } = setup();
    const parts = [
      fieldPart("operations", { query: DIGEST, variables: { file: null, other: "x" } }),
      fieldPart("map", map),
      filePart("0", "devices.csv", 1000),
      filePart("1", "devices.csv", 1000),
    ];
    const response = await yoga.fetch(ENDPOINT, uploadInit(parts));
    expect(response.status).toBe(400);
    const body = (await response.json()) as Body;
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    await expectNoTempFiles(uploads);
  });

  it.each([
    [
      "a file before the map",
      [fieldPart("operations", { query: DIGEST, variables: { file: null } }), filePart("0", "a", 5)],
    ],
    ["a file the map does not name", [...singleFile(5), filePart("9", "b", 5)]],
    ["a mapped file that never comes", singleFile(5).slice(0, 2)],
    [
      "operations that are not JSON",
      [fieldPart("operations", "nope"), fieldPart("map", {}), filePart("0", "a", 5)],
    ],
    [
      "more files than allowed",
      [
        fieldPart("operations", { query: DIGEST, variables: { a: null, b: null, c: null, d: null } }),
        fieldPart("map", { 0: ["variables.a"], 1: ["variables.b"], 2: ["variables.c"], 3: ["variables.d"] }),
      ],
    ],
  ])("answers BAD_USER_INPUT to %s", async (_, parts) => {
    const { uploads, yoga } = setup();
    const response = await yoga.fetch(ENDPOINT, uploadInit(parts));
    expect(response.status).toBe(400);
    expect(((await response.json()) as Body).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    await expectNoTempFiles(uploads);
  });

  it("removes the files after the resolver throws", async () => {
    const { uploads, yoga } = setup();
    const response = await yoga.fetch(
      ENDPOINT,
      uploadInit(singleFile(300_000, "mutation ($file: File!) { explode(file: $file) }")),
    );
    const body = (await response.json()) as Body;
    expect(body.errors?.[0]?.message).toBe("Unexpected error.");
    await expectNoTempFiles(uploads);
  });

  it("removes the files when the client aborts mid-upload", async () => {
    const { uploads, yoga } = setup();
    const controller = new AbortController();
    let stalled = false;
    const pending = Promise.resolve(
      yoga.fetch(
        ENDPOINT,
        uploadInit(singleFile(20 * MiB), { signal: controller.signal }, (sent) => {
          if (sent < 2 * MiB) return undefined;
          stalled = true;
          return "stall";
        }),
      ),
    ).catch((error: unknown) => error);
    await vi.waitFor(() => {
      expect(stalled).toBe(true);
      expect(uploads.pendingFiles).toBe(1);
    });
    controller.abort();
    await pending;
    await expectNoTempFiles(uploads);
  });

  it("removes the files when the body fails mid-upload (connection reset)", async () => {
    const { uploads, yoga } = setup();
    const response = await Promise.resolve(
      yoga.fetch(
        ENDPOINT,
        uploadInit(singleFile(20 * MiB), {}, (sent) => (sent > 2 * MiB ? "error" : undefined)),
      ),
    ).catch((error: unknown) => error);
    if (response instanceof Response) expect(response.status).toBeGreaterThanOrEqual(400);
    await expectNoTempFiles(uploads);
  });

  it("removes the files when an HTTP client disconnects mid-upload", async () => {
    const { uploads, yoga } = setup();
    const server = createServer(yoga);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const req = httpRequest({
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
      });
      req.on("error", () => undefined);
      const chunks = multipartChunks(singleFile(20 * MiB));
      let sent = 0;
      for (const chunk of chunks) {
        if (!req.write(chunk)) await once(req, "drain");
        sent += chunk.byteLength;
        if (sent > 2 * MiB) break;
      }
      await vi.waitFor(() => expect(uploads.pendingFiles).toBe(1));
      req.destroy();
      await expectNoTempFiles(uploads);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("caps the whole request: a Content-Length over it is refused unread, a chunked body once it crosses it", async () => {
    const uploads = useStreamedUploads({
      maxFileBytes: MiB,
      maxFiles: 2,
      maxRequestBytes: 2 * MiB,
      tmpDir: tmpRoot,
    });
    const yoga = createYoga({ schema, logging: false, plugins: [uploads], maxRequestBodySize: false });
    let pulled = 0;
    const announced = await yoga.fetch(
      ENDPOINT,
      uploadInit(
        singleFile(10),
        {
          headers: {
            "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
            "content-length": String(2 * MiB + 1),
          },
        },
        () => void pulled++,
      ),
    );
    expect(announced.status).toBe(413);
    // A ReadableStream pulls once by itself (to fill its queue of one); nothing more was asked for.
    expect(pulled).toBeLessThanOrEqual(1);
    const parts = [
      fieldPart("operations", {
        query: "mutation ($files: [File!]!) { digestMany(files: $files) { size } }",
        variables: { files: [null, null] },
      }),
      fieldPart("map", { 0: ["variables.files.0"], 1: ["variables.files.1"] }),
      filePart("0", "one.csv", MiB),
      filePart("1", "two.csv", MiB),
    ];
    const counted = await yoga.fetch(ENDPOINT, uploadInit(parts));
    expect(counted.status).toBe(413);
    expect(((await counted.json()) as Body).errors?.[0]?.extensions?.code).toBe("PAYLOAD_TOO_LARGE");
    await expectNoTempFiles(uploads);
  });

  it("fails loudly (500, nothing read) when yoga's maxRequestBodySize would buffer the body first", async () => {
    const uploads = useStreamedUploads({ maxFileBytes: MiB, maxFiles: 1, tmpDir: tmpRoot });
    const yoga = createYoga({ schema, logging: false, plugins: [uploads] });
    const response = await yoga.fetch(ENDPOINT, uploadInit(singleFile(10)));
    expect(response.status).toBe(500);
    await expectNoTempFiles(uploads);
  });

  it("leaves other requests to yoga", async () => {
    const { uploads, yoga } = setup();
    const json = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: 'mutation { echo(value: "hi") }' }),
    });
    expect(await json.json()).toEqual({ data: { echo: "hi" } });
    const get = await yoga.fetch(`${ENDPOINT}?query=${encodeURIComponent("{ hello }")}`);
    expect(await get.json()).toEqual({ data: { hello: "world" } });
    expect(uploads.pendingFiles).toBe(0);
  });

  it("refuses bad options", () => {
    expect(() => useStreamedUploads({ maxFileBytes: 0, maxFiles: 1 })).toThrow(RangeError);
    expect(() => useStreamedUploads({ maxFileBytes: 1, maxFiles: 1.5 })).toThrow(RangeError);
  });
});
