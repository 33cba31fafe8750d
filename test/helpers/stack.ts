import { pino } from "pino";
import {
  DEFAULT_API_KEY,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from "../../simulator/index.js";
import { type App, buildApp } from "../../src/app.js";
import type { UpstreamCredentials } from "../../src/datasources/http.js";

export interface Stack {
  simulator: Simulator;
  app: App;
  url: URL;
  /** POSTs a GraphQL operation over real HTTP; returns the parsed body. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{
    data?: T;
    errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
  }>;
  close(): Promise<void>;
}

export interface StackOptions {
  simulator?: SimulatorOptions;
  /** Defaults to the simulator's full-access API key; a function can ask the simulator for material. */
  credentials?: UpstreamCredentials | ((simulator: Simulator) => Promise<UpstreamCredentials>);
}

/** The simulator and the gateway, each on port 0; always call close() in afterAll. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const simulator = await startSimulator({ seedCertificates: 60, logger: false, ...options.simulator });
  const credentials =
    typeof options.credentials === "function"
      ? await options.credentials(simulator)
      : (options.credentials ?? { kind: "apiKey" as const, apiKey: DEFAULT_API_KEY });
  const app = buildApp({
    port: 0,
    host: "127.0.0.1",
    graphiql: false,
    logger: pino({ level: "silent" }),
    upstream: {
      baseUrl: new URL(simulator.url),
      credentials,
      // In TLS mode the simulator's server certificate chains to its own root.
      ...(options.simulator?.tls ? { caPem: simulator.rootCertificatePem } : {}),
      connectTimeoutMs: 2_000,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      connections: 16,
      maxResponseBytes: 16 * 1024 * 1024,
    },
  });
  const url = await app.start().catch(async (error) => {
    await simulator.close();
    throw error;
  });
  return {
    simulator,
    app,
    url,
    async gql(query, variables) {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as never;
    },
    async close() {
      await app.stop(100);
      await simulator.close();
    },
  };
}
