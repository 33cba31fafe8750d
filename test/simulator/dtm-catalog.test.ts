import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DTM_IDS,
  DTM_KEY_TYPES,
  RESTRICTED_API_KEY,
  type Simulator,
  startSimulator,
} from "../../simulator/index.js";
import { api } from "./helpers.js";
import { DTM_JOBS } from "./dtm-helpers.js";

const GROUPS = "/devicetrustmanager/api/v4/device-group";
const POLICIES = "/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy";
const TEMPLATE = `${DTM_JOBS}/template`;
const P = DTM_IDS.certificatePolicies;
const G = DTM_IDS.deviceGroups;

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 0, seedIotCertificates: 0 });
});

afterAll(async () => {
  await sim.close();
});

describe("seeded device groups", () => {
  it("lists the three groups with their division, policies and device counts", async () => {
    const result = await api(sim, GROUPS);
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({ total: 3, offset: 0, limit: 20 });
    expect(result.json.records.map((group: any) => group.id)).toEqual([
      G.factoryLine,
      G.fieldSensors,
      G.gateways,
    ]);
    const sensors = result.json.records[1];
    expect(sensors).toMatchObject({
      name: "Field sensors",
      division: { id: DTM_IDS.division },
      device_count: 3,
    });
    expect(sensors.certificate_policies.map((policy: any) => policy.id)).toEqual([
      P.bootstrapClient,
      P.apiOnly,
    ]);
  });

  it("shows the restricted key only the Field sensors group, and 403 for another by id", async () => {
    const result = await api(sim, GROUPS, { apiKey: RESTRICTED_API_KEY });
    expect(result.json.records.map((group: any) => group.id)).toEqual([G.fieldSensors]);
    expect((await api(sim, `${GROUPS}/${G.gateways}`, { apiKey: RESTRICTED_API_KEY })).status).toBe(403);
    expect((await api(sim, `${GROUPS}/${G.gateways}`)).json.name).toBe("Gateways");
    expect((await api(sim, `${GROUPS}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });
});

describe("seeded certificate policies", () => {
  it("exports fixed IOT_<uuid> ids and uppercase DTM key types", () => {
    for (const id of Object.values(P)) expect(id).toMatch(/^IOT_[0-9a-f-]{36}$/);
    expect(DTM_KEY_TYPES).toContain("RSA_2048");
    expect(DTM_KEY_TYPES).toContain("P_256");
  });

  it("describes key generation, key types, approval and the CSV template columns of each policy", async () => {
    const result = await api(sim, POLICIES);
    expect(result.json.total).toBe(4);
    const byId = new Map(result.json.records.map((policy: any) => [policy.id, policy]));
    expect(byId.get(P.bootstrapClient)).toMatchObject({
      client_side_key_gen_allowed: true,
      server_side_key_gen_allowed: false,
      allowed_key_types: ["RSA_2048", "RSA_3072", "P_256", "P_384"],
      approval_required: false,
      certificate_management_methods: ["API", "BATCH"],
      csv_template: {
        required_columns: ["device_name", "subject.common_name"],
        optional_columns: [
          "device_description",
          "subject.organization_name",
          "subject.organization_unit",
          "san.dns_name",
        ],
        client_side_extra_columns: ["csr"],
      },
    });
    expect(byId.get(P.factoryApproval)).toMatchObject({
      approval_required: true,
      client_side_key_gen_allowed: true,
      server_side_key_gen_allowed: true,
      certificate_management_methods: ["BATCH"],
    });
    expect(byId.get(P.apiOnly)).toMatchObject({ certificate_management_methods: ["API"] });
    for (const policy of result.json.records) {
      for (const keyType of policy.allowed_key_types) expect(DTM_KEY_TYPES).toContain(keyType);
    }
  });

  it("filters policies by device group and hides the others from the restricted key", async () => {
    const gateways = await api(sim, `${POLICIES}?device_group_id=${G.gateways}`);
    expect(gateways.json.records.map((policy: any) => policy.id)).toEqual([P.bootstrapServer]);
    const restricted = await api(sim, POLICIES, { apiKey: RESTRICTED_API_KEY });
    expect(restricted.json.records.map((policy: any) => policy.id).sort()).toEqual(
      [P.bootstrapClient, P.apiOnly].sort(),
    );
    expect((await api(sim, `${POLICIES}/${P.bootstrapServer}`, { apiKey: RESTRICTED_API_KEY })).status).toBe(
      403,
    );
    expect((await api(sim, `${POLICIES}/${P.bootstrapServer}`)).json.default_key_type).toBe("P_256");
  });
});

describe("the CSV template of a certificate policy", () => {
  it("answers text/csv with the header row, ending with csr for client-side keys", async () => {
    const result = await api(sim, `${TEMPLATE}?certificate_policy_id=${P.factoryApproval}`);
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(result.headers["content-disposition"]).toMatch(/^attachment; filename=".+\.csv"$/);
    expect(result.text).toBe(
      '"device_name","device_description","subject.common_name","subject.organization_name",' +
        '"subject.organization_unit","subject.country","san.dns_name","csr"\r\n',
    );
  });

  it("leaves csr out for server-side keys, the default when the policy allows only those", async () => {
    const server = await api(sim, `${TEMPLATE}?certificate_policy_id=${P.bootstrapServer}`);
    expect(server.text).toBe(
      '"subject.common_name","subject.organization_name","subject.organization_unit","san.dns_name",' +
        '"device_name","device_description"\r\n',
    );
    const chosen = await api(
      sim,
      `${TEMPLATE}?certificate_policy_id=${P.factoryApproval}&server_side_key_gen=true&job_type=device_registration`,
    );
    expect(chosen.text).not.toContain("csr");
  });

  it("answers 400 for a key generation the policy does not allow, 404 for an unknown policy, 403 for the restricted key", async () => {
    const refused = await api(
      sim,
      `${TEMPLATE}?certificate_policy_id=${P.bootstrapServer}&server_side_key_gen=false`,
    );
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain("server_side_key_gen");
    const missing = await api(sim, TEMPLATE);
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain("certificate_policy_id");
    const unknown = await api(
      sim,
      `${TEMPLATE}?certificate_policy_id=IOT_00000000-0000-4000-8000-000000000000`,
    );
    expect(unknown.status).toBe(404);
    const restricted = await api(sim, `${TEMPLATE}?certificate_policy_id=${P.factoryApproval}`, {
      apiKey: RESTRICTED_API_KEY,
    });
    expect(restricted.status).toBe(403);
  });
});
