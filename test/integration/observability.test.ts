import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { IOT_PROFILE_IDS, PROFILE_IDS, type Simulator, startSimulator } from "../../simulator/index.js";
import type { App } from "../../src/app.js";
import { createDevIssuer, type DevIssuer } from "../../src/auth/dev.js";
import type { Defences } from "../../src/config.js";
import { createLogger } from "../../src/logger.js";
import type { MetricsOptions } from "../../src/observability/index.js";
import { JOB_SUBSCRIPTION, pendingIotJob } from "../helpers/jobs.js";
import { generateCsr } from "../helpers/pki.js";
import { TEST_DEFENCES, testApp } from "../helpers/stack.js";
import { type HttpAnswer, postJson } from "../helpers/graphql-http.js";

/*
 * Metrics, request ids, log lines and spans of the real app in front of the simulator, built as stack.ts builds it but
 * with observability options and an in-memory log. Three gateways share one simulator: `traced` (metrics on the
 * gateway's port, spans to an InMemorySpanExporter), `untraced` (metrics on a listener of their own with the tenant
 * label, tracing off, a tight rate limit, operations in AsyncLocalStorage) and `dark` (metrics off).
 */

interface Gateway {
  app: App;
  url: URL;
  logs: string[];
  /** Parsed log lines written since the last `logs.length = 0`. */
  lines(): Record<string, any>[];
}

let simulator: Simulator;
let issuer: DevIssuer;
let token: string;
let traced: Gateway;
let untraced: Gateway;
let dark: Gateway;
const spans = new InMemorySpanExporter();

async function gateway(options: {
  metrics: MetricsOptions;
  spanExporter?: InMemorySpanExporter;
  defences?: Partial<Defences>;
  asyncContext?: boolean;
}): Promise<Gateway> {
  const logs: string[] = [];
  const app = testApp(simulator.url, issuer, {
    logger: createLogger("trace", { write: (line: string) => void logs.push(line) }),
    defences: { ...TEST_DEFENCES, ...options.defences },
    observability: {
      metrics: options.metrics,
      tracing: null,
      ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
      asyncContext: options.asyncContext ?? false,
    },
  });
  const url = await app.start();
  return { app, url, logs, lines: () => logs.map((line) => JSON.parse(line) as Record<string, any>) };
}

const METRICS_HERE: MetricsOptions = { enabled: true, port: null, host: "127.0.0.1", tenantLabel: false };

beforeAll(async () => {
  simulator = await startSimulator({ seedCertificates: 5, batchStepMs: 100, logger: false });
  issuer = await createDevIssuer();
  token = await issuer.sign({ sub: "tester", tenant: "default" });
  traced = await gateway({
    metrics: METRICS_HERE,
    spanExporter: spans,
    defences: { maxBodyBytes: 16 * 1024 },
  });
  untraced = await gateway({
    metrics: { enabled: true, port: 0, host: "127.0.0.1", tenantLabel: true },
    defences: { rateLimitPerMinute: 2 },
    asyncContext: true,
  });
  dark = await gateway({ metrics: { ...METRICS_HERE, enabled: false } });
});
afterAll(async () => {
  await Promise.all([traced, untraced, dark].map((g) => g?.app.stop({ graceMs: 100 })));
  await simulator?.close();
});

type Answer = HttpAnswer;

async function post(
  on: Gateway,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
  bearer: string | null = token,
): Promise<Answer> {
  return postJson(on.url, { query, variables }, { bearer, headers });
}

async function scrape(url: URL): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one series in a scrape (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function eventually(check: () => Promise<boolean>, ms = 2_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const DASHBOARD = `query Dashboard { profiles(first: 2) { edges { node { profileId } } } }`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROFILES_ROUTE = "/mpki/api/v2/profile";
/** A global id whose inner id is unsafe: its resolver throws VALIDATION_FAILED (a field error, not a validation one). */
const FORGED_ID = Buffer.from("Certificate:../x").toString("base64");

describe("metrics", () => {
  it("shows the operation just made by name, type and outcome, and its upstream call by route template", async () => {
    const before = sample(
      await scrape(new URL("/metrics", traced.url)),
      'gateway_graphql_operations_total{operation_name="Dashboard",operation_type="query",outcome="ok"}',
    );
    expect((await post(traced, DASHBOARD)).body.errors).toBeUndefined();
    const text = await scrape(new URL("/metrics", traced.url));
    expect(
      sample(
        text,
        'gateway_graphql_operations_total{operation_name="Dashboard",operation_type="query",outcome="ok"}',
      ),
    ).toBe(before + 1);
    expect(text).toMatch(
      /gateway_graphql_operation_duration_seconds_count\{operation_name="Dashboard",operation_type="query",outcome="ok"\} \d+/,
    );
    expect(
      sample(
        text,
        `gateway_upstream_requests_total{product="tlm",route="${PROFILES_ROUTE}",method="GET",status="200"}`,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(text).toContain(`gateway_upstream_request_duration_seconds_bucket{le="0.005",product="tlm"`);
    // Default process metrics are there too.
    expect(text).toContain("process_cpu_seconds_total");
  });

  it("counts refused and invalid operations by their outcome", async () => {
    await post(traced, DASHBOARD, undefined, {}, null);
    await post(traced, `query Broken { nope }`);
    const text = await scrape(new URL("/metrics", traced.url));
    expect(
      sample(
        text,
        'gateway_graphql_operations_total{operation_name="",operation_type="unknown",outcome="refused"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        'gateway_graphql_operations_total{operation_name="Broken",operation_type="query",outcome="invalid"}',
      ),
    ).toBe(1);
  });

  it("serves /metrics on its own listener when a port is set: 404 for other paths, nothing on the gateway's port", async () => {
    const url = untraced.app.metricsUrl;
    expect(url?.pathname).toBe("/metrics");
    expect(url?.port).not.toBe(untraced.url.port);
    await post(untraced, DASHBOARD, undefined, {}, await issuer.sign({ sub: "listener", tenant: "default" }));
    const text = await scrape(url!);
    // tenantLabel is on for this gateway.
    expect(text).toContain(
      'gateway_graphql_operations_total{operation_name="Dashboard",operation_type="query",outcome="ok",tenant="default"} 1',
    );
    expect((await fetch(new URL("/other", url!))).status).toBe(404);
    expect((await fetch(new URL("/metrics", untraced.url))).status).toBe(404);
  });

  it("off: /metrics is not served, and operations still get their request id and log line", async () => {
    expect(dark.app.metricsUrl).toBeNull();
    expect((await fetch(new URL("/metrics", dark.url))).status).toBe(404);
    dark.logs.length = 0;
    const answer = await post(dark, DASHBOARD, undefined, { "x-request-id": "dark-1" });
    expect(answer.requestId).toBe("dark-1");
    expect(dark.lines().find((l) => l.msg === "graphql operation")).toMatchObject({ requestId: "dark-1" });
  });

  it("counts rate-limit refusals, and the 429 carries the request id", async () => {
    const hasty = await issuer.sign({ sub: "hasty", tenant: "default" });
    let last: Answer | undefined;
    for (let i = 0; i < 3; i++) last = await post(untraced, DASHBOARD, undefined, {}, hasty);
    expect(last!.status).toBe(429);
    expect(last!.requestId).toMatch(UUID);
    expect(last!.body.errors?.[0]?.extensions).toMatchObject({
      code: "RATE_LIMITED",
      requestId: last!.requestId,
    });
    const text = await scrape(untraced.app.metricsUrl!);
    expect(sample(text, "gateway_rate_limited_total")).toBe(1);
    expect(text).toContain(
      'gateway_graphql_operations_total{operation_name="Dashboard",operation_type="query",outcome="refused",tenant="default"} 1',
    );
  });

  it("counts batch-file refusals by the kind of problem and uploaded bytes, never a message", async () => {
    const upload = async (content: string) => {
      const form = new FormData();
      const query = `mutation Upload($input: CreateIotBatchEnrollmentInput!) { createIotBatchEnrollment(input: $input) {
        __typename ... on Error { code } } }`;
      const input = {
        enrollmentProfileId: IOT_PROFILE_IDS.deviceFlexible,
        keyGeneration: "CLIENT_SIDE",
        certificateFormat: "JSON",
        file: null,
      };
      form.set("operations", JSON.stringify({ query, variables: { input } }));
      form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
      form.set("0", new Blob([content], { type: "text/csv" }), "devices.csv");
      const res = await fetch(traced.url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "x-graphql-csrf": "1" },
        body: form,
      });
      return ((await res.json()) as any).data.createIotBatchEnrollment;
    };
    expect(await upload("")).toMatchObject({ code: "INVALID_BATCH_FILE" });
    expect(await upload("colour,size\r\nred,9\r\n")).toMatchObject({ code: "INVALID_BATCH_FILE" });
    const text = await scrape(new URL("/metrics", traced.url));
    expect(sample(text, 'gateway_batch_file_refusals_total{reason="empty"}')).toBe(1);
    expect(sample(text, 'gateway_batch_file_refusals_total{reason="header"}')).toBe(1);
    expect(sample(text, "gateway_upload_received_bytes_total")).toBeGreaterThanOrEqual(20);
    expect(text).not.toMatch(/refusals_total\{reason="[^"]* [^"]*"\}/);
  });

  it("counts cache lookups: the second parse of a certificate is a hit", async () => {
    const query = `{ certificates(first: 1) { edges { node { x509 { subject { commonName } } } } } }`;
    await post(traced, query);
    await post(traced, query);
    const text = await scrape(new URL("/metrics", traced.url));
    expect(
      sample(text, 'gateway_cache_lookups_total{cache="parsedCertificates",result="miss"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'gateway_cache_lookups_total{cache="parsedCertificates",result="hit"}'),
    ).toBeGreaterThanOrEqual(1);
  });

  it("counts open subscriptions over SSE and graphql-ws, and the job pollers, until they end", async () => {
    const metricsUrl = new URL("/metrics", traced.url);
    const open = async (transport: string) =>
      sample(await scrape(metricsUrl), `gateway_subscriptions_open{transport="${transport}"}`);
    const jobId = await pendingIotJob(traced.url, token, "gauge-1.iot.example.com");

    // SSE: the client leaves after the first event.
    traced.logs.length = 0;
    const abort = new AbortController();
    const res = await fetch(traced.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        query: `subscription Watch${JOB_SUBSCRIPTION.slice("subscription".length)}`,
        variables: { id: jobId },
      }),
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("event: next")) text += new TextDecoder().decode((await reader.read()).value);
    expect(await open("sse")).toBe(1);
    expect(sample(await scrape(metricsUrl), "gateway_job_pollers_active")).toBe(1);
    abort.abort();
    await eventually(async () => (await open("sse")) === 0);
    const ended = traced.lines().find((l) => l.msg === "graphql operation" && l.operationName === "Watch");
    expect(ended).toMatchObject({
      operationType: "subscription",
      transport: "http",
      requestId: res.headers.get("x-request-id"),
    });

    // graphql-ws: the client unsubscribes after the first event.
    const client = createClient({
      url: traced.url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    let unsubscribe = () => {};
    await new Promise<void>((resolve, reject) => {
      unsubscribe = client.subscribe(
        { query: JOB_SUBSCRIPTION, variables: { id: jobId } },
        { next: () => resolve(), error: reject, complete: () => undefined },
      );
    });
    expect(await open("ws")).toBe(1);
    unsubscribe();
    await eventually(async () => (await open("ws")) === 0);
    await client.dispose();
    const polls = sample(await scrape(metricsUrl), 'gateway_job_polls_total{outcome="ok"}');
    expect(polls).toBeGreaterThanOrEqual(2);
  });
});

describe("request ids and log lines", () => {
  beforeEach(() => {
    traced.logs.length = 0;
  });

  it("echoes a well-formed x-request-id, and the request's upstream call lines and its final line carry it", async () => {
    const answer = await post(traced, DASHBOARD, undefined, { "x-request-id": "abc-123" });
    expect(answer.requestId).toBe("abc-123");
    const lines = traced.lines();
    const upstream = lines.filter((l) => l.msg === "upstream call");
    expect(upstream.length).toBeGreaterThanOrEqual(1);
    for (const line of upstream) {
      expect(line).toMatchObject({
        requestId: "abc-123",
        operationName: "Dashboard",
        operationType: "query",
        tenant: "default",
        route: PROFILES_ROUTE,
        method: "GET",
        status: "200",
      });
    }
    const done = lines.filter((l) => l.msg === "graphql operation");
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({
      level: 30,
      requestId: "abc-123",
      operationName: "Dashboard",
      operationType: "query",
      tenant: "default",
      upstreamCalls: upstream.length,
      outcome: "ok",
    });
    expect(done[0]!.durationMs).toBeGreaterThan(0);
    // Never the query text, never the token.
    for (const line of traced.logs) {
      expect(line).not.toContain("profiles(first");
      expect(line).not.toContain(token);
    }
  });

  it("with asyncContext, every line written during the request carries its ids, app.ts's own lines too", async () => {
    untraced.logs.length = 0;
    const ok = await post(
      untraced,
      DASHBOARD,
      undefined,
      { "x-request-id": "every-1" },
      await issuer.sign({ sub: "every", tenant: "default" }),
    );
    expect(ok.body.errors).toBeUndefined();
    const lines = untraced.lines();
    // Nothing else ran meanwhile: yoga's debug lines and the upstream calls are there, each with the id.
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line.requestId, JSON.stringify(line)).toBe("every-1");
    expect(lines.find((l) => l.msg === "upstream call")).toMatchObject({
      operationName: "Dashboard",
      tenant: "default",
    });
    untraced.logs.length = 0;
    await post(untraced, DASHBOARD, undefined, { "x-request-id": "every-2" }, null);
    expect(untraced.lines().find((l) => /request refused: not authenticated/.test(l.msg))).toMatchObject({
      requestId: "every-2",
    });
  });

  it("replaces a malformed or overlong x-request-id with a new UUID", async () => {
    for (const bad of ["has spaces", "x".repeat(129), "semi;colon", "a/b"]) {
      const answer = await post(traced, DASHBOARD, undefined, { "x-request-id": bad });
      expect(answer.requestId).toMatch(UUID);
    }
    const lines = traced.lines().filter((l) => l.msg === "graphql operation");
    expect(new Set(lines.map((l) => l.requestId)).size).toBe(4);
  });

  it("puts the request id into the errors of a 401, a 413, a validation error and a field error", async () => {
    const unauthenticated = await post(traced, DASHBOARD, undefined, {}, null);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.errors?.[0]?.extensions).toMatchObject({
      code: "UNAUTHENTICATED",
      requestId: unauthenticated.requestId,
    });
    const large = await post(traced, `query Big { __typename }`, { pad: "x".repeat(32 * 1024) });
    expect(large.status).toBe(413);
    expect(large.body.errors?.[0]?.extensions).toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      requestId: large.requestId,
    });
    const invalid = await post(traced, `{ nope }`, undefined, { "x-request-id": "invalid-1" });
    expect(invalid.body.errors?.[0]?.extensions?.requestId).toBe("invalid-1");
    const field = await post(traced, `{ node(id: "${FORGED_ID}") { id } }`, undefined, {
      "x-request-id": "field-1",
    });
    expect(field.body.errors?.[0]?.extensions).toMatchObject({
      code: "VALIDATION_FAILED",
      requestId: "field-1",
    });
    const outcomes = traced
      .lines()
      .filter((l) => l.msg === "graphql operation")
      .map((l) => l.outcome);
    expect(outcomes).toEqual(["refused", "refused", "invalid", "error"]);
  });

  it("over SSE, an event's errors carry the request id", async () => {
    const res = await fetch(traced.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        query: JOB_SUBSCRIPTION,
        variables: { id: "00000000-0000-4000-8000-000000000000" },
      }),
    });
    const body = await res.text();
    const data = body.split("\n").find((line) => line.startsWith("data: {"));
    const event = JSON.parse(data!.slice("data: ".length));
    expect(event.errors[0].extensions).toMatchObject({ requestId: res.headers.get("x-request-id") });
  });

  it("over graphql-ws, gives each operation its own id, in its errors and its log line", async () => {
    const client = createClient({
      url: traced.url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const run = (query: string) =>
      new Promise<any>((resolve) => {
        let result: unknown;
        client.subscribe(
          { query },
          {
            next: (v) => void (result = v),
            error: (e) => resolve({ errors: e }),
            complete: () => resolve(result),
          },
        );
      });
    const field = await run(`query Lookup { node(id: "${FORGED_ID}") { id } }`);
    const invalid = await run(`query Broken { nope }`);
    await client.dispose();
    const fieldId = field.errors[0].extensions.requestId;
    const invalidId = invalid.errors[0].extensions.requestId;
    expect(fieldId).toMatch(UUID);
    expect(invalidId).toMatch(UUID);
    expect(fieldId).not.toBe(invalidId);
    const done = traced.lines().filter((l) => l.msg === "graphql operation");
    expect(done).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          requestId: fieldId,
          operationName: "Lookup",
          transport: "ws",
          outcome: "error",
          tenant: "default",
        }),
        expect.objectContaining({
          requestId: invalidId,
          operationName: "Broken",
          transport: "ws",
          outcome: "invalid",
        }),
      ]),
    );
  });
});

describe("traces", () => {
  beforeEach(() => spans.reset());

  const byName = (name: string) => spans.getFinishedSpans().find((s) => s.name === name);
  const childrenOf = (parent: ReadableSpan) =>
    spans.getFinishedSpans().filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

  it("a query: one operation span, its upstream calls as children in the same trace", async () => {
    const answer = await post(traced, DASHBOARD);
    const operation = byName("query Dashboard");
    expect(operation).toBeDefined();
    expect(operation!.parentSpanContext).toBeUndefined();
    expect(operation!.attributes).toMatchObject({
      "graphql.operation.name": "Dashboard",
      "graphql.operation.type": "query",
      "gateway.request.id": answer.requestId,
      "gateway.outcome": "ok",
    });
    const children = childrenOf(operation!);
    expect(children.map((s) => s.name)).toContain(`GET ${PROFILES_ROUTE}`);
    for (const child of children) {
      expect(child.spanContext().traceId).toBe(operation!.spanContext().traceId);
      expect(child.attributes).toMatchObject({
        "gateway.upstream.product": "tlm",
        "http.route": PROFILES_ROUTE,
        "http.request.method": "GET",
        "http.response.status_code": 200,
        "http.request.resend_count": 0,
      });
    }
  });

  it("a mutation: requestCertificate's span, with its POST upstream call as a child; no variable in any attribute", async () => {
    const csr = await generateCsr({ subject: "CN=traced.example.com" });
    const answer = await post(
      traced,
      `mutation Enroll($input: RequestCertificateInput!) { requestCertificate(input: $input) {
        __typename ... on CertificateIssued { serialNumber } } }`,
      {
        input: {
          profileId: PROFILE_IDS.webServer,
          seatId: "ops@example.com",
          csr: csr.pem,
          subject: { commonName: "traced.example.com" },
          subjectAltNames: { dnsNames: ["traced.example.com"] },
          validity: { unit: "DAYS", duration: 20 },
        },
      },
    );
    const serial = answer.body.data.requestCertificate.serialNumber as string;
    expect(serial).toBeTruthy();
    const operation = byName("mutation Enroll");
    expect(operation?.attributes).toMatchObject({
      "graphql.operation.type": "mutation",
      "gateway.outcome": "ok",
    });
    const children = childrenOf(operation!);
    expect(children.map((s) => s.name)).toContain("POST /mpki/api/v1/certificate");
    for (const child of children) expect(child.spanContext().traceId).toBe(operation!.spanContext().traceId);
    const everything = JSON.stringify(spans.getFinishedSpans().map((s) => [s.name, s.attributes]));
    for (const secret of [
      "traced.example.com",
      "BEGIN CERTIFICATE REQUEST",
      "ops@example.com",
      serial,
      token,
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("joins the caller's trace: the traceparent's trace id, and its span as the operation's parent", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parentId = "00f067aa0ba902b7";
    await post(traced, DASHBOARD, undefined, {
      traceparent: `00-${traceId}-${parentId}-01`,
      tracestate: "vendor=value",
    });
    const operation = byName("query Dashboard")!;
    expect(operation.spanContext().traceId).toBe(traceId);
    expect(operation.parentSpanContext).toMatchObject({ spanId: parentId, isRemote: true });
    expect(operation.spanContext().traceState?.get("vendor")).toBe("value");
    for (const child of childrenOf(operation)) expect(child.spanContext().traceId).toBe(traceId);
  });

  it("graphql-ws: one span per operation, with its upstream calls as children", async () => {
    const client = createClient({
      url: traced.url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    await new Promise<void>((resolve, reject) =>
      client.subscribe({ query: DASHBOARD }, { next: () => undefined, error: reject, complete: resolve }),
    );
    await client.dispose();
    const operation = byName("query Dashboard")!;
    expect(operation.attributes).toMatchObject({ "gateway.transport": "ws", "gateway.outcome": "ok" });
    expect(childrenOf(operation).map((s) => s.name)).toContain(`GET ${PROFILES_ROUTE}`);
  });

  it("off: a gateway without tracing makes no spans, and no gateway registers a global tracer", async () => {
    await post(
      untraced,
      DASHBOARD,
      undefined,
      { traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01` },
      await issuer.sign({ sub: "off", tenant: "default" }),
    );
    await post(dark, DASHBOARD);
    expect(spans.getFinishedSpans()).toEqual([]);
    expect(trace.getTracer("probe").startSpan("probe").isRecording()).toBe(false);
  });
});
