import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IOT_PROFILE_IDS,
  RESTRICTED_API_KEY,
  type Simulator,
  startSimulator,
} from "../../simulator/index.js";
import { api, makeCsr } from "./helpers.js";
import { encryptionIdentity, enroll, pemBlocks, uploadBatch, waitForJob } from "./iot-helpers.js";

const LIST = "/iot/api/v1/certificate";
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 2, seedIotCertificates: 40 });
});

afterAll(async () => {
  await sim.close();
});

let counter = 0;
async function issueDevice(profileId = IOT_PROFILE_IDS.deviceFlexible) {
  counter += 1;
  const device = `CERT-TEST-${process.pid}-${counter}`;
  const result = await enroll(sim, {
    csr: await makeCsr({ subject: `CN=${device.toLowerCase()}.example.com` }),
    enrollment_profile_id: profileId,
    device_attributes: [{ id: "DEVICE_IDENTIFIER", value: device }],
  });
  expect(result.status).toBe(200);
  return { device, ...(result.json as { certificate_id: string; serial_number: string; pem: string }) };
}

describe("listing IoT certificates", () => {
  it("answers {records, total, offset, limit} with the record fields public scripts read", async () => {
    const result = await api(sim, `${LIST}/?limit=5`);
    expect(result.status).toBe(200);
    expect(Object.keys(result.json).sort()).toEqual(["limit", "offset", "records", "total"]);
    expect(result.json).toMatchObject({ offset: 0, limit: 5 });
    expect(result.json.total).toBeGreaterThanOrEqual(40);
    expect(result.json.records).toHaveLength(5);
    const [record] = result.json.records;
    expect(record).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      common_name: expect.stringMatching(/\.example\.com$/),
      serial_number: expect.stringMatching(/^[0-9A-F]+$/),
      status: expect.stringMatching(/^(ISSUED|REVOKED|EXPIRED)$/),
      certificate_type: "x509",
      enrollment_profile: { id: expect.stringMatching(/^IOT_/), name: expect.any(String) },
    });
    const body = new x509.X509Certificate(record.body);
    expect(body.serialNumber.toUpperCase()).toBe(record.serial_number);
    expect(record.chain.map((entry: any) => entry.blob.trim())).toEqual([
      sim.intermediateCertificatePem.trim(),
      sim.rootCertificatePem.trim(),
    ]);
  });

  it("filters by status, profile, method, device identifier, common name and serial, and pages", async () => {
    const statuses = async (status: string) =>
      (await api(sim, `${LIST}?status=${status}&limit=1000`)).json.records.map(
        (record: any) => record.status,
      );
    const revoked = await statuses("REVOKED");
    const expired = await statuses("expired");
    expect(revoked.length).toBeGreaterThan(0);
    expect(expired.length).toBeGreaterThan(0);
    expect(new Set(revoked)).toEqual(new Set(["REVOKED"]));
    expect(new Set(expired)).toEqual(new Set(["EXPIRED"]));

    const byProfile = await api(
      sim,
      `${LIST}?enrollment_profile_id=${IOT_PROFILE_IDS.factoryBatch}&limit=1000`,
    );
    expect(byProfile.json.total).toBeGreaterThan(0);
    for (const record of byProfile.json.records) {
      expect(record.enrollment_profile.id).toBe(IOT_PROFILE_IDS.factoryBatch);
      expect(record.enrollment_method).toBe("BATCH");
    }
    const batch = await api(sim, `${LIST}?enrollment_method=BATCH&limit=1000`);
    expect(batch.json.total).toBe(byProfile.json.total);

    const issued = await issueDevice();
    const byDevice = await api(sim, `${LIST}?device_identifier=${issued.device}&status=ISSUED`);
    expect(byDevice.json.records.map((record: any) => record.id)).toEqual([issued.certificate_id]);
    const bySerial = await api(sim, `${LIST}?serial_number=${issued.serial_number.toLowerCase()}`);
    expect(bySerial.json.total).toBe(1);
    const byName = await api(sim, `${LIST}?common_name=${issued.device.toUpperCase()}.EXAMPLE.COM`);
    expect(byName.json.records[0].id).toBe(issued.certificate_id);

    const all = await api(sim, `${LIST}?limit=1000`);
    const page = await api(sim, `${LIST}?offset=3&limit=4`);
    expect(page.json.records).toEqual(all.json.records.slice(3, 7));
    expect(page.json.total).toBe(all.json.total);
  });

  it("answers 400 for a bad status, limit or offset", async () => {
    for (const query of ["status=ACTIVE", "limit=0", "limit=1001", "offset=-1"]) {
      const result = await api(sim, `${LIST}?${query}`);
      expect(result.status, query).toBe(400);
      expect(result.json.errors[0].field).toBe(query.split("=")[0]);
    }
  });

  it("shows the restricted API key no IoT certificate", async () => {
    const result = await api(sim, LIST, { apiKey: RESTRICTED_API_KEY });
    expect(result.json.total).toBe(0);
    const one = await issueDevice();
    const details = await api(sim, `${LIST}/${one.certificate_id}`, { apiKey: RESTRICTED_API_KEY });
    expect(details.status).toBe(403);
  });
});

describe("reading one IoT certificate", () => {
  it("finds it by certificate id or serial number", async () => {
    const issued = await issueDevice();
    const byId = await api(sim, `${LIST}/${issued.certificate_id}`);
    const bySerial = await api(sim, `${LIST}/${issued.serial_number}`);
    expect(byId.status).toBe(200);
    expect(bySerial.json).toEqual(byId.json);
    expect(byId.json).toMatchObject({
      id: issued.certificate_id,
      serial_number: issued.serial_number,
      device_identifier: issued.device,
      device_attributes: [{ id: "DEVICE_IDENTIFIER", name: "Device identifier", value: issued.device }],
      status: "ISSUED",
    });
    expect(pemBlocks(byId.json.body)).toEqual(pemBlocks(issued.pem).slice(0, 1));
  });

  it("answers 404 for an unknown certificate and 400 for a malformed id", async () => {
    expect((await api(sim, `${LIST}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await api(sim, `${LIST}/ABCDEF0123`)).status).toBe(404);
    const malformed = await api(sim, `${LIST}/not-an-id`);
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors[0].field).toBe("certificate_id");
  });
});

describe("revoking an IoT certificate", () => {
  it('answers 204 for {"reason":"unspecified"} and lists the certificate as REVOKED', async () => {
    const issued = await issueDevice();
    const result = await api(sim, `${LIST}/${issued.certificate_id}/revoke`, {
      method: "PUT",
      body: { reason: "unspecified" },
    });
    expect(result.status).toBe(204);
    const details = await api(sim, `${LIST}/${issued.certificate_id}`);
    expect(details.json).toMatchObject({ status: "REVOKED", revocation_reason: "unspecified" });
    expect(details.json.revoked_at).toMatch(/Z$/);
    const again = await api(sim, `${LIST}/${issued.certificate_id}/revoke`, {
      method: "PUT",
      body: { reason: "superseded" },
    });
    expect(again.status).toBe(400);
    expect(again.json.errors[0].code).toBe("invalid_request");
  });

  it("answers 400 on reason for a reason it does not know", async () => {
    const issued = await issueDevice();
    const result = await api(sim, `${LIST}/${issued.certificate_id}/revoke`, {
      method: "PUT",
      body: { reason: "certificate_hold" },
    });
    expect(result.status).toBe(400);
    expect(result.json.errors[0].field).toBe("reason");
  });
});

describe("renewing an IoT certificate", () => {
  it("renews by id with a new CSR, keeping subject and device attributes", async () => {
    const issued = await issueDevice();
    const result = await api(sim, `${LIST}/${issued.certificate_id}/renew`, {
      body: { csr: await makeCsr({ key: "p521", subject: "CN=ignored.example.com" }) },
    });
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ status: "AUTO_APPROVED", result: "SUCCESS" });
    expect(result.json.certificate_id).not.toBe(issued.certificate_id);
    expect(result.json.serial_number).not.toBe(issued.serial_number);
    const leaf = new x509.X509Certificate(pemBlocks(result.json.pem)[0]!);
    expect(leaf.subjectName.getField("CN")).toEqual([`${issued.device.toLowerCase()}.example.com`]);
    expect((leaf.publicKey.algorithm as EcKeyAlgorithm).namedCurve).toBe("P-521");
    const renewed = await api(sim, `${LIST}/${result.json.certificate_id}`);
    expect(renewed.json).toMatchObject({
      renewed_from: issued.certificate_id,
      device_identifier: issued.device,
    });
  });

  it("renews by serial number with server-side key generation, also over PUT", async () => {
    const issued = await issueDevice();
    const result = await api(sim, `${LIST}/${issued.serial_number}/renew`, {
      method: "PUT",
      body: {
        server_side_key_gen: true,
        key_type: "p_256",
        private_key_format: "cert_encrypted_key_only",
        encryption_certificate: (await encryptionIdentity()).certificatePem,
      },
    });
    expect(result.status).toBe(200);
    expect(result.json.private_key).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  });

  it("refuses a revoked certificate, a renewal before the window, and a new profile", async () => {
    const issued = await issueDevice();
    await api(sim, `${LIST}/${issued.certificate_id}/revoke`, {
      method: "PUT",
      body: { reason: "superseded" },
    });
    const revoked = await api(sim, `${LIST}/${issued.certificate_id}/renew`, {
      body: { csr: await makeCsr() },
    });
    expect(revoked.status).toBe(400);
    const early = await issueDevice(IOT_PROFILE_IDS.deviceCsr);
    const window = await api(sim, `${LIST}/${early.certificate_id}/renew`, {
      body: { csr: await makeCsr() },
    });
    expect(window.status).toBe(422);
    expect(window.json.errors[0].code).toBe("renewal_window");
    const other = await issueDevice();
    const moved = await api(sim, `${LIST}/${other.certificate_id}/renew`, {
      body: { csr: await makeCsr(), enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr },
    });
    expect(moved.status).toBe(400);
    expect(moved.json.errors[0].field).toBe("enrollment_profile_id");
  });
});

describe("persistence of IoT state with dataDir", () => {
  it("serves the same IoT certificates, revocations and batch downloads after a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "iot-sim-persist-"));
    const started: Simulator[] = [];
    const start = async () => {
      const instance = await startSimulator({
        dataDir,
        seedCertificates: 2,
        seedIotCertificates: 6,
        batchStepMs: 10,
      });
      started.push(instance);
      return instance;
    };
    try {
      const first = await start();
      const issued = await enroll(first, {
        csr: await makeCsr(),
        enrollment_profile_id: IOT_PROFILE_IDS.deviceFlexible,
        device_attributes: [{ id: "DEVICE_IDENTIFIER", value: "PERSIST-1" }],
      });
      await api(first, `${LIST}/${issued.json.certificate_id}/revoke`, { method: "PUT", body: {} });
      const created = await uploadBatch(
        first,
        {
          enrollment_profile_id: IOT_PROFILE_IDS.deviceServerKeys,
          certificate_format: "pem",
          encryption_certificate: (await encryptionIdentity()).certificatePem,
        },
        [
          {
            name: "file",
            data: "subject.common_name,DEVICE_IDENTIFIER\np.example.com,P-1\n",
            fileName: "p.csv",
          },
        ],
      );
      await waitForJob(first, created.json.job_id, "COMPLETE");
      const pending = await uploadBatch(
        first,
        {
          enrollment_profile_id: IOT_PROFILE_IDS.factoryBatch,
          certificate_format: "json",
          key_generation: "client_side",
        },
        [
          {
            name: "file",
            data: `csr,DEVICE_IDENTIFIER,Site\n"${await makeCsr()}",F-1,P\n`,
            fileName: "f.csv",
          },
        ],
      );
      const before = await api(first, `${LIST}?limit=1000`);
      const download = await api(
        first,
        `/iot/api/v1/batch-enroll/${created.json.job_id}/download-certificates`,
      );
      await first.close();
      expect((await readdir(join(dataDir, "iot-batch"))).sort()).toEqual([`${created.json.job_id}.p7m`]);

      const second = await start();
      const after = await api(second, `${LIST}?limit=1000`);
      expect(after.json).toEqual(before.json);
      expect((await api(second, `${LIST}/${issued.json.certificate_id}`)).json.status).toBe("REVOKED");
      const again = await api(
        second,
        `/iot/api/v1/batch-enroll/${created.json.job_id}/download-certificates`,
      );
      expect(again.status).toBe(200);
      expect(again.text).toBe(download.text);
      expect((await api(second, `/iot/api/v1/batch-enroll/${pending.json.job_id}`)).json.status).toBe(
        "PENDING_APPROVAL",
      );
      expect(
        (await api(second, `/iot/api/v1/batch-enroll/${pending.json.job_id}/approve`, { method: "PUT" }))
          .status,
      ).toBe(204);
      expect((await waitForJob(second, pending.json.job_id, "COMPLETE")).success).toBe(1);
    } finally {
      await Promise.all(started.map((instance) => instance.close()));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
