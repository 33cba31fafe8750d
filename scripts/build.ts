// `npm run build`: bundles src/main.ts and simulator/main.ts into dist/main.js and dist/simulator.js (ESM, Node 20,
// source maps) for `npm run start:prod`, `npm run simulator:prod` and the image.
//
// npm packages are bundled too, except EXTERNAL: with each package left to Node's resolver, start-up spent about half
// its time resolving, statting and lexing CommonJS files (bench/start.ts: roughly 0.9 s instead of 0.45 s to the first
// answer). Packages stay installed (npm ci --omit=dev) for EXTERNAL and for their licence files.
// `npm run build -- --external-packages` leaves every package external instead (for comparison).
import { rm } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { build, type BuildOptions } from "esbuild";

/**
 * Packages left to Node at run time. @graphql-yoga/render-graphiql: src/http/graphiql.ts require()s its 9 MB of
 * assets on the first GraphiQL request only, by name (createRequire), which a bundler cannot see and should not inline.
 */
const EXTERNAL = ["@graphql-yoga/render-graphiql"];

const { values } = parseArgs({
  options: {
    outdir: { type: "string", default: "dist" },
    "external-packages": { type: "boolean", default: false },
  },
});
const root = new URL("..", import.meta.url).pathname;
const outdir = resolve(root, values.outdir);

const options: BuildOptions = {
  absWorkingDir: root,
  // dist/csr-worker.js: the CSR worker thread that src/batch-file/csr-workers.ts starts next to dist/main.js.
  entryPoints: {
    main: "src/main.ts",
    simulator: "simulator/main.ts",
    "csr-worker": "src/batch-file/csr-worker.ts",
  },
  outdir,
  bundle: true,
  // Each file stands alone, like `tsx src/main.ts` and `tsx simulator/main.ts`.
  splitting: false,
  format: "esm",
  platform: "node",
  target: "node20",
  // Stack traces name src/... and simulator/... (node --enable-source-maps); the maps point at the files, not copies.
  sourcemap: true,
  sourcesContent: false,
  // Less for V8 to parse at start (about 15% faster to the first answer); names stay, so traces read without maps.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  metafile: true,
  ...(values["external-packages"]
    ? { packages: "external" as const, legalComments: "none" as const }
    : {
        external: EXTERNAL,
        // Bundled packages' licence comments go to dist/*.LEGAL.txt.
        legalComments: "linked" as const,
        // CommonJS packages inlined into an ES module require() Node's built-ins: give them a require.
        banner: {
          js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
        },
      }),
};

await rm(outdir, { recursive: true, force: true });
const result = await build(options);
for (const [file, output] of Object.entries(result.metafile?.outputs ?? {})) {
  if (file.endsWith(".js")) console.log(`${file}  ${(output.bytes / 1024).toFixed(0)} KiB`);
}
