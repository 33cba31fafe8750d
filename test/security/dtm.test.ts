import "reflect-metadata";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DTM_IDS, RESTRICTED_API_KEY } from "../../simulator/index.js";
import { generateCsr, rsaCertificate } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

/*
 * Device Trust Manager operations under attack: hostile ids never reach an upstream URL, passcodes never reach a
 * log or a message, scopes and tenants hold for devices and jobs.
 */

const G = DTM_IDS.deviceGroups;
const P = DTM_IDS.certificatePolicies;
const PASSCODE = "Pc-7f3a9d1e42";

let stack: Stack;
const logs: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    simulator: { dtmJobStepMs: 50 },
    tenants: { restricted: { kind: "apiKey", apiKey: RESTRICTED_API_KEY } },
    logs,
  });
});
afterAll(async () => {
  await stack?.close();
});
beforeEach(() => stack.simulator.resetCounters());

const HOSTILE_IDS = [
  "../../devicetrustmanager/api/v4/device",
  "%2e%2e%2f%2e%2e",
  "//evil.example/x",
  "c8df5a31-2a04-4433-a3bd-1b0437948fb5/../x",
  "c8df5a31-2a04-4433-a3bd-1b0437948fb5?x=1",
  "c8df5a31-2a04-4433-a3bd-1b0437948fb5\r\nx-api-key: stolen",
  "IOT_../../x",
  "",
];

/** Sends a multipart createDeviceRegistrationBatch with a small CSV. */
async function createBatch(input: Record<string, unknown>, csv: string, token?: string) {
  const form = new FormData();
  const query = `mutation($input: CreateDeviceRegistrationBatchInput!) { createDeviceRegistrationBatch(input: $input) {
    __typename ... on DeviceRegistrationBatchCreated { jobId job { id } } ... on ValidationError { field } ... on Error { code message } } }`;
  form.set("operations", JSON.stringify({ query, variables: { input: { ...input, file: null } } }));
  form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
  form.set("0", new Blob([csv]), "devices.csv");
  const res = await fetch(stack.url, {
    method: "POST",
    headers: { authorization: `Bearer ${token ?? (await stack.token())}` },
    body: form,
  });
  return (await res.json()) as any;
}

async function clientCsv(name: string): Promise<string> {
  const { pem } = await generateCsr({ subject: `CN=${name}.example.com` });
  return `device_name,subject.common_name,csr\n${name},${name}.example.com,"${pem}"\n`;
}

describe("hostile ids never reach an upstream URL", () => {
  it.each(HOSTILE_IDS)(
    "device, group, policy and job lookups refuse %j with no upstream request",
    async (id) => {
      for (const query of [
        `query($id: ID!) { device(id: $id) { name } }`,
        `query($id: ID!) { deviceGroup(id: $id) { name } }`,
        `query($id: ID!) { certificatePolicy(id: $id) { name } }`,
        `query($id: ID!) { devices(first: 1, filter: { deviceGroupId: $id }) { totalCount } }`,
        `query($id: ID!) { batchJobs(first: 1, filter: { deviceGroupId: $id }) { totalCount } }`,
        `query($id: ID!) { batchJob(id: $id) { status } }`,
        `mutation($id: ID!) { approveDeviceRegistrationBatch(id: $id) { __typename ... on Error { code } } }`,
      ]) {
        const res = await stack.gql<any>(query, { id });
        const refused =
          (res.errors ?? []).some((e) => e.extensions?.code === "VALIDATION_FAILED") ||
          JSON.stringify(res.data ?? {}).includes("VALIDATION_FAILED");
        expect(refused, `${query} ${JSON.stringify(res)}`).toBe(true);
      }
      const forged = Buffer.from(`DtmBatchJob:${id}`).toString("base64");
      const res = await stack.gql<any>(`query($id: ID!) { batchJob(id: $id) { status } }`, { id: forged });
      expect(res.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
      expect(stack.simulator.requestCounts()).toEqual({});
    },
  );

  it("registerDevice and createDeviceRegistrationBatch refuse hostile group and policy ids; nothing is sent", async () => {
    const register = await stack.gql<any>(
      `mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { __typename ... on ValidationError { field } } }`,
      {
        input: {
          name: "hostile",
          deviceGroupId: G.fieldSensors,
          bootstrap: [{ certificatePolicyId: "IOT_../../x", csr: "x" }],
        },
      },
    );
    expect(register.data.registerDevice).toEqual({
      __typename: "ValidationError",
      field: "input.bootstrap[0].certificatePolicyId",
    });
    const batch = await createBatch(
      { name: "hostile", deviceGroupId: "../x", certificatePolicyId: P.bootstrapClient },
      await clientCsv("hostile-1"),
    );
    expect(batch.data.createDeviceRegistrationBatch).toMatchObject({
      __typename: "ValidationError",
      field: "input.deviceGroupId",
    });
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});

describe("passcodes never leave in a message or a log", () => {
  it("a refused passcode is not echoed, and an accepted one is not logged", async () => {
    const badPasscode = "bad passcode with spaces 91c2";
    const refused = await createBatch(
      {
        name: "With passcode",
        deviceGroupId: G.factoryLine,
        certificatePolicyId: P.bootstrapClient,
        externalEmails: ["ops@example.com"],
        passcodeGenerationOption: false,
        passcode: badPasscode,
      },
      await clientCsv("passcode-0"),
    );
    expect(refused.data.createDeviceRegistrationBatch).toMatchObject({ field: "input.passcode" });
    expect(JSON.stringify(refused)).not.toContain(badPasscode);
    expect(
      stack.simulator.requestCount("POST /devicetrustmanager/certificate-batch-service/api/v1/jobs"),
    ).toBe(0);

    const accepted = await createBatch(
      {
        name: "With passcode",
        deviceGroupId: G.factoryLine,
        certificatePolicyId: P.bootstrapClient,
        externalEmails: ["ops@example.com"],
        passcodeGenerationOption: false,
        passcode: PASSCODE,
      },
      await clientCsv("passcode-1"),
    );
    expect(accepted.data.createDeviceRegistrationBatch.__typename).toBe("DeviceRegistrationBatchCreated");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => line.includes(PASSCODE) || line.includes(badPasscode))).toEqual([]);
  });
});

describe("scopes", () => {
  it("createDeviceRegistrationBatch needs batch-jobs and devices; without either nothing is created", async () => {
    for (const scope of ["batch-jobs", "devices certificates:read"]) {
      const token = await stack.token({ scope });
      const res = await createBatch(
        { name: "No scope", deviceGroupId: G.factoryLine, certificatePolicyId: P.bootstrapClient },
        await clientCsv(`scope-${scope.length}`),
        token,
      );
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toBe("FORBIDDEN");
    }
    expect(
      stack.simulator.requestCount("POST /devicetrustmanager/certificate-batch-service/api/v1/jobs"),
    ).toBe(0);
  });

  it("devices and registerDevice need the devices scope", async () => {
    const token = await stack.token({ scope: "batch-jobs certificates:read" });
    const res = await stack.gql<any>(
      `mutation { registerDevice(input: { name: "x", deviceGroupId: "${G.fieldSensors}" }) { __typename } }`,
      {},
      { token },
    );
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const list = await stack.gql<any>(`{ devices(first: 1) { totalCount } }`, {}, { token });
    expect(list.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});

describe("tenants", () => {
  it("a tenant whose DigiCert key cannot see a group's job reads it as null and cannot watch it", async () => {
    const created = await createBatch(
      {
        name: "Default tenant's job",
        deviceGroupId: G.factoryLine,
        certificatePolicyId: P.bootstrapServer,
        serverSideKeyGeneration: { encryptionCertificate: await rsaCertificate() },
      },
      "subject.common_name,subject.organization_name\nt-1.example.com,Example\n",
    );
    const id = created.data.createDeviceRegistrationBatch.job.id;
    const other = await stack.token({ tenant: "restricted" });
    const read = await stack.gql<any>(
      `query($id: ID!) { batchJob(id: $id) { status } }`,
      { id },
      { token: other },
    );
    expect(read.data.batchJob).toBeNull();
    const res = await fetch(stack.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${other}`,
      },
      body: JSON.stringify({
        query: `subscription($id: ID!) { batchJobStatusChanged(id: $id) { status } }`,
        variables: { id },
      }),
    });
    expect(await res.text()).toContain("REQUEST_NOT_FOUND");
  });
});
