import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { UpstreamHttpError } from "../../src/datasources/errors.js";
import { MAX_NODES } from "../../src/schema/builder.js";
import { type FakeUpstream, inProcess } from "../helpers/in-process.js";

/*
 * `nodes(ids:)` beside `node(id:)`: the same loaders, one entry per id in the order asked, each failing alone, and a
 * bound checked before any upstream call. DigiCert is the in-process fake (Device Trust Manager and IoT Trust Manager).
 */

const globalId = (typename: string, id: string) => Buffer.from(`${typename}:${id}`).toString("base64");

const GROUP = randomUUID();
const DEVICE = randomUUID();
const MISSING_DEVICE = randomUUID();
const CERTIFICATE = randomUUID();

/** DigiCert with one group, one device, one IoT certificate; `path` of every request is kept by the fake's caller. */
function digicert(overrides: Partial<Record<string, FakeUpstream>> = {}): FakeUpstream {
  return (req) => {
    const override = overrides[req.operation];
    if (override) return override(req);
    const path = String(req.path);
    if (req.operation === "dtm.getDeviceGroup") return { id: GROUP, name: "Line A" };
    if (req.operation === "dtm.getDevice") {
      if (path.endsWith(DEVICE)) return { id: DEVICE, name: "sensor-1", status: "registered" };
      throw new UpstreamHttpError(req.operation, 404, [], null);
    }
    if (req.operation === "iot.getCertificate") {
      return { id: CERTIFICATE, serial_number: "0A1B", status: "issued", common_name: "device-1" };
    }
    throw new Error(`unexpected ${req.operation}`);
  };
}

const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) {
  __typename id
  ... on Device { deviceId name }
  ... on DeviceGroup { groupId name }
  ... on DeviceCertificate { certificateId serialNumber }
} }`;

describe("nodes(ids:)", () => {
  it("answers each id in the order asked, null for one DigiCert does not have, reading a repeated id once", async () => {
    const gateway = inProcess(digicert());
    const ids = [
      globalId("Device", DEVICE),
      globalId("DeviceGroup", GROUP),
      globalId("Device", MISSING_DEVICE),
      globalId("DeviceCertificate", CERTIFICATE),
      globalId("Device", DEVICE),
    ];
    const result = await gateway.run(NODES, { ids });
    expect(result.errors).toBeUndefined();
    const device = { __typename: "Device", id: ids[0], deviceId: DEVICE, name: "sensor-1" };
    expect(result.data.nodes).toEqual([
      device,
      { __typename: "DeviceGroup", id: ids[1], groupId: GROUP, name: "Line A" },
      null,
      { __typename: "DeviceCertificate", id: ids[3], certificateId: CERTIFICATE, serialNumber: "0A1B" },
      device,
    ]);
    expect(gateway.calls.sort()).toEqual([
      "dtm.getDevice",
      "dtm.getDevice",
      "dtm.getDeviceGroup",
      "iot.getCertificate",
    ]);
  });

  it("fails only the entry DigiCert failed for, with that entry's path and code", async () => {
    const gateway = inProcess(
      digicert({
        "iot.getCertificate": (req) => {
          throw new UpstreamHttpError(req.operation, 503, [], 2);
        },
      }),
    );
    const ids = [globalId("DeviceCertificate", CERTIFICATE), globalId("Device", DEVICE)];
    const result = await gateway.run(NODES, { ids });
    expect(result.data.nodes[0]).toBeNull();
    expect(result.data.nodes[1]).toMatchObject({ __typename: "Device", deviceId: DEVICE });
    expect(result.errors?.map((e: any) => [e.path.join("."), e.extensions.code])).toEqual([
      ["nodes.0", "UPSTREAM_UNAVAILABLE"],
    ]);
  });

  it("refuses the entry whose type needs a scope the token lacks, without asking DigiCert for it", async () => {
    const gateway = inProcess(digicert(), ["devices"]);
    const ids = [globalId("Device", DEVICE), globalId("DeviceCertificate", CERTIFICATE)];
    const result = await gateway.run(NODES, { ids });
    expect(result.data.nodes[0]).toMatchObject({ deviceId: DEVICE });
    expect(result.data.nodes[1]).toBeNull();
    expect(result.errors?.map((e: any) => [e.path.join("."), e.extensions.code])).toEqual([
      ["nodes.1", "FORBIDDEN"],
    ]);
    expect(gateway.calls).toEqual(["dtm.getDevice"]);
  });

  it(`refuses more than ${MAX_NODES} ids before any upstream call, and answers an empty list with an empty list`, async () => {
    const gateway = inProcess(digicert());
    const over = Array.from({ length: MAX_NODES + 1 }, () => globalId("Device", randomUUID()));
    const refused = await gateway.run(NODES, { ids: over });
    expect(refused.data).toBeNull();
    expect(refused.errors).toEqual([
      {
        message: `Ask for at most ${MAX_NODES} ids at once.`,
        path: ["nodes"],
        extensions: { code: "VALIDATION_FAILED" },
      },
    ]);
    expect(gateway.calls).toEqual([]);

    const atBound = await gateway.run(NODES, { ids: over.slice(1) });
    expect(atBound.errors).toBeUndefined();
    expect(atBound.data.nodes).toHaveLength(MAX_NODES);

    const empty = await gateway.run(NODES, { ids: [] });
    expect(empty).toEqual({ data: { nodes: [] } });
  });

  it("refuses the whole list for one id that is not a global id of this API, before any upstream call", async () => {
    const gateway = inProcess(digicert());
    for (const bad of [DEVICE, globalId("Seat", "ops@example.com"), globalId("Device", "not-a-uuid")]) {
      const result = await gateway.run(NODES, { ids: [globalId("Device", DEVICE), bad] });
      expect(result.data, bad).toBeNull();
      expect(result.errors?.map((e: any) => e.extensions.code)).toEqual(["VALIDATION_FAILED"]);
    }
    expect(gateway.calls).toEqual([]);
  });
});
