import { unzipSync } from "fflate";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_API_KEY,
  DTM_IDS,
  RESTRICTED_API_KEY,
  type Simulator,
  startSimulator,
} from "../../simulator/index.js";
import { api } from "./helpers.js";
import { DTM_DEVICES, DTM_REGISTRATION } from "./dtm-helpers.js";

const P = DTM_IDS.certificatePolicies;
const G = DTM_IDS.deviceGroups;
const BOOTSTRAP = "/devicetrustmanager/api/v4/bootstrap-config/download";
/** A seeded device of the factory line group, which RESTRICTED_API_KEY cannot use. */
const OTHER_GROUPS_DEVICE = "7a87ce9d-f187-4486-8239-64b4cee3f036";

let sim: Simulator;
let counter = 0;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 0, seedIotCertificates: 0 });
});

afterAll(async () => {
  await sim.close();
});

/** Registers a server-side device as DigiCert's own test does; its id. */
async function register(): Promise<{ id: string; name: string }> {
  counter += 1;
  const name = `lifecycle-${process.pid}-${counter}`;
  const result = await api(sim, DTM_REGISTRATION, {
    body: {
      name,
      device_group_id: G.gateways,
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
    },
  });
  expect(result.status).toBe(200);
  return { id: result.json.device_id, name };
}

async function download(id: string, apiKey = DEFAULT_API_KEY) {
  const response = await request(`${sim.url}${BOOTSTRAP}/${id}`, { headers: { "x-api-key": apiKey } });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}

describe("disabling and deleting a device, as DigiCert's own test does", () => {
  it("disables with PATCH .../disable {reason} (200, status DISABLED), then deletes with PATCH .../delete (200, gone)", async () => {
    const { id, name } = await register();
    const disabled = await api(sim, `${DTM_DEVICES}/${id}/disable`, {
      method: "PATCH",
      body: { reason: "No longer needed" },
    });
    expect(disabled.status).toBe(200);
    expect(disabled.json).toMatchObject({ id, status: "DISABLED", disable_reason: "No longer needed" });
    expect((await api(sim, `${DTM_DEVICES}/${id}`)).json.status).toBe("DISABLED");
    // Disabling again answers the same and keeps the first reason.
    const again = await api(sim, `${DTM_DEVICES}/${id}/disable`, {
      method: "PATCH",
      body: { reason: "Other" },
    });
    expect(again.json).toMatchObject({ status: "DISABLED", disable_reason: "No longer needed" });

    const deleted = await api(sim, `${DTM_DEVICES}/${id}/delete`, { method: "PATCH" });
    expect(deleted.status).toBe(200);
    expect((await api(sim, `${DTM_DEVICES}/${id}`)).status).toBe(404);
    expect((await api(sim, `${DTM_DEVICES}?name=${name}`)).json.records).toEqual([]);
    // The name is free again in its group.
    const reused = await api(sim, DTM_REGISTRATION, { body: { name, device_group_id: G.gateways } });
    expect(reused.status).toBe(200);
  });

  it("refuses to delete a device that is not disabled, and to disable without a reason", async () => {
    const { id } = await register();
    const deleted = await api(sim, `${DTM_DEVICES}/${id}/delete`, { method: "PATCH" });
    expect(deleted.status).toBe(400);
    expect(deleted.json.error).toMatchObject({ code: "invalid_request" });
    for (const body of [{}, { reason: "" }, { reason: "x".repeat(256) }, { reason: 7 }]) {
      const refused = await api(sim, `${DTM_DEVICES}/${id}/disable`, { method: "PATCH", body });
      expect(refused.status).toBe(400);
      expect(refused.json.error.message).toMatch(/^reason\b/);
    }
    expect((await api(sim, `${DTM_DEVICES}/${id}`)).json.status).toBe("REGISTERED");
  });

  it("answers 404 for an unknown device, 403 for another group's, and 400 for an id that is not a UUID", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    for (const action of ["disable", "delete"]) {
      const body = action === "disable" ? { reason: "x" } : undefined;
      expect((await api(sim, `${DTM_DEVICES}/${unknown}/${action}`, { method: "PATCH", body })).status).toBe(
        404,
      );
      const denied = await api(sim, `${DTM_DEVICES}/${OTHER_GROUPS_DEVICE}/${action}`, {
        method: "PATCH",
        body,
        apiKey: RESTRICTED_API_KEY,
      });
      expect(denied.status).toBe(403);
      expect((await api(sim, `${DTM_DEVICES}/not-a-uuid/${action}`, { method: "PATCH", body })).status).toBe(
        400,
      );
    }
    expect((await api(sim, `${DTM_DEVICES}/${OTHER_GROUPS_DEVICE}`)).json.status).toBe("PROVISIONED");
  });
});

describe("the bootstrap configuration download", () => {
  it("is a ZIP holding bootstrap.json: the device, its policies' key settings and attributes, and the EST paths", async () => {
    const { id, name } = await register();
    const result = await download(id);
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toBe("application/zip");
    expect(result.headers["content-disposition"]).toBe('attachment; filename="bootstrap.zip"');
    const files = unzipSync(new Uint8Array(result.body));
    expect(Object.keys(files)).toEqual(["bootstrap.json"]);
    const config = JSON.parse(Buffer.from(files["bootstrap.json"]!).toString("utf8"));
    const est = `/.well-known/est/devicetrustmanager/${P.bootstrapServer}/device-group/${G.gateways}`;
    expect(config).toEqual({
      device_id: id,
      device_name: name,
      device_group_id: G.gateways,
      account_id: expect.any(String),
      certificate_policies: [
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
          est: { simpleenroll: `${est}/simpleenroll`, cacerts: `${est}/cacerts` },
        },
      ],
    });
  });

  it("is refused for a disabled device (400), an unknown one (404) and another group's (403)", async () => {
    const { id } = await register();
    await api(sim, `${DTM_DEVICES}/${id}/disable`, { method: "PATCH", body: { reason: "Retired" } });
    const disabled = await download(id);
    expect(disabled.status).toBe(400);
    expect(JSON.parse(disabled.body.toString()).error.code).toBe("invalid_request");
    expect((await download("00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await download(OTHER_GROUPS_DEVICE, RESTRICTED_API_KEY)).status).toBe(403);
  });
});
