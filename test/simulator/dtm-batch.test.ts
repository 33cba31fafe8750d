import http from "node:http";
import { strToU8, zipSync } from "fflate";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DTM_IDS, RESTRICTED_API_KEY, type Simulator, startSimulator } from "../../simulator/index.js";
import { api, makeCsr } from "./helpers.js";
import { encryptionIdentity } from "./iot-helpers.js";
import {
  csv,
  dataFile,
  DTM_DEVICES,
  DTM_JOBS,
  parseReport,
  uploadDtmJob,
  waitForDtmJob,
} from "./dtm-helpers.js";

const STEP_MS = 60;
const P = DTM_IDS.certificatePolicies;
const G = DTM_IDS.deviceGroups;
const JOB_TYPE = { job_type: "device_registration" };
let sim: Simulator;
let counter = 0;

beforeAll(async () => {
  sim = await startSimulator({
    seedCertificates: 0,
    seedIotCertificates: 0,
    dtmJobStepMs: STEP_MS,
    dtmBatchLimits: {
      maxUploadBytes: 256 * 1024,
      maxZipEntries: 5,
      maxInflatedBytes: 512 * 1024,
      maxRows: 20,
    },
  });
  void encryptionIdentity();
});

afterEach(() => {
  sim.clearFaults();
  sim.setLatency(0);
});

afterAll(async () => {
  await sim.close();
});

function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** Field sensors with the client-side bootstrap policy: device_name, subject.common_name, csr. */
function clientFields(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...JOB_TYPE,
    name: unique("job"),
    device_group_id: G.fieldSensors,
    certificate_policy_id: P.bootstrapClient,
    server_side_key_gen: "false",
    ...extra,
  };
}

/**
 * A client-side CSV of `count` devices; `broken` maps a 1-based row number to a replacement for its cells (given the
 * names of the rows before it).
 */
async function clientCsv(
  count: number,
  broken: Record<number, (cells: string[], names: readonly string[]) => string[]> = {},
): Promise<{ csv: string; names: string[] }> {
  const names: string[] = [];
  const lines: string[][] = [["device_name", "subject.common_name", "csr"]];
  for (let row = 1; row <= count; row++) {
    const name = unique("sensor");
    names.push(name);
    const cells = [name, `${name}.example.com`, await makeCsr({ subject: `CN=${name}` })];
    lines.push(broken[row]?.(cells, names) ?? cells);
  }
  return { csv: csv(lines), names };
}

async function createJob(fields: Record<string, string>, data: string | Uint8Array, fileName?: string) {
  const created = await uploadDtmJob(sim, fields, [dataFile(data, fileName)]);
  expect(created.status, created.text).toBe(200);
  return created.json.id as string;
}

async function report(
  id: string,
  query = "",
): Promise<{ status: number; headers: any; text: string; json: any }> {
  return api(sim, `${DTM_JOBS}/${id}/download/report${query}`);
}

describe("a client-side batch job", () => {
  it("answers 200 with only the job id, then moves PENDING -> IN_PROGRESS -> COMPLETE with counts", async () => {
    const { csv: data, names } = await clientCsv(3);
    const created = await uploadDtmJob(sim, clientFields({ job_type: "" }), [dataFile(data)], {
      query: "?job_type=device_registration",
    });
    expect(created.status, created.text).toBe(200);
    expect(Object.keys(created.json)).toEqual(["id"]);
    const seen: string[] = [];
    const done = await waitForDtmJob(sim, created.json.id, "COMPLETE", seen);
    expect(seen).toEqual(["PENDING", "IN_PROGRESS", "COMPLETE"]);
    expect(done).toMatchObject({
      id: created.json.id,
      job_type: "device_registration",
      device_group: { id: G.fieldSensors, name: "Field sensors" },
      certificate_policy: { id: P.bootstrapClient },
      server_side_key_gen: false,
      approval_required: false,
      file_name: "devices.csv",
      total: 3,
      success: 3,
      failed: 0,
    });
    expect(done.started_at).toBeDefined();
    expect(done.completed_at).toBeDefined();
    const devices = await api(sim, `${DTM_DEVICES}?name=${names[1]}`);
    expect(devices.json.records[0]).toMatchObject({
      registration_method: "BATCH",
      batch_job_id: created.json.id,
      status: "REGISTERED",
      certificate_policies: { bootstrap: [{ key_type: "P_256", server_side_key_gen: false }] },
    });
  });

  it("reports every row by number: a bad CSR, a name used twice, a missing value and a ragged row fail, the rest register", async () => {
    const { csv: data, names } = await clientCsv(7, {
      2: ([name, cn]) => [
        name!,
        cn!,
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
      ],
      4: ([, cn, csr], before) => [before[0]!, cn!, csr!],
      5: ([name, , csr]) => [name!, "", csr!],
      6: ([name, cn]) => [name!, cn!],
    });
    const id = await createJob(clientFields(), data);
    const done = await waitForDtmJob(sim, id, "COMPLETE");
    expect(done).toMatchObject({ total: 7, success: 3, failed: 4 });

    const result = await report(id);
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(result.text.split("\r\n")[0]).toBe("row,device_name,status,device_id,error_code,error");
    const rows = parseReport(result.text);
    expect(rows.map((row) => [row.row, row.status])).toEqual([
      ["1", "SUCCESS"],
      ["2", "FAILED"],
      ["3", "SUCCESS"],
      ["4", "FAILED"],
      ["5", "FAILED"],
      ["6", "FAILED"],
      ["7", "SUCCESS"],
    ]);
    expect(rows[0]!.device_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows[1]).toMatchObject({ device_name: names[1], error_code: "invalid_request" });
    expect(rows[1]!.error).toContain("csr");
    expect(rows[3]).toMatchObject({ device_name: names[0], error_code: "03", device_id: "" });
    expect(rows[4]!.error).toContain("subject.common_name");
    expect(rows[5]!.error).toContain("cells");

    const json = await report(id, "?format=json");
    expect(json.headers["content-type"]).toBe("application/json");
    expect(json.json).toMatchObject({ job_id: id, status: "COMPLETE", total: 7, success: 3, failed: 4 });
    expect(json.json.rows[3]).toEqual({
      row: 4,
      device_name: names[0],
      status: "FAILED",
      error_code: "03",
      error: expect.stringContaining("already exists"),
    });
    const accepted = await api(sim, `${DTM_JOBS}/${id}/download/report`, {
      headers: { accept: "application/json" },
    });
    expect(accepted.json.rows).toHaveLength(7);
  });

  it("ends FAILED when no row registers, with a report naming each row", async () => {
    const { csv: data } = await clientCsv(2, { 1: ([n, c]) => [n!, c!, "x"], 2: ([n, c]) => [n!, c!, "y"] });
    const id = await createJob(clientFields(), data);
    const failed = await waitForDtmJob(sim, id, "FAILED");
    expect(failed).toMatchObject({ total: 2, success: 0, failed: 2, error: expect.any(String) });
    expect(parseReport((await report(id)).text).map((row) => row.status)).toEqual(["FAILED", "FAILED"]);
  });

  it("reads the docs' sample layout: every cell quoted, spaces after commas, a one-line PEM CSR", async () => {
    const name = unique("line");
    const pem = (await makeCsr({ key: "rsa2048" })).replaceAll("\n", "");
    const data =
      '"device_name", "device_description", "subject.common_name", "subject.organization_name", ' +
      '"subject.organization_unit", "csr"\n' +
      `"${name}", "This a description", "DigiCert", "IoT", "example-01.com", "${pem}"\n`;
    const id = await createJob(
      { ...clientFields(), device_group_id: G.factoryLine, key_type: "RSA_2048" },
      data,
    );
    await waitForDtmJob(sim, id, "COMPLETE");
    const device = (await api(sim, `${DTM_DEVICES}?name=${name}`)).json.records[0];
    expect(device.description).toBe("This a description");
    expect(device.certificate_policies.bootstrap[0]).toMatchObject({
      key_type: "RSA_2048",
      attributes: [
        { name: "subject.common_name", value: "DigiCert" },
        { name: "subject.organization_name", value: "IoT" },
        { name: "subject.organization_unit", value: "example-01.com" },
      ],
    });
  });

  it("fails a row whose CSR key differs from the job's key_type", async () => {
    const { csv: data } = await clientCsv(1);
    const id = await createJob(clientFields({ key_type: "RSA_2048" }), data);
    await waitForDtmJob(sim, id, "FAILED");
    expect(parseReport((await report(id)).text)[0]!.error).toContain("RSA_2048");
  });

  it("takes a ZIP holding one CSV, and a ZIP of CSR files named by file name, also on the docs' api-ui path", async () => {
    const { csv: data, names } = await clientCsv(2);
    const zipped = await uploadDtmJob(
      sim,
      clientFields(),
      [dataFile(zipSync({ "devices.csv": strToU8(data) }), "devices.zip")],
      {
        path: "/devicetrustmanager/certificate-batch-service/api-ui/v1/jobs",
      },
    );
    expect(zipped.status, zipped.text).toBe(200);
    await waitForDtmJob(sim, zipped.json.id, "COMPLETE");
    expect((await api(sim, `${DTM_DEVICES}?name=${names[1]}`)).json.total).toBe(1);

    const deviceName = unique("csrfile");
    const csrs = zipSync({
      [`batch/${deviceName}.csr`]: strToU8(await makeCsr({ subject: `CN=${deviceName}.example.com` })),
      "__MACOSX/._junk": strToU8("x"),
    });
    const id = await createJob(clientFields(), csrs, "csrs.zip");
    const done = await waitForDtmJob(sim, id, "COMPLETE");
    expect(done.total).toBe(1);
    const device = (await api(sim, `${DTM_DEVICES}?name=${deviceName}`)).json.records[0];
    expect(device.certificate_policies.bootstrap[0].attributes).toEqual([
      { name: "subject.common_name", value: `${deviceName}.example.com` },
    ]);
  });
});

describe("a server-side batch job", () => {
  it("needs no csr column, takes the encryption certificate as a file part, names devices by CN and uses the default key type", async () => {
    const { certificatePem } = await encryptionIdentity();
    const cn = unique("gateway");
    const data = csv([
      [
        "subject.common_name",
        "subject.organization_name",
        "subject.organization_unit",
        "san.dns_name",
        "san.dns_name",
      ],
      [cn, "DigiCert", "IoT", `${cn}.example.com`, `alt.${cn}.example.com`],
    ]);
    const created = await uploadDtmJob(
      sim,
      { ...JOB_TYPE, name: "server", device_group_id: G.gateways, server_side_key_gen: "TRUE" },
      [{ name: "encryption_certificate", data: certificatePem, fileName: "recipient.pem" }, dataFile(data)],
    );
    expect(created.status, created.text).toBe(200);
    const done = await waitForDtmJob(sim, created.json.id, "COMPLETE");
    expect(done).toMatchObject({
      server_side_key_gen: true,
      key_type: "P_256",
      certificate_policy: { id: P.bootstrapServer },
    });
    const device = (await api(sim, `${DTM_DEVICES}?name=${cn}`)).json.records[0];
    expect(device.certificate_policies.bootstrap[0].attributes).toContainEqual({
      name: "san.dns_name",
      value: `alt.${cn}.example.com`,
    });
  });

  it("answers 400 on data when a server-side CSV has a csr column", async () => {
    const { certificatePem } = await encryptionIdentity();
    const result = await uploadDtmJob(
      sim,
      {
        ...JOB_TYPE,
        name: "server",
        device_group_id: G.gateways,
        server_side_key_gen: "true",
        encryption_certificate: certificatePem,
      },
      [
        dataFile(
          csv([
            ["subject.common_name", "subject.organization_name", "csr"],
            ["a", "b", "c"],
          ]),
        ),
      ],
    );
    expect(result.status).toBe(400);
    expect(result.json.error.message).toMatch(/^data: .*csr/);
  });
});

describe("approval after processing", () => {
  async function approvalJob(count: number) {
    const { csv: base, names } = await clientCsv(count);
    const lines = base.trimEnd().split("\r\n");
    const data = [
      `${lines[0]},"subject.organization_name","subject.organization_unit"`,
      ...lines.slice(1).map((line) => `${line},"Example","Factory"`),
    ].join("\r\n");
    const id = await createJob(
      { ...clientFields(), device_group_id: G.factoryLine, certificate_policy_id: P.factoryApproval },
      data,
    );
    return { id, names };
  }

  it("processes first, waits in PENDING_APPROVAL with counts and a report, and registers the devices only when approved", async () => {
    const { id, names } = await approvalJob(2);
    const seen: string[] = [];
    const waiting = await waitForDtmJob(sim, id, "PENDING_APPROVAL", seen);
    expect(seen).toEqual(["PENDING", "IN_PROGRESS", "PENDING_APPROVAL"]);
    expect(waiting).toMatchObject({ approval_required: true, total: 2, success: 2, failed: 0 });
    expect(waiting.processed_at).toBeDefined();
    expect(parseReport((await report(id)).text).map((row) => [row.status, row.device_id])).toEqual([
      ["SUCCESS", ""],
      ["SUCCESS", ""],
    ]);
    expect((await api(sim, `${DTM_DEVICES}?name=${names[0]}`)).json.total).toBe(0);

    // A device registered meanwhile under the second name makes that row fail with "03" on approval.
    expect(
      (
        await api(sim, "/devicetrustmanager/api/v4/device/registration", {
          body: { name: names[1], device_group_id: G.factoryLine },
        })
      ).status,
    ).toBe(200);
    const approved = await api(sim, `${DTM_JOBS}/${id}/approve`, { method: "PUT" });
    expect(approved.status).toBe(204);
    const done = await api(sim, `${DTM_JOBS}/${id}`);
    expect(done.json).toMatchObject({ status: "COMPLETE", success: 1, failed: 1 });
    expect(done.json.approved_at).toBeDefined();
    const rows = parseReport((await report(id)).text);
    expect(rows[0]!.device_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows[1]).toMatchObject({ status: "FAILED", error_code: "03" });
    expect((await api(sim, `${DTM_DEVICES}?name=${names[0]}`)).json.records[0].batch_job_id).toBe(id);
    expect((await api(sim, `${DTM_JOBS}/${id}/approve`, { method: "PUT" })).status).toBe(400);
  });

  it("walks PENDING_REJECTION -> REJECTION_IN_PROGRESS -> REJECTED on reject and registers nothing", async () => {
    const { id, names } = await approvalJob(1);
    await waitForDtmJob(sim, id, "PENDING_APPROVAL");
    expect((await api(sim, `${DTM_JOBS}/${id}/reject`, { method: "PUT" })).status).toBe(204);
    const seen: string[] = [];
    const rejected = await waitForDtmJob(sim, id, "REJECTED", seen);
    expect(seen).toEqual(["PENDING_REJECTION", "REJECTION_IN_PROGRESS", "REJECTED"]);
    expect(rejected.rejected_at).toBeDefined();
    expect(parseReport((await report(id)).text)[0]!.status).toBe("REJECTED");
    expect((await api(sim, `${DTM_DEVICES}?name=${names[0]}`)).json.total).toBe(0);
  });

  it("answers 400 when a job without approval is approved or rejected", async () => {
    const { csv: data } = await clientCsv(1);
    const id = await createJob(clientFields(), data);
    const approve = await api(sim, `${DTM_JOBS}/${id}/approve`, { method: "PUT" });
    expect(approve.status).toBe(400);
    expect(approve.json.error.code).toBe("invalid_request");
    await waitForDtmJob(sim, id, "COMPLETE");
    expect((await api(sim, `${DTM_JOBS}/${id}/reject`, { method: "PUT" })).status).toBe(400);
  });
});

describe("job order and listing", () => {
  it("processes jobs one at a time in the order received", async () => {
    const first = await createJob(clientFields(), (await clientCsv(12)).csv);
    const second = await createJob(clientFields(), (await clientCsv(1)).csv);
    for (;;) {
      const later = (await api(sim, `${DTM_JOBS}/${second}`)).json.status;
      const earlier = (await api(sim, `${DTM_JOBS}/${first}`)).json.status;
      if (later !== "PENDING") expect(earlier).toBe("COMPLETE");
      if (later === "COMPLETE") break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });

  it("lists jobs newest first with paging and a status filter, and only the restricted key's group for it", async () => {
    const own = await createJob(clientFields(), (await clientCsv(1)).csv);
    await waitForDtmJob(sim, own, "COMPLETE");
    const page = await api(sim, `${DTM_JOBS}?limit=1`);
    expect(page.json).toMatchObject({ offset: 0, limit: 1 });
    expect(page.json.records[0].id).toBe(own);
    expect(page.json.total).toBeGreaterThan(1);
    const complete = await api(sim, `${DTM_JOBS}?status=complete,failed&limit=1000`);
    for (const job of complete.json.records) expect(["COMPLETE", "FAILED"]).toContain(job.status);
    expect((await api(sim, `${DTM_JOBS}?status=DONE`)).status).toBe(400);
    const restricted = await api(sim, `${DTM_JOBS}?limit=1000`, { apiKey: RESTRICTED_API_KEY });
    expect(restricted.json.records.length).toBeGreaterThan(0);
    for (const job of restricted.json.records) expect(job.device_group.id).toBe(G.fieldSensors);
    expect(restricted.json.total).toBeLessThan((await api(sim, `${DTM_JOBS}?limit=1`)).json.total);
  });
});

describe("checking an upload", () => {
  const csvData = () =>
    dataFile(
      csv([
        ["device_name", "subject.common_name", "csr"],
        ["a", "a", "x"],
      ]),
    );

  it.each([
    ["job_type is missing", { job_type: "" }, "job_type"],
    ["job_type is another job", { job_type: "import_certificates" }, "job_type"],
    ["name is missing", { name: "" }, "name"],
    ["device_group_id is missing", { device_group_id: "" }, "device_group_id"],
    [
      "device_group_id is unknown",
      { device_group_id: "00000000-0000-4000-8000-000000000000" },
      "device_group_id",
    ],
    [
      "certificate_policy_id is not the group's",
      { certificate_policy_id: P.bootstrapServer },
      "certificate_policy_id",
    ],
    ["certificate_policy_id lacks BATCH", { certificate_policy_id: P.apiOnly }, "certificate_policy_id"],
    ["certificate_policy_id is malformed", { certificate_policy_id: "policy" }, "certificate_policy_id"],
    ["server_side_key_gen is missing", { server_side_key_gen: "" }, "server_side_key_gen"],
    ["server_side_key_gen is not a boolean", { server_side_key_gen: "yes" }, "server_side_key_gen"],
    ["server_side_key_gen is not allowed", { server_side_key_gen: "true" }, "server_side_key_gen"],
    ["key_type is not the policy's", { key_type: "RSA_4096" }, "key_type"],
    ["key_type is lowercase IoT spelling of an unknown type", { key_type: "ed_448" }, "key_type"],
    [
      "encryption_certificate comes with client-side keys",
      { encryption_certificate: "x" },
      "encryption_certificate",
    ],
    ["emails has a bad address", { emails: "ops@example.com, nobody" }, "emails"],
    ["external_emails has a bad address", { external_emails: "@" }, "external_emails"],
    [
      "passcode_generation_option is not a boolean",
      { passcode_generation_option: "maybe" },
      "passcode_generation_option",
    ],
    [
      "passcode is missing when it is not generated",
      { external_emails: "partner@example.com", passcode_generation_option: "false" },
      "passcode",
    ],
    ["passcode is too short", { passcode: "123" }, "passcode"],
    ["data is a text field", { data: "device_name,csr" }, "data"],
  ])("answers 400 naming the field when %s", async (_, change, field) => {
    const fields = { ...clientFields(), ...change };
    const files = "data" in change ? [] : [csvData()];
    const result = await uploadDtmJob(sim, fields, files);
    expect(result.status, result.text).toBe(400);
    expect(result.json.error.code).toBe("invalid_request");
    expect(result.json.error.message).toContain(field);
    expect(result.text).not.toContain('123"');
  });

  it.each([
    ["the data part is missing", []],
    ["the file is not .csv or .zip", [dataFile("a,b\n", "devices.xlsx")]],
    ["a .zip file is not a ZIP", [dataFile("a,b\n", "devices.zip")]],
    ["the file is empty", [dataFile("")]],
  ])("answers 400 on data when %s", async (_, files) => {
    const result = await uploadDtmJob(sim, clientFields(), files);
    expect(result.status).toBe(400);
    expect(result.json.error.message).toContain("data");
  });

  it("answers 400 on encryption_certificate when server-side keys come without one or with a PGP key", async () => {
    const fields = { ...JOB_TYPE, name: "s", device_group_id: G.gateways, server_side_key_gen: "true" };
    const data = dataFile(
      csv([
        ["subject.common_name", "subject.organization_name"],
        ["a", "b"],
      ]),
    );
    const extras: Record<string, string>[] = [
      {},
      { encryption_certificate: "-----BEGIN PGP PUBLIC KEY BLOCK-----\nx\n" },
    ];
    for (const extra of extras) {
      const result = await uploadDtmJob(sim, { ...fields, ...extra }, [data]);
      expect(result.status).toBe(400);
      expect(result.json.error.message).toContain("encryption_certificate");
    }
  });

  it.each([
    [
      "the csr column is missing",
      [
        ["device_name", "subject.common_name"],
        ["a", "a"],
      ],
      "csr column",
    ],
    [
      "a required column is missing",
      [
        ["device_name", "csr"],
        ["a", "x"],
      ],
      "subject.common_name",
    ],
    [
      "a column is not in the template",
      [
        ["device_name", "subject.common_name", "csr", "colour"],
        ["a", "a", "x", "red"],
      ],
      "colour",
    ],
    [
      "a single-valued column repeats",
      [
        ["device_name", "device_name", "subject.common_name", "csr"],
        ["a", "b", "a", "x"],
      ],
      "twice",
    ],
    ["there are no data rows", [["device_name", "subject.common_name", "csr"]], "no data rows"],
  ])("answers 400 on data when %s", async (_, lines, text) => {
    const result = await uploadDtmJob(sim, clientFields(), [dataFile(csv(lines))]);
    expect(result.status).toBe(400);
    expect(result.json.error.message).toMatch(/^data: /);
    expect(result.json.error.message).toContain(text);
  });

  it("answers 400 for a CSV that cannot be parsed, naming the line", async () => {
    const result = await uploadDtmJob(sim, clientFields(), [
      dataFile('device_name,subject.common_name,csr\n"a,b,c\n'),
    ]);
    expect(result.status).toBe(400);
    expect(result.json.error.message).toContain("line");
  });

  it("refuses unsafe ZIPs: 400 for an entry climbing out with .., 413 for too many entries or a ZIP bomb", async () => {
    const escape = await uploadDtmJob(sim, clientFields(), [
      dataFile(zipSync({ "../evil.csr": strToU8("x") }), "a.zip"),
    ]);
    expect(escape.status).toBe(400);
    expect(escape.json.error.message).toContain("data");
    const entries = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`d${i}.csr`, strToU8("x")]));
    const many = await uploadDtmJob(sim, clientFields(), [dataFile(zipSync(entries), "many.zip")]);
    expect(many.status).toBe(413);
    const bomb = zipSync({ "big.csv": new Uint8Array(4 * 1024 * 1024) }, { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const inflated = await uploadDtmJob(sim, clientFields(), [dataFile(bomb, "bomb.zip")]);
    expect(inflated.status).toBe(413);
    expect(inflated.json.error.message).toContain("inflate");
    const csrsForServer = await uploadDtmJob(
      sim,
      {
        ...JOB_TYPE,
        name: "s",
        device_group_id: G.gateways,
        server_side_key_gen: "true",
        encryption_certificate: (await encryptionIdentity()).certificatePem,
      },
      [dataFile(zipSync({ "a.csr": strToU8("x") }), "a.zip")],
    );
    expect(csrsForServer.status).toBe(400);
  });

  it("answers 413 for more rows than maxRows", async () => {
    const lines = [
      ["device_name", "subject.common_name", "csr"],
      ...Array.from({ length: 21 }, (_, i) => [`d${i}`, "a", "x"]),
    ];
    const result = await uploadDtmJob(sim, clientFields(), [dataFile(csv(lines))]);
    expect(result.status).toBe(413);
    expect(result.json.error).toMatchObject({
      code: "request_too_large",
      message: expect.stringContaining("rows"),
    });
  });

  it("answers 413 as soon as the data passes the cap, without reading the rest, and closes the connection", async () => {
    const small = await startSimulator({
      seedCertificates: 0,
      seedIotCertificates: 0,
      dtmBatchLimits: { maxUploadBytes: 4096 },
    });
    try {
      const boundary = "----dtm-test-boundary";
      const url = new URL(`${small.url}${DTM_JOBS}`);
      const outcome = await new Promise<{ status: number; connection: string; body: string; sent: number }>(
        (resolve, reject) => {
          let sent = 0;
          let answered = false;
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
          // The client's own writes fail once the server closes; only fail the test if no answer came at all.
          req.on("error", (error) => {
            setTimeout(() => {
              if (!answered) reject(error);
            }, 2000);
          });
          req.on("response", (response) => {
            answered = true;
            let body = "";
            response.on("data", (chunk: Buffer) => (body += chunk.toString()));
            response.on("end", () =>
              resolve({
                status: response.statusCode ?? 0,
                connection: String(response.headers.connection),
                body,
                sent,
              }),
            );
            response.on("error", reject);
          });
          req.write(
            `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="big.csv"\r\n` +
              "Content-Type: text/csv\r\n\r\n",
          );
          const chunk = `${"x".repeat(1023)}\n`;
          const pump = (): void => {
            if (answered || sent >= 64 * 1024 * 1024) return;
            sent += chunk.length;
            if (req.write(chunk)) setImmediate(pump);
            else req.once("drain", pump);
          };
          pump();
        },
      );
      expect(outcome.status).toBe(413);
      expect(outcome.connection).toBe("close");
      expect(JSON.parse(outcome.body).error).toMatchObject({ code: "request_too_large" });
      // The client was still sending when the answer came: far less than the 64 MiB it would have sent.
      expect(outcome.sent).toBeLessThan(8 * 1024 * 1024);
      expect((await api(small, `${DTM_JOBS}?limit=1`)).json.total).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe("reading jobs", () => {
  it("answers 404 for an unknown job, 400 for a malformed id, 403 for the restricted key, 400 for an early report", async () => {
    expect((await api(sim, `${DTM_JOBS}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await api(sim, `${DTM_JOBS}/not-a-job`)).status).toBe(400);
    const { csv: data } = await clientCsv(1);
    const id = await createJob({ ...clientFields(), device_group_id: G.factoryLine }, data);
    const early = await report(id);
    expect(early.status).toBe(400);
    expect(early.json.error.message).toContain("PENDING");
    expect((await api(sim, `${DTM_JOBS}/${id}`, { apiKey: RESTRICTED_API_KEY })).status).toBe(403);
    const forbidden = await uploadDtmJob(
      sim,
      { ...clientFields(), device_group_id: G.factoryLine },
      [dataFile(data)],
      {
        apiKey: RESTRICTED_API_KEY,
      },
    );
    expect(forbidden.status).toBe(403);
    await waitForDtmJob(sim, id, "COMPLETE");
    expect((await report(id, "?format=xml")).status).toBe(400);
  });

  it("shows the job's emails and passcode option but never the passcode", async () => {
    const { csv: data } = await clientCsv(1);
    const id = await createJob(
      clientFields({
        emails: "ops@example.com; iot@example.com",
        external_emails: "partner@example.com",
        passcode_generation_option: "false",
        passcode: "s3cret-Passcode",
      }),
      data,
    );
    const job = await api(sim, `${DTM_JOBS}/${id}`);
    expect(job.json).toMatchObject({
      emails: ["ops@example.com", "iot@example.com"],
      external_emails: ["partner@example.com"],
      passcode_generation_option: false,
    });
    expect(job.text).not.toContain("s3cret");
    await waitForDtmJob(sim, id, "COMPLETE");
  });
});

describe("counters, faults and latency on DTM routes", () => {
  it("counts each route by its key and applies faults and latency to it", async () => {
    const { csv: data } = await clientCsv(1);
    sim.resetCounters();
    const id = await createJob(clientFields(), data);
    await api(sim, `${DTM_JOBS}/${id}`);
    await api(sim, `${DTM_DEVICES}?limit=1`);
    expect(sim.requestCount(`POST ${DTM_JOBS}`)).toBe(1);
    expect(sim.requestCount(`GET ${DTM_JOBS}/:id`)).toBe(1);
    expect(sim.requestCount(`GET ${DTM_DEVICES}`)).toBe(1);
    await waitForDtmJob(sim, id, "COMPLETE");

    sim.injectFault({ route: `GET ${DTM_JOBS}/:id/download/report`, kind: "status", status: 500, times: 1 });
    const faulted = await report(id);
    expect(faulted.status).toBe(500);
    expect(faulted.json).toEqual({ error: { code: "internal_error", message: "Internal server error" } });
    expect((await report(id)).status).toBe(200);
    expect(sim.requestCount(`GET ${DTM_JOBS}/:id/download/report`)).toBe(2);

    sim.injectFault({ route: `GET ${DTM_JOBS}/:id/download/report`, kind: "reset", times: 1 });
    await expect(report(id)).rejects.toThrow();

    sim.setLatency(120);
    const started = performance.now();
    expect((await api(sim, `${DTM_JOBS}/template?certificate_policy_id=${P.bootstrapClient}`)).status).toBe(
      200,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});
