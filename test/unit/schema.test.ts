import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printSortedSchema } from "../../src/schema/index.js";

describe("schema.graphql", () => {
  it("matches the printed, sorted schema (run `npm run schema` after changing a type)", () => {
    const committed = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    expect(printSortedSchema()).toBe(committed);
  });
});
