import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_API_KEY, DTM_IDS, IOT_PROFILE_IDS, PROFILE_IDS } from "../../simulator/index.js";

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** Runs `npm run simulator`'s entry point (tsx simulator/main.ts) with the given environment. */
function runMain(env: Record<string, string>): {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
} {
  const child = spawn(process.execPath, ["--import", "tsx", "simulator/main.ts"], {
    env: { ...process.env, SIMULATOR_LOG_LEVEL: "silent", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, output: () => ({ stdout, stderr }) };
}

async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = await once(child, "exit");
  return code as number | null;
}

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("npm run simulator", () => {
  it.each([
    ["SIMULATOR_PORT", "http"],
    ["SIMULATOR_PORT", "70000"],
    ["SIMULATOR_LATENCY_MS", "-5"],
    ["SIMULATOR_PICKUP_DELAY_MS", "soon"],
    ["SIMULATOR_TLS", "maybe"],
    ["SIMULATOR_HOST", "not a host"],
    ["SIMULATOR_BATCH_STEP_MS", "fast"],
    ["SIMULATOR_DTM_JOB_STEP_MS", "-1"],
  ])("exits 1 naming %s when it is %s", async (name, value) => {
    const { child, output } = runMain({ [name]: value, SIMULATOR_DATA_DIR: "" });
    expect(await exitCode(child)).toBe(1);
    expect(output().stderr).toContain(name);
  });

  it("prints the URL, keys and profile ids, serves requests and stops cleanly on SIGTERM", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "tlm-sim-main-"));
    dirs.push(dataDir);
    const { child, output } = runMain({ SIMULATOR_PORT: "0", SIMULATOR_DATA_DIR: dataDir });
    const deadline = Date.now() + 15_000;
    while (!/listening on (\S+)/.test(output().stdout) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { stdout } = output();
    const url = /listening on (\S+)/.exec(stdout)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stdout).toContain(DEFAULT_API_KEY);
    expect(stdout).toContain(PROFILE_IDS.webServer);
    expect(stdout).toContain(IOT_PROFILE_IDS.deviceServerKeys);
    expect(stdout).toContain(DTM_IDS.deviceGroups.fieldSensors);
    expect(stdout).toContain(DTM_IDS.certificatePolicies.factoryApproval);
    const hello = await request(`${url}/mpki/api/v1/hello`, { headers: { "x-api-key": DEFAULT_API_KEY } });
    expect(hello.statusCode).toBe(200);
    await hello.body.text();
    child.kill("SIGTERM");
    expect(await exitCode(child)).toBe(0);
    expect((await readdir(dataDir)).sort()).toEqual(["ca.json", "root-ca.pem", "state.json"]);
  });
});
