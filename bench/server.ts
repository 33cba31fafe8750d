// Benchmark targets, one role per process so the simulator's latency runs in parallel with the gateway's
// CPU work, as a remote DigiCert's would. Prints one JSON line with its URL.
//   tsx bench/server.ts simulator
//   tsx bench/server.ts gateway <simulator-url>
//   tsx bench/server.ts proxy <simulator-url>   (control: a bare undici pass-through, no GraphQL)
//   tsx bench/server.ts bare-yoga                (control: graphql-yoga alone, certificate(serialNumber) answered by a
//                                                 constant: yoga's own floor, with none of the gateway's work)
// Optional flags (absent: the defaults above and below, unchanged):
//   simulator: --dtm-step-ms N (DTM batch job step)
//   gateway:   --job-poll-ms N (jobPolling min = max), --job-poll-budget N|off (job polls per second per tenant; absent or
//              off: no budget, as the bench's other limits), --max-ops-per-socket N, --max-upload-bytes N,
//              --upstream-timeout-ms N (upstream headers and body timeouts),
//              --metrics on|off (default on, served on the gateway's own port; tracing stays off as configured by default),
//              --redis-url URL (sharedStore: { url }: idempotency, rate limits and job pollers shared through Redis;
//              absent: in memory, one instance), --redis-key-prefix P (sharedStore.keyPrefix)
//   any role:  --stats-on-sigusr2 (on SIGUSR2: a full GC when node runs with --expose-gc, then one JSON
//              line {"memory": process.memoryUsage()} on stdout)
import "reflect-metadata";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createSchema, createYoga } from "graphql-yoga";
import { Pool } from "undici";
import { DEFAULT_API_KEY, startSimulator } from "../simulator/index.js";
import { buildApp } from "../src/app.js";
import { createDevIssuer, devVerifierOptions } from "../src/auth/dev.js";

const { positionals, values: flags } = parseArgs({
  allowPositionals: true,
  options: {
    "dtm-step-ms": { type: "string" },
    "job-poll-ms": { type: "string" },
    "job-poll-budget": { type: "string" },
    "max-ops-per-socket": { type: "string" },
    "max-upload-bytes": { type: "string" },
    "upstream-timeout-ms": { type: "string" },
    "stats-on-sigusr2": { type: "boolean" },
    metrics: { type: "string" },
    "redis-url": { type: "string" },
    "redis-key-prefix": { type: "string" },
  },
});
if (flags["stats-on-sigusr2"]) {
  process.on("SIGUSR2", () => {
    (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write(`${JSON.stringify({ memory: process.memoryUsage() })}\n`);
  });
}
/** A flag's whole number, or `fallback` when the flag is absent. */
function intFlag(name: keyof typeof flags, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}
const [role, simulatorUrl] = positionals;
let stop: () => Promise<void>;
if (role === "simulator") {
  const simulator = await startSimulator({
    port: 0,
    seedCertificates: 300,
    logger: false,
    ...(flags["dtm-step-ms"] ? { dtmJobStepMs: intFlag("dtm-step-ms", 0) } : {}),
  });
  stop = () => simulator.close();
  process.stdout.write(`${JSON.stringify({ url: simulator.url, apiKey: DEFAULT_API_KEY })}\n`);
} else if (role === "gateway" && simulatorUrl) {
  const issuer = await createDevIssuer();
  const app = buildApp({
    port: 0,
    host: "127.0.0.1",
    graphiql: false,
    logger: pino({ level: "silent" }),
    auth: devVerifierOptions(issuer),
    observability: {
      metrics: { enabled: flags.metrics !== "off", port: null, host: "127.0.0.1", tenantLabel: false },
      tracing: null,
    },
    defences: {
      corsOrigins: [],
      introspection: true,
      maxBodyBytes: 1024 * 1024,
      maxUploadBytes: intFlag("max-upload-bytes", 16 * 1024 * 1024),
      rateLimitPerMinute: 10_000_000,
      maxOperationsPerSocket: intFlag("max-ops-per-socket", 20),
    },
    jobPolling: {
      ...(flags["job-poll-ms"]
        ? { minIntervalMs: intFlag("job-poll-ms", 1_000), maxIntervalMs: intFlag("job-poll-ms", 1_000) }
        : {}),
      budgetPerSecond:
        flags["job-poll-budget"] && flags["job-poll-budget"] !== "off"
          ? intFlag("job-poll-budget", 1)
          : Number.POSITIVE_INFINITY,
    },
    ...(flags["redis-url"]
      ? {
          sharedStore: {
            url: flags["redis-url"],
            ...(flags["redis-key-prefix"] ? { keyPrefix: flags["redis-key-prefix"] } : {}),
          },
        }
      : {}),
    upstream: {
      transport: {
        baseUrl: new URL(simulatorUrl),
        connectTimeoutMs: 5_000,
        headersTimeoutMs: intFlag("upstream-timeout-ms", 30_000),
        bodyTimeoutMs: intFlag("upstream-timeout-ms", 30_000),
        connections: 32,
        maxResponseBytes: 32 * 1024 * 1024,
      },
      tenants: new Map([["default", { kind: "apiKey", apiKey: DEFAULT_API_KEY }]]),
    },
  });
  const url = await app.start();
  stop = () => app.stop({ graceMs: 100 });
  // The bench authenticates like any caller: with a token from this process's dev key.
  const token = await issuer.sign({ sub: "bench", tenant: "default" });
  process.stdout.write(`${JSON.stringify({ url: url.href, token })}\n`);
} else if (role === "proxy" && simulatorUrl) {
  const pool = new Pool(simulatorUrl, { connections: 32 });
  const server = createServer(async (req, res) => {
    const upstream = await pool.request({
      path: req.url ?? "/",
      method: "GET",
      headers: { "x-api-key": DEFAULT_API_KEY },
    });
    res.writeHead(upstream.statusCode, { "content-type": "application/json" });
    res.end(Buffer.from(await upstream.body.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stop = async () => {
    server.close();
    await pool.close();
  };
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
} else if (role === "bare-yoga") {
  const certificate = {
    serialNumber: "5A3C9F0E11D2",
    status: "ISSUED",
    commonName: "device-1.example.com",
    validTo: "2027-12-02T00:00:00.000Z",
    thumbprint: "0F".repeat(20),
    pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
  };
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        scalar SerialNumber
        type Certificate {
          serialNumber: String!
          status: String!
          commonName: String
          validTo: String
          thumbprint: String
          pem: String
        }
        type Query {
          certificate(serialNumber: SerialNumber!): Certificate
        }
      `,
      resolvers: { Query: { certificate: () => certificate } },
    }),
    graphiql: false,
    logging: false,
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stop = async () => void server.close();
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` })}\n`,
  );
} else {
  throw new Error("usage: server.ts simulator | gateway <simulator-url> | proxy <simulator-url> | bare-yoga");
}

process.on("SIGTERM", async () => {
  await stop();
  process.exit(0);
});
