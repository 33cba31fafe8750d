/**
 * The typed client (clients/typescript/src/client.ts) against a stand-in fetch: what it sends (JSON, a persisted
 * document id, a GraphQL multipart request with or without upload progress), how it reports what comes back (data,
 * GraphQL errors, non-GraphQL answers, unreachable gateways), and the result-union helpers.
 */
import { describe, expect, it } from "vitest";
import {
  connectionNodes,
  expectResult,
  GatewayClient,
  GatewayHttpError,
  GatewayNetworkError,
  GatewayRequestError,
  GatewayResultError,
  isResultError,
} from "../../clients/typescript/src/client.js";
import {
  CreateDeviceRegistrationBatchDocument,
  DeviceGroupPoliciesDocument,
  ExpiringCertificatesDocument,
  type RequestCertificateMutation,
} from "../../clients/typescript/src/generated/graphql.js";

const TOKEN = "secret-token-value";

interface Sent {
  url: string;
  headers: Headers;
  request: Request;
}

/** A fetch that records each request and answers with `answer(request)`. */
function fakeFetch(answer: (request: Request, init?: RequestInit) => Response | Promise<Response>) {
  const sent: Sent[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push({ url: request.url, headers: request.headers, request });
    return answer(request.clone(), init);
  }) as typeof fetch;
  return { fetchImpl, sent };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/graphql-response+json; charset=utf-8", ...headers },
  });

const PAGE = {
  certificates: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] },
};
const FILTER = { filter: { expiresBefore: "2030-01-01T00:00:00.000Z" }, first: 10 };

describe("GatewayClient.request", () => {
  it("posts the document's text and variables as JSON with the bearer token, and returns the data", async () => {
    const { fetchImpl, sent } = fakeFetch(() => json({ data: PAGE }));
    const client = new GatewayClient({ url: "http://gateway.test/graphql", token: TOKEN, fetch: fetchImpl });
    const data = await client.request(ExpiringCertificatesDocument, FILTER);
    expect(data).toEqual(PAGE);
    expect(sent[0]!.headers.get("authorization")).toBe(`Bearer ${TOKEN}`);
    expect(sent[0]!.headers.get("content-type")).toBe("application/json");
    const body = await sent[0]!.request.json();
    expect(body.query).toBe(ExpiringCertificatesDocument.toString());
    expect(body.documentId).toBeUndefined();
    expect(body.variables).toEqual(FILTER);
  });

  it("sends only the persisted document id (the manifest's SHA-256) when persistedDocuments is on", async () => {
    const { fetchImpl, sent } = fakeFetch(() => json({ data: PAGE }));
    const tokens = ["first", "second"];
    const client = new GatewayClient({
      url: "http://gateway.test/graphql",
      token: async () => tokens.shift() ?? null,
      persistedDocuments: true,
      fetch: fetchImpl,
    });
    await client.request(ExpiringCertificatesDocument, FILTER);
    await client.request(DeviceGroupPoliciesDocument);
    const body = await sent[0]!.request.json();
    expect(body).toEqual({ documentId: ExpiringCertificatesDocument.__meta__!["hash"], variables: FILTER });
    expect(body.documentId).toMatch(/^[0-9a-f]{64}$/);
    // The token function is asked for each request.
    expect(sent.map((s) => s.headers.get("authorization"))).toEqual(["Bearer first", "Bearer second"]);
  });

  it("throws GatewayRequestError with every error's code, the status and the request id, and never the token", async () => {
    const { fetchImpl } = fakeFetch(() =>
      json(
        {
          errors: [
            { message: "Unauthenticated.", extensions: { code: "UNAUTHENTICATED" } },
            { message: "Plain." },
          ],
        },
        401,
        { "x-request-id": "req-1" },
      ),
    );
    const client = new GatewayClient({ url: "http://gateway.test/graphql", token: TOKEN, fetch: fetchImpl });
    const error = await client.request(ExpiringCertificatesDocument, FILTER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayRequestError);
    const requestError = error as GatewayRequestError;
    expect(requestError).toMatchObject({
      name: "GatewayRequestError",
      code: "UNAUTHENTICATED",
      codes: ["UNAUTHENTICATED", "GRAPHQL_ERROR"],
      status: 401,
      requestId: "req-1",
    });
    expect(JSON.stringify({ ...requestError, message: requestError.message })).not.toContain(TOKEN);
  });

  it("keeps the partial data of an answer with field errors", async () => {
    const { fetchImpl } = fakeFetch(() =>
      json({
        data: PAGE,
        errors: [{ message: "x509 unreadable", extensions: { code: "UPSTREAM_INVALID_RESPONSE" } }],
      }),
    );
    const client = new GatewayClient({ url: "http://gateway.test/graphql", fetch: fetchImpl });
    const error = (await client
      .request(ExpiringCertificatesDocument, FILTER)
      .catch((e) => e)) as GatewayRequestError;
    expect(error.code).toBe("UPSTREAM_INVALID_RESPONSE");
    expect(error.data).toEqual(PAGE);
  });

  it("throws GatewayHttpError for an answer that is not a GraphQL result, with its Retry-After", async () => {
    const { fetchImpl } = fakeFetch(
      () =>
        new Response("<html>Bad gateway</html>", {
          status: 503,
          headers: { "content-type": "text/html", "retry-after": "7" },
        }),
    );
    const client = new GatewayClient({ url: "http://gateway.test/graphql", fetch: fetchImpl });
    const error = await client.request(ExpiringCertificatesDocument, FILTER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayHttpError);
    expect(error).toMatchObject({ code: "HTTP_ERROR", status: 503, retryAfterSeconds: 7 });
  });

  it("throws GatewayNetworkError when the gateway cannot be reached, and lets an abort through as it is", async () => {
    const refused = new GatewayClient({
      url: "http://gateway.test/graphql",
      fetch: (async () => {
        throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
      }) as typeof fetch,
    });
    const error = await refused.request(ExpiringCertificatesDocument, FILTER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayNetworkError);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);

    const { fetchImpl } = fakeFetch(
      (_request, init) =>
        new Promise((_, reject) => {
          const signal = init!.signal!;
          if (signal.aborted) reject(signal.reason);
          else signal.addEventListener("abort", () => reject(signal.reason));
        }),
    );
    const client = new GatewayClient({ url: "http://gateway.test/graphql", fetch: fetchImpl });
    const abort = new AbortController();
    const pending = client.request(ExpiringCertificatesDocument, FILTER, { signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
  });
});

describe("uploads (GraphQL multipart request spec)", () => {
  const input = (file: Blob) => ({
    input: { deviceGroupId: "group", name: "job", file },
  });
  const created = {
    createDeviceRegistrationBatch: { __typename: "DeviceRegistrationBatchCreated", jobId: "j" },
  };

  async function multipartOf(sent: Sent) {
    const form = await sent.request.formData();
    return {
      operations: JSON.parse(form.get("operations") as string),
      map: JSON.parse(form.get("map") as string),
      file: form.get("0") as File,
    };
  }

  it("sends a File in the variables as a multipart part mapped to its path, the variables left as they were", async () => {
    const { fetchImpl, sent } = fakeFetch(() => json({ data: created }));
    const client = new GatewayClient({ url: "http://gateway.test/graphql", token: TOKEN, fetch: fetchImpl });
    const file = new File(["device_name,csr\r\n"], "devices.csv", { type: "text/csv" });
    const variables = input(file);
    await client.request(CreateDeviceRegistrationBatchDocument, variables);
    expect(variables.input.file).toBe(file);
    expect(sent[0]!.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
    const { operations, map, file: part } = await multipartOf(sent[0]!);
    expect(operations.variables.input).toEqual({ deviceGroupId: "group", name: "job", file: null });
    expect(operations.query).toBe(CreateDeviceRegistrationBatchDocument.toString());
    expect(map).toEqual({ 0: ["variables.input.file"] });
    expect(part.name).toBe("devices.csv");
    expect(await part.text()).toBe("device_name,csr\r\n");
  });

  it("streams the body with its exact Content-Length and reports progress up to the total", async () => {
    const { fetchImpl, sent } = fakeFetch(() => json({ data: created }));
    const client = new GatewayClient({
      url: "http://gateway.test/graphql",
      persistedDocuments: true,
      fetch: fetchImpl,
    });
    const bytes = new Uint8Array(300_000).map((_, i) => 97 + (i % 26));
    const progress: [number, number][] = [];
    await client.request(
      CreateDeviceRegistrationBatchDocument,
      input(new File([bytes], 'a "quoted"\nname.csv')),
      {
        onUploadProgress: (done, total) => progress.push([done, total]),
      },
    );
    const body = new Uint8Array(await sent[0]!.request.clone().arrayBuffer());
    expect(Number(sent[0]!.headers.get("content-length"))).toBe(body.byteLength);
    const total = body.byteLength;
    expect(progress[0]).toEqual([0, total]);
    expect(progress.at(-1)).toEqual([total, total]);
    expect(progress.length).toBeGreaterThan(3);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
    const { operations, map, file } = await multipartOf(sent[0]!);
    expect(operations.documentId).toBe(CreateDeviceRegistrationBatchDocument.__meta__!["hash"]);
    expect(operations.query).toBeUndefined();
    expect(map).toEqual({ 0: ["variables.input.file"] });
    // Quotes and line breaks in the name are percent-encoded in the header, as browsers do, and read back.
    expect(new TextDecoder().decode(body)).toContain('filename="a %22quoted%22%0Aname.csv"');
    expect(file.name).toBe('a "quoted"\nname.csv');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
  });
});

describe("result unions", () => {
  type Result = RequestCertificateMutation["requestCertificate"];
  // Typed as the whole union, as a mutation's answer is (a plain annotation would narrow each constant).
  const asResult = (result: Result): Result => result;
  const REFUSAL = "input.subject.country: two letters.";
  const issued = asResult({
    __typename: "CertificateIssued",
    serialNumber: "0A",
    deliveryFormat: "X509",
    pem: "PEM",
  });
  const invalid = asResult({
    __typename: "ValidationError",
    code: "VALIDATION_FAILED",
    message: REFUSAL,
    field: "input.subject.country",
  });
  const pending = asResult({ __typename: "CertificatePending", requestId: "r", profileId: "p" });

  it("tells error members from the others by their code and message", () => {
    expect(isResultError(invalid)).toBe(true);
    expect(isResultError(issued)).toBe(false);
    expect(isResultError(pending)).toBe(false);
  });

  it("narrows to the expected member and throws GatewayResultError, with its code and fields, for an error member", () => {
    expect(expectResult(issued, "CertificateIssued", "CertificatePending").__typename).toBe(
      "CertificateIssued",
    );
    const error = (() => {
      try {
        expectResult(invalid, "CertificateIssued");
      } catch (e) {
        return e;
      }
      return null;
    })() as GatewayResultError;
    expect(error).toBeInstanceOf(GatewayResultError);
    expect(error).toMatchObject({
      code: "VALIDATION_FAILED",
      typename: "ValidationError",
      message: REFUSAL,
    });
    expect((error.result as unknown as { field: string }).field).toBe("input.subject.country");
    expect(() => expectResult(pending, "CertificateIssued")).toThrow(
      expect.objectContaining({ code: "UNEXPECTED_RESULT", typename: "CertificatePending" }),
    );
  });

  it("walks a connection page by page until hasNextPage is false", async () => {
    const pages = new Map<
      string | null,
      { edges: { node: number }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } }
    >([
      [null, { edges: [{ node: 1 }, { node: 2 }], pageInfo: { hasNextPage: true, endCursor: "c1" } }],
      ["c1", { edges: [{ node: 3 }], pageInfo: { hasNextPage: false, endCursor: "c2" } }],
    ]);
    const asked: (string | null)[] = [];
    const nodes: number[] = [];
    for await (const node of connectionNodes(async (after) => {
      asked.push(after);
      return pages.get(after)!;
    })) {
      nodes.push(node);
    }
    expect(nodes).toEqual([1, 2, 3]);
    expect(asked).toEqual([null, "c1"]);
  });
});
