import { Readable } from "node:stream";
import busboy from "busboy";
import { pino } from "pino";
import { type Dispatcher, MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DtmClient } from "../../src/datasources/dtm/client.js";
import { UpstreamHttpError } from "../../src/datasources/errors.js";
import {
  parseErrorEnvelope,
  UpstreamClient,
  type UpstreamStreamRequest,
  type UpstreamStreamResponse,
  upstreamPath,
} from "../../src/datasources/http.js";
import type { DtmBatchJob } from "../../src/model/dtm/batch-job.js";
import type { Device } from "../../src/model/dtm/device.js";
import type { CertificatePolicy, DeviceGroup } from "../../src/model/dtm/policy.js";
import type { WireDtmBatchFields } from "../../src/model/dtm/wire.js";
import { DeviceNotFoundError } from "../../src/model/errors.js";
import {
  DuplicateDeviceError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import {
  type DtmBatchJobId,
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  type DtmDeviceId,
  parseDtmBatchJobId,
  parseDtmCertificatePolicyId,
  parseDtmDeviceGroupId,
  parseDtmDeviceId,
} from "../../src/model/dtm/ids.js";

const ORIGIN = "https://one.example.test";
const API_KEY = "secret-api-key-123";
const GROUP = "c8df5a31-2a04-4433-a3bd-1b0437948fb5" as DtmDeviceGroupId;
const POLICY = "IOT_4ee527fa-bebc-4557-aacb-9b5eed984dd4" as DtmCertificatePolicyId;
const DEVICE = "5b0c6f7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f" as DtmDeviceId;
const JOB = "e6006353-ba03-4909-afc8-c611f00d7644" as DtmBatchJobId;
const JOBS = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
const CSV = '"device_name","subject.common_name","csr"\r\nsensor-1,sensor-1.example.com,CSR\r\n';
const FIELDS: WireDtmBatchFields = {
  job_type: "device_registration",
  name: "Line A",
  device_group_id: GROUP,
  certificate_policy_id: POLICY,
  server_side_key_gen: "false",
};
const NOT_FOUND = { error: { code: "resource_not_found", message: "Batch job not found" } };
const DENIED = { error: { code: "access_denied", message: "User has no access to the device" } };

/** A device group `{ id: GROUP, name }` as the client returns it. */
function deviceGroup(name: string): DeviceGroup {
  return {
    id: GROUP,
    name,
    description: null,
    accountId: null,
    divisionId: null,
    divisionName: null,
    certificatePolicies: [],
    deviceCount: null,
    unreadable: [],
  };
}

/** `{ id: POLICY, name: "P" }` as the client returns it. */
const POLICY_P: CertificatePolicy = {
  id: POLICY,
  name: "P",
  status: "UNKNOWN",
  managementMethods: [],
  clientSideKeyGeneration: false,
  serverSideKeyGeneration: false,
  allowedKeyTypes: [],
  defaultKeyType: null,
  approvalRequired: false,
  validity: null,
  templateColumns: [],
  deviceGroupIds: [],
  unreadable: [],
};

/** `{ id: DEVICE }` as the client returns it. */
const BARE_DEVICE: Device = {
  id: DEVICE,
  name: null,
  description: null,
  status: "UNKNOWN",
  deviceGroupId: null,
  deviceGroupName: null,
  divisionName: null,
  accountId: null,
  registrationMethod: null,
  bootstrap: [],
  bootstrapKeysClientSideOnly: false,
  batchJobId: null,
  createdAt: null,
  updatedAt: null,
};

/** A job `{ id: JOB, ...fields }` as the client returns it, every other field empty. */
function dtmBatchJob(fields: Partial<DtmBatchJob>): DtmBatchJob {
  return {
    id: JOB,
    kind: "DTM_DEVICE_REGISTRATION",
    name: null,
    status: "UNKNOWN",
    total: null,
    success: null,
    failed: null,
    createdAt: null,
    updatedAt: null,
    completedAt: null,
    deviceGroupId: null,
    deviceGroupName: null,
    certificatePolicyId: null,
    certificatePolicyName: null,
    approvalRequired: false,
    serverSideKeyGeneration: null,
    keyType: null,
    fileName: null,
    fileSize: null,
    emails: [],
    externalEmails: [],
    startedAt: null,
    processedAt: null,
    approvedAt: null,
    rejectedAt: null,
    failureReason: null,
    ...fields,
  };
}

let agent: MockAgent;
let logs: string[];
interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
}
let sent: SentRequest[];

function upstream(maxAttempts = 1): UpstreamClient {
  logs = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => logs.push(line) });
  return new UpstreamClient(
    {
      baseUrl: new URL(ORIGIN),
      credentials: { kind: "apiKey", apiKey: API_KEY },
      connectTimeoutMs: 1000,
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
      connections: 4,
      maxResponseBytes: 1024 * 1024,
      retry: { maxAttempts, budgetMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 },
    },
    logger,
    agent.get(ORIGIN),
  );
}

/** The real UpstreamClient, request() and stream(). */
function client(maxAttempts = 1): DtmClient {
  return new DtmClient(upstream(maxAttempts));
}

/** stream() that records the body it sends (the test buffers it to inspect; the real one does not). */
function recordingClient(): DtmClient {
  const http = upstream();
  const pool: Dispatcher = agent.get(ORIGIN);
  return new DtmClient({
    request: (req) => http.request(req),
    stream: async (req: UpstreamStreamRequest): Promise<UpstreamStreamResponse> => {
      let body: Buffer | null = null;
      if (req.body) {
        const chunks: Uint8Array[] = [];
        for await (const chunk of req.body.content) chunks.push(chunk);
        body = Buffer.concat(chunks);
      }
      const headers: Record<string, string> = {
        "x-api-key": API_KEY,
        ...(req.body ? { "content-type": req.body.contentType } : {}),
        ...(req.body?.length === undefined ? {} : { "content-length": String(req.body.length) }),
      };
      sent.push({ method: req.method, path: req.path, headers, body });
      const res = await pool.request({ method: req.method, path: req.path, headers, body });
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw new UpstreamHttpError(
          req.operation,
          res.statusCode,
          parseErrorEnvelope(await res.body.text()),
          null,
        );
      }
      return { status: res.statusCode, headers: res.headers, body: res.body };
    },
  });
}

function parseMultipart(
  contentType: string,
  body: Buffer,
): Promise<{
  fields: Record<string, string>;
  files: Record<string, { filename: string; mimeType: string; data: string }>;
}> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const files: Record<string, { filename: string; mimeType: string; data: string }> = {};
    const parser = busboy({ headers: { "content-type": contentType } });
    parser.on("field", (name, value) => (fields[name] = value));
    parser.on("file", (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        files[name] = {
          filename: info.filename ?? "",
          mimeType: info.mimeType,
          data: Buffer.concat(chunks).toString(),
        };
      });
    });
    parser.on("error", reject);
    parser.on("close", () => resolve({ fields, files }));
    parser.end(body);
  });
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  sent = [];
});
afterEach(async () => {
  await agent.close();
});

describe("DtmClient reads", () => {
  it("lists device groups with the API key, offset and limit", async () => {
    const page = { records: [{ id: GROUP, name: "Factory line A" }], total: 1, offset: 0, limit: 20 };
    agent
      .get(ORIGIN)
      .intercept({
        path: "/devicetrustmanager/api/v4/device-group?offset=0&limit=20",
        method: "GET",
        headers: { "x-api-key": API_KEY },
      })
      .reply(200, page);
    expect(await client().listDeviceGroups(0, 20)).toEqual({
      items: [deviceGroup("Factory line A")],
      total: 1,
      offset: 0,
      limit: 20,
      skipped: 0,
    });
  });

  it("reads a device group, and null for 403 or 404", async () => {
    const pool = agent.get(ORIGIN);
    const path = `/devicetrustmanager/api/v4/device-group/${GROUP}`;
    pool.intercept({ path }).reply(200, { id: GROUP, name: "G" });
    pool.intercept({ path }).reply(403, DENIED);
    pool.intercept({ path }).reply(404, NOT_FOUND);
    const dtm = client();
    expect(await dtm.getDeviceGroup(GROUP)).toEqual(deviceGroup("G"));
    expect(await dtm.getDeviceGroup(GROUP)).toBeNull();
    expect(await dtm.getDeviceGroup(GROUP)).toBeNull();
  });

  it("lists certificate policies, narrowed to a group, and reads one", async () => {
    const base = "/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy";
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: `${base}?device_group_id=${GROUP}&offset=0&limit=50` })
      .reply(200, { records: [], total: 0, offset: 0, limit: 50 });
    pool.intercept({ path: `${base}?offset=10&limit=5` }).reply(200, { records: [] });
    pool.intercept({ path: `${base}/${POLICY}` }).reply(200, { id: POLICY, name: "P" });
    pool.intercept({ path: `${base}/${POLICY}` }).reply(404, NOT_FOUND);
    const dtm = client();
    expect((await dtm.listCertificatePolicies(0, 50, GROUP)).items).toEqual([]);
    expect((await dtm.listCertificatePolicies(10, 5)).items).toEqual([]);
    expect(await dtm.getCertificatePolicy(POLICY)).toEqual(POLICY_P);
    expect(await dtm.getCertificatePolicy(POLICY)).toBeNull();
  });

  it("reads a policy's CSV template as text", async () => {
    const template = '"device_name","subject.common_name","csr"\r\n';
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: `${JOBS}/template?certificate_policy_id=${POLICY}` })
      .reply(200, template, { headers: { "content-type": "text/csv; charset=utf-8" } });
    const refused = { error: { code: "invalid_request", message: "server_side_key_gen: not allowed" } };
    for (let i = 0; i < 2; i++) {
      pool
        .intercept({ path: `${JOBS}/template?certificate_policy_id=${POLICY}&server_side_key_gen=true` })
        .reply(400, refused);
    }
    const http = upstream();
    const dtm = new DtmClient(http);
    expect(await dtm.getCsvTemplate(POLICY)).toBe(template);
    // The HTTP layer reads DTM's `{error: {code, message}}` envelope.
    const envelope = await http
      .request({
        operation: "dtm.getCsvTemplate",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/template`,
        query: { certificate_policy_id: POLICY, server_side_key_gen: "true" },
      })
      .catch((e: unknown) => e);
    expect(envelope).toBeInstanceOf(UpstreamHttpError);
    expect((envelope as UpstreamHttpError).details[0]?.code).toBe("invalid_request");
    // The client maps it: the refused value, named by its field.
    const error = await dtm.getCsvTemplate(POLICY, true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "input.serverSideKeyGeneration" });
  });

  it("lists devices with DTM's filter names, and reads one (null for 403 or 404)", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({
        path: `/devicetrustmanager/api/v4/device?name=sensor-1&device_group_id=${GROUP}&status=REGISTERED&offset=0&limit=20`,
      })
      .reply(200, { records: [{ id: DEVICE }], total: 1, offset: 0, limit: 20 });
    pool.intercept({ path: `/devicetrustmanager/api/v4/device/${DEVICE}` }).reply(200, { id: DEVICE });
    pool.intercept({ path: `/devicetrustmanager/api/v4/device/${DEVICE}` }).reply(403, DENIED);
    pool.intercept({ path: `/devicetrustmanager/api/v4/device/${DEVICE}` }).reply(404, NOT_FOUND);
    const dtm = client();
    const page = await dtm.listDevices(
      { name: "sensor-1", deviceGroupId: GROUP, statuses: ["REGISTERED"] },
      0,
      20,
    );
    expect(page.items).toEqual([BARE_DEVICE]);
    expect(await dtm.getDevice(DEVICE)).toEqual(BARE_DEVICE);
    expect(await dtm.getDevice(DEVICE)).toBeNull();
    expect(await dtm.getDevice(DEVICE)).toBeNull();
  });

  it("reads and lists batch jobs (null for an unknown one), retrying reads after a 503", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: `${JOBS}/${JOB}` })
      .reply(503, { error: { code: "service_unavailable", message: "" } });
    pool.intercept({ path: `${JOBS}/${JOB}` }).reply(200, { id: JOB, status: "IN_PROGRESS" });
    pool.intercept({ path: `${JOBS}/${JOB}` }).reply(404, NOT_FOUND);
    pool
      .intercept({
        path: `${JOBS}?status=PENDING_APPROVAL&device_group_id=${GROUP}&job_type=device_registration&offset=0&limit=10`,
      })
      .reply(200, { records: [{ id: JOB, status: "PENDING_APPROVAL" }], total: 1 });
    const dtm = client(3);
    expect(await dtm.getBatchJob(JOB)).toEqual(dtmBatchJob({ status: "IN_PROGRESS" }));
    expect(await dtm.getBatchJob(JOB)).toBeNull();
    const page = await dtm.listBatchJobs({ statuses: ["PENDING_APPROVAL"], deviceGroupId: GROUP }, 0, 10);
    expect(page.items).toEqual([dtmBatchJob({ status: "PENDING_APPROVAL" })]);
    expect(page.total).toBe(1);
  });

  it("reads the JSON report through request() with ?format=json", async () => {
    const report = {
      job_id: JOB,
      status: "COMPLETE",
      total: 1,
      success: 1,
      failed: 0,
      rows: [{ row: 1, device_name: "sensor-1", status: "SUCCESS", device_id: DEVICE }],
    };
    agent
      .get(ORIGIN)
      .intercept({ path: `${JOBS}/${JOB}/download/report?format=json` })
      .reply(200, report);
    expect(await client().downloadReportJson(JOB)).toEqual({
      jobId: JOB,
      status: "COMPLETE",
      total: 1,
      success: 1,
      failed: 0,
      rows: [
        {
          row: 1,
          deviceName: "sensor-1",
          deviceId: DEVICE,
          status: "SUCCESS",
          errorCode: null,
          errorMessage: null,
          unreadable: [],
        },
      ],
      skipped: 0,
    });
  });

  it("streams the report unread, with safe headers", async () => {
    const csv = "row,device_name,status,device_id,error_code,error\r\n1,sensor-1,SUCCESS,x,,\r\n";
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `${JOBS}/${JOB}/download/report?format=csv` }).reply(200, csv, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-length": String(csv.length),
        "content-disposition": `attachment; filename="${JOB}-report.csv"`,
      },
    });
    pool.intercept({ path: `${JOBS}/${JOB}/download/report?format=json` }).reply(200, "{}", {
      headers: { "content-type": "text/html", "content-disposition": 'attachment; filename="../x"' },
    });
    const dtm = client();
    const download = await dtm.downloadReport(JOB);
    expect(download.contentType).toBe("text/csv");
    expect(download.contentLength).toBe(csv.length);
    expect(download.headers["content-disposition"]).toBe(`attachment; filename="${JOB}-report.csv"`);
    expect(await text(download.body)).toBe(csv);
    const odd = await dtm.downloadReport(JOB, "json");
    expect(odd.contentType).toBe("application/octet-stream");
    expect(odd.fileName).toBeNull();
    await text(odd.body);
  });

  it("throws DTM's refusal of a report that is not ready", async () => {
    const refused = { error: { code: "invalid_request", message: "Batch job is IN_PROGRESS" } };
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `${JOBS}/${JOB}/download/report?format=csv` }).reply(400, refused);
    pool.intercept({ path: `${JOBS}/${JOB}/download/report?format=csv` }).reply(400, refused);
    const http = upstream();
    const status = await http
      .request({
        operation: "dtm.downloadReport",
        method: "GET",
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs/${JOB}/download/report`,
        query: { format: "csv" },
      })
      .catch((e: unknown) => e);
    expect(status).toBeInstanceOf(UpstreamHttpError);
    expect((status as UpstreamHttpError).status).toBe(400);
    const error = await new DtmClient(http).downloadReport(JOB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "id" });
    expect((error as Error).message).not.toContain("IN_PROGRESS");
  });

  it("never writes the API key to its logs", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/devicetrustmanager/api/v4/device/${DEVICE}` })
      .reply(500, "{}");
    await client()
      .getDevice(DEVICE)
      .catch(() => undefined);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join("\n")).not.toContain(API_KEY);
  });
});

describe("DtmClient writes", () => {
  const registration = { name: "sensor-1", device_group_id: GROUP };

  it("registers a device with the JSON body as given", async () => {
    agent
      .get(ORIGIN)
      .intercept({
        path: "/devicetrustmanager/api/v4/device/registration",
        method: "POST",
        body: JSON.stringify(registration),
      })
      .reply(200, { device_id: DEVICE });
    expect(await client().registerDevice(registration)).toBe(DEVICE);
  });

  it("never sends a registration twice, even after a 503", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: "/devicetrustmanager/api/v4/device/registration", method: "POST" })
      .reply(503, { error: { code: "service_unavailable", message: "" } });
    pool
      .intercept({ path: "/devicetrustmanager/api/v4/device/registration", method: "POST" })
      .reply(200, { device_id: DEVICE });
    const error = await client(3)
      .registerDevice(registration)
      .catch((e: unknown) => e);
    // The 503's own meaning (not processed), not what a second POST would have answered.
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(() => agent.assertNoPendingInterceptors()).toThrow();
  });

  it("passes a duplicate name on as a 409 with code 03", async () => {
    const duplicate = { error: { code: "03", message: 'A device named "sensor-1" already exists' } };
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: "/devicetrustmanager/api/v4/device/registration", method: "POST" })
      .reply(409, duplicate);
    pool
      .intercept({ path: "/devicetrustmanager/api/v4/device/registration", method: "POST" })
      .reply(409, duplicate);
    const http = upstream();
    // The HTTP layer: status and code, never DTM's message text.
    const error = (await http
      .request({
        operation: "dtm.registerDevice",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/devicetrustmanager/api/v4/device/registration`,
        body: registration,
      })
      .catch((e: unknown) => e)) as UpstreamHttpError;
    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect(error.status).toBe(409);
    expect(error.hasCode("03")).toBe(true);
    expect(error.message).not.toContain("sensor-1");
    // The client: a duplicate device, named from the request sent (not from DTM's text).
    const mapped = await new DtmClient(http).registerDevice(registration).catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(DuplicateDeviceError);
    expect(mapped).toMatchObject({ code: "DUPLICATE_DEVICE", deviceName: "sensor-1" });
  });

  it("approves and rejects a batch job with PUT, never twice", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `${JOBS}/${JOB}/approve`, method: "PUT" }).reply(204, "");
    pool.intercept({ path: `${JOBS}/${JOB}/reject`, method: "PUT" }).reply(503, "{}");
    pool.intercept({ path: `${JOBS}/${JOB}/reject`, method: "PUT" }).reply(204, "");
    const dtm = client(3);
    await dtm.decideBatchJob(JOB, "approve");
    await expect(dtm.decideBatchJob(JOB, "reject")).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});

describe("branded identifiers", () => {
  it("refuse anything that could change an upstream path before a call is made", () => {
    for (const bad of ["../device", "", "a/b", `${DEVICE}/approve`, `${DEVICE}?x=1`]) {
      expect(() => parseDtmDeviceId(bad)).toThrow(ValidationError);
      expect(() => parseDtmBatchJobId(bad)).toThrow(ValidationError);
      expect(() => parseDtmDeviceGroupId(bad)).toThrow(ValidationError);
      expect(() => parseDtmCertificatePolicyId(bad)).toThrow(ValidationError);
    }
  });

  it("percent-encode even a forged id, so it stays one path segment", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/devicetrustmanager/api/v4/device/a%2F..%2Fx" })
      .reply(404, NOT_FOUND);
    expect(await client().getDevice("a/../x" as DtmDeviceId)).toBeNull();
  });
});

describe("batch uploads", () => {
  it("streams the fields and the data part as multipart/form-data, with an exact Content-Length", async () => {
    agent.get(ORIGIN).intercept({ path: JOBS, method: "POST" }).reply(200, { id: JOB });
    const created = await recordingClient().createBatchJob({
      fields: { ...FIELDS, emails: "ops@example.com,qa@example.com", passcode: "s3cret-pass" },
      file: {
        name: 'rows"\r\nX-Injected: 1.csv',
        contentType: "text/csv",
        stream: Readable.from([Buffer.from(CSV.slice(0, 10)), Buffer.from(CSV.slice(10))]),
        size: Buffer.byteLength(CSV),
      },
    });
    expect(created).toBe(JOB);
    const [request] = sent;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe(JOBS);
    expect(request?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(Number(request?.headers["content-length"])).toBe(request?.body?.length);
    const parsed = await parseMultipart(request!.headers["content-type"]!, request!.body!);
    expect(parsed.fields).toEqual({
      ...FIELDS,
      emails: "ops@example.com,qa@example.com",
      passcode: "s3cret-pass",
    });
    expect(parsed.files.data).toEqual({
      filename: "rows%22%0D%0AX-Injected: 1.csv",
      mimeType: "text/csv",
      data: CSV,
    });
    expect(parsed.files.file).toBeUndefined();
  });

  it("sends a file of unknown size without Content-Length", async () => {
    agent.get(ORIGIN).intercept({ path: JOBS, method: "POST" }).reply(200, { id: JOB });
    async function* chunks() {
      yield new TextEncoder().encode(CSV);
    }
    await recordingClient().createBatchJob({ fields: FIELDS, file: { name: "rows.csv", stream: chunks() } });
    expect(sent[0]?.headers["content-length"]).toBeUndefined();
    const parsed = await parseMultipart(sent[0]!.headers["content-type"]!, sent[0]!.body!);
    expect(parsed.files.data).toMatchObject({ mimeType: "application/octet-stream", data: CSV });
  });

  it("refuses a file that is not the size it declared", async () => {
    agent.get(ORIGIN).intercept({ path: JOBS, method: "POST" }).reply(200, { id: JOB });
    const error = await recordingClient()
      .createBatchJob({
        fields: FIELDS,
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]), size: 5 },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
  });

  it("goes through the real UpstreamClient.stream, and is never retried", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: JOBS, method: "POST" })
      .reply(503, { error: { code: "service_unavailable", message: "" } });
    pool.intercept({ path: JOBS, method: "POST" }).reply(200, { id: JOB });
    const error = await client(3)
      .createBatchJob({
        fields: FIELDS,
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(() => agent.assertNoPendingInterceptors()).toThrow();
  });

  it("reports DTM's 413 as an UpstreamHttpError", async () => {
    const tooLarge = { error: { code: "request_too_large", message: "data: too big" } };
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: JOBS, method: "POST" }).reply(413, tooLarge);
    pool.intercept({ path: JOBS, method: "POST" }).reply(413, tooLarge);
    const http = (await upstream()
      .request({
        operation: "dtm.createBatchJob",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/devicetrustmanager/certificate-batch-service/api/v1/jobs`,
        body: {},
      })
      .catch((e: unknown) => e)) as UpstreamHttpError;
    expect(http).toBeInstanceOf(UpstreamHttpError);
    expect(http.status).toBe(413);
    expect(http.details[0]?.code).toBe("request_too_large");
    const error = await recordingClient()
      .createBatchJob({
        fields: FIELDS,
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "input.file" });
    expect((error as Error).message).not.toContain("too big");
  });

  it("refuses a job answer that is not JSON without quoting it", async () => {
    agent.get(ORIGIN).intercept({ path: JOBS, method: "POST" }).reply(200, "-----BEGIN oops");
    const error = await recordingClient()
      .createBatchJob({
        fields: FIELDS,
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
      })
      .catch((e: unknown) => e);
    // An unreadable answer to an upload: the job may exist.
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect((error as Error).message).not.toContain("oops");
  });

  it("needs the upstream's stream(): without it nothing is sent", async () => {
    const noStream = new DtmClient({ request: () => Promise.reject(new Error("not used")) });
    const error = await noStream
      .createBatchJob({
        fields: FIELDS,
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    await expect(noStream.downloadReport(JOB)).rejects.toThrow(TypeError);
    await expect(noStream.getCsvTemplate(POLICY)).rejects.toThrow(TypeError);
  });
});

describe("what DigiCert answers to a create, in any shape it may take", () => {
  const upload = () => ({
    fields: FIELDS,
    file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
  });

  it("reads the new job's id from {id}, {ID}, {job_id}, {jobId}, {data: {id}}, {job: {job_id}} or a bare string", async () => {
    for (const answer of [
      { id: JOB },
      { ID: JOB.toUpperCase() },
      { job_id: JOB },
      { jobId: JOB },
      { data: { id: JOB } },
      { job: { job_id: JOB, status: "PENDING" } },
      JSON.stringify(JOB),
    ]) {
      agent
        .get(ORIGIN)
        .intercept({ path: JOBS, method: "POST" })
        .reply(200, typeof answer === "string" ? answer : JSON.stringify(answer), {
          headers: { "content-type": "application/json" },
        });
      expect(await client().createBatchJob(upload())).toBe(JOB);
    }
  });

  it("reports an accepted upload whose answer names no readable job id as outcome unknown, never a failure", async () => {
    for (const answer of [{}, { id: "12345" }, { data: [JOB] }, []]) {
      agent.get(ORIGIN).intercept({ path: JOBS, method: "POST" }).reply(200, answer);
      await expect(client().createBatchJob(upload())).rejects.toBeInstanceOf(UpstreamOutcomeUnknownError);
    }
  });

  it("reads a registered device's id from {device_id}, {id} or {data: {device_id}}", async () => {
    for (const answer of [{ device_id: DEVICE }, { id: DEVICE }, { data: { device_id: DEVICE } }]) {
      agent
        .get(ORIGIN)
        .intercept({ path: "/devicetrustmanager/api/v4/device/registration", method: "POST" })
        .reply(200, answer);
      expect(await client().registerDevice({ name: "sensor-1", device_group_id: GROUP })).toBe(DEVICE);
    }
    agent
      .get(ORIGIN)
      .intercept({ path: "/devicetrustmanager/api/v4/device/registration", method: "POST" })
      .reply(200, { status: "ok" });
    await expect(
      client().registerDevice({ name: "sensor-1", device_group_id: GROUP }),
    ).rejects.toBeInstanceOf(UpstreamOutcomeUnknownError);
  });
});

describe("a device's lifecycle", () => {
  const DEVICES = "/devicetrustmanager/api/v4/device";
  const BOOTSTRAP = `/devicetrustmanager/api/v4/bootstrap-config/download/${DEVICE}`;

  it("disables with PATCH .../disable and a JSON {reason}, returning the device DigiCert answered with", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `${DEVICES}/${DEVICE}/disable`, method: "PATCH" })
      .reply(200, { id: DEVICE, status: "DISABLED" });
    expect(await recordingClient().disableDevice(DEVICE, { reason: "No longer needed" })).toEqual({
      ...BARE_DEVICE,
      status: "DISABLED",
    });
    expect(sent).toEqual([
      {
        method: "PATCH",
        path: `${DEVICES}/${DEVICE}/disable`,
        headers: { "x-api-key": API_KEY, "content-type": "application/json", "content-length": "29" },
        body: Buffer.from('{"reason":"No longer needed"}'),
      },
    ]);
  });

  it("reads any other 2xx answer to a disable or a delete as done: no body, text, or another record", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `${DEVICES}/${DEVICE}/disable`, method: "PATCH" }).reply(200, "OK");
    pool.intercept({ path: `${DEVICES}/${DEVICE}/disable`, method: "PATCH" }).reply(204, "");
    pool.intercept({ path: `${DEVICES}/${DEVICE}/disable`, method: "PATCH" }).reply(200, { id: GROUP });
    for (let i = 0; i < 3; i++) expect(await client().disableDevice(DEVICE, { reason: "x" })).toBeNull();
    pool.intercept({ path: `${DEVICES}/${DEVICE}/delete`, method: "PATCH" }).reply(200, "");
    pool.intercept({ path: `${DEVICES}/${DEVICE}/delete`, method: "PATCH" }).reply(200, { deleted: true });
    await client().deleteDevice(DEVICE);
    await client().deleteDevice(DEVICE);
    agent.assertNoPendingInterceptors();
  });

  it("maps 404 and 403 to DeviceNotFoundError, and DTM's 400s to the reason or the id", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `${DEVICES}/${DEVICE}/disable`, method: "PATCH" }).reply(404, NOT_FOUND);
    pool.intercept({ path: `${DEVICES}/${DEVICE}/delete`, method: "PATCH" }).reply(403, DENIED);
    pool
      .intercept({ path: `${DEVICES}/${DEVICE}/disable`, method: "PATCH" })
      .reply(400, { error: { code: "invalid_request", message: "reason: reason is required" } });
    pool
      .intercept({ path: `${DEVICES}/${DEVICE}/delete`, method: "PATCH" })
      .reply(400, { error: { code: "invalid_request", message: "A device must be disabled first" } });
    const dtm = client();
    await expect(dtm.disableDevice(DEVICE, { reason: "x" })).rejects.toMatchObject({
      constructor: DeviceNotFoundError,
      field: "input.id",
      deviceId: DEVICE,
    });
    await expect(dtm.deleteDevice(DEVICE)).rejects.toBeInstanceOf(DeviceNotFoundError);
    await expect(dtm.disableDevice(DEVICE, { reason: "x" })).rejects.toMatchObject({ field: "input.reason" });
    const refused = await dtm.deleteDevice(DEVICE).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).not.toBeInstanceOf(DeviceNotFoundError);
    expect(refused).toMatchObject({ field: "input.id" });
    expect((refused as Error).message).not.toContain("first");
  });

  it("never resends a disable or a delete", async () => {
    const pool = agent.get(ORIGIN);
    for (const action of ["disable", "delete", "disable", "delete"]) {
      pool
        .intercept({ path: `${DEVICES}/${DEVICE}/${action}`, method: "PATCH" })
        .reply(503, { error: { code: "service_unavailable", message: "" } });
    }
    const dtm = client(3);
    await expect(dtm.disableDevice(DEVICE, { reason: "x" })).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(dtm.deleteDevice(DEVICE)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    // One interceptor of each is left: neither call was sent twice.
    expect(() => agent.assertNoPendingInterceptors()).toThrow();
  });

  it("streams the bootstrap configuration unread with safe headers; 404 is DeviceNotFoundError of id", async () => {
    const zip = Buffer.from("PK\u0003\u0004 zip bytes");
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: BOOTSTRAP, method: "GET" }).reply(200, zip, {
      headers: {
        "content-type": "application/zip",
        "content-length": String(zip.length),
        "content-disposition": 'attachment; filename="bootstrap.zip"',
      },
    });
    pool
      .intercept({ path: BOOTSTRAP, method: "GET" })
      .reply(200, "x", { headers: { "content-type": "text/html" } });
    pool.intercept({ path: BOOTSTRAP, method: "GET" }).reply(404, NOT_FOUND);
    const dtm = client();
    const download = await dtm.downloadBootstrapConfig(DEVICE);
    expect(download).toMatchObject({
      contentType: "application/zip",
      contentLength: zip.length,
      fileName: "bootstrap.zip",
    });
    expect(await text(download.body)).toBe(zip.toString());
    const html = await dtm.downloadBootstrapConfig(DEVICE);
    expect(html.contentType).toBe("application/octet-stream");
    await text(html.body);
    await expect(dtm.downloadBootstrapConfig(DEVICE)).rejects.toMatchObject({
      constructor: DeviceNotFoundError,
      field: "id",
    });
  });
});
