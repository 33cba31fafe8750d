import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { unzipSync } from "fflate";
import { GraphQLError } from "graphql";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_API_KEY, DTM_IDS } from "../../simulator/index.js";
import { DtmClient } from "../../src/datasources/dtm/client.js";
import { createUpstreamPool, UpstreamClient } from "../../src/datasources/http.js";
import {
  bootstrapDownloadPath,
  type BootstrapDownloadHandlerOptions,
  createBootstrapDownloadHandler,
} from "../../src/http/bootstrap-download.js";
import { type Stack, startStack } from "../helpers/stack.js";

/*
 * Device Trust Manager devices through the gateway: disable, then delete (PATCH .../disable with a reason, PATCH
 * .../delete [C]), and the bootstrap configuration ZIP, offered as a link to a gateway route that streams DigiCert's
 * file. Bad input is refused before anything is sent; neither change is ever resent.
 */

const G = DTM_IDS.deviceGroups;
const P = DTM_IDS.certificatePolicies;
const DEVICE = "/devicetrustmanager/api/v4/device";
const DISABLE_ROUTE = `PATCH ${DEVICE}/:id/disable`;
const DELETE_ROUTE = `PATCH ${DEVICE}/:id/delete`;
const BOOTSTRAP_ROUTE = "GET /devicetrustmanager/api/v4/bootstrap-config/download/:device_id";
/** Seeded: a client-side (CSR) device of the factory line, PROVISIONED. */
const CLIENT_SIDE_DEVICE = "7a87ce9d-f187-4486-8239-64b4cee3f036";
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

let stack: Stack;
let counter = 0;

beforeAll(async () => {
  stack = await startStack({ simulator: { seedCertificates: 0, seedIotCertificates: 0 } });
});
afterAll(async () => {
  await stack?.close();
});

const REGISTER = `mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) {
  __typename ... on DeviceRegistered { deviceId } ... on Error { code message }
} }`;

const DISABLE = `mutation($input: DisableDeviceInput!) { disableDevice(input: $input) {
  __typename
  ... on DeviceDisabled { deviceId device { deviceId status } }
  ... on ValidationError { field }
  ... on DeviceNotFoundError { deviceId }
  ... on Error { code message }
} }`;

const DELETE = `mutation($input: DeleteDeviceInput!) { deleteDevice(input: $input) {
  __typename
  ... on DeviceDeleted { deviceId }
  ... on ValidationError { field }
  ... on DeviceNotFoundError { deviceId }
  ... on Error { code message }
} }`;

/** A new server-side device in the gateways group, registered through the gateway; its id. */
async function newDevice(): Promise<string> {
  counter += 1;
  const name = `lifecycle-${process.pid}-${counter}`;
  const { data } = await stack.gql<any>(REGISTER, {
    input: {
      name,
      deviceGroupId: G.gateways,
      bootstrap: [
        {
          certificatePolicyId: P.bootstrapServer,
          serverSideKeyGeneration: { keyType: "RSA_2048" },
          attributes: [
            { name: "subject.common_name", value: `${name}.example.com` },
            { name: "subject.organization_name", value: "Example" },
          ],
        },
      ],
    },
  });
  expect(data.registerDevice.__typename).toBe("DeviceRegistered");
  return data.registerDevice.deviceId as string;
}

async function deviceStatus(id: string): Promise<string | null> {
  const { data } = await stack.gql<any>(`query($id: ID!) { device(id: $id) { status } }`, { id });
  return data.device?.status ?? null;
}

describe("disabling and deleting a device", () => {
  it("disables with the reason (DeviceDisabled, status DISABLED), then deletes (DeviceDeleted), each sent once", async () => {
    const id = await newDevice();
    stack.simulator.resetCounters();
    const disabled = await stack.gql<any>(DISABLE, { input: { id, reason: "No longer needed" } });
    expect(disabled.errors).toBeUndefined();
    expect(disabled.data.disableDevice).toEqual({
      __typename: "DeviceDisabled",
      deviceId: id,
      device: { deviceId: id, status: "DISABLED" },
    });
    // Sent once; the device is read again after it (DigiCert documents no answer body to take it from).
    expect(stack.simulator.requestCounts()).toEqual({ [DISABLE_ROUTE]: 1, [`GET ${DEVICE}/:id`]: 1 });
    expect(await deviceStatus(id)).toBe("DISABLED");

    stack.simulator.resetCounters();
    const deleted = await stack.gql<any>(DELETE, { input: { id } });
    expect(deleted.data.deleteDevice).toEqual({ __typename: "DeviceDeleted", deviceId: id });
    expect(stack.simulator.requestCounts()).toEqual({ [DELETE_ROUTE]: 1 });
    expect(await deviceStatus(id)).toBeNull();
  });

  it("takes the device's global id as well as DigiCert's", async () => {
    const id = await newDevice();
    const { data } = await stack.gql<any>(`query($id: ID!) { device(id: $id) { id } }`, { id });
    const disabled = await stack.gql<any>(DISABLE, { input: { id: data.device.id, reason: "Retired" } });
    expect(disabled.data.disableDevice).toMatchObject({ __typename: "DeviceDisabled", deviceId: id });
  });

  it("reports DigiCert's refusal to delete a device that is not disabled as a ValidationError of input.id", async () => {
    const id = await newDevice();
    const refused = await stack.gql<any>(DELETE, { input: { id } });
    expect(refused.data.deleteDevice).toMatchObject({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      field: "input.id",
      message: expect.stringContaining("disabled"),
    });
    expect(await deviceStatus(id)).toBe("REGISTERED");
  });

  it("answers DeviceNotFoundError for a device DigiCert does not know, for disable and delete alike", async () => {
    for (const [query, input] of [
      [DISABLE, { id: UNKNOWN, reason: "x" }],
      [DELETE, { id: UNKNOWN }],
    ] as const) {
      const { data } = await stack.gql<any>(query, { input });
      expect(Object.values(data)[0]).toMatchObject({
        __typename: "DeviceNotFoundError",
        code: "DEVICE_NOT_FOUND",
        deviceId: UNKNOWN,
        message: `No device has id ${UNKNOWN}, or this gateway's DigiCert credentials cannot use it.`,
      });
    }
  });

  it("refuses a bad id or reason before anything is sent", async () => {
    stack.simulator.resetCounters();
    const cases = [
      [DISABLE, { id: "not-a-uuid", reason: "x" }, "input.id"],
      [DISABLE, { id: UNKNOWN, reason: "   " }, "input.reason"],
      [DISABLE, { id: UNKNOWN, reason: "x".repeat(256) }, "input.reason"],
      [DISABLE, { id: UNKNOWN, reason: "line\nbreak" }, "input.reason"],
      [DELETE, { id: "../device-group" }, "input.id"],
      // A global id of another type is not a device's.
      [DELETE, { id: Buffer.from(`Certificate:${UNKNOWN}`).toString("base64") }, "input.id"],
    ] as const;
    for (const [query, input, field] of cases) {
      const { data } = await stack.gql<any>(query, { input });
      expect(Object.values(data)[0]).toMatchObject({ __typename: "ValidationError", field });
    }
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("needs the devices scope", async () => {
    const token = await stack.token({ scope: "certificates:read batch-jobs" });
    stack.simulator.resetCounters();
    const result = await stack.gql<any>(DISABLE, { input: { id: UNKNOWN, reason: "x" } }, { token });
    expect(result.data).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("never resends a disable or a delete: a 503 is unavailable, a dropped connection outcome unknown", async () => {
    const id = await newDevice();
    stack.simulator.resetCounters();
    stack.simulator.injectFault({ route: DISABLE_ROUTE, kind: "status", status: 503, times: 1 });
    const unavailable = await stack.gql<any>(DISABLE, { input: { id, reason: "x" } });
    expect(unavailable.data.disableDevice).toMatchObject({ __typename: "UpstreamUnavailableError" });
    stack.simulator.injectFault({ route: DELETE_ROUTE, kind: "reset", times: 1 });
    const unknown = await stack.gql<any>(DELETE, { input: { id } });
    expect(unknown.data.deleteDevice).toMatchObject({
      __typename: "UpstreamOutcomeUnknownError",
      code: "UPSTREAM_OUTCOME_UNKNOWN",
    });
    stack.simulator.clearFaults();
    expect(stack.simulator.requestCounts()).toEqual({ [DISABLE_ROUTE]: 1, [DELETE_ROUTE]: 1 });
  });
});

describe("a device's bootstrap configuration", () => {
  it("is offered as a link to the gateway's route, with no upstream call", async () => {
    stack.simulator.resetCounters();
    const { data } = await stack.gql<any>(
      `query($id: ID!) { device(id: $id) { bootstrapConfiguration { url contentType fileName } } }`,
      { id: CLIENT_SIDE_DEVICE },
    );
    expect(data.device.bootstrapConfiguration).toEqual({
      url: `/downloads/dtm-bootstrap/${CLIENT_SIDE_DEVICE}`,
      contentType: "application/zip",
      fileName: `bootstrap-${CLIENT_SIDE_DEVICE}.zip`,
    });
    expect(bootstrapDownloadPath(CLIENT_SIDE_DEVICE)).toBe(data.device.bootstrapConfiguration.url);
    expect(stack.simulator.requestCounts()).toEqual({ [`GET ${DEVICE}/:id`]: 1 });
  });

  // Enable once src/app.ts mounts createBootstrapDownloadHandler ahead of the batch downloads' handler (the route
  // is tested below on a server of its own until then).
  it("is served by the gateway itself at the link's url, with the same Authorization header as GraphQL", async () => {
    const { data } = await stack.gql<any>(
      `query($id: ID!) { device(id: $id) { bootstrapConfiguration { url } } }`,
      { id: CLIENT_SIDE_DEVICE },
    );
    const res = await fetch(new URL(data.device.bootstrapConfiguration.url, stack.url), {
      headers: { authorization: `Bearer ${await stack.token()}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(unzipSync(new Uint8Array(await res.arrayBuffer()))["bootstrap.json"]).toBeDefined();
  });

  describe("the download route, on DigiCert's API (the simulator)", () => {
    let server: Server;
    let origin: string;
    let pool: ReturnType<typeof createUpstreamPool>;
    const logs: string[] = [];

    beforeAll(async () => {
      const transport = {
        baseUrl: new URL(stack.simulator.url),
        connectTimeoutMs: 2_000,
        headersTimeoutMs: 5_000,
        bodyTimeoutMs: 5_000,
        connections: 4,
        maxResponseBytes: 1024 * 1024,
        retry: { maxAttempts: 1, budgetMs: 100, baseDelayMs: 1, maxDelayMs: 1 },
      };
      pool = createUpstreamPool(transport);
      const logger = pino({ level: "trace" }, { write: (line: string) => void logs.push(line) });
      const dtm = new DtmClient(
        new UpstreamClient(
          { ...transport, credentials: { kind: "apiKey", apiKey: DEFAULT_API_KEY } },
          logger,
          pool,
        ),
      );
      const scopes: Record<string, string[]> = {
        "Bearer all": ["devices", "keys:generate"],
        "Bearer devices": ["devices"],
        "Bearer reader": ["certificates:read"],
      };
      const authenticate: BootstrapDownloadHandlerOptions["authenticate"] = async (authorization) => {
        const granted = authorization ? scopes[authorization] : undefined;
        if (!granted) throw new GraphQLError("Unauthorized", { extensions: { code: "UNAUTHENTICATED" } });
        const viewer = { subject: "tester", tenant: "default", scopes: new Set(granted), expiresAt: 0 };
        return { viewer, services: { dtm } };
      };
      const handler = createBootstrapDownloadHandler({ authenticate, logger });
      server = createServer((req, res) => {
        void handler(req, res).then((handled) => {
          if (!handled) res.writeHead(418).end("not mine");
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    });

    async function get(path: string, authorization: string | null = "Bearer all", method = "GET") {
      const res = await fetch(`${origin}${path}`, {
        method,
        headers: authorization ? { authorization } : {},
      });
      return { res, body: Buffer.from(await res.arrayBuffer()) };
    }

    function errorOf(body: Buffer): { message: string; extensions: { code: string } } {
      return JSON.parse(body.toString()).errors[0];
    }

    it("streams DigiCert's ZIP as an attachment that is never cached", async () => {
      const id = await newDevice();
      const { res, body } = await get(bootstrapDownloadPath(id));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/zip");
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="bootstrap-${id}.zip"`);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const config = JSON.parse(Buffer.from(unzipSync(new Uint8Array(body))["bootstrap.json"]!).toString());
      expect(config).toMatchObject({
        device_id: id,
        certificate_policies: [{ certificate_policy_id: P.bootstrapServer, server_side_key_gen: true }],
      });
    });

    it("needs keys:generate as well for a device whose keys DigiCert generates, devices alone otherwise", async () => {
      const id = await newDevice();
      stack.simulator.resetCounters();
      const serverSide = await get(bootstrapDownloadPath(id), "Bearer devices");
      expect(serverSide.res.status).toBe(403);
      expect(errorOf(serverSide.body).extensions.code).toBe("FORBIDDEN");
      // Refused after reading the device, before anything was downloaded.
      expect(stack.simulator.requestCount(BOOTSTRAP_ROUTE)).toBe(0);
      const clientSide = await get(bootstrapDownloadPath(CLIENT_SIDE_DEVICE), "Bearer devices");
      expect(clientSide.res.status).toBe(200);
      const reader = await get(bootstrapDownloadPath(CLIENT_SIDE_DEVICE), "Bearer reader");
      expect(reader.res.status).toBe(403);
    });

    it("answers 401, 400, 404, 405 and 409 with codes, and no message carries DigiCert's text", async () => {
      const id = await newDevice();
      await stack.gql<any>(DISABLE, { input: { id, reason: "Retired" } });
      const cases: [string, string | null, string, number, string][] = [
        [bootstrapDownloadPath(id), null, "GET", 401, "UNAUTHENTICATED"],
        [bootstrapDownloadPath("not-a-uuid"), "Bearer all", "GET", 400, "VALIDATION_FAILED"],
        [bootstrapDownloadPath("%2e%2e"), "Bearer all", "GET", 400, "VALIDATION_FAILED"],
        [bootstrapDownloadPath(UNKNOWN), "Bearer all", "GET", 404, "DEVICE_NOT_FOUND"],
        [`${bootstrapDownloadPath(id)}/more`, "Bearer all", "GET", 404, "NOT_FOUND"],
        [bootstrapDownloadPath(id), "Bearer all", "POST", 405, "METHOD_NOT_ALLOWED"],
        [bootstrapDownloadPath(id), "Bearer all", "GET", 409, "BOOTSTRAP_NOT_AVAILABLE"],
      ];
      for (const [path, authorization, method, status, code] of cases) {
        const { res, body } = await get(path, authorization, method);
        expect([path, method, res.status]).toEqual([path, method, status]);
        const error = errorOf(body);
        expect(error.extensions.code).toBe(code);
        expect(error.message).not.toMatch(/disabled device has no bootstrap configuration$|Device not found/);
        expect(res.headers.get("cache-control")).toBe("no-store");
      }
    });

    it("is unavailable (502 with Retry-After) when DigiCert is, and leaves every other path alone", async () => {
      stack.simulator.injectFault({
        route: BOOTSTRAP_ROUTE,
        kind: "status",
        status: 503,
        retryAfterSeconds: 7,
      });
      try {
        const { res, body } = await get(bootstrapDownloadPath(CLIENT_SIDE_DEVICE));
        expect(res.status).toBe(502);
        expect(res.headers.get("retry-after")).toBe("7");
        expect(errorOf(body).extensions.code).toBe("UPSTREAM_UNAVAILABLE");
      } finally {
        stack.simulator.clearFaults();
      }
      expect((await get("/downloads/iot-batch/x")).res.status).toBe(418);
      expect((await get("/downloads/dtm-bootstrapper/x")).res.status).toBe(418);
      expect(logs.join("\n")).not.toContain(DEFAULT_API_KEY);
    });
  });
});
