/**
 * The committed typed client (clients/typescript/src/generated/ and persisted-documents.json) is what `npm run codegen`
 * makes from schema.graphql and clients/typescript/documents/: codegen runs here in memory with the same config, and
 * any difference (a schema change, an edited document, a stale or missing file) fails with the command to run.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import config, { GENERATED_DIR, MANIFEST_FILE } from "../../clients/typescript/codegen.js";
import * as generated from "../../clients/typescript/src/generated/graphql.js";
import { parseTrustedManifest } from "../../src/plugins/trusted-documents.js";
import { generateInMemory, REPO_ROOT } from "../helpers/codegen.js";

const ROOT = REPO_ROOT;
const FIX =
  "Run `npm run codegen` and commit clients/typescript/src/generated/ and persisted-documents.json.";

let outputs: Map<string, string>;

beforeAll(async () => {
  outputs = await generateInMemory(config);
}, 60_000);

describe("the typed client's codegen", () => {
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

  it("writes a manifest the gateway's TRUSTED_DOCUMENTS_FILE accepts, naming each document by its SHA-256", async () => {
    const manifest = parseTrustedManifest(await readFile(join(ROOT, MANIFEST_FILE), "utf8"));
    const documents = Object.values(generated).filter(
      (value): value is generated.TypedDocumentString<any, any> =>
        value instanceof generated.TypedDocumentString,
    );
    expect(documents.length).toBeGreaterThan(0);
    expect(manifest.size).toBe(documents.length);
    for (const document of documents) {
      const hash = document.__meta__?.["hash"] as string;
      const name = /\b(?:query|mutation|subscription)\s+(\w+)/.exec(document.toString())?.[1];
      expect(manifest.get(hash), `${name} has no manifest entry`).toMatch(new RegExp(`^\\w+ ${name}\\b`));
    }
  });

  it("types the custom scalars and imports with .js extensions, as NodeNext requires", () => {
    const types = outputs.get(join(GENERATED_DIR, "graphql.ts"))!;
    for (const scalar of ["DateTime", "UUID", "SerialNumber"]) {
      expect(types).toMatch(new RegExp(`${scalar}: \\{ input: string; output: string; \\}`));
    }
    expect(types).toMatch(/File: \{ input: File \| Blob; output: never; \}/);
    expect(types).not.toMatch(/: any\b/);
    const relativeImports = [...outputs.values()].flatMap((text) =>
      [...text.matchAll(/from ['"](\.[^'"]*)['"]/g)].map((match) => match[1]!),
    );
    expect(relativeImports.length).toBeGreaterThan(0);
    for (const path of relativeImports) expect(path).toMatch(/\.js$/);
  });
});
