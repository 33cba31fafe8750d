import { relative, resolve } from "node:path";
import { generate } from "@graphql-codegen/cli";
import type { CodegenConfig } from "@graphql-codegen/cli";

/** The repository's root, where codegen configs resolve their paths. */
export const REPO_ROOT = resolve(import.meta.dirname, "../..");

/** What `config` would write, by path relative to the repository, generated in memory (nothing is written). */
export async function generateInMemory(config: CodegenConfig): Promise<Map<string, string>> {
  const files = await generate({ ...config, cwd: REPO_ROOT, silent: true }, false);
  return new Map(
    files.map((file: { filename: string; content: string }) => [
      relative(REPO_ROOT, resolve(REPO_ROOT, file.filename)),
      file.content,
    ]),
  );
}
