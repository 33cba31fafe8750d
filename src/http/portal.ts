/**
 * The portal page at /portal: CONTRACT used by app.ts (`handler`, answering /portal, /portal/ and the built assets,
 * false for anything else). The page is built ahead by scripts/build-portal.ts into dist/portal/ (`npm run
 * build:portal`; `npm start` and `npm run build` run it), never at run time: the gateway never loads esbuild (a
 * devDependency, absent from the image), and development and production serve the same bytes.
 *
 * The HTML carries its settings (the GraphQL endpoint, and the development token when one exists) in a JSON data
 * block, never as code, so the policy allows scripts from 'self' only and no inline script or style. The HTML is
 * never cached (it may carry the token); the assets have content-hashed names, cached for a year, gzip when accepted.
 */
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { acceptsEncoding, pathOf } from "./negotiate.js";

export interface PortalSettings {
  /** Where the page is served; default "/portal". */
  basePath?: string;
  /** The GraphQL endpoint the page talks to (HTTP and graphql-ws); default "/graphql". */
  endpoint?: string;
  /** The build folder (manifest.json, index.html, assets); default dist/portal/ beside the bundle or the repository's. */
  assetsDir?: string;
  /** Development only: a token the page uses instead of asking for one. Never set it against a real tenant. */
  devToken?: string | null;
}

export interface PortalRoute {
  /** Serves the page and its assets; false for any other request. */
  handler(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/** Everything but the connect-src, which names the request's own ws:/wss: origin (CSP level 2 browsers need it). */
const POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];
const ONE_YEAR = "public, max-age=31536000, immutable";
const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  map: "application/json; charset=utf-8",
};
/** A Host header fit to be written into the policy: a name or an address, and a port. */
const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/i;

interface Asset {
  body: Buffer;
  gzip: Buffer;
  contentType: string;
  etag: string;
}

interface Loaded {
  /** index.html with its asset names filled in; the settings block is added per answer. */
  html: string;
  assets: Map<string, Asset>;
}

/** The page's Content-Security-Policy for a request that arrived with this Host header. */
export function portalCsp(host: string | undefined): string {
  const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return [...POLICY, `connect-src 'self'${sockets}`].join("; ");
}

export function createPortal(settings: PortalSettings = {}): PortalRoute {
  const basePath = (settings.basePath ?? "/portal").replace(/\/+$/, "");
  const endpoint = settings.endpoint ?? "/graphql";
  const config = scriptJson({ endpoint, ...(settings.devToken ? { token: settings.devToken } : {}) });
  // Loaded on first request, and again after a failure (a build finished since is picked up without a restart).
  let loaded: Loaded | null = null;
  const load = (): Loaded | null =>
    (loaded ??= loadBuild(settings.assetsDir ?? defaultAssetsDir(), basePath));

  return {
    async handler(req, res) {
      const path = pathOf(req.url);
      if (path === null || (path !== basePath && !path.startsWith(`${basePath}/`))) return false;
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD", "content-length": "0" });
        res.end();
        return true;
      }
      const build = load();
      if (!build) {
        const body = "The portal is not built: run `npm run build:portal`.\n";
        res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : body);
        return true;
      }
      if (path === basePath || path === `${basePath}/`) {
        const body = Buffer.from(
          build.html.replace("%CONFIG%", () => config),
          "utf8",
        );
        res.writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          "content-length": String(body.length),
          "content-security-policy": portalCsp(req.headers.host),
          // It may carry the development token: no cache keeps it, no other page frames it or learns its URL.
          "cache-control": "no-store",
          "x-content-type-options": "nosniff",
          "x-frame-options": "DENY",
          "referrer-policy": "no-referrer",
        });
        res.end(req.method === "HEAD" ? undefined : body);
        return true;
      }
      const asset = build.assets.get(path.slice(basePath.length + 1));
      // An unknown name (an old hash after an upgrade) is yoga's 404.
      if (!asset) return false;
      serveAsset(asset, req, res);
      return true;
    },
  };
}

/** dist/portal/ beside the bundled dist/main.js, else the repository's dist/portal/ (src/http/ run by tsx). */
function defaultAssetsDir(): string {
  const bundled = fileURLToPath(new URL("./portal/", import.meta.url));
  return existsSync(`${bundled}manifest.json`)
    ? bundled
    : fileURLToPath(new URL("../../dist/portal/", import.meta.url));
}

function loadBuild(dir: string, basePath: string): Loaded | null {
  let manifest: { js: string; css: string; files: string[] };
  let template: string;
  try {
    manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8")) as typeof manifest;
    template = readFileSync(`${dir}/index.html`, "utf8");
  } catch {
    return null;
  }
  const assets = new Map<string, Asset>();
  for (const name of manifest.files) {
    // Names come from our own build; anything that could leave the folder is skipped all the same.
    if (!/^[\w.-]+$/.test(name) || name.startsWith(".")) continue;
    const body = readFileSync(`${dir}/${name}`);
    const ext = name.slice(name.lastIndexOf(".") + 1);
    const hash = /\.([A-Z0-9]+)\.(?:js|css)(?:\.map)?$/.exec(name)?.[1] ?? "0";
    assets.set(name, {
      body,
      gzip: gzipSync(body),
      contentType: TYPES[ext] ?? "application/octet-stream",
      etag: `"${hash}${ext === "map" ? "-map" : ""}"`,
    });
  }
  const html = template
    .replace("%JS%", () => escapeHtml(`${basePath}/${manifest.js}`))
    .replace("%CSS%", () => escapeHtml(`${basePath}/${manifest.css}`));
  return { html, assets };
}

function serveAsset(asset: Asset, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {
    "cache-control": ONE_YEAR,
    etag: asset.etag,
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
  };
  const tags = (req.headers["if-none-match"] ?? "").split(",").map((tag) => tag.trim().replace(/^W\//, ""));
  if (tags.includes(asset.etag) || tags.includes("*")) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = acceptsEncoding(req.headers["accept-encoding"], "gzip");
  const body = gzip ? asset.gzip : asset.body;
  res.writeHead(200, {
    ...headers,
    "content-type": asset.contentType,
    "content-length": String(body.length),
    ...(gzip ? { "content-encoding": "gzip" } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** For double-quoted attributes. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** JSON safe inside <script>: no `<` (so no `</script>` or `<!--`), no `>`/`&`, no JS line separators. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
