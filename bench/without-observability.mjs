// `node --import tsx --import ./bench/without-observability.mjs ...`: src/app.ts gets bench/no-observability.ts
// instead of src/observability/index.ts (a module resolve hook; registered last, it runs first).
import { register } from "node:module";
import { URL } from "node:url";
import { isMainThread } from "node:worker_threads";

const replacement = new URL("./no-observability.ts", import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === "./observability/index.js" && context.parentURL?.endsWith("/src/app.ts"))
    return next(replacement, context); // through tsx's resolve, which marks the .ts file for its loader
  return next(specifier, context);
}

// The hooks thread loads this file too; only the main thread registers it.
if (isMainThread) register(import.meta.url);
