// Benchmark targets, one role per process so the simulator's latency runs in parallel with the gateway's
// CPU work, as a remote DigiCert's would. Prints one JSON line with its URL.
//   tsx bench/server.ts simulator
//   tsx bench/server.ts gateway <simulator-url>
//   tsx bench/server.ts proxy <simulator-url>   (control: a bare undici pass-through, no GraphQL)
import "reflect-metadata";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { Pool } from "undici";
import { DEFAULT_API_KEY, startSimulator } from "../simulator/index.js";
import { buildApp } from "../src/app.js";
import { createDevIssuer, devVerifierOptions } from "../src/auth/dev.js";

const [role, simulatorUrl] = process.argv.slice(2);
let stop: () => Promise<void>;
if (role === "simulator") {
  const simulator = await startSimulator({ port: 0, seedCertificates: 300, logger: false });
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
    defences: {
      corsOrigins: [],
      introspection: true,
      maxBodyBytes: 1024 * 1024,
      maxUploadBytes: 16 * 1024 * 1024,
      rateLimitPerMinute: 10_000_000,
      maxOperationsPerSocket: 20,
    },
    upstream: {
      transport: {
        baseUrl: new URL(simulatorUrl),
        connectTimeoutMs: 5_000,
        headersTimeoutMs: 30_000,
        bodyTimeoutMs: 30_000,
        connections: 32,
        maxResponseBytes: 32 * 1024 * 1024,
      },
      tenants: new Map([["default", { kind: "apiKey", apiKey: DEFAULT_API_KEY }]]),
    },
  });
  const url = await app.start();
  stop = () => app.stop(100);
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
} else {
  throw new Error("usage: server.ts simulator | gateway <simulator-url> | proxy <simulator-url>");
}

process.on("SIGTERM", async () => {
  await stop();
  process.exit(0);
});
