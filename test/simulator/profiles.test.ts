import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, RESTRICTED_API_KEY, type Simulator, startSimulator } from "../../simulator/index.js";
import { api } from "./helpers.js";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator();
});

afterAll(async () => {
  await sim.close();
});

describe("authentication", () => {
  it("answers 401 AUTHORIZATION_ERROR when no API key is sent", async () => {
    const result = await api(sim, "/mpki/api/v2/profile", { apiKey: null });
    expect(result.status).toBe(401);
    expect(result.headers["content-type"]).toMatch(/^application\/json/);
    expect(result.json).toEqual({
      errors: [{ code: "AUTHORIZATION_ERROR", message: "No authentication data provided" }],
    });
  });

  it("answers 401 invalid_api_key for an unknown key and does not echo it", async () => {
    const result = await api(sim, "/mpki/api/v2/profile", { apiKey: "not-a-real-key-7731" });
    expect(result.status).toBe(401);
    expect(result.json).toEqual({ errors: [{ code: "invalid_api_key", message: "Invalid API key" }] });
    expect(result.text).not.toContain("7731");
  });

  it("accepts the API key header in any letter case", async () => {
    const result = await api(sim, "/mpki/api/v1/hello", {
      apiKey: null,
      headers: { "X-API-Key": "sim-local-api-key" },
    });
    expect(result.status).toBe(200);
  });
});

describe("hello and unknown routes", () => {
  it("says hello in plain text like Trust Lifecycle Manager", async () => {
    const result = await api(sim, "/mpki/api/v1/hello");
    expect(result.status).toBe(200);
    expect(result.headers["content-type"]).toMatch(/^text\/plain/);
    expect(result.text).toBe("Hello from DigiCert ONE - Trust Lifecycle Manager REST API!");
  });

  it("answers 404 resource_not_found in the TLM envelope for an unknown route", async () => {
    const result = await api(sim, "/mpki/api/v1/nothing-here");
    expect(result.status).toBe(404);
    expect(result.json.errors[0].code).toBe("resource_not_found");
  });

  it("answers 400 invalid_request for a malformed JSON body without quoting it", async () => {
    const result = await api(sim, "/mpki/api/v1/certificate", { rawBody: '{"csr": "SECRET-BYTES' });
    expect(result.status).toBe(400);
    expect(result.json.errors[0].code).toBe("invalid_request");
    expect(result.text).not.toContain("SECRET");
  });
});

describe("profile listing", () => {
  it("returns a bare array of profiles with Active/Deleted status and the tutorial's fields", async () => {
    const result = await api(sim, "/mpki/api/v2/profile");
    expect(result.status).toBe(200);
    expect(Array.isArray(result.json)).toBe(true);
    expect(result.json).toHaveLength(8);
    const web = result.json.find((profile: { id: string }) => profile.id === PROFILE_IDS.webServer);
    expect(web).toMatchObject({
      name: "Web Server TLS",
      status: "Active",
      enrollment_method: "rest_api",
      authentication_method: "third_party_app",
      override_cert_validity_via_api: true,
      renewal_period_days: 30,
      allowed_key_sizes: ["2048", "3072", "4096", "P-256", "P-384"],
      certificate: { validity: { unit: "days", duration: 365 } },
      business_unit: { name: "Engineering" },
    });
    expect(web.certificate.subject.attributes[0]).toMatchObject({ type: "common_name", mandatory: true });
    expect(web.certificate.issuer.chain[0].root).toBe(true);
    expect(web.certificate.issuer.certificate).toBe(sim.intermediateCertificatePem);
    const deleted = result.json.find((profile: { id: string }) => profile.id === PROFILE_IDS.deleted);
    expect(deleted.status).toBe("Deleted");
  });

  it("pages with offset and limit", async () => {
    const first = await api(sim, "/mpki/api/v2/profile?offset=0&limit=3");
    const second = await api(sim, "/mpki/api/v2/profile?offset=3&limit=3");
    const rest = await api(sim, "/mpki/api/v2/profile?offset=6&limit=3");
    expect(first.json).toHaveLength(3);
    expect(second.json).toHaveLength(3);
    expect(rest.json).toHaveLength(2);
    const ids = [...first.json, ...second.json, ...rest.json].map((profile: { id: string }) => profile.id);
    expect(new Set(ids).size).toBe(8);
  });

  it.each([
    ["limit=101", "limit"],
    ["limit=-1", "limit"],
    ["limit=2.5", "limit"],
    ["offset=-3", "offset"],
    ["offset=abc", "offset"],
  ])("rejects %s with 400 invalid_input_field naming %s", async (query, field) => {
    const result = await api(sim, `/mpki/api/v2/profile?${query}`);
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field });
  });

  it("lists every profile on v1 as a bare array", async () => {
    const result = await api(sim, "/mpki/api/v1/profile");
    expect(result.status).toBe(200);
    expect(result.json).toHaveLength(8);
  });

  it("shows the restricted key only the Web Server TLS profile", async () => {
    const result = await api(sim, "/mpki/api/v2/profile", { apiKey: RESTRICTED_API_KEY });
    expect(result.json.map((profile: { id: string }) => profile.id)).toEqual([PROFILE_IDS.webServer]);
  });
});

describe("the tutorial's profile fields", () => {
  it("renders the sample profile like the tutorial's example: escrow, custom EKUs, sources, PKCS7", async () => {
    const result = await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.tutorialSample}`);
    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({
      certificate_delivery_format: "PKCS7",
      duplicate_cert_policy: false,
      renewal_period_days: 30,
      renewal_window_days: 30,
      automated_renewal: true,
      custom_extended_key_usages: ["1.2.840.113583.1.1.7"],
      key_escrow_policy: {
        key_escrow_enabled: true,
        key_escrow_deployment_mode: "CLOUD",
        dual_admin_recovery: true,
      },
    });
    const subject = result.json.certificate.subject.attributes as {
      type: string;
      mandatory: boolean;
      sources: any[];
    }[];
    expect(subject.find((a) => a.type === "domain_component")).toMatchObject({ mandatory: true });
    expect(subject.find((a) => a.type === "street_address")!.sources).toContainEqual({
      mandatory: true,
      source: "FIXED_VALUE",
      value: "20 Cooper Square",
    });
    const sans = result.json.certificate.extensions.san.attributes.map((a: { type: string }) => a.type);
    expect(sans).toEqual(
      expect.arrayContaining(["emails", "user_principal_names", "registered_ids", "other_names"]),
    );
  });

  it("gives every profile the escrow policy, EKU list and renewal fields, off by default", async () => {
    const result = await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.webServer}`);
    expect(result.json).toMatchObject({
      automated_renewal: false,
      renewal_window_days: 30,
      custom_extended_key_usages: [],
      key_escrow_policy: { key_escrow_enabled: false },
    });
  });
});

describe("profile by id", () => {
  it("returns one profile on v1 and v2", async () => {
    for (const version of ["v1", "v2"]) {
      const result = await api(sim, `/mpki/api/${version}/profile/${PROFILE_IDS.ecdsaDevice}`);
      expect(result.status).toBe(200);
      expect(result.json).toMatchObject({
        id: PROFILE_IDS.ecdsaDevice,
        signature_algorithm: "SHA256_WITH_ECDSA",
        allowed_key_sizes: ["P-256", "P-384"],
        override_cert_validity_via_api: false,
      });
    }
  });

  it.each([
    ["an unknown id", "00000000-0000-4000-8000-000000000000"],
    ["a malformed id", "not-a-uuid"],
  ])("answers 403 no_access for %s", async (_, id) => {
    const result = await api(sim, `/mpki/api/v2/profile/${id}`);
    expect(result.status).toBe(403);
    expect(result.json).toEqual({
      errors: [{ code: "no_access", message: "User has no access to the profile" }],
    });
  });

  it("answers 403 no_access when the restricted key asks for another profile", async () => {
    const result = await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.ecdsaDevice}`, {
      apiKey: RESTRICTED_API_KEY,
    });
    expect(result.status).toBe(403);
    expect(result.json.errors[0].code).toBe("no_access");
    const allowed = await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.webServer}`, {
      apiKey: RESTRICTED_API_KEY,
    });
    expect(allowed.status).toBe(200);
  });
});
