import { execFile } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as x509 from "@peculiar/x509";
import { unzipSync } from "fflate";
import { graphql } from "graphql";
import { LRUCache } from "lru-cache";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IOT_PROFILE_IDS } from "../../simulator/index.js";
import { createContext, type Services } from "../../src/context.js";
import type { UpstreamRequest } from "../../src/datasources/http.js";
import { IotClient } from "../../src/datasources/iot/client.js";
import type { TlmClient } from "../../src/datasources/tlm/client.js";
import { schema } from "../../src/schema/index.js";
import { IdempotencyStore } from "../../src/stores/idempotency.js";
import { createParsedCertificateCache } from "../../src/stores/parsed-certificates.js";
import { generateCsr, selfSignedCertificate } from "../helpers/pki.js";
import { type GqlResult, type Stack, startStack } from "../helpers/stack.js";
import { DOC_FILE, DOCUMENTED_DOWNLOAD } from "../helpers/iot-docs.js";

const run = promisify(execFile);

let stack: Stack;
let token: string;
/** The caller's own encryption certificate (RSA) for server-side keys; its key stays in the test. */
let encryption: { certificatePem: string; privateKeyPem: string; keys: CryptoKeyPair };

const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

async function rsaCertificate(keys: CryptoKeyPair, notBefore: Date, notAfter: Date): Promise<string> {
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0b1c",
    name: "CN=Factory key recipient, O=Tests",
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: RSA,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment)],
  });
  return certificate.toString("pem");
}

beforeAll(async () => {
  stack = await startStack({ simulator: { batchStepMs: 50, seedCertificates: 4, seedIotCertificates: 0 } });
  token = await stack.token();
  const keys = (await crypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  encryption = {
    certificatePem: await rsaCertificate(
      keys,
      new Date(Date.now() - 60_000),
      new Date(Date.now() + 86_400_000),
    ),
    privateKeyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY"),
    keys,
  };
});
afterAll(async () => {
  await stack?.close();
});

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const CREATE = `mutation($input: CreateIotBatchEnrollmentInput!) {
  createIotBatchEnrollment(input: $input) {
    __typename
    ... on IotBatchEnrollmentCreated { job { id jobId status keyGeneration certificateFormat fileName totalCount } }
    ... on ValidationError { field }
    ... on InvalidBatchFileError { field problems { row column entry message } }
    ... on ProfileNotFoundError { profileId }
    ... on Error { code message }
  }
}`;

type Created = {
  __typename: string;
  job?: {
    id: string;
    jobId: string;
    status: string;
    keyGeneration: string;
    fileName: string;
    totalCount: number;
  };
  field?: string;
  code?: string;
  message?: string;
  profileId?: string;
  problems?: { row: number | null; column: string | null; entry: string | null; message: string }[];
};

interface UploadOptions {
  /** null: no Authorization header. */
  token?: string | null;
  /** Default: the CSRF header. */
  headers?: Record<string, string>;
  /** Default "devices.csv". */
  fileName?: string;
  /** Send no file part (the map still names one). */
  omitFile?: boolean;
}

/** A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec), built by hand. */
async function upload(
  input: Record<string, unknown>,
  file: string | Uint8Array,
  options: UploadOptions = {},
): Promise<{ status: number; body: GqlResult<{ createIotBatchEnrollment: Created | null }> }> {
  const form = new FormData();
  form.set("operations", JSON.stringify({ query: CREATE, variables: { input: { ...input, file: null } } }));
  form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
  if (!options.omitFile) {
    const data = typeof file === "string" ? file : new Uint8Array(file);
    form.set("0", new Blob([data], { type: "text/csv" }), options.fileName ?? "devices.csv");
  }
  const bearer = options.token === undefined ? token : options.token;
  const res = await fetch(stack.url, {
    method: "POST",
    headers: {
      accept: "application/graphql-response+json",
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(options.headers ?? { "x-graphql-csrf": "1" }),
    },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** Uploads and expects a job. */
async function create(
  input: Record<string, unknown>,
  file: string | Uint8Array,
): Promise<NonNullable<Created["job"]>> {
  const { body } = await upload(input, file);
  expect(body.errors).toBeUndefined();
  const result = body.data!.createIotBatchEnrollment!;
  expect(result.__typename, JSON.stringify(result)).toBe("IotBatchEnrollmentCreated");
  return result.job!;
}

/** A CSV cell, quoted so PEM line breaks survive. */
function cell(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** A client-side CSV: one fresh key and CSR per row. Returns the CSV and each row's public key (SPKI, DER). */
async function csrCsv(names: string[], extra: { header: string; value: string } | null = null) {
  const lines = [`csr,subject.common_name,DEVICE_IDENTIFIER${extra ? `,${extra.header}` : ""}`];
  const publicKeys: Buffer[] = [];
  for (const name of names) {
    const { pem, keys } = await generateCsr({ subject: `CN=${name}` });
    publicKeys.push(Buffer.from(await crypto.subtle.exportKey("spki", keys.publicKey)));
    lines.push(
      [cell(pem), name, name.split(".")[0]!.toUpperCase(), ...(extra ? [extra.value] : [])].join(","),
    );
  }
  return { csv: `${lines.join("\r\n")}\r\n`, publicKeys };
}

const JOB_FIELDS = `
  __typename id jobId kind status totalCount successCount failedCount createdAt completedAt
  report { failureReason rowErrors { uniqueIdentifier message } }
  ... on IotBatchJob {
    enrollmentProfileId keyGeneration certificateFormat keyType privateKeyFormat fileName approvedAt rejectedAt
    download { url contentType fileName }
  }`;

async function readJob(id: string, fields = JOB_FIELDS, bearer: string = token) {
  const res = await stack.gql<{ batchJob: any }>(
    `query($id: ID!) { batchJob(id: $id) { ${fields} } }`,
    { id },
    { token: bearer },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.batchJob;
}

async function waitFor(id: string, status: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await readJob(id);
    if (job?.status === status) return job;
    if (["COMPLETE", "FAILED", "REJECTED"].includes(job?.status) || Date.now() > deadline) {
      throw new Error(`job ${id} is ${JSON.stringify(job)} while waiting for ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function decide(name: "approveIotBatchJob" | "rejectIotBatchJob", id: string) {
  const res = await stack.gql<Record<string, any>>(
    `mutation($id: ID!) { ${name}(id: $id) {
      __typename
      ... on ${name === "approveIotBatchJob" ? "IotBatchJobApproved" : "IotBatchJobRejected"} {
        jobId job { status approvedAt rejectedAt }
      }
      ... on RequestNotFoundError { requestId }
      ... on ValidationError { field }
      ... on Error { code message }
    } }`,
    { id },
  );
  expect(res.errors).toBeUndefined();
  return res.data![name];
}

/** GET through the gateway's download route. */
async function fetchDownload(path: string, init: { token?: string | null; method?: string } = {}) {
  const bearer = init.token === undefined ? token : init.token;
  const res = await fetch(new URL(path, stack.url), {
    method: init.method ?? "GET",
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

/** Runs `fn` in a fresh temporary directory that is always removed (it holds a private key). */
async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "gw-iot-batch-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `openssl smime -decrypt` with the test's encryption key, as DigiCert's docs show. */
async function smimeDecrypt(p7m: Uint8Array): Promise<Buffer> {
  return withTempDir(async (dir) => {
    const input = join(dir, "input.p7m");
    const output = join(dir, "output.bin");
    const keyFile = join(dir, "encryption.key");
    await writeFile(input, p7m);
    await writeFile(keyFile, encryption.privateKeyPem, { mode: 0o600 });
    await run("openssl", [
      "smime",
      "-decrypt",
      "-binary",
      "-inform",
      "DER",
      "-in",
      input,
      "-out",
      output,
      "-inkey",
      keyFile,
    ]);
    return readFile(output);
  });
}

function spkiOfKey(key: string | Buffer, format: "pem" | "der" = "pem"): Buffer {
  const privateKey =
    format === "pem"
      ? createPrivateKey(key)
      : createPrivateKey({ key: key as Buffer, format: "der", type: "pkcs8" });
  return createPublicKey(privateKey).export({ type: "spki", format: "der" });
}

function spkiOfCertificate(pem: string): Buffer {
  return Buffer.from(new x509.X509Certificate(pem).publicKey.rawData);
}

const BATCH_CREATE = "POST /iot/api/v1/batch-enroll";

// ---------------------------------------------------------------------------------------------
// Client-side keys
// ---------------------------------------------------------------------------------------------

describe("a client-side batch from a CSV of CSRs", () => {
  it("waits for approval on an approval profile, completes once approved, and reads as typed certificates whose chain is in order", async () => {
    const names = ["board-1.factory.example.com", "board-2.factory.example.com"];
    const { csv, publicKeys } = await csrCsv(names, { header: "Site", value: "Plant 9" });
    const created = await create(
      {
        enrollmentProfileId: IOT_PROFILE_IDS.factoryBatch,
        keyGeneration: "CLIENT_SIDE",
        certificateFormat: "JSON",
      },
      csv,
    );
    expect(created).toMatchObject({
      status: "PENDING_APPROVAL",
      keyGeneration: "CLIENT_SIDE",
      certificateFormat: "JSON",
      fileName: "devices.csv",
      totalCount: 2,
    });
    expect(Buffer.from(created.id, "base64").toString()).toBe(`IotBatchJob:${created.jobId}`);

    // Still waiting: no certificates, no download.
    const pending = await readJob(
      created.id,
      `status ... on IotBatchJob { certificates { pem } chain { pem } download { url } }`,
    );
    expect(pending).toEqual({ status: "PENDING_APPROVAL", certificates: null, chain: null, download: null });

    const approved = await decide("approveIotBatchJob", created.id);
    expect(approved).toMatchObject({ __typename: "IotBatchJobApproved", jobId: created.jobId });
    expect(["APPROVED", "IN_PROGRESS", "COMPLETE"]).toContain(approved.job.status);
    expect(approved.job.approvedAt).toEqual(expect.any(String));

    // The raw job id reads the same job as the global id.
    const done = await waitFor(created.jobId, "COMPLETE");
    expect(done).toMatchObject({
      __typename: "IotBatchJob",
      id: created.id,
      kind: "IOT_ENROLLMENT",
      successCount: 2,
      failedCount: 0,
      enrollmentProfileId: IOT_PROFILE_IDS.factoryBatch,
      report: { failureReason: null, rowErrors: [] },
      download: {
        url: `/downloads/iot-batch/${created.jobId}`,
        contentType: "application/json",
        fileName: `${created.jobId}.json`,
      },
    });

    // node(id) reads it too, through the BatchJob interface.
    const node = await stack.gql<{ node: unknown }>(
      `query($id: ID!) { node(id: $id) { __typename ... on BatchJob { jobId status } } }`,
      { id: created.id },
    );
    expect(node.data?.node).toEqual({ __typename: "IotBatchJob", jobId: created.jobId, status: "COMPLETE" });

    const read = await readJob(
      created.id,
      `... on IotBatchJob {
        certificates {
          certificateId uniqueIdentifier pem privateKey
          x509 { serialNumber subject { commonName } issuer { dn } publicKey { algorithm curve } }
          chain { pem }
        }
        chain { commonName pem x509 { subject { dn commonName } issuer { dn } selfSigned basicConstraints { ca } } }
      }`,
    );
    expect(read.certificates.map((c: any) => c.uniqueIdentifier)).toEqual(["Line #0000001", "Line #0000002"]);
    expect(read.certificates.map((c: any) => c.x509.subject.commonName)).toEqual(names);
    for (const [i, certificate] of read.certificates.entries()) {
      expect(certificate.certificateId).toMatch(/^[0-9a-f-]{36}$/);
      expect(certificate.privateKey).toBeNull();
      expect(certificate.chain).toEqual([]);
      expect(certificate.x509.publicKey).toEqual({ algorithm: "EC", curve: "P-256" });
      // Each certificate carries the key of its own row's CSR.
      expect(spkiOfCertificate(certificate.pem).equals(publicKeys[i]!)).toBe(true);
    }

    // The chain is in order: the leaf is signed by chain[0], chain[0] by chain[1], chain[1] by itself.
    expect(read.chain).toHaveLength(2);
    expect(read.chain[1].x509.selfSigned).toBe(true);
    expect(read.chain.every((c: any) => c.x509.basicConstraints.ca)).toBe(true);
    expect(read.chain[0].commonName).toBe(read.chain[0].x509.subject.commonName);
    const leaf = new x509.X509Certificate(read.certificates[0].pem);
    const [intermediate, root] = read.chain.map((c: any) => new x509.X509Certificate(c.pem));
    expect(await leaf.verify({ publicKey: intermediate!.publicKey, signatureOnly: true })).toBe(true);
    expect(await intermediate!.verify({ publicKey: root!.publicKey, signatureOnly: true })).toBe(true);
    expect(await root!.verify({ signatureOnly: true })).toBe(true);
    expect(await leaf.verify({ publicKey: root!.publicKey, signatureOnly: true })).toBe(false);
    expect(read.certificates[0].x509.issuer.dn).toBe(read.chain[0].x509.subject.dn);

    // The same file through the gateway's download route.
    const { res, body } = await fetchDownload(done.download.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${created.jobId}.json"`);
    const json = JSON.parse(body.toString());
    expect(json.job_id).toBe(created.jobId);
    expect(json.certificates.map((c: any) => c.id)).toEqual(
      read.certificates.map((c: any) => c.certificateId),
    );
  });

  it("offers a PEM job as a ZIP through the gateway, with the certificates and the chain inside", async () => {
    const names = ["meter-1.example.com"];
    const { csv, publicKeys } = await csrCsv(names);
    const created = await create(
      {
        enrollmentProfileId: IOT_PROFILE_IDS.deviceCsr,
        keyGeneration: "CLIENT_SIDE",
        certificateFormat: "PEM",
      },
      csv,
    );
    expect(created.status).toBe("APPROVED");
    await waitFor(created.id, "COMPLETE");
    const job = await readJob(
      created.id,
      `... on IotBatchJob { certificates { pem } chain { pem } download { url contentType fileName } }`,
    );
    expect(job).toEqual({
      certificates: null,
      chain: null,
      download: {
        url: `/downloads/iot-batch/${created.jobId}`,
        contentType: "application/zip",
        fileName: `${created.jobId}.zip`,
      },
    });

    const { res, body } = await fetchDownload(job.download.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${created.jobId}.zip"`);
    // Streamed as DigiCert sends it: a Content-Length only when DigiCert gave one (the simulator streams).
    expect(res.headers.get("content-length") ?? String(body.length)).toBe(String(body.length));
    const files = unzipSync(new Uint8Array(body));
    const certificates = Object.keys(files).filter((name) => name.startsWith("certificates/"));
    expect(certificates).toHaveLength(1);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(["manifest.csv", "chain/intermediate.pem", "chain/root.pem"]),
    );
    const leafPem = Buffer.from(files[certificates[0]!]!).toString();
    expect(spkiOfCertificate(leafPem).equals(publicKeys[0]!)).toBe(true);
    const intermediate = new x509.X509Certificate(Buffer.from(files["chain/intermediate.pem"]!).toString());
    expect(
      await new x509.X509Certificate(leafPem).verify({
        publicKey: intermediate.publicKey,
        signatureOnly: true,
      }),
    ).toBe(true);
  });

  it("ends REJECTED when rejected, issues nothing, and cannot be approved afterwards", async () => {
    const { csv } = await csrCsv(["board-9.factory.example.com"], { header: "Site", value: "Plant 1" });
    const created = await create(
      {
        enrollmentProfileId: IOT_PROFILE_IDS.factoryBatch,
        keyGeneration: "CLIENT_SIDE",
        certificateFormat: "JSON",
      },
      csv,
    );
    expect(created.status).toBe("PENDING_APPROVAL");
    const rejected = await decide("rejectIotBatchJob", created.jobId);
    expect(rejected).toMatchObject({
      __typename: "IotBatchJobRejected",
      jobId: created.jobId,
      job: { status: "REJECTED", rejectedAt: expect.any(String) },
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const job = await readJob(created.id);
    expect(job).toMatchObject({ status: "REJECTED", successCount: 0, download: null });

    const again = await decide("approveIotBatchJob", created.id);
    expect(again).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED", field: "id" });
    expect(again.message).toContain("PENDING_APPROVAL");
  });

  it("answers an unknown job with null, and deciding on it with RequestNotFoundError", async () => {
    const unknown = "0f0f0f0f-0000-4000-8000-000000000000";
    expect(await readJob(unknown)).toBeNull();
    for (const name of ["approveIotBatchJob", "rejectIotBatchJob"] as const) {
      expect(await decide(name, unknown)).toMatchObject({
        __typename: "RequestNotFoundError",
        code: "REQUEST_NOT_FOUND",
        requestId: unknown,
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Server-side keys
// ---------------------------------------------------------------------------------------------

describe("a server-side batch", () => {
  const rows = `subject.common_name,DEVICE_IDENTIFIER\nsrv-1.example.com,SRV-1\nsrv-2.example.com,SRV-2\n`;

  it("downloads as a P7M that openssl smime decrypts with the caller's key, holding keys that match their certificates", async () => {
    const created = await create(
      {
        enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
        keyGeneration: "SERVER_SIDE",
        certificateFormat: "PEM",
        serverSideKeyGeneration: { encryptionCertificate: encryption.certificatePem, keyType: "P_256" },
      },
      rows,
    );
    const done = await waitFor(created.id, "COMPLETE");
    expect(done).toMatchObject({
      keyGeneration: "SERVER_SIDE",
      keyType: "P_256",
      successCount: 2,
      download: { contentType: "application/pkcs7-mime", fileName: `${created.jobId}.p7m` },
    });

    const { res, body } = await fetchDownload(done.download.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pkcs7-mime");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${created.jobId}.p7m"`);

    const files = unzipSync(new Uint8Array(await smimeDecrypt(body)));
    const certificates = Object.keys(files)
      .filter((name) => name.startsWith("certificates/"))
      .sort();
    const keys = Object.keys(files)
      .filter((name) => name.startsWith("private_keys/"))
      .sort();
    expect(certificates).toHaveLength(2);
    expect(keys).toHaveLength(2);
    for (const [i, name] of certificates.entries()) {
      const serial = name.slice("certificates/".length, -".pem".length);
      expect(keys[i]).toBe(`private_keys/${serial}.key`);
      const certificate = Buffer.from(files[name]!).toString();
      const key = Buffer.from(files[keys[i]!]!).toString();
      expect(spkiOfKey(key).equals(spkiOfCertificate(certificate))).toBe(true);
    }
  });

  it("reads a JSON job's encrypted keys with keys:generate, which decrypt to each certificate's key, and withholds them without", async () => {
    const created = await create(
      {
        enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
        keyGeneration: "SERVER_SIDE",
        certificateFormat: "JSON",
        serverSideKeyGeneration: { encryptionCertificate: encryption.certificatePem, keyType: "RSA_2048" },
      },
      rows,
    );
    await waitFor(created.id, "COMPLETE");
    const fields = `... on IotBatchJob { certificates { uniqueIdentifier pem privateKey x509 { publicKey { algorithm size } } } }`;
    const job = await readJob(created.id, fields);
    expect(job.certificates).toHaveLength(2);
    for (const certificate of job.certificates) {
      expect(certificate.x509.publicKey).toEqual({ algorithm: "RSA", size: 2048 });
      expect(certificate.privateKey).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const key = (await smimeDecrypt(Buffer.from(certificate.privateKey, "base64"))).toString();
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(spkiOfKey(key).equals(spkiOfCertificate(certificate.pem))).toBe(true);
    }

    const batchOnly = await stack.token({ scope: "batch-jobs" });
    const res = await stack.gql<{ batchJob: any }>(
      `query($id: ID!) { batchJob(id: $id) { ${fields} } }`,
      { id: created.id },
      { token: batchOnly },
    );
    expect(res.data!.batchJob.certificates.map((c: any) => [c.uniqueIdentifier, c.privateKey])).toEqual([
      ["Line #0000001", null],
      ["Line #0000002", null],
    ]);
    expect(res.errors?.map((e) => [e.extensions?.code, e.path?.at(-1)])).toEqual([
      ["FORBIDDEN", "privateKey"],
      ["FORBIDDEN", "privateKey"],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

describe("bad input gets a typed error and no upstream call", () => {
  beforeEach(() => stack.simulator.resetCounters());

  const clientSide = {
    enrollmentProfileId: IOT_PROFILE_IDS.deviceCsr,
    keyGeneration: "CLIENT_SIDE",
    certificateFormat: "JSON",
  };
  const serverSide = (keygen: Record<string, unknown>) => ({
    enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
    keyGeneration: "SERVER_SIDE",
    certificateFormat: "PEM",
    serverSideKeyGeneration: { encryptionCertificate: encryption.certificatePem, ...keygen },
  });
  const serverRows = "subject.common_name,DEVICE_IDENTIFIER\na.example.com,A\n";

  async function expectRefused(input: Record<string, unknown>, file: string | Uint8Array, field: string) {
    const { body } = await upload(input, file);
    expect(body.errors).toBeUndefined();
    expect(body.data!.createIotBatchEnrollment).toMatchObject({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      field,
    });
    expect(stack.simulator.requestCounts()).toEqual({});
  }

  /**
   * A file problem: InvalidBatchFileError naming rows, columns or entries. The file is checked against the profile's
   * enrollment specification, so the profile and its specification may be read first; nothing is uploaded.
   */
  async function expectFileRefused(
    input: Record<string, unknown>,
    file: string | Uint8Array,
    problems: Partial<NonNullable<Created["problems"]>[number]>[],
  ) {
    stack.simulator.resetCounters();
    const { body } = await upload(input, file);
    expect(body.errors).toBeUndefined();
    const result = body.data!.createIotBatchEnrollment!;
    expect(result).toMatchObject({
      __typename: "InvalidBatchFileError",
      code: "INVALID_BATCH_FILE",
      field: "input.file",
    });
    expect(result.problems).toEqual(problems.map((each) => expect.objectContaining(each)));
    expect(stack.simulator.requestCount(BATCH_CREATE)).toBe(0);
    for (const route of Object.keys(stack.simulator.requestCounts())) expect(route).toMatch(/^GET /);
  }

  it("an enrollment profile id that is not IOT_ and a UUID", async () => {
    const { csv } = await csrCsv(["a.example.com"]);
    await expectRefused(
      { ...clientSide, enrollmentProfileId: "IOT_not-a-uuid" },
      csv,
      "input.enrollmentProfileId",
    );
  });

  it("a client-side CSV without a csr column", async () => {
    await expectFileRefused(clientSide, "subject.common_name,DEVICE_IDENTIFIER\na.example.com,A\n", [
      { row: null, column: "csr", entry: null },
    ]);
  });

  it("a server-side CSV with a csr column", async () => {
    const { csv } = await csrCsv(["a.example.com"]);
    await expectFileRefused(serverSide({}), csv, [{ row: null, column: "csr", entry: null }]);
  });

  it("a CSV with a header and no rows, an empty file, and a binary file that is not a ZIP", async () => {
    await expectFileRefused(clientSide, "csr,DEVICE_IDENTIFIER\r\n", [
      { row: null, column: null, entry: null, message: "The CSV has a header row and no rows." },
    ]);
    await expectFileRefused(clientSide, "", [
      { row: null, column: null, entry: null, message: "The data file is empty." },
    ]);
    // An empty file is refused before anything is read.
    expect(stack.simulator.requestCounts()).toEqual({});
    await expectFileRefused(clientSide, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]), [
      { row: null, column: null, entry: null, message: expect.stringMatching(/neither a CSV nor a ZIP/) },
    ]);
  });

  it("SERVER_SIDE without serverSideKeyGeneration, and CLIENT_SIDE with it", async () => {
    await expectRefused(
      { ...serverSide({}), serverSideKeyGeneration: null },
      serverRows,
      "input.serverSideKeyGeneration",
    );
    const { csv } = await csrCsv(["a.example.com"]);
    await expectRefused(
      { ...clientSide, serverSideKeyGeneration: { encryptionCertificate: encryption.certificatePem } },
      csv,
      "input.serverSideKeyGeneration",
    );
  });

  it("an encryption certificate that is not a certificate, holds an EC key, or has expired", async () => {
    const field = "input.serverSideKeyGeneration.encryptionCertificate";
    await expectRefused(serverSide({ encryptionCertificate: "not a certificate" }), serverRows, field);
    await expectRefused(
      serverSide({ encryptionCertificate: await selfSignedCertificate() }),
      serverRows,
      field,
    );
    const expired = await rsaCertificate(
      encryption.keys,
      new Date(Date.now() - 3 * 86_400_000),
      new Date(Date.now() - 86_400_000),
    );
    await expectRefused(serverSide({ encryptionCertificate: expired }), serverRows, field);
  });

  it("PKCS1 syntax for a key that is not RSA", async () => {
    await expectRefused(
      serverSide({ keyType: "P_256", privateKeySyntax: "PKCS1" }),
      serverRows,
      "input.serverSideKeyGeneration.privateKeySyntax",
    );
  });

  it("a missing file part, or a file sent as a string, is BAD_USER_INPUT before anything runs", async () => {
    const { csv } = await csrCsv(["a.example.com"]);
    const missing = await upload(clientSide, csv, { omitFile: true });
    expect(missing.body.data ?? null).toBeNull();
    // The streamed upload parser refuses a mapped file that never arrives, naming the part.
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ["BAD_USER_INPUT", 'The mapped file "0" is missing from the request.'],
    ]);
    const json = await stack.gql(CREATE, { input: { ...clientSide, file: csv } });
    expect(json.data ?? null).toBeNull();
    expect(json.errors?.map((e) => e.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("the profile's own rules are checked after reading it, and nothing is uploaded", async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      // factoryBatch allows RSA_2048, P_256 and P_384.
      [
        { ...serverSide({ keyType: "P_521" }), enrollmentProfileId: IOT_PROFILE_IDS.factoryBatch },
        "input.serverSideKeyGeneration.keyType",
        serverRows,
      ],
      // deviceCsr generates no keys server-side.
      [
        { ...serverSide({}), enrollmentProfileId: IOT_PROFILE_IDS.deviceCsr },
        "input.serverSideKeyGeneration",
        serverRows,
      ],
      // gatewayFixedKey has no BATCH method.
      [
        { ...serverSide({}), enrollmentProfileId: IOT_PROFILE_IDS.gatewayFixedKey },
        "input.enrollmentProfileId",
        serverRows,
      ],
    ];
    for (const [input, field, file] of cases) {
      const { body } = await upload(input, file);
      expect(body.data!.createIotBatchEnrollment).toMatchObject({ __typename: "ValidationError", field });
    }
    const unknown = "IOT_00000000-0000-4000-8000-000000000000";
    const { body } = await upload({ ...serverSide({}), enrollmentProfileId: unknown }, serverRows);
    expect(body.data!.createIotBatchEnrollment).toMatchObject({
      __typename: "ProfileNotFoundError",
      profileId: unknown,
    });
    expect(stack.simulator.requestCount(BATCH_CREATE)).toBe(0);
  });

  it("a multipart upload without the CSRF header or a token is refused (403), running nothing", async () => {
    const { csv } = await csrCsv(["a.example.com"]);
    const res = await upload(clientSide, csv, { token: null, headers: {} });
    expect(res.status).toBe(403);
    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(["CSRF_HEADER_REQUIRED"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});

describe("upload size", () => {
  it("is capped by maxUploadBytes, not maxBodyBytes: a larger file is 413, and nothing is uploaded", async () => {
    const sizeInput = {
      enrollmentProfileId: IOT_PROFILE_IDS.deviceCsr,
      keyGeneration: "CLIENT_SIDE",
      certificateFormat: "JSON",
    };
    const small = await startStack({
      simulator: { seedCertificates: 1, seedIotCertificates: 0 },
      defences: { maxBodyBytes: 16 * 1024, maxUploadBytes: 128 * 1024 },
    });
    try {
      const send = async (bytes: number, input: Record<string, unknown>, csv: (bytes: number) => string) => {
        const form = new FormData();
        form.set(
          "operations",
          JSON.stringify({ query: CREATE, variables: { input: { ...input, file: null } } }),
        );
        form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
        form.set("0", new Blob([csv(bytes)]), "big.csv");
        const res = await fetch(small.url, {
          method: "POST",
          headers: { authorization: `Bearer ${await small.token()}`, "x-graphql-csrf": "1" },
          body: form,
        });
        return { status: res.status, body: (await res.json()) as GqlResult<any> };
      };
      // A header without a csr column: refused by the gateway itself as the upload is read.
      const noCsrColumn = (bytes: number) => `DEVICE_IDENTIFIER\n${"A\n".repeat(bytes / 2)}`;
      // Over maxBodyBytes, under maxUploadBytes: read and answered.
      const accepted = await send(64 * 1024, sizeInput, noCsrColumn);
      expect(accepted.status).toBe(200);
      expect(accepted.body.data.createIotBatchEnrollment).toMatchObject({
        __typename: "InvalidBatchFileError",
        field: "input.file",
        problems: [expect.objectContaining({ row: null, column: "csr" })],
      });
      // Over maxUploadBytes: 413. Server-side rows the check passes one by one as they arrive, so that nothing but the
      // cap can refuse them (a file the check refuses first is answered with that refusal at once).
      const serverSideInput = {
        enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
        keyGeneration: "SERVER_SIDE",
        certificateFormat: "PEM",
        serverSideKeyGeneration: { encryptionCertificate: encryption.certificatePem },
      };
      const validRows = (bytes: number) =>
        `subject.common_name,DEVICE_IDENTIFIER\n${"a.example.com,A\n".repeat(bytes / 16)}`;
      const refused = await send(256 * 1024, serverSideInput, validRows);
      expect(refused.status).toBe(413);
      expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(["PAYLOAD_TOO_LARGE"]);
      // The refused file was checked against the profile's fields (read first); nothing was uploaded.
      expect(small.simulator.requestCount(BATCH_CREATE)).toBe(0);
      for (const route of Object.keys(small.simulator.requestCounts())) expect(route).toMatch(/^GET /);
    } finally {
      await small.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Scopes
// ---------------------------------------------------------------------------------------------

describe("without scope batch-jobs", () => {
  beforeEach(() => stack.simulator.resetCounters());

  it("batchJob, createIotBatchEnrollment and the decisions are FORBIDDEN, and DigiCert is never called", async () => {
    const reader = await stack.token({ scope: "certificates:read keys:generate" });
    const id = "0f0f0f0f-0000-4000-8000-000000000000";
    const read = await stack.gql(
      `query($id: ID!) { batchJob(id: $id) { id status } __typename }`,
      { id },
      { token: reader },
    );
    expect(read.data).toEqual({ batchJob: null, __typename: "Query" });
    expect(read.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);

    const node = await stack.gql(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: Buffer.from(`IotBatchJob:${id}`).toString("base64") },
      { token: reader },
    );
    expect(node.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);

    for (const name of ["approveIotBatchJob", "rejectIotBatchJob"]) {
      const res = await stack.gql(
        `mutation($id: ID!) { ${name}(id: $id) { __typename } }`,
        { id },
        { token: reader },
      );
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    }

    const { csv } = await csrCsv(["a.example.com"]);
    const created = await upload(
      {
        enrollmentProfileId: IOT_PROFILE_IDS.deviceCsr,
        keyGeneration: "CLIENT_SIDE",
        certificateFormat: "JSON",
      },
      csv,
      { token: reader },
    );
    expect(created.body.data ?? null).toBeNull();
    expect(created.body.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------
// The download route
// ---------------------------------------------------------------------------------------------

describe("the download route GET /downloads/iot-batch/{jobId}", () => {
  const unknown = "0f0f0f0f-0000-4000-8000-000000000000";
  beforeEach(() => stack.simulator.resetCounters());

  it("answers 401 without a token or with a bad one, with GraphQL's body and no-store, calling nothing", async () => {
    for (const bearer of [null, "not-a-jwt"]) {
      const { res, body } = await fetchDownload(`/downloads/iot-batch/${unknown}`, { token: bearer });
      expect(res.status).toBe(401);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(JSON.parse(body.toString())).toEqual({
        errors: [{ message: "Unauthorized", extensions: { code: "UNAUTHENTICATED" } }],
      });
    }
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("answers 403 FORBIDDEN to a token without batch-jobs", async () => {
    const reader = await stack.token({ scope: "certificates:read" });
    const { res, body } = await fetchDownload(`/downloads/iot-batch/${unknown}`, { token: reader });
    expect(res.status).toBe(403);
    expect(JSON.parse(body.toString()).errors[0].extensions.code).toBe("FORBIDDEN");
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("answers 400 to a job id that is not a UUID, and 404 to other paths, calling nothing", async () => {
    for (const path of ["/downloads/iot-batch/..%2F..%2Fetc", "/downloads/iot-batch/not-a-job"]) {
      const { res, body } = await fetchDownload(path);
      expect(res.status).toBe(400);
      expect(JSON.parse(body.toString()).errors[0].extensions).toEqual({
        code: "VALIDATION_FAILED",
        field: "id",
      });
    }
    for (const path of ["/downloads", "/downloads/other/x", `/downloads/iot-batch/${unknown}/more`]) {
      const { res } = await fetchDownload(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
    const post = await fetchDownload(`/downloads/iot-batch/${unknown}`, { method: "POST" });
    expect(post.res.status).toBe(405);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("answers 404 REQUEST_NOT_FOUND for an unknown job, with no-store", async () => {
    const { res, body } = await fetchDownload(`/downloads/iot-batch/${unknown}`);
    expect(res.status).toBe(404);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(JSON.parse(body.toString())).toEqual({
      errors: [{ message: `No batch job has id ${unknown}.`, extensions: { code: "REQUEST_NOT_FOUND" } }],
    });
  });

  it("answers 409 BATCH_JOB_NOT_COMPLETE while the job waits, and 502 without DigiCert's text when DigiCert fails", async () => {
    const { csv } = await csrCsv(["board-5.factory.example.com"], { header: "Site", value: "Plant 2" });
    const created = await create(
      {
        enrollmentProfileId: IOT_PROFILE_IDS.factoryBatch,
        keyGeneration: "CLIENT_SIDE",
        certificateFormat: "PEM",
      },
      csv,
    );
    const path = `/downloads/iot-batch/${created.jobId}`;
    const waiting = await fetchDownload(path);
    expect(waiting.res.status).toBe(409);
    expect(JSON.parse(waiting.body.toString()).errors[0].extensions.code).toBe("BATCH_JOB_NOT_COMPLETE");

    stack.simulator.injectFault({
      route: "GET /iot/api/v1/batch-enroll/:job_id/download-certificates",
      kind: "status",
      status: 500,
    });
    try {
      const failed = await fetchDownload(path);
      expect(failed.res.status).toBe(502);
      const error = JSON.parse(failed.body.toString()).errors[0];
      expect(error).toEqual({
        message: "DigiCert ONE is unavailable; try again later.",
        extensions: { code: "UPSTREAM_UNAVAILABLE" },
      });
    } finally {
      stack.simulator.clearFaults();
    }
    await decide("rejectIotBatchJob", created.id);
  });

  it("leaves every other path to GraphQL", async () => {
    const res = await fetch(new URL("/health", stack.url));
    expect(res.status).toBe(200);
    expect((await stack.gql(`{ __typename }`)).data).toEqual({ __typename: "Query" });
  });
});

// ---------------------------------------------------------------------------------------------
// The documented JSON download
// ---------------------------------------------------------------------------------------------

describe("the documented JSON download", () => {
  it.skipIf(!existsSync(DOC_FILE))(
    "is copied verbatim from the docs (whose indent is no-break spaces)",
    () => {
      expect(readFileSync(DOC_FILE, "utf8").replaceAll("\u00a0", " ")).toContain(DOCUMENTED_DOWNLOAD);
    },
  );

  it("parses in its exact shape into certificates, encrypted keys and the chain through the schema", async () => {
    const jobId = "e6006353-ba03-4909-afc8-c611f00d7644";
    const calls: string[] = [];
    const iot = new IotClient({
      async request(req: UpstreamRequest) {
        calls.push(`${req.method} ${req.path}`);
        if (req.operation === "iot.getBatchJob") {
          return {
            status: 200,
            json: {
              job_id: jobId,
              status: "COMPLETE",
              key_generation: "server_side",
              certificate_format: "json",
              total: 2,
              success: 2,
              failed: 0,
            },
          };
        }
        if (req.operation === "iot.downloadBatchCertificates") {
          return { status: 200, json: JSON.parse(DOCUMENTED_DOWNLOAD) };
        }
        throw new Error(`unexpected call ${req.operation}`);
      },
    });
    const services: Services = {
      tlm: {} as TlmClient,
      iot,
      dtm: {} as Services["dtm"],
      reports: {} as Services["reports"],
      jobKinds: new LRUCache({ max: 10 }),
      jobs: {} as Services["jobs"],
      jobScope: "default",
      idempotency: new IdempotencyStore(),
      tenantScope: "default",
      parsedCertificates: createParsedCertificateCache(),
    };
    const viewer = {
      subject: "tester",
      tenant: "default",
      scopes: new Set(["batch-jobs", "keys:generate"]),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    };
    const result = await graphql({
      schema,
      source: `query($id: ID!) { batchJob(id: $id) { status successCount ... on IotBatchJob {
        certificates { certificateId uniqueIdentifier pem privateKey chain { pem } }
        chain { commonName pem }
        download { url contentType }
      } } }`,
      variableValues: { id: jobId },
      contextValue: createContext(viewer, services, pino({ level: "silent" })),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      batchJob: {
        status: "COMPLETE",
        successCount: 2,
        certificates: [
          {
            certificateId: "60f0f385-9afa-464b-9811-d337245c4363",
            uniqueIdentifier: "Line #0000001",
            pem: "-----BEGIN CERTIFICATE-----\nMIID...K8FhP\n-----END CERTIFICATE-----\n",
            privateKey: "MIAGCSq...tLQo=",
            chain: [],
          },
          {
            certificateId: "9766ee7c-62d5-47f4-b4cf-475409c62eea",
            uniqueIdentifier: "Line #0000002",
            pem: "-----BEGIN CERTIFICATE-----\nMIID...3KFxa\n-----END CERTIFICATE-----\n",
            privateKey: "MIAGCSq...LQo=",
            chain: [],
          },
        ],
        chain: [
          {
            commonName: "ICA RSA",
            pem: "-----BEGIN CERTIFICATE-----\nMIID5DCCAsy...N/mqQ==\n-----END CERTIFICATE-----\n",
          },
          {
            commonName: "RSA Root",
            pem: "-----BEGIN CERTIFICATE-----\nMIIDxDC...fL+7bk=\n-----END CERTIFICATE-----\n",
          },
        ],
        download: { url: `/downloads/iot-batch/${jobId}`, contentType: "application/json" },
      },
    });
    // One read of the job and one of the download, however many fields use them.
    expect(calls).toEqual([
      `GET /iot/api/v1/batch-enroll/${jobId}`,
      `GET /iot/api/v1/batch-enroll/${jobId}/download-certificates`,
    ]);
  });
});
