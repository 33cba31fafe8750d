/** A GraphQL answer as a client sees it over HTTP: status, the request id it carried, and the parsed body. */
export interface HttpAnswer {
  status: number;
  requestId: string | null;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** POSTs `body` (any JSON: a query, a document id, APQ extensions) as application/json, asking for graphql-response+json. */
export async function postJson(
  url: URL | string,
  body: unknown,
  options: { bearer?: string | null; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json",
      ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    requestId: res.headers.get("x-request-id"),
    body: (await res.json()) as HttpAnswer["body"],
  };
}
