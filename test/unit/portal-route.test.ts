/**
 * src/http/portal.ts on its own (no gateway, no browser): the page's settings block, its policy, the answers for a
 * missing build, HEAD and compressed assets, and what it leaves to the next route.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, get, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPortal, type PortalSettings, portalCsp } from "../../src/http/portal.js";

let dir: string;
const servers: Server[] = [];

const TEMPLATE = `<!doctype html><link rel="stylesheet" href="%CSS%" /><script type="application/json" id="portal-config">%CONFIG%</script><script src="%JS%"></script>`;
const JS = `console.log(${JSON.stringify("x".repeat(4096))});\n//# sourceMappingURL=portal.ABC123.js.map\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "portal-route-"));
  await mkdir(join(dir, "build"));
  const files = {
    "portal.ABC123.js": JS,
    "portal.ABC123.js.map": "{}",
    "style.DEF456.css": "body{margin:0}",
  };
  for (const [name, body] of Object.entries(files)) await writeFile(join(dir, "build", name), body);
  await writeFile(join(dir, "build", "index.html"), TEMPLATE);
  await writeFile(
    join(dir, "build", "manifest.json"),
    JSON.stringify({
      js: "portal.ABC123.js",
      css: "style.DEF456.css",
      files: [...Object.keys(files), "../secret"],
    }),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  await rm(dir, { recursive: true, force: true });
});

/** The route on port 0; anything it leaves is answered 418, so a fall-through is visible. */
async function serve(settings: PortalSettings): Promise<URL> {
  const route = createPortal(settings);
  const server = createServer((req, res) => {
    void route.handler(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end();
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

/** A GET that leaves the body as sent (fetch would decompress it). */
function rawGet(
  url: URL,
  headers: Record<string, string>,
): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on("error", reject);
  });
}

describe("the portal route", () => {
  it("fills in the asset names and a settings block that a hostile token cannot break out of", async () => {
    const devToken = `</script><script>alert(1)</script>\u2028`;
    const base = await serve({ assetsDir: join(dir, "build"), devToken });
    const html = await (await fetch(new URL("/portal/", base))).text();
    expect(html).toContain(`href="/portal/style.DEF456.css"`);
    expect(html).toContain(`src="/portal/portal.ABC123.js"`);
    expect(html).not.toContain("<script>alert");
    expect(html.match(/<script\b/g)).toHaveLength(2);
    const data = /id="portal-config">([^<]*)<\/script>/.exec(html)![1]!;
    expect(JSON.parse(data)).toEqual({ endpoint: "/graphql", token: devToken });
  });

  it("carries no token in the settings when none is given", async () => {
    const base = await serve({ assetsDir: join(dir, "build"), devToken: null, endpoint: "/api/graphql" });
    const html = await (await fetch(new URL("/portal", base))).text();
    expect(JSON.parse(/id="portal-config">([^<]*)<\/script>/.exec(html)![1]!)).toEqual({
      endpoint: "/api/graphql",
    });
  });

  it("names the request's own WebSocket origin in connect-src, and only a well-formed one", () => {
    expect(portalCsp("127.0.0.1:4000")).toContain(
      "connect-src 'self' ws://127.0.0.1:4000 wss://127.0.0.1:4000",
    );
    expect(portalCsp("[::1]:4000")).toContain("connect-src 'self' ws://[::1]:4000 wss://[::1]:4000");
    expect(portalCsp("evil.example; script-src *")).toMatch(/connect-src 'self'$/);
    expect(portalCsp(undefined)).toMatch(/connect-src 'self'$/);
    expect(portalCsp("gw.example.com")).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self';/);
  });

  it("serves assets gzipped when asked, plain otherwise, HEAD without a body, and only the manifest's files", async () => {
    const base = await serve({ assetsDir: join(dir, "build") });
    const target = new URL("/portal/portal.ABC123.js", base);
    const zipped = await rawGet(target, { "accept-encoding": "gzip, deflate" });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    const raw = zipped.body;
    expect(gunzipSync(raw).toString()).toBe(JS);
    expect(raw.length).toBeLessThan(JS.length);
    const plain = await fetch(target, { headers: { "accept-encoding": "identity" } });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(JS);
    const head = await fetch(target, { method: "HEAD", headers: { "accept-encoding": "identity" } });
    expect(head.headers.get("content-length")).toBe(String(Buffer.byteLength(JS)));
    expect((await fetch(new URL("/portal/portal.ABC123.js.map", base))).headers.get("content-type")).toBe(
      "application/json; charset=utf-8",
    );
    expect((await fetch(new URL("/portal/manifest.json", base))).status).toBe(418);
    expect((await fetch(new URL("/portal/index.html", base))).status).toBe(418);
    expect((await fetch(new URL("/graphql", base))).status).toBe(418);
    expect((await fetch(new URL("/portalx", base))).status).toBe(418);
  });

  it("answers 503 until the portal is built, then serves it without a restart", async () => {
    const later = join(dir, "later");
    const base = await serve({ assetsDir: later });
    const missing = await fetch(new URL("/portal", base));
    expect(missing.status).toBe(503);
    expect(await missing.text()).toMatch(/npm run build:portal/);
    await mkdir(later);
    await writeFile(join(later, "index.html"), TEMPLATE);
    await writeFile(join(later, "manifest.json"), JSON.stringify({ js: "a.js", css: "b.css", files: [] }));
    expect((await fetch(new URL("/portal", base))).status).toBe(200);
  });
});
