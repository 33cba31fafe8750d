import { Readable } from "node:stream";
import busboy from "busboy";
import { pino } from "pino";
import { type Dispatcher, MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UpstreamHttpError } from "../../src/datasources/errors.js";
import { parseErrorEnvelope, UpstreamClient, upstreamPath } from "../../src/datasources/http.js";
import {
  IotClient,
  type UpstreamStreamRequest,
  type UpstreamStreamResponse,
} from "../../src/datasources/iot/client.js";
import {
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import type { SerialNumber } from "../../src/model/ids.js";
import type { IotBatchJob } from "../../src/model/iot/batch-job.js";
import type { DeviceCertificate } from "../../src/model/iot/certificate.js";
import type { DeviceEnrollmentOutcome } from "../../src/model/iot/enrollment.js";
import {
  type BatchJobId,
  type DeviceCertificateId,
  type IotProfileId,
  parseBatchJobId,
  parseDeviceCertificateRef,
  parseIotProfileId,
} from "../../src/model/iot/ids.js";
import type { EnrollmentProfile } from "../../src/model/iot/profile.js";
import type { WireIotEnrollmentRequest } from "../../src/model/iot/wire.js";

const ORIGIN = "https://one.example.test";
const API_KEY = "secret-api-key-123";
const PROFILE = "IOT_3370856d-f466-474a-a26f-4a8b75504aed" as IotProfileId;
const CERT_ID = "a0b778fc-d061-494d-8d47-2faadf054c21" as DeviceCertificateId;
const SERIAL = "6BEBF19F7C29D8731858A5B8B171F319C4A51D41" as SerialNumber;
const JOB = "e6006353-ba03-4909-afc8-c611f00d7644" as BatchJobId;
const ENROLL_BODY: WireIotEnrollmentRequest = {
  enrollment_profile_id: PROFILE,
  csr: "-----BEGIN CERTIFICATE REQUEST-----\nx\n-----END CERTIFICATE REQUEST-----\n",
  device_attributes: [{ id: "DEVICE_IDENTIFIER", value: "SENSOR-1" }],
};
const LEAF_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** The least IoT sends for a certificate record: its id, serial number and leaf. */
const CERTIFICATE_RECORD = { id: CERT_ID, serial_number: SERIAL, body: LEAF_PEM };
/** CERTIFICATE_RECORD as the client returns it. */
const DEVICE_CERTIFICATE: DeviceCertificate = {
  id: CERT_ID,
  serialNumber: SERIAL,
  status: "UNKNOWN",
  commonName: null,
  deviceIdentifier: null,
  enrollmentProfileId: null,
  enrollmentProfileName: null,
  enrollmentMethod: null,
  keyGeneration: null,
  keyType: null,
  requestId: null,
  thumbprint: null,
  validFrom: null,
  validTo: null,
  createdAt: null,
  pem: LEAF_PEM,
  chain: [],
  deviceAttributes: [],
  certificateAttributes: [],
  batchJobId: null,
  renewedFrom: null,
  revocation: null,
  unreadable: [],
};

/** `{ id: PROFILE, name: "P" }` as the client returns it. */
const PROFILE_P: EnrollmentProfile = {
  id: PROFILE,
  name: "P",
  status: "UNKNOWN",
  keyGenerationOption: "UNKNOWN",
  enrollmentMethods: [],
  allowedKeyTypes: [],
  defaultKeyType: null,
  keyTypeFixed: false,
  approvalRequired: false,
  validity: null,
  renewalWindowDays: null,
  certificateTemplateName: null,
  fields: null,
  unreadable: [],
};

/** A batch job as the client returns it: `wire`'s fields, every other one empty. */
function iotBatchJob(fields: Partial<IotBatchJob>): IotBatchJob {
  return {
    id: JOB,
    kind: "IOT_ENROLLMENT",
    name: null,
    status: "UNKNOWN",
    total: null,
    success: null,
    failed: null,
    createdAt: null,
    updatedAt: null,
    completedAt: null,
    enrollmentProfileId: null,
    enrollmentProfileName: null,
    keyGeneration: null,
    certificateFormat: null,
    includeFullChain: false,
    keyType: null,
    privateKeyFormat: null,
    fileName: null,
    approvedAt: null,
    rejectedAt: null,
    startedAt: null,
    failureReason: null,
    rowErrors: [],
    ...fields,
  };
}

/** A CSR enrollment's answer `{ certificate_id: CERT_ID, ...wire }` as the client returns it. */
function enrolled(
  certificate: Partial<DeviceEnrollmentOutcome["certificate"]> = {},
): DeviceEnrollmentOutcome {
  return {
    certificate: {
      id: CERT_ID,
      serialNumber: null,
      requestId: null,
      status: null,
      result: null,
      pem: null,
      chain: [],
      unreadable: [],
      ...certificate,
    },
    privateKey: null,
    privateKeyUnreadable: false,
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

/** Stands in for the proposed `UpstreamClient.stream` (the test buffers the body to inspect it; the real one must not). */
function fakeStream(pool: Dispatcher) {
  return async (req: UpstreamStreamRequest): Promise<UpstreamStreamResponse> => {
    let body: Buffer | null = null;
    if (req.body) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of req.body.content) chunks.push(chunk);
      body = Buffer.concat(chunks);
    }
    const headers: Record<string, string> = {
      "x-api-key": API_KEY,
      accept: req.accept ?? "application/json",
      ...(req.body ? { "content-type": req.body.contentType } : {}),
      ...(req.body?.length === undefined ? {} : { "content-length": String(req.body.length) }),
    };
    sent.push({ method: req.method, path: req.path, headers, body });
    const res = await pool.request({ method: req.method, path: req.path, headers, body });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await res.body.text();
      throw new UpstreamHttpError(req.operation, res.statusCode, parseErrorEnvelope(text), null);
    }
    return { status: res.statusCode, headers: res.headers, body: res.body };
  };
}

function client(options: { maxAttempts?: number; stream?: boolean } = {}) {
  logs = [];
  const logger = pino({ level: "trace" }, { write: (line: string) => logs.push(line) });
  const pool = agent.get(ORIGIN);
  const http = new UpstreamClient(
    {
      baseUrl: new URL(ORIGIN),
      credentials: { kind: "apiKey", apiKey: API_KEY },
      connectTimeoutMs: 1000,
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 1000,
      connections: 4,
      maxResponseBytes: 1024 * 1024,
      retry: { maxAttempts: options.maxAttempts ?? 1, budgetMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 },
    },
    logger,
    pool,
  );
  lastUpstream = http;
  if (!options.stream) return new IotClient(http);
  return new IotClient({ request: (req) => http.request(req), stream: fakeStream(pool) });
}

/** The HTTP layer of the last client built, for assertions on how DigiCert's answer itself is read. */
let lastUpstream: UpstreamClient;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  sent = [];
});
afterEach(async () => {
  await agent.close();
});

describe("IotClient reads", () => {
  it("lists enrollment profiles with the API key, offset and limit", async () => {
    const page = { records: [{ id: PROFILE, name: "P" }], total: 1, offset: 0, limit: 20 };
    agent
      .get(ORIGIN)
      .intercept({
        path: "/iot/api/v1/enrollment-profile?offset=0&limit=20",
        method: "GET",
        headers: { "x-api-key": API_KEY },
      })
      .reply(200, page);
    expect(await client().listEnrollmentProfiles(0, 20)).toEqual({
      items: [PROFILE_P],
      total: 1,
      offset: 0,
      limit: 20,
      skipped: 0,
    });
  });

  it("reads a profile, and null for one DigiCert answers 403 or 404 for", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: `/iot/api/v1/enrollment-profile/${PROFILE}` })
      .reply(200, { id: PROFILE, name: "P" });
    pool
      .intercept({ path: `/iot/api/v1/enrollment-profile/${PROFILE}` })
      .reply(403, { errors: [{ code: "no_access", message: "User has no access" }] });
    pool
      .intercept({ path: `/iot/api/v1/enrollment-profile/${PROFILE}` })
      .reply(404, { errors: [{ code: "resource_not_found", message: "Enrollment profile not found" }] });
    const iot = client();
    expect(await iot.getEnrollmentProfile(PROFILE)).toEqual(PROFILE_P);
    expect(await iot.getEnrollmentProfile(PROFILE)).toBeNull();
    expect(await iot.getEnrollmentProfile(PROFILE)).toBeNull();
  });

  it("reads the enrollment specification", async () => {
    const spec = { fields: [{ id: "DEVICE_IDENTIFIER", name: "Device identifier" }] };
    agent
      .get(ORIGIN)
      .intercept({ path: `/iot/api/v1/enrollment-profile/${PROFILE}/enrollment-specification` })
      .reply(200, spec);
    expect(await client().getEnrollmentSpecification(PROFILE)).toEqual([
      {
        id: "DEVICE_IDENTIFIER",
        name: "Device identifier",
        kind: "UNKNOWN",
        required: false,
        multiple: false,
        fixedValue: null,
      },
    ]);
  });

  it("lists certificates with IoT's filter names", async () => {
    agent
      .get(ORIGIN)
      .intercept({
        path: `/iot/api/v1/certificate?status=ISSUED%2CREVOKED&enrollment_profile_id=${PROFILE}&device_identifier=SENSOR-1&offset=40&limit=20`,
      })
      .reply(200, { records: [], total: 0, offset: 40, limit: 20 });
    const page = await client().listCertificates(
      { statuses: ["ISSUED", "REVOKED"], enrollmentProfileId: PROFILE, deviceIdentifier: "SENSOR-1" },
      40,
      20,
    );
    expect(page.items).toEqual([]);
  });

  it("reads a certificate by id or by serial, and null for 403 or 404", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `/iot/api/v1/certificate/${CERT_ID}` }).reply(200, CERTIFICATE_RECORD);
    pool.intercept({ path: `/iot/api/v1/certificate/${SERIAL}` }).reply(200, CERTIFICATE_RECORD);
    pool
      .intercept({ path: `/iot/api/v1/certificate/${SERIAL}` })
      .reply(404, { errors: [{ code: "resource_not_found", message: "Certificate not found" }] });
    pool
      .intercept({ path: `/iot/api/v1/certificate/${CERT_ID}` })
      .reply(403, { errors: [{ code: "no_access", message: "User has no access to the certificate" }] });
    const iot = client();
    expect(await iot.getCertificate(CERT_ID)).toEqual(DEVICE_CERTIFICATE);
    expect(await iot.getCertificate(SERIAL)).toEqual(DEVICE_CERTIFICATE);
    expect(await iot.getCertificate(SERIAL)).toBeNull();
    expect(await iot.getCertificate(CERT_ID)).toBeNull();
  });

  it("still retries a read after a 503", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `/iot/api/v1/certificate/${CERT_ID}` }).reply(503, "{}");
    pool.intercept({ path: `/iot/api/v1/certificate/${CERT_ID}` }).reply(200, CERTIFICATE_RECORD);
    expect(await client({ maxAttempts: 3 }).getCertificate(CERT_ID)).toEqual(DEVICE_CERTIFICATE);
  });

  it("reads a batch job, and null for an unknown one", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: `/iot/api/v1/batch-enroll/${JOB}` })
      .reply(200, { job_id: JOB, status: "COMPLETE" });
    pool
      .intercept({ path: `/iot/api/v1/batch-enroll/${JOB}` })
      .reply(404, { errors: [{ code: "resource_not_found", message: "Batch job not found" }] });
    const iot = client();
    expect(await iot.getBatchJob(JOB)).toEqual(iotBatchJob({ status: "COMPLETE" }));
    expect(await iot.getBatchJob(JOB)).toBeNull();
  });

  it("reads a JSON download through request()", async () => {
    const download = { job_id: JOB, chain: [], certificates: [] };
    agent
      .get(ORIGIN)
      .intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/download-certificates` })
      .reply(200, download);
    expect(await client().downloadBatchCertificatesJson(JOB)).toEqual({
      jobId: JOB,
      chain: [],
      certificates: [],
      skipped: 0,
    });
  });

  it("never writes the API key to its logs", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/iot/api/v1/certificate/${CERT_ID}` })
      .reply(500, "{}");
    await client()
      .getCertificate(CERT_ID)
      .catch(() => undefined);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join("\n")).not.toContain(API_KEY);
  });
});

describe("IotClient writes", () => {
  it("enrolls with the JSON body as given", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/iot/api/v1/certificate", method: "POST", body: JSON.stringify(ENROLL_BODY) })
      .reply(200, { certificate_id: CERT_ID, status: "AUTO_APPROVED", result: "SUCCESS" });
    expect(await client().enrollCertificate(ENROLL_BODY, null)).toEqual(
      enrolled({ status: "AUTO_APPROVED", result: "SUCCESS" }),
    );
  });

  it("never sends an enrollment twice, even after a 503 with Retry-After", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: "/iot/api/v1/certificate", method: "POST" })
      .reply(
        503,
        { errors: [{ code: "service_unavailable", message: "" }] },
        { headers: { "retry-after": "0" } },
      );
    pool
      .intercept({ path: "/iot/api/v1/certificate", method: "POST" })
      .reply(200, { certificate_id: CERT_ID });
    const error = await client({ maxAttempts: 3 })
      .enrollCertificate(ENROLL_BODY, null)
      .catch((e: unknown) => e);
    // The 503's own meaning (not processed, Retry-After kept), not what a second POST would have answered.
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryAfterSeconds).toBe(0);
    expect(agent.pendingInterceptors()).toHaveLength(1); // the second POST was never sent
  });

  it("never resends an enrollment after a connection reset (it may have reached DigiCert)", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({ path: "/iot/api/v1/certificate", method: "POST" })
      .replyWithError(Object.assign(new Error("socket hang up"), { code: "UND_ERR_SOCKET" }));
    pool
      .intercept({ path: "/iot/api/v1/certificate", method: "POST" })
      .reply(200, { certificate_id: CERT_ID });
    const error = await client({ maxAttempts: 3 })
      .enrollCertificate(ENROLL_BODY, null)
      .catch((e: unknown) => e);
    // A transport failure that may have reached DigiCert: to the caller, the outcome is unknown.
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it("renews by id or serial with POST, never twice", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({
        path: `/iot/api/v1/certificate/${SERIAL}/renew`,
        method: "POST",
        body: JSON.stringify({ csr: "x" }),
      })
      .reply(200, { certificate_id: CERT_ID });
    pool.intercept({ path: `/iot/api/v1/certificate/${CERT_ID}/renew`, method: "POST" }).reply(503, "{}");
    pool.intercept({ path: `/iot/api/v1/certificate/${CERT_ID}/renew`, method: "POST" }).reply(200, {});
    const iot = client({ maxAttempts: 3 });
    expect(await iot.renewCertificate(SERIAL, { csr: "x" }, null)).toEqual(enrolled());
    const error = await iot.renewCertificate(CERT_ID, { csr: "x" }, null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it("revokes with PUT {reason} and accepts 204, never twice", async () => {
    const pool = agent.get(ORIGIN);
    pool
      .intercept({
        path: `/iot/api/v1/certificate/${CERT_ID}/revoke`,
        method: "PUT",
        body: JSON.stringify({ reason: "key_compromise" }),
      })
      .reply(204, "");
    pool.intercept({ path: `/iot/api/v1/certificate/${SERIAL}/revoke`, method: "PUT" }).reply(503, "{}");
    pool.intercept({ path: `/iot/api/v1/certificate/${SERIAL}/revoke`, method: "PUT" }).reply(204, "");
    const iot = client({ maxAttempts: 3 });
    await expect(iot.revokeCertificate(CERT_ID, "KEY_COMPROMISE")).resolves.toBeUndefined();
    const error = await iot.revokeCertificate(SERIAL, "SUPERSEDED").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it("approves and rejects a batch job with PUT, never twice", async () => {
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/approve`, method: "PUT" }).reply(204, "");
    pool.intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/reject`, method: "PUT" }).reply(503, "{}");
    pool.intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/reject`, method: "PUT" }).reply(204, "");
    const iot = client({ maxAttempts: 3 });
    await expect(iot.decideBatchJob(JOB, "approve")).resolves.toBeUndefined();
    expect(await iot.decideBatchJob(JOB, "reject").catch((e: unknown) => e)).toBeInstanceOf(
      UpstreamUnavailableError,
    );
    expect(agent.pendingInterceptors()).toHaveLength(1);
  });

  it("passes IoT's error envelope on as an UpstreamHttpError without its message text", async () => {
    const envelope = {
      errors: [
        {
          code: "invalid_input_field",
          message: "pkcs12_password hunter2 is bad",
          field: "pkcs12_password",
        },
      ],
    };
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: "/iot/api/v1/certificate", method: "POST" }).reply(400, envelope);
    pool.intercept({ path: "/iot/api/v1/certificate", method: "POST" }).reply(400, envelope);
    const iot = client();
    // The HTTP layer reads the envelope: code and field, never the message text.
    const error = (await lastUpstream
      .request({
        operation: "iot.enrollCertificate",
        method: "POST",
        idempotent: false,
        path: upstreamPath`/iot/api/v1/certificate`,
        body: ENROLL_BODY,
      })
      .catch((e: unknown) => e)) as UpstreamHttpError;
    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect(error.details[0]).toMatchObject({ code: "invalid_input_field", field: "pkcs12_password" });
    expect(error.message).not.toContain("hunter2");
    // The client maps it onto the caller's input path, in our words.
    const mapped = await iot.enrollCertificate(ENROLL_BODY, null).catch((e: unknown) => e);
    expect(mapped).toBeInstanceOf(ValidationError);
    expect(mapped).toMatchObject({
      code: "VALIDATION_FAILED",
      field: "input.serverSideKeyGeneration.pkcs12Password",
    });
    expect((mapped as Error).message).not.toContain("hunter2");
  });
});

describe("branded identifiers", () => {
  it("refuse anything that could change an upstream path before a call is made", () => {
    for (const value of ["../../mpki/api/v1/certificate", "a/b", "IOT_../x", "", "%2e%2e"]) {
      expect(() => parseIotProfileId(value), value).toThrow(ValidationError);
      expect(() => parseDeviceCertificateRef(value), value).toThrow(ValidationError);
      expect(() => parseBatchJobId(value), value).toThrow(ValidationError);
    }
  });

  it("percent-encode even a forged id, so it stays one path segment", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/iot/api/v1/certificate/..%2F..%2Fmpki" })
      .reply(404, { errors: [{ code: "resource_not_found", message: "" }] });
    expect(await client().getCertificate("../../mpki" as DeviceCertificateId)).toBeNull();
    await expect(client().getCertificate(".." as DeviceCertificateId)).rejects.toThrow(TypeError);
  });
});

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

const CSV = 'subject.common_name,DEVICE_IDENTIFIER\n"a.example.com",A1\nb.example.com,B1\n';
const JOB_JSON = { job_id: JOB, status: "APPROVED", total: 2, success: 0, failed: 0 };

describe("batch uploads", () => {
  it("streams the fields and the file as multipart/form-data, with an exact Content-Length", async () => {
    agent.get(ORIGIN).intercept({ path: "/iot/api/v1/batch-enroll", method: "POST" }).reply(201, JOB_JSON);
    const job = await client({ stream: true }).createBatchEnrollment({
      fields: {
        enrollment_profile_id: PROFILE,
        certificate_format: "json",
        key_generation: "client_side",
        include_full_chain_with_each_certificate: "true",
      },
      file: {
        name: 'rows"\r\nX-Injected: 1.csv',
        contentType: "text/csv",
        stream: Readable.from([Buffer.from(CSV.slice(0, 10)), Buffer.from(CSV.slice(10))]),
        size: Buffer.byteLength(CSV),
      },
    });
    expect(job).toEqual(iotBatchJob({ status: "APPROVED", total: 2, success: 0, failed: 0 }));
    const [request] = sent;
    expect(request?.method).toBe("POST");
    expect(request?.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(Number(request?.headers["content-length"])).toBe(request?.body?.length);
    const parsed = await parseMultipart(request!.headers["content-type"]!, request!.body!);
    expect(parsed.fields).toEqual({
      enrollment_profile_id: PROFILE,
      certificate_format: "json",
      key_generation: "client_side",
      include_full_chain_with_each_certificate: "true",
    });
    expect(parsed.files.file).toEqual({
      filename: "rows%22%0D%0AX-Injected: 1.csv",
      mimeType: "text/csv",
      data: CSV,
    });
  });

  it("sends a file of unknown size without Content-Length", async () => {
    agent.get(ORIGIN).intercept({ path: "/iot/api/v1/batch-enroll", method: "POST" }).reply(201, JOB_JSON);
    async function* chunks() {
      yield new TextEncoder().encode(CSV);
    }
    await client({ stream: true }).createBatchEnrollment({
      fields: { enrollment_profile_id: PROFILE, certificate_format: "pem" },
      file: { name: "rows.csv", stream: chunks() },
    });
    expect(sent[0]?.headers["content-length"]).toBeUndefined();
    const parsed = await parseMultipart(sent[0]!.headers["content-type"]!, sent[0]!.body!);
    expect(parsed.files.file).toMatchObject({ mimeType: "application/octet-stream", data: CSV });
  });

  it("refuses a file that is not the size it declared", async () => {
    agent.get(ORIGIN).intercept({ path: "/iot/api/v1/batch-enroll", method: "POST" }).reply(201, JOB_JSON);
    const error = await client({ stream: true })
      .createBatchEnrollment({
        fields: { enrollment_profile_id: PROFILE, certificate_format: "json" },
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]), size: 5 },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
  });

  it("accepts a FormData", async () => {
    agent.get(ORIGIN).intercept({ path: "/iot/api/v1/batch-enroll", method: "POST" }).reply(201, JOB_JSON);
    const form = new FormData();
    form.append("enrollment_profile_id", PROFILE);
    form.append("certificate_format", "der");
    form.append("file", new Blob([CSV], { type: "text/csv" }), "rows.csv");
    await client({ stream: true }).createBatchEnrollment(form);
    expect(Number(sent[0]?.headers["content-length"])).toBe(sent[0]?.body?.length);
    const parsed = await parseMultipart(sent[0]!.headers["content-type"]!, sent[0]!.body!);
    expect(parsed.fields).toEqual({ enrollment_profile_id: PROFILE, certificate_format: "der" });
    expect(parsed.files.file).toEqual({ filename: "rows.csv", mimeType: "text/csv", data: CSV });
  });

  it("reports DigiCert's refusal as an UpstreamHttpError", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/iot/api/v1/batch-enroll", method: "POST" })
      .reply(413, { errors: [{ code: "request_too_large", message: "too big", field: "file" }] });
    const error = await client({ stream: true })
      .createBatchEnrollment({
        fields: { enrollment_profile_id: PROFILE, certificate_format: "json" },
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
      })
      .catch((e: unknown) => e);
    // DigiCert's 413: the upload is too large, on the caller's file.
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "input.file" });
    expect((error as Error).message).not.toContain("too big");
  });

  it("refuses a job answer that is not JSON without quoting it", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: "/iot/api/v1/batch-enroll", method: "POST" })
      .reply(201, "-----BEGIN oops");
    const error = await client({ stream: true })
      .createBatchEnrollment({
        fields: { enrollment_profile_id: PROFILE, certificate_format: "json" },
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
      })
      .catch((e: unknown) => e);
    // An unreadable answer to an upload: the job may exist.
    expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect((error as Error).message).not.toContain("oops");
  });

  it("needs the upstream's stream(): without it nothing is sent", async () => {
    const noStream = new IotClient({ request: () => Promise.reject(new Error("not used")) });
    const error = await noStream
      .createBatchEnrollment({
        fields: { enrollment_profile_id: PROFILE, certificate_format: "json" },
        file: { name: "rows.csv", stream: Readable.from([Buffer.from(CSV)]) },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    await expect(noStream.downloadBatchCertificates(JOB)).rejects.toThrow(TypeError);
  });
});

describe("batch downloads", () => {
  it("hands back the body unread, with safe headers", async () => {
    const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]);
    agent
      .get(ORIGIN)
      .intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/download-certificates` })
      .reply(200, zip, {
        headers: {
          "content-type": "application/zip",
          "content-length": String(zip.length),
          "content-disposition": `attachment; filename="${JOB}.zip"`,
        },
      });
    const download = await client({ stream: true }).downloadBatchCertificates(JOB);
    expect(sent[0]?.headers.accept).toContain("application/pkcs7-mime");
    expect(download).toMatchObject({
      contentType: "application/zip",
      contentLength: zip.length,
      fileName: `${JOB}.zip`,
      headers: {
        "content-type": "application/zip",
        "content-length": String(zip.length),
        "content-disposition": `attachment; filename="${JOB}.zip"`,
      },
    });
    const chunks: Uint8Array[] = [];
    for await (const chunk of download.body) chunks.push(chunk);
    expect(Buffer.concat(chunks)).toEqual(zip);
  });

  it("drops an unsafe file name and an unknown content type", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/download-certificates` })
      .reply(200, "x", {
        headers: {
          "content-type": "text/html",
          "content-disposition": 'attachment; filename="../../evil\r\n.sh"',
        },
      });
    const download = await client({ stream: true }).downloadBatchCertificates(JOB);
    expect(download).toMatchObject({
      contentType: "application/octet-stream",
      fileName: null,
      headers: { "content-type": "application/octet-stream" },
    });
    for await (const _chunk of download.body) void _chunk;
  });

  it("keeps the P7M content type of server-side downloads", async () => {
    agent
      .get(ORIGIN)
      .intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/download-certificates` })
      .reply(200, Buffer.from([0x30, 0x80]), {
        headers: { "content-type": "application/pkcs7-mime; smime-type=enveloped-data" },
      });
    const download = await client({ stream: true }).downloadBatchCertificates(JOB);
    expect(download.contentType).toBe("application/pkcs7-mime");
    for await (const _chunk of download.body) void _chunk;
  });

  it("throws DigiCert's refusal of a job that is not COMPLETE", async () => {
    const envelope = { errors: [{ code: "invalid_request", message: "Batch job is IN_PROGRESS" }] };
    const pool = agent.get(ORIGIN);
    pool.intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/download-certificates` }).reply(400, envelope);
    pool.intercept({ path: `/iot/api/v1/batch-enroll/${JOB}/download-certificates` }).reply(400, envelope);
    const iot = client({ stream: true });
    const http = (await lastUpstream
      .request({
        operation: "iot.downloadBatchCertificates",
        method: "GET",
        path: upstreamPath`/iot/api/v1/batch-enroll/${JOB}/download-certificates`,
      })
      .catch((e: unknown) => e)) as UpstreamHttpError;
    expect(http).toBeInstanceOf(UpstreamHttpError);
    expect(http.status).toBe(400);
    expect(http.hasCode("invalid_request")).toBe(true);
    const error = await iot.downloadBatchCertificates(JOB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: "VALIDATION_FAILED", field: "id" });
    expect((error as Error).message).toContain("COMPLETE");
    expect((error as Error).message).not.toContain("IN_PROGRESS");
  });
});
