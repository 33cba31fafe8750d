import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../helpers/stack.js";
import { codes, type RawResponse, send } from "./helpers.js";

const PORTAL = "https://portal.example.com";
const ADMIN = "https://admin.example.com";
const MAX_BODY = 16 * 1024;
const QUERY = `{ certificates(first: 1) { totalCount } }`;

/** Two allowed origins (the list form yoga gets wrong by itself). */
let stack: Stack;
/** No allow-list configured (the default). */
let bare: Stack;
let token: string;
const seen: RawResponse[] = [];

beforeAll(async () => {
  [stack, bare] = await Promise.all([
    startStack({
      simulator: { seedCertificates: 4 },
      defences: { corsOrigins: [PORTAL, ADMIN], maxBodyBytes: MAX_BODY, maxUploadBytes: MAX_BODY * 2 },
    }),
    startStack({ simulator: { seedCertificates: 4 } }),
  ]);
  token = await stack.token();
});
afterAll(async () => {
  await Promise.all([stack?.close(), bare?.close()]);
});
beforeEach(() => {
  stack.simulator.resetCounters();
  bare.simulator.resetCounters();
});

async function call(target: Stack, init: RequestInit & { search?: Record<string, string> } = {}) {
  const url = new URL(target.url);
  for (const [k, v] of Object.entries(init.search ?? {})) url.searchParams.set(k, v);
  const res = await send(url, init);
  seen.push(res);
  return res;
}

function jsonPost(origin: string | null, extra: Record<string, string> = {}) {
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      ...(origin === null ? {} : { origin }),
      ...extra,
    },
    body: JSON.stringify({ query: QUERY }),
  };
}

function preflight(origin: string) {
  return {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    },
  };
}

const corsHeaders = (res: RawResponse) =>
  [...res.headers.keys()].filter((k) => k.startsWith("access-control-allow-"));

describe("CORS allow-list", () => {
  it("an allowed origin gets itself back in Access-Control-Allow-Origin, with credentials and Vary: Origin", async () => {
    for (const origin of [PORTAL, ADMIN]) {
      const res = await call(stack, jsonPost(origin));
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe(origin);
      expect(res.headers.get("access-control-allow-credentials")).toBe("true");
      expect(res.headers.get("vary")).toMatch(/\bOrigin\b/i);
    }
  });

  it("a foreign origin gets no CORS header at all", async () => {
    const res = await call(stack, jsonPost("https://evil.example"));
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toMatch(/\bOrigin\b/i);
  });

  it("look-alike origins (suffix, prefix, scheme, port) get no CORS header", async () => {
    for (const origin of [
      "https://portal.example.com.evil.example",
      "https://evilportal.example.com",
      "http://portal.example.com",
      "https://portal.example.com:8443",
      "https://portal.example.co",
    ]) {
      const res = await call(stack, jsonPost(origin));
      expect(corsHeaders(res), origin).toEqual([]);
    }
  });

  it("Origin: null (sandboxed frames, file:) is never allowed, in particular not as 'null' with credentials", async () => {
    const res = await call(stack, jsonPost("null"));
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await call(stack, preflight("null"));
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a preflight from an allowed origin allows POST with authorization, content-type and the CSRF header", async () => {
    const res = await call(stack, preflight(PORTAL));
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get("access-control-allow-origin")).toBe(PORTAL);
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-methods")).toMatch(/\bPOST\b/);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    for (const h of ["authorization", "content-type", "x-graphql-csrf"]) expect(allowed).toContain(h);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a preflight from a foreign origin gets no CORS header", async () => {
    const res = await call(stack, preflight("https://evil.example"));
    expect(corsHeaders(res)).toEqual([]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("with no allow-list configured, no origin is reflected (yoga's default would reflect any)", async () => {
    const res = await call(bare, jsonPost("https://evil.example"));
    expect(corsHeaders(res)).toEqual([]);
    const pre = await call(bare, preflight("https://evil.example"));
    expect(corsHeaders(pre)).toEqual([]);
  });

  it("no response in this file ever answered '*', least of all with credentials", () => {
    expect(seen.length).toBeGreaterThan(10);
    for (const res of seen) {
      expect(res.headers.get("access-control-allow-origin")).not.toBe("*");
      if (res.headers.get("access-control-allow-credentials") === "true") {
        expect([PORTAL, ADMIN]).toContain(res.headers.get("access-control-allow-origin"));
      }
    }
  });
});

function multipart(operations: unknown, map?: unknown, file?: Blob) {
  const form = new FormData();
  form.set("operations", JSON.stringify(operations));
  if (map !== undefined) form.set("map", JSON.stringify(map));
  if (file) form.set("0", file, "upload.bin");
  return form;
}

// A page on another origin can only send "simple" requests without a preflight: no Authorization
// header and no custom header. So either header proves the request is not a forged one.
describe("CSRF prevention: requests a page could send without a preflight need the CSRF header", () => {
  it("a GET query without the CSRF header is 403 CSRF_HEADER_REQUIRED, executing nothing", async () => {
    const res = await call(stack, {
      headers: { origin: "https://evil.example" },
      search: { query: QUERY },
    });
    expect(res.status).toBe(403);
    expect(codes(res.json)).toEqual(["CSRF_HEADER_REQUIRED"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a multipart POST without the CSRF header is 403 CSRF_HEADER_REQUIRED, executing nothing", async () => {
    const res = await call(stack, {
      method: "POST",
      headers: {},
      body: multipart({ query: QUERY }),
    });
    expect(res.status).toBe(403);
    expect(codes(res.json)).toEqual(["CSRF_HEADER_REQUIRED"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("urlencoded and text/plain POSTs (what a plain HTML form sends) are 403 CSRF_HEADER_REQUIRED", async () => {
    const urlencoded = await call(stack, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: QUERY }).toString(),
    });
    const text = await call(stack, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ query: QUERY }),
    });
    for (const res of [urlencoded, text]) {
      expect(res.status).toBe(403);
      expect(codes(res.json)).toEqual(["CSRF_HEADER_REQUIRED"]);
    }
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a GET carrying the bearer token needs no CSRF header: browsers preflight Authorization", async () => {
    const res = await call(stack, {
      headers: { authorization: `Bearer ${token}` },
      search: { query: QUERY },
    });
    expect(res.status).toBe(200);
    expect(res.json?.errors).toBeUndefined();
  });

  it("a GET with the CSRF header runs (control), and a JSON POST needs no header", async () => {
    const get = await call(stack, {
      headers: { authorization: `Bearer ${token}`, "x-graphql-csrf": "1" },
      search: { query: QUERY },
    });
    expect(get.status).toBe(200);
    expect(get.json?.errors).toBeUndefined();
    const json = await call(stack, jsonPost(null));
    expect(json.status).toBe(200);
    expect(stack.simulator.requestCount("GET /mpki/api/v1/certificate-search")).toBe(2);
  });

  it("a mutation over GET is refused even with the CSRF header, and nothing is revoked", async () => {
    const res = await call(stack, {
      headers: { authorization: `Bearer ${token}`, "x-graphql-csrf": "1" },
      search: {
        query: `mutation { revokeCertificate(input: { serialNumber: "01", reason: UNSPECIFIED }) { __typename } }`,
      },
    });
    expect(res.status).toBe(405);
    expect(res.json?.data ?? null).toBeNull();
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});

describe("hostile uploads (multipart, with the CSRF header)", () => {
  it("a multipart body over maxUploadBytes is 413 PAYLOAD_TOO_LARGE, executing nothing", async () => {
    const res = await call(stack, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "x-graphql-csrf": "1" },
      body: multipart(
        { query: QUERY, variables: { file: null } },
        { 0: ["variables.file"] },
        new Blob([new Uint8Array(MAX_BODY * 4)]),
      ),
    });
    expect(res.status).toBe(413);
    expect(codes(res.json)).toEqual(["PAYLOAD_TOO_LARGE"]);
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("an anonymous upload is refused with 401 before its body is read", async () => {
    const { request } = await import("node:http");
    const declared = 8 * 1024 * 1024;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(stack.url, {
        method: "POST",
        headers: {
          "content-type": "multipart/form-data; boundary=x",
          "content-length": String(declared),
          "x-graphql-csrf": "1",
        },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", (error) => (error.message.includes("socket hang up") ? undefined : reject(error)));
      // Only 1 KiB of the declared 8 MiB is ever sent: an answer proves the gateway did not wait for the rest.
      req.write(Buffer.alloc(1024));
    });
    expect(status).toBe(401);
  });

  it("a multipart map aimed at __proto__ pollutes nothing", async () => {
    const res = await call(stack, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "x-graphql-csrf": "1" },
      body: multipart(
        { query: `{ __typename }` },
        { 0: ["__proto__.polluted", "constructor.prototype.polluted", "variables.__proto__.polluted"] },
        new Blob(["x"]),
      ),
    });
    expect(res.status).toBeLessThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("a JSON body with __proto__ in the variables is refused (400) and pollutes nothing", async () => {
    const res = await call(stack, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: `{"query":"query($f: CertificateFilter) { certificates(first: 1, filter: $f) { totalCount } }","variables":{"f":{"__proto__":{"polluted":true},"seatId":"x"}}}`,
    });
    expect(res.status).toBe(400);
    expect(res.json?.data ?? null).toBeNull();
    expect(stack.simulator.requestCounts()).toEqual({});
    expect(Object.prototype).not.toHaveProperty("polluted");
  });
});
