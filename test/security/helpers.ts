// Package-free helpers for the security suite: a gateway built with a signing key the test holds
// (so it can forge any claim), raw HTTP helpers that keep status and headers, and a fake upstream.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { pino } from "pino";
import { expect } from "vitest";
import { type App, buildApp } from "../../src/app.js";
import { ALL_SCOPES } from "../../src/auth/viewer.js";
import type { TokenVerifierOptions } from "../../src/auth/verify.js";
import type { Defences } from "../../src/config.js";
import type { UpstreamCredentials, UpstreamTransportOptions } from "../../src/datasources/http.js";
import { DEFAULT_API_KEY, type Simulator, startSimulator } from "../../simulator/index.js";
import { listenOnLoopback } from "../helpers/listen.js";
import { TEST_DEFENCES } from "../helpers/stack.js";

export const ISSUER = "urn:security-suite:issuer";
export const AUDIENCE = "security-suite-gateway";
export const KID = "suite-key";

export type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** An ES256 key pair and the JWKS the gateway trusts. */
export async function suiteKey(kid = KID) {
  const pair = await generateKeyPair("ES256", { extractable: true });
  const jwk = { ...(await exportJWK(pair.publicKey)), alg: "ES256", use: "sig", kid };
  return { ...pair, kid, jwks: { keys: [jwk] } };
}

export interface SignOptions {
  key?: KeyPair["privateKey"] | Uint8Array;
  alg?: string;
  kid?: string | null;
  /** Claims to drop from the defaults (e.g. "exp"). */
  omit?: string[];
}

export interface Gateway {
  url: URL;
  app: App;
  /** Every gateway log line (pino JSON, level trace). */
  logs: string[];
  /** Signs a token: defaults are a valid token (iss, aud, sub, tenant "default", every scope, exp in 10 min). */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  /** A valid token for tenant "default" with every scope. */
  token: string;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** The upstream origin (the simulator's URL, or a fake server's). */
  upstreamUrl: string;
  /** Tenant name -> credentials; default `{ default: DEFAULT_API_KEY }`. */
  tenants?: Record<string, UpstreamCredentials>;
  /** Override the key source (e.g. a remote JWKS URL); the suite key still signs. */
  keys?: TokenVerifierOptions["keys"];
  transport?: Partial<Omit<UpstreamTransportOptions, "baseUrl">>;
  passthroughApiKey?: boolean;
  defences?: Partial<Defences>;
}

/** buildApp as test/helpers/stack.ts does, but with a key the test holds; port 0. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const key = await suiteKey();
  const logs: string[] = [];
  const tenants = options.tenants ?? { default: { kind: "apiKey", apiKey: DEFAULT_API_KEY } };
  const app = buildApp({
    port: 0,
    host: "127.0.0.1",
    graphiql: false,
    logger: pino({ level: "trace" }, { write: (line: string) => void logs.push(line) }),
    auth: {
      keys: options.keys ?? { kind: "jwks", jwks: key.jwks },
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["ES256"],
      clockToleranceSeconds: 5,
      tenantClaim: "tenant",
    },
    passthroughApiKey: options.passthroughApiKey ?? false,
    defences: { ...TEST_DEFENCES, ...options.defences },
    upstream: {
      transport: {
        baseUrl: new URL(options.upstreamUrl),
        connectTimeoutMs: 2_000,
        headersTimeoutMs: 5_000,
        bodyTimeoutMs: 5_000,
        connections: 8,
        maxResponseBytes: 16 * 1024 * 1024,
        retry: { maxAttempts: 3, budgetMs: 1_500, baseDelayMs: 5, maxDelayMs: 20 },
        ...options.transport,
      },
      tenants: new Map(Object.entries(tenants)),
    },
  });
  const url = await app.start();
  const sign: Gateway["sign"] = async (claims = {}, opts = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: "suite-user",
      tenant: "default",
      scope: ALL_SCOPES.join(" "),
      iat: now,
      exp: now + 600,
      ...claims,
    };
    for (const name of opts.omit ?? []) delete payload[name];
    const header = { alg: opts.alg ?? "ES256", ...(opts.kid === null ? {} : { kid: opts.kid ?? KID }) };
    return new SignJWT(payload).setProtectedHeader(header).sign(opts.key ?? key.privateKey);
  };
  return {
    url,
    app,
    logs,
    sign,
    token: await sign(),
    close: () => app.stop({ graceMs: 100 }),
  };
}

/** A simulator with few seeded certificates (fast to start). */
export function smallSimulator(seedCertificates = 12): Promise<Simulator> {
  return startSimulator({ seedCertificates, logger: false, pickupDelayMs: 200 });
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: GqlBody | undefined;
}

export interface GqlBody {
  data?: Record<string, any> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** fetch that keeps status, headers and the body text. */
export async function send(url: URL | string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: GqlBody | undefined;
  try {
    json = JSON.parse(text) as GqlBody;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POSTs one operation as JSON (graphql-response+json) with an optional bearer token. */
export function post(
  url: URL | string,
  query: string,
  variables?: Record<string, unknown>,
  options: { token?: string | null; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return send(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
}

/** The codes of a body's errors, in order. */
export function codes(body: GqlBody | undefined): unknown[] {
  return (body?.errors ?? []).map((e) => e.extensions?.code);
}

/** Asserts the one generic 401 the gateway answers for every authentication failure. */
export function expectUnauthorized(res: RawResponse): void {
  expect(res.status, res.text).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer( |$)/);
  expect(res.json?.data ?? null).toBeNull();
  expect(res.json?.errors).toEqual([
    { message: "Unauthorized", extensions: { code: "UNAUTHENTICATED", requestId: expect.any(String) } },
  ]);
}

/** Every header of a response, as "name: value" lines. */
export function headerText(headers: Headers): string {
  return [...headers].map(([k, v]) => `${k}: ${v}`).join("\n");
}

/** Fails naming the sink when any needle occurs in any haystack. */
export function expectNoneContain(sinks: Record<string, string[]>, needles: Record<string, string>): void {
  const found: string[] = [];
  for (const [sinkName, haystacks] of Object.entries(sinks)) {
    for (const [needleName, needle] of Object.entries(needles)) {
      if (!needle) continue;
      const hit = haystacks.findIndex((h) => h.includes(needle));
      if (hit >= 0) found.push(`${needleName} in ${sinkName}[${hit}]: ${haystacks[hit]!.slice(0, 300)}`);
    }
  }
  expect(found, found.join("\n")).toEqual([]);
}

export interface FakeRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, socket: Socket) => void;

export interface FakeUpstream {
  url: string;
  requests: FakeRequest[];
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

/** A tiny HTTP server that answers whatever the current handler says; it records every request. */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: FakeRequest[] = [];
  let handler: FakeHandler = (_req, res) => {
    res.writeHead(404).end();
  };
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => handler(req, res, req.socket));
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    requests,
    handle(next) {
      handler = next;
    },
    close,
  };
}

/** A free local port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
