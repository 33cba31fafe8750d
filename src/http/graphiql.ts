/**
 * GraphiQL served with no other host: CONTRACT used by app.ts (`render` for yoga's `renderGraphiQL`, `handler` for
 * any asset routes). The implementation behind it is free to change.
 *
 * yoga's own page loads GraphiQL from a CDN, and @graphql-yoga/render-graphiql's inlines ~9 MB (script, styles and
 * the Monaco workers as blob: URLs) into every answer. Here the page is ~1 KB: it names same-origin assets only,
 * taken from that package (`@graphql-yoga/render-graphiql/graphiql`) and served by `handler` under content-hashed
 * URLs (immutable for a year, an ETag, 304 on If-None-Match, br/gzip made once on first request). The options (the
 * title, the default query, the development token in the headers) travel in a JSON data block, never as code, so
 * the page needs no inline script and its Content-Security-Policy allows scripts and workers from 'self' only.
 *
 * The package is loaded on first use: a gateway with GraphiQL off never reads its 9 MB.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { brotliCompress, constants as zlibConstants, gzip } from "node:zlib";
import type { GraphiQLOptions } from "graphql-yoga";
import { acceptsEncoding, pathOf } from "./negotiate.js";

export interface GraphiqlPage {
  render(options?: GraphiQLOptions): string;
  /** Serves the page's assets; false for any other request. */
  handler(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

export interface GraphiqlSettings {
  /** Where the assets are served; default "/graphiql". */
  basePath?: string;
  /** The GraphQL endpoint whose HTML answer (yoga's GraphiQL page) gets the CSP header; default "/graphql". */
  endpoint?: string;
}

/**
 * What the page may load: everything from this origin, nothing from any other. Styles need 'unsafe-inline' (React
 * and Monaco set style attributes and add <style> elements at run time); the icon font and a few CSS images are
 * data: URLs inside the stylesheet. connect-src 'self' covers fetch/SSE to /graphql and, in CSP level 3 browsers,
 * a same-origin ws:/wss: WebSocket.
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");
/** The header adds what a <meta> policy cannot carry. */
const CSP_HEADER = `${GRAPHIQL_CSP}; frame-ancestors 'none'`;

const ONE_YEAR = "public, max-age=31536000, immutable";
const JS = "text/javascript; charset=utf-8";

interface PackageAssets {
  js: string;
  css: string;
  favicon: string;
  editorWorkerService: string;
  jsonWorker: string;
  graphqlWorker: string;
}

type Encoding = "br" | "gzip";

interface Asset {
  path: string;
  contentType: string;
  body: Buffer;
  hash: string;
  compressed: Partial<Record<Encoding, Promise<Buffer | null>>>;
}

interface Built {
  assets: Map<string, Asset>;
  css: string;
  js: string;
  favicon: string;
}

export function createGraphiql(settings: GraphiqlSettings = {}): GraphiqlPage {
  const basePath = (settings.basePath ?? "/graphiql").replace(/\/+$/, "");
  const endpoint = settings.endpoint ?? "/graphql";
  let built: Built | undefined;
  const build = (): Built => (built ??= buildAssets(basePath));

  return {
    render(options) {
      const { css, js, favicon } = build();
      const opts = options ?? {};
      return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(GRAPHIQL_CSP)}" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>${escapeHtml(opts.title || "Yoga GraphiQL")}</title>
    <link rel="icon" href="${escapeHtml(opts.favicon || favicon)}" />
    <link rel="stylesheet" href="${escapeHtml(css)}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
    <script type="application/json" id="graphiql-options">${scriptJson(opts)}</script>
    <script src="${escapeHtml(js)}"></script>
  </body>
</html>
`;
    },

    handler(req, res) {
      const path = pathOf(req.url);
      if (path === null) return Promise.resolve(false);
      if (path === endpoint || path === `${endpoint}/`) {
        // yoga answers this one (its GraphiQL page when the browser asks for HTML); it only gains the policy.
        if (req.method === "GET" && (req.headers.accept ?? "").includes("text/html")) {
          res.setHeader("content-security-policy", CSP_HEADER);
          res.setHeader("x-content-type-options", "nosniff");
        }
        return Promise.resolve(false);
      }
      if (!path.startsWith(`${basePath}/`)) return Promise.resolve(false);
      const asset = build().assets.get(path);
      // An unknown name (an old hash after an upgrade) is yoga's 404.
      if (!asset) return Promise.resolve(false);
      return serve(asset, req, res).then(() => true);
    },
  };
}

function buildAssets(basePath: string): Built {
  // The CommonJS build of the same package: loaded synchronously, on first use only.
  const pkg = createRequire(import.meta.url)("@graphql-yoga/render-graphiql/graphiql") as PackageAssets;
  const assets = new Map<string, Asset>();
  const add = (name: string, ext: string, contentType: string, body: Buffer): string => {
    const hash = createHash("sha256").update(body).digest("hex").slice(0, 20);
    const path = `${basePath}/${name}.${hash}.${ext}`;
    assets.set(path, { path, contentType, body, hash, compressed: {} });
    return path;
  };

  // Monaco asks for a worker by label; these are the ones GraphiQL uses (any other gets the editor worker).
  const workers = {
    editorWorkerService: add("workers/editor", "js", JS, utf8(pkg.editorWorkerService)),
    json: add("workers/json", "js", JS, utf8(pkg.jsonWorker)),
    graphql: add("workers/graphql", "js", JS, utf8(pkg.graphqlWorker)),
  };
  // Before the bundle: Monaco reads MonacoEnvironment when it loads and when it starts a worker.
  const prelude = `self.MonacoEnvironment = {
  globalAPI: false,
  getWorkerUrl: function (_moduleId, label) {
    var workers = ${JSON.stringify(workers)};
    return workers[label] || workers.editorWorkerService;
  },
};
`;
  // After it: the page's options come from its JSON data block (data, never code).
  const start = `
;(function () {
  var data = document.getElementById("graphiql-options");
  var options = data && data.textContent ? JSON.parse(data.textContent) : {};
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById("root"), options);
})();
`;
  const js = add("graphiql", "js", JS, utf8(prelude + pkg.js + start));
  const css = add("graphiql", "css", "text/css; charset=utf-8", utf8(pkg.css));
  const icon = /^data:([^;,]+);base64,(.*)$/s.exec(pkg.favicon);
  const favicon = icon
    ? add("favicon", icon[1] === "image/x-icon" ? "ico" : "img", icon[1]!, Buffer.from(icon[2]!, "base64"))
    : pkg.favicon;
  return { assets, css, js, favicon };
}

async function serve(asset: Asset, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-length": "0" });
    res.end();
    return;
  }
  let encoding = pickEncoding(req.headers["accept-encoding"]);
  let body = asset.body;
  if (encoding) {
    const compressed = await compressedBody(asset, encoding);
    if (compressed) body = compressed;
    else encoding = null;
  }
  const etag = `"${asset.hash}${encoding ? `-${encoding}` : ""}"`;
  const headers: Record<string, string> = {
    "cache-control": ONE_YEAR,
    etag,
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
    "cross-origin-resource-policy": "same-origin",
  };
  // Every encoding of one asset is the same content: any of its tags is a match.
  if (matchesEtag(req.headers["if-none-match"], asset.hash)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...headers,
    "content-type": asset.contentType,
    "content-length": String(body.length),
    ...(encoding ? { "content-encoding": encoding } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Made once per asset and encoding, off the event loop; null (send it plain) if compression fails. */
function compressedBody(asset: Asset, encoding: Encoding): Promise<Buffer | null> {
  return (asset.compressed[encoding] ??= (
    encoding === "br"
      ? promisify(brotliCompress)(asset.body, {
          params: {
            // Quality 5: about a tenth of a second for the 5 MB bundle, within 5 % of the best ratio.
            [zlibConstants.BROTLI_PARAM_QUALITY]: 5,
            [zlibConstants.BROTLI_PARAM_SIZE_HINT]: asset.body.length,
          },
        })
      : promisify(gzip)(asset.body)
  ).catch(() => null));
}

function pickEncoding(header: string | undefined): Encoding | null {
  if (acceptsEncoding(header, "br")) return "br";
  if (acceptsEncoding(header, "gzip")) return "gzip";
  return null;
}

function matchesEtag(header: string | undefined, hash: string): boolean {
  if (!header) return false;
  return header.split(",").some((raw) => {
    const tag = raw.trim().replace(/^W\//, "");
    return tag === "*" || tag === `"${hash}"` || tag === `"${hash}-br"` || tag === `"${hash}-gzip"`;
  });
}

function utf8(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/** For text and double-quoted attributes (every attribute here is double-quoted). */
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
