import { describe, expect, it } from "vitest";
import { inProcess } from "../helpers/in-process.js";

/*
 * Device Trust Manager answers in shapes beyond the simulator's, read through the schema: list envelopes, counts as
 * strings, report rows whose `row` is a string, and unreadable records that fail only their own fields.
 */

const GROUP = "c8df5a31-2a04-4433-a3bd-1b0437948fb5";
const DEVICE = "5b0c6f7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f";
const OTHER_DEVICE = "6c1d7f8a-2e3b-4d4c-8f9a-1b2c3d4e5f60";
const JOB = "7a984652-8f38-412a-8c37-74569e3e8e7c";
const UNREADABLE = "UPSTREAM_INVALID_RESPONSE";

function errorsAt(
  errors: { path?: (string | number)[]; extensions?: Record<string, unknown> }[] | undefined,
): [string, unknown][] {
  return (errors ?? [])
    .map((error): [string, unknown] => [error.path?.join(".") ?? "", error.extensions?.code])
    .sort(([a], [b]) => a.localeCompare(b));
}

describe("device pages", () => {
  const LIST = `{ devices(first: 10) { totalCount edges { node { deviceId name status deviceGroupId createdAt } } } }`;
  const records = () => [
    {
      id: DEVICE,
      name: "sensor-1",
      status: "registered",
      device_group: { id: GROUP },
      created_at: "2025-01-02 03:04:05",
    },
    {
      id: OTHER_DEVICE,
      name: 42,
      status: "RETIRED",
      device_group_id: "not-a-uuid",
      certificate_policies: "x",
    },
    { name: "no id" },
    null,
  ];

  for (const [name, body, totalCount] of [
    ["{records} with a string total", () => ({ records: records(), total: "4" }), 4],
    ["{items}", () => ({ items: records(), total: 4 }), 4],
    ["{data}", () => ({ data: records(), total: "4" }), 4],
    ["a bare array", () => records(), null],
  ] as const) {
    it(`reads ${name}, leaving out only the records without an id`, async () => {
      const gateway = inProcess(body);
      const result = await gateway.run(LIST);
      expect(result.errors).toBeUndefined();
      expect(result.data.devices.totalCount).toBe(totalCount);
      expect(result.data.devices.edges.map((edge: any) => edge.node)).toEqual([
        {
          deviceId: DEVICE,
          name: "sensor-1",
          status: "REGISTERED",
          deviceGroupId: GROUP,
          createdAt: "2025-01-02T03:04:05.000Z",
        },
        { deviceId: OTHER_DEVICE, name: null, status: "UNKNOWN", deviceGroupId: null, createdAt: null },
      ]);
      const warning = gateway.logs.map((line) => JSON.parse(line)).find((line) => line.skipped);
      expect(warning).toMatchObject({ operation: "dtm.listDevices", skipped: 2 });
    });
  }

  it("reads device groups from a bare array; a group without a name fails only its name", async () => {
    const gateway = inProcess(() => [
      { id: GROUP, name: "Factory line A", device_count: "3" },
      { id: "d9e06b42-3b15-4544-b4c6-2c15a1598fc6" },
    ]);
    const result = await gateway.run(`{ deviceGroups { groupId name deviceCount } }`);
    expect(result.data.deviceGroups).toEqual([
      { groupId: GROUP, name: "Factory line A", deviceCount: 3 },
      { groupId: "d9e06b42-3b15-4544-b4c6-2c15a1598fc6", name: null, deviceCount: null },
    ]);
    expect(errorsAt(result.errors)).toEqual([["deviceGroups.1.name", UNREADABLE]]);
  });
});

describe("a job's report", () => {
  const JOB_GLOBAL_ID = Buffer.from(`DtmBatchJob:${JOB}`).toString("base64");
  const QUERY = `query($id: ID!) { batchJob(id: $id) { status totalCount successCount failedCount
    ... on DtmBatchJob { registrations { row deviceName status deviceId errorCode } } } }`;

  function reporting(report: unknown) {
    return inProcess((req) => {
      if (req.operation === "dtm.getBatchJob") {
        return { id: JOB, status: "COMPLETE", total: "4", success: "1", failed: "3" };
      }
      if (req.operation === "dtm.downloadReport") return report;
      throw new Error(`unexpected ${req.operation}`);
    });
  }

  it("reads rows whose row is a string; an unreadable row number fails only that field, a non-row is left out", async () => {
    const result = await reporting({
      status: "COMPLETE",
      rows: [
        { row: "7", device_name: "sensor-7", status: "success", device_id: DEVICE },
        { row: "seven", device_name: "sensor-8", status: "FAILED", error_code: 3 },
        { row: 9, device_name: "sensor-9", status: "PARTIAL" },
        "junk",
      ],
    }).run(QUERY, { id: JOB_GLOBAL_ID });
    expect(result.data.batchJob).toMatchObject({
      status: "COMPLETE",
      totalCount: 4,
      successCount: 1,
      failedCount: 3,
    });
    expect(result.data.batchJob.registrations).toEqual([
      { row: 7, deviceName: "sensor-7", status: "SUCCESS", deviceId: DEVICE, errorCode: null },
      { row: null, deviceName: "sensor-8", status: "FAILED", deviceId: null, errorCode: "3" },
      { row: 9, deviceName: "sensor-9", status: "UNKNOWN", deviceId: null, errorCode: null },
    ]);
    expect(errorsAt(result.errors)).toEqual([["batchJob.registrations.1.row", UNREADABLE]]);
  });

  it("reads a report that is a bare array of rows, or {records}", async () => {
    for (const report of [[{ row: 1, device_name: "a", status: "SUCCESS" }], { records: [{ row: "1" }] }]) {
      const result = await reporting(report).run(QUERY, { id: JOB_GLOBAL_ID });
      expect(result.errors).toBeUndefined();
      expect(result.data.batchJob.registrations[0].row).toBe(1);
    }
  });

  it("is UPSTREAM_INVALID_RESPONSE, on registrations alone, when the report holds no rows", async () => {
    const result = await reporting({ job_id: JOB, status: "COMPLETE" }).run(QUERY, { id: JOB_GLOBAL_ID });
    expect(result.data.batchJob).toMatchObject({ status: "COMPLETE", registrations: null });
    expect(errorsAt(result.errors)).toEqual([["batchJob.registrations", UNREADABLE]]);
  });
});
