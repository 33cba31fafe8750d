import { readFileSync } from "node:fs";
import {
  buildSchema,
  type DocumentNode,
  type EnumTypeDefinitionNode,
  type EnumValueDefinitionNode,
  type FieldDefinitionNode,
  findBreakingChanges,
  type ObjectTypeDefinitionNode,
  parse,
  print,
} from "graphql";
import { describe, expect, it } from "vitest";

/*
 * Change safety: schema.graphql (what the code serves) against schema.released.graphql (what clients were last given).
 * A breaking change needs a deprecation first; one made on purpose is released by copying schema.graphql to
 * schema.released.graphql in the same commit, where a reviewer sees it.
 */

const HOW_TO_RELEASE =
  "Deprecate instead (`deprecationReason`) and keep the old field, argument or value working. To release a breaking change on purpose: `cp schema.graphql schema.released.graphql` and commit both, saying what breaks.";

/** What a client of `released` would break on in `current`: one line per change, as graphql-js describes it. */
function breakingChanges(released: string, current: string): string[] {
  return findBreakingChanges(buildSchema(released), buildSchema(current)).map(
    (change) => `${change.type}: ${change.description}`,
  );
}

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");

describe("schema.graphql against schema.released.graphql", () => {
  it("breaks no client of the released schema", () => {
    const changes = breakingChanges(read("schema.released.graphql"), read("schema.graphql"));
    expect(changes, `${changes.length} breaking changes. ${HOW_TO_RELEASE}`).toEqual([]);
  });
});

/** The parts of an object or enum type definition the edits below change. */
interface TypeParts {
  fields?: readonly FieldDefinitionNode[];
  values?: readonly EnumValueDefinitionNode[];
}

/** `sdl` with `edit` applied to one type's definition, printed back (descriptions and all). */
function withType(sdl: string, name: string, edit: (definition: TypeParts) => object): string {
  const document = parse(sdl);
  let found = false;
  const definitions = document.definitions.map((definition) => {
    if (!("name" in definition) || definition.name?.value !== name) return definition;
    found = true;
    return { ...definition, ...edit(definition as TypeParts) };
  });
  if (!found) throw new Error(`no type ${name}`);
  return print({ ...document, definitions } as DocumentNode);
}

const field = (sdl: string) =>
  (parse(`type T { ${sdl} }`).definitions[0] as ObjectTypeDefinitionNode).fields![0]!;
const arg = (sdl: string) => field(`f(${sdl}): Int`).arguments![0]!;

/** `fields` with the field `name` replaced by `replace` of it. */
function replaceField(
  fields: readonly FieldDefinitionNode[] | undefined,
  name: string,
  replace: (field: FieldDefinitionNode) => FieldDefinitionNode,
): FieldDefinitionNode[] {
  return (fields ?? []).map((each) => (each.name.value === name ? replace(each) : each));
}

describe("the breaking-change check", () => {
  const released = read("schema.released.graphql");

  it("catches a removed field, a newly required argument, a changed field type and a removed enum value", () => {
    let current = withType(released, "Certificate", (type) => ({
      fields: type.fields!.filter((each) => each.name.value !== "pkcs7"),
    }));
    current = withType(current, "Query", (type) => ({
      fields: replaceField(type.fields, "certificate", (certificate) => ({
        ...certificate,
        arguments: [...(certificate.arguments ?? []), arg("why: String!")],
      })),
    }));
    current = withType(current, "Certificate", (type) => ({
      fields: replaceField(type.fields, "commonName", (commonName) => ({
        ...commonName,
        type: field("x: Int").type,
      })),
    }));
    current = withType(current, "CertificateStatus", (type) => ({
      values: type.values!.filter((value) => value.name.value !== "SUSPENDED"),
    }));
    expect(breakingChanges(released, current).sort()).toEqual([
      "FIELD_CHANGED_KIND: Certificate.commonName changed type from String to Int.",
      "FIELD_REMOVED: Certificate.pkcs7 was removed.",
      "REQUIRED_ARG_ADDED: A required arg why on Query.certificate was added.",
      "VALUE_REMOVED_FROM_ENUM: SUSPENDED was removed from enum type CertificateStatus.",
    ]);
  });

  it("lets additions through: a new optional argument, field, type and input enum value", () => {
    let current = withType(released, "Query", (type) => ({
      fields: replaceField(type.fields, "certificate", (certificate) => ({
        ...certificate,
        arguments: [...(certificate.arguments ?? []), arg('"New." why: String')],
      })),
    }));
    current = withType(current, "Certificate", (type) => ({
      fields: [...type.fields!, field('"New." added: Int')],
    }));
    current = withType(current, "CertificateSearchStatus", (type) => ({
      values: [
        ...type.values!,
        (parse(`enum E { "New." PENDING }`).definitions[0] as EnumTypeDefinitionNode).values![0]!,
      ],
    }));
    current = `${current}\n"""New."""\ntype Extra {\n  """New."""\n  value: Int\n}\n`;
    expect(buildSchema(current).getType("Extra")).toBeDefined();
    expect(breakingChanges(released, current)).toEqual([]);
  });
});
