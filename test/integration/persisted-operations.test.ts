/**
 * Persisted operations over real sockets (simulator + gateway on port 0): trusted documents over HTTP POST and GET,
 * SSE and graphql-ws, with and without arbitrary operations allowed; automatic persisted queries in memory (bounded)
 * and shared through a real redis-server.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { App } from "../../src/app.js";
import { loadConfig, type PersistedOperationsConfig } from "../../src/config.js";
import { JOB_SUBSCRIPTION, pendingIotJob } from "../helpers/jobs.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { type Stack, startStack, TEST_DEFENCES, testApp } from "../helpers/stack.js";
import { type HttpAnswer, postJson } from "../helpers/graphql-http.js";

const CERTIFICATE = `query($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber status } }`;
const FIRST_SERIAL = `{ certificates(first: 1) { edges { node { serialNumber } } } }`;
const ARBITRARY = `{ certificates(first: 2) { edges { node { serialNumber } } } }`;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const manifest = { [`sha256:${sha256(CERTIFICATE)}`]: CERTIFICATE, [sha256(FIRST_SERIAL)]: FIRST_SERIAL };
manifest[sha256(JOB_SUBSCRIPTION)] = JOB_SUBSCRIPTION;

const dir = mkdtempSync(join(tmpdir(), "gw-persisted-"));
const manifestFile = join(dir, "persisted-documents.json");
writeFileSync(manifestFile, JSON.stringify(manifest));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the gateway would run with these settings, read and checked by loadConfig as at start. */
function persisted(env: Record<string, string>): PersistedOperationsConfig {
  return loadConfig({ GRAPHIQL: "false", ...env }).defences.persistedOperations!;
}

type Answer = HttpAnswer;

async function post(stack: Stack, body: unknown, token?: string | null): Promise<Answer> {
  return postJson(stack.url, body, { bearer: token === undefined ? await stack.token() : token });
}

async function get(stack: Stack, search: Record<string, string>): Promise<Answer> {
  const url = new URL(stack.url);
  for (const [key, value] of Object.entries(search)) url.searchParams.set(key, value);
  const res = await fetch(url, {
    headers: { accept: "application/graphql-response+json", authorization: `Bearer ${await stack.token()}` },
  });
  return {
    status: res.status,
    requestId: res.headers.get("x-request-id"),
    body: (await res.json()) as Answer["body"],
  };
}

const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

/** The first event of a subscription over SSE (POST, Accept: text/event-stream); the stream is then cut. */
async function firstSseEvent(stack: Stack, body: unknown): Promise<any> {
  const abort = new AbortController();
  const res = await fetch(stack.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${await stack.token()}`,
    },
    body: JSON.stringify(body),
    signal: abort.signal,
  });
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      const data = buffer.split("\n").find((line) => line.startsWith("data: {"));
      if (data && buffer.includes("\n\n")) return JSON.parse(data.slice(6));
    }
  } finally {
    abort.abort();
  }
  throw new Error(`the stream ended without an event: ${buffer}`);
}

/** One operation over graphql-ws; resolves with its first result, or the errors it was refused with. */
async function overWebSocket(stack: Stack, payload: Record<string, unknown>): Promise<Answer["body"]> {
  const client = createClient({
    url: stack.url.href.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${await stack.token()}` },
    retryAttempts: 0,
    lazy: true,
  });
  try {
    return await new Promise((resolve, reject) => {
      client.subscribe(payload as never, {
        next: (value) => resolve(value as Answer["body"]),
        error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
        complete: () => resolve({}),
      });
    });
  } finally {
    await client.dispose();
  }
}

/** A job waiting for approval, made through a gateway that takes any document (jobs live in the simulator). */
async function pendingJobOn(stack: Stack, name: string): Promise<string> {
  const open = testApp(stack.simulator.url, stack.issuer);
  try {
    return await pendingIotJob(await open.start(), await stack.token(), `${name}.iot.example.com`);
  } finally {
    await open.stop({ graceMs: 100 });
  }
}

describe("trusted documents only", () => {
  let stack: Stack;
  let serial: string;
  beforeAll(async () => {
    stack = await startStack({
      defences: { persistedOperations: persisted({ TRUSTED_DOCUMENTS_FILE: manifestFile }) },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("runs a manifest document named by documentId over POST, with its variables", async () => {
    const first = await post(stack, { documentId: sha256(FIRST_SERIAL) });
    expect(first.body.errors).toBeUndefined();
    serial = first.body.data.certificates.edges[0].node.serialNumber;
    const one = await post(stack, { documentId: `sha256:${sha256(CERTIFICATE)}`, variables: { s: serial } });
    expect(one.status).toBe(200);
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data.certificate.serialNumber).toBe(serial);
    expect(typeof one.body.data.certificate.status).toBe("string");
  });

  it("runs one named in a GET's query string, and one named by extensions.persistedQuery.sha256Hash", async () => {
    const byGet = await get(stack, {
      documentId: sha256(CERTIFICATE),
      variables: JSON.stringify({ s: serial }),
    });
    expect(byGet.body.errors).toBeUndefined();
    expect(byGet.body.data.certificate.serialNumber).toBe(serial);
    const byHash = await post(stack, {
      variables: { s: serial },
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(CERTIFICATE) } },
    });
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data.certificate.serialNumber).toBe(serial);
  });

  it("refuses a document's text with PERSISTED_QUERY_ID_REQUIRED before anything reaches DigiCert", async () => {
    stack.simulator.resetCounters();
    const arbitrary = await post(stack, { query: ARBITRARY });
    expect(arbitrary.status).toBe(400);
    expect(codeOf(arbitrary)).toBe("PERSISTED_QUERY_ID_REQUIRED");
    expect(arbitrary.body.errors![0]!.message).toMatch(/trusted documents only/);
    expect(arbitrary.body.data).toBeUndefined();
    // Even the exact text of a trusted document: the id is what is trusted.
    expect(codeOf(await post(stack, { query: FIRST_SERIAL }))).toBe("PERSISTED_QUERY_ID_REQUIRED");
    expect(codeOf(await get(stack, { query: ARBITRARY }))).toBe("PERSISTED_QUERY_ID_REQUIRED");
    expect(codeOf(await post(stack, { variables: {} }))).toBe("PERSISTED_QUERY_ID_REQUIRED");
    expect(Object.values(stack.simulator.requestCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("refuses an id that names no trusted document with PERSISTED_QUERY_NOT_IN_LIST", async () => {
    for (const documentId of [sha256(ARBITRARY), "sha256:not-hex", "x".repeat(5000)]) {
      const answer = await post(stack, { documentId });
      expect(answer.status).toBe(400);
      expect(codeOf(answer)).toBe("PERSISTED_QUERY_NOT_IN_LIST");
    }
  });

  it("still answers an anonymous caller 401 before looking at the id", async () => {
    const answer = await post(stack, { documentId: sha256(FIRST_SERIAL) }, null);
    expect(answer.status).toBe(401);
    expect(codeOf(answer)).toBe("UNAUTHENTICATED");
  });

  it("streams a subscription named by id over SSE, and refuses an arbitrary one", async () => {
    const jobId = await pendingJobOn(stack, "pq-sse");
    const event = await firstSseEvent(stack, {
      documentId: sha256(JOB_SUBSCRIPTION),
      variables: { id: jobId },
    });
    expect(event.errors).toBeUndefined();
    expect(event.data.batchJobStatusChanged.status).toBe("PENDING_APPROVAL");
    const refused = await firstSseEvent(stack, { query: JOB_SUBSCRIPTION, variables: { id: jobId } });
    expect(refused.errors[0].extensions.code).toBe("PERSISTED_QUERY_ID_REQUIRED");
  });

  it("over graphql-ws runs a subscription named by id and refuses an arbitrary document", async () => {
    const jobId = await pendingJobOn(stack, "pq-ws");
    const byId = await overWebSocket(stack, {
      query: "",
      documentId: sha256(JOB_SUBSCRIPTION),
      variables: { id: jobId },
    });
    expect(byId.errors).toBeUndefined();
    expect(byId.data.batchJobStatusChanged.status).toBe("PENDING_APPROVAL");
    const byHash = await overWebSocket(stack, {
      query: "",
      variables: { s: serial },
      extensions: { persistedQuery: { version: 1, sha256Hash: sha256(CERTIFICATE) } },
    });
    expect(byHash.data.certificate.serialNumber).toBe(serial);

    stack.simulator.resetCounters();
    const subscription = await overWebSocket(stack, { query: JOB_SUBSCRIPTION, variables: { id: jobId } });
    expect(subscription.data).toBeUndefined();
    expect(subscription.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_ID_REQUIRED");
    const query = await overWebSocket(stack, { query: ARBITRARY });
    expect(query.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_ID_REQUIRED");
    const unknown = await overWebSocket(stack, { query: "", documentId: sha256(ARBITRARY) });
    expect(unknown.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_IN_LIST");
    expect(Object.values(stack.simulator.requestCounts()).reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe("trusted documents with arbitrary operations allowed (staging)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      defences: {
        persistedOperations: persisted({
          TRUSTED_DOCUMENTS_FILE: manifestFile,
          TRUSTED_DOCUMENTS_ALLOW_ARBITRARY: "true",
          APQ: "true",
        }),
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("runs both documents named by id and arbitrary ones, over HTTP and graphql-ws", async () => {
    const byId = await post(stack, { documentId: sha256(FIRST_SERIAL) });
    expect(byId.body.data.certificates.edges).toHaveLength(1);
    const arbitrary = await post(stack, { query: ARBITRARY });
    expect(arbitrary.body.data.certificates.edges).toHaveLength(2);
    const wsById = await overWebSocket(stack, { query: "", documentId: sha256(FIRST_SERIAL) });
    expect(wsById.data.certificates.edges).toHaveLength(1);
    const wsArbitrary = await overWebSocket(stack, { query: ARBITRARY });
    expect(wsArbitrary.data.certificates.edges).toHaveLength(2);
    // An unknown documentId is still refused, not run as something else.
    expect(codeOf(await post(stack, { documentId: sha256(ARBITRARY) }))).toBe("PERSISTED_QUERY_NOT_IN_LIST");
  });

  it("hands a hash the manifest lacks to APQ", async () => {
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(ARBITRARY) } };
    expect(codeOf(await post(stack, { extensions }))).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await post(stack, { query: ARBITRARY, extensions })).body.data.certificates.edges).toHaveLength(
      2,
    );
    expect((await post(stack, { extensions })).body.data.certificates.edges).toHaveLength(2);
  });
});

describe("automatic persisted queries", () => {
  let stack: Stack;
  const apq = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
  beforeAll(async () => {
    const settings = persisted({ APQ: "true" });
    stack = await startStack({
      defences: { persistedOperations: { ...settings, apq: { ...settings.apq!, maxEntries: 2 } } },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("answers a hash it does not know with PERSISTED_QUERY_NOT_FOUND, then stores the query sent with it", async () => {
    const query = `query Apq1 { certificates(first: 1) { edges { node { serialNumber } } } }`;
    const unknown = await post(stack, { extensions: apq(query) });
    expect(unknown.status).toBe(404);
    expect(codeOf(unknown)).toBe("PERSISTED_QUERY_NOT_FOUND");
    const registered = await post(stack, { query, extensions: apq(query) });
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data.certificates.edges).toHaveLength(1);
    const known = await post(stack, { extensions: apq(query) });
    expect(known.body.errors).toBeUndefined();
    expect(known.body.data).toEqual(registered.body.data);
  });

  it("refuses a query whose hash is not its SHA-256, without running or storing it", async () => {
    stack.simulator.resetCounters();
    const wrong = { persistedQuery: { version: 1, sha256Hash: sha256("something else") } };
    const mismatch = await post(stack, { query: ARBITRARY, extensions: wrong });
    expect(mismatch.status).toBe(400);
    expect(codeOf(mismatch)).toBe("PERSISTED_QUERY_MISMATCH");
    expect(Object.values(stack.simulator.requestCounts()).reduce((a, b) => a + b, 0)).toBe(0);
    expect(codeOf(await post(stack, { extensions: wrong }))).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("keeps at most its bound, evicting the least recently used", async () => {
    const queries = ["A", "B", "C"].map((name) => `query Evict${name} { __typename }`);
    for (const query of queries) {
      expect((await post(stack, { query, extensions: apq(query) })).body.data).toEqual({
        __typename: "Query",
      });
    }
    expect(codeOf(await post(stack, { extensions: apq(queries[0]!) }))).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await post(stack, { extensions: apq(queries[2]!) })).body.data).toEqual({ __typename: "Query" });
  });

  it("runs a query holding a string literal but never stores it (a literal may be a secret)", async () => {
    const query = `query Literal { __type(name: "Query") { name } }`;
    expect((await post(stack, { query, extensions: apq(query) })).body.data).toEqual({
      __type: { name: "Query" },
    });
    expect(codeOf(await post(stack, { extensions: apq(query) }))).toBe("PERSISTED_QUERY_NOT_FOUND");
  });
});

describe("automatic persisted queries shared through Redis", () => {
  let stack: Stack;
  let redis: TestRedis;
  const apps: App[] = [];
  beforeAll(async () => {
    [stack, redis] = await Promise.all([startStack(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop({ graceMs: 100 })));
    await stack?.close();
    await redis?.stop();
  });

  it("finds on a second instance a query registered on the first, and says not found while Redis is down", async () => {
    const keyPrefix = `t${randomUUID().slice(0, 8)}:`;
    const instance = async () => {
      const app = testApp(stack.simulator.url, stack.issuer, {
        defences: { ...TEST_DEFENCES, persistedOperations: persisted({ APQ: "true" }) },
        sharedStore: { url: redis.url, keyPrefix, connectTimeoutMs: 1_000, commandTimeoutMs: 500 },
      });
      apps.push(app);
      const url = await app.start();
      return (body: unknown) => post({ ...stack, url }, body);
    };
    const [one, two] = [await instance(), await instance()];
    const shared = `query Shared { __typename }`;
    const later = `query Later { __typename }`;
    const hash = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });
    expect(codeOf(await two({ extensions: hash(shared) }))).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await one({ query: shared, extensions: hash(shared) })).body.data).toEqual({
      __typename: "Query",
    });
    expect((await one({ query: later, extensions: hash(later) })).body.data).toEqual({ __typename: "Query" });
    // The Redis write runs in the background.
    await expect
      .poll(async () => (await two({ extensions: hash(shared) })).body.data)
      .toEqual({ __typename: "Query" });

    await redis.kill();
    const down = await two({ extensions: hash(later) });
    expect(down.status).toBe(404);
    expect(codeOf(down)).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await two({ query: later, extensions: hash(later) })).body.data).toEqual({ __typename: "Query" });
  });
});
