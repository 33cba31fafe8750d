import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import type {
  WireDtmBatchJob,
  WireDtmCertificatePolicy,
  WireDtmDevice,
  WireDtmDeviceGroup,
  WireDtmReport,
} from "../../src/model/dtm/wire.js";
import {
  UpstreamBodyError,
  UpstreamHttpError,
  UpstreamTransportError,
} from "../../src/datasources/errors.js";
import {
  InvalidCsrError,
  CertificatePolicyNotFoundError,
  RequestNotFoundError,
  UpstreamAuthenticationError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
  DuplicateDeviceError,
} from "../../src/model/errors.js";
import { toDtmDomainError, toDtmInputPath } from "../../src/datasources/dtm/errors.js";
import { type DtmBatchInput, toWireDtmBatch } from "../../src/model/dtm/batch-input.js";
import {
  toCreatedDtmBatchJobId,
  toDeviceRegistrationReport,
  toDtmBatchJob,
  toDtmBatchJobPage,
  toWireDtmBatchJobFilter,
} from "../../src/model/dtm/batch-job.js";
import {
  toDevice,
  toDevicePage,
  toWireDeviceFilter,
  toWireDisableDevice,
} from "../../src/model/dtm/device.js";
import { DeviceNotFoundError } from "../../src/model/errors.js";
import { toDtmKeyType } from "../../src/model/dtm/enums.js";
import {
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  parseDtmBatchJobId,
  parseDtmCertificatePolicyId,
  parseDtmDeviceGroupId,
  parseDtmDeviceId,
} from "../../src/model/dtm/ids.js";
import {
  type CertificatePolicy,
  requiredTemplateColumns,
  toCertificatePolicy,
  toCertificatePolicyPage,
  toDeviceGroup,
  toDeviceGroupPage,
} from "../../src/model/dtm/policy.js";
import { toWireDeviceRegistration } from "../../src/model/dtm/registration.js";
import { generateCsr, selfSignedCertificate, tamperedCsr } from "../helpers/pki.js";

x509.cryptoProvider.set(globalThis.crypto);

// Simulator-shaped JSON (simulator/dtm/policies.ts, devices.ts, batch.ts).
const GROUP = "c8df5a31-2a04-4433-a3bd-1b0437948fb5" as DtmDeviceGroupId;
const OTHER_GROUP = "86efb32a-f226-4268-b1e0-c995eb1f45c6" as DtmDeviceGroupId;
const CLIENT_POLICY = "IOT_4ee527fa-bebc-4557-aacb-9b5eed984dd4" as DtmCertificatePolicyId;
const SERVER_POLICY = "IOT_1ac05d20-bd8d-4973-b32b-05dbdb899934" as DtmCertificatePolicyId;
const API_ONLY = "IOT_668918ec-db2b-4c02-8cb6-32fd4d572e40" as DtmCertificatePolicyId;
const DEVICE = "5b0c6f7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f";
const JOB = "e6006353-ba03-4909-afc8-c611f00d7644";
const DIVISION = { id: "1c8528cd-5b3f-4c9c-84b5-c4e2f983aa06", name: "Default division" };

const GROUP_JSON: WireDtmDeviceGroup = {
  id: GROUP,
  name: "Factory line A",
  description: "Controllers and robots registered at manufacture",
  account_id: "a6b5c4d3-e2f1-4a0b-9c8d-7e6f5a4b3c2d",
  division: DIVISION,
  certificate_policies: [
    { id: CLIENT_POLICY, name: "Device bootstrap (CSR)" },
    { id: "not-a-policy", name: "dropped" },
  ],
  device_count: 3,
};

const CLIENT_POLICY_JSON: WireDtmCertificatePolicy = {
  id: CLIENT_POLICY,
  name: "Device bootstrap (CSR)",
  status: "ACTIVE",
  division: DIVISION,
  certificate_management_methods: ["API", "BATCH"],
  client_side_key_gen_allowed: true,
  server_side_key_gen_allowed: false,
  allowed_key_types: ["RSA_2048", "RSA_3072", "P_256", "P_384"],
  default_key_type: "P_256",
  approval_required: false,
  certificate_validity: { unit: "DAYS", duration: 365 },
  csv_template: {
    required_columns: ["device_name", "subject.common_name"],
    optional_columns: [
      "device_description",
      "subject.organization_name",
      "subject.organization_unit",
      "san.dns_name",
    ],
    multi_value_columns: ["subject.organization_unit", "san.dns_name"],
    client_side_extra_columns: ["csr"],
  },
  device_group_ids: [GROUP, "945ab5ce-078c-4a67-916f-8a0ff86d53a2"],
};

const SERVER_POLICY_JSON: WireDtmCertificatePolicy = {
  ...CLIENT_POLICY_JSON,
  id: SERVER_POLICY,
  name: "Device bootstrap (server-side keys)",
  client_side_key_gen_allowed: false,
  server_side_key_gen_allowed: true,
  allowed_key_types: ["RSA_2048", "RSA_4096", "P_256", "P_384"],
  csv_template: {
    required_columns: ["subject.common_name", "subject.organization_name"],
    optional_columns: ["subject.organization_unit", "san.dns_name", "device_name", "device_description"],
    multi_value_columns: ["subject.organization_unit", "san.dns_name"],
    client_side_extra_columns: [],
  },
  device_group_ids: [GROUP, OTHER_GROUP],
};

const DEVICE_JSON: WireDtmDevice = {
  id: DEVICE.toUpperCase(),
  name: "sensor-1",
  description: "",
  status: "REGISTERED",
  device_group_id: GROUP,
  device_group: { id: GROUP, name: "Factory line A" },
  division: DIVISION,
  account_id: "a6b5c4d3-e2f1-4a0b-9c8d-7e6f5a4b3c2d",
  registration_method: "BATCH",
  certificate_policies: {
    bootstrap: [
      {
        certificate_policy_id: SERVER_POLICY,
        server_side_key_gen: true,
        key_type: "ECDSA_P256",
        key_format: "PEM",
        key_syntax: "PKCS8",
        attributes: [{ name: "subject.common_name", value: "sensor-1.example.com" }],
      },
    ],
  },
  batch_job_id: JOB,
  created_at: "2025-01-02T03:04:05Z",
  updated_at: "2025-01-02T03:04:05Z",
};

const JOB_JSON: WireDtmBatchJob = {
  id: JOB,
  name: "Line A, January",
  job_type: "device_registration",
  status: "PENDING_APPROVAL",
  device_group: { id: GROUP, name: "Factory line A" },
  certificate_policy: { id: "IOT_962DBBF1-D634-4021-9E63-CB7D9985F842", name: "Factory registration" },
  approval_required: true,
  server_side_key_gen: true,
  key_type: "RSA_2048",
  file_name: "rows.csv",
  file_size: 1234,
  emails: ["ops@example.com"],
  external_emails: [],
  total: 10,
  success: 0,
  failed: 2,
  created_at: "2025-01-02T03:04:05Z",
  updated_at: "2025-01-02T03:04:08Z",
  started_at: "2025-01-02T03:04:06Z",
  processed_at: "2025-01-02T03:04:08Z",
};

const REPORT_JSON: WireDtmReport = {
  job_id: JOB,
  status: "COMPLETE",
  total: 3,
  success: 1,
  failed: 2,
  rows: [
    { row: 1, device_name: "sensor-1", status: "SUCCESS", device_id: DEVICE },
    {
      row: 2,
      device_name: "sensor-2",
      status: "FAILED",
      error_code: "invalid_request",
      error: "csr signature is invalid",
    },
    {
      row: 4,
      device_name: "sensor-1",
      status: "FAILED",
      error_code: "03",
      error: 'A device named "sensor-1" already exists',
    },
  ],
};

let encryptionPem: string;
let expiredEncryptionPem: string;

beforeAll(async () => {
  const rsa = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const keys = (await crypto.subtle.generateKey(rsa, true, ["sign", "verify"])) as CryptoKeyPair;
  const day = 86_400_000;
  const make = (notBefore: Date, notAfter: Date, serialNumber: string) =>
    x509.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name: "CN=Key recipient",
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: rsa,
    });
  encryptionPem = (await make(new Date(Date.now() - day), new Date(Date.now() + day), "0a")).toString("pem");
  expiredEncryptionPem = (
    await make(new Date(Date.now() - 10 * day), new Date(Date.now() - 5 * day), "0b")
  ).toString("pem");
});

async function fieldOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
}

describe("identifiers", () => {
  it("normalise UUIDs to lowercase and policy ids to IOT_ and a lowercase UUID", () => {
    expect(parseDtmDeviceGroupId(GROUP.toUpperCase())).toBe(GROUP);
    expect(parseDtmDeviceId(DEVICE)).toBe(DEVICE);
    expect(parseDtmBatchJobId(JOB.toUpperCase())).toBe(JOB);
    expect(parseDtmCertificatePolicyId("iot_4EE527FA-bebc-4557-aacb-9b5eed984dd4")).toBe(CLIENT_POLICY);
  });

  it("name the field they refuse", async () => {
    expect(await fieldOf(() => parseDtmDeviceGroupId("nope"))).toBe("deviceGroupId");
    expect(await fieldOf(() => parseDtmDeviceGroupId("nope", "input.deviceGroupId"))).toBe(
      "input.deviceGroupId",
    );
    expect(await fieldOf(() => parseDtmCertificatePolicyId(GROUP))).toBe("certificatePolicyId");
    expect(await fieldOf(() => parseDtmDeviceId("x", "deviceId"))).toBe("deviceId");
    expect(await fieldOf(() => parseDtmBatchJobId("../x"))).toBe("id");
  });
});

describe("mappers", () => {
  it("read a device group", () => {
    expect(toDeviceGroup(GROUP_JSON)).toEqual({
      id: GROUP,
      name: "Factory line A",
      description: "Controllers and robots registered at manufacture",
      accountId: "a6b5c4d3-e2f1-4a0b-9c8d-7e6f5a4b3c2d",
      divisionId: DIVISION.id,
      divisionName: DIVISION.name,
      certificatePolicies: [{ id: CLIENT_POLICY, name: "Device bootstrap (CSR)" }],
      deviceCount: 3,
      unreadable: [],
    });
    expect(toDeviceGroupPage({ records: [GROUP_JSON], total: 1, offset: 0, limit: 20 }).total).toBe(1);
    expect(() => toDeviceGroup({ id: "x", name: "y" })).toThrow(UpstreamInvalidResponseError);
  });

  it("read a certificate policy with its key types, key generation, approval and template columns", () => {
    const policy = toCertificatePolicy(CLIENT_POLICY_JSON);
    expect(policy).toMatchObject({
      id: CLIENT_POLICY,
      status: "ACTIVE",
      managementMethods: ["API", "BATCH"],
      clientSideKeyGeneration: true,
      serverSideKeyGeneration: false,
      allowedKeyTypes: ["RSA_2048", "RSA_3072", "P_256", "P_384"],
      defaultKeyType: "P_256",
      approvalRequired: false,
      validity: { unit: "DAYS", duration: 365 },
      deviceGroupIds: [GROUP, "945ab5ce-078c-4a67-916f-8a0ff86d53a2"],
    });
    expect(policy.templateColumns).toEqual([
      { name: "device_name", required: true, multiple: false, clientSideOnly: false },
      { name: "subject.common_name", required: true, multiple: false, clientSideOnly: false },
      { name: "device_description", required: false, multiple: false, clientSideOnly: false },
      { name: "subject.organization_name", required: false, multiple: false, clientSideOnly: false },
      { name: "subject.organization_unit", required: false, multiple: true, clientSideOnly: false },
      { name: "san.dns_name", required: false, multiple: true, clientSideOnly: false },
      { name: "csr", required: true, multiple: false, clientSideOnly: true },
    ]);
    expect(requiredTemplateColumns(policy, false)).toEqual(["device_name", "subject.common_name", "csr"]);
    expect(requiredTemplateColumns(policy, true)).toEqual(["device_name", "subject.common_name"]);
    expect(toCertificatePolicyPage({ records: [CLIENT_POLICY_JSON, SERVER_POLICY_JSON] }).items).toHaveLength(
      2,
    );
  });

  it("drop unknown key types and read aliases, and refuse a policy without an IOT_ id", () => {
    const policy = toCertificatePolicy({
      ...CLIENT_POLICY_JSON,
      allowed_key_types: ["p_256", "ECDSA_P384", "DSA_1024"],
    });
    expect(policy.allowedKeyTypes).toEqual(["P_256", "P_384"]);
    expect(toDtmKeyType("ED_25519")).toBe("ED25519");
    expect(toDtmKeyType("x")).toBeNull();
    expect(() => toCertificatePolicy({ ...CLIENT_POLICY_JSON, id: GROUP })).toThrow(
      UpstreamInvalidResponseError,
    );
  });

  it("read a device", () => {
    expect(toDevice(DEVICE_JSON)).toEqual({
      id: DEVICE,
      name: "sensor-1",
      description: null,
      status: "REGISTERED",
      deviceGroupId: GROUP,
      deviceGroupName: "Factory line A",
      divisionName: "Default division",
      accountId: "a6b5c4d3-e2f1-4a0b-9c8d-7e6f5a4b3c2d",
      registrationMethod: "BATCH",
      bootstrap: [
        {
          certificatePolicyId: SERVER_POLICY,
          serverSideKeyGeneration: true,
          keyType: "P_256",
          keyFormat: "PEM",
          keySyntax: "PKCS8",
          attributes: [{ name: "subject.common_name", value: "sensor-1.example.com" }],
        },
      ],
      bootstrapKeysClientSideOnly: false,
      batchJobId: JOB,
      createdAt: new Date("2025-01-02T03:04:05Z"),
      updatedAt: new Date("2025-01-02T03:04:05Z"),
    });
    expect(toDevice({ id: DEVICE, status: "SOMETHING" }).status).toBe("UNKNOWN");
    expect(toDevicePage({ records: [DEVICE_JSON] }).items[0]?.id).toBe(DEVICE);
    expect(() => toDevicePage({ records: "x" } as never)).toThrow(UpstreamInvalidResponseError);
  });

  it("say a device's bootstrap keys are client-side only when every policy says so, and fail closed otherwise", () => {
    const entry = { certificate_policy_id: SERVER_POLICY, server_side_key_gen: false };
    const device = (bootstrap: unknown) =>
      toDevice({ id: DEVICE, certificate_policies: { bootstrap } } as never).bootstrapKeysClientSideOnly;
    expect(device([entry])).toBe(true);
    expect(device([])).toBe(true);
    // Not proof that no key was generated server-side: the flag missing or spelled otherwise, an unreadable entry,
    // one server-side entry, or no list at all.
    expect(device([{ certificate_policy_id: SERVER_POLICY }])).toBe(false);
    expect(device([{ ...entry, server_side_key_gen: "false" }])).toBe(false);
    expect(device([entry, { certificate_policy_id: "not-a-policy", server_side_key_gen: false }])).toBe(
      false,
    );
    expect(device([entry, { ...entry, server_side_key_gen: true }])).toBe(false);
    expect(toDevice({ id: DEVICE } as never).bootstrapKeysClientSideOnly).toBe(false);
  });

  it("read a batch job with BatchJob's field names and kind DTM_DEVICE_REGISTRATION", () => {
    const job = toDtmBatchJob(JOB_JSON);
    expect(job).toMatchObject({
      id: JOB,
      kind: "DTM_DEVICE_REGISTRATION",
      name: "Line A, January",
      status: "PENDING_APPROVAL",
      total: 10,
      success: 0,
      failed: 2,
      createdAt: new Date("2025-01-02T03:04:05Z"),
      updatedAt: new Date("2025-01-02T03:04:08Z"),
      completedAt: null,
      deviceGroupId: GROUP,
      certificatePolicyId: "IOT_962dbbf1-d634-4021-9e63-cb7d9985f842",
      approvalRequired: true,
      serverSideKeyGeneration: true,
      keyType: "RSA_2048",
      fileName: "rows.csv",
      fileSize: 1234,
      emails: ["ops@example.com"],
      externalEmails: [],
      processedAt: new Date("2025-01-02T03:04:08Z"),
      failureReason: null,
    });
    for (const status of [
      "PENDING",
      "TERMINATED",
      "PENDING_REJECTION",
      "REJECTION_IN_PROGRESS",
      "REJECTED",
    ]) {
      expect(toDtmBatchJob({ ...JOB_JSON, status }).status).toBe(status);
    }
    expect(toDtmBatchJob({ ...JOB_JSON, status: "NEW_ONE", total: -1 })).toMatchObject({
      status: "UNKNOWN",
      total: null,
    });
    expect(toDtmBatchJobPage({ records: [JOB_JSON], total: 1 }).items).toHaveLength(1);
    expect(() => toDtmBatchJob({ id: "1", status: "COMPLETE" })).toThrow(UpstreamInvalidResponseError);
    expect(toCreatedDtmBatchJobId({ id: JOB.toUpperCase() })).toBe(JOB);
    expect(() => toCreatedDtmBatchJobId({ id: "7" })).toThrow(UpstreamOutcomeUnknownError);
  });

  it("read a report's rows", () => {
    const report = toDeviceRegistrationReport(REPORT_JSON);
    expect(report).toMatchObject({ jobId: JOB, status: "COMPLETE", total: 3, success: 1, failed: 2 });
    expect(report.rows).toEqual([
      {
        row: 1,
        deviceName: "sensor-1",
        deviceId: DEVICE,
        status: "SUCCESS",
        errorCode: null,
        errorMessage: null,
        unreadable: [],
      },
      {
        row: 2,
        deviceName: "sensor-2",
        deviceId: null,
        status: "FAILED",
        errorCode: "invalid_request",
        errorMessage: "csr signature is invalid",
        unreadable: [],
      },
      {
        row: 4,
        deviceName: "sensor-1",
        deviceId: null,
        status: "FAILED",
        errorCode: "03",
        errorMessage: 'A device named "sensor-1" already exists',
        unreadable: [],
      },
    ]);
    // A row number that cannot be read fails that field alone.
    expect(toDeviceRegistrationReport({ ...REPORT_JSON, rows: [{ row: 0 } as never] }).rows).toEqual([
      expect.objectContaining({ row: null, unreadable: ["row"] }),
    ]);
  });
});

describe("filters", () => {
  it("validate device and job filters", async () => {
    expect(
      toWireDeviceFilter({ name: " sensor-1 ", deviceGroupId: GROUP, statuses: ["REGISTERED", "DISABLED"] }),
    ).toEqual({
      name: "sensor-1",
      device_group_id: GROUP,
      status: "REGISTERED,DISABLED",
    });
    expect(await fieldOf(() => toWireDeviceFilter({ statuses: ["UNKNOWN"] }))).toBe("filter.statuses");
    expect(toWireDtmBatchJobFilter({ statuses: ["PENDING_APPROVAL"], deviceGroupId: GROUP })).toEqual({
      job_type: "device_registration",
      status: "PENDING_APPROVAL",
      device_group_id: GROUP,
    });
    expect(await fieldOf(() => toWireDtmBatchJobFilter({ statuses: ["NOPE" as never] }, "where"))).toBe(
      "where.statuses",
    );
  });
});

describe("toWireDeviceRegistration", () => {
  it("builds DTM's body with a verified CSR and uppercase key types", async () => {
    const { pem } = await generateCsr();
    const body = await toWireDeviceRegistration({
      name: " sensor-1 ",
      deviceGroupId: GROUP,
      description: "Boiler room",
      bootstrap: [
        {
          certificatePolicyId: CLIENT_POLICY,
          csr: pem,
          attributes: [{ name: "Subject.Common_Name", value: "sensor-1.example.com" }],
        },
        { certificatePolicyId: API_ONLY, serverSideKeyGeneration: { keyType: "P_256" } },
      ],
    });
    expect(body).toMatchObject({
      name: "sensor-1",
      device_group_id: GROUP,
      description: "Boiler room",
      certificate_policies: {
        bootstrap: [
          {
            certificate_policy_id: CLIENT_POLICY,
            server_side_key_gen: false,
            attributes: [{ name: "subject.common_name", value: "sensor-1.example.com" }],
          },
          { certificate_policy_id: API_ONLY, server_side_key_gen: true, key_type: "P_256", attributes: [] },
        ],
      },
    });
    expect(body.certificate_policies?.bootstrap[0]?.csr).toContain("BEGIN CERTIFICATE REQUEST");
  });

  it("names the field it refuses", async () => {
    const { pem } = await generateCsr();
    expect(await fieldOf(toWireDeviceRegistration({ name: " ", deviceGroupId: GROUP }))).toBe("input.name");
    expect(
      await fieldOf(
        toWireDeviceRegistration({
          name: "a",
          deviceGroupId: GROUP,
          bootstrap: [{ certificatePolicyId: CLIENT_POLICY, csr: await tamperedCsr() }],
        }),
      ),
    ).toBe("input.bootstrap[0].csr");
    expect(
      await fieldOf(
        toWireDeviceRegistration({
          name: "a",
          deviceGroupId: GROUP,
          bootstrap: [{ certificatePolicyId: CLIENT_POLICY, csr: pem, serverSideKeyGeneration: {} }],
        }),
      ),
    ).toBe("input.bootstrap[0]");
    expect(
      await fieldOf(
        toWireDeviceRegistration({
          name: "a",
          deviceGroupId: GROUP,
          bootstrap: [
            { certificatePolicyId: CLIENT_POLICY, serverSideKeyGeneration: { keyType: "DSA" as never } },
          ],
        }),
      ),
    ).toBe("input.bootstrap[0].serverSideKeyGeneration.keyType");
    expect(
      await fieldOf(
        toWireDeviceRegistration({
          name: "a",
          deviceGroupId: GROUP,
          bootstrap: [
            {
              certificatePolicyId: CLIENT_POLICY,
              serverSideKeyGeneration: {},
              attributes: [{ name: "x", value: "y" }],
            },
          ],
        }),
      ),
    ).toBe("input.bootstrap[0].attributes[0].name");
  });
});

describe("toWireDtmBatch", () => {
  const clientPolicy = (): CertificatePolicy => toCertificatePolicy(CLIENT_POLICY_JSON);
  const serverPolicy = (): CertificatePolicy => toCertificatePolicy(SERVER_POLICY_JSON);
  const clientBatch = (overrides: Partial<DtmBatchInput> = {}): DtmBatchInput => ({
    name: "Line A",
    deviceGroupId: GROUP,
    certificatePolicyId: CLIENT_POLICY,
    ...overrides,
  });
  const serverBatch = (overrides: Partial<DtmBatchInput> = {}): DtmBatchInput => ({
    name: "Line A",
    deviceGroupId: GROUP,
    certificatePolicyId: SERVER_POLICY,
    serverSideKeyGeneration: { encryptionCertificate: encryptionPem, keyType: "RSA_4096" },
    ...overrides,
  });

  it("builds the client-side fields", async () => {
    expect(
      await toWireDtmBatch(
        clientBatch({ keyType: "P_256", emails: [" ops@example.com ", "ops@example.com", "qa@example.com"] }),
        clientPolicy(),
      ),
    ).toEqual({
      job_type: "device_registration",
      name: "Line A",
      device_group_id: GROUP,
      certificate_policy_id: CLIENT_POLICY,
      server_side_key_gen: "false",
      key_type: "P_256",
      emails: "ops@example.com,qa@example.com",
    });
  });

  it("builds the server-side fields with the normalised encryption certificate", async () => {
    const fields = await toWireDtmBatch(
      serverBatch({
        externalEmails: ["partner@example.org"],
        passcodeGenerationOption: false,
        passcode: "s3cret-pass",
      }),
      serverPolicy(),
    );
    expect(fields).toMatchObject({
      server_side_key_gen: "true",
      key_type: "RSA_4096",
      encryption_certificate: `${encryptionPem}\n`,
      external_emails: "partner@example.org",
      passcode_generation_option: "false",
      passcode: "s3cret-pass",
    });
  });

  it("leaves the policy out when none is asked for (DigiCert picks the group's BATCH policy)", async () => {
    const fields = await toWireDtmBatch(clientBatch({ certificatePolicyId: null }));
    expect(fields.certificate_policy_id).toBeUndefined();
  });

  it("wants an RSA encryption certificate within its validity for server-side keys", async () => {
    const path = "input.serverSideKeyGeneration.encryptionCertificate";
    for (const encryptionCertificate of [
      "",
      "not a pem",
      await selfSignedCertificate(),
      expiredEncryptionPem,
    ]) {
      expect(
        await fieldOf(toWireDtmBatch(serverBatch({ serverSideKeyGeneration: { encryptionCertificate } }))),
      ).toBe(path);
    }
  });

  it("checks the policy: key generation path, key type, BATCH method and device group", async () => {
    const keygen = "input.serverSideKeyGeneration";
    expect(
      await fieldOf(toWireDtmBatch(serverBatch({ certificatePolicyId: CLIENT_POLICY }), clientPolicy())),
    ).toBe(keygen);
    expect(
      await fieldOf(toWireDtmBatch(clientBatch({ certificatePolicyId: SERVER_POLICY }), serverPolicy())),
    ).toBe(keygen);
    expect(
      await fieldOf(
        toWireDtmBatch(
          serverBatch({
            serverSideKeyGeneration: { encryptionCertificate: encryptionPem, keyType: "RSA_3072" },
          }),
          serverPolicy(),
        ),
      ),
    ).toBe(`${keygen}.keyType`);
    expect(await fieldOf(toWireDtmBatch(clientBatch({ keyType: "P_521" }), clientPolicy()))).toBe(
      "input.keyType",
    );
    const apiOnly = { ...clientPolicy(), managementMethods: ["API" as const] };
    expect(await fieldOf(toWireDtmBatch(clientBatch(), apiOnly))).toBe("input.certificatePolicyId");
    expect(await fieldOf(toWireDtmBatch(clientBatch({ deviceGroupId: OTHER_GROUP }), clientPolicy()))).toBe(
      "input.certificatePolicyId",
    );
    expect(
      await fieldOf(toWireDtmBatch(clientBatch({ certificatePolicyId: API_ONLY }), clientPolicy())),
    ).toBe("input.certificatePolicyId");
  });

  it("names the field of a bad name, key type, email or passcode, and never quotes the passcode", async () => {
    expect(await fieldOf(toWireDtmBatch(clientBatch({ name: "a\u0000b" })))).toBe("input.name");
    expect(await fieldOf(toWireDtmBatch(clientBatch({ keyType: "rsa_1024" as never })))).toBe(
      "input.keyType",
    );
    expect(await fieldOf(toWireDtmBatch(serverBatch({ keyType: "P_256" })))).toBe("input.keyType");
    expect(await fieldOf(toWireDtmBatch(clientBatch({ emails: ["ok@example.com", "nope"] })))).toBe(
      "input.emails[1]",
    );
    expect(
      await fieldOf(
        toWireDtmBatch(clientBatch({ emails: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) })),
      ),
    ).toBe("input.emails");
    const error = await toWireDtmBatch(clientBatch({ passcode: "has space secret" })).catch(
      (e: unknown) => e,
    );
    expect((error as ValidationError).field).toBe("input.passcode");
    expect((error as Error).message).not.toContain("secret");
    expect(
      await fieldOf(
        toWireDtmBatch(clientBatch({ externalEmails: ["p@example.org"], passcodeGenerationOption: false })),
      ),
    ).toBe("input.passcode");
  });
});

describe("toDtmDomainError", () => {
  const http = (status: number, code?: string, message = "", retryAfter: number | null = null) =>
    new UpstreamHttpError("op", status, code ? [{ code, field: null, message }] : [], retryAfter);

  it("maps code 03 to DuplicateDeviceError", () => {
    const error = toDtmDomainError(http(409, "03", 'A device named "sensor-1" already exists'), {
      idempotent: false,
      operation: "register",
      deviceName: "sensor-1",
    });
    expect(error).toBeInstanceOf(DuplicateDeviceError);
    expect((error as DuplicateDeviceError).code).toBe("DUPLICATE_DEVICE");
    expect((error as Error).message).toContain("sensor-1");
    expect(toDtmDomainError(http(400, "03"), { idempotent: false })).toBeInstanceOf(DuplicateDeviceError);
  });

  it("reads the field DTM puts at the start of invalid_request messages", () => {
    const cases: [string, string][] = [
      ["data: The CSV file needs a csr column", "input.file"],
      ["encryption_certificate: must hold an RSA key", "input.serverSideKeyGeneration.encryptionCertificate"],
      ["device_group_id: unknown", "input.deviceGroupId"],
      [
        "certificate_policies.bootstrap[0].key_type: must be one of P_256",
        "input.bootstrap[0].serverSideKeyGeneration.keyType",
      ],
      ["Something without a field", "input"],
    ];
    for (const [message, path] of cases) {
      const error = toDtmDomainError(http(400, "invalid_request", message), { idempotent: false });
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(path);
      expect((error as Error).message).not.toContain(message);
    }
    expect(
      toDtmDomainError(http(400, "invalid_request", "certificate_policies.bootstrap[0].csr: bad signature"), {
        idempotent: false,
      }),
    ).toBeInstanceOf(InvalidCsrError);
  });

  it("reads a 400 on approve, reject or the report as the job's state", () => {
    const decide = toDtmDomainError(http(400, "invalid_request", "Batch job is COMPLETE"), {
      idempotent: false,
      operation: "batchDecide",
      jobId: JOB,
    }) as ValidationError;
    expect(decide.field).toBe("id");
    expect(decide.message).toContain("PENDING_APPROVAL");
    const report = toDtmDomainError(http(400, "invalid_request", "Batch job is IN_PROGRESS"), {
      idempotent: true,
      operation: "batchReport",
      jobId: JOB,
    }) as ValidationError;
    expect(report.message).toContain("processed");
  });

  it("maps 403/404 to not found, 413 to the file, and the rest as toDomainError does", () => {
    expect(
      toDtmDomainError(http(404, "resource_not_found"), { idempotent: false, jobId: JOB }),
    ).toBeInstanceOf(RequestNotFoundError);
    const policy = toDtmDomainError(http(403, "access_denied"), {
      idempotent: true,
      operation: "template",
      certificatePolicyId: CLIENT_POLICY,
    });
    expect(policy).toBeInstanceOf(CertificatePolicyNotFoundError);
    expect((policy as Error).message).toContain("Certificate policy");
    expect(
      (
        toDtmDomainError(http(413, "request_too_large"), {
          idempotent: false,
          operation: "batchCreate",
        }) as ValidationError
      ).field,
    ).toBe("input.file");
    expect(toDtmDomainError(http(401, "invalid_api_key"), { idempotent: true })).toBeInstanceOf(
      UpstreamAuthenticationError,
    );
    expect(toDtmDomainError(http(503, "service_unavailable", "", 7), { idempotent: true })).toMatchObject({
      retryAfterSeconds: 7,
    });
    expect(toDtmDomainError(http(500, "internal_error"), { idempotent: false })).toBeInstanceOf(
      UpstreamOutcomeUnknownError,
    );
    expect(
      toDtmDomainError(new UpstreamTransportError("op", "reset", true), { idempotent: false }),
    ).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(
      toDtmDomainError(new UpstreamTransportError("op", "refused", false), { idempotent: false }),
    ).toBeInstanceOf(UpstreamUnavailableError);
    expect(toDtmDomainError(new UpstreamBodyError("op", "x"), { idempotent: true })).toBeInstanceOf(
      UpstreamInvalidResponseError,
    );
    const other = new Error("x");
    expect(toDtmDomainError(other, { idempotent: true })).toBe(other);
  });

  it("maps DTM field names to input paths", () => {
    expect(toDtmInputPath("passcode")).toBe("input.passcode");
    expect(toDtmInputPath("certificate_policies.bootstrap[2].attributes[1]")).toBe(
      "input.bootstrap[2].attributes[1]",
    );
    expect(toDtmInputPath("certificate_policies.bootstrap")).toBe("input.bootstrap");
    expect(toDtmInputPath("unknown_field")).toBe("input");
  });
});

describe("tolerant reading", () => {
  const records = () => [DEVICE_JSON, { id: "not-a-uuid" }, { name: "no id" }, null, "x"];

  it("reads list pages as {records}, {items}, {data} or a bare array, counts as strings, leaving out unidentifiable records", () => {
    for (const [wire, total] of [
      [{ records: records(), total: "5", offset: "0", limit: "20" }, 5],
      [{ items: records(), total: 5 }, 5],
      [{ data: records(), total: "5" }, 5],
      [records(), null],
    ] as const) {
      const page = toDevicePage(wire);
      expect(page).toMatchObject({ total, skipped: 4 });
      expect(page.items.map((device) => device.id)).toEqual([DEVICE]);
    }
    expect(toDtmBatchJobPage([JOB_JSON, {}]).items).toHaveLength(1);
    expect(toDeviceGroupPage({ items: [GROUP_JSON] }).items[0]?.id).toBe(GROUP);
    expect(toCertificatePolicyPage([CLIENT_POLICY_JSON, { id: "x" }])).toMatchObject({ skipped: 1 });
    for (const wire of [{}, { records: "x" }, null, "[]", 7]) {
      expect(() => toDevicePage(wire)).toThrow(UpstreamInvalidResponseError);
    }
  });

  it("keeps a group or policy whose name cannot be read, naming it; a device's nested values are read liberally", () => {
    expect(
      toDeviceGroup({ ...GROUP_JSON, name: undefined as never, device_count: "7" as never }),
    ).toMatchObject({
      id: GROUP,
      name: null,
      deviceCount: 7,
      unreadable: ["name"],
    });
    expect(
      toCertificatePolicy({
        ...CLIENT_POLICY_JSON,
        name: { en: "x" } as never,
        certificate_validity: { unit: "days", duration: "365" as never },
      }),
    ).toMatchObject({ name: null, unreadable: ["name"], validity: { unit: "days", duration: 365 } });
    expect(
      toDevice({
        id: DEVICE,
        device_group: "not an object",
        division: null,
        certificate_policies: { bootstrap: [null, "x", { certificate_policy_id: CLIENT_POLICY }] },
        created_at: "2025-01-02 03:04:05",
      } as never),
    ).toMatchObject({
      deviceGroupId: null,
      divisionName: null,
      bootstrap: [{ certificatePolicyId: CLIENT_POLICY, attributes: [] }],
      createdAt: new Date("2025-01-02T03:04:05Z"),
    });
  });

  it("reads a job without a status as UNKNOWN, and its counts as strings", () => {
    expect(toDtmBatchJob({ id: JOB, total: "10", success: "7", failed: "3" } as never)).toMatchObject({
      status: "UNKNOWN",
      total: 10,
      success: 7,
      failed: 3,
    });
  });

  it("reads a created job's or device's id however DigiCert keys or nests it, and only a UUID", () => {
    for (const wire of [
      { id: JOB },
      { ID: JOB },
      { job_id: JOB },
      { jobId: JOB },
      { JOB_ID: JOB.toUpperCase() },
      { batch_job_id: JOB },
      { data: { id: JOB } },
      { result: { job_id: JOB } },
      { job: { id: JOB, status: "PENDING" } },
      JOB,
    ]) {
      expect(toCreatedDtmBatchJobId(wire)).toBe(JOB);
    }
    // Accepted, but no UUID to read: outcome unknown, with any id-like value DigiCert did send.
    for (const [wire, id] of [
      [{}, null],
      [{ id: 7 }, "7"],
      [{ data: { job_id: "job-12345" } }, "job-12345"],
      [{ device_group_id: JOB }, null],
      [{ id: "<script>" }, null],
      [{ data: "x" }, null],
      [null, null],
      [[JOB], null],
      ["7", "7"],
    ] as const) {
      let error: unknown;
      try {
        toCreatedDtmBatchJobId(wire);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
      expect(error).toMatchObject({ id });
    }
  });

  it("reads report rows whose row is a string, and a report without its job id as the job asked for", () => {
    const report = toDeviceRegistrationReport(
      {
        status: "COMPLETE",
        total: "3",
        rows: [
          { row: "7", device_name: "a", status: "SUCCESS", error_code: 3 },
          { row: -1, device_name: "b", status: "FAILED" },
          null,
        ],
      } as never,
      JOB as never,
    );
    expect(report).toMatchObject({ jobId: JOB, total: 3, skipped: 1 });
    expect(report.rows).toMatchObject([
      { row: 7, errorCode: "3", unreadable: [] },
      { row: null, deviceName: "b", unreadable: ["row"] },
    ]);
    expect(toDeviceRegistrationReport([{ row: 1 }] as never, JOB as never).rows).toHaveLength(1);
    expect(toDeviceRegistrationReport({ records: [{ row: 1 }] } as never, JOB as never).rows).toHaveLength(1);
    expect(() => toDeviceRegistrationReport({ rows: [] } as never)).toThrow(UpstreamInvalidResponseError);
    expect(() => toDeviceRegistrationReport({ job_id: JOB } as never)).toThrow(UpstreamInvalidResponseError);
  });
});

describe("disabling and deleting a device", () => {
  const http = (status: number, code: string, message = "") =>
    new UpstreamHttpError("op", status, [{ code, field: null, message }], null);

  it("checks the disable reason before anything is sent", () => {
    expect(toWireDisableDevice("  No longer needed ")).toEqual({ reason: "No longer needed" });
    for (const reason of ["", "   ", "x".repeat(256), "two\nlines"]) {
      expect(() => toWireDisableDevice(reason)).toThrow(ValidationError);
    }
  });

  it("maps DigiCert's refusals of a disable, delete or bootstrap download to the device or the input", () => {
    for (const operation of ["disable", "delete", "bootstrap"] as const) {
      for (const status of [403, 404]) {
        const missing = toDtmDomainError(http(status, "resource_not_found"), {
          idempotent: operation === "bootstrap",
          operation,
          deviceId: DEVICE,
          deviceField: "input.id",
        });
        expect(missing).toBeInstanceOf(DeviceNotFoundError);
        expect(missing).toMatchObject({ deviceId: DEVICE, field: "input.id" });
      }
      const refused = toDtmDomainError(http(400, "invalid_request", "A device must be disabled first"), {
        idempotent: false,
        operation,
        deviceId: DEVICE,
      }) as ValidationError;
      expect(refused).toBeInstanceOf(ValidationError);
      expect(refused.field).toBe("input.id");
      expect(refused.message).not.toContain("must be");
    }
    expect(
      toDtmDomainError(http(400, "invalid_request", "reason: reason is required"), {
        idempotent: false,
        operation: "disable",
        deviceId: DEVICE,
      }),
    ).toMatchObject({ field: "input.reason" });
    expect(
      toDtmDomainError(new UpstreamTransportError("op", "reset", true), {
        idempotent: false,
        operation: "delete",
        deviceId: DEVICE,
      }),
    ).toBeInstanceOf(UpstreamOutcomeUnknownError);
  });
});
