import "reflect-metadata";
import { DEFAULT_API_KEY, type Simulator, startSimulator } from "../simulator/index.js";
import { buildApp } from "./app.js";
import { type Config, ConfigError, loadConfig, type UpstreamConfig } from "./config.js";
import { createLogger } from "./logger.js";

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
let simulator: Simulator | null = null;
let upstream: UpstreamConfig;
if (config.upstream) {
  upstream = config.upstream;
} else {
  simulator = await startSimulator({
    port: 0,
    dataDir: config.simulator.dataDir,
    latencyMs: config.simulator.latencyMs,
    logger: false,
  });
  upstream = {
    ...config.upstreamTuning,
    baseUrl: new URL(simulator.url),
    credentials: { kind: "apiKey", apiKey: DEFAULT_API_KEY },
  };
}

const app = buildApp({ port: config.port, host: config.host, graphiql: config.graphiql, upstream, logger });
const url = await app.start();

const curl = `curl -s ${url} -H 'content-type: application/json' -d '{"query":"{ profiles(first: 5) { edges { node { profileId name status } } } }"}'`;
console.log(
  [
    "",
    `GraphQL gateway ready: ${url}`,
    config.graphiql
      ? `GraphiQL:              ${url} (open in a browser)`
      : "GraphiQL:              off (GRAPHIQL=false)",
    simulator
      ? `Upstream:              built-in DigiCert ONE simulator at ${simulator.url} (set DIGICERT_BASE_URL to use a real tenant)`
      : `Upstream:              ${upstream.baseUrl.origin}`,
    "",
    "Try it:",
    `  ${curl}`,
    "",
  ].join("\n"),
);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "shutting down");
  await app.stop();
  await simulator?.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
