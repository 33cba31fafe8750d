import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { UpstreamRequest } from "../../src/datasources/http.js";
import { inProcess } from "../helpers/in-process.js";

/*
 * The id policy on the schema: every argument that names an object takes its global id or DigiCert's own id, checked
 * for that type before any upstream call; statuses are enums, and one DigiCert added since reads as UNKNOWN without
 * failing the rest. DigiCert is the in-process fake, which records every request.
 */

const globalId = (typename: string, id: string) => Buffer.from(`${typename}:${id}`).toString("base64");

const GROUP = randomUUID();
const POLICY = `IOT_${randomUUID()}`;
const PROFILE = `IOT_${randomUUID()}`;
const CERTIFICATE = randomUUID();

function recording(answer: (req: UpstreamRequest) => unknown) {
  const requests: UpstreamRequest[] = [];
  const gateway = inProcess((req) => {
    requests.push(req);
    return answer(req);
  });
  return { gateway, requests };
}

const codes = (errors: any[] | undefined) =>
  (errors ?? []).map((e) => [e.path?.join("."), e.extensions.code]);

describe("id arguments", () => {
  it("take an object's global id or DigiCert's own id, in any case, and send DigiCert its own id", async () => {
    const { gateway, requests } = recording(() => ({ id: GROUP, name: "Line A" }));
    const byGlobal = await gateway.run(`query($id: ID!) { deviceGroup(id: $id) { id groupId } }`, {
      id: globalId("DeviceGroup", GROUP),
    });
    const byOwn = await gateway.run(`query($id: ID!) { deviceGroup(id: $id) { id groupId } }`, {
      id: GROUP.toUpperCase(),
    });
    expect(byGlobal.errors).toBeUndefined();
    expect(byGlobal.data.deviceGroup).toEqual({ id: globalId("DeviceGroup", GROUP), groupId: GROUP });
    expect(byOwn.data).toEqual(byGlobal.data);
    expect(requests.map((req) => String(req.path))).toEqual([
      `/devicetrustmanager/api/v4/device-group/${GROUP}`,
      `/devicetrustmanager/api/v4/device-group/${GROUP}`,
    ]);
  });

  it("refuse another type's global id, or a malformed id, before any upstream call", async () => {
    const { gateway, requests } = recording(() => {
      throw new Error("no upstream call expected");
    });
    const cases: [string, string, unknown][] = [
      ["query($id: ID!) { deviceGroup(id: $id) { name } }", "deviceGroup", globalId("Device", GROUP)],
      ["query($id: ID!) { deviceGroup(id: $id) { name } }", "deviceGroup", "../../etc"],
      ["query($id: ID!) { certificatePolicy(id: $id) { name } }", "certificatePolicy", GROUP],
      [
        "query($id: ID!) { certificatePolicy(id: $id) { name } }",
        "certificatePolicy",
        globalId("EnrollmentProfile", PROFILE),
      ],
      [
        "query($id: ID!) { enrollmentProfile(id: $id) { name } }",
        "enrollmentProfile",
        globalId("CertificatePolicy", POLICY),
      ],
      [
        "query($id: ID!) { deviceCertificate(id: $id) { status } }",
        "deviceCertificate",
        globalId("Device", CERTIFICATE),
      ],
      ["query($id: ID!) { device(id: $id) { name } }", "device", "not a uuid"],
    ];
    for (const [query, field, id] of cases) {
      const result = await gateway.run(query, { id });
      expect(codes(result.errors), `${field}(${String(id)})`).toEqual([[field, "VALIDATION_FAILED"]]);
    }
    expect(requests).toEqual([]);
  });

  it("read filters' object ids the same way: the group's global id reaches DigiCert as its UUID", async () => {
    const { gateway, requests } = recording(() => ({ records: [], total: 0 }));
    const result = await gateway.run(
      `query($g: ID!) { devices(first: 5, filter: { deviceGroupId: $g }) { totalCount } }`,
      { g: globalId("DeviceGroup", GROUP) },
    );
    expect(result).toEqual({ data: { devices: { totalCount: 0 } } });
    expect(requests[0]?.query).toMatchObject({ device_group_id: GROUP });

    const refused = await gateway.run(
      `query($g: ID!) { devices(first: 5, filter: { deviceGroupId: $g }) { totalCount } }`,
      { g: globalId("CertificatePolicy", POLICY) },
    );
    expect(codes(refused.errors)).toEqual([["devices", "VALIDATION_FAILED"]]);
    expect(requests).toHaveLength(1);
  });

  it("take an IoT certificate by global id, certificate id or serial number", async () => {
    const { gateway, requests } = recording(() => ({
      id: CERTIFICATE,
      serial_number: "0a1b",
      status: "issued",
    }));
    const query = `query($id: ID!) { deviceCertificate(id: $id) { id certificateId serialNumber } }`;
    for (const id of [globalId("DeviceCertificate", CERTIFICATE), CERTIFICATE, "0a:1b"]) {
      const result = await gateway.run(query, { id });
      expect(result.errors, id).toBeUndefined();
      expect(result.data.deviceCertificate).toEqual({
        id: globalId("DeviceCertificate", CERTIFICATE),
        certificateId: CERTIFICATE,
        serialNumber: "0A1B",
      });
    }
    expect(requests.map((req) => String(req.path))).toEqual([
      `/iot/api/v1/certificate/${CERTIFICATE}`,
      `/iot/api/v1/certificate/${CERTIFICATE}`,
      "/iot/api/v1/certificate/0A1B",
    ]);
  });
});

describe("statuses", () => {
  it("read a certificate policy's status as an enum, and one DigiCert added since as UNKNOWN", async () => {
    for (const [sent, shown] of [
      ["Active", "ACTIVE"],
      ["INACTIVE", "INACTIVE"],
      ["retired", "UNKNOWN"],
    ] as const) {
      const { gateway } = recording(() => ({ id: POLICY, name: "Bootstrap", status: sent }));
      const result = await gateway.run(
        `query($id: ID!) { certificatePolicy(id: $id) { policyId name status } }`,
        {
          id: POLICY,
        },
      );
      expect(result, sent).toEqual({
        data: { certificatePolicy: { policyId: POLICY, name: "Bootstrap", status: shown } },
      });
    }
  });

  it("read an enrollment profile's status as an enum; an unknown one does not fail the page", async () => {
    const other = `IOT_${randomUUID()}`;
    const { gateway } = recording(() => ({
      records: [
        { id: PROFILE, name: "Factory", status: "active" },
        { id: other, name: "Old", status: "ARCHIVED" },
      ],
      total: 2,
    }));
    const result = await gateway.run(
      `{ enrollmentProfiles(first: 10) { totalCount edges { node { profileId status } } } }`,
    );
    expect(result).toEqual({
      data: {
        enrollmentProfiles: {
          totalCount: 2,
          edges: [
            { node: { profileId: PROFILE, status: "ACTIVE" } },
            { node: { profileId: other, status: "UNKNOWN" } },
          ],
        },
      },
    });
  });
});
