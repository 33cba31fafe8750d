import { createHash } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, RESTRICTED_API_KEY, type Simulator, startSimulator } from "../../simulator/index.js";
import { api, issueBody, makeCsr, PKCS7_PEM, uniqueHost } from "./helpers.js";

const PICKUP_DELAY_MS = 300;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ pickupDelayMs: PICKUP_DELAY_MS });
});

afterAll(async () => {
  await sim.close();
});

async function issueWeb(host = uniqueHost("life"), extra: Record<string, unknown> = {}) {
  const result = await api(sim, "/mpki/api/v1/certificate", {
    body: issueBody(PROFILE_IDS.webServer, await makeCsr(), host, extra),
  });
  expect(result.status).toBe(201);
  return { host, serial: result.json.serial_number as string, pem: result.json.certificate as string };
}

const details = (serial: string) => api(sim, `/mpki/api/v1/certificate/${serial}`);
const revoke = (serial: string, body: unknown) =>
  api(sim, `/mpki/api/v1/certificate/${serial}/revoke`, { method: "PUT", body });

describe("certificate details", () => {
  it("returns PublicCertificateDetails with lowercase status, SHA-256 thumbprint and ISO dates", async () => {
    const { host, serial, pem } = await issueWeb();
    const result = await details(serial);
    expect(result.status).toBe(200);
    const der = Buffer.from(x509.PemConverter.decodeFirst(pem));
    expect(result.json).toMatchObject({
      profile: { id: PROFILE_IDS.webServer, name: "Web Server TLS" },
      seat: { seat_id: "tests@example.com" },
      business_unit: { name: "Engineering" },
      certificate: pem,
      common_name: host,
      status: "issued",
      serial_number: serial,
      thumbprint: createHash("sha256").update(der).digest("hex").toUpperCase(),
      issuing_ca_name: "DigiCert ONE Simulator Intermediate CA",
      key_size: 256,
      signature_algorithm: "ECDSA",
      subject: { common_name: host },
    });
    expect(result.json.account.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.json.ica.id).toBe(
      new x509.X509Certificate(sim.intermediateCertificatePem).serialNumber.toUpperCase(),
    );
    expect(result.json.valid_from).toMatch(ISO_SECONDS);
    expect(result.json.valid_to).toMatch(ISO_SECONDS);
    expect(result.json).not.toHaveProperty("revocation");
  });

  it("matches the serial case-insensitively", async () => {
    const { serial } = await issueWeb();
    expect((await details(serial.toLowerCase())).json.serial_number).toBe(serial);
  });

  it.each(["XYZ123", "A".repeat(41)])(
    "answers 400 naming serial_number for the malformed serial %s",
    async (serial) => {
      const result = await details(serial);
      expect(result.status).toBe(400);
      expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "serial_number" });
    },
  );

  it("answers 404 resource_not_found for an unknown serial", async () => {
    const result = await details("0123456789ABCDEF");
    expect(result.status).toBe(404);
    expect(result.json.errors[0].code).toBe("resource_not_found");
  });

  it("answers 403 to the restricted key for a certificate of another profile", async () => {
    const search = await api(
      sim,
      `/mpki/api/v1/certificate-search?profile_id=${PROFILE_IDS.ecdsaDevice}&limit=1`,
    );
    const serial = search.json.items[0].serial_number;
    const result = await api(sim, `/mpki/api/v1/certificate/${serial}`, { apiKey: RESTRICTED_API_KEY });
    expect(result.status).toBe(403);
    expect(result.json.errors[0].code).toBe("no_access");
  });
});

describe("additional formats", () => {
  it("returns a real PKCS#7 and the chain from end-entity to root, each signed by the next", async () => {
    const { host, serial, pem } = await issueWeb();
    const result = await api(sim, `/mpki/api/v1/certificate/${serial}/additional-formats`);
    expect(result.status).toBe(200);
    expect(result.json.pkcs7).toMatch(PKCS7_PEM);
    const bundle = new x509.X509Certificates(result.json.pkcs7);
    expect(bundle).toHaveLength(3);
    expect(result.json.x509_cert_chain.map((entry: { common_name: string }) => entry.common_name)).toEqual([
      host,
      "DigiCert ONE Simulator Intermediate CA",
      "DigiCert ONE Simulator Root CA",
    ]);
    const chain = result.json.x509_cert_chain.map(
      (entry: { cert_blob: string }) => new x509.X509Certificate(entry.cert_blob),
    ) as x509.X509Certificate[];
    expect(chain[0]!.toString("pem")).toBe(pem);
    expect(chain[2]!.toString("pem")).toBe(sim.rootCertificatePem);
    expect(bundle.map((certificate) => certificate.serialNumber)).toEqual(chain.map((c) => c.serialNumber));
    expect(await chain[0]!.verify({ publicKey: chain[1]!.publicKey, signatureOnly: true })).toBe(true);
    expect(await chain[1]!.verify({ publicKey: chain[2]!.publicKey, signatureOnly: true })).toBe(true);
    const built = await new x509.X509ChainBuilder({ certificates: chain.slice(1) }).build(chain[0]!);
    expect(built).toHaveLength(3);
  });
});

describe("certificate search", () => {
  const search = (query: string, apiKey?: string) =>
    api(sim, `/mpki/api/v1/certificate-search?${query}`, { apiKey });

  it("returns the paging envelope with the seeded certificates, newest valid_from first", async () => {
    const result = await search("");
    expect(result.status).toBe(200);
    expect(Object.keys(result.json).sort()).toEqual(["items", "limit", "offset", "total"]);
    expect(result.json.offset).toBe(0);
    expect(result.json.limit).toBe(20);
    expect(result.json.total).toBeGreaterThanOrEqual(300);
    expect(result.json.items).toHaveLength(20);
    const all = await search("limit=1000");
    const froms = all.json.items.map((item: { valid_from: string }) => item.valid_from);
    expect([...froms].sort().reverse()).toEqual(froms);
  });

  it("pages stably without overlap", async () => {
    const first = await search("offset=0&limit=50");
    const second = await search("offset=50&limit=50");
    const again = await search("offset=0&limit=50");
    const serials = (result: typeof first) =>
      result.json.items.map((item: { serial_number: string }) => item.serial_number);
    expect(serials(again)).toEqual(serials(first));
    expect(serials(first).filter((serial: string) => serials(second).includes(serial))).toEqual([]);
  });

  it("accepts status case-insensitively and returns lowercase statuses", async () => {
    for (const [query, status] of [
      ["ISSUED", "issued"],
      ["expired", "expired"],
      ["Revoked", "revoked"],
      ["SUSPENDED", "suspended"],
    ] as const) {
      const result = await search(`status=${query}&limit=1000`);
      expect(result.status).toBe(200);
      expect(result.json.total).toBeGreaterThan(0);
      expect(result.json.items.every((item: { status: string }) => item.status === status)).toBe(true);
    }
    const expired = await search("status=EXPIRED&limit=1000");
    for (const item of expired.json.items) expect(Date.parse(item.valid_to)).toBeLessThan(Date.now());
    const revoked = await search("status=REVOKED&limit=1");
    expect(revoked.json.items[0].revocation.reason).toEqual(expect.any(String));
  });

  it("answers 400 naming status for an unknown status and limit for a limit over 1000", async () => {
    const bad = await search("status=pending");
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "status" });
    const big = await search("limit=1001");
    expect(big.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "limit" });
  });

  it("filters by profile, seat, common name, serial, thumbprint, business unit and issuing CA", async () => {
    const { host, serial } = await issueWeb();
    const thumbprint = (await details(serial)).json.thumbprint as string;
    for (const query of [
      `common_name=${host}`,
      `serial_number=${serial.toLowerCase()}`,
      `thumbprint=${thumbprint}`,
      `seat_id=tests@example.com&common_name=${host}`,
    ]) {
      const result = await search(query);
      expect(result.json.total).toBe(1);
      expect(result.json.items[0].serial_number).toBe(serial);
    }
    const devices = await search(`profile_id=${PROFILE_IDS.ecdsaDevice}&limit=1000`);
    expect(devices.json.total).toBeGreaterThan(50);
    expect(
      devices.json.items.every(
        (item: { profile: { id: string } }) => item.profile.id === PROFILE_IDS.ecdsaDevice,
      ),
    ).toBe(true);
    const unit = devices.json.items[0].business_unit.id;
    const byUnit = await search(`business_unit_id=${unit}&limit=1000`);
    expect(byUnit.json.total).toBe(devices.json.total);
    const byCa = await search("issuing_ca_name=DigiCert ONE Simulator Intermediate CA");
    expect(byCa.json.total).toBe((await search("")).json.total);
    expect((await search("issuing_ca_name=Other CA")).json.total).toBe(0);
  });

  it("treats valid_from as a lower bound and valid_to as an upper bound", async () => {
    const now = Date.now();
    const recent = new Date(now - 10 * 86_400_000).toISOString();
    const soon = new Date(now + 30 * 86_400_000).toISOString();
    const newer = await search(`valid_from=${recent}&limit=1000`);
    expect(newer.json.total).toBeGreaterThan(0);
    for (const item of newer.json.items)
      expect(Date.parse(item.valid_from)).toBeGreaterThanOrEqual(Date.parse(recent));
    const expiring = await search(`valid_to=${soon}&limit=1000`);
    expect(expiring.json.total).toBeGreaterThan(0);
    for (const item of expiring.json.items)
      expect(Date.parse(item.valid_to)).toBeLessThanOrEqual(Date.parse(soon));
    const bad = await search("valid_from=yesterday");
    expect(bad.json.errors[0].field).toBe("valid_from");
  });

  it.each([
    ["tags=prod", "tags"],
    ["sort_by=valid_to", "sort_by"],
    ["statuses=ISSUED", "statuses"],
    ["expires_before=2030-01-01", "expires_before"],
  ])("refuses %s with 400 naming the parameter, never ignoring it", async (query, field) => {
    const result = await search(query);
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field });
  });

  it("refuses a parameter given twice rather than reading one of them", async () => {
    const result = await search("status=ISSUED&status=REVOKED");
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "status" });
  });

  it("takes several statuses, comma-separated", async () => {
    const both = await search("status=REVOKED,SUSPENDED&limit=1000");
    const revoked = await search("status=REVOKED&limit=1");
    const suspended = await search("status=SUSPENDED&limit=1");
    expect(both.json.total).toBe(revoked.json.total + suspended.json.total);
    expect(new Set(both.json.items.map((item: { status: string }) => item.status))).toEqual(
      new Set(["revoked", "suspended"]),
    );
  });

  it("filters by seat type, business unit name, issuing CA id and serial, and authority key id", async () => {
    const all = (await search("limit=1")).json.total as number;
    const devices = await search("seat_type_id=DEVICE_SEAT&limit=1000");
    expect(devices.json.total).toBeGreaterThan(0);
    expect(
      devices.json.items.every(
        (item: { profile: { id: string } }) => item.profile.id === PROFILE_IDS.ecdsaDevice,
      ),
    ).toBe(true);
    const users = (await search("seat_type_id=user_seat")).json.total as number;
    const servers = (await search("seat_type_id=SERVER_SEAT")).json.total as number;
    expect(devices.json.total + users + servers).toBe(all);
    expect((await search("seat_type_id=IMPORTED_SEAT")).json.total).toBe(0);
    expect((await search("business_unit_name=iot operations")).json.total).toBe(devices.json.total);
    const intermediate = new x509.X509Certificate(sim.intermediateCertificatePem);
    const caSerial = intermediate.serialNumber.toUpperCase();
    const ski = intermediate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    expect((await details((await issueWeb()).serial)).json.ica.id).toBe(caSerial);
    for (const query of [
      `issuing_ca_id=${caSerial}`,
      `issuing_ca_serial_number=${caSerial.toLowerCase()}`,
      `aki=${ski}`,
      `aki=${ski.match(/../g)!.join(":")}`,
    ]) {
      expect((await search(query)).json.total, query).toBe(all + 1);
    }
    for (const query of ["issuing_ca_id=0A", "issuing_ca_serial_number=0A", "aki=00FF"]) {
      expect((await search(query)).json.total, query).toBe(0);
    }
  });

  it.each([
    ["profile_id=nope", "profile_id"],
    ["business_unit_id=1234", "business_unit_id"],
    ["account_id=x", "account_id"],
    ["seat_type_id=ROBOT_SEAT", "seat_type_id"],
    ["aki=not-hex", "aki"],
  ])("answers 400 for %s naming %s", async (query, field) => {
    const result = await search(query);
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field });
  });

  it("shows the restricted key only certificates of its profile", async () => {
    const result = await search("limit=1000", RESTRICTED_API_KEY);
    expect(result.json.total).toBeGreaterThan(0);
    expect(
      result.json.items.every(
        (item: { profile: { id: string } }) => item.profile.id === PROFILE_IDS.webServer,
      ),
    ).toBe(true);
  });
});

describe("revocation", () => {
  it("revokes with 204, then reports status revoked with the reason, and refuses a second revocation", async () => {
    const { serial } = await issueWeb();
    const first = await revoke(serial, { revocation_reason: "key_compromise", comments: "lost laptop" });
    expect(first.status).toBe(204);
    expect(first.text).toBe("");
    const after = await details(serial);
    expect(after.json.status).toBe("revoked");
    expect(after.json.revocation).toMatchObject({ reason: "key_compromise", comments: "lost laptop" });
    expect(after.json.revocation.revocation_date).toMatch(ISO_SECONDS);
    const second = await revoke(serial, { revocation_reason: "key_compromise" });
    expect(second.status).toBe(400);
    expect(second.json).toEqual({
      errors: [{ code: "invalid_request", message: "Certificate already has been revoked" }],
    });
  });

  it("answers 400 naming revocation_reason for an unknown reason", async () => {
    const { serial } = await issueWeb();
    const result = await revoke(serial, { revocation_reason: "KEY_COMPROMISE" });
    expect(result.status).toBe(400);
    expect(result.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "revocation_reason" });
  });

  it("suspends with certificate_hold and resumes with DELETE", async () => {
    const { serial } = await issueWeb();
    expect((await revoke(serial, { revocation_reason: "certificate_hold" })).status).toBe(204);
    expect((await details(serial)).json.status).toBe("suspended");
    const suspended = await api(
      sim,
      `/mpki/api/v1/certificate-search?status=SUSPENDED&serial_number=${serial}`,
    );
    expect(suspended.json.total).toBe(1);
    const resume = await api(sim, `/mpki/api/v1/certificate/${serial}/revoke`, { method: "DELETE" });
    expect(resume.status).toBe(204);
    const resumed = await details(serial);
    expect(resumed.json.status).toBe("issued");
    expect(resumed.json).not.toHaveProperty("revocation");
    const again = await api(sim, `/mpki/api/v1/certificate/${serial}/revoke`, { method: "DELETE" });
    expect(again.status).toBe(400);
    expect(again.json.errors[0].code).toBe("invalid_request");
  });
});

describe("renewal", () => {
  const renew = async (serial: string, extra: Record<string, unknown> = {}) =>
    api(sim, `/mpki/api/v1/certificate/${serial}/renew`, {
      body: { csr: await makeCsr({ key: "p384" }), ...extra },
    });

  it("renews inside the renewal window with a new serial, the same subject, seat and profile", async () => {
    const { host, serial } = await issueWeb(undefined, { validity: { unit: "days", duration: 10 } });
    const result = await renew(serial, { validity: { unit: "days", duration: 30 } });
    expect(result.status).toBe(200);
    expect(result.json.delivery_format).toBe("x509");
    expect(result.json.serial_number).not.toBe(serial);
    const renewed = await details(result.json.serial_number);
    expect(renewed.json).toMatchObject({
      common_name: host,
      profile: { id: PROFILE_IDS.webServer },
      seat: { seat_id: "tests@example.com" },
      status: "issued",
      key_size: 384,
    });
    const certificate = new x509.X509Certificate(result.json.certificate);
    expect(Math.round((certificate.notAfter.getTime() - certificate.notBefore.getTime()) / 86_400_000)).toBe(
      30,
    );
  });

  it("answers 422 renewal_window outside the window", async () => {
    const { serial } = await issueWeb();
    const result = await renew(serial);
    expect(result.status).toBe(422);
    expect(result.json.errors[0].code).toBe("renewal_window");
  });

  it("refuses to renew a revoked certificate and checks the CSR like issuance", async () => {
    const { serial } = await issueWeb(undefined, { validity: { unit: "days", duration: 5 } });
    const badCsr = await api(sim, `/mpki/api/v1/certificate/${serial}/renew`, { body: { csr: "junk" } });
    expect(badCsr.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "csr" });
    await revoke(serial, { revocation_reason: "superseded" });
    const result = await renew(serial);
    expect(result.status).toBe(400);
    expect(result.json.errors[0].code).toBe("invalid_request");
  });
});

describe("approval and pickup", () => {
  const pickup = (requestId: string, profileId: string = PROFILE_IDS.approval) =>
    api(sim, `/mpki/api/v1/certificate-pickup/${requestId}`, { body: { profile: { id: profileId } } });

  it("answers PENDING with a request id, then ISSUED after the delay, the same certificate every time", async () => {
    const host = uniqueHost("approval");
    const issued = await api(sim, "/mpki/api/v1/certificate", {
      body: issueBody(PROFILE_IDS.approval, await makeCsr(), host),
    });
    expect(issued.status).toBe(201);
    expect(issued.json).toEqual({ status: "PENDING", request_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const requestId = issued.json.request_id as string;

    const early = await pickup(requestId);
    expect(early.status).toBe(200);
    expect(early.json).toEqual({ status: "PENDING", request_id: requestId });

    await new Promise((resolve) => setTimeout(resolve, PICKUP_DELAY_MS + 50));
    const [ready, racing] = await Promise.all([pickup(requestId), pickup(requestId)]);
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: "ISSUED", delivery_format: "x509" });
    expect(racing.json.serial_number).toBe(ready.json.serial_number);
    expect(new x509.X509Certificate(ready.json.certificate).subjectName.getField("CN")).toEqual([host]);
    const later = await pickup(requestId);
    expect(later.json.serial_number).toBe(ready.json.serial_number);
    expect(later.json.certificate).toBe(ready.json.certificate);
    const shown = await details(ready.json.serial_number);
    expect(shown.json.profile.id).toBe(PROFILE_IDS.approval);
  });

  it("validates the approval request like any other before answering PENDING", async () => {
    const result = await api(sim, "/mpki/api/v1/certificate", {
      body: issueBody(PROFILE_IDS.approval, await makeCsr({ key: "rsa1024" }), "x.example.com"),
    });
    expect(result.status).toBe(400);
    expect(result.json.errors[0].field).toBe("csr");
  });

  it("answers 404 for an unknown request id and 400 for one that is not a UUID", async () => {
    const unknown = await pickup("6a1b6f7e-0000-4000-8000-000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.json.errors[0].code).toBe("resource_not_found");
    const malformed = await pickup("12345");
    expect(malformed.status).toBe(400);
    expect(malformed.json.errors[0]).toMatchObject({ code: "invalid_input_field", field: "request_id" });
  });
});
