import { auditServer, type AuditResult } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack({ simulator: { seedCertificates: 4 } });
  token = await stack.token();
});
afterAll(async () => {
  await stack?.close();
});

/** A fetch that adds `headers` to every audit request. */
function fetchWith(headers: Record<string, string>) {
  return (input: RequestInfo | URL, init: RequestInit = {}) => {
    const merged = new Headers(init.headers);
    for (const [name, value] of Object.entries(headers)) merged.set(name, value);
    return fetch(input, { ...init, headers: merged });
  };
}

/** Every result that is not "ok", with its id, name, reason, status and the start of the body. */
async function notOk(results: AuditResult[]): Promise<string[]> {
  return Promise.all(
    results.flatMap((r) =>
      r.status === "ok"
        ? []
        : [
            r.response
              .clone()
              .text()
              .catch(() => "")
              .then(
                (body) =>
                  `${r.status.toUpperCase()} ${r.id} ${r.name}: ${r.reason} (HTTP ${r.response.status}) ${body.slice(0, 160)}`,
              ),
          ],
    ),
  );
}

describe("graphql-http server audit (GraphQL over HTTP conformance)", () => {
  it("every audit is ok for a client that sends a valid Authorization header", async () => {
    const results = await auditServer({
      url: stack.url.href,
      fetchFn: fetchWith({ authorization: `Bearer ${token}` }),
    });
    expect(results.length).toBeGreaterThan(20);
    const failing = await notOk(results);
    expect(failing, `\n${failing.join("\n")}`).toEqual([]);
  });

  it("every audit is ok for a client that also sends the documented CSRF header", async () => {
    const results = await auditServer({
      url: stack.url.href,
      fetchFn: fetchWith({ authorization: `Bearer ${token}`, "x-graphql-csrf": "1" }),
    });
    const failing = await notOk(results);
    expect(failing, `\n${failing.join("\n")}`).toEqual([]);
  });

  it("the audits never reached DigiCert", () => {
    expect(stack.simulator.requestCounts()).toEqual({});
  });
});
