import { MockAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_API_KEY } from "../../simulator/index.js";
import { BATCH_FILE_LIMITS, type BatchFileRules, checkBatchFile } from "../../src/batch-file/check.js";
import { routeOf, UpstreamClient, upstreamPath } from "../../src/datasources/http.js";
import { createContext, scopeContext, type Services } from "../../src/context.js";
import { createLogger } from "../../src/logger.js";
import { InvalidBatchFileError } from "../../src/model/errors.js";
import { createObservability } from "../../src/observability/index.js";
import {
  BoundedLabel,
  productOf,
  REQUEST_ID_PATTERN,
  requestIdFrom,
  safeOperationName,
} from "../../src/observability/labels.js";
import { OperationRecord, runInOperation } from "../../src/observability/request-context.js";
import type { GatewayMetrics } from "../../src/observability/types.js";
import type { UpstreamCall, UpstreamTelemetry } from "../../src/observability/upstream.js";
import { outcomeOf } from "../../src/plugins/use-observability.js";
import { refusalReason } from "../../src/resolvers/uploads.js";
import { createParsedCertificateCache } from "../../src/stores/parsed-certificates.js";
import { type Stack, startStack } from "../helpers/stack.js";

describe("route templates from upstreamPath", () => {
  it("names a path by its template, never by the values in it", () => {
    const serial = "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5";
    expect(routeOf(upstreamPath`/mpki/api/v1/certificate/${serial}`)).toBe("/mpki/api/v1/certificate/{}");
    expect(routeOf(upstreamPath`/mpki/api/v1/certificate/${serial}/revoke`)).toBe(
      "/mpki/api/v1/certificate/{}/revoke",
    );
    expect(routeOf(upstreamPath`/x/jobs/${"a"}/items/${"b/c?d"}`)).toBe("/x/jobs/{}/items/{}");
  });

  it("keeps a path without values as it is, and prefers it to a template it would also match", () => {
    expect(routeOf(upstreamPath`/mpki/api/v1/certificate`)).toBe("/mpki/api/v1/certificate");
    expect(routeOf(upstreamPath`/y/device/registration`)).toBe("/y/device/registration");
    expect(routeOf(upstreamPath`/y/device/${"registration"}`)).toBe("/y/device/registration");
    expect(routeOf(upstreamPath`/y/device/${"1234"}`)).toBe("/y/device/{}");
  });

  it("calls a path no upstreamPath built 'other'", () => {
    expect(routeOf("/never/built/ABCDEF")).toBe("other");
  });

  it("takes the product from the operation's prefix, and nothing else", () => {
    expect([productOf("tlm.getCertificate"), productOf("iot.x"), productOf("dtm.y")]).toEqual([
      "tlm",
      "iot",
      "dtm",
    ]);
    expect(productOf("ABCDEF.getCertificate")).toBe("other");
    expect(productOf("tlm")).toBe("tlm");
  });
});

describe("operation names as labels", () => {
  it("keeps a plain GraphQL name of up to 64 characters, '' when anonymous, and 'other' for anything else", () => {
    expect(safeOperationName("Dashboard")).toBe("Dashboard");
    expect(safeOperationName("_x9")).toBe("_x9");
    expect(safeOperationName(undefined)).toBe("");
    expect(safeOperationName(null)).toBe("");
    expect(safeOperationName("")).toBe("");
    expect(safeOperationName("a".repeat(64))).toBe("a".repeat(64));
    for (const odd of ["a".repeat(65), "9lives", "has space", "eyJhbGciOi.eyJzdWIi.sig", "naïve", 42]) {
      expect(safeOperationName(odd)).toBe("other");
    }
  });

  it("bounds the names a process shows: the first 100 keep theirs, later ones are 'other'", () => {
    const label = new BoundedLabel(100);
    const names = Array.from({ length: 150 }, (_, i) => `Op${i}`);
    const shown = names.map((name) => label.of(name));
    expect(shown.slice(0, 100)).toEqual(names.slice(0, 100));
    expect(new Set(shown.slice(100))).toEqual(new Set(["other"]));
    expect(label.of("Op7")).toBe("Op7");
    expect(label.of("")).toBe("");
    expect(new Set(names.map((name) => label.of(name))).size).toBe(101);
  });
});

describe("request ids", () => {
  it("accepts 1 to 128 of letters, digits, '.', '_', ':' and '-'", () => {
    for (const good of [
      "abc-123",
      "a",
      "x".repeat(128),
      "trace:span.1_2-3",
      "550e8400-e29b-41d4-a716-446655440000",
    ]) {
      expect(requestIdFrom(good)).toBe(good);
    }
  });

  it("replaces anything else with a new random UUID", () => {
    const seen = new Set<string>();
    for (const bad of [
      null,
      undefined,
      "",
      "x".repeat(129),
      "has space",
      "a/b",
      "a;b",
      "ü",
      "a\nb",
      "<script>",
    ]) {
      const id = requestIdFrom(bad);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(REQUEST_ID_PATTERN.test(id)).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(10);
  });
});

describe("a request's id outside the plugin", () => {
  it("is the one its response will carry, the same each time it is asked", () => {
    const observability = createObservability({
      metrics: { enabled: false, port: null, host: "127.0.0.1", tenantLabel: false },
      tracing: null,
      logger: createLogger("silent"),
    });
    const good = new Request("http://x/graphql", { headers: { "x-request-id": "abc-123" } });
    expect(observability.requestIdOf(good)).toBe("abc-123");
    const bad = new Request("http://x/graphql", { headers: { "x-request-id": "not ok" } });
    const id = observability.requestIdOf(bad);
    expect(id).toMatch(REQUEST_ID_PATTERN);
    expect(observability.requestIdOf(bad)).toBe(id);
  });
});

describe("operation outcomes", () => {
  const coded = (code: string) => ({ message: "x", extensions: { code } });

  it("is ok without errors, error with errors after running, invalid with errors before", () => {
    expect(outcomeOf(undefined, true)).toBe("ok");
    expect(outcomeOf([], false)).toBe("ok");
    expect(outcomeOf([coded("VALIDATION_FAILED")], true)).toBe("error");
    expect(outcomeOf([{ message: "Cannot query field" }], false)).toBe("invalid");
  });

  it("is refused when a defence answered: not authenticated, too large, rate limit, query limits", () => {
    for (const code of ["UNAUTHENTICATED", "PAYLOAD_TOO_LARGE", "RATE_LIMITED", "QUERY_TOO_COSTLY"]) {
      expect(outcomeOf([coded(code)], true)).toBe("refused");
    }
  });
});

describe("batch-file refusal reasons", () => {
  const rules: BatchFileRules = {
    ...BATCH_FILE_LIMITS,
    maxBytes: 1024,
    requiredColumns: ["csr", "subject.common_name"],
    serverSideKeyGeneration: false,
  };
  async function reasonFor(content: string | Uint8Array<ArrayBuffer>): Promise<string> {
    const error = await checkBatchFile(new Blob([content]), rules).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidBatchFileError);
    return refusalReason((error as InvalidBatchFileError).problems[0]);
  }

  it("names the kind of the first problem from a small fixed set", async () => {
    expect(await reasonFor("")).toBe("empty");
    expect(await reasonFor("x".repeat(2048))).toBe("too_large");
    expect(await reasonFor("colour,size\r\nred,9\r\n")).toBe("header");
    expect(await reasonFor("csr,subject.common_name\r\n,a.example.com\r\n")).toBe("row");
    expect(await reasonFor("csr,subject.common_name\r\n")).toBe("empty");
    expect(await reasonFor(new Uint8Array([0x61, 0x00, 0x62, 0x0a]))).toBe("not_batch_file");
    expect(
      await reasonFor(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x01, 0x00, 0, 0, 0, 0])),
    ).toBe("encrypted");
    expect(await reasonFor(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 1, 2, 3]))).toBe(
      "corrupt",
    );
  });

  it("falls back to 'other' when there is no problem to read", () => {
    expect(refusalReason(undefined)).toBe("other");
    expect(refusalReason({ row: null, column: null, entry: null, message: "Something new." })).toBe("other");
    expect(refusalReason({ row: null, column: null, entry: "a.csv", message: "Something new." })).toBe(
      "zip_entry",
    );
  });
});

describe("cache lookups", () => {
  it("count a hit or a miss on each get, through the metrics the store was built with", () => {
    const counted: string[] = [];
    const metrics = { cacheLookup: (cache: string, hit: boolean) => void counted.push(`${cache}:${hit}`) };
    const cache = createParsedCertificateCache(2, metrics as unknown as GatewayMetrics);
    expect(cache.get("a")).toBeUndefined();
    cache.set("a", {} as never);
    expect(cache.get("a")).toBeDefined();
    cache.peek("a");
    expect(counted).toEqual(["parsedCertificates:false", "parsedCertificates:true"]);
  });
});

describe("log lines", () => {
  it("carry the current operation's request id, name, type and tenant, and nothing outside one", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
    const operation = new OperationRecord("req-1", "http");
    operation.operationName = "Dashboard";
    operation.operationType = "query";
    logger.info("before");
    runInOperation(operation, () =>
      logger.child({ component: "upstream" }).info({ route: "/x/{}" }, "inside"),
    );
    operation.tenant = "acme";
    runInOperation(operation, () => logger.info({ requestId: "own" }, "own id wins"));
    expect(
      lines.map(({ msg, requestId, operationName, operationType, tenant, route }) => ({
        msg,
        requestId,
        operationName,
        operationType,
        tenant,
        route,
      })),
    ).toEqual([
      {
        msg: "before",
        requestId: undefined,
        operationName: undefined,
        operationType: undefined,
        tenant: undefined,
        route: undefined,
      },
      {
        msg: "inside",
        requestId: "req-1",
        operationName: "Dashboard",
        operationType: "query",
        tenant: undefined,
        route: "/x/{}",
      },
      {
        msg: "own id wins",
        requestId: "own",
        operationName: "Dashboard",
        operationType: "query",
        tenant: "acme",
        route: undefined,
      },
    ]);
  });
});

describe("scoping a context to its operation", () => {
  it("binds the services' clients and fresh loaders to it, and its logger, made on first use, carries its ids", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
    const scopes: unknown[] = [];
    const bound = { tenantScope: "default" } as unknown as Services;
    const services = {
      tenantScope: "default",
      forOperation: (scope: unknown) => (scopes.push(scope), bound),
    } as unknown as Services;
    const viewer = { subject: "s", tenant: "default", scopes: new Set<string>(), expiresAt: 0 };
    const ctx = createContext(viewer, services, logger);
    const loaders = ctx.loaders;
    const operation = new OperationRecord("req-9", "http");
    operation.operationName = "Lookup";
    operation.tenant = "default";
    scopeContext(ctx, operation);
    expect(scopes).toEqual([operation]);
    expect(ctx.services).toBe(bound);
    expect(ctx.loaders).not.toBe(loaders);
    ctx.logger.warn("from a resolver");
    expect(lines[0]).toMatchObject({
      msg: "from a resolver",
      requestId: "req-9",
      operationName: "Lookup",
      tenant: "default",
    });
  });
});

describe("upstream calls", () => {
  const ORIGIN = "https://one.example.test";
  let agent: MockAgent;
  beforeAll(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterAll(() => agent.close());

  function recordingClient() {
    const events: string[] = [];
    const telemetry: UpstreamTelemetry = {
      callStarted: (call) => void events.push(`start ${call.product} ${call.method} ${call.route}`),
      attemptEnded: (call: UpstreamCall) => void events.push(`attempt ${call.attempts} ${call.status}`),
      callEnded: (call) => void events.push(`end ${call.attempts} ${call.error ?? "ok"}`),
    };
    const http = new UpstreamClient(
      {
        baseUrl: new URL(ORIGIN),
        credentials: { kind: "apiKey", apiKey: "secret-key" },
        connectTimeoutMs: 1000,
        headersTimeoutMs: 1000,
        bodyTimeoutMs: 1000,
        connections: 2,
        maxResponseBytes: 1024,
        retry: { maxAttempts: 3, budgetMs: 1_000, baseDelayMs: 1, maxDelayMs: 2 },
      },
      createLogger("silent"),
      agent.get(ORIGIN),
      telemetry,
    );
    return { http, events };
  }

  it("report each attempt's status and the call's end, by route template, retries included", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: "/mpki/api/v1/certificate/ABC" }).reply(503, {});
    pool.intercept({ path: "/mpki/api/v1/certificate/ABC" }).reply(200, { serial_number: "ABC" });
    const { http, events } = recordingClient();
    await http.request({
      operation: "tlm.getCertificate",
      method: "GET",
      path: upstreamPath`/mpki/api/v1/certificate/${"ABC"}`,
    });
    expect(events).toEqual([
      "start tlm GET /mpki/api/v1/certificate/{}",
      "attempt 1 503",
      "attempt 2 200",
      "end 2 ok",
    ]);
  });

  it("report a failed call with its class: an HTTP answer, an unreadable body, a transport failure", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: "/mpki/api/v1/certificate", method: "POST" }).reply(400, { errors: [] });
    pool.intercept({ path: "/mpki/api/v1/certificate-search", method: "POST" }).reply(200, "not json");
    pool
      .intercept({ path: "/mpki/api/v1/hello", method: "POST" })
      .replyWithError(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))
      .times(3);
    const { http, events } = recordingClient();
    const issue = {
      operation: "tlm.issueCertificate",
      method: "POST",
      path: upstreamPath`/mpki/api/v1/certificate`,
      body: {},
    } as const;
    await expect(http.request(issue)).rejects.toThrow();
    await expect(
      http.request({
        operation: "tlm.search",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/mpki/api/v1/certificate-search`,
      }),
    ).rejects.toThrow();
    await expect(
      http.request({
        operation: "tlm.hello",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/mpki/api/v1/hello`,
      }),
    ).rejects.toThrow();
    expect(events.filter((e) => e.startsWith("end"))).toEqual([
      "end 1 http",
      "end 1 invalid_body",
      "end 3 connect",
    ]);
    expect(events).toContain("attempt 3 connect");
  });
});

describe("metrics off", () => {
  it("registers nothing, serves nothing, and every method is a no-op", async () => {
    const observability = createObservability({
      metrics: { enabled: false, port: 0, host: "127.0.0.1", tenantLabel: false },
      tracing: null,
      logger: createLogger("silent"),
    });
    expect(await observability.start()).toBeNull();
    const req = { url: "/metrics", method: "GET" } as never;
    expect(await observability.handle(req, {} as never)).toBe(false);
    observability.metrics.rateLimited();
    observability.metrics.uploadReceived(10);
    observability.metrics.cacheLookup("reports", true);
    observability.metrics.watchJobs({ activePollers: 3 });
    await observability.close();
  });
});

describe("labels never hold a serial, a token or a key", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ simulator: { seedCertificates: 3 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("after a certificate(serialNumber:) query, /metrics shows its route template and neither the serial nor the token", async () => {
    const list = await stack.gql<{ certificates: { edges: { node: { serialNumber: string } }[] } }>(
      `{ certificates(first: 1) { edges { node { serialNumber } } } }`,
    );
    const serial = list.data!.certificates.edges[0]!.node.serialNumber;
    const token = await stack.token();
    const res = await stack.gql(
      `query Lookup($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber x509 { subject { commonName } } } }`,
      { s: serial },
      { token },
    );
    expect(res.errors).toBeUndefined();
    const text = await (await fetch(new URL("/metrics", stack.url))).text();
    expect(text).toContain('route="/mpki/api/v1/certificate/{}"');
    expect(text).toContain('operation_name="Lookup"');
    for (const secret of [
      serial,
      serial.toLowerCase(),
      token,
      token.split(".")[2]!,
      DEFAULT_API_KEY,
      "tester",
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toContain('tenant="');
  });
});
