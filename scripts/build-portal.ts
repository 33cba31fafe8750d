// `tsx scripts/build-portal.ts [--outdir dist/portal]`: bundles the portal page (portal/src/main.ts and style.css)
// with esbuild into content-hashed, minified files with source maps, copies portal/index.html beside them, and writes
// manifest.json naming them; src/http/portal.ts serves that folder at /portal. Prints the JS size, raw and gzipped.
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");

/** What src/http/portal.ts reads from the build folder (contract: manifest.json). */
export interface PortalManifest {
  /** The bundle and stylesheet file names, relative to the folder. */
  js: string;
  css: string;
  /** Every file the route may serve besides index.html (the two above and the source map). */
  files: string[];
}

export interface PortalBuild {
  outDir: string;
  manifest: PortalManifest;
  jsBytes: number;
  jsGzipBytes: number;
}

/** Builds the portal into `outDir` (emptied first). */
export async function buildPortal(outDir: string): Promise<PortalBuild> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { portal: "portal/src/main.ts", style: "portal/src/style.css" },
    outdir: outDir,
    entryNames: "[name].[hash]",
    bundle: true,
    format: "iife",
    platform: "browser",
    target: ["es2022", "chrome110", "firefox115", "safari16"],
    tsconfig: "portal/tsconfig.json",
    minify: true,
    sourcemap: "linked",
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
  const js = outputs.find((name) => /^portal\.[^.]+\.js$/.test(name));
  const css = outputs.find((name) => /^style\.[^.]+\.css$/.test(name));
  if (!js || !css) throw new Error(`esbuild wrote ${outputs.join(", ")}: no bundle or stylesheet`);
  const manifest: PortalManifest = { js, css, files: outputs };
  await copyFile(resolve(ROOT, "portal/index.html"), resolve(outDir, "index.html"));
  await writeFile(resolve(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const body = await readFile(resolve(outDir, js));
  return { outDir, manifest, jsBytes: body.length, jsGzipBytes: gzipSync(body, { level: 9 }).length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist/portal" } } });
  const built = await buildPortal(resolve(ROOT, values.outdir));
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(
    `portal: ${built.outDir}/${built.manifest.js} ${kb(built.jsBytes)} (${kb(built.jsGzipBytes)} gzipped), ${built.manifest.css}`,
  );
}
