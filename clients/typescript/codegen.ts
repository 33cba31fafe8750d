/**
 * The typed client's codegen: `npm run codegen` (from the repository root) reads schema.graphql and the operations in
 * clients/typescript/documents/, and writes clients/typescript/src/generated/ and the trusted documents manifest
 * clients/typescript/persisted-documents.json (`TRUSTED_DOCUMENTS_FILE` takes it as is). Both are committed;
 * test/unit/client-codegen.test.ts runs this same config in memory and fails when they drift.
 *
 * What Node 20 with `"module": "NodeNext"` and `verbatimModuleSyntax` needed (client-preset 5, cli 6):
 * - `emitLegacyCommonJSImports: false`: relative imports end in `.js` (`./graphql.js`), as NodeNext requires; the
 *   preset's default writes extension-less imports, which tsc refuses under NodeNext and Node cannot load.
 * - `useTypeImports: true`: type-only imports are written `import type`, which `verbatimModuleSyntax` requires.
 * - `documentMode: "string"`: each document is a `TypedDocumentString` (the text, its hash in `__meta__`), not a
 *   DocumentNode: nothing at run time needs `graphql` to print it, so a browser bundle stays small.
 * - the manifest is written beside this file rather than into the generated folder (`withManifestAt`).
 * - `@graphql-typed-document-node/core` (types only) and `graphql-ws` + `ws` (subscriptions in Node 20, which has no
 *   global WebSocket) must be resolvable.
 */
import type { CodegenConfig } from "@graphql-codegen/cli";
import { preset as clientPreset } from "@graphql-codegen/client-preset";
import type { Types } from "@graphql-codegen/plugin-helpers";

const ROOT = "clients/typescript";
export const GENERATED_DIR = `${ROOT}/src/generated/`;
export const MANIFEST_FILE = `${ROOT}/persisted-documents.json`;

/** The client preset, writing its persisted-documents.json at `file` instead of inside the generated folder. */
function withManifestAt(file: string): Types.OutputPreset {
  return {
    ...clientPreset,
    async buildGeneratesSection(options) {
      const outputs = await clientPreset.buildGeneratesSection(options);
      return outputs.map((output) =>
        output.filename.endsWith("/persisted-documents.json") ? { ...output, filename: file } : output,
      );
    },
  };
}

/** These settings for the documents in `<root>/documents/`, into `<root>/src/generated/` (the portal uses them too). */
export function codegenConfig(root: string): CodegenConfig {
  return {
    schema: "schema.graphql",
    documents: [`${root}/documents/**/*.graphql`],
    ignoreNoDocuments: false,
    emitLegacyCommonJSImports: false,
    silent: true,
    generates: {
      [`${root}/src/generated/`]: {
        preset: withManifestAt(`${root}/persisted-documents.json`),
        presetConfig: {
          // SHA-256, as the gateway's trusted documents take it (client-preset's default is SHA-1).
          persistedDocuments: { hashAlgorithm: "sha256" },
          // Operations only, no named fragments: nothing to unmask.
          fragmentMasking: false,
        },
        config: {
          useTypeImports: true,
          documentMode: "string",
          // String unions, no runtime enum objects: a value the schema adds later is still a string.
          enumsAsTypes: true,
          // A scalar added to the schema later is `unknown` until mapped here, never `any`.
          defaultScalarType: "unknown",
          scalars: {
            DateTime: "string",
            UUID: "string",
            SerialNumber: "string",
            File: { input: "File | Blob", output: "never" },
          },
        },
      },
    },
  };
}

export default codegenConfig(ROOT);
