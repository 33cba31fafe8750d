import { pino } from "pino";
import { type App, type AppConfig, buildApp } from "../../src/app.js";
import { createDevIssuer, devVerifierOptions, type DevIssuer } from "../../src/auth/dev.js";
import type { Defences } from "../../src/config.js";
import type { UpstreamCredentials } from "../../src/datasources/http.js";
import {
  DEFAULT_API_KEY,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../simulator/index.js";

export interface GqlResult<T> {
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

export interface Stack {
  simulator: Simulator;
  app: App;
  url: URL;
  /** Signs tokens the gateway accepts (ES256, the stack's own key). */
  issuer: DevIssuer;
  /** A token for `sub` in `tenant` (default "default") with `scope` (default: every scope). */
  token(claims?: {
    sub?: string;
    tenant?: string;
    scope?: string;
    expiresInSeconds?: number;
  }): Promise<string>;
  /**
   * POSTs a GraphQL operation over real HTTP with a full-scope token for tenant "default", unless
   * `options.token` says otherwise (null: no Authorization header).
   */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export interface StackOptions {
  simulator?: SimulatorOptions;
  /** Tenant "default"'s credentials: the simulator's full-access key unless given; a function can ask the simulator. */
  credentials?: UpstreamCredentials | ((simulator: Simulator) => Promise<UpstreamCredentials>);
  /** More tenants and their credentials. */
  tenants?: Record<string, UpstreamCredentials>;
  passthroughApiKey?: boolean;
  defences?: Partial<Defences>;
  /** Where the gateway spools uploads (default: the OS's temporary directory). */
  uploadTmpDir?: string;
  /** When given, every gateway log line (pino JSON, level trace) is pushed here, for leak checks. */
  logs?: string[];
  /** Any other gateway settings (readiness cache, shutdown, observability, …). */
  app?: Partial<AppConfig>;
}

export const TEST_DEFENCES: Defences = {
  corsOrigins: [],
  introspection: true,
  maxBodyBytes: 1024 * 1024,
  maxUploadBytes: 16 * 1024 * 1024,
  rateLimitPerMinute: 1_000_000,
  maxOperationsPerSocket: 20,
};

/** The simulator and the gateway, each on port 0; always call close() in afterAll. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const simulator = await startSimulator({ seedCertificates: 60, logger: false, ...options.simulator });
  const issuer = await createDevIssuer();
  const credentials =
    typeof options.credentials === "function"
      ? await options.credentials(simulator)
      : (options.credentials ?? { kind: "apiKey" as const, apiKey: DEFAULT_API_KEY });
  const app = testApp(simulator.url, issuer, {
    logger: options.logs
      ? pino({ level: "trace" }, { write: (line: string) => void options.logs!.push(line) })
      : pino({ level: "silent" }),
    passthroughApiKey: options.passthroughApiKey ?? false,
    ...(options.uploadTmpDir ? { uploadTmpDir: options.uploadTmpDir } : {}),
    defences: { ...TEST_DEFENCES, ...options.defences },
    credentials,
    tenants: options.tenants ?? {},
    ...(options.simulator?.tls ? { caPem: simulator.rootCertificatePem } : {}),
    ...options.app,
  });
  const url = await app.start().catch(async (error) => {
    await simulator.close();
    throw error;
  });
  const token: Stack["token"] = (claims = {}) =>
    issuer.sign({ sub: claims.sub ?? "tester", tenant: claims.tenant ?? "default", ...claims });
  const defaultToken = await token();
  return {
    simulator,
    app,
    url,
    issuer,
    token,
    async gql(query, variables, opts = {}) {
      const bearer = opts.token === undefined ? defaultToken : opts.token;
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/graphql-response+json",
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
          ...opts.headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as never;
    },
    async close() {
      await app.stop({ graceMs: 100 });
      await simulator.close();
    },
  };
}

export interface TestAppOptions extends Partial<AppConfig> {
  /** Tenant "default"'s credentials; default: the simulator's full-access key. */
  credentials?: UpstreamCredentials;
  /** More tenants and their credentials. */
  tenants?: Record<string, UpstreamCredentials>;
  /** Trust anchor of a TLS simulator. */
  caPem?: string;
}

/** A gateway (not started) on a running simulator, as every test builds it: short timeouts, fast retries, test defences. */
export function testApp(simulatorUrl: string, issuer: DevIssuer, options: TestAppOptions = {}): App {
  const { credentials, tenants, caPem, ...overrides } = options;
  return buildApp({
    port: 0,
    host: "127.0.0.1",
    graphiql: false,
    logger: pino({ level: "silent" }),
    auth: devVerifierOptions(issuer),
    passthroughApiKey: false,
    jobPolling: { minIntervalMs: 50, maxIntervalMs: 200, budgetPerSecond: 1_000_000 },
    defences: TEST_DEFENCES,
    upstream: {
      transport: {
        baseUrl: new URL(simulatorUrl),
        ...(caPem ? { caPem } : {}),
        connectTimeoutMs: 2_000,
        headersTimeoutMs: 5_000,
        bodyTimeoutMs: 5_000,
        connections: 16,
        maxResponseBytes: 16 * 1024 * 1024,
        // Short waits keep fault tests fast; a Retry-After beyond the budget ends retries at once.
        retry: { maxAttempts: 3, budgetMs: 1_500, baseDelayMs: 5, maxDelayMs: 20 },
      },
      tenants: new Map([
        ["default", credentials ?? { kind: "apiKey" as const, apiKey: DEFAULT_API_KEY }],
        ...Object.entries(tenants ?? {}),
      ]),
    },
    ...overrides,
  });
}
