/**
 * GraphiQL works offline: the page and everything it loads come from the gateway itself. A cheap HTTP check of the
 * page and its assets, then a real browser (Debian's chromium, never a downloaded one) that loads the page, runs the
 * default query against the simulator and fails on any request that leaves the gateway's loopback origin.
 */
import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createDevIssuer } from "../../src/auth/dev.js";
import { createGraphiql, GRAPHIQL_CSP } from "../../src/http/graphiql.js";
import { type Simulator, startSimulator } from "../../simulator/index.js";
import { testApp } from "../helpers/stack.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** CI installs chromium (.ci/run): there a missing browser is a failure, never a skip. */
const SKIP_BROWSER = !HAVE_CHROMIUM && !process.env.CI;
if (SKIP_BROWSER) {
  console.warn(
    `Skipping the GraphiQL browser test: ${CHROMIUM} is missing. Install Debian's chromium to run it: ` +
      "sudo apt-get install --no-install-recommends chromium",
  );
}

/** CDNs and font hosts GraphiQL pages usually load from. */
const CDN = /unpkg\.com|jsdelivr|cdnjs|esm\.sh|skypack|fonts\.googleapis|fonts\.gstatic|\/\/cdn\./i;
/** Any scheme-relative or absolute http(s) URL. */
const ANY_URL = /(?:https?:)?\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi;
/** A URL to another host in a position where the browser would fetch it. */
const LOADED_URL =
  /(?:\bimport\s*\(|\bimportScripts\s*\(|\bfetch\s*\(|new\s+(?:Shared)?Worker\s*\(|\burl\s*\(|\bsrc\s*=|\bhref\s*=)\s*["'`]?\s*(?:https?:)?\/\//i;

let simulator: Simulator;
let app: App;
let url: URL;
let token: string;

beforeAll(async () => {
  simulator = await startSimulator({ seedCertificates: 8, logger: false });
  const issuer = await createDevIssuer();
  token = await issuer.sign({ sub: "tester", tenant: "default" });
  // With GraphiQL on and the token in its headers, as `npm start` does.
  app = testApp(simulator.url, issuer, {
    graphiql: true,
    graphiqlHeaders: { Authorization: `Bearer ${token}` },
  });
  url = await app.start().catch(async (error) => {
    await simulator.close();
    throw error;
  });
});

afterAll(async () => {
  await app?.stop({ graceMs: 100 });
  await simulator?.close();
});

async function fetchPage(): Promise<{ res: Response; html: string }> {
  const res = await fetch(url, { headers: { accept: "text/html" } });
  return { res, html: await res.text() };
}

/** The page's own references (src/href), then the workers the bundle names. */
async function assetPaths(): Promise<string[]> {
  const { html } = await fetchPage();
  const paths = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  const bundle = paths.find((p) => p.endsWith(".js"));
  expect(bundle).toBeDefined();
  const js = await (await fetch(new URL(bundle!, url))).text();
  const workers = [...new Set([...js.matchAll(/"(\/graphiql\/workers\/[^"]+\.js)"/g)].map((m) => m[1]!))];
  return [...paths, ...workers];
}

describe("the GraphiQL page over plain HTTP", () => {
  it("is a small HTML page that names only same-origin assets and carries a strict CSP", async () => {
    const { res, html } = await fetchPage();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(`${GRAPHIQL_CSP}; frame-ancestors 'none'`);
    // It carries the development token: no cache may keep it.
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(Buffer.byteLength(html)).toBeLessThan(8 * 1024);
    expect(html).not.toMatch(ANY_URL);
    expect(html).not.toMatch(/<script>|<style|\bon[a-z]+=/i);
    const refs = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toHaveLength(3);
    for (const ref of refs) expect(ref).toMatch(/^\/graphiql\/[a-z]+\.[0-9a-f]{20}\.(?:js|css|ico)$/);
  });

  it("keeps yoga's options as data that a default query cannot break out of", async () => {
    const { html } = await fetchPage();
    expect(html).toContain("<title>DigiCert ONE GraphQL gateway</title>");
    const block = /<script type="application\/json" id="graphiql-options">([^<]*)<\/script>/.exec(html);
    expect(block).not.toBeNull();
    const options = JSON.parse(block![1]!) as { defaultQuery: string; headers: string };
    expect(options.defaultQuery).toContain("query Dashboard");
    expect(JSON.parse(options.headers)).toEqual({ Authorization: `Bearer ${token}` });

    // The same renderer with hostile options: every `<` inside the data block is escaped.
    const hostile = createGraphiql().render({
      title: `</title><script>alert(1)</script>`,
      defaultQuery: `# </script><script>alert(2)</script><!--`,
      favicon: `"><script>alert(3)</script>`,
    });
    expect(hostile).not.toContain("<script>alert");
    expect(hostile.match(/<script\b/g)).toHaveLength(2);
    const data = /id="graphiql-options">([^<]*)<\/script>/.exec(hostile)![1]!;
    expect(JSON.parse(data)).toMatchObject({ defaultQuery: `# </script><script>alert(2)</script><!--` });
  });

  it("serves every asset with its content type, a year of caching and a content-hash ETag", async () => {
    const paths = await assetPaths();
    expect(paths.filter((p) => p.includes("/workers/"))).toHaveLength(3);
    for (const path of paths) {
      const res = await fetch(new URL(path, url), { headers: { "accept-encoding": "identity" } });
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.status, path).toBe(200);
      const type = path.endsWith(".js")
        ? "text/javascript; charset=utf-8"
        : path.endsWith(".css")
          ? "text/css; charset=utf-8"
          : "image/x-icon";
      expect(res.headers.get("content-type"), path).toBe(type);
      expect(res.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("content-length"), path).toBe(String(body.length));
      expect(res.headers.get("content-encoding"), path).toBeNull();
      // The name carries the same hash as the ETag.
      const etag = res.headers.get("etag")!;
      expect(etag, path).toMatch(/^"[0-9a-f]{20}"$/);
      expect(path).toContain(`.${etag.slice(1, -1)}.`);
    }
  });

  it("answers 304 to a matching If-None-Match, compressed or not", async () => {
    for (const path of await assetPaths()) {
      const target = new URL(path, url);
      for (const encoding of ["identity", "gzip", "br"]) {
        const first = await fetch(target, { headers: { "accept-encoding": encoding } });
        await first.arrayBuffer();
        expect(first.headers.get("content-encoding") ?? "identity", path).toBe(encoding);
        const etag = first.headers.get("etag")!;
        const again = await fetch(target, {
          headers: { "accept-encoding": encoding, "if-none-match": etag },
        });
        expect(again.status, `${path} ${encoding}`).toBe(304);
        expect((await again.arrayBuffer()).byteLength).toBe(0);
        expect(again.headers.get("etag")).toBe(etag);
        expect(again.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
        // Any encoding's tag names the same content.
        const other = await fetch(target, { headers: { "if-none-match": `W/"nope", ${etag}` } });
        expect(other.status).toBe(304);
      }
      const stale = await fetch(target, { headers: { "if-none-match": `"0000"` } });
      expect(stale.status).toBe(200);
      await stale.arrayBuffer();
    }
  });

  it("answers HEAD without a body, refuses other methods and leaves unknown names to yoga", async () => {
    const [first] = await assetPaths();
    const target = new URL(first!, url);
    const head = await fetch(target, { method: "HEAD", headers: { "accept-encoding": "identity" } });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    const post = await fetch(target, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    const unknown = await fetch(new URL("/graphiql/graphiql.0123456789abcdef0123.js", url));
    expect(unknown.status).toBe(404);
  });

  it("serves assets that load nothing from another host", async () => {
    for (const path of await assetPaths()) {
      if (path.endsWith(".ico")) continue;
      const text = await (await fetch(new URL(path, url))).text();
      expect(text, path).not.toMatch(CDN);
      expect(text, path).not.toMatch(LOADED_URL);
      if (path.endsWith(".css")) {
        // Fonts and images are inline data: URLs; nothing is imported.
        expect(text).not.toMatch(ANY_URL);
        expect(text).not.toMatch(/@import/);
        for (const [, ref] of text.matchAll(/url\(\s*["']?([^)"']*)/g)) expect(ref).toMatch(/^(?:data:|#)/);
      }
    }
  });
});

/** Monaco renders spaces as U+00A0. */
async function textOf(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\u00a0/g, " ");
}

describe.skipIf(SKIP_BROWSER)("GraphiQL in a real browser", () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every request the page (and its workers) made. */
  const requests: string[] = [];
  /** Requests to anything but the gateway's origin (aborted, and a failure). */
  const foreign: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) {
      throw new Error(`CI is set but ${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    // A fresh context: an empty profile, no GraphiQL tabs stored from an earlier run.
    context = await browser.newContext();
    const isLocal = (raw: string) => {
      const target = new URL(raw);
      if (target.protocol === "data:" || target.protocol === "blob:") return true;
      return target.host === url.host;
    };
    context.on("request", (request) => {
      requests.push(request.url());
      if (!isLocal(request.url())) foreign.push(request.url());
    });
    // Nothing leaves loopback even if something asked.
    await context.route("**/*", (route) =>
      isLocal(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
    );
    // Violations would otherwise be silent (a blocked request is never made).
    await context.addInitScript(
      `document.addEventListener("securitypolicyviolation", (e) => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
    );
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it(
    "loads GraphiQL, runs the default query and shows the simulator's profiles",
    { timeout: 90_000 },
    async () => {
      const answer = page.waitForResponse(
        (res) =>
          res.url() === url.href && res.request().method() === "GET" && res.request().isNavigationRequest(),
      );
      await page.goto(url.href, { waitUntil: "load" });
      const document = await answer;
      expect(document.status()).toBe(200);
      expect(document.request().headers()["accept"]).toContain("text/html");
      expect(document.headers()["content-security-policy"]).toContain("script-src 'self'");
      expect(await page.title()).toBe("DigiCert ONE GraphQL gateway");
      // A page that reached for a CDN has done so by now (or been stopped by its CSP).
      expect(foreign, "requests that left the gateway's origin").toEqual([]);
      expect(problems, "errors and CSP violations").toEqual([]);

      // The query editor (Monaco, with its workers) holds the default query.
      const editor = page.locator(".graphiql-query-editor .monaco-editor");
      await editor.waitFor({ state: "visible", timeout: 30_000 });
      await expect.poll(() => textOf(editor), { timeout: 30_000 }).toContain("query Dashboard");

      const executed = page.waitForResponse(
        (res) => res.url() === url.href && (res.request().postData() ?? "").includes("query Dashboard"),
        { timeout: 30_000 },
      );
      await page.getByRole("button", { name: /Execute query/ }).click();
      const response = await executed;
      // GraphiQL sent the headers yoga's options gave it: the token.
      expect(response.request().headers()["authorization"]).toBe(`Bearer ${token}`);
      const body = (await response.json()) as {
        data?: { profiles: { edges: { node: { name: string } }[] } };
        errors?: unknown;
      };
      expect(body.errors).toBeUndefined();
      const profiles = body.data!.profiles.edges;
      expect(profiles.length).toBeGreaterThan(0);

      // The result pane shows it.
      const result = page.locator(".graphiql-response");
      await expect.poll(() => textOf(result), { timeout: 30_000 }).toContain(`"profiles": {`);
      expect(await textOf(result)).toContain(`"name": ${JSON.stringify(profiles[0]!.node.name)}`);

      // Workers came from the gateway under their own URLs, not blob: ones.
      const workers = page.workers().map((worker) => worker.url());
      expect(workers.length).toBeGreaterThan(0);
      for (const worker of workers) expect(worker).toMatch(new RegExp(`^${url.origin}/graphiql/workers/`));

      expect(requests.some((r) => r.endsWith(".css"))).toBe(true);
      expect(requests.some((r) => r.includes("/graphiql/workers/"))).toBe(true);
      expect(foreign, "requests that left the gateway's origin").toEqual([]);
      expect(problems, "errors and CSP violations").toEqual([]);
    },
  );
});
