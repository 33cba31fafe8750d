import {
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/schema/index.js";

/** Every type, field, argument and enum value of `schema` without a description, as `Type`, `Type.field(arg)`... */
function undescribed(of: GraphQLSchema): {
  types: string[];
  fields: string[];
  args: string[];
  values: string[];
} {
  const missing = {
    types: [] as string[],
    fields: [] as string[],
    args: [] as string[],
    values: [] as string[],
  };
  const blank = (text: string | null | undefined) => !text || text.trim() === "";
  for (const type of Object.values(of.getTypeMap())) {
    if (type.name.startsWith("__")) continue;
    if (blank(type.description)) missing.types.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (blank(field.description)) missing.fields.push(`${type.name}.${field.name}`);
        for (const arg of "args" in field ? field.args : []) {
          if (blank(arg.description)) missing.args.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (blank(value.description)) missing.values.push(`${type.name}.${value.name}`);
      }
    }
  }
  return missing;
}

describe("schema descriptions", () => {
  it("describe every type, field, argument and enum value (what it is, its unit, where it comes from in DigiCert)", () => {
    const missing = undescribed(schema);
    const count = Object.values(missing).reduce((sum, list) => sum + list.length, 0);
    expect(
      missing,
      `${count} without a description: ${missing.types.length} types, ${missing.fields.length} fields, ${missing.args.length} arguments, ${missing.values.length} enum values`,
    ).toEqual({ types: [], fields: [], args: [], values: [] });
  });

  it("count an undescribed field, argument and enum value of a schema that has them", async () => {
    const { buildSchema } = await import("graphql");
    const bare = buildSchema(`
      "A query." type Query { "Described." a(x: Int): E b: Int }
      enum E { "One." ONE TWO }
    `);
    expect(undescribed(bare)).toEqual({
      types: ["E"],
      fields: ["Query.b"],
      args: ["Query.a(x)"],
      values: ["E.TWO"],
    });
  });

  it("give every custom scalar the URL of its specification (@specifiedBy)", () => {
    const custom = Object.values(schema.getTypeMap()).filter(
      (type) => isScalarType(type) && !["String", "Int", "Float", "Boolean", "ID"].includes(type.name),
    );
    expect(custom.map((type) => type.name).sort()).toEqual(["DateTime", "File", "SerialNumber", "UUID"]);
    for (const type of custom) {
      expect(isScalarType(type) && type.specifiedByURL, type.name).toMatch(/^https:\/\//);
    }
  });
});
