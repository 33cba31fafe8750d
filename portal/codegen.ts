/**
 * The portal's codegen: `npx graphql-codegen --config portal/codegen.ts` (from the repository root) reads schema.graphql
 * and portal/documents/, and writes portal/src/generated/ (committed) and portal/persisted-documents.json (the portal's
 * trusted documents). The settings are the typed client's (clients/typescript/codegen.ts, which says why); the portal
 * also imports that client's generated documents where they fit (device groups, batch upload, job report).
 */
import type { CodegenConfig } from "@graphql-codegen/cli";
import { preset as clientPreset } from "@graphql-codegen/client-preset";
import type { Types } from "@graphql-codegen/plugin-helpers";

const ROOT = "portal";
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

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: [`${ROOT}/documents/**/*.graphql`],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  silent: true,
  generates: {
    [GENERATED_DIR]: {
      preset: withManifestAt(MANIFEST_FILE),
      presetConfig: {
        persistedDocuments: { hashAlgorithm: "sha256" },
        fragmentMasking: false,
      },
      config: {
        useTypeImports: true,
        documentMode: "string",
        enumsAsTypes: true,
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

export default config;
