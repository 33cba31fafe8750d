import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Zip, ZipDeflate, zipSync } from "fflate";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { DTM_IDS } from "../../simulator/index.js";
import {
  configureCsrChecks,
  csrWorkerThreads,
  csrWorkerVerdicts,
  defaultCsrCheckSettings,
} from "../../src/batch-file/check.js";
import { generateCsr, rsaCertificate, tamperedCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

/*
 * Device Trust Manager batch registration through GraphQL, as a frontend would use it: find the group and policy,
 * read the CSV template, upload a file (GraphQL multipart, streamed), watch the job live over graphql-ws and SSE,
 * read its report. Bad files are refused with typed errors and nothing is created upstream.
 */

const G = DTM_IDS.deviceGroups;
const P = DTM_IDS.certificatePolicies;
const JOBS = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
const CREATE_ROUTE = `POST ${JOBS}`;
const POLL_ROUTE = `GET ${JOBS}/:id`;
const STEP_MS = 300;

let stack: Stack;
let token: string;
let uploadDir: string;

beforeAll(async () => {
  uploadDir = await mkdtemp(join(tmpdir(), "dtm-batch-test-"));
  stack = await startStack({
    simulator: { dtmJobStepMs: STEP_MS },
    uploadTmpDir: uploadDir,
    defences: { maxUploadBytes: 200 * 1024 * 1024, maxOperationsPerSocket: 200 },
  });
  token = await stack.token();
});
afterAll(async () => {
  await stack?.close();
  if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
});

const CREATE = `mutation($input: CreateDeviceRegistrationBatchInput!) {
  createDeviceRegistrationBatch(input: $input) {
    __typename
    ... on DeviceRegistrationBatchCreated { jobId job { id jobId kind status name totalCount } }
    ... on InvalidBatchFileError { code message field problems { row column entry message } }
    ... on ValidationError { code message field }
    ... on Error { code message }
  }
}`;

type Created = {
  __typename: string;
  jobId?: string;
  job?: { id: string; jobId: string; kind: string; status: string; name: string; totalCount: number | null };
  code?: string;
  message?: string;
  field?: string;
  problems?: { row: number | null; column: string | null; entry: string | null; message: string }[];
};

/** A GraphQL multipart request carrying `file` as variables.input.file. */
async function upload(
  input: Record<string, unknown>,
  file: string | Uint8Array | Blob,
  fileName = "devices.csv",
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  form.set("operations", JSON.stringify({ query: CREATE, variables: { input: { ...input, file: null } } }));
  form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
  const blob =
    file instanceof Blob ? file : new Blob([typeof file === "string" ? file : new Uint8Array(file)]);
  form.set("0", blob, fileName);
  const res = await fetch(stack.url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, accept: "application/graphql-response+json" },
    body: form,
  });
  return { status: res.status, body: await res.json() };
}

async function create(input: Record<string, unknown>, file: string | Uint8Array, fileName?: string) {
  const { body } = await upload(input, file, fileName);
  expect(body.errors).toBeUndefined();
  return body.data.createDeviceRegistrationBatch as Created;
}

/** A CSV cell, quoted so PEM line breaks survive. */
function cell(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** Client-side rows for the bootstrap policy: device_name, subject.common_name, csr (fresh key each). */
async function clientCsv(
  prefix: string,
  count: number,
  bad: Map<number, string> = new Map(),
): Promise<string> {
  const lines = ["device_name,subject.common_name,csr"];
  for (let row = 1; row <= count; row++) {
    const name = `${prefix}-${row}`;
    const csr = bad.get(row) ?? (await generateCsr({ subject: `CN=${name}.devices.example.com` })).pem;
    lines.push([name, `${name}.devices.example.com`, cell(csr)].join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

const JOB_FIELDS = `__typename id jobId kind status name totalCount successCount failedCount createdAt
  report { failureReason rowErrors { uniqueIdentifier message } }
  ... on DtmBatchJob {
    deviceGroupId certificatePolicyId approvalRequired serverSideKeyGeneration fileName
    registrations { row deviceName status deviceId errorCode errorMessage device { deviceId name status batchJobId } }
  }`;

async function readJob(id: string) {
  const res = await stack.gql<{ batchJob: any }>(`query($id: ID!) { batchJob(id: $id) { ${JOB_FIELDS} } }`, {
    id,
  });
  expect(res.errors).toBeUndefined();
  return res.data!.batchJob;
}

function wsClient() {
  return createClient({
    url: stack.url.href.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
}

const SUBSCRIPTION = `subscription($id: ID!) { batchJobStatusChanged(id: $id) {
  __typename id status totalCount successCount failedCount } }`;

/** What one event shows: the job's status and counts (an event comes when either changes). */
interface Snapshot {
  status: string;
  totalCount: number | null;
  successCount: number | null;
  failedCount: number | null;
}

function snapshotOf(job: Snapshot): Snapshot {
  const { status, totalCount, successCount, failedCount } = job;
  return { status, totalCount, successCount, failedCount };
}

/** The statuses in the order they were seen, each once per transition (counts may change within a status). */
function transitions(events: Snapshot[]): string[] {
  return events.map((e) => e.status).filter((status, i, all) => i === 0 || all[i - 1] !== status);
}

/** Every event a graphql-ws subscriber sees, until the subscription completes. */
function watchOverWebSocket(client: ReturnType<typeof createClient>, id: string): Promise<Snapshot[]> {
  return new Promise((resolve, reject) => {
    const seen: Snapshot[] = [];
    client.subscribe<{ batchJobStatusChanged: Snapshot }>(
      { query: SUBSCRIPTION, variables: { id } },
      {
        next: (value) => {
          if (value.errors) reject(new Error(JSON.stringify(value.errors)));
          else seen.push(snapshotOf(value.data!.batchJobStatusChanged));
        },
        error: reject,
        complete: () => resolve(seen),
      },
    );
  });
}

/** Every status an SSE subscriber (GraphQL over SSE, yoga's distinct connection mode) sees, until `complete`. */
async function watchOverSse(id: string): Promise<Snapshot[]> {
  const res = await fetch(stack.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: SUBSCRIPTION, variables: { id } }),
  });
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const statuses: Snapshot[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (event.startsWith("event: complete")) return statuses;
      const data = event.split("\n").find((line) => line.startsWith("data:"));
      if (data && data.length > 6) {
        const payload = JSON.parse(data.slice(5));
        if (payload.errors) throw new Error(JSON.stringify(payload.errors));
        statuses.push(snapshotOf(payload.data.batchJobStatusChanged));
      }
    }
  }
  return statuses;
}

async function jobsListed(): Promise<number> {
  const res = await stack.gql<any>(`{ batchJobs(first: 1) { totalCount } }`);
  expect(res.errors).toBeUndefined();
  return res.data.batchJobs.totalCount;
}

describe("discovering what a batch needs", () => {
  it("lists device groups with their policies, and serves a policy's CSV template", async () => {
    const res = await stack.gql<any>(`{
      deviceGroups { groupId name certificatePolicies { policyId name approvalRequired managementMethods } }
      certificatePolicy(id: "${P.bootstrapClient}") {
        name templateColumns { name required } csvTemplate
      }
    }`);
    expect(res.errors).toBeUndefined();
    const factory = res.data.deviceGroups.find((g: any) => g.groupId === G.factoryLine);
    expect(factory.certificatePolicies.map((p: any) => p.policyId)).toEqual(
      expect.arrayContaining([P.bootstrapClient, P.bootstrapServer, P.factoryApproval]),
    );
    const policy = res.data.certificatePolicy;
    expect(policy.templateColumns.filter((c: any) => c.required).map((c: any) => c.name)).toEqual(
      expect.arrayContaining(["device_name", "subject.common_name", "csr"]),
    );
    expect(policy.csvTemplate.split(/\r?\n/)[0]).toMatch(/"csr"$/);
  });
});

describe("client-side batch registration, watched live", () => {
  it("is uploaded, seen by a graphql-ws and an SSE subscriber at every transition, and its report read", async () => {
    const csv = await clientCsv("line-c", 5);
    const created = await create(
      { name: "Line C controllers", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient },
      csv,
    );
    expect(created.__typename).toBe("DeviceRegistrationBatchCreated");
    expect(created.job).toMatchObject({
      kind: "DTM_DEVICE_REGISTRATION",
      name: "Line C controllers",
      totalCount: 5,
    });
    const id = created.job!.id;

    const client = wsClient();
    const [overWs, overSse] = await Promise.all([watchOverWebSocket(client, id), watchOverSse(id)]);
    await client.dispose();
    for (const events of [overWs, overSse]) {
      expect(transitions(events)).toEqual(["PENDING", "IN_PROGRESS", "COMPLETE"]);
      // An event only when something changed: never the same status and counts twice in a row.
      events.slice(1).forEach((event, i) => expect(event).not.toEqual(events[i]));
    }

    const job = await readJob(id);
    expect(job).toMatchObject({
      __typename: "DtmBatchJob",
      status: "COMPLETE",
      totalCount: 5,
      successCount: 5,
      failedCount: 0,
      deviceGroupId: G.factoryLine,
      certificatePolicyId: P.bootstrapClient,
      serverSideKeyGeneration: false,
      fileName: "devices.csv",
    });
    expect(job.registrations.map((r: any) => [r.row, r.deviceName, r.status])).toEqual(
      [1, 2, 3, 4, 5].map((row) => [row, `line-c-${row}`, "SUCCESS"]),
    );
    for (const registration of job.registrations) {
      expect(registration.device).toMatchObject({
        deviceId: registration.deviceId,
        name: registration.deviceName,
        status: "REGISTERED",
        batchJobId: job.jobId,
      });
    }
    expect(job.report.rowErrors).toEqual([]);

    const devices = await stack.gql<any>(
      `query($g: ID!) { devices(first: 5, filter: { deviceGroupId: $g, name: "line-c-3" }) {
        totalCount edges { node { name deviceGroup { name } } } } }`,
      { g: G.factoryLine },
    );
    expect(devices.data.devices).toMatchObject({
      totalCount: 1,
      edges: [{ node: { name: "line-c-3", deviceGroup: { name: "Factory line A" } } }],
    });
  });

  it("reads the same job by DigiCert's bare job id, by node(id), and in batchJobs", async () => {
    const created = await create(
      { name: "Bare id", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient },
      await clientCsv("bare", 1),
    );
    const byBareId = await readJob(created.jobId!);
    expect(byBareId).toMatchObject({ __typename: "DtmBatchJob", id: created.job!.id });
    const node = await stack.gql<any>(`query($id: ID!) { node(id: $id) { ... on DtmBatchJob { jobId } } }`, {
      id: created.job!.id,
    });
    expect(node.data.node.jobId).toBe(created.jobId);
    const list = await stack.gql<any>(
      `query($g: ID!) { batchJobs(first: 50, filter: { deviceGroupId: $g }) { totalCount edges { node { jobId kind } } } }`,
      { g: G.factoryLine },
    );
    expect(list.data.batchJobs.edges.map((e: any) => e.node.jobId)).toContain(created.jobId);
  });
});

describe("file names", () => {
  it("are sent with the extension of what the file is, so DigiCert reads a CSV called devices.txt", async () => {
    const created = await create(
      { name: "Named txt", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient },
      await clientCsv("named-txt", 1),
      "devices.txt",
    );
    expect(created.__typename).toBe("DeviceRegistrationBatchCreated");
    expect((await readJob(created.job!.id)).fileName).toBe("devices.csv");
  });
});

describe("server-side batch registration", () => {
  it("needs an encryption certificate and no csr column, and runs to COMPLETE", async () => {
    const encryptionCertificate = await rsaCertificate();
    const rows = ["subject.common_name,subject.organization_name,device_name"];
    for (let i = 1; i <= 3; i++) rows.push(`srv-${i}.devices.example.com,Example Devices,srv-${i}`);
    const created = await create(
      {
        name: "Server-side keys",
        deviceGroupId: G.factoryLine,
        certificatePolicyId: P.bootstrapServer,
        serverSideKeyGeneration: { encryptionCertificate, keyType: "RSA_2048" },
      },
      `${rows.join("\n")}\n`,
    );
    expect(created.__typename).toBe("DeviceRegistrationBatchCreated");
    const statuses = transitions(await watchOverSse(created.job!.id));
    expect(statuses.at(-1)).toBe("COMPLETE");
    const job = await readJob(created.job!.id);
    expect(job).toMatchObject({ serverSideKeyGeneration: true, successCount: 3, failedCount: 0 });
    expect(job.registrations.map((r: any) => r.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS"]);
  });

  it("refuses a server-side batch without an encryption certificate before anything is sent", async () => {
    stack.simulator.resetCounters();
    const result = await create(
      {
        name: "No certificate",
        deviceGroupId: G.factoryLine,
        certificatePolicyId: P.bootstrapServer,
        serverSideKeyGeneration: { encryptionCertificate: "" },
      },
      "subject.common_name,subject.organization_name\nx.example.com,Example\n",
    );
    expect(result).toMatchObject({
      __typename: "ValidationError",
      field: "input.serverSideKeyGeneration.encryptionCertificate",
    });
    expect(stack.simulator.requestCount(CREATE_ROUTE)).toBe(0);
  });
});

describe("approval", () => {
  it("waits in PENDING_APPROVAL after processing, then completes once approved", async () => {
    const lines = ["device_name,subject.common_name,subject.organization_name,subject.organization_unit,csr"];
    for (let i = 1; i <= 2; i++) {
      const { pem } = await generateCsr({
        subject: `CN=appr-${i}.example.com`,
        key: { kind: "RSA", bits: 2048 },
      });
      lines.push(`appr-${i},appr-${i}.example.com,Example,Plant 7,${cell(pem)}`);
    }
    const created = await create(
      { name: "Approval", deviceGroupId: G.factoryLine, certificatePolicyId: P.factoryApproval },
      `${lines.join("\n")}\n`,
    );
    const id = created.job!.id;
    const client = wsClient();
    const seen: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      client.subscribe<{ batchJobStatusChanged: { status: string } }>(
        { query: SUBSCRIPTION, variables: { id } },
        {
          next: (value) => {
            const status = value.data!.batchJobStatusChanged.status;
            seen.push(status);
            if (status === "PENDING_APPROVAL") {
              void stack
                .gql<any>(`mutation($id: ID!) { approveDeviceRegistrationBatch(id: $id) { __typename } }`, {
                  id,
                })
                .then((res) =>
                  expect(res.data.approveDeviceRegistrationBatch.__typename).toBe(
                    "DeviceRegistrationBatchApproved",
                  ),
                );
            }
          },
          error: reject,
          complete: resolve,
        },
      );
    });
    await done;
    await client.dispose();
    expect(seen).toEqual(["PENDING", "IN_PROGRESS", "PENDING_APPROVAL", "COMPLETE"]);
    const job = await readJob(id);
    expect(job.registrations.every((r: any) => r.status === "SUCCESS" && r.deviceId)).toBe(true);
  });
});

describe("one poller per job", () => {
  it("serves 100 subscribers on one job with one upstream poll per interval", async () => {
    const created = await create(
      { name: "Hundred watchers", deviceGroupId: G.factoryLine, certificatePolicyId: P.factoryApproval },
      `device_name,subject.common_name,subject.organization_name,subject.organization_unit,csr\nw-1,w-1.example.com,Example,Plant,${cell(
        (await generateCsr({ subject: "CN=w-1.example.com", key: { kind: "RSA", bits: 2048 } })).pem,
      )}\n`,
    );
    const id = created.job!.id;
    // Wait until it rests in PENDING_APPROVAL: it then stays unchanged until decided.
    for (let i = 0; i < 100 && (await readJob(id)).status !== "PENDING_APPROVAL"; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const clients = Array.from({ length: 5 }, wsClient);
    const firsts: Promise<void>[] = [];
    const unsubscribes: (() => void)[] = [];
    stack.simulator.resetCounters();
    const started = Date.now();
    for (let i = 0; i < 100; i++) {
      firsts.push(
        new Promise((resolve, reject) => {
          unsubscribes.push(
            clients[i % 5]!.subscribe(
              { query: SUBSCRIPTION, variables: { id } },
              { next: () => resolve(), error: reject, complete: () => undefined },
            ),
          );
        }),
      );
    }
    await Promise.all(firsts);
    await new Promise((r) => setTimeout(r, 1_000));
    const polls = stack.simulator.requestCount(POLL_ROUTE);
    const elapsed = Date.now() - started;
    // The fastest poll interval is 50 ms: one poller makes at most elapsed / 50 + 1 reads; 100 would make ~100x.
    expect(polls).toBeGreaterThan(0);
    expect(polls).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 1);
    for (const unsubscribe of unsubscribes) unsubscribe();
    await Promise.all(clients.map((client) => client.dispose()));
    await new Promise((r) => setTimeout(r, 300));
    const after = stack.simulator.requestCount(POLL_ROUTE);
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.simulator.requestCount(POLL_ROUTE)).toBe(after);
  });
});

describe("bare job ids", () => {
  it("are resolved to their product once, however many subscribe at the same time", async () => {
    const created = await create(
      { name: "Bare watchers", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient },
      await clientCsv("bare-watch", 1),
    );
    stack.simulator.resetCounters();
    const client = wsClient();
    const all = Array.from({ length: 20 }, () => watchOverWebSocket(client, created.jobId!));
    const seen = await Promise.all(all);
    await client.dispose();
    for (const events of seen) expect(events.at(-1)?.status).toBe("COMPLETE");
    // One read of each product to learn which runs the job; the rest is the one poller's.
    expect(stack.simulator.requestCount("GET /iot/api/v1/batch-enroll/:job_id")).toBe(1);
  });
});

describe("reports", () => {
  it("are read once per job state however many subscribers select them, and list failed rows", async () => {
    // Row 3 repeats row 1's device name: DigiCert fails it with code 03.
    const csv = await clientCsv("dup", 3);
    const duplicated = csv.replace(/\r\ndup-3,/, "\r\ndup-1,");
    const created = await create(
      { name: "Duplicate row", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient },
      duplicated,
    );
    const id = created.job!.id;
    stack.simulator.resetCounters();
    const query = `subscription($id: ID!) { batchJobStatusChanged(id: $id) {
      status report { failureReason rowErrors { uniqueIdentifier message } } } }`;
    const client = wsClient();
    const watchers = Array.from(
      { length: 10 },
      () =>
        new Promise<any[]>((resolve, reject) => {
          const seen: any[] = [];
          client.subscribe<any>(
            { query, variables: { id } },
            {
              next: (value) =>
                value.errors ? reject(new Error(JSON.stringify(value.errors))) : seen.push(value.data),
              error: reject,
              complete: () => resolve(seen),
            },
          );
        }),
    );
    const results = await Promise.all(watchers);
    await client.dispose();
    for (const seen of results) {
      const last = seen.at(-1).batchJobStatusChanged;
      expect(last.status).toBe("COMPLETE");
      expect(last.report.rowErrors).toEqual([
        { uniqueIdentifier: "Row 3 (dup-1)", message: expect.stringContaining("already exists") },
      ]);
    }
    expect(stack.simulator.requestCount(`GET ${JOBS}/:id/download/report`)).toBe(1);
  });

  it("a report that cannot be read fails only its own field, not the job", async () => {
    const created = await create(
      { name: "No report", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient },
      await clientCsv("noreport", 1),
    );
    await watchOverSse(created.job!.id);
    stack.simulator.injectFault({ route: `GET ${JOBS}/:id/download/report`, kind: "status", status: 404 });
    try {
      const res = await stack.gql<any>(
        `query($id: ID!) { batchJob(id: $id) { status report { failureReason rowErrors { message } } } }`,
        { id: created.job!.id },
      );
      expect(res.data!.batchJob).toEqual({
        status: "COMPLETE",
        report: { failureReason: null, rowErrors: null },
      });
      expect(res.errors?.[0]).toMatchObject({
        path: ["batchJob", "report", "rowErrors"],
        extensions: { code: "REQUEST_NOT_FOUND" },
      });
    } finally {
      stack.simulator.clearFaults();
    }
  });
});

describe("bad files are refused with typed errors, and nothing is created", () => {
  const client = { name: "Bad file", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient };

  async function refused(file: string | Uint8Array | Blob, fileName = "devices.csv") {
    const before = await jobsListed();
    stack.simulator.resetCounters();
    const { status, body } = await upload(client, file, fileName);
    expect(stack.simulator.requestCount(CREATE_ROUTE)).toBe(0);
    expect(await jobsListed()).toBe(before);
    expect(await readdir(uploadDir)).toEqual([]);
    return { status, body };
  }

  it("names the missing csr column", async () => {
    const { body } = await refused("device_name,subject.common_name\nd-1,d-1.example.com\n");
    const result = body.data.createDeviceRegistrationBatch;
    expect(result).toMatchObject({
      __typename: "InvalidBatchFileError",
      code: "INVALID_BATCH_FILE",
      field: "input.file",
    });
    expect(result.problems).toContainEqual(expect.objectContaining({ row: null, column: "csr" }));
  });

  it("names row 7 and the csr column for a CSR whose signature does not verify", async () => {
    const csv = await clientCsv("bad-csr", 8, new Map([[7, await tamperedCsr()]]));
    const { body } = await refused(csv);
    const result = body.data.createDeviceRegistrationBatch;
    expect(result.__typename).toBe("InvalidBatchFileError");
    expect(result.problems).toEqual([expect.objectContaining({ row: 7, column: "csr", entry: null })]);
    expect(result.message).toMatch(/^Row 7, column csr: /);
  });

  it("refuses a ZIP entry that climbs out of its folder", async () => {
    const { pem } = await generateCsr({ subject: "CN=zip.example.com" });
    const zip = zipSync({ "../../etc/evil.csr": new TextEncoder().encode(pem) });
    const { body } = await refused(zip, "devices.zip");
    const result = body.data.createDeviceRegistrationBatch;
    expect(result.__typename).toBe("InvalidBatchFileError");
    expect(result.problems[0]).toMatchObject({ entry: "../../etc/evil.csr" });
  });

  it("refuses a ZIP bomb without inflating it", async () => {
    // ~300 MiB of zeros deflates to about 300 KiB; built as a stream so the test never holds it.
    const parts: Uint8Array[] = [];
    const zip = new Zip((error, chunk) => {
      if (error) throw error;
      parts.push(chunk);
    });
    const entry = new ZipDeflate("devices.csv", { level: 9 });
    zip.add(entry);
    entry.push(new TextEncoder().encode("device_name,subject.common_name,csr\n"));
    const zeros = new Uint8Array(1024 * 1024);
    for (let i = 0; i < 300; i++) entry.push(zeros);
    entry.push(new Uint8Array(0), true);
    zip.end();
    const bomb = new Blob(parts.map((part) => new Uint8Array(part)));
    expect(bomb.size).toBeLessThan(2 * 1024 * 1024);
    const { body } = await refused(bomb, "devices.zip");
    const result = body.data.createDeviceRegistrationBatch;
    expect(result.__typename).toBe("InvalidBatchFileError");
    expect(result.problems).toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/inflates to more than 256 MiB/) }),
    );
  });

  it("refuses 200 MiB + 1 byte with 413 before reading on", async () => {
    // Server-side rows that the check passes one by one as they arrive: only the cap can refuse them.
    const header = "subject.common_name,subject.organization_name\n";
    const rows = Buffer.from("a.example.com,Example\n".repeat(48 * 1024));
    const size = 200 * 1024 * 1024 + 1;
    const parts: Uint8Array<ArrayBuffer>[] = [new Uint8Array(Buffer.from(header))];
    for (let total = header.length; total < size; total += rows.length) {
      parts.push(new Uint8Array(rows.buffer, rows.byteOffset, Math.min(rows.length, size - total)));
    }
    const big = new Blob(parts);
    expect(big.size).toBe(size);
    const before = await jobsListed();
    stack.simulator.resetCounters();
    const { status, body } = await upload(
      {
        name: "Too large",
        deviceGroupId: G.factoryLine,
        certificatePolicyId: P.bootstrapServer,
        serverSideKeyGeneration: { encryptionCertificate: await rsaCertificate() },
      },
      big,
    );
    expect(status).toBe(413);
    expect(body.errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    expect(stack.simulator.requestCount(CREATE_ROUTE)).toBe(0);
    expect(await jobsListed()).toBe(before);
    expect(await readdir(uploadDir)).toEqual([]);
  });

  it("refuses 200 MiB that is not text as soon as its first bytes arrive, and reads the rest without keeping it", async () => {
    const { status, body } = await refused(new Blob([new Uint8Array(200 * 1024 * 1024)]));
    expect(status).toBe(200);
    expect(body.data.createDeviceRegistrationBatch).toMatchObject({
      __typename: "InvalidBatchFileError",
      problems: [
        expect.objectContaining({
          message: expect.stringMatching(/^The data file is neither a CSV nor a ZIP/),
        }),
      ],
    });
  });
});

describe("single device registration", () => {
  const REGISTER = `mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) {
    __typename
    ... on DeviceRegistered { deviceId device { name status bootstrap { certificatePolicyId serverSideKeyGeneration } } }
    ... on DuplicateDeviceError { code deviceName }
    ... on DeviceGroupNotFoundError { deviceGroupId }
    ... on CertificatePolicyNotFoundError { certificatePolicyId }
    ... on ValidationError { field }
    ... on Error { code message }
  } }`;

  it("registers a device with a CSR, then refuses the same name as DuplicateDeviceError", async () => {
    const { pem } = await generateCsr({ subject: "CN=single-1.example.com" });
    const input = {
      name: "single-1",
      deviceGroupId: G.fieldSensors,
      bootstrap: [
        {
          certificatePolicyId: P.bootstrapClient,
          csr: pem,
          attributes: [{ name: "subject.common_name", value: "single-1.example.com" }],
        },
      ],
    };
    const first = await stack.gql<any>(REGISTER, { input });
    expect(first.data.registerDevice).toMatchObject({
      __typename: "DeviceRegistered",
      device: {
        name: "single-1",
        status: "REGISTERED",
        bootstrap: [{ certificatePolicyId: P.bootstrapClient }],
      },
    });
    const again = await stack.gql<any>(REGISTER, { input });
    expect(again.data.registerDevice).toMatchObject({
      __typename: "DuplicateDeviceError",
      code: "DUPLICATE_DEVICE",
      deviceName: "single-1",
    });
  });

  it("names an unknown group or policy as typed not-found errors, and sends nothing", async () => {
    stack.simulator.resetCounters();
    const { pem } = await generateCsr({ subject: "CN=single-3.example.com" });
    const unknownGroup = await stack.gql<any>(REGISTER, {
      input: { name: "single-3", deviceGroupId: "00000000-0000-4000-8000-000000000001" },
    });
    expect(unknownGroup.data.registerDevice).toMatchObject({
      __typename: "DeviceGroupNotFoundError",
      code: "DEVICE_GROUP_NOT_FOUND",
      deviceGroupId: "00000000-0000-4000-8000-000000000001",
    });
    const unknownPolicy = await stack.gql<any>(REGISTER, {
      input: {
        name: "single-3",
        deviceGroupId: G.fieldSensors,
        bootstrap: [{ certificatePolicyId: "IOT_00000000-0000-4000-8000-000000000002", csr: pem }],
      },
    });
    expect(unknownPolicy.data.registerDevice).toMatchObject({
      __typename: "CertificatePolicyNotFoundError",
      certificatePolicyId: "IOT_00000000-0000-4000-8000-000000000002",
    });
    expect(stack.simulator.requestCount("POST /devicetrustmanager/api/v4/device/registration")).toBe(0);
  });

  it("reads a device by its global id or DigiCert's id, and refuses another type's global id", async () => {
    const list = await stack.gql<any>(`{ devices(first: 1) { edges { node { id deviceId name } } } }`);
    const { id, deviceId, name } = list.data.devices.edges[0].node;
    for (const argument of [id, deviceId]) {
      const res = await stack.gql<any>(`query($id: ID!) { device(id: $id) { name } }`, { id: argument });
      expect(res.data.device).toEqual({ name });
    }
    stack.simulator.resetCounters();
    const other = Buffer.from(`DtmBatchJob:${deviceId}`).toString("base64");
    const refused = await stack.gql<any>(`query($id: ID!) { device(id: $id) { name } }`, { id: other });
    expect(refused.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("refuses a bad CSR before anything is sent", async () => {
    stack.simulator.resetCounters();
    const res = await stack.gql<any>(REGISTER, {
      input: {
        name: "single-2",
        deviceGroupId: G.fieldSensors,
        bootstrap: [{ certificatePolicyId: P.bootstrapClient, csr: await tamperedCsr() }],
      },
    });
    expect(res.data.registerDevice).toMatchObject({
      __typename: "ValidationError",
      field: "input.bootstrap[0].csr",
    });
    expect(stack.simulator.requestCount("POST /devicetrustmanager/api/v4/device/registration")).toBe(0);
  });
});

describe("CSR signatures on worker threads", () => {
  it("are checked on a worker, and a shutdown with the check in progress stops every worker and keeps nothing", async () => {
    // Every CSR waits for a worker, so that the check is provably on one when the gateway stops.
    configureCsrChecks({ threads: 1, inlineFirst: 0, inlineWhileStarting: false });
    const dir = await mkdtemp(join(tmpdir(), "dtm-batch-shutdown-test-"));
    const second = await startStack({ simulator: { dtmJobStepMs: STEP_MS }, uploadTmpDir: dir });
    let closed = false;
    try {
      const pems = await Promise.all(
        [1, 2, 3].map(async (n) => (await generateCsr({ subject: `CN=stop-${n}.example.com` })).pem),
      );
      const lines = ["device_name,subject.common_name,csr"];
      for (let row = 1; row <= 3000; row++) {
        lines.push(`stop-${row},stop-${row}.example.com,${cell(pems[row % pems.length]!)}`);
      }
      const form = new FormData();
      const input = { name: "Stopped", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient };
      form.set(
        "operations",
        JSON.stringify({ query: CREATE, variables: { input: { ...input, file: null } } }),
      );
      form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
      form.set("0", new Blob([`${lines.join("\r\n")}\r\n`]), "devices.csv");
      const before = csrWorkerVerdicts();
      const answer = fetch(second.url, {
        method: "POST",
        headers: { authorization: `Bearer ${await second.token()}`, "x-graphql-csrf": "1" },
        body: form,
      }).then(
        async (res) => res.status,
        (error: unknown) => error,
      );
      await expect.poll(() => csrWorkerVerdicts() - before, { timeout: 20_000 }).toBeGreaterThan(0);
      expect(csrWorkerThreads()).toBe(1);
      second.simulator.resetCounters();
      await second.close();
      closed = true;
      expect(csrWorkerThreads()).toBe(0);
      // The request was cut off: an error, never a created job.
      expect(await answer).not.toBe(200);
      expect(second.simulator.requestCount(CREATE_ROUTE)).toBe(0);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      if (!closed) await second.close();
      configureCsrChecks(defaultCsrCheckSettings());
      await rm(dir, { recursive: true, force: true });
    }
  });
});
