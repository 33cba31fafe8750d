import * as x509 from "@peculiar/x509";
import { strToU8, unzipSync, zipSync } from "fflate";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_API_KEY,
  IOT_DEVICE_FIELD_IDS,
  IOT_PROFILE_IDS,
  RESTRICTED_API_KEY,
  type Simulator,
  startSimulator,
} from "../../simulator/index.js";
import { api, makeCsr } from "./helpers.js";
import {
  download,
  encryptionIdentity,
  expectKeyMatchesCertificate,
  pemBlocks,
  smimeDecrypt,
  uploadBatch,
  waitForJob,
  withTempDir,
} from "./iot-helpers.js";

const STEP_MS = 60;
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    seedCertificates: 2,
    seedIotCertificates: 0,
    batchStepMs: STEP_MS,
    batchLimits: { maxUploadBytes: 64 * 1024, maxZipEntries: 5, maxInflatedBytes: 256 * 1024, maxRows: 6 },
  });
  void encryptionIdentity();
});

afterEach(() => {
  sim.clearFaults();
});

afterAll(async () => {
  await sim.close();
});

/** A CSV cell, quoted so PEM line breaks survive. */
function cell(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

async function clientCsv(rows: number, badRow?: number): Promise<string> {
  const lines = ["csr,subject.common_name,DEVICE_IDENTIFIER"];
  for (let i = 0; i < rows; i++) {
    const csr = i === badRow ? "not a csr" : await makeCsr({ subject: `CN=ignored-${i}` });
    lines.push([cell(csr), `meter-${i}.example.com`, `METER-${i}`].join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

function csvFile(data: string | Uint8Array, fileName = "devices.csv") {
  return { name: "file", data, fileName };
}

async function completedJob(fields: Record<string, string>, file: ReturnType<typeof csvFile>) {
  const created = await uploadBatch(sim, fields, [file]);
  expect(created.status, created.text).toBe(201);
  return waitForJob(sim, created.json.job_id, "COMPLETE");
}

describe("creating a client-side batch job", () => {
  it("runs APPROVED -> IN_PROGRESS -> COMPLETE and downloads the documented JSON shape", async () => {
    const created = await uploadBatch(
      sim,
      { enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr, certificate_format: "json" },
      [csvFile(await clientCsv(2))],
    );
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "APPROVED",
      key_generation: "client_side",
      certificate_format: "json",
      file_name: "devices.csv",
      total: 2,
      success: 0,
      failed: 0,
    });
    const jobId = created.json.job_id as string;
    await waitForJob(sim, jobId, "IN_PROGRESS");
    const early = await api(sim, `/iot/api/v1/batch-enroll/${jobId}/download-certificates`);
    expect(early.status).toBe(400);
    const done = await waitForJob(sim, jobId, "COMPLETE");
    expect(done).toMatchObject({ total: 2, success: 2, failed: 0, errors: [] });
    expect(Date.parse(done.completed_at) - Date.parse(done.started_at)).toBeGreaterThanOrEqual(0);

    const result = await api(sim, `/iot/api/v1/batch-enroll/${jobId}/download-certificates`);
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toBe("application/json");
    expect(Object.keys(result.json).sort()).toEqual(["certificates", "chain", "job_id"]);
    expect(result.json.job_id).toBe(jobId);
    expect(result.json.chain.map((entry: any) => Object.keys(entry).sort())).toEqual([
      ["blob", "cert_type", "common_name"],
      ["blob", "cert_type", "common_name"],
    ]);
    expect(result.json.chain.map((entry: any) => entry.cert_type)).toEqual(["intermediate", "root"]);
    expect(result.json.certificates).toHaveLength(2);
    const [first, second] = result.json.certificates;
    expect(Object.keys(first).sort()).toEqual(["body", "id", "unique_identifier"]);
    expect([first.unique_identifier, second.unique_identifier]).toEqual(["Line #0000001", "Line #0000002"]);

    // The chain is in order: the leaf is signed by chain[0], chain[0] by chain[1], chain[1] by itself.
    const chain = result.json.chain.map(
      (entry: any) => new x509.X509Certificate(Buffer.from(entry.blob, "base64")),
    );
    const leaf = new x509.X509Certificate(first.body);
    expect(leaf.subjectName.getField("CN")).toEqual(["meter-0.example.com"]);
    expect(await leaf.verify({ publicKey: chain[0].publicKey, signatureOnly: true })).toBe(true);
    expect(await chain[0].verify({ publicKey: chain[1].publicKey, signatureOnly: true })).toBe(true);
    expect(await chain[1].verify({ signatureOnly: true })).toBe(true);
    expect(chain[0].subjectName.getField("CN")).toEqual([result.json.chain[0].common_name]);

    const stored = await api(sim, `/iot/api/v1/certificate/${first.id}`);
    expect(stored.json).toMatchObject({
      enrollment_method: "BATCH",
      batch_job_id: jobId,
      device_identifier: "METER-0",
      serial_number: leaf.serialNumber.toUpperCase(),
    });
  });

  it("counts a bad row as failed, names its line, and still issues the others", async () => {
    const done = await completedJob(
      { enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr, certificate_format: "json" },
      csvFile(await clientCsv(3, 1)),
    );
    expect(done).toMatchObject({ total: 3, success: 2, failed: 1 });
    expect(done.errors).toEqual([
      { unique_identifier: "Line #0000002", message: expect.stringContaining("csr") },
    ]);
    const result = await api(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    expect(result.json.certificates.map((entry: any) => entry.unique_identifier)).toEqual([
      "Line #0000001",
      "Line #0000003",
    ]);
  });

  it("ends FAILED when no row can be issued", async () => {
    const created = await uploadBatch(
      sim,
      { enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr, certificate_format: "pem" },
      [csvFile(`csr,DEVICE_IDENTIFIER\n"bad",D-1\n`)],
    );
    const failed = await waitForJob(sim, created.json.job_id, "FAILED");
    expect(failed).toMatchObject({ success: 0, failed: 1, error: expect.any(String) });
    expect(
      (await api(sim, `/iot/api/v1/batch-enroll/${created.json.job_id}/download-certificates`)).status,
    ).toBe(400);
  });

  it("takes a ZIP of CSR files and downloads a ZIP of PEM certificates with the chain", async () => {
    const zip = zipSync({
      "devices/meter-a.csr": strToU8(await makeCsr({ subject: "CN=meter-a.example.com" })),
      "devices/meter-b.pem": strToU8(await makeCsr({ subject: "CN=meter-b.example.com", key: "p384" })),
      "__MACOSX/._meter-a.csr": strToU8("resource fork"),
    });
    const done = await completedJob(
      {
        enrollment_profile_id: IOT_PROFILE_IDS.deviceFlexible,
        certificate_format: "pem",
        key_generation: "client_side",
      },
      csvFile(zip, "csrs.zip"),
    );
    expect(done).toMatchObject({ total: 2, success: 1, failed: 1 });
    expect(done.errors[0]).toMatchObject({
      unique_identifier: "devices/meter-b.pem",
      message: expect.stringContaining("p_384"),
    });
    const result = await download(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toBe("application/zip");
    expect(result.headers["content-disposition"]).toBe(`attachment; filename="${done.job_id}.zip"`);
    const files = unzipSync(new Uint8Array(result.body));
    const names = Object.keys(files).sort();
    expect(names).toHaveLength(4);
    expect(names).toEqual(
      expect.arrayContaining(["manifest.csv", "chain/intermediate.pem", "chain/root.pem"]),
    );
    const certificateName = names.find((name) => name.startsWith("certificates/"))!;
    const leaf = new x509.X509Certificate(Buffer.from(files[certificateName]!).toString());
    expect(leaf.subjectName.getField("CN")).toEqual(["meter-a.example.com"]);
    expect(Buffer.from(files["manifest.csv"]!).toString()).toContain(`"devices/meter-a.csr",`);
    const stored = await api(sim, `/iot/api/v1/certificate/${leaf.serialNumber}`);
    expect(stored.json.device_identifier).toBe("meter-a");
  });

  it("downloads DER certificates for certificate_format der", async () => {
    const done = await completedJob(
      {
        enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr,
        certificate_format: "der",
        include_full_chain_with_each_certificate: "true",
      },
      csvFile(await clientCsv(1)),
    );
    const result = await download(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    const files = unzipSync(new Uint8Array(result.body));
    const ders = Object.keys(files).filter((name) => name.endsWith(".der"));
    expect(ders).toHaveLength(3);
    for (const name of ders) expect(() => new x509.X509Certificate(files[name]!)).not.toThrow();
  });

  it("puts the whole chain in each JSON body with include_full_chain_with_each_certificate", async () => {
    const done = await completedJob(
      {
        enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr,
        certificate_format: "json",
        include_full_chain_with_each_certificate: "true",
      },
      csvFile(await clientCsv(1)),
    );
    const result = await api(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    expect(pemBlocks(result.json.certificates[0].body)).toHaveLength(3);
  });
});

describe("server-side batch jobs", () => {
  const rows = `subject.common_name,DEVICE_IDENTIFIER,Operator\nsrv-1.example.com,SRV-1,ACME\nsrv-2.example.com,SRV-2,ACME\n`;

  it("returns each private key encrypted to the encryption certificate in the JSON download", async () => {
    const { certificatePem } = await encryptionIdentity();
    const done = await completedJob(
      {
        enrollment_profile_id: IOT_PROFILE_IDS.deviceServerKeys,
        certificate_format: "json",
        encryption_certificate: certificatePem,
        key_type: "p_256",
      },
      csvFile(rows),
    );
    expect(done).toMatchObject({ key_generation: "server_side", key_type: "p_256", success: 2 });
    const result = await api(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    expect(result.json.certificates).toHaveLength(2);
    const [first] = result.json.certificates;
    expect(Object.keys(first).sort()).toEqual(["body", "id", "private_key", "unique_identifier"]);
    await withTempDir(async (dir) => {
      const key = (await smimeDecrypt(dir, Buffer.from(first.private_key, "base64"))).toString();
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(await expectKeyMatchesCertificate(dir, first.body, key)).toBe(true);
    });
  });

  it("answers application/pkcs7-mime for PEM, which openssl smime decrypts to a ZIP of certificates and keys", async () => {
    const { certificatePem } = await encryptionIdentity();
    const done = await completedJob(
      {
        enrollment_profile_id: IOT_PROFILE_IDS.deviceFlexible,
        certificate_format: "pem",
        key_generation: "server_side",
        key_type: "ed_25519",
        encryption_certificate: certificatePem,
      },
      csvFile(rows.replace(",Operator", "").replaceAll(",ACME", "")),
    );
    const result = await download(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toBe("application/pkcs7-mime");
    await withTempDir(async (dir) => {
      const files = unzipSync(new Uint8Array(await smimeDecrypt(dir, result.body)));
      const keys = Object.keys(files)
        .filter((name) => name.startsWith("private_keys/"))
        .sort();
      const certificates = Object.keys(files)
        .filter((name) => name.startsWith("certificates/"))
        .sort();
      expect(keys).toHaveLength(2);
      expect(certificates).toHaveLength(2);
      for (const [index, name] of certificates.entries()) {
        const serial = name.slice("certificates/".length, -".pem".length);
        expect(keys[index]).toBe(`private_keys/${serial}.key`);
        const text = (file: string) => Buffer.from(files[file]!).toString();
        expect(await expectKeyMatchesCertificate(dir, text(name), text(keys[index]!))).toBe(true);
      }
    });
  });

  it("accepts the encryption certificate as a file part and DER keys", async () => {
    const { certificatePem } = await encryptionIdentity();
    const created = await uploadBatch(
      sim,
      {
        enrollment_profile_id: IOT_PROFILE_IDS.deviceServerKeys,
        certificate_format: "der",
        private_key_format: "der",
      },
      [csvFile(rows), { name: "encryption_certificate", data: certificatePem, fileName: "recipient.pem" }],
    );
    expect(created.status, created.text).toBe(201);
    const done = await waitForJob(sim, created.json.job_id, "COMPLETE");
    const result = await download(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    await withTempDir(async (dir) => {
      const files = unzipSync(new Uint8Array(await smimeDecrypt(dir, result.body)));
      const keyName = Object.keys(files).find((name) => name.startsWith("private_keys/"))!;
      const serial = keyName.slice("private_keys/".length, -".der".length);
      const certificate = new x509.X509Certificate(files[`certificates/${serial}.der`]!);
      expect(
        await expectKeyMatchesCertificate(dir, certificate.toString("pem"), files[keyName]!, "DER"),
      ).toBe(true);
    });
  });
});

describe("batch approval", () => {
  const factoryCsv = () =>
    `subject.common_name,DEVICE_IDENTIFIER,${IOT_DEVICE_FIELD_IDS.site}\nboard-1.example.com,BOARD-1,Plant 9\n`;

  it("waits in PENDING_APPROVAL until approved, then runs to COMPLETE", async () => {
    const { certificatePem } = await encryptionIdentity();
    const created = await uploadBatch(
      sim,
      {
        enrollment_profile_id: IOT_PROFILE_IDS.factoryBatch,
        certificate_format: "json",
        key_generation: "server_side",
        encryption_certificate: certificatePem,
      },
      [csvFile(factoryCsv())],
    );
    expect(created.json.status).toBe("PENDING_APPROVAL");
    const jobId = created.json.job_id as string;
    await new Promise((resolve) => setTimeout(resolve, STEP_MS * 3));
    expect((await api(sim, `/iot/api/v1/batch-enroll/${jobId}`)).json.status).toBe("PENDING_APPROVAL");
    const approved = await api(sim, `/iot/api/v1/batch-enroll/${jobId}/approve`, { method: "PUT" });
    expect(approved.status).toBe(204);
    expect(approved.text).toBe("");
    const job = await api(sim, `/iot/api/v1/batch-enroll/${jobId}`);
    expect(job.json).toMatchObject({ status: "APPROVED", approved_at: expect.any(String) });
    const done = await waitForJob(sim, jobId, "COMPLETE");
    expect(done.success).toBe(1);
    const again = await api(sim, `/iot/api/v1/batch-enroll/${jobId}/approve`, { method: "PUT" });
    expect(again.status).toBe(400);
    expect(again.json.errors[0].code).toBe("invalid_request");
  });

  it("ends REJECTED after reject and issues nothing", async () => {
    const created = await uploadBatch(
      sim,
      {
        enrollment_profile_id: IOT_PROFILE_IDS.factoryBatch,
        certificate_format: "json",
        key_generation: "client_side",
      },
      [
        csvFile(
          `csr,subject.common_name,DEVICE_IDENTIFIER,Site\n${cell(await makeCsr())},b.example.com,B-1,P1\n`,
        ),
      ],
    );
    expect(created.json.status).toBe("PENDING_APPROVAL");
    const rejected = await api(sim, `/iot/api/v1/batch-enroll/${created.json.job_id}/reject`, {
      method: "PUT",
    });
    expect(rejected.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, STEP_MS * 2));
    const job = await api(sim, `/iot/api/v1/batch-enroll/${created.json.job_id}`);
    expect(job.json).toMatchObject({ status: "REJECTED", success: 0, rejected_at: expect.any(String) });
    const listed = await api(sim, `/iot/api/v1/certificate?batch_job_id=${created.json.job_id}`);
    expect(listed.json.total).toBe(0);
  });
});

describe("batch validation and limits", () => {
  const profile = IOT_PROFILE_IDS.deviceCsr;

  it.each([
    ["certificate_format is missing", { enrollment_profile_id: profile }, "certificate_format"],
    [
      "certificate_format is smpb",
      { enrollment_profile_id: profile, certificate_format: "smpb" },
      "certificate_format",
    ],
    ["enrollment_profile_id is missing", { certificate_format: "json" }, "enrollment_profile_id"],
    [
      "the profile does not allow BATCH",
      { enrollment_profile_id: IOT_PROFILE_IDS.gatewayFixedKey, certificate_format: "json" },
      "enrollment_profile_id",
    ],
    [
      "key_generation is missing on a client_or_server_side profile",
      { enrollment_profile_id: IOT_PROFILE_IDS.deviceFlexible, certificate_format: "json" },
      "key_generation",
    ],
    [
      "server_side is asked of a client-side profile",
      { enrollment_profile_id: profile, certificate_format: "json", key_generation: "server_side" },
      "key_generation",
    ],
    [
      "a server-side job has no encryption certificate",
      { enrollment_profile_id: IOT_PROFILE_IDS.deviceServerKeys, certificate_format: "json" },
      "encryption_certificate",
    ],
  ])("answers 400 naming the field when %s", async (_, fields, field) => {
    const result = await uploadBatch(sim, fields as Record<string, string>, [csvFile(await clientCsv(1))]);
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field });
  });

  it.each([
    ["has no csr column for client-side keys", "subject.common_name,DEVICE_IDENTIFIER\na.example.com,A\n"],
    ["names a column the profile does not have", "csr,subject.locality\nx,Lehi\n"],
    ["has a header and no rows", "csr,DEVICE_IDENTIFIER\n"],
    ["is not valid CSV", 'csr,DEVICE_IDENTIFIER\n"unterminated,A\n'],
  ])("answers 400 on file when the CSV %s", async (_, csv) => {
    const result = await uploadBatch(sim, { enrollment_profile_id: profile, certificate_format: "json" }, [
      csvFile(csv),
    ]);
    expect(result.status).toBe(400);
    expect(result.json.errors[0].field).toBe("file");
  });

  it("answers 400 when the file part is missing or the request is not multipart", async () => {
    const missing = await uploadBatch(
      sim,
      { enrollment_profile_id: profile, certificate_format: "json" },
      [],
    );
    expect(missing.status).toBe(400);
    expect(missing.json.errors[0].field).toBe("file");
    const json = await api(sim, "/iot/api/v1/batch-enroll", { body: { enrollment_profile_id: profile } });
    expect(json.status).toBe(400);
    expect(json.json.errors[0].code).toBe("invalid_request");
  });

  it("answers 413 for a file over maxUploadBytes and closes the connection", async () => {
    const result = await uploadBatch(sim, { enrollment_profile_id: profile, certificate_format: "json" }, [
      csvFile("x".repeat(70 * 1024)),
    ]);
    expect(result.status).toBe(413);
    expect(result.json.errors[0]).toMatchObject({ code: "request_too_large", field: "file" });
    expect(result.headers.connection).toBe("close");
    const declared = await uploadBatch(sim, { enrollment_profile_id: profile, certificate_format: "json" }, [
      csvFile("x".repeat(2 * 1024 * 1024)),
    ]);
    expect(declared.status).toBe(413);
  });

  it("answers 413 for more rows than maxRows, more ZIP entries than maxZipEntries, or a ZIP that inflates too far", async () => {
    const rows = await uploadBatch(sim, { enrollment_profile_id: profile, certificate_format: "json" }, [
      csvFile(`csr,DEVICE_IDENTIFIER\n${Array.from({ length: 7 }, (_, i) => `x,D-${i}`).join("\n")}\n`),
    ]);
    expect(rows.status).toBe(413);
    const entries = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`d${i}.csr`, strToU8("x")]));
    const many = await uploadBatch(sim, { enrollment_profile_id: profile, certificate_format: "json" }, [
      csvFile(zipSync(entries), "many.zip"),
    ]);
    expect(many.status).toBe(413);
    const bomb = zipSync({ "big.csv": new Uint8Array(4 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const inflated = await uploadBatch(sim, { enrollment_profile_id: profile, certificate_format: "json" }, [
      csvFile(bomb, "bomb.zip"),
    ]);
    expect(inflated.status).toBe(413);
    expect(inflated.json.errors[0].message).toContain("inflate");
  });

  it.each([
    ["an entry climbs out with ..", { "../evil.csr": strToU8("x") }],
    ["an entry has an absolute path", { "/etc/evil.csr": strToU8("x") }],
    ["an entry is not a CSR", { "a.csr": strToU8("x"), "notes.txt": strToU8("hello") }],
    ["CSR files come with a CSV", { "a.csr": strToU8("x"), "rows.csv": strToU8("csr\nx\n") }],
  ])("answers 400 on file when %s", async (_, entries) => {
    const result = await uploadBatch(sim, { enrollment_profile_id: profile, certificate_format: "json" }, [
      csvFile(zipSync(entries), "csrs.zip"),
    ]);
    expect(result.status).toBe(400);
    expect(result.json.errors[0].field).toBe("file");
  });

  it("answers 404 for an unknown job, 400 for a malformed id and 403 for the restricted key", async () => {
    const unknown = await api(sim, "/iot/api/v1/batch-enroll/00000000-0000-4000-8000-000000000000");
    expect(unknown.status).toBe(404);
    expect((await api(sim, "/iot/api/v1/batch-enroll/not-a-job/approve", { method: "PUT" })).status).toBe(
      400,
    );
    const done = await completedJob(
      { enrollment_profile_id: profile, certificate_format: "json" },
      csvFile(await clientCsv(1)),
    );
    const restricted = await api(sim, `/iot/api/v1/batch-enroll/${done.job_id}`, {
      apiKey: RESTRICTED_API_KEY,
    });
    expect(restricted.status).toBe(403);
    const create = await uploadBatch(
      sim,
      { enrollment_profile_id: profile, certificate_format: "json" },
      [csvFile(await clientCsv(1))],
      RESTRICTED_API_KEY,
    );
    expect(create.status).toBe(403);
  });
});

describe("batch routes and the test knobs", () => {
  it("counts batch routes by key and applies faults to them, also before a multipart body is read", async () => {
    sim.resetCounters();
    sim.injectFault({ route: "POST /iot/api/v1/batch-enroll", kind: "status", status: 503, times: 1 });
    const faulted = await uploadBatch(
      sim,
      { enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr, certificate_format: "json" },
      [csvFile(await clientCsv(1))],
    );
    expect(faulted.status).toBe(503);
    expect(faulted.headers["retry-after"]).toBe("1");
    const done = await completedJob(
      { enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr, certificate_format: "pem" },
      csvFile(await clientCsv(1)),
    );
    sim.injectFault({
      route: "GET /iot/api/v1/batch-enroll/:job_id/download-certificates",
      kind: "slow-body",
      delayMs: 50,
      times: 1,
    });
    const started = performance.now();
    const slow = await download(sim, `/iot/api/v1/batch-enroll/${done.job_id}/download-certificates`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(Object.keys(unzipSync(new Uint8Array(slow.body)))).toContain("manifest.csv");
    const counts = sim.requestCounts();
    expect(counts["POST /iot/api/v1/batch-enroll"]).toBe(2);
    expect(counts["GET /iot/api/v1/batch-enroll/:job_id"]).toBeGreaterThanOrEqual(1);
    expect(counts["GET /iot/api/v1/batch-enroll/:job_id/download-certificates"]).toBe(1);
  });

  it("drops the connection for a reset fault on the download route", async () => {
    sim.injectFault({
      route: "GET /iot/api/v1/batch-enroll/:job_id/download-certificates",
      kind: "reset",
      times: 1,
    });
    await expect(
      request(
        `${sim.url}/iot/api/v1/batch-enroll/00000000-0000-4000-8000-000000000000/download-certificates`,
        {
          headers: { "x-api-key": DEFAULT_API_KEY },
        },
      ),
    ).rejects.toThrow();
  });
});
