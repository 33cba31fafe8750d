import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DTM_IDS, RESTRICTED_API_KEY, type Simulator, startSimulator } from "../../simulator/index.js";
import { api } from "./helpers.js";
import { DTM_DEVICES, DTM_JOBS, DTM_REGISTRATION, dataFile, uploadDtmJob } from "./dtm-helpers.js";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 1, seedIotCertificates: 0, dtmJobStepMs: 20 });
});

afterEach(() => {
  sim.clearFaults();
  sim.setLatency(0);
});

afterAll(async () => {
  await sim.close();
});

/** DTM's envelope: one `error` object with exactly code and message, as JSON. */
function expectDtmError(result: { status: number; headers: any; json: any }, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.headers["content-type"]).toBe("application/json");
  expect(Object.keys(result.json)).toEqual(["error"]);
  expect(Object.keys(result.json.error).sort()).toEqual(["code", "message"]);
  expect(result.json.error.code).toBe(code);
  expect(typeof result.json.error.message).toBe("string");
}

describe("Device Trust Manager's error envelope", () => {
  it("answers an unknown DTM path or method with a single error object, not TLM's errors array", async () => {
    expectDtmError(await api(sim, "/devicetrustmanager/api/v4/not-a-route"), 404, "resource_not_found");
    expectDtmError(await api(sim, DTM_DEVICES, { method: "DELETE" }), 404, "resource_not_found");
    const tlm = await api(sim, "/mpki/api/v1/not-a-route");
    expect(tlm.json.errors[0].code).toBe("resource_not_found");
  });

  it("answers a missing or unknown API key with 401 in the DTM envelope", async () => {
    expectDtmError(await api(sim, DTM_DEVICES, { apiKey: null }), 401, "AUTHORIZATION_ERROR");
    expectDtmError(await api(sim, DTM_DEVICES, { apiKey: "not-a-key" }), 401, "invalid_api_key");
  });

  it("answers the restricted key with 403 access_denied for another device group", async () => {
    const result = await api(sim, `${DTM_DEVICES}?device_group_id=${DTM_IDS.deviceGroups.factoryLine}`, {
      apiKey: RESTRICTED_API_KEY,
    });
    expectDtmError(result, 403, "access_denied");
  });

  it("answers a validation error with 400 invalid_request whose message names the field", async () => {
    const result = await api(sim, DTM_REGISTRATION, { body: { name: "x" } });
    expectDtmError(result, 400, "invalid_request");
    expect(result.json.error.message).toContain("device_group_id");
    const paging = await api(sim, `${DTM_DEVICES}?limit=0`);
    expectDtmError(paging, 400, "invalid_request");
    expect(paging.json.error.message).toContain("limit");
  });

  it("answers a body that is not JSON with 400 invalid_request", async () => {
    const result = await api(sim, DTM_REGISTRATION, { rawBody: "{not json" });
    expectDtmError(result, 400, "invalid_request");
  });

  it("renders injected faults in the DTM envelope with Retry-After on 429 and 503", async () => {
    sim.injectFault({
      route: `POST ${DTM_JOBS}`,
      kind: "status",
      status: 503,
      retryAfterSeconds: 7,
      times: 1,
    });
    const unavailable = await uploadDtmJob(sim, { name: "x" }, [dataFile("a\n")]);
    expectDtmError(unavailable, 503, "service_unavailable");
    expect(unavailable.headers["retry-after"]).toBe("7");
    sim.injectFault({ route: `GET ${DTM_DEVICES}`, kind: "status", status: 429, times: 1 });
    const limited = await api(sim, DTM_DEVICES);
    expectDtmError(limited, 429, "request_limit_exceeded");
    expect(limited.headers["retry-after"]).toBe("1");
    expect((await api(sim, DTM_DEVICES)).status).toBe(200);
  });

  it("renders an upload over the cap as 413 request_too_large naming data", async () => {
    const small = await startSimulator({
      seedCertificates: 0,
      seedIotCertificates: 0,
      dtmBatchLimits: { maxUploadBytes: 1024 },
    });
    try {
      const result = await uploadDtmJob(small, { job_type: "device_registration" }, [
        dataFile("x".repeat(4096)),
      ]);
      expectDtmError(result, 413, "request_too_large");
      expect(result.json.error.message).toContain("data");
    } finally {
      await small.close();
    }
  });
});
