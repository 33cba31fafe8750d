import http from "node:http";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DTM_IDS, type Simulator, startSimulator } from "../../simulator/index.js";
import { api, makeCsr } from "./helpers.js";
import {
  csv,
  dataFile,
  DTM_DEVICES,
  DTM_JOBS,
  DTM_REGISTRATION,
  uploadDtmJob,
  waitForDtmJob,
} from "./dtm-helpers.js";

const G = DTM_IDS.deviceGroups;
const P = DTM_IDS.certificatePolicies;
const dirs: string[] = [];
const running: Simulator[] = [];

afterAll(async () => {
  await Promise.all(running.map((sim) => sim.close()));
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function start(dataDir: string): Promise<Simulator> {
  const sim = await startSimulator({
    dataDir,
    seedCertificates: 0,
    seedIotCertificates: 0,
    dtmJobStepMs: 40,
  });
  running.push(sim);
  return sim;
}

/** A client-side CSV: device_name, subject.common_name, csr, then `extra` columns with the same value on every row. */
async function rows(count: number, extra: Record<string, string> = {}): Promise<string[][]> {
  const lines: string[][] = [["device_name", "subject.common_name", "csr", ...Object.keys(extra)]];
  for (let i = 0; i < count; i++) {
    const name = `persisted-${process.pid}-${Math.random().toString(36).slice(2)}`;
    lines.push([
      name,
      `${name}.example.com`,
      await makeCsr({ subject: `CN=${name}` }),
      ...Object.values(extra),
    ]);
  }
  return lines;
}

async function create(sim: Simulator, fields: Record<string, string>, lines: string[][]): Promise<string> {
  const created = await uploadDtmJob(
    sim,
    { job_type: "device_registration", name: "persisted", server_side_key_gen: "false", ...fields },
    [dataFile(csv(lines))],
  );
  expect(created.status, created.text).toBe(200);
  return created.json.id as string;
}

describe("DTM state in a data directory", () => {
  it("keeps devices, jobs and reports across a restart, lets a waiting job be approved, and marks a cut-off job TERMINATED", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "dtm-sim-persist-"));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const single = await api(first, DTM_REGISTRATION, {
      body: { name: "kept-device", device_group_id: G.gateways },
    });
    expect(single.status).toBe(200);
    const done = await create(
      first,
      { device_group_id: G.fieldSensors, certificate_policy_id: P.bootstrapClient },
      await rows(1),
    );
    await waitForDtmJob(first, done, "COMPLETE");
    const waiting = await create(
      first,
      { device_group_id: G.factoryLine, certificate_policy_id: P.factoryApproval },
      await rows(1, { "subject.organization_name": "Example", "subject.organization_unit": "Factory" }),
    );
    await waitForDtmJob(first, waiting, "PENDING_APPROVAL");
    const cut = await create(
      first,
      { device_group_id: G.fieldSensors, certificate_policy_id: P.bootstrapClient },
      await rows(3),
    );
    await waitForDtmJob(first, cut, "IN_PROGRESS");
    await first.close();

    const second = await start(dataDir);
    expect((await api(second, `${DTM_DEVICES}/${single.json.device_id}`)).json.name).toBe("kept-device");
    expect((await api(second, `${DTM_JOBS}/${done}`)).json).toMatchObject({ status: "COMPLETE", success: 1 });
    const report = await api(second, `${DTM_JOBS}/${done}/download/report?format=json`);
    expect(report.json.rows[0]).toMatchObject({ row: 1, status: "SUCCESS" });
    expect((await api(second, `${DTM_JOBS}/${cut}`)).json).toMatchObject({
      status: "TERMINATED",
      error: expect.stringContaining("restart"),
    });
    expect((await api(second, `${DTM_JOBS}/${waiting}/approve`, { method: "PUT" })).status).toBe(204);
    expect((await api(second, `${DTM_JOBS}/${waiting}`)).json).toMatchObject({
      status: "COMPLETE",
      success: 1,
    });
    await second.close();

    // Only reports stay behind, owner-only; inputs, spooled uploads and pending registrations are removed.
    const files = await readdir(join(dataDir, "dtm-batch"));
    expect(files.sort()).toEqual([done, waiting, cut].map((id) => `${id}.report.jsonl`).sort());
    expect((await stat(join(dataDir, "dtm-batch"))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dataDir, "dtm-batch", files[0]!))).mode & 0o777).toBe(0o600);
  });

  it("seeds DTM into a state file written before DTM existed", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "dtm-sim-upgrade-"));
    dirs.push(dataDir);
    await (await start(dataDir)).close();
    const path = join(dataDir, "state.json");
    const state = JSON.parse(await readFile(path, "utf8"));
    delete state.dtm;
    await writeFile(path, JSON.stringify(state));
    const sim = await start(dataDir);
    expect((await api(sim, `${DTM_DEVICES}?name=edge-gateway-01`)).json.total).toBe(1);
    await sim.close();
  });

  it("removes the spooled upload when the client goes away mid-upload, or when the upload is refused", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "dtm-sim-abort-"));
    dirs.push(dataDir);
    const sim = await start(dataDir);
    const url = new URL(`${sim.url}${DTM_JOBS}`);
    const boundary = "----dtm-abort";
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          "x-api-key": "sim-local-api-key",
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "transfer-encoding": "chunked",
        },
      });
      req.on("error", () => resolve());
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="a.csv"\r\n\r\n`);
      req.write("device_name,subject.common_name,csr\n".repeat(100));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    const refused = await uploadDtmJob(sim, { job_type: "device_registration" }, [dataFile("a,b\n1,2\n")]);
    expect(refused.status).toBe(400);
    const deadline = Date.now() + 5000;
    let files = await readdir(join(dataDir, "dtm-batch"));
    while (files.length > 0 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 20));
      files = await readdir(join(dataDir, "dtm-batch"));
    }
    expect(files).toEqual([]);
    await sim.close();
  });
});
