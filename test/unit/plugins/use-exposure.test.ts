import { getIntrospectionQuery, type DocumentNode, type GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { useExposure } from "../../../src/plugins/use-exposure.js";
import { makeYoga, post, type TestYoga } from "./helpers.js";

/** Runs one operation the way a graphql-ws server does: enveloped parse, validate, execute; no HTTP. */
async function runWithoutHttp(yoga: TestYoga, query: string, variableValues?: Record<string, unknown>) {
  const { parse, validate, execute, schema, contextFactory } = yoga.getEnveloped({});
  const document: DocumentNode = parse(query);
  const errors: readonly GraphQLError[] = validate(schema, document);
  if (errors.length > 0) return { errors };
  return (await execute({ schema, document, variableValues, contextValue: await contextFactory() })) as {
    data?: unknown;
    errors?: readonly GraphQLError[];
  };
}

describe("useExposure({ introspection: false })", () => {
  const yoga = makeYoga([useExposure({ introspection: false })]);

  it("refuses __schema over HTTP with INTROSPECTION_DISABLED, once per field", async () => {
    const { response, body } = await post(yoga, "{ __schema { queryType { name } } }");
    expect(response.status).toBe(400);
    expect(body.errors).toEqual([
      {
        message:
          'GraphQL introspection has been disabled, but the requested query contained the field "__schema".',
        locations: [{ line: 1, column: 3 }],
        extensions: { code: "INTROSPECTION_DISABLED" },
      },
      {
        message:
          'GraphQL introspection has been disabled, but the requested query contained the field "queryType".',
        locations: [{ line: 1, column: 14 }],
        extensions: { code: "INTROSPECTION_DISABLED" },
      },
    ]);
  });

  it("refuses __type and GraphiQL's full introspection query", async () => {
    const type = await post(yoga, '{ __type(name: "Item") { name } }');
    expect(type.body.errors?.[0]?.extensions).toEqual({ code: "INTROSPECTION_DISABLED" });
    const full = await post(yoga, getIntrospectionQuery());
    expect(full.response.status).toBe(400);
    expect(new Set(full.body.errors?.map((e) => e.extensions?.["code"]))).toEqual(
      new Set(["INTROSPECTION_DISABLED"]),
    );
  });

  it("refuses introspection on a path that bypasses HTTP (the enveloped validate, as graphql-ws calls it)", async () => {
    const result = await runWithoutHttp(yoga, "{ __schema { types { name } } }");
    expect(result.errors?.map((e) => e.extensions["code"])).toEqual([
      "INTROSPECTION_DISABLED",
      "INTROSPECTION_DISABLED",
    ]);
    expect(result).not.toHaveProperty("data");
  });

  it("still answers __typename and ordinary queries", async () => {
    const { response, body } = await post(yoga, "{ __typename item { __typename id } }");
    expect(response.status).toBe(200);
    expect(body).toEqual({ data: { __typename: "Query", item: { __typename: "Item", id: "0" } } });
  });

  it("cuts 'Did you mean' from validation errors", async () => {
    const { body } = await post(yoga, "{ item { nme } items(frist: 1) { id } }");
    expect(body.errors?.map((e) => e.message)).toEqual([
      'Cannot query field "nme" on type "Item".',
      'Unknown argument "frist" on field "Query.items".',
    ]);
  });

  it("cuts 'Did you mean' from an enum value suggested while coercing variables at execution", async () => {
    const query = "query Q($s: Status) { items(status: $s) { id } }";
    const { body } = await post(yoga, query, { s: "ACTIV" });
    expect(body.errors?.[0]?.message).toBe(
      'Variable "$s" got invalid value "ACTIV"; Value "ACTIV" does not exist in "Status" enum.',
    );
    const ws = await runWithoutHttp(yoga, query, { s: "ACTIV" });
    expect(ws.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});

describe("useExposure({ introspection: true })", () => {
  const yoga = makeYoga([useExposure({ introspection: true })]);

  it("answers introspection and keeps suggestions", async () => {
    const introspection = await post(yoga, "{ __schema { queryType { name } } }");
    expect(introspection.body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } });
    const typo = await post(yoga, "{ item { nme } }");
    expect(typo.body.errors?.[0]?.message).toBe(
      'Cannot query field "nme" on type "Item". Did you mean "name"?',
    );
    const enumTypo = await post(yoga, "query Q($s: Status) { items(status: $s) { id } }", { s: "ACTIV" });
    expect(enumTypo.body.errors?.[0]?.message).toMatch(/Did you mean the enum value "ACTIVE"\?$/);
  });
});
