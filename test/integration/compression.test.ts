import { request as httpRequest } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB_SUBSCRIPTION, pendingIotJob } from "../helpers/jobs.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let token: string;
beforeAll(async () => {
  stack = await startStack({ simulator: { seedCertificates: 120 } });
  token = await stack.token();
});
afterAll(async () => {
  await stack?.close();
});

/** A raw POST (Node's fetch would decode for us): status, headers, and the body bytes as sent. */
function post(
  body: object,
  headers: Record<string, string>,
  readFor = Infinity,
): Promise<{ headers: Record<string, string | string[] | undefined>; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(stack.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      const done = () => resolve({ headers: res.headers, raw: Buffer.concat(chunks) });
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", done);
      if (readFor < Infinity)
        setTimeout(() => {
          done();
          res.destroy();
        }, readFor);
    });
    req.end(JSON.stringify(body));
  });
}

const PAGE = {
  query: "{ certificates(first: 100) { edges { node { serialNumber commonName validTo status } } } }",
};

describe("Response compression", () => {
  it("gzips a large answer for a client that accepts gzip", async () => {
    const plain = await post(PAGE, {});
    const zipped = await post(PAGE, { "accept-encoding": "gzip" });
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toMatch(/accept-encoding/i);
    const text = gunzipSync(zipped.raw).toString();
    expect(JSON.parse(text).data.certificates.edges).toHaveLength(100);
    expect(zipped.raw.length).toBeLessThan(plain.raw.length / 3);
  });

  it("prefers brotli when the client accepts it", async () => {
    const res = await post(PAGE, { "accept-encoding": "br, gzip" });
    expect(res.headers["content-encoding"]).toBe("br");
    expect(JSON.parse(brotliDecompressSync(res.raw).toString()).data.certificates.edges).toHaveLength(100);
  });

  it("leaves an answer under the threshold as it is", async () => {
    const res = await post({ query: "{ __typename }" }, { "accept-encoding": "gzip" });
    expect(res.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(res.raw.toString())).toEqual({ data: { __typename: "Query" } });
  });

  it("never compresses a subscription's event stream, so each event arrives when it happens", async () => {
    const jobId = await pendingIotJob(stack.url, token, "compression-sse.iot.example.com");
    const res = await post(
      { query: JOB_SUBSCRIPTION, variables: { id: jobId } },
      { accept: "text/event-stream", "accept-encoding": "gzip, br" },
      600,
    );
    expect(res.headers["content-type"]).toContain("text/event-stream");
    // yoga marks its event streams `content-encoding: none`.
    expect([undefined, "none"]).toContain(res.headers["content-encoding"]);
    expect(res.raw.toString()).toContain("PENDING_APPROVAL");
  });
});
