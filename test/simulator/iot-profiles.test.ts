import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  IOT_DEVICE_FIELD_IDS,
  IOT_KEY_TYPES,
  IOT_PROFILE_IDS,
  RESTRICTED_API_KEY,
  type Simulator,
  startSimulator,
} from "../../simulator/index.js";
import { api, makeCsr } from "./helpers.js";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 2, seedIotCertificates: 2 });
});

afterEach(() => {
  sim.clearFaults();
  sim.setLatency(0);
});

afterAll(async () => {
  await sim.close();
});

const PROFILES = "/iot/api/v1/enrollment-profile";

describe("IoT enrollment profiles", () => {
  it("exports five fixed IOT_<uuid> ids and lists them all", async () => {
    const ids = Object.values(IOT_PROFILE_IDS);
    expect(ids).toHaveLength(5);
    for (const id of ids)
      expect(id).toMatch(/^IOT_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const list = await api(sim, PROFILES);
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ total: 5, offset: 0, limit: 20 });
    expect(list.json.records.map((profile: any) => profile.id)).toEqual(ids);
  });

  it("covers every key generation option, both enrollment methods, approval and the documented key types", async () => {
    const list = (await api(sim, PROFILES)).json.records as any[];
    expect(new Set(list.map((profile) => profile.key_generation_option))).toEqual(
      new Set(["client_side", "server_side", "client_or_server_side"]),
    );
    expect(new Set(list.flatMap((profile) => profile.enrollment_methods))).toEqual(new Set(["API", "BATCH"]));
    expect(list.filter((profile) => profile.batch_approval_required).map((profile) => profile.id)).toEqual([
      IOT_PROFILE_IDS.factoryBatch,
    ]);
    expect(new Set(list.flatMap((profile) => profile.allowed_key_types))).toEqual(new Set(IOT_KEY_TYPES));
    const flexible = await api(sim, `${PROFILES}/${IOT_PROFILE_IDS.deviceFlexible}`);
    expect(flexible.json).toMatchObject({
      id: IOT_PROFILE_IDS.deviceFlexible,
      key_generation_option: "client_or_server_side",
      enrollment_methods: ["API", "BATCH"],
      allowed_key_types: ["rsa_2048", "rsa_4096", "p_256", "p_521", "ed_25519"],
      default_key_type: "p_256",
      batch_approval_required: false,
    });
    const gateway = await api(
      sim,
      `${PROFILES}/${IOT_PROFILE_IDS.gatewayFixedKey.toLowerCase().replace("iot_", "IOT_")}`,
    );
    expect(gateway.json).toMatchObject({ key_type_fixed: true, allowed_key_types: ["p_384"] });
  });

  it("answers the enrollment specification as {fields:[{id,name,...}]}, with the ids device_attributes take", async () => {
    const result = await api(sim, `${PROFILES}/${IOT_PROFILE_IDS.deviceCsr}/enrollment-specification`);
    expect(result.status).toBe(200);
    expect(Object.keys(result.json)).toEqual(["fields"]);
    const operator = result.json.fields.find((field: any) => field.name === "Operator");
    expect(operator).toEqual({
      id: IOT_DEVICE_FIELD_IDS.operator,
      name: "Operator",
      type: "device_attribute",
      required: false,
      multiple: false,
    });
    expect(result.json.fields.map((field: any) => field.id)).toEqual([
      "subject.common_name",
      "subject.organization_name",
      "subject.organization_unit",
      "san.dns_name",
      "DEVICE_IDENTIFIER",
      IOT_DEVICE_FIELD_IDS.operator,
    ]);
    expect(result.json.fields[1]).toMatchObject({
      value: "Example IoT Devices",
      fixed: true,
      required: true,
    });

    // The way the public scripts use it: look a field id up by name, then send it in device_attributes.
    const enrolled = await api(sim, "/iot/api/v1/certificate", {
      body: {
        csr: await makeCsr({ subject: "CN=spec.example.com" }),
        enrollment_profile_id: IOT_PROFILE_IDS.deviceCsr,
        device_attributes: [
          { id: "DEVICE_IDENTIFIER", value: "SPEC-1" },
          { id: operator.id, value: "Opsfleet" },
        ],
      },
    });
    const stored = await api(sim, `/iot/api/v1/certificate/${enrolled.json.certificate_id}`);
    expect(stored.json.device_attributes).toContainEqual({
      id: operator.id,
      name: "Operator",
      value: "Opsfleet",
    });
  });

  it("answers 400 for a malformed id, 404 for an unknown one and 403 for the restricted key", async () => {
    const malformed = await api(
      sim,
      `${PROFILES}/3370856d-f466-474a-a26f-4a8b75504aed/enrollment-specification`,
    );
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "id" });
    const unknown = await api(sim, `${PROFILES}/IOT_00000000-0000-4000-8000-000000000000`);
    expect(unknown.status).toBe(404);
    const restricted = await api(sim, `${PROFILES}/${IOT_PROFILE_IDS.deviceCsr}`, {
      apiKey: RESTRICTED_API_KEY,
    });
    expect(restricted.status).toBe(403);
    expect((await api(sim, PROFILES, { apiKey: RESTRICTED_API_KEY })).json.total).toBe(0);
    expect((await api(sim, PROFILES, { apiKey: null })).status).toBe(401);
  });
});

describe("IoT routes and the test knobs", () => {
  it("counts IoT requests under their route keys", async () => {
    sim.resetCounters();
    await api(sim, `${PROFILES}/${IOT_PROFILE_IDS.deviceCsr}/enrollment-specification`);
    await api(sim, "/iot/api/v1/certificate", { body: {} });
    await api(sim, "/iot/api/v1/certificate/");
    await api(sim, "/iot/api/v1/certificate/00000000-0000-4000-8000-000000000000");
    await api(sim, "/iot/api/v1/certificate/ABC/revoke", { method: "PUT", body: {} });
    await api(sim, "/iot/api/v1/certificate/ABC/renew", { body: {} });
    expect(sim.requestCounts()).toEqual({
      "GET /iot/api/v1/enrollment-profile/:id/enrollment-specification": 1,
      "POST /iot/api/v1/certificate": 1,
      "GET /iot/api/v1/certificate": 1,
      "GET /iot/api/v1/certificate/:id": 1,
      "PUT /iot/api/v1/certificate/:id/revoke": 1,
      "POST /iot/api/v1/certificate/:id/renew": 1,
    });
  });

  it("injects status faults by IoT route key, in code and over HTTP", async () => {
    sim.injectFault({
      route: "POST /iot/api/v1/certificate",
      kind: "status",
      status: 429,
      retryAfterSeconds: 2,
      times: 1,
    });
    const limited = await api(sim, "/iot/api/v1/certificate", { body: {} });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("2");
    expect(limited.json.errors[0].code).toBe("request_limit_exceeded");
    expect((await api(sim, "/iot/api/v1/certificate", { body: {} })).status).toBe(400);

    const viaHttp = await api(sim, "/_simulator/faults", {
      apiKey: null,
      body: { route: "GET /iot/api/v1/certificate", kind: "status", status: 502, times: 1 },
    });
    expect(viaHttp.status).toBe(204);
    expect((await api(sim, "/iot/api/v1/certificate")).status).toBe(502);
    expect((await api(sim, "/iot/api/v1/certificate")).status).toBe(200);
  });

  it("adds latency to IoT routes", async () => {
    sim.setLatency(60);
    const started = performance.now();
    await api(sim, `${PROFILES}/${IOT_PROFILE_IDS.deviceCsr}`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });
});
