import { describe, expect, it } from "vitest";
import { rateLimitedError, useRateLimit } from "../../../src/plugins/use-rate-limit.js";
import { ENDPOINT, makeYoga, post } from "./helpers.js";

// The caller's key comes from a header here; the gateway takes tenant + subject from the token.
function limitedYoga(points = 3) {
  return makeYoga([
    useRateLimit({
      points,
      durationSeconds: 60,
      keyOf: (context) => context.request.headers.get("x-caller"),
    }),
  ]);
}

const asCaller = (caller: string) => ({ "x-caller": caller });

describe("useRateLimit", () => {
  it("answers N operations, then 429 with an integer Retry-After and RATE_LIMITED", async () => {
    const yoga = limitedYoga(3);
    for (let i = 0; i < 3; i++) {
      const { response, body } = await post(yoga, "{ hello }", undefined, asCaller("tenant-a:alice"));
      expect(response.status).toBe(200);
      expect(body).toEqual({ data: { hello: "world" } });
    }
    const { response, body } = await post(yoga, "{ hello }", undefined, asCaller("tenant-a:alice"));
    expect(response.status).toBe(429);
    const retryAfter = response.headers.get("retry-after");
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(body).toEqual({
      errors: [
        {
          message: `Too many requests; retry in ${retryAfter} s.`,
          extensions: { code: "RATE_LIMITED", retryAfterSeconds: Number(retryAfter) },
        },
      ],
    });
  });

  it("answers 429 to an application/json client too (not a GraphQL-over-HTTP spec status)", async () => {
    const yoga = limitedYoga(1);
    await post(yoga, "{ hello }", undefined, asCaller("a"));
    const { response } = await post(yoga, "{ hello }", undefined, {
      ...asCaller("a"),
      accept: "application/json",
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  });

  it("counts each caller separately", async () => {
    const yoga = limitedYoga(1);
    expect((await post(yoga, "{ hello }", undefined, asCaller("tenant-a:alice"))).response.status).toBe(200);
    expect((await post(yoga, "{ hello }", undefined, asCaller("tenant-a:alice"))).response.status).toBe(429);
    expect((await post(yoga, "{ hello }", undefined, asCaller("tenant-a:bob"))).response.status).toBe(200);
    expect((await post(yoga, "{ hello }", undefined, asCaller("tenant-b:alice"))).response.status).toBe(200);
  });

  it("does not limit a caller whose key is null", async () => {
    const yoga = limitedYoga(1);
    for (let i = 0; i < 5; i++) {
      expect((await post(yoga, "{ hello }")).response.status).toBe(200);
    }
  });

  it("counts mutations and subscriptions, and does not run a limited mutation", async () => {
    const yoga = makeYoga([useRateLimit({ points: 2, durationSeconds: 60, keyOf: () => "one caller" })]);
    expect((await post(yoga, "mutation { touch }")).response.status).toBe(200);
    const sse = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: "subscription { ticks(first: 1) }" }),
    });
    expect(await sse.text()).toContain('"ticks":0');
    const limited = await post(yoga, "mutation { touch }");
    expect(limited.response.status).toBe(429);
    expect(limited.body).not.toHaveProperty("data"); // not executed at all
  });

  it("answers a limited operation through the bare envelop pipeline (the graphql-ws path)", async () => {
    const yoga = makeYoga([useRateLimit({ points: 1, durationSeconds: 60, keyOf: () => "ws caller" })]);
    const run = async () => {
      const { parse, execute, schema, contextFactory } = yoga.getEnveloped({});
      return (await execute({
        schema,
        document: parse("{ hello }"),
        contextValue: await contextFactory(),
      })) as {
        data?: unknown;
        errors?: { extensions: Record<string, unknown> }[];
      };
    };
    expect((await run()).data).toEqual({ hello: "world" });
    const limited = await run();
    expect(limited.errors?.[0]?.extensions["code"]).toBe("RATE_LIMITED");
    expect(limited.errors?.[0]?.extensions["retryAfterSeconds"]).toBeGreaterThanOrEqual(1);
  });

  it("rounds Retry-After up to whole seconds, never below 1", () => {
    expect(rateLimitedError(1).extensions["retryAfterSeconds"]).toBe(1);
    expect(rateLimitedError(0).extensions["retryAfterSeconds"]).toBe(1);
    expect(rateLimitedError(1001).extensions["retryAfterSeconds"]).toBe(2);
    expect(rateLimitedError(1001).extensions["http"]).toEqual({
      status: 429,
      headers: { "Retry-After": "2" },
    });
  });

  it("refuses a window of 0 seconds, which rate-limiter-flexible would read as forever", () => {
    expect(() => useRateLimit({ points: 1, durationSeconds: 0, keyOf: () => null })).toThrow(RangeError);
  });
});
