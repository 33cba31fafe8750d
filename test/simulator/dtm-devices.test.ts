import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DTM_IDS, RESTRICTED_API_KEY, type Simulator, startSimulator } from "../../simulator/index.js";
import { api, makeCsr } from "./helpers.js";
import { DTM_DEVICES, DTM_REGISTRATION } from "./dtm-helpers.js";

const P = DTM_IDS.certificatePolicies;
const G = DTM_IDS.deviceGroups;
const ACCOUNT_ID = "1d20c325-a69a-44ef-b668-6ee30630798d";

let sim: Simulator;
let counter = 0;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 0, seedIotCertificates: 0 });
});

afterAll(async () => {
  await sim.close();
});

function uniqueName(prefix = "device"): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

/** The body of DigiCert's own registration test: server-side RSA_2048 keys, PEM, PKCS8, a common name. */
function serverSideBody(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    device_group_id: G.gateways,
    account_id: ACCOUNT_ID,
    certificate_policies: {
      bootstrap: [
        {
          certificate_policy_id: P.bootstrapServer,
          server_side_key_gen: true,
          key_type: "RSA_2048",
          key_format: "PEM",
          key_syntax: "PKCS8",
          attributes: [
            { name: "subject.common_name", value: `${name}.example.com` },
            { name: "subject.organization_name", value: "Example" },
          ],
          ...extra,
        },
      ],
    },
  };
}

async function clientSideBody(name: string, csrOptions: Parameters<typeof makeCsr>[0] = {}) {
  return {
    name,
    device_group_id: G.fieldSensors,
    description: "A sensor",
    certificate_policies: {
      bootstrap: [
        {
          certificate_policy_id: P.bootstrapClient,
          server_side_key_gen: false,
          csr: await makeCsr(csrOptions),
          attributes: [{ name: "subject.common_name", value: `${name}.example.com` }],
        },
      ],
    },
  };
}

describe("registering a single device", () => {
  it("answers 200 with device_id for the documented server-side body, and lists the device by name", async () => {
    const name = uniqueName("gateway");
    const result = await api(sim, DTM_REGISTRATION, { body: serverSideBody(name) });
    expect(result.status).toBe(200);
    expect(Object.keys(result.json)).toEqual(["device_id"]);
    const listed = await api(
      sim,
      `${DTM_DEVICES}?name=${name}&device_group_id=${G.gateways}&account_id=${ACCOUNT_ID}`,
    );
    expect(listed.json.records).toHaveLength(1);
    expect(listed.json.records[0]).toMatchObject({
      id: result.json.device_id,
      name,
      status: "REGISTERED",
      device_group: { id: G.gateways, name: "Gateways" },
      account_id: ACCOUNT_ID,
      registration_method: "API",
      certificate_policies: {
        bootstrap: [
          {
            certificate_policy_id: P.bootstrapServer,
            server_side_key_gen: true,
            key_type: "RSA_2048",
            key_format: "PEM",
            key_syntax: "PKCS8",
            attributes: [
              { name: "subject.common_name", value: `${name}.example.com` },
              { name: "subject.organization_name", value: "Example" },
            ],
          },
        ],
      },
    });
    const byId = await api(sim, `${DTM_DEVICES}/${result.json.device_id}`);
    expect(byId.json.name).toBe(name);
  });

  it("registers with a CSR for client-side keys and takes the key type from the CSR", async () => {
    const name = uniqueName("sensor");
    const result = await api(sim, DTM_REGISTRATION, { body: await clientSideBody(name, { key: "p384" }) });
    expect(result.status, result.text).toBe(200);
    const device = await api(sim, `${DTM_DEVICES}/${result.json.device_id}`);
    expect(device.json.certificate_policies.bootstrap[0]).toMatchObject({
      server_side_key_gen: false,
      key_type: "P_384",
    });
    expect(JSON.stringify(device.json)).not.toContain("CERTIFICATE REQUEST");
  });

  it('answers a second device of the same name in the group with 409 and code "03", case-insensitively', async () => {
    const name = uniqueName("duplicate");
    expect((await api(sim, DTM_REGISTRATION, { body: serverSideBody(name) })).status).toBe(200);
    const again = await api(sim, DTM_REGISTRATION, { body: serverSideBody(name.toUpperCase()) });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ error: { code: "03", message: expect.stringContaining("already exists") } });
    const otherGroup = await api(sim, DTM_REGISTRATION, {
      body: { name, device_group_id: G.factoryLine },
    });
    expect(otherGroup.status).toBe(200);
  });

  it("accepts ECDSA key type aliases and answers the canonical uppercase name", async () => {
    const result = await api(sim, DTM_REGISTRATION, {
      body: serverSideBody(uniqueName(), { key_type: "ecdsa_p384", key_syntax: undefined }),
    });
    expect(result.status, result.text).toBe(200);
    const device = await api(sim, `${DTM_DEVICES}/${result.json.device_id}`);
    expect(device.json.certificate_policies.bootstrap[0].key_type).toBe("P_384");
  });

  it.each([
    ["name is missing", { name: "" }, "name"],
    ["the group is not a UUID", { device_group_id: "group" }, "device_group_id"],
    [
      "the group does not exist",
      { device_group_id: "00000000-0000-4000-8000-000000000000" },
      "device_group_id",
    ],
    ["the account is another one", { account_id: "00000000-0000-4000-8000-000000000000" }, "account_id"],
  ])("answers 400 naming the field when %s", async (_, change, field) => {
    const result = await api(sim, DTM_REGISTRATION, { body: { ...serverSideBody(uniqueName()), ...change } });
    expect(result.status).toBe(400);
    expect(result.json.error.code).toBe("invalid_request");
    expect(result.json.error.message).toContain(field);
  });

  it.each([
    ["the policy is not the group's", { certificate_policy_id: P.bootstrapClient }, "certificate_policy_id"],
    ["the key type is not allowed", { key_type: "RSA_3072" }, "key_type"],
    ["the key type is unknown", { key_type: "DSA_1024" }, "key_type"],
    ["server_side_key_gen is not a boolean", { server_side_key_gen: "true" }, "server_side_key_gen"],
    ["client-side keys are not allowed", { server_side_key_gen: false }, "server_side_key_gen"],
    ["key_format is unknown", { key_format: "JKS" }, "key_format"],
    ["PKCS1 syntax is asked for an EC key", { key_type: "P_256", key_syntax: "PKCS1" }, "key_syntax"],
    [
      "a required attribute is missing",
      { attributes: [{ name: "subject.common_name", value: "a" }] },
      "attributes",
    ],
    [
      "an attribute is not in the template",
      { attributes: [{ name: "subject.locality", value: "x" }] },
      "subject.locality",
    ],
    [
      "a SAN is malformed",
      {
        attributes: [
          { name: "subject.common_name", value: "a" },
          { name: "subject.organization_name", value: "O" },
          { name: "san.dns_name", value: "not a host" },
        ],
      },
      "attributes[2]",
    ],
    ["a CSR comes with server-side keys", { csr: "x" }, "csr"],
  ])("answers 400 naming the bootstrap field when %s", async (_, change, field) => {
    const result = await api(sim, DTM_REGISTRATION, { body: serverSideBody(uniqueName(), change) });
    expect(result.status).toBe(400);
    expect(result.json.error.message).toContain(field);
  });

  it("answers 400 on csr when it is missing, unsigned garbage or a key the policy does not allow", async () => {
    const body = await clientSideBody(uniqueName());
    const entry = body.certificate_policies.bootstrap[0]!;
    for (const csr of [undefined, "not a csr", await makeCsr({ key: "p521" })]) {
      const result = await api(sim, DTM_REGISTRATION, {
        body: { ...body, certificate_policies: { bootstrap: [{ ...entry, csr }] } },
      });
      expect(result.status).toBe(400);
      expect(result.json.error.message).toContain("certificate_policies.bootstrap[0].csr");
    }
  });

  it("answers 403 when the restricted key registers into another group", async () => {
    const result = await api(sim, DTM_REGISTRATION, {
      body: serverSideBody(uniqueName()),
      apiKey: RESTRICTED_API_KEY,
    });
    expect(result.status).toBe(403);
    expect(result.json.error.code).toBe("access_denied");
    const own = await api(sim, DTM_REGISTRATION, {
      body: await clientSideBody(uniqueName()),
      apiKey: RESTRICTED_API_KEY,
    });
    expect(own.status).toBe(200);
  });
});

describe("listing devices", () => {
  it("answers {records, total, offset, limit} newest first and pages through them", async () => {
    const names = [uniqueName("page"), uniqueName("page"), uniqueName("page")];
    for (const name of names) {
      expect(
        (await api(sim, DTM_REGISTRATION, { body: { name, device_group_id: G.factoryLine } })).status,
      ).toBe(200);
    }
    const first = await api(sim, `${DTM_DEVICES}?device_group_id=${G.factoryLine}&limit=2`);
    expect(first.json).toMatchObject({ offset: 0, limit: 2 });
    expect(first.json.records.map((device: any) => device.name)).toEqual([names[2], names[1]]);
    const second = await api(sim, `${DTM_DEVICES}?device_group_id=${G.factoryLine}&limit=2&offset=2`);
    expect(second.json.records[0].name).toBe(names[0]);
    expect(second.json.total).toBe(first.json.total);
  });

  it("filters by status (a comma list) and answers 400 for an unknown status", async () => {
    const disabled = await api(sim, `${DTM_DEVICES}?status=disabled`);
    expect(disabled.json.records.map((device: any) => device.name)).toEqual(["field-sensor-003"]);
    const both = await api(sim, `${DTM_DEVICES}?status=DISABLED,PROVISIONED&limit=100`);
    expect(both.json.total).toBe(5);
    const bad = await api(sim, `${DTM_DEVICES}?status=LOST`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain("status");
  });

  it("shows the restricted key only the devices of its group", async () => {
    const result = await api(sim, `${DTM_DEVICES}?limit=1000`, { apiKey: RESTRICTED_API_KEY });
    expect(result.json.records.length).toBeGreaterThan(0);
    for (const device of result.json.records) expect(device.device_group_id).toBe(G.fieldSensors);
    const seeded = await api(sim, `${DTM_DEVICES}?name=edge-gateway-01`, { apiKey: RESTRICTED_API_KEY });
    expect(seeded.json).toMatchObject({ records: [], total: 0 });
    const byId = await api(sim, `${DTM_DEVICES}/2d845b9a-99da-4037-b5c8-a3b22abb9e79`, {
      apiKey: RESTRICTED_API_KEY,
    });
    expect(byId.status).toBe(403);
  });

  it("answers 404 for an unknown device and 400 for a malformed id", async () => {
    expect((await api(sim, `${DTM_DEVICES}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await api(sim, `${DTM_DEVICES}/not-a-device`)).status).toBe(400);
  });
});
