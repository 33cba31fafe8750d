// Benchmark (issues 4 and 14, P5): a ~200 MiB device CSV through the gateway (createDeviceRegistrationBatch, GraphQL
// multipart request) against the same file straight to the simulator. Reports throughput (median of
// the runs; target: at least 80% of direct) and the gateway's peak RSS growth during the upload (target: at most
// 64 MiB). The gateway checks the file as it arrives and sends it once all of it has passed.
// Usage: npm run bench:upload [-- --runs 3 --mib 200] [--cpu-prof] [--csr-rows N]
//   --cpu-prof: the gateway runs under node --cpu-prof; its self time per function (last run) is reported.
//   --csr-rows N: also a client-side CSV of N rows, each with a CSR (signatures checked on worker threads), both ways.
// Three processes on loopback: the simulator, the gateway (bench/server.ts roles) and this client,
// fresh ones for each run. The file is generated once on disk, streamed from disk, removed at the end.
import "reflect-metadata";
import { type ChildProcess, spawn } from "node:child_process";
import { createReadStream, createWriteStream, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import * as x509 from "@peculiar/x509";
import { request } from "undici";
import { DTM_IDS } from "../simulator/index.js";

x509.cryptoProvider.set(crypto);

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    mib: { type: "string", default: "200" },
    "cpu-prof": { type: "boolean", default: false },
    "csr-rows": { type: "string", default: "0" },
  },
});
const CPU_PROF = values["cpu-prof"] ?? false;
const CSR_ROWS = Number(values["csr-rows"]);
if (!Number.isInteger(CSR_ROWS) || CSR_ROWS < 0 || CSR_ROWS > 1_000_000)
  throw new Error("--csr-rows must be 0 to 1000000");
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 7) throw new Error("--runs must be 1 to 7");
const MIB = Number(values.mib);
if (!Number.isInteger(MIB) || MIB < 1 || MIB > 200) throw new Error("--mib must be 1 to 200");

/** The gateway's and the simulator's cap is 200 MiB; the file stays just under the size asked for. */
const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
const TARGET_BYTES = MIB * 1024 * 1024 - 64 * 1024;
const OVERALL_DEADLINE_MS = 14 * 60_000;
const UPLOAD_TIMEOUT_MS = 600_000;
const SAMPLE_MS = 50;
const BATCH_BASE = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
const MUTATION = `mutation($input: CreateDeviceRegistrationBatchInput!) { createDeviceRegistrationBatch(input: $input) {
  __typename ... on DeviceRegistrationBatchCreated { jobId } ... on Error { code message } } }`;

const children: ChildProcess[] = [];
/** The temporary directory (the CSV), removed at the end whatever happens. */
let tempDir: string | undefined;
function removeTempDir(): void {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}

/** Starts one bench/server.ts role in a child process and reads the JSON line it prints. */
async function spawnRole(
  args: string[],
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; info: { url: string; apiKey?: string; token?: string } }> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, "--import", "tsx", new URL("./server.ts", import.meta.url).pathname, ...args],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  let timer: NodeJS.Timeout | undefined;
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`bench server ${args[0]} exited ${code}`)));
    timer = setTimeout(() => reject(new Error(`bench server ${args[0]} did not start`)), 120_000);
  }).finally(() => clearTimeout(timer));
  return { child, info: JSON.parse(line) };
}

async function killChildren(): Promise<void> {
  const all = children.splice(0);
  await Promise.all(
    all.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

/** A process's VmRSS and VmHWM (peak since start or since clearPeak) in bytes, from /proc (Linux). */
function memOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") * 1024, hwm: kb("VmHWM") * 1024 };
}

/** Resets the kernel's peak RSS (VmHWM) of a process we own; false where that is not allowed. */
function clearPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

async function steadyRss(pid: number, ms = 1000, samples = 5): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < samples; i++) {
    xs.push(memOf(pid).rss);
    await sleep(ms / samples);
  }
  return median(xs);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** A self-signed RSA-2048 certificate valid now: where DigiCert would encrypt the generated keys. */
async function encryptionCertificate(): Promise<string> {
  const alg = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0b",
    name: "CN=Bench key recipient, O=Example Devices",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    keys,
    signingAlgorithm: alg,
  });
  return cert.toString("pem");
}

/** The gateway's and the simulator's row cap (BATCH_FILE_LIMITS.maxRows, dtmBatchLimits.maxRows). */
const MAX_ROWS = 1_000_000;
const ORGANIZATION = "Example Devices Manufacturing and Industrial Automation Division";

/**
 * Writes a server-side-key CSV of just under `bytes`; returns its size and row count. Rows are 212 bytes,
 * long enough that 200 MiB stays within MAX_ROWS (it needs at least 210 bytes a row).
 */
async function writeCsv(path: string, bytes: number): Promise<{ size: number; rows: number }> {
  const out = createWriteStream(path, { mode: 0o600 });
  const header = "subject.common_name,subject.organization_name,device_name\n";
  const line = (i: number) => {
    const n = String(i).padStart(6, "0");
    const device = `plant-3-eu-west-factory-line-07-sensor-cluster-alpha-temperature-and-humidity-device-${n}`;
    return `dev-${n}.line-07.plant-3.eu-west.devices.example.com,${ORGANIZATION},${device}\n`;
  };
  let size = header.length;
  let rows = 0;
  let chunk = header;
  const flush = async () => {
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", resolve));
    chunk = "";
  };
  for (;;) {
    const next = line(rows + 1);
    if (size + next.length > bytes) break;
    if (rows === MAX_ROWS) throw new Error(`more than ${MAX_ROWS} rows: make the rows longer`);
    chunk += next;
    size += next.length;
    rows += 1;
    if (chunk.length > 1 << 20) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return { size, rows };
}

interface Part {
  name: string;
  value: string;
}

/**
 * A multipart/form-data body streamed from disk: the text parts, then `fileField` with the file's
 * bytes, then the closing boundary; with its exact Content-Length.
 */
function multipart(
  parts: Part[],
  fileField: string,
  filePath: string,
  fileSize: number,
  onSent: () => void,
): { body: Readable; headers: Record<string, string> } {
  const boundary = `----bench${Math.random().toString(16).slice(2)}`;
  const preamble = Buffer.from(
    parts
      .map((p) => `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`)
      .join("") +
      `--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="devices.csv"\r\n` +
      "Content-Type: text/csv\r\n\r\n",
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* chunks() {
    yield preamble;
    for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
    yield epilogue;
    onSent();
  }
  return {
    body: Readable.from(chunks()),
    headers: {
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": String(preamble.length + fileSize + epilogue.length),
    },
  };
}

interface Sample {
  pid: number;
  baseline: number;
  peak: number;
  hwm: number | null;
}

/** Bytes a process has written (any write syscall: files and sockets), from /proc/<pid>/io. */
function wcharOf(pid: number): number {
  return Number(/^wchar:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? NaN);
}

/**
 * When the simulator stored the upload: it writes the data file to disk as it arrives (renamed, not
 * copied, afterwards), so its written bytes pass 1 MiB when the upload starts arriving and reach the
 * file's size when it has all arrived. Milliseconds from the request's start.
 */
interface Stored {
  startMs: number;
  endMs: number;
}

/** Samples the processes' RSS (and the simulator's written bytes) every SAMPLE_MS while `fn` runs. */
async function sampled<T>(
  pids: number[],
  simPid: number,
  size: number,
  fn: () => Promise<T>,
): Promise<{ result: T; samples: Sample[]; stored: Stored }> {
  const baselines = await Promise.all(pids.map((pid) => steadyRss(pid)));
  const cleared = pids.map((pid) => clearPeak(pid));
  const peaks = [...baselines];
  const written = wcharOf(simPid);
  const stored: Stored = { startMs: Number.NaN, endMs: Number.NaN };
  const start = performance.now();
  const timer = setInterval(() => {
    pids.forEach((pid, i) => {
      peaks[i] = Math.max(peaks[i]!, memOf(pid).rss);
    });
    const wrote = wcharOf(simPid) - written;
    const at = performance.now() - start;
    if (Number.isNaN(stored.startMs) && wrote > 2 ** 20) stored.startMs = at;
    if (Number.isNaN(stored.endMs) && wrote >= size) stored.endMs = at;
  }, SAMPLE_MS);
  let result: T;
  try {
    result = await fn();
  } finally {
    clearInterval(timer);
  }
  return {
    result,
    stored,
    samples: pids.map((pid, i) => ({
      pid,
      baseline: baselines[i]!,
      peak: Math.max(peaks[i]!, memOf(pid).rss),
      hwm: cleared[i] ? memOf(pid).hwm : null,
    })),
  };
}

interface Upload {
  ms: number;
  sentMs: number;
  jobId: string;
}

/** `cert`: server-side keys (policy bootstrapServer) encrypted for it; null: client-side, a CSR per row (bootstrapClient). */
async function uploadDirect(
  sim: { url: string; apiKey: string },
  file: string,
  size: number,
  cert: string | null,
  name: string,
): Promise<Upload> {
  const start = performance.now();
  let sent = Number.NaN;
  const { body, headers } = multipart(
    [
      { name: "job_type", value: "device_registration" },
      { name: "name", value: name },
      { name: "device_group_id", value: DTM_IDS.deviceGroups.factoryLine },
      {
        name: "certificate_policy_id",
        value: cert
          ? DTM_IDS.certificatePolicies.bootstrapServer
          : DTM_IDS.certificatePolicies.bootstrapClient,
      },
      { name: "server_side_key_gen", value: cert ? "true" : "false" },
      ...(cert ? [{ name: "encryption_certificate", value: cert }] : []),
    ],
    "data",
    file,
    size,
    () => (sent = performance.now()),
  );
  const res = await request(new URL(BATCH_BASE, sim.url), {
    method: "POST",
    headers: { ...headers, "x-api-key": sim.apiKey },
    body,
    headersTimeout: UPLOAD_TIMEOUT_MS,
    bodyTimeout: UPLOAD_TIMEOUT_MS,
  });
  const text = await res.body.text();
  const ms = performance.now() - start;
  if (res.statusCode !== 200) throw new Error(`direct upload: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
  return { ms, sentMs: sent - start, jobId: (JSON.parse(text) as { id: string }).id };
}

async function uploadGateway(
  gw: { url: string; token: string },
  file: string,
  size: number,
  cert: string | null,
  name: string,
): Promise<Upload> {
  const start = performance.now();
  let sent = Number.NaN;
  const operations = {
    query: MUTATION,
    variables: {
      input: {
        name,
        deviceGroupId: DTM_IDS.deviceGroups.factoryLine,
        certificatePolicyId: cert
          ? DTM_IDS.certificatePolicies.bootstrapServer
          : DTM_IDS.certificatePolicies.bootstrapClient,
        ...(cert ? { serverSideKeyGeneration: { encryptionCertificate: cert } } : {}),
        file: null,
      },
    },
  };
  const { body, headers } = multipart(
    [
      { name: "operations", value: JSON.stringify(operations) },
      { name: "map", value: JSON.stringify({ "0": ["variables.input.file"] }) },
    ],
    "0",
    file,
    size,
    () => (sent = performance.now()),
  );
  const res = await request(gw.url, {
    method: "POST",
    headers: { ...headers, authorization: `Bearer ${gw.token}` },
    body,
    headersTimeout: UPLOAD_TIMEOUT_MS,
    bodyTimeout: UPLOAD_TIMEOUT_MS,
  });
  const text = await res.body.text();
  const ms = performance.now() - start;
  const answer = JSON.parse(text) as {
    errors?: unknown;
    data?: { createDeviceRegistrationBatch: { __typename: string; jobId?: string } };
  };
  const created = answer.data?.createDeviceRegistrationBatch;
  if (res.statusCode !== 200 || answer.errors || created?.__typename !== "DeviceRegistrationBatchCreated") {
    throw new Error(`gateway upload: HTTP ${res.statusCode} ${text.slice(0, 500)}`);
  }
  return { ms, sentMs: sent - start, jobId: created.jobId! };
}

/** The job on the simulator, to check that every row arrived. */
async function simulatorJob(sim: { url: string; apiKey: string }, id: string) {
  const res = await request(new URL(`${BATCH_BASE}/${id}`, sim.url), {
    headers: { "x-api-key": sim.apiKey },
  });
  return (await res.body.json()) as { status: string; total: number; file_size?: number };
}

interface RunResult {
  direct: Upload;
  gateway: Upload;
  directStored: Stored;
  gatewayStored: Stored;
  directSim: Sample;
  gatewayGw: Sample;
  gatewaySim: Sample;
  /** The client-side CSV of CSR rows (--csr-rows), both ways. */
  csr: { direct: Upload; gateway: Upload; gatewayGw: Sample } | null;
  /** The gateway's CPU profile (--cpu-prof), written when it exited. */
  profileDir: string | null;
  /** The gateway upload of the main file, in CLOCK_MONOTONIC microseconds (the clock of V8's profile timestamps). */
  window: [number, number];
}

/** Now on CLOCK_MONOTONIC, in microseconds: the clock V8 stamps --cpu-prof samples with, in every process. */
function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

interface CsrFile {
  path: string;
  size: number;
  rows: number;
}

async function oneRun(
  run: number,
  file: string,
  size: number,
  rows: number,
  cert: string,
  csrFile: CsrFile | null,
): Promise<RunResult> {
  // Jobs stay PENDING (an hour-long step): the simulator never processes the rows in the background.
  const simRole = await spawnRole(["simulator", "--dtm-step-ms", "3600000"]);
  const sim = { url: simRole.info.url, apiKey: simRole.info.apiKey! };
  const profileDir = CPU_PROF ? join(file, "..", `profile-${run}`) : null;
  const gwRole = await spawnRole(
    [
      "gateway",
      sim.url,
      "--max-upload-bytes",
      String(MAX_UPLOAD_BYTES),
      "--upstream-timeout-ms",
      String(UPLOAD_TIMEOUT_MS),
    ],
    profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
  );
  const gw = { url: gwRole.info.url, token: gwRole.info.token! };
  const simPid = simRole.child.pid!;
  const gwPid = gwRole.child.pid!;
  try {
    // Warm-up: a tiny file both ways (code paths compiled, pools connected).
    const tiny = join(file, "..", "tiny.csv");
    const t = await writeCsv(tiny, 2000);
    await uploadDirect(sim, tiny, t.size, cert, `bench upload warm-up ${run}`);
    await uploadGateway(gw, tiny, t.size, cert, `bench upload warm-up ${run}`);

    const direct = await sampled([simPid], simPid, size, () =>
      uploadDirect(sim, file, size, cert, `bench upload direct ${run}`),
    );
    const windowStart = monotonicUs();
    const gateway = await sampled([gwPid, simPid], simPid, size, () =>
      uploadGateway(gw, file, size, cert, `bench upload gateway ${run}`),
    );
    const window: [number, number] = [windowStart, monotonicUs()];
    for (const [path, upload] of [
      ["direct", direct.result],
      ["gateway", gateway.result],
    ] as const) {
      const job = await simulatorJob(sim, upload.jobId);
      if (job.total !== rows)
        throw new Error(`${path} job ${upload.jobId}: total ${job.total}, expected ${rows}`);
    }
    let csr: RunResult["csr"] = null;
    if (csrFile) {
      const csrDirect = await uploadDirect(sim, csrFile.path, csrFile.size, null, `bench csr direct ${run}`);
      const csrGateway = await sampled([gwPid], simPid, csrFile.size, () =>
        uploadGateway(gw, csrFile.path, csrFile.size, null, `bench csr gateway ${run}`),
      );
      for (const upload of [csrDirect, csrGateway.result]) {
        const job = await simulatorJob(sim, upload.jobId);
        if (job.total !== csrFile.rows) throw new Error(`CSR job ${upload.jobId}: total ${job.total}`);
      }
      csr = { direct: csrDirect, gateway: csrGateway.result, gatewayGw: csrGateway.samples[0]! };
    }
    return {
      direct: direct.result,
      gateway: gateway.result,
      directStored: direct.stored,
      gatewayStored: gateway.stored,
      directSim: direct.samples[0]!,
      gatewayGw: gateway.samples[0]!,
      gatewaySim: gateway.samples[1]!,
      csr,
      profileDir,
      window,
    };
  } finally {
    await killChildren();
  }
}

/** A client-side CSV of `rows` devices, each row with one of `pems` (quoted, its line breaks kept). */
async function writeCsrCsv(path: string, rows: number, pems: readonly string[]): Promise<CsrFile> {
  const out = createWriteStream(path, { mode: 0o600 });
  let size = 0;
  let chunk = "device_name,subject.common_name,csr\r\n";
  const flush = async () => {
    size += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", resolve));
    chunk = "";
  };
  for (let row = 1; row <= rows; row++) {
    const name = `csr-device-${String(row).padStart(7, "0")}`;
    chunk += `${name},${name}.devices.example.com,"${pems[row % pems.length]!.trim()}"\r\n`;
    if (chunk.length > 1 << 20) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  return { path, size, rows };
}

/** EC P-256 CSRs, as a device would make them. */
async function csrPems(count: number): Promise<string[]> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  return Promise.all(
    Array.from({ length: count }, async (_, n) => {
      const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
      const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name: `CN=bench-${n}.devices.example.com`,
        keys,
        signingAlgorithm: alg,
      });
      return csr.toString("pem");
    }),
  );
}

/**
 * The gateway's main-thread self time by function in the profile it wrote at exit, for the samples within `window`
 * (the upload): the `top` largest, idle time left out.
 */
async function profileSummary(
  dir: string,
  top: number,
  window: [number, number],
): Promise<{ totalMs: number; idleMs: number; rows: [string, number][]; areas: [string, number][] }> {
  const name = (await readdir(dir)).find((entry) => entry.endsWith(".cpuprofile"));
  if (!name) throw new Error(`no CPU profile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, name), "utf8")) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    at += us;
    if (at < window[0] || at > window[1]) return;
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idle += us;
      return;
    }
    const where = frame.url ? ` ${frame.url.replace(/^.*\/(node_modules|src)\//, "$1/")}` : "";
    const key = `${frame.functionName || "(anonymous)"}${where}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const area =
      AREAS.find(([, pattern]) => pattern.test(`${frame.functionName} ${frame.url}`))?.[0] ?? "other";
    areas.set(area, (areas.get(area) ?? 0) + us);
    total += us;
  });
  if (total + idle === 0) throw new Error("the CPU profile holds no sample of the upload");
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => [key, us / 1000] as [string, number]);
  const byArea = [...areas]
    .sort((a, b) => b[1] - a[1])
    .map(([area, us]) => [area, us / 1000] as [string, number]);
  return { totalMs: total / 1000, idleMs: idle / 1000, rows, areas: byArea };
}

/** Where a profiled function belongs, by its name and file (first match). */
const AREAS: readonly [string, RegExp][] = [
  ["the check (src/batch-file, csv-parse)", /src\/batch-file\/|csv-parse/],
  [
    "spooling, following and sending the file from disk (fs, blob)",
    /use-streamed-uploads|node:internal\/(fs|blob)|writeBuffer|\bread\b/,
  ],
  ["multipart parsing (busboy)", /busboy|streamsearch/],
  ["the upstream send (undici, datasources)", /undici|src\/datasources\//],
  ["garbage collection", /\(garbage collector\)/],
  ["web streams and Node streams", /webstreams|internal\/streams/],
];

async function main(): Promise<string> {
  const started = new Date();
  const dir = await mkdtemp(join(tmpdir(), "bench-upload-"));
  tempDir = dir;
  try {
    const file = join(dir, "devices.csv");
    const cert = await encryptionCertificate();
    let t0 = performance.now();
    const { size, rows } = await writeCsv(file, TARGET_BYTES);
    const genMs = performance.now() - t0;
    if ((await stat(file)).size !== size) throw new Error("generated file size mismatch");
    const csrFile =
      CSR_ROWS > 0 ? await writeCsrCsv(join(dir, "csr-devices.csv"), CSR_ROWS, await csrPems(20)) : null;

    const runs: RunResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      t0 = performance.now();
      runs.push(await oneRun(run, file, size, rows, cert, csrFile));
      process.stderr.write(
        `bench:upload run ${run}/${RUNS} done in ${fmt((performance.now() - t0) / 1000)} s\n`,
      );
    }

    const mbps = (u: Upload) => size / 1e6 / (u.ms / 1000);
    const directMbps = median(runs.map((r) => mbps(r.direct)));
    const gatewayMbps = median(runs.map((r) => mbps(r.gateway)));
    const growth = (s: Sample) => s.peak - s.baseline;
    const hwmGrowth = (s: Sample) => (s.hwm === null ? Number.NaN : s.hwm - s.baseline);
    const gwGrowths = runs.map((r) => growth(r.gatewayGw));
    const worstGrowth = Math.max(...gwGrowths);

    const out: string[] = [];
    out.push(`## Upload: a ${mib(size)} MiB CSV through the gateway vs straight to the simulator\n`);
    out.push(
      `Run: ${started.toISOString()}. Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}. ${RUNS} runs, each with a fresh simulator and gateway (bench/server.ts roles; gateway \`maxUploadBytes\` ${MAX_UPLOAD_BYTES}, upstream timeouts ${UPLOAD_TIMEOUT_MS / 1000} s; simulator DTM step 1 h so jobs stay PENDING and are never processed).`,
    );
    out.push(
      `File: ${size.toLocaleString("en")} bytes (${mib(size)} MiB), ${rows.toLocaleString("en")} rows of ${Math.round(size / rows)} bytes (\`dev-000001.line-07.plant-3.eu-west.devices.example.com,${ORGANIZATION},plant-3-eu-west-factory-line-07-sensor-cluster-alpha-temperature-and-humidity-device-000001\`: the gateway and the simulator both cap a job at ${MAX_ROWS.toLocaleString("en")} rows, so 200 MiB needs rows of 210 bytes or more) under the header \`subject.common_name,subject.organization_name,device_name\` (policy bootstrapServer, server-side keys, generated in ${fmt(genMs / 1000)} s, streamed from disk by the client). ` +
        `Gateway: \`createDeviceRegistrationBatch\` as a GraphQL multipart request; it spools the upload to disk and checks every row as it arrives, then, once all of it has arrived and passed, streams it to the simulator, which answers once it has stored and parsed the whole file. Direct: the same multipart fields and file to \`POST ${BATCH_BASE}\`. Each run checks that the simulator's job counts every row.\n`,
    );
    out.push(
      "| run | path | wall s | MB/s (10^6 B) | client body sent at s | simulator storing from → to s | gateway RSS baseline → peak (growth) MiB | gateway VmHWM growth MiB | simulator RSS baseline → peak (growth) MiB |",
    );
    out.push("|---|---|---|---|---|---|---|---|---|");
    const window = (w: Stored) => `${fmt(w.startMs / 1000, 2)} → ${fmt(w.endMs / 1000, 2)}`;
    runs.forEach((r, i) => {
      out.push(
        `| ${i + 1} | direct | ${fmt(r.direct.ms / 1000, 2)} | ${fmt(mbps(r.direct))} | ${fmt(r.direct.sentMs / 1000, 2)} | ${window(r.directStored)} | – | – | ${mib(r.directSim.baseline)} → ${mib(r.directSim.peak)} (${mib(growth(r.directSim))}) |`,
      );
      out.push(
        `| ${i + 1} | gateway | ${fmt(r.gateway.ms / 1000, 2)} | ${fmt(mbps(r.gateway))} | ${fmt(r.gateway.sentMs / 1000, 2)} | ${window(r.gatewayStored)} | ${mib(r.gatewayGw.baseline)} → ${mib(r.gatewayGw.peak)} (**${mib(growth(r.gatewayGw))}**) | ${mib(hwmGrowth(r.gatewayGw))} | ${mib(r.gatewaySim.baseline)} → ${mib(r.gatewaySim.peak)} (${mib(growth(r.gatewaySim))}) |`,
      );
    });
    out.push("");
    out.push(
      `- Throughput, median of ${RUNS}: **direct ${fmt(directMbps)} MB/s, through the gateway ${fmt(gatewayMbps)} MB/s** (${fmt((gatewayMbps / directMbps) * 100, 0)} % of direct; median wall ${fmt(median(runs.map((r) => r.direct.ms)) / 1000, 2)} s vs ${fmt(median(runs.map((r) => r.gateway.ms)) / 1000, 2)} s).`,
    );
    out.push(
      `- Gateway peak RSS growth during the upload (VmRSS sampled every ${SAMPLE_MS} ms, peak − the median of 5 samples before): median ${mib(median(gwGrowths))} MiB, worst ${mib(worstGrowth)} MiB — target ≤ 64 MiB: **${worstGrowth <= 64 * 2 ** 20 ? "met" : "not met"}**. VmHWM growth is the kernel's own peak (reset through /proc/<pid>/clear_refs before the upload), so it catches spikes between samples.`,
    );
    const phase = (f: (r: RunResult) => number) => fmt(median(runs.map(f)) / 1000, 2);
    out.push(
      `- Where the time goes (medians; 50 ms resolution): direct: the upload arrives in ${phase((r) => r.directStored.endMs)} s, the simulator's parse of the stored file ${phase((r) => r.direct.ms - r.directStored.endMs)} s. ` +
        `Gateway: the upload arrives, is spooled and checked as it comes in ${phase((r) => r.gateway.sentMs)} s, the simulator starts receiving it ${phase((r) => r.gatewayStored.startMs - r.gateway.sentMs)} s after the client's last byte (what is left of the check, then the send's start), the upstream upload takes ${phase((r) => r.gatewayStored.endMs - r.gatewayStored.startMs)} s, the simulator's parse ${phase((r) => r.gateway.ms - r.gatewayStored.endMs)} s.`,
    );
    out.push(
      `- "client body sent at" is when this client had handed its last byte to the socket; "simulator storing" is when the simulator process had written 1 MiB of the upload, and all of it (its \`wchar\` in /proc/<pid>/io: it writes the data file to disk as it arrives).`,
    );
    if (csrFile) {
      const csrRuns = runs.map((r) => r.csr!);
      const rowsPerSecond = (u: Upload) => csrFile.rows / (u.ms / 1000);
      out.push(
        `\n### Client-side CSV: ${csrFile.rows.toLocaleString("en")} rows, each with a CSR (${mib(csrFile.size)} MiB; 20 distinct EC P-256 CSRs, policy bootstrapClient)\n`,
      );
      out.push(
        "| run | direct wall s | gateway wall s | gateway rows/s (signatures checked) | gateway RSS growth MiB |",
      );
      out.push("|---|---|---|---|---|");
      csrRuns.forEach((r, i) => {
        out.push(
          `| ${i + 1} | ${fmt(r.direct.ms / 1000, 2)} | ${fmt(r.gateway.ms / 1000, 2)} | ${Math.round(rowsPerSecond(r.gateway)).toLocaleString("en")} | ${mib(growth(r.gatewayGw))} |`,
        );
      });
      out.push(
        `\n- The gateway checks every CSR's signature (the simulator checks none), on worker threads: median ${Math.round(median(csrRuns.map((r) => rowsPerSecond(r.gateway)))).toLocaleString("en")} rows/s; RSS growth includes the workers' own heaps.`,
      );
    }
    const last = runs.at(-1)!;
    if (last.profileDir) {
      const { totalMs, idleMs, rows: hot, areas } = await profileSummary(last.profileDir, 15, last.window);
      out.push(
        `\n### Where the gateway's main thread went during the upload (run ${runs.length}, node --cpu-prof, the samples from the request's start to its answer)\n`,
      );
      out.push(
        `Busy ${fmt(totalMs / 1000, 2)} s, idle ${fmt(idleMs / 1000, 2)} s (the profiler slows the gateway: read the shares, not the times).\n`,
      );
      out.push(
        `By area: ${areas.map(([area, ms]) => `${area} ${fmt((ms / totalMs) * 100)} %`).join("; ")}.\n`,
      );
      out.push("| self ms | share | function |");
      out.push("|---|---|---|");
      for (const [where, ms] of hot)
        out.push(`| ${Math.round(ms)} | ${fmt((ms / totalMs) * 100)} % | \`${where}\` |`);
    }
    return out.join("\n");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const overall = setTimeout(() => {
  process.stderr.write("bench:upload: overall deadline passed; killing the children\n");
  void killChildren().finally(() => {
    removeTempDir();
    process.exit(2);
  });
}, OVERALL_DEADLINE_MS);
overall.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(
    signal,
    () =>
      void killChildren().finally(() => {
        removeTempDir();
        process.exit(130);
      }),
  );
}

let report: string;
try {
  report = await main();
} finally {
  await killChildren();
  removeTempDir();
}
clearTimeout(overall);
console.log(report);
process.exit(0);
