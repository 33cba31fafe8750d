import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Stack, startStack } from "../helpers/stack.js";
import { codes, post, send } from "./helpers.js";

// Below Node's 16 KiB header limit, so an over-long GET query string reaches the gateway.
const MAX_BODY = 8 * 1024;
const CSRF = { "x-graphql-csrf": "1" };

/** Default limits, 64 KiB bodies, introspection on. */
let stack: Stack;
/** Introspection off. */
let closed: Stack;
/** Three operations per caller per minute. */
let limited: Stack;

beforeAll(async () => {
  [stack, closed, limited] = await Promise.all([
    startStack({ simulator: { seedCertificates: 12 }, defences: { maxBodyBytes: MAX_BODY } }),
    startStack({ simulator: { seedCertificates: 4 }, defences: { introspection: false } }),
    startStack({ simulator: { seedCertificates: 4 }, defences: { rateLimitPerMinute: 3 } }),
  ]);
});
afterAll(async () => {
  await Promise.all([stack?.close(), closed?.close(), limited?.close()]);
});
beforeEach(() => {
  for (const s of [stack, closed, limited]) s.simulator.resetCounters();
});

const gql = async (target: Stack, query: string, variables?: Record<string, unknown>, token?: string) =>
  post(target.url, query, variables, { token: token ?? (await target.token()) });

/** `__type { fields { type { ofType { ofType ... } } } }`: valid, and `levels` deep. */
function deepIntrospection(levels: number) {
  let inner = "name";
  for (let i = 0; i < levels; i++) inner = `ofType { ${inner} }`;
  return `{ __type(name: "Query") { fields { type { ${inner} } } } }`;
}

// One certificate, with most of what a page can select (about 43 per item).
const NODE_FIELDS = `serialNumber status commonName validFrom validTo thumbprint pem
  seat { seatId } revocation { reason revokedAt } profile { profileId name }
  x509 { serialNumber selfSigned daysUntilExpiry sha1Fingerprint sha256Fingerprint signatureAlgorithm notBefore notAfter
    subject { dn commonName } issuer { dn commonName } publicKey { algorithm size curve } subjectAltNames { type value } keyUsage }`;

/** Ten aliased pages of `first: $n`, the sizes only known from the variables, spread through a fragment. */
const COSTLY = `query($n: Int!) { ...Pages }
fragment Pages on Query {
  ${Array.from({ length: 10 }, (_, i) => `p${i}: certificates(first: $n) { totalCount edges { node { ...Item } } }`).join("\n  ")}
}
fragment Item on Certificate { ${NODE_FIELDS} }`;

describe("query shape limits over HTTP: refused before execution, zero upstream requests", () => {
  it("a query 20 levels deep is QUERY_TOO_DEEP (HTTP 400)", async () => {
    const res = await gql(stack, deepIntrospection(20));
    expect(res.status).toBe(400);
    expect(codes(res.json)).toEqual(["QUERY_TOO_DEEP"]);
    expect(res.json?.data ?? null).toBeNull();
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("depth hidden in nested fragments is still QUERY_TOO_DEEP", async () => {
    const fragments = Array.from(
      { length: 16 },
      (_, i) => `fragment F${i} on __Type { ofType { ${i === 15 ? "name" : `...F${i + 1}`} } }`,
    ).join("\n");
    const res = await gql(stack, `{ __type(name: "Query") { fields { type { ...F0 } } } }\n${fragments}`);
    expect(codes(res.json)).toEqual(["QUERY_TOO_DEEP"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("an alias bomb (100 aliased certificate reads) is TOO_MANY_ALIASES, reading nothing", async () => {
    const fields = Array.from({ length: 100 }, (_, i) => `a${i}: certificate(serialNumber: "0${i}") { pem }`);
    const res = await gql(stack, `{ ${fields.join(" ")} }`);
    expect(res.status).toBe(400);
    expect(codes(res.json)).toEqual(["TOO_MANY_ALIASES"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a token flood (3,000 tokens) is TOO_MANY_TOKENS", async () => {
    const res = await gql(stack, `{ ${"a ".repeat(3_000)}}`);
    expect(res.status).toBe(400);
    expect(codes(res.json)).toEqual(["TOO_MANY_TOKENS"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a directive flood (30 @include on free __typename aliases) is TOO_MANY_DIRECTIVES", async () => {
    const fields = Array.from({ length: 30 }, (_, i) => `t${i}: __typename @include(if: true)`);
    const res = await gql(stack, `{ ${fields.join(" ")} certificate(serialNumber: "01") { pem } }`);
    expect(res.status).toBe(400);
    expect(codes(res.json)).toEqual(["TOO_MANY_DIRECTIVES"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("cost counts `first: $n` from the variables: n = 100 is QUERY_TOO_COSTLY, with no search sent", async () => {
    const res = await gql(stack, COSTLY, { n: 100 });
    expect(res.status).toBe(400);
    expect(codes(res.json)).toEqual(["QUERY_TOO_COSTLY"]);
    expect(res.json?.errors?.[0]?.extensions?.cost).toBeGreaterThan(
      res.json?.errors?.[0]?.extensions?.maxCost,
    );
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("the same document with n = 1 is cheap and runs (control)", async () => {
    const res = await gql(stack, COSTLY, { n: 1 });
    expect(res.json?.errors).toBeUndefined();
    expect(stack.simulator.requestCount("GET /mpki/api/v1/certificate-search")).toBe(10);
  });

  it.each([
    ["certificates", 101],
    ["certificates", 1_000_000],
    ["profiles", 1_000],
  ])("%s(first: $n) with n = %i from the variables is VALIDATION_FAILED on `first`", async (field, n) => {
    const res = await gql(stack, `query($n: Int!) { ${field}(first: $n) { pageInfo { hasNextPage } } }`, {
      n,
    });
    expect(codes(res.json)).toEqual(["VALIDATION_FAILED"]);
    expect(res.json?.errors?.[0]?.extensions?.field).toBe("first");
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("first: 0 or a negative page is VALIDATION_FAILED on `first`", async () => {
    for (const n of [0, -5]) {
      const res = await gql(stack, `query($n: Int!) { certificates(first: $n) { totalCount } }`, { n });
      expect(codes(res.json)).toEqual(["VALIDATION_FAILED"]);
      expect(res.json?.errors?.[0]?.extensions?.field).toBe("first");
    }
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});

/** One error per introspection field selected; each must carry the code. */
function expectAllIntrospectionDisabled(found: unknown[]) {
  expect(found.length).toBeGreaterThan(0);
  expect(found).toEqual(found.map(() => "INTROSPECTION_DISABLED"));
}

describe("introspection off (defences.introspection: false)", () => {
  it("__schema is INTROSPECTION_DISABLED", async () => {
    const res = await gql(closed, `{ __schema { types { name fields { name } } } }`);
    expectAllIntrospectionDisabled(codes(res.json));
    expect(res.json?.data ?? null).toBeNull();
    expect(res.text).not.toMatch(/Certificate|requestCertificate/);
  });

  it("__type, aliased and inside a fragment, is INTROSPECTION_DISABLED", async () => {
    const res = await gql(
      closed,
      `{ ...F } fragment F on Query { t: __type(name: "Certificate") { fields { name } } }`,
    );
    expectAllIntrospectionDisabled(codes(res.json));
    expect(res.json?.data ?? null).toBeNull();
    expect(res.text).not.toMatch(/serialNumber|pkcs7/);
  });

  it("__typename still answers, and a typo gets no 'Did you mean' hint", async () => {
    const ok = await gql(closed, `{ __typename }`);
    expect(ok.json).toEqual({ data: { __typename: "Query" } });
    const typo = await gql(closed, `{ certificats(first: 1) { totalCount } }`);
    expect(typo.json?.errors?.length).toBe(1);
    expect(typo.text).not.toMatch(/Did you mean|certificates/);
    expect(closed.simulator.requestCounts()).toEqual({});
  });
});

describe("request body size", () => {
  it("a JSON body over maxBodyBytes is 413 PAYLOAD_TOO_LARGE, executing nothing", async () => {
    const token = await stack.token();
    const res = await send(stack.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `query($pad: String) { certificates(first: 1) { totalCount } }`,
        variables: { pad: "x".repeat(MAX_BODY * 2) },
      }),
    });
    expect(res.status).toBe(413);
    expect(codes(res.json)).toEqual(["PAYLOAD_TOO_LARGE"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a chunked body (no Content-Length) over the limit is 413 PAYLOAD_TOO_LARGE too", async () => {
    const token = await stack.token();
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(`{"query":"{ __typename }","pad":"`));
        if (sent >= 16) {
          controller.enqueue(new TextEncoder().encode(`"}`));
          controller.close();
          return;
        }
        sent++;
        controller.enqueue(chunk);
      },
    });
    const res = await send(stack.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(codes(res.json)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });

  it("a GET whose query string is over the limit is 413 PAYLOAD_TOO_LARGE", async () => {
    const url = new URL(stack.url);
    url.searchParams.set("query", `{ __typename }`);
    url.searchParams.set("variables", JSON.stringify({ pad: "x".repeat(MAX_BODY + 1_024) }));
    const res = await send(url, { headers: { ...CSRF, authorization: `Bearer ${await stack.token()}` } });
    expect(res.status).toBe(413);
    expect(codes(res.json)).toEqual(["PAYLOAD_TOO_LARGE"]);
  });
});

describe("rate limit (3 operations per caller per minute)", () => {
  it("the fourth operation is 429 RATE_LIMITED with an integer Retry-After, and never reaches DigiCert", async () => {
    const token = await limited.token({ sub: "rate-limited-caller" });
    for (let i = 0; i < 3; i++) {
      const ok = await gql(limited, `{ certificates(first: 1) { totalCount } }`, undefined, token);
      expect(ok.status).toBe(200);
    }
    const res = await gql(limited, `{ certificates(first: 1) { totalCount } }`, undefined, token);
    expect(res.status).toBe(429);
    expect(codes(res.json)).toEqual(["RATE_LIMITED"]);
    const retryAfter = res.headers.get("retry-after");
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(res.json?.errors?.[0]?.extensions?.retryAfterSeconds).toBe(Number(retryAfter));
    expect(limited.simulator.requestCount("GET /mpki/api/v1/certificate-search")).toBe(3);
  });

  it("another caller keeps its own budget", async () => {
    const other = await limited.token({ sub: "someone-else" });
    const res = await gql(limited, `{ certificates(first: 1) { totalCount } }`, undefined, other);
    expect(res.status).toBe(200);
    expect(res.json?.errors).toBeUndefined();
  });

  it("a limited caller's mutation is RATE_LIMITED and issues nothing", async () => {
    const token = await limited.token({ sub: "mutating-caller" });
    for (let i = 0; i < 3; i++) await gql(limited, `{ __typename }`, undefined, token);
    limited.simulator.resetCounters();
    const res = await gql(
      limited,
      `mutation { revokeCertificate(input: { serialNumber: "01", reason: UNSPECIFIED }) { __typename } }`,
      undefined,
      token,
    );
    expect(res.status).toBe(429);
    expect(codes(res.json)).toEqual(["RATE_LIMITED"]);
    expect(limited.simulator.requestCounts()).toEqual({});
  });
});

// ---- graphql-ws (graphql-transport-ws): the same limits answer one operation, the socket stays open.

interface WsMessage {
  type: string;
  id?: string;
  payload?: any;
}

/** A raw graphql-transport-ws session: connection_init with the token, then operations by id. */
async function openSocket(target: Stack, token: string) {
  const socket = new WebSocket(target.url.href.replace(/^http/, "ws"), "graphql-transport-ws");
  const messages: WsMessage[] = [];
  const waiters: (() => void)[] = [];
  let closeCode: number | null = null;
  socket.on("message", (data) => {
    messages.push(JSON.parse(String(data)) as WsMessage);
    for (const w of waiters.splice(0)) w();
  });
  socket.on("close", (code) => {
    closeCode = code;
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const next = (match: (m: WsMessage) => boolean) =>
    new Promise<WsMessage | null>((resolve) => {
      const check = () => {
        const found = messages.find(match);
        if (found) return resolve(found);
        if (closeCode !== null) return resolve(null);
        waiters.push(check);
      };
      check();
    });
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
  expect(await next((m) => m.type === "connection_ack")).not.toBeNull();
  return {
    /** Runs one operation; resolves with its `error` payload, or its last `next` payload once complete. */
    async run(id: string, query: string, variables?: Record<string, unknown>) {
      socket.send(JSON.stringify({ type: "subscribe", id, payload: { query, variables } }));
      const end = await next((m) => m.id === id && (m.type === "error" || m.type === "complete"));
      if (end?.type === "error") return { errors: end.payload as { extensions?: Record<string, any> }[] };
      const results = messages.filter((m) => m.id === id && m.type === "next");
      return (results.at(-1)?.payload ?? {}) as {
        data?: any;
        errors?: { extensions?: Record<string, any> }[];
      };
    },
    send: (raw: string) => socket.send(raw),
    closed: () => next(() => false).then(() => closeCode),
    get closeCode() {
      return closeCode;
    },
    close: () => socket.close(),
  };
}

const wsCodes = (result: { errors?: { extensions?: Record<string, any> }[] }) =>
  (result.errors ?? []).map((e) => e.extensions?.code);

describe("query abuse over WebSocket answers the one operation with its code; the socket stays open", () => {
  it("depth, aliases, tokens, directives, cost and page size each get their code on one socket", async () => {
    const ws = await openSocket(stack, await stack.token());
    try {
      expect(wsCodes(await ws.run("1", deepIntrospection(20)))).toEqual(["QUERY_TOO_DEEP"]);
      const aliases = Array.from(
        { length: 100 },
        (_, i) => `a${i}: certificate(serialNumber: "0${i}") { pem }`,
      );
      expect(wsCodes(await ws.run("2", `{ ${aliases.join(" ")} }`))).toEqual(["TOO_MANY_ALIASES"]);
      expect(wsCodes(await ws.run("3", `{ ${"a ".repeat(3_000)}}`))).toEqual(["TOO_MANY_TOKENS"]);
      const directives = Array.from({ length: 30 }, (_, i) => `t${i}: __typename @include(if: true)`);
      expect(wsCodes(await ws.run("4", `{ ${directives.join(" ")} }`))).toEqual(["TOO_MANY_DIRECTIVES"]);
      expect(wsCodes(await ws.run("5", COSTLY, { n: 100 }))).toEqual(["QUERY_TOO_COSTLY"]);
      expect(
        wsCodes(await ws.run("6", `query($n: Int!) { certificates(first: $n) { totalCount } }`, { n: 101 })),
      ).toEqual(["VALIDATION_FAILED"]);
      expect(stack.simulator.requestCounts()).toEqual({});
      // Still open and serving.
      expect(await ws.run("7", `{ __typename }`)).toEqual({ data: { __typename: "Query" } });
      expect(ws.closeCode).toBeNull();
    } finally {
      ws.close();
    }
  });

  it("introspection off holds over WebSocket: INTROSPECTION_DISABLED", async () => {
    const ws = await openSocket(closed, await closed.token());
    try {
      const result = await ws.run("1", `{ __schema { types { name } } }`);
      expectAllIntrospectionDisabled(wsCodes(result));
      expect(JSON.stringify(result)).not.toContain("Certificate");
    } finally {
      ws.close();
    }
  });

  it("the rate limit holds over WebSocket: RATE_LIMITED after three operations", async () => {
    const ws = await openSocket(limited, await limited.token({ sub: "ws-caller" }));
    try {
      for (const id of ["1", "2", "3"])
        expect(await ws.run(id, `{ __typename }`)).toEqual({ data: { __typename: "Query" } });
      expect(wsCodes(await ws.run("4", `{ certificates(first: 1) { totalCount } }`))).toEqual([
        "RATE_LIMITED",
      ]);
      expect(limited.simulator.requestCounts()).toEqual({});
    } finally {
      ws.close();
    }
  });

  it("a frame over maxBodyBytes closes the socket (1009) without executing it", async () => {
    const ws = await openSocket(stack, await stack.token());
    ws.send(
      JSON.stringify({
        type: "subscribe",
        id: "big",
        payload: {
          query: `{ certificates(first: 1) { totalCount } }`,
          variables: { pad: "x".repeat(MAX_BODY * 2) },
        },
      }),
    );
    expect(await ws.closed()).toBe(1009);
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});
