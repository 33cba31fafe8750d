/**
 * The portal's committed generated documents (portal/src/generated/ and portal/persisted-documents.json) are what
 * `npm run codegen:portal` makes from schema.graphql and portal/documents/: codegen runs here in memory with the same
 * config, and any difference fails with the command to run.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as client from "../../clients/typescript/src/generated/graphql.js";
import config, { GENERATED_DIR, MANIFEST_FILE } from "../../portal/codegen.js";
import * as portal from "../../portal/src/generated/graphql.js";
import { parseTrustedManifest } from "../../src/plugins/trusted-documents.js";
import { generateInMemory, REPO_ROOT } from "../helpers/codegen.js";

const ROOT = REPO_ROOT;
const FIX =
  "Run `npm run codegen:portal` and commit portal/src/generated/ and portal/persisted-documents.json.";

let outputs: Map<string, string>;

beforeAll(async () => {
  outputs = await generateInMemory(config);
}, 60_000);

const operationNames = (module: Record<string, unknown>): string[] =>
  Object.values(module)
    .filter(
      (value) => value instanceof portal.TypedDocumentString || value instanceof client.TypedDocumentString,
    )
    .map((document) => /\b(?:query|mutation|subscription)\s+(\w+)/.exec(String(document))![1]!);

describe("the portal's codegen", () => {
  it("writes the generated folder and the manifest beside it, nothing else", async () => {
    const committed = (await readdir(join(ROOT, GENERATED_DIR))).map((name) => join(GENERATED_DIR, name));
    expect([...outputs.keys()].sort(), FIX).toEqual([...committed, MANIFEST_FILE].sort());
  });

  it("matches every committed file byte for byte", async () => {
    for (const [file, content] of outputs) {
      const committed = await readFile(join(ROOT, file), "utf8").catch(() => null);
      expect(committed, `${file} is out of date. ${FIX}`).toBe(content);
    }
  });

  it("writes a manifest the gateway accepts, with operation names the typed client does not use", async () => {
    const manifest = parseTrustedManifest(await readFile(join(ROOT, MANIFEST_FILE), "utf8"));
    const names = operationNames(portal);
    expect(manifest.size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^Portal/);
    expect(names.filter((name) => operationNames(client).includes(name))).toEqual([]);
  });
});
