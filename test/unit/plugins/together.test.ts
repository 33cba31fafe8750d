import { createYoga } from "graphql-yoga";
import { describe, expect, it } from "vitest";
import { browserDefences } from "../../../src/plugins/browser.js";
import { limitRequestBody } from "../../../src/plugins/use-body-limit.js";
import { useExposure } from "../../../src/plugins/use-exposure.js";
import { useQueryLimits } from "../../../src/plugins/use-query-limits.js";
import { useRateLimit } from "../../../src/plugins/use-rate-limit.js";
import { ENDPOINT, post, testSchema } from "./helpers.js";

interface CallerContext {
  caller: string | null;
}

/** The wiring the gateway is meant to use, in this order, with a typed user context. */
function gatewayLikeYoga() {
  const browser = browserDefences({ allowedOrigins: ["https://console.example.com"] });
  return createYoga<Record<string, unknown>, CallerContext>({
    schema: testSchema,
    logging: false,
    cors: browser.cors,
    context: ({ request }) => ({ caller: request.headers.get("x-caller") }),
    plugins: [
      ...browser.plugins, // HTTP: CSRF header check
      limitRequestBody(4096), // HTTP: body size
      useExposure({ introspection: false }),
      useRateLimit<CallerContext>({ points: 3, durationSeconds: 60, keyOf: (context) => context.caller }),
      useQueryLimits(),
    ],
  });
}

describe("the plugins wired together", () => {
  it("answer an ordinary query with CORS headers for the allowed origin", async () => {
    const yoga = gatewayLikeYoga();
    const { response, body } = await post(yoga, "{ items(first: 2) { id } }", undefined, {
      origin: "https://console.example.com",
      "x-caller": "t:alice",
    });
    expect(response.status).toBe(200);
    expect(body).toEqual({ data: { items: [{ id: "0" }, { id: "1" }] } });
    expect(response.headers.get("access-control-allow-origin")).toBe("https://console.example.com");
  });

  it("count an operation refused for its cost against the caller's rate (rate limit listed first)", async () => {
    const yoga = gatewayLikeYoga();
    const costly = "{ items(first: 100) { children(first: 100) { id } } }";
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const { body } = await post(yoga, costly, undefined, { "x-caller": "t:mallory" });
      codes.push(body.errors?.[0]?.extensions?.["code"]);
    }
    expect(codes).toEqual(["QUERY_TOO_COSTLY", "QUERY_TOO_COSTLY", "QUERY_TOO_COSTLY", "RATE_LIMITED"]);
  });

  it("keep each rejection's code: introspection, depth, body size, CSRF", async () => {
    const yoga = gatewayLikeYoga();
    expect((await post(yoga, "{ __schema { types { name } } }")).body.errors?.[0]?.extensions?.["code"]).toBe(
      "INTROSPECTION_DISABLED",
    );
    let deep = "id";
    for (let i = 0; i < 12; i++) deep = `parent { ${deep} }`;
    expect((await post(yoga, `{ item { ${deep} } }`)).body.errors?.[0]?.extensions?.["code"]).toBe(
      "QUERY_TOO_DEEP",
    );
    const big = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ hello }`, extensions: { pad: "x".repeat(5000) } }),
    });
    expect(big.status).toBe(413);
    const form = new FormData();
    form.set("operations", JSON.stringify({ query: "{ hello }" }));
    expect((await yoga.fetch(ENDPOINT, { method: "POST", body: form })).status).toBe(403);
  });
});
