import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, type Simulator, SimulatorDataError, startSimulator } from "../../simulator/index.js";
import { api, issueBody, makeCsr, uniqueHost } from "./helpers.js";

let dataDir: string;
const running: Simulator[] = [];

async function start(dir: string): Promise<Simulator> {
  const sim = await startSimulator({ dataDir: dir, seedCertificates: 12, pickupDelayMs: 0 });
  running.push(sim);
  return sim;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "tlm-sim-persist-"));
});

afterAll(async () => {
  await Promise.all(running.map((sim) => sim.close()));
  await rm(dataDir, { recursive: true, force: true });
});

describe("persistence with dataDir", () => {
  it("serves the same CA, certificates, revocations and pending requests after a restart", async () => {
    const first = await start(dataDir);
    const host = uniqueHost("persist");
    const issued = await api(first, "/mpki/api/v1/certificate", {
      body: issueBody(PROFILE_IDS.webServer, await makeCsr(), host),
    });
    const serial = issued.json.serial_number as string;
    await api(first, `/mpki/api/v1/certificate/${serial}/revoke`, {
      method: "PUT",
      body: { revocation_reason: "certificate_hold" },
    });
    const pending = await api(first, "/mpki/api/v1/certificate", {
      body: issueBody(PROFILE_IDS.approval, await makeCsr(), uniqueHost("later")),
    });
    const before = await api(first, "/mpki/api/v1/certificate-search?limit=1000");
    await first.close();

    const files = await readdir(dataDir);
    expect(files.sort()).toEqual(["ca.json", "root-ca.pem", "state.json"]);
    expect((await stat(join(dataDir, "ca.json"))).mode & 0o777).toBe(0o600);

    const second = await start(dataDir);
    expect(second.rootCertificatePem).toBe(first.rootCertificatePem);
    expect(second.intermediateCertificatePem).toBe(first.intermediateCertificatePem);
    const after = await api(second, "/mpki/api/v1/certificate-search?limit=1000");
    expect(after.json.total).toBe(before.json.total);
    expect(after.json.items).toEqual(before.json.items);
    const details = await api(second, `/mpki/api/v1/certificate/${serial}`);
    expect(details.json).toMatchObject({
      status: "suspended",
      common_name: host,
      certificate: issued.json.certificate,
    });

    const picked = await api(second, `/mpki/api/v1/certificate-pickup/${pending.json.request_id}`, {
      body: { profile: { id: PROFILE_IDS.approval } },
    });
    expect(picked.json.status).toBe("ISSUED");
    await second.close();

    const third = await start(dataDir);
    const again = await api(third, `/mpki/api/v1/certificate-pickup/${pending.json.request_id}`, {
      body: { profile: { id: PROFILE_IDS.approval } },
    });
    expect(again.json.serial_number).toBe(picked.json.serial_number);
    await third.close();
    expect((await readdir(dataDir)).filter((file) => file.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses to start on a state file that is not JSON", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tlm-sim-corrupt-"));
    try {
      const sim = await start(dir);
      await sim.close();
      await writeFile(join(dir, "state.json"), "{ not json");
      const failure = startSimulator({ dataDir: dir });
      await expect(failure).rejects.toBeInstanceOf(SimulatorDataError);
      await expect(failure).rejects.toMatchObject({ code: "invalid_simulator_data" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
