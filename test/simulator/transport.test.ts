import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_API_KEY,
  PROFILE_IDS,
  type Simulator,
  SimulatorOptionError,
  startSimulator,
} from "../../simulator/index.js";
import { api } from "./helpers.js";

const PROFILES = "GET /mpki/api/v2/profile";
const PROFILE = "GET /mpki/api/v2/profile/:id";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ seedCertificates: 5 });
});

afterEach(() => {
  sim.clearFaults();
  sim.setLatency(0);
});

afterAll(async () => {
  await sim.close();
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe("request counters", () => {
  it("counts each API request once per route key, before authentication, and nothing else", async () => {
    sim.resetCounters();
    await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.webServer}`);
    await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.approval}`, { apiKey: null });
    await api(sim, "/mpki/api/v2/profile");
    await api(sim, "/mpki/api/v1/not-a-route");
    await api(sim, "/_simulator/counters");
    expect(sim.requestCount(PROFILE)).toBe(2);
    expect(sim.requestCount(PROFILES)).toBe(1);
    expect(sim.requestCount("GET /mpki/api/v1/certificate/:serial")).toBe(0);
    expect(sim.requestCounts()).toEqual({ [PROFILE]: 2, [PROFILES]: 1 });
  });

  it("exposes and resets the counters over HTTP without authentication", async () => {
    sim.resetCounters();
    await api(sim, "/mpki/api/v1/hello");
    const counters = await api(sim, "/_simulator/counters", { apiKey: null });
    expect(counters.status).toBe(200);
    expect(counters.json).toEqual({ "GET /mpki/api/v1/hello": 1 });
    const reset = await api(sim, "/_simulator/counters", { method: "DELETE", apiKey: null });
    expect(reset.status).toBe(204);
    expect(sim.requestCounts()).toEqual({});
  });
});

describe("status faults", () => {
  it("answers 429 request_limit_exceeded with Retry-After, only on its route and only the given times", async () => {
    sim.injectFault({ route: PROFILES, kind: "status", status: 429, retryAfterSeconds: 3, times: 1 });
    const other = await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.webServer}`);
    expect(other.status).toBe(200);
    const limited = await api(sim, "/mpki/api/v2/profile");
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("3");
    expect(limited.json.errors[0].code).toBe("request_limit_exceeded");
    expect((await api(sim, "/mpki/api/v2/profile")).status).toBe(200);
  });

  it("defaults Retry-After to 1 second for 429 and 503", async () => {
    sim.injectFault({ kind: "status", status: 429, times: 1 });
    expect((await api(sim, "/mpki/api/v1/hello")).headers["retry-after"]).toBe("1");
    sim.injectFault({ kind: "status", status: 503, times: 1 });
    const unavailable = await api(sim, "/mpki/api/v1/hello");
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers["retry-after"]).toBe("1");
    expect(unavailable.json.errors[0].code).toBe("service_unavailable");
  });

  it("answers 500 and 502 in the TLM envelope on every route until cleared", async () => {
    sim.injectFault({ kind: "status", status: 502 });
    for (const path of ["/mpki/api/v1/hello", "/mpki/api/v1/certificate-search"]) {
      const result = await api(sim, path, { apiKey: null });
      expect(result.status).toBe(502);
      expect(result.json.errors).toHaveLength(1);
      expect(result.headers["retry-after"]).toBeUndefined();
    }
    sim.clearFaults();
    sim.injectFault({ kind: "status", status: 500, times: 1 });
    expect((await api(sim, "/mpki/api/v1/hello")).json.errors[0].code).toBe("internal_error");
    expect((await api(sim, "/mpki/api/v1/hello")).status).toBe(200);
  });

  it("rejects invalid faults with a named option", () => {
    expect(() => sim.injectFault({ kind: "status" })).toThrow(SimulatorOptionError);
    expect(() => sim.injectFault({ kind: "status", status: 200 })).toThrow(/status/);
    expect(() => sim.injectFault({ kind: "reset", route: "GET /nope" })).toThrow(/route/);
    const thrown = (() => {
      try {
        sim.injectFault({ kind: "slow-body" });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toMatchObject({
      name: "SimulatorOptionError",
      code: "invalid_simulator_option",
      option: "delayMs",
    });
  });
});

describe("connection faults", () => {
  it("resets the socket without an answer, which undici reports as a socket error", async () => {
    sim.injectFault({ route: "GET /mpki/api/v1/hello", kind: "reset", times: 1 });
    await expect(
      request(`${sim.url}/mpki/api/v1/hello`, { headers: { "x-api-key": DEFAULT_API_KEY } }),
    ).rejects.toMatchObject({ code: "UND_ERR_SOCKET" });
    expect((await api(sim, "/mpki/api/v1/hello")).status).toBe(200);
  });

  it("sends the head at once and the body after delayMs for slow-body", async () => {
    sim.injectFault({ route: "GET /mpki/api/v1/hello", kind: "slow-body", delayMs: 250, times: 1 });
    const started = performance.now();
    const response = await request(`${sim.url}/mpki/api/v1/hello`, {
      headers: { "x-api-key": DEFAULT_API_KEY },
    });
    const headAt = performance.now() - started;
    expect(response.statusCode).toBe(200);
    const body = await response.body.text();
    const bodyAt = performance.now() - started;
    expect(body).toContain("Trust Lifecycle Manager");
    expect(headAt).toBeLessThan(200);
    expect(bodyAt - headAt).toBeGreaterThanOrEqual(200);
  });
});

describe("latency", () => {
  it("delays every API response by the configured latency", async () => {
    sim.setLatency(250);
    const slow = await timed(() => api(sim, "/mpki/api/v1/hello"));
    expect(slow.value.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(240);
    sim.setLatency(0);
    const fast = await timed(() => api(sim, "/mpki/api/v1/hello"));
    expect(fast.ms).toBeLessThan(200);
  });

  it("rejects a negative latency", () => {
    expect(() => sim.setLatency(-1)).toThrow(SimulatorOptionError);
  });
});

describe("control endpoints", () => {
  it("injects and clears faults and sets latency over HTTP", async () => {
    const injected = await api(sim, "/_simulator/faults", {
      apiKey: null,
      body: { route: PROFILES, kind: "status", status: 503, retryAfterSeconds: 2 },
    });
    expect(injected.status).toBe(204);
    const faulted = await api(sim, "/mpki/api/v2/profile");
    expect(faulted.status).toBe(503);
    expect(faulted.headers["retry-after"]).toBe("2");
    expect((await api(sim, "/_simulator/faults", { method: "DELETE", apiKey: null })).status).toBe(204);
    expect((await api(sim, "/mpki/api/v2/profile")).status).toBe(200);

    const latency = await api(sim, "/_simulator/latency", { method: "PUT", apiKey: null, body: { ms: 120 } });
    expect(latency.status).toBe(204);
    expect((await timed(() => api(sim, "/mpki/api/v1/hello"))).ms).toBeGreaterThanOrEqual(110);
  });

  it("answers 400 naming the bad fault option", async () => {
    const result = await api(sim, "/_simulator/faults", { apiKey: null, body: { kind: "explode" } });
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "kind" });
    const latency = await api(sim, "/_simulator/latency", {
      method: "PUT",
      apiKey: null,
      body: { ms: "fast" },
    });
    expect(latency.status).toBe(400);
  });
});

describe("closing", () => {
  it("closes idempotently, even with a slow response in flight", async () => {
    const extra = await startSimulator({ seedCertificates: 0 });
    extra.injectFault({ kind: "slow-body", delayMs: 60_000 });
    const pending = request(`${extra.url}/mpki/api/v1/hello`, {
      headers: { "x-api-key": DEFAULT_API_KEY },
    }).then((response) => response.body.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([extra.close(), extra.close()]);
    await extra.close();
    await expect(pending).rejects.toThrow();
  });
});
