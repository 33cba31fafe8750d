// `npm run simulator`: runs the DigiCert ONE simulator from environment variables until SIGINT/SIGTERM.
import "reflect-metadata";
import { chmod, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { pino } from "pino";
import {
  DEFAULT_API_KEY,
  DTM_IDS,
  IOT_PROFILE_IDS,
  PROFILE_IDS,
  RESTRICTED_API_KEY,
  type SimulatorOptions,
  startSimulator,
} from "./index.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];
const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** A configuration mistake; main prints it and exits 1. */
class EnvironmentError extends Error {
  override readonly name = "EnvironmentError";
  readonly code = "invalid_environment";
}

function integerEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new EnvironmentError(`${name} must be an integer between 0 and ${max}`);
  }
  return Number(raw);
}

function booleanEnv(name: string): boolean {
  const raw = (process.env[name] ?? "").toLowerCase();
  if (["", "0", "false", "no", "off"].includes(raw)) return false;
  if (["1", "true", "yes", "on"].includes(raw)) return true;
  throw new EnvironmentError(`${name} must be true or false`);
}

function encodingEnv(name: string): "pem" | "base64" {
  const raw = (process.env[name] ?? "").trim().toLowerCase();
  if (raw === "" || raw === "pem") return "pem";
  if (raw === "base64") return "base64";
  throw new EnvironmentError(`${name} must be pem or base64`);
}

function readEnvironment(): { options: SimulatorOptions; logLevel: string } {
  const host = process.env.SIMULATOR_HOST || "127.0.0.1";
  if (!isIP(host) && !HOSTNAME.test(host))
    throw new EnvironmentError("SIMULATOR_HOST must be an IP address or host name");
  const logLevel = process.env.SIMULATOR_LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new EnvironmentError(`SIMULATOR_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}`);
  }
  // An explicitly empty SIMULATOR_DATA_DIR keeps everything in memory.
  const dataDir = process.env.SIMULATOR_DATA_DIR ?? ".simulator-data";
  // Unset: DTM jobs step at SIMULATOR_BATCH_STEP_MS.
  const dtmStep = process.env.SIMULATOR_DTM_JOB_STEP_MS;
  return {
    options: {
      host,
      port: integerEnv("SIMULATOR_PORT", 4010, 65_535),
      latencyMs: integerEnv("SIMULATOR_LATENCY_MS", 0, 600_000),
      pickupDelayMs: integerEnv("SIMULATOR_PICKUP_DELAY_MS", 5000, 86_400_000),
      batchStepMs: integerEnv("SIMULATOR_BATCH_STEP_MS", 3000, 86_400_000),
      ...(dtmStep === undefined || dtmStep === ""
        ? {}
        : { dtmJobStepMs: integerEnv("SIMULATOR_DTM_JOB_STEP_MS", 0, 86_400_000) }),
      dataDir: dataDir === "" ? undefined : resolve(dataDir),
      tls: booleanEnv("SIMULATOR_TLS"),
      certificateEncoding: encodingEnv("SIMULATOR_CERTIFICATE_ENCODING"),
    },
    logLevel,
  };
}

async function main(): Promise<void> {
  let environment: ReturnType<typeof readEnvironment>;
  try {
    environment = readEnvironment();
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    process.stderr.write(`simulator: ${error.message}\n`);
    process.exit(1);
  }
  const { options, logLevel } = environment;
  const logger = pino({ name: "digicert-simulator", level: logLevel });
  const sim = await startSimulator({ ...options, logger });

  const lines = [
    `DigiCert ONE simulator (Trust Lifecycle Manager, IoT Trust Manager, Device Trust Manager) listening on ${sim.url}`,
    `  x-api-key, full access:           ${DEFAULT_API_KEY}`,
    `  x-api-key, Web Server TLS only:   ${RESTRICTED_API_KEY}`,
    "  profiles:",
    ...Object.entries(PROFILE_IDS).map(([name, id]) => `    ${name.padEnd(15)} ${id}`),
    "  IoT enrollment profiles:",
    ...Object.entries(IOT_PROFILE_IDS).map(([name, id]) => `    ${name.padEnd(16)} ${id}`),
    "  DTM device groups:",
    ...Object.entries(DTM_IDS.deviceGroups).map(([name, id]) => `    ${name.padEnd(16)} ${id}`),
    "  DTM certificate policies:",
    ...Object.entries(DTM_IDS.certificatePolicies).map(([name, id]) => `    ${name.padEnd(16)} ${id}`),
    `  data: ${options.dataDir ?? "in memory (SIMULATOR_DATA_DIR is empty)"}`,
    "  knobs: GET|DELETE /_simulator/counters, POST|DELETE /_simulator/faults, PUT /_simulator/latency",
  ];
  if (options.dataDir) lines.push(`  root CA: ${join(options.dataDir, "root-ca.pem")}`);
  if (options.tls && options.dataDir) {
    const client = await sim.issueClientCertificate("simulator-cli-client");
    const certPath = join(options.dataDir, "client-cert.pem");
    const keyPath = join(options.dataDir, "client-key.pem");
    await writeFile(certPath, `${client.certificatePem}\n`);
    await writeFile(keyPath, client.privateKeyPem, { mode: 0o600 });
    await chmod(keyPath, 0o600);
    lines.push(`  client certificate: ${certPath} (key ${keyPath})`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping simulator");
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "simulator did not close cleanly");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `simulator: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
