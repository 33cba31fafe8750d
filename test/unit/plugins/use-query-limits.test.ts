import { readFileSync } from "node:fs";
import {
  buildSchema,
  type DocumentNode,
  getIntrospectionQuery,
  type GraphQLError,
  parse,
  validate,
} from "graphql";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_QUERY_LIMITS,
  operationCost,
  useQueryLimits,
} from "../../../src/plugins/use-query-limits.js";
import { ENDPOINT, makeYoga, post } from "./helpers.js";

const yoga = makeYoga([useQueryLimits()]);

function nested(depth: number): string {
  let selection = "id";
  for (let i = 1; i < depth; i++) selection = `parent { ${selection} }`;
  return `{ item { ${selection} } }`;
}

describe("useQueryLimits", () => {
  it("answers a query within every limit", async () => {
    const { response, body } = await post(yoga, "{ items(first: 2) { id children { name } } }");
    expect(response.status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      items: [
        { id: "0", children: [{ name: "item 0" }, { name: "item 1" }] },
        { id: "1", children: [{ name: "item 0" }, { name: "item 1" }] },
      ],
    });
  });

  it("rejects a query deeper than maxDepth with QUERY_TOO_DEEP", async () => {
    expect((await post(yoga, nested(11))).body.errors).toBeUndefined(); // item + 11 levels = 12
    const { response, body } = await post(yoga, nested(12));
    expect(response.status).toBe(400);
    expect(body.errors).toEqual([
      { message: "Query depth limit of 12 exceeded, found 13.", extensions: { code: "QUERY_TOO_DEEP" } },
    ]);
  });

  it("does not count fragments as a level of depth", async () => {
    const query = `{ item { ...F } } fragment F on Item { ... on Item { ${nested(11).slice(9, -3)} } }`;
    const { body } = await post(yoga, query);
    expect(body.errors).toBeUndefined();
  });

  it("rejects an alias bomb with TOO_MANY_ALIASES", async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: hello`).join(" ");
    const { response, body } = await post(yoga, `{ ${aliases} }`);
    expect(response.status).toBe(400);
    expect(body.errors).toEqual([
      { message: "Aliases limit of 15 exceeded, found 16.", extensions: { code: "TOO_MANY_ALIASES" } },
    ]);
  });

  it("rejects a directive flood with TOO_MANY_DIRECTIVES", async () => {
    const fields = "hello @include(if: true) @skip(if: false) ".repeat(5) + "hello @include(if: true)";
    const { response, body } = await post(yoga, `{ ${fields} }`);
    expect(response.status).toBe(400);
    expect(body.errors).toEqual([
      { message: "Directives limit of 10 exceeded, found 11.", extensions: { code: "TOO_MANY_DIRECTIVES" } },
    ]);
  });

  it("rejects a token flood with TOO_MANY_TOKENS before parsing the rest", async () => {
    const { response, body } = await post(yoga, `{ ${"hello ".repeat(3000)} }`);
    expect(response.status).toBe(400);
    expect(body.errors).toEqual([
      { message: "Token limit of 2000 exceeded.", extensions: { code: "TOO_MANY_TOKENS" } },
    ]);
  });

  it("leaves an ordinary syntax error to graphql", async () => {
    const { body } = await post(yoga, "{ hello");
    expect(body.errors?.[0]?.message).toMatch(/^Syntax Error: Expected Name, found <EOF>\./);
  });

  it("prices first from a literal: items(first: 100) { children(first: 100) } is rejected", async () => {
    const { response, body } = await post(yoga, "{ items(first: 100) { id children(first: 100) { id } } }");
    expect(response.status).toBe(400);
    // 100 * (1 + id + 100 * (1 + id)) = 100 * 202
    expect(body.errors).toEqual([
      {
        message:
          "Query cost limit of 20000 exceeded, found 20200. Ask for fewer items (first) or fewer fields.",
        extensions: { code: "QUERY_TOO_COSTLY", maxCost: 20000, cost: 20200 },
      },
    ]);
  });

  it("refuses a too costly document each time it is sent, and prices each operation of one document apart", async () => {
    const document =
      "query Big { items(first: 100) { id children(first: 100) { id } } } query Small { item { id } }";
    const run = async (operationName: string) => {
      const response = await yoga.fetch(ENDPOINT, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
        body: JSON.stringify({ query: document, operationName }),
      });
      return { status: response.status, body: (await response.json()) as { errors?: any[] } };
    };
    for (let i = 0; i < 2; i++) {
      const big = await run("Big");
      expect(big.status).toBe(400);
      expect(big.body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COSTLY");
      const small = await run("Small");
      expect(small.status).toBe(200);
      expect(small.body.errors).toBeUndefined();
    }
  });

  it("prices first from variables: the same query is cheap with $n = 1 and rejected with $n = 100", async () => {
    const query = "query Q($n: Int) { items(first: $n) { id children(first: $n) { id } } }";
    const cheap = await post(yoga, query, { n: 1 });
    expect(cheap.response.status).toBe(200);
    expect(cheap.body.errors).toBeUndefined();
    const costly = await post(yoga, query, { n: 100 });
    expect(costly.response.status).toBe(400);
    expect(costly.body.errors?.[0]?.extensions).toEqual({
      code: "QUERY_TOO_COSTLY",
      maxCost: 20000,
      cost: 20200,
    });
  });

  it("prices a field that takes first but got none at defaultListSize", () => {
    const schema = makeYoga([]).getEnveloped().schema;
    const cost = (query: string, variableValues?: Record<string, unknown>) =>
      operationCost({ schema, document: parse(query), variableValues }, DEFAULT_QUERY_LIMITS);
    expect(cost("{ items { id } }")).toEqual({ cost: 40, readsVariables: false }); // 20 * (1 + 1)
    expect(cost("{ item { id } }")).toEqual({ cost: 2, readsVariables: false });
    expect(cost("query Q($n: Int) { items(first: $n) { id } }", {})).toEqual({
      cost: 40,
      readsVariables: true,
    });
    expect(cost("{ items(first: 0) { id } }")).toEqual({ cost: 2, readsVariables: false }); // still one call
    expect(cost("{ items(first: 3, last: 5) { id } }")).toEqual({ cost: 10, readsVariables: false });
    expect(cost("{ ...F ...F } fragment F on Query { items(first: 5) { id } }")).toEqual({
      cost: 20,
      readsVariables: false,
    });
  });

  it("walks fragment bombs in linear time and rejects their cost", async () => {
    const fragments = Array.from(
      { length: 40 },
      (_, i) => `fragment F${i} on Item { ...F${i + 1} ...F${i + 1} }`,
    ).join("\n");
    const query = `{ item { ...F0 } } ${fragments} fragment F40 on Item { id }`;
    const { body } = await post(yoga, query);
    expect(body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COSTLY");
  });

  it("rejects first over maxListSize from a variable with VALIDATION_FAILED naming first", async () => {
    const { response, body } = await post(yoga, "query Q($n: Int) { items(first: $n) { id } }", { n: 101 });
    expect(response.status).toBe(400);
    expect(body.errors).toEqual([
      {
        message: "first must be at most 100.",
        locations: [{ line: 1, column: 20 }],
        extensions: { code: "VALIDATION_FAILED", field: "first" },
      },
    ]);
  });

  it("checks subscriptions too", async () => {
    const response = await yoga.fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: "subscription { ticks(first: 500) }" }),
    });
    const text = await response.text();
    expect(text).toContain('"code":"VALIDATION_FAILED"');
    expect(text).toContain('"field":"first"');
  });

  it("answers 200 with the same errors to an application/json client (GraphQL over HTTP)", async () => {
    const deep = await post(yoga, nested(12), undefined, { accept: "application/json" });
    expect(deep.response.status).toBe(200);
    expect(deep.body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
    const costly = await post(yoga, "{ items(first: 100) { children(first: 100) { id } } }", undefined, {
      accept: "application/json",
    });
    expect(costly.response.status).toBe(200);
    expect(costly.body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COSTLY");
  });

  it("answers each rejection through the bare envelop pipeline (the graphql-ws path)", async () => {
    // What a graphql-ws onSubscribe does: parse errors (syntax, token limit) are caught and returned;
    // validate and execute never throw.
    const run = async (query: string, variableValues?: Record<string, unknown>) => {
      const { parse, validate, execute, schema, contextFactory } = yoga.getEnveloped({});
      let document: DocumentNode;
      try {
        document = parse(query);
      } catch (error) {
        return [(error as GraphQLError).extensions["code"]];
      }
      const errors: readonly GraphQLError[] = validate(schema, document);
      if (errors.length > 0) return errors.map((e) => e.extensions["code"]);
      const result = (await execute({
        schema,
        document,
        variableValues,
        contextValue: await contextFactory(),
      })) as { errors?: { extensions: Record<string, unknown> }[] };
      return result.errors?.map((e) => e.extensions["code"]);
    };
    expect(await run(nested(13))).toEqual(["QUERY_TOO_DEEP"]);
    expect(await run(`{ ${"hello ".repeat(3000)} }`)).toEqual(["TOO_MANY_TOKENS"]);
    expect(
      await run("query Q($n: Int) { items(first: $n) { children(first: $n) { id } } }", { n: 100 }),
    ).toEqual(["QUERY_TOO_COSTLY"]);
    expect(await run("{ hello }")).toBeUndefined();
  });

  it("prices nodes(ids:) by the number of ids asked for, literal or variable", () => {
    const schema = buildSchema(readFileSync(new URL("../../../schema.graphql", import.meta.url), "utf8"));
    const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
    const literal = parse(`{ nodes(ids: [${ids.map((id) => JSON.stringify(id)).join(", ")}]) { id } }`);
    expect(operationCost({ schema, document: literal }, DEFAULT_QUERY_LIMITS)).toEqual({
      cost: 100, // 50 * (1 + id)
      readsVariables: false,
    });
    const variable = parse("query Q($ids: [ID!]!) { nodes(ids: $ids) { id } }");
    expect(
      operationCost(
        { schema, document: variable, variableValues: { ids: ids.slice(0, 3) } },
        DEFAULT_QUERY_LIMITS,
      ),
    ).toEqual({ cost: 6, readsVariables: true });
  });

  it("lets the gateway's dashboard query through with the defaults", () => {
    const schema = buildSchema(readFileSync(new URL("../../../schema.graphql", import.meta.url), "utf8"));
    const dashboard = parse(/* GraphQL */ `
      query Dashboard {
        profiles(first: 10) {
          edges {
            node {
              profileId
              name
              status
              enrollmentMethod
              allowedKeySizes
            }
          }
        }
        certificates(first: 50, filter: { status: ISSUED }) {
          totalCount
          pageInfo {
            hasNextPage
            endCursor
          }
          edges {
            cursor
            node {
              id
              serialNumber
              commonName
              status
              validFrom
              validTo
              thumbprint
              profile {
                profileId
                name
                status
                enrollmentMethod
                signatureAlgorithm
                validity {
                  duration
                  unit
                }
              }
              x509 {
                subject {
                  dn
                  commonName
                  attributes {
                    type
                    value
                  }
                }
                issuer {
                  dn
                  commonName
                  attributes {
                    type
                    value
                  }
                }
                subjectAltNames {
                  type
                  value
                }
                publicKey {
                  algorithm
                  size
                  curve
                }
                signatureAlgorithm
                sha1Fingerprint
                sha256Fingerprint
                selfSigned
                serialNumber
                keyUsage
                extendedKeyUsage {
                  name
                  oid
                }
                basicConstraints {
                  ca
                  pathLength
                  critical
                }
                notBefore
                notAfter
                daysUntilExpiry
              }
            }
          }
        }
      }
    `);
    expect(validate(schema, dashboard)).toEqual([]);
    const result = operationCost({ schema, document: dashboard }, DEFAULT_QUERY_LIMITS);
    console.log(
      `dashboard query cost with the defaults: ${JSON.stringify(result)} (limit ${DEFAULT_QUERY_LIMITS.maxCost})`,
    );
    expect(result).toHaveProperty("cost");
    expect((result as { cost: number }).cost).toBeLessThanOrEqual(DEFAULT_QUERY_LIMITS.maxCost);
  });

  it("lets GraphiQL's full introspection query through with the defaults", async () => {
    const { response, body } = await post(yoga, getIntrospectionQuery());
    expect(response.status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it("refuses limits that are not positive integers", () => {
    expect(() => useQueryLimits({ maxCost: 0 })).toThrow(/maxCost must be a positive integer/);
  });
});
