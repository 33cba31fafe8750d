// Benchmark target: the simulator and the gateway in this child process; prints their URLs as one JSON line.
import "reflect-metadata";
import { pino } from "pino";
import { DEFAULT_API_KEY, startSimulator } from "../simulator/index.js";
import { buildApp } from "../src/app.js";

const simulator = await startSimulator({ port: 0, seedCertificates: 300, logger: false });
const app = buildApp({
  port: 0,
  host: "127.0.0.1",
  graphiql: false,
  logger: pino({ level: "silent" }),
  upstream: {
    baseUrl: new URL(simulator.url),
    credentials: { kind: "apiKey", apiKey: DEFAULT_API_KEY },
    connectTimeoutMs: 5_000,
    headersTimeoutMs: 30_000,
    bodyTimeoutMs: 30_000,
    connections: 32,
    maxResponseBytes: 32 * 1024 * 1024,
  },
});
const gateway = await app.start();
process.stdout.write(
  `${JSON.stringify({ simulator: simulator.url, gateway: gateway.href, apiKey: DEFAULT_API_KEY })}\n`,
);

process.on("SIGTERM", async () => {
  await app.stop(100);
  await simulator.close();
  process.exit(0);
});
