import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ defences: { maxOperationsPerSocket: 1, maxBodyBytes: 64 * 1024 } });
});
afterAll(async () => {
  await stack?.close();
});

const wsUrl = () => stack.url.href.replace(/^http/, "ws");

/** Runs one operation over graphql-ws; resolves with its result, or rejects with the close event. */
function run(
  connectionParams: Record<string, unknown>,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ data?: any; errors?: any[] }> {
  const client = createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
  });
  return new Promise((resolve, reject) => {
    let result: { data?: any; errors?: any[] } = {};
    client.subscribe(
      { query, variables },
      {
        next: (value) => {
          result = value as typeof result;
        },
        error: (error) => {
          void client.dispose();
          if (Array.isArray(error)) resolve({ errors: error });
          else reject(error);
        },
        complete: () => {
          void client.dispose();
          resolve(result);
        },
      },
    );
  });
}

/** Opens a raw socket, sends connection_init, and resolves with the close code. */
function closeCodeOf(payload: unknown, after?: (socket: WebSocket) => void): Promise<number> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl(), "graphql-transport-ws");
    socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload })));
    socket.on("message", (data) => {
      if (JSON.parse(String(data)).type === "connection_ack") after?.(socket);
    });
    socket.on("close", (code) => resolve(code));
  });
}

describe("GraphQL over WebSocket (graphql-ws, same port and path)", () => {
  it("runs a query with the token from connectionParams", async () => {
    const token = await stack.token();
    const result = await run(
      { authorization: `Bearer ${token}` },
      "{ profiles(first: 2) { edges { node { name } } } }",
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.profiles.edges).toHaveLength(2);
  });

  it("closes with 4403 when connection_init has no token or a bad one", async () => {
    expect(await closeCodeOf({})).toBe(4403);
    expect(await closeCodeOf({ authorization: "Bearer not.a.jwt" })).toBe(4403);
  });

  it("closes the socket with 4401 when the token expires", async () => {
    const token = await stack.token({ expiresInSeconds: 1 });
    const started = Date.now();
    expect(await closeCodeOf({ authorization: `Bearer ${token}` })).toBe(4401);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("keeps a socket open for a token valid longer than a timer can count (30 days)", async () => {
    const token = await stack.token({ expiresInSeconds: 30 * 24 * 3600 });
    const result = await run(
      { authorization: `Bearer ${token}` },
      "{ profiles(first: 1) { edges { node { name } } } }",
    );
    expect(result.errors).toBeUndefined();
    expect(result.data.profiles.edges).toHaveLength(1);
  });

  it("gives FORBIDDEN on a field whose scope the token lacks, as over HTTP", async () => {
    const token = await stack.token({ scope: "devices" });
    const result = await run(
      { authorization: `Bearer ${token}` },
      "{ profiles(first: 1) { edges { node { name } } } }",
    );
    expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("refuses more operations at once on one socket than allowed", async () => {
    const token = await stack.token();
    stack.simulator.setLatency(300);
    try {
      const client = createClient({
        url: wsUrl(),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      const one = (query: string) =>
        new Promise<{ errors?: any[]; data?: unknown }>((resolve) => {
          let last: { errors?: any[]; data?: unknown } = {};
          client.subscribe(
            { query },
            {
              next: (v) => {
                last = v as typeof last;
              },
              error: (e) => resolve({ errors: Array.isArray(e) ? e : [e] }),
              complete: () => resolve(last),
            },
          );
        });
      const [a, b] = await Promise.all([
        one("{ profiles(first: 1) { edges { node { name } } } }"),
        one("{ certificates(first: 1) { totalCount } }"),
      ]);
      await client.dispose();
      const codes = [a, b].map((r) => r.errors?.[0]?.extensions?.code ?? "ok");
      expect(codes.sort()).toEqual(["TOO_MANY_OPERATIONS", "ok"]);
    } finally {
      stack.simulator.setLatency(0);
    }
  });

  it("closes the socket on a frame larger than the limit", async () => {
    const token = await stack.token();
    const code = await closeCodeOf({ authorization: `Bearer ${token}` }, (socket) =>
      socket.send(
        JSON.stringify({
          id: "1",
          type: "subscribe",
          payload: { query: `{ __typename }${" ".repeat(70_000)}` },
        }),
      ),
    );
    expect(code).toBe(1009);
  });
});
