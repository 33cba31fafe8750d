import { once } from "node:events";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { limitRequestBody } from "../../../src/plugins/use-body-limit.js";
import { ENDPOINT, makeYoga } from "./helpers.js";

const LIMIT = 1024;
const TOO_LARGE =
  '{"errors":[{"message":"Request body too large","extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}';

/** A JSON body of exactly `size` bytes holding a valid operation. */
function jsonBody(size: number): string {
  const base = JSON.stringify({ query: "{ hello }", extensions: { pad: "" } });
  return base.replace('"pad":""', `"pad":"${"x".repeat(size - base.length)}"`);
}

function streamOf(text: string, chunkSize = 256): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

describe("limitRequestBody", () => {
  const yoga = makeYoga([limitRequestBody(LIMIT)]);

  it("answers a JSON body at the limit", async () => {
    const body = jsonBody(LIMIT);
    const response = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(body.length) },
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: "world" } });
  });

  it("answers 413 PAYLOAD_TOO_LARGE to a Content-Length over the limit, without reading the body", async () => {
    let pulled = 0;
    const body = new ReadableStream({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode("{}"));
        controller.close();
      },
    });
    const response = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(LIMIT + 1) },
      body,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.text()).toBe(TOO_LARGE);
    expect(pulled).toBeLessThanOrEqual(1); // at most what the stream pre-fills; never parsed
  });

  it("answers 413 to a chunked body once it crosses the limit, and reads no further", async () => {
    let chunksRead = 0;
    const source = streamOf(jsonBody(10 * LIMIT));
    const reader = source.getReader();
    const counted = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        chunksRead++;
        controller.enqueue(value);
      },
    });
    const response = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: counted,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.text()).toBe(TOO_LARGE);
    expect(chunksRead).toBeLessThan(10); // 40 chunks of 256 bytes were on offer; the 5th crosses 1024
  });

  it("answers 413 to a body longer than its Content-Length claims", async () => {
    const response = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "20" },
      body: streamOf(jsonBody(4 * LIMIT)),
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.text()).toBe(TOO_LARGE);
  });

  it("answers 413 to a GET whose query string is over the limit", async () => {
    const query = encodeURIComponent(`{ hello ${"__typename ".repeat(200)}}`);
    const response = await yoga.fetch(`${ENDPOINT}?query=${query}`, {
      headers: { accept: "application/json" },
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toBe(TOO_LARGE);
    const small = await yoga.fetch(`${ENDPOINT}?query=${encodeURIComponent("{ hello }")}`);
    expect(small.status).toBe(200);
  });

  it("limits multipart requests unless they are exempted", async () => {
    const multipart = () => {
      const form = new FormData();
      form.set(
        "operations",
        JSON.stringify({ query: "{ hello }", extensions: { pad: "x".repeat(2 * LIMIT) } }),
      );
      form.set("map", "{}");
      return { method: "POST", body: form };
    };
    expect((await yoga.fetch(ENDPOINT, multipart())).status).toBe(413);
    const exempting = makeYoga([limitRequestBody(LIMIT, { exemptMultipart: true })]);
    const response = await exempting.fetch(ENDPOINT, multipart());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: "world" } });
    // JSON is still limited.
    const json = jsonBody(2 * LIMIT);
    expect(
      (
        await exempting.fetch(ENDPOINT, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: json,
        })
      ).status,
    ).toBe(413);
  });

  it("answers a slow chunked upload over a real socket with 413 before it ends, then closes the connection", async () => {
    const server = createServer(makeYoga([limitRequestBody(LIMIT)]));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const req = httpRequest({
        host: "127.0.0.1",
        port,
        path: "/graphql",
        method: "POST",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.on("error", () => {}); // the server may close while we still write
      req.write(jsonBody(2 * LIMIT)); // over the limit; the request is never ended
      const [response] = (await once(req, "response")) as [IncomingMessage];
      let text = "";
      for await (const chunk of response) text += String(chunk);
      expect(response.statusCode).toBe(413);
      expect(response.headers["connection"]).toBe("close");
      expect(text).toBe(TOO_LARGE);
      if (!req.socket?.destroyed) await once(req.socket!, "close");
      expect(req.socket?.destroyed).toBe(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("refuses a limit that is not a positive integer", () => {
    expect(() => limitRequestBody(0)).toThrow(RangeError);
  });
});
