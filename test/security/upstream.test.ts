import "reflect-metadata";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { type FakeUpstream, type Gateway, post, startFakeUpstream, startGateway } from "./helpers.js";

type Row = Record<string, any>;

const SEARCH = `{ certificates(first: 1) { totalCount } }`;
const SEARCH_ROUTE = "GET /mpki/api/v1/certificate-search";
const DETAILS_ROUTE = "GET /mpki/api/v1/certificate/:serial";
const ISSUE_ROUTE = "POST /mpki/api/v1/certificate";
const ISSUE = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename ... on CertificateIssued { serialNumber }
    ... on UpstreamUnavailableError { retryAfterSeconds }
    ... on Error { code message }
  }
}`;

let stack: Stack;
let csr: string;

beforeAll(async () => {
  stack = await startStack({ simulator: { seedCertificates: 12 } });
  csr = (await generateCsr({ subject: "CN=upstream-faults.example.com" })).pem;
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.simulator.resetCounters());
afterEach(() => stack.simulator.clearFaults());

const issueInput = () => ({ profileId: PROFILE_IDS.webServer, seatId: "ops@example.com", csr });

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
}

describe("429 and 5xx from DigiCert (simulator faults)", () => {
  it("a 429 with Retry-After: 1 on a read is retried only after the wait, then succeeds", async () => {
    stack.simulator.injectFault({
      route: SEARCH_ROUTE,
      kind: "status",
      status: 429,
      retryAfterSeconds: 1,
      times: 1,
    });
    const [res, ms] = await timed(() => stack.gql(SEARCH));
    expect(res.errors).toBeUndefined();
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBe(2);
    expect(ms).toBeGreaterThanOrEqual(990);
  });

  it("a persistent 429 is retried no sooner than Retry-After, then UPSTREAM_UNAVAILABLE with retryAfterSeconds", async () => {
    stack.simulator.injectFault({ route: SEARCH_ROUTE, kind: "status", status: 429, retryAfterSeconds: 1 });
    const [res, ms] = await timed(() => stack.gql(SEARCH));
    expect(res.errors?.map((e) => e.extensions)).toEqual([
      { code: "UPSTREAM_UNAVAILABLE", retryAfterSeconds: 1, requestId: expect.any(String) },
    ]);
    // Budget 1.5 s: one wait of 1 s fits, a second does not.
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBe(2);
    expect(ms).toBeGreaterThanOrEqual(990);
  });

  it("a Retry-After beyond the retry budget fails at once, passing retryAfterSeconds on", async () => {
    stack.simulator.injectFault({ route: SEARCH_ROUTE, kind: "status", status: 429, retryAfterSeconds: 30 });
    const [res, ms] = await timed(() => stack.gql(SEARCH));
    expect(res.errors?.map((e) => e.extensions)).toEqual([
      { code: "UPSTREAM_UNAVAILABLE", retryAfterSeconds: 30, requestId: expect.any(String) },
    ]);
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBe(1);
    expect(ms).toBeLessThan(900);
    expect(res.errors?.[0]?.message).not.toMatch(/127\.0\.0\.1|mpki|request_limit_exceeded/);
  });

  it("a 502 on a read is retried up to the attempt limit, then UPSTREAM_UNAVAILABLE", async () => {
    stack.simulator.injectFault({ route: DETAILS_ROUTE, kind: "status", status: 502 });
    const res = await stack.gql(`{ certificate(serialNumber: "ABCDEF") { serialNumber } }`);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_UNAVAILABLE"]);
    expect(stack.simulator.requestCount(DETAILS_ROUTE)).toBe(3);
    expect(JSON.stringify(res)).not.toMatch(/bad_gateway|Bad gateway|127\.0\.0\.1/);
  });

  it("one 503 on a read is retried and the read succeeds", async () => {
    stack.simulator.injectFault({
      route: SEARCH_ROUTE,
      kind: "status",
      status: 503,
      retryAfterSeconds: 0,
      times: 1,
    });
    const res = await stack.gql(SEARCH);
    expect(res.errors).toBeUndefined();
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBe(2);
  });

  it("a 500 on a read is not retried and surfaces as UPSTREAM_UNAVAILABLE", async () => {
    stack.simulator.injectFault({ route: SEARCH_ROUTE, kind: "status", status: 500 });
    const res = await stack.gql(SEARCH);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_UNAVAILABLE"]);
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBe(1);
  });

  it("a connection reset on a read is retried, and the read succeeds", async () => {
    stack.simulator.injectFault({ route: SEARCH_ROUTE, kind: "reset", times: 1 });
    const res = await stack.gql(SEARCH);
    expect(res.errors).toBeUndefined();
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBe(2);
  });

  it("a 429 on the issuing POST is UpstreamUnavailableError with retryAfterSeconds, sent once", async () => {
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "status", status: 429, retryAfterSeconds: 1 });
    const res = await stack.gql<{ requestCertificate: Row }>(ISSUE, { input: issueInput() });
    expect(res.data?.requestCertificate).toMatchObject({
      __typename: "UpstreamUnavailableError",
      code: "UPSTREAM_UNAVAILABLE",
      retryAfterSeconds: 1,
    });
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
  });

  it("a 502 on the issuing POST is outcome unknown, sent once", async () => {
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "status", status: 502 });
    const res = await stack.gql<{ requestCertificate: Row }>(ISSUE, { input: issueInput() });
    expect(res.data?.requestCertificate).toMatchObject({
      __typename: "UpstreamOutcomeUnknownError",
      code: "UPSTREAM_OUTCOME_UNKNOWN",
    });
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
  });
});

describe("slow bodies (simulator slow-body fault, gateway body timeout 300 ms)", () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startGateway({
      upstreamUrl: stack.simulator.url,
      transport: { bodyTimeoutMs: 300, headersTimeoutMs: 300 },
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("a read whose body stalls is retried, then UPSTREAM_UNAVAILABLE within bounded time", async () => {
    stack.simulator.injectFault({ route: SEARCH_ROUTE, kind: "slow-body", delayMs: 2_000 });
    const [res, ms] = await timed(() => post(gw.url, SEARCH, undefined, { token: gw.token }));
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_UNAVAILABLE"]);
    // Retried (undici's coarse timers make each attempt take up to ~1 s; the 1.5 s budget ends it).
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBeGreaterThanOrEqual(2);
    expect(stack.simulator.requestCount(SEARCH_ROUTE)).toBeLessThanOrEqual(3);
    expect(ms).toBeLessThan(4_000);
  });

  it("an issuing POST whose body stalls is outcome unknown, sent exactly once", async () => {
    stack.simulator.injectFault({ route: ISSUE_ROUTE, kind: "slow-body", delayMs: 2_000 });
    const res = await post(gw.url, ISSUE, { input: issueInput() }, { token: gw.token });
    expect(res.json?.data?.requestCertificate).toMatchObject({
      __typename: "UpstreamOutcomeUnknownError",
      code: "UPSTREAM_OUTCOME_UNKNOWN",
    });
    expect(stack.simulator.requestCount(ISSUE_ROUTE)).toBe(1);
  });
});

describe("a misbehaving upstream (fake HTTP server)", () => {
  let fake: FakeUpstream;
  let evil: FakeUpstream;
  let gw: Gateway;
  const MARKER = "UPSTREAM-BODY-MARKER-7c1e";

  beforeAll(async () => {
    fake = await startFakeUpstream();
    evil = await startFakeUpstream();
    gw = await startGateway({
      upstreamUrl: fake.url,
      tenants: { default: { kind: "apiKey", apiKey: "fake-upstream-key" } },
      transport: { headersTimeoutMs: 300, bodyTimeoutMs: 300, maxResponseBytes: 64 * 1024 },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
    await evil?.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    evil.requests.length = 0;
    gw.logs.length = 0;
  });

  const read = () => post(gw.url, SEARCH, undefined, { token: gw.token });
  const issue = () => post(gw.url, ISSUE, { input: issueInput() }, { token: gw.token });
  const noUpstreamDetail = (text: string) => {
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain(new URL(fake.url).host);
    expect(text).not.toMatch(/mpki|ECONNRESET|UND_ERR|SyntaxError|Unexpected token/);
  };

  it("a reset in the middle of a read's body is retried, then UPSTREAM_UNAVAILABLE", async () => {
    fake.handle((_req, res, socket) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "5000" });
      res.write(`{"total": 1, "items": [{"serial_number": "${MARKER}`);
      setTimeout(() => socket.destroy(), 20);
    });
    const res = await read();
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_UNAVAILABLE"]);
    expect(fake.requests.filter((r) => r.method === "GET")).toHaveLength(3);
    noUpstreamDetail(res.text);
  });

  it("a reset in the middle of the issuing POST's response is outcome unknown, sent once", async () => {
    fake.handle((_req, res, socket) => {
      res.writeHead(201, { "content-type": "application/json", "content-length": "5000" });
      res.write(`{"serial_number": "`);
      setTimeout(() => socket.destroy(), 20);
    });
    const res = await issue();
    expect(res.json?.data?.requestCertificate).toMatchObject({
      __typename: "UpstreamOutcomeUnknownError",
      code: "UPSTREAM_OUTCOME_UNKNOWN",
    });
    expect(fake.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a non-JSON 200 on a read is UPSTREAM_INVALID_RESPONSE, not retried, with no body text anywhere", async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<html><body>${MARKER} -----BEGIN PRIVATE KEY----- maintenance</body></html>`);
    });
    const res = await read();
    expect(res.status).toBe(200);
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_INVALID_RESPONSE"]);
    expect(fake.requests).toHaveLength(1);
    noUpstreamDetail(res.text);
    for (const line of gw.logs) expect(line).not.toContain(MARKER);
  });

  it("a non-JSON 200 on the issuing POST is outcome unknown (it may have issued), sent once", async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${MARKER} not json`);
    });
    const res = await issue();
    expect(res.json?.data?.requestCertificate).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN" });
    expect(fake.requests).toHaveLength(1);
    noUpstreamDetail(res.text);
  });

  it("a JSON 200 of the wrong shape is UPSTREAM_INVALID_RESPONSE, not a masked crash", async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ unexpected: MARKER }));
    });
    const res = await post(
      gw.url,
      `{ certificate(serialNumber: "ABCDEF") { serialNumber status pem } }`,
      undefined,
      {
        token: gw.token,
      },
    );
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_INVALID_RESPONSE"]);
    noUpstreamDetail(res.text);
  });

  it("a body over maxResponseBytes is UPSTREAM_INVALID_RESPONSE, read no further, not retried", async () => {
    fake.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`{"total":1,"items":[],"pad":"${"x".repeat(200 * 1024)}"}`);
    });
    const res = await read();
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_INVALID_RESPONSE"]);
    expect(fake.requests).toHaveLength(1);
  });

  it("an upstream that never sends headers is UPSTREAM_UNAVAILABLE within bounded time (headers timeout)", async () => {
    fake.handle(() => {
      /* never answers */
    });
    const [res, ms] = await timed(read);
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_UNAVAILABLE"]);
    // Retried within the 1.5 s budget (undici's timers are coarse: an attempt takes up to ~1 s).
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(fake.requests.length).toBeLessThanOrEqual(3);
    expect(ms).toBeLessThan(4_000);
    noUpstreamDetail(res.text);
  });

  it("an issuing POST that never gets headers is outcome unknown, sent once, within bounded time", async () => {
    fake.handle(() => {
      /* never answers */
    });
    const [res, ms] = await timed(issue);
    expect(res.json?.data?.requestCertificate).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN" });
    expect(fake.requests).toHaveLength(1);
    expect(ms).toBeLessThan(1_500);
  });

  it("a redirect to another host is not followed: the API key never reaches it", async () => {
    fake.handle((_req, res) => {
      res.writeHead(302, { location: `${evil.url}/mpki/api/v1/certificate-search` }).end();
    });
    evil.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(`{"total":0,"items":[]}`);
    });
    const res = await read();
    expect(res.json?.errors?.map((e) => e.extensions?.code)).toEqual(["UPSTREAM_INVALID_RESPONSE"]);
    expect(evil.requests).toHaveLength(0);
    expect(fake.requests[0]?.headers["x-api-key"]).toBe("fake-upstream-key");
    noUpstreamDetail(res.text);
  });
});
