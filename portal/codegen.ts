/**
 * The portal's codegen: `npx graphql-codegen --config portal/codegen.ts` (from the repository root) reads schema.graphql
 * and portal/documents/, and writes portal/src/generated/ (committed) and portal/persisted-documents.json (the portal's
 * trusted documents). The settings are the typed client's (clients/typescript/codegen.ts, which says why); the portal
 * also imports that client's generated documents where they fit (device groups, batch upload, job report).
 */
import { codegenConfig } from "../clients/typescript/codegen.js";

const ROOT = "portal";
export const GENERATED_DIR = `${ROOT}/src/generated/`;
export const MANIFEST_FILE = `${ROOT}/persisted-documents.json`;

export default codegenConfig(ROOT);
