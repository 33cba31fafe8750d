import { describe, expect, it } from "vitest";
import { browserDefences } from "../../../src/plugins/browser.js";
import { ENDPOINT, makeYoga } from "./helpers.js";

const APP = "https://console.example.com";
const OTHER_APP = "http://localhost:5173";
const EVIL = "https://evil.example.net";

function defendedYoga(allowedOrigins = [APP, OTHER_APP]) {
  const { cors, plugins } = browserDefences({ allowedOrigins });
  return makeYoga(plugins, { cors, graphiql: true });
}

const yoga = defendedYoga();

function jsonPost(headers: Record<string, string> = {}) {
  return yoga.fetch(ENDPOINT, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query: "{ hello }" }),
  });
}

function multipartPost(headers: Record<string, string> = {}) {
  const form = new FormData();
  form.set("operations", JSON.stringify({ query: "{ hello }" }));
  form.set("map", "{}");
  return yoga.fetch(ENDPOINT, { method: "POST", headers, body: form });
}

const get = (headers: Record<string, string> = {}) =>
  yoga.fetch(`${ENDPOINT}?query=${encodeURIComponent("{ hello }")}`, {
    headers: { accept: "application/json", ...headers },
  });

describe("browserDefences: CORS", () => {
  it("gives an allowed origin Access-Control-Allow-Origin (itself) and Allow-Credentials", async () => {
    for (const origin of [APP, OTHER_APP]) {
      const response = await jsonPost({ origin });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("access-control-expose-headers")).toBe("Retry-After");
      expect(response.headers.get("vary")).toBe("Origin");
    }
  });

  it("gives any other origin no CORS header at all (the response is still computed, but unreadable)", async () => {
    for (const origin of [
      EVIL,
      "null",
      "https://console.example.com.evil.net",
      "http://console.example.com",
      `${APP}:8443`,
    ]) {
      const response = await jsonPost({ origin });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      expect(response.headers.get("vary")).toBe("Origin");
    }
  });

  it("answers a preflight from an allowed origin with the allowed methods and headers", async () => {
    const response = await yoga.fetch(ENDPOINT, {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type, authorization",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST");
    expect(response.headers.get("access-control-allow-headers")).toBe(
      "content-type, accept, authorization, x-graphql-csrf",
    );
    expect(response.headers.get("access-control-max-age")).toBe("600");
  });

  it("answers a preflight from a foreign origin without any CORS header", async () => {
    const response = await yoga.fetch(ENDPOINT, {
      method: "OPTIONS",
      headers: {
        origin: EVIL,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    expect(response.headers.get("access-control-allow-methods")).toBeNull();
    expect(response.headers.get("access-control-allow-headers")).toBeNull();
  });

  it("does not echo a single allowed origin to everybody, as yoga's own list option would", async () => {
    const single = defendedYoga([APP]);
    const response = await single.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", origin: EVIL },
      body: JSON.stringify({ query: "{ hello }" }),
    });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows no origin at all with an empty list (yoga would read [] as 'reflect any')", async () => {
    const none = defendedYoga([]);
    const response = await none.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", origin: APP },
      body: JSON.stringify({ query: "{ hello }" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("normalises configured origins and refuses values that are not origins", async () => {
    const normalised = defendedYoga(["HTTPS://Console.Example.com:443/"]);
    const response = await normalised.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", origin: APP },
      body: JSON.stringify({ query: "{ hello }" }),
    });
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    for (const bad of [
      "*",
      "null",
      "console.example.com",
      "https://console.example.com/app",
      "ftp://x.example",
    ]) {
      expect(() => browserDefences({ allowedOrigins: [bad] })).toThrow(/is not an origin/);
    }
  });
});

describe("browserDefences: CSRF", () => {
  it("refuses a multipart POST without the CSRF header with 403 CSRF_HEADER_REQUIRED", async () => {
    const response = await multipartPost({ origin: EVIL });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      errors: [
        {
          message:
            "GET and form-encoded, multipart or text/plain requests must carry the x-graphql-csrf header.",
          extensions: { code: "CSRF_HEADER_REQUIRED" },
        },
      ],
    });
  });

  it("accepts a multipart POST with the CSRF header", async () => {
    const response = await multipartPost({ "x-graphql-csrf": "1" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: "world" } });
  });

  it("refuses a GET without the CSRF header and accepts it with the header", async () => {
    const refused = await get();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { errors: { extensions: unknown }[] }).errors[0]?.extensions).toEqual({
      code: "CSRF_HEADER_REQUIRED",
    });
    const accepted = await get({ "x-graphql-csrf": "1" });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ data: { hello: "world" } });
  });

  it("refuses text/plain and urlencoded POSTs without the header (forms can send them cross-site)", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded"]) {
      const response = await yoga.fetch(ENDPOINT, {
        method: "POST",
        headers: { "content-type": contentType },
        body: "query=%7B%20hello%20%7D",
      });
      expect(response.status).toBe(403);
    }
  });

  it("leaves a plain JSON POST unaffected", async () => {
    const response = await jsonPost();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: "world" } });
  });

  it("still serves GraphiQL to a browser navigating to the endpoint", async () => {
    const response = await yoga.fetch(ENDPOINT, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  });
});
