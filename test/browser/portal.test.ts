/**
 * The portal at /portal in a real browser (Debian's chromium, never a downloaded one) against the simulator: the
 * inventory and its filters, the parsed X.509 details, a batch job followed live over graphql-ws with its report, a
 * CSV refused row by row before anything is sent, and a good one uploaded and followed to COMPLETE. Any request that
 * leaves the gateway's origin fails the test. Screenshots go to test-results/portal/.
 *
 * Until app.ts routes /portal itself, the test puts the route in front of the gateway: one origin (a small server on
 * port 0) that answers /portal with createPortal and passes everything else, WebSocket upgrades included, through.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayClient } from "../../clients/typescript/src/client.js";
import { CreateDeviceRegistrationBatchDocument } from "../../clients/typescript/src/generated/graphql.js";
import { buildPortal, type PortalBuild } from "../../scripts/build-portal.js";
import { DTM_IDS } from "../../simulator/index.js";
import { createPortal, portalCsp } from "../../src/http/portal.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack, testApp } from "../helpers/stack.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** CI installs chromium (.ci/run): there a missing browser is a failure, never a skip. */
const SKIP_BROWSER = !HAVE_CHROMIUM && !process.env.CI;
if (SKIP_BROWSER) {
  console.warn(
    `Skipping the portal browser test: ${CHROMIUM} is missing. Install Debian's chromium to run it: ` +
      "sudo apt-get install --no-install-recommends chromium",
  );
}

const ARTIFACTS = resolve(import.meta.dirname, "../../test-results/portal");
const JOBS_ROUTE = "POST /devicetrustmanager/certificate-batch-service/api/v1/jobs";
const GROUP = DTM_IDS.deviceGroups.factoryLine;
const POLICY = DTM_IDS.certificatePolicies.bootstrapClient;
const DAY_MS = 86_400_000;

let stack: Stack;
let build: PortalBuild;
let work: string;
let front: Server;
/** The one origin the browser sees: /portal from the route, the rest from the gateway. */
let origin: URL;
let token: string;

/** /portal (the dev token injected) and /portal-ask (none: the page asks) in front of the gateway at `target`. */
function frontServer(target: URL): Server {
  const withToken = createPortal({ assetsDir: build.outDir, devToken: token });
  const asking = createPortal({ assetsDir: build.outDir, basePath: "/portal-ask" });
  const server = createServer((req, res) => {
    void (async () => {
      if ((await withToken.handler(req, res)) || (await asking.handler(req, res))) return;
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    })();
  });
  server.on("upgrade", (req, socket, head) => {
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return server;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "portal-test-"));
  build = await buildPortal(join(work, "portal"));
  // Each job state lasts 700 ms: long enough to be seen live, short enough for the test.
  stack = await startStack({ simulator: { seedCertificates: 40, dtmJobStepMs: 700 } });
  token = await stack.token();
  front = frontServer(stack.url);
  await new Promise<void>((done) => front.listen(0, "127.0.0.1", done));
  origin = new URL(`http://127.0.0.1:${(front.address() as AddressInfo).port}`);
}, 60_000);

afterAll(async () => {
  front?.closeAllConnections();
  await new Promise<void>((done) => (front ? front.close(() => done()) : done()));
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A CSV cell, quoted so PEM line breaks survive. */
const cell = (value: string) => `"${value.replaceAll('"', '""')}"`;

async function devicesCsv(names: readonly string[]): Promise<string> {
  const lines = ["device_name,subject.common_name,csr"];
  for (const name of names) {
    const { pem } = await generateCsr({ subject: `CN=${name}.devices.example.com` });
    lines.push([name, `${name}.devices.example.com`, cell(pem)].join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

interface CertificatesAnswer {
  certificates: {
    totalCount: number;
    edges: { node: { serialNumber: string; status: string; validTo: string } }[];
  };
}

describe("the portal over plain HTTP", () => {
  it("is served by the gateway itself at /portal when the portal is on, and not at all when it is off", async () => {
    const on = testApp(stack.simulator.url, stack.issuer, { portal: { assetsDir: build.outDir } });
    const off = testApp(stack.simulator.url, stack.issuer);
    try {
      const [onUrl, offUrl] = await Promise.all([on.start(), off.start()]);
      const page = await fetch(new URL("/portal", onUrl));
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toBe(portalCsp(onUrl.host));
      expect(html).toContain(`<script src="/portal/${build.manifest.js}">`);
      const script = await fetch(new URL(`/portal/${build.manifest.js}`, onUrl));
      expect(script.status).toBe(200);
      await script.arrayBuffer();
      const none = await fetch(new URL("/portal", offUrl));
      await none.arrayBuffer();
      expect(none.status).toBe(404);
    } finally {
      await Promise.all([on.stop({ graceMs: 100 }), off.stop({ graceMs: 100 })]);
    }
  });

  it("is a small page with a strict policy, never cached, carrying the dev token as data only", async () => {
    const res = await fetch(new URL("/portal", origin));
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toBe(portalCsp(origin.host));
    expect(res.headers.get("content-security-policy")).toContain(`connect-src 'self' ws://${origin.host}`);
    expect(html).not.toMatch(/<script>|<style|\bon[a-z]+=|https?:\/\//i);
    const block = /<script type="application\/json" id="portal-config">([^<]*)<\/script>/.exec(html);
    expect(JSON.parse(block![1]!)).toEqual({ endpoint: "/graphql", token });
    const asking = await (await fetch(new URL("/portal-ask/", origin))).text();
    expect(asking).not.toContain(token);
    expect(asking).toContain(`<script src="/portal-ask/${build.manifest.js}">`);
  });

  it("serves a bundle under 60 KB gzipped, cached for a year, and answers 304 to its ETag", async () => {
    expect(build.jsGzipBytes).toBeLessThan(60 * 1024);
    const target = new URL(`/portal/${build.manifest.js}`, origin);
    const res = await fetch(target);
    const js = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js).toContain(`sourceMappingURL=${build.manifest.js}.map`);
    expect(js).not.toMatch(/\b(?:src|href)\s*=\s*["'`]https?:|fetch\(\s*["'`]https?:/);
    const again = await fetch(target, { headers: { "if-none-match": res.headers.get("etag")! } });
    expect(again.status).toBe(304);
    const map = await fetch(new URL(`/portal/${build.manifest.js}.map`, origin));
    expect(map.status).toBe(200);
    await map.arrayBuffer();
    expect((await fetch(new URL("/portal/portal.AAAAAAAA.js", origin))).status).toBe(404);
    expect((await fetch(new URL("/portal", origin), { method: "POST", body: "x" })).status).toBe(405);
  });
});

/** Resolves once the page has loaded its first data; throws what it showed if it failed instead. */
async function started(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.body.dataset["ready"] === "true" || !document.getElementById("error")!.hidden,
    undefined,
    { timeout: 20_000 },
  );
  const error = page.locator("#error");
  if (await error.isVisible()) throw new Error(`The portal did not start: ${await error.innerText()}`);
}

describe.skipIf(SKIP_BROWSER)("the portal in a real browser", () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const foreign: string[] = [];
  const problems: string[] = [];
  /** Multipart (upload) requests the page made. */
  const uploads: string[] = [];
  const sockets: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) {
      throw new Error(`CI is set but ${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);
    }
    await mkdir(ARTIFACTS, { recursive: true });
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
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const isLocal = (raw: string) => {
      const target = new URL(raw);
      if (target.protocol === "data:" || target.protocol === "blob:") return true;
      return target.host === origin.host;
    };
    context.on("request", (request) => {
      if (!isLocal(request.url())) foreign.push(request.url());
      if ((request.headers()["content-type"] ?? "").startsWith("multipart/")) uploads.push(request.url());
    });
    await context.route("**/*", (route) =>
      isLocal(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
    );
    await context.addInitScript(
      `document.addEventListener("securitypolicyviolation", (e) => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
    );
    page = await context.newPage();
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("websocket", (socket) => sockets.push(socket.url()));
    await page.goto(new URL("/portal", origin).href, { waitUntil: "load" });
    await started(page);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    expect(foreign, "requests that left the gateway's origin").toEqual([]);
  });

  const rows = () => page.locator("#inv-table tbody tr");
  /** No request left the origin, no error or CSP violation was reported. */
  const expectClean = () => {
    expect(foreign, "requests that left the gateway's origin").toEqual([]);
    expect(problems, "errors and CSP violations").toEqual([]);
  };
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function expectInventory(filter: Record<string, unknown>): Promise<string[]> {
    const { data } = await stack.gql<CertificatesAnswer>(
      `query ($filter: CertificateFilter) {
        certificates(filter: $filter, first: 25) { totalCount edges { node { serialNumber status validTo } } }
      }`,
      { filter },
    );
    const expected = data!.certificates.edges.map((e) => e.node.serialNumber);
    await expect
      .poll(() => page.locator("#inv-count").innerText())
      .toBe(`${data!.certificates.totalCount} certificate(s)`);
    await expect
      .poll(() => rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-serial"))))
      .toEqual(expected);
    return expected;
  }

  it(
    "lists the simulator's certificates and filters them by status, by expiry and by profile",
    { timeout: 60_000 },
    async () => {
      // The development token was injected: no token is asked for.
      expect(await page.locator("#token-form").isHidden()).toBe(true);
      expect(await page.locator("#auth").innerText()).toBe("Development token");
      const all = await expectInventory({});
      expect(all.length).toBeGreaterThan(5);

      await page.selectOption("#inv-status", "EXPIRED");
      await page.click("#inv-filter button[type=submit]");
      const expired = await expectInventory({ status: "EXPIRED" });
      expect(expired.length).toBeGreaterThan(0);
      expect(expired.length).toBeLessThan(all.length);
      for (const text of await page.locator("#inv-table tbody [data-status]").allInnerTexts())
        expect(text).toBe("EXPIRED");

      await page.selectOption("#inv-status", "ISSUED");
      await page.fill("#inv-days", "30");
      const before = Date.now();
      await page.click("#inv-filter button[type=submit]");
      await expect
        .poll(() => page.locator("#inv-table tbody [data-status]").allInnerTexts())
        .not.toContain("EXPIRED");
      const soon = await expectInventory({
        status: "ISSUED",
        expiresBefore: new Date(before + 30 * DAY_MS).toISOString(),
      });
      expect(soon.length).toBeLessThan(all.length);
      for (const text of await page.locator("#inv-table tbody tr td:nth-child(5)").allInnerTexts()) {
        expect(Date.parse(text)).toBeLessThanOrEqual(before + 31 * DAY_MS);
      }
      await shot("inventory-filtered");

      // By profile: the filter takes the profile's DigiCert id, and the rows are that profile's only.
      const profile = page.locator("#inv-profile option").nth(1);
      const [profileId, profileName] = [(await profile.getAttribute("value"))!, await profile.innerText()];
      await page.selectOption("#inv-status", "");
      await page.fill("#inv-days", "");
      await page.selectOption("#inv-profile", profileId);
      await page.click("#inv-filter button[type=submit]");
      const ofProfile = await expectInventory({ profileId });
      expect(ofProfile.length).toBeGreaterThan(0);
      for (const text of await page.locator("#inv-table tbody tr td:nth-child(4)").allInnerTexts()) {
        expect(text).toBe(profileName);
      }
      await page.selectOption("#inv-profile", "");
      await page.click("#inv-filter button[type=submit]");
      await expectInventory({});
      expectClean();
    },
  );

  it("shows a certificate's parsed X.509 fields in the details panel", { timeout: 30_000 }, async () => {
    const first = rows().first();
    const serial = (await first.getAttribute("data-serial"))!;
    await first.click();
    const panel = page.locator("#cert-details");
    await panel.waitFor({ state: "visible" });
    const { data } = await stack.gql<{
      certificate: {
        x509: { subject: { dn: string }; sha256Fingerprint: string; publicKey: { algorithm: string } };
      };
    }>(
      `query ($s: SerialNumber!) { certificate(serialNumber: $s) { x509 { subject { dn } sha256Fingerprint publicKey { algorithm } } } }`,
      { s: serial },
    );
    const x509 = data!.certificate.x509;
    const field = (name: string) => panel.locator(`dd[data-field="${name}"]`).innerText();
    await expect.poll(() => field("Serial number")).toBe(serial);
    expect(await field("Subject")).toBe(x509.subject.dn);
    expect(await field("SHA-256 fingerprint")).toBe(x509.sha256Fingerprint);
    expect(await field("Public key")).toContain(x509.publicKey.algorithm);
    expect(Number(await field("Days until expiry"))).not.toBeNaN();
    await shot("certificate-details");
    expectClean();
  });

  /** The statuses a job's row shows, sampled until it reads `until` (or the time runs out). */
  async function statusesOf(jobId: string, until: string, timeoutMs: number): Promise<string[]> {
    const seen: string[] = [];
    const cell = page.locator(`#jobs-table tr[data-job-id="${jobId}"] [data-status]`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = (await cell.count()) ? await cell.innerText() : null;
      if (text && seen.at(-1) !== text) seen.push(text);
      if (text === until) break;
      await new Promise((done) => setTimeout(done, 50));
    }
    return seen;
  }

  it(
    "follows a batch job created through the API live until it is done, then shows its report",
    { timeout: 60_000 },
    async () => {
      const client = new GatewayClient({ url: stack.url, token });
      const csv = await devicesCsv(["api-1", "api-2"]);
      const { createDeviceRegistrationBatch: created } = await client.request(
        CreateDeviceRegistrationBatchDocument,
        {
          input: {
            deviceGroupId: GROUP,
            certificatePolicyId: POLICY,
            name: "from the API",
            file: new Blob([csv]),
          },
        },
      );
      expect(created.__typename).toBe("DeviceRegistrationBatchCreated");
      const jobId = (created as { jobId: string }).jobId;

      await page.click('nav button[data-tab="jobs"]');
      const seen = await statusesOf(jobId, "COMPLETE", 30_000);
      expect(seen.at(-1)).toBe("COMPLETE");
      // Live: states before the last were shown, with no reload or refresh in between.
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(sockets).toContain(`ws://${origin.host}/graphql`);
      const report = page.locator(`#job-report[data-job-id="${jobId}"]`);
      await report.waitFor({ state: "visible", timeout: 10_000 });
      await expect.poll(() => report.locator("tbody tr").allInnerTexts()).toHaveLength(2);
      const lines = await report.locator("tbody tr").allInnerTexts();
      expect(lines[0]).toMatch(/^1\s+api-1\s+SUCCESS\s+[0-9a-f-]{36}/);
      expect(lines[1]).toMatch(/^2\s+api-2\s+SUCCESS\s+[0-9a-f-]{36}/);
      await shot("job-report");
      expectClean();
    },
  );

  async function chooseFile(name: string, text: string): Promise<void> {
    await page.click('nav button[data-tab="upload"]');
    await page.selectOption("#up-group", GROUP);
    await page.selectOption("#up-policy", POLICY);
    await page.fill("#up-name", name);
    await page.setInputFiles("#up-file", { name, mimeType: "text/csv", buffer: Buffer.from(text) });
  }

  it("shows a bad CSV's problems by row and column and sends nothing", { timeout: 30_000 }, async () => {
    stack.simulator.resetCounters();
    const good = await devicesCsv(["ok-1"]);
    await chooseFile("bad.csv", `${good}=calc,,not a csr\r\n`);
    const box = page.locator("#up-problems");
    await box.waitFor({ state: "visible" });
    const lines = await box.locator("tbody tr").allInnerTexts();
    expect(
      lines.some((l) => /^2\s+subject\.common_name\s+The subject\.common_name cell is empty/.test(l)),
    ).toBe(true);
    expect(lines.some((l) => /^2\s+device_name\s+The cell starts with "="/.test(l))).toBe(true);
    expect(lines.some((l) => /^2\s+csr\s+The csr cell is not a PEM/.test(l))).toBe(true);
    expect(lines.some((l) => /^1\s/.test(l))).toBe(false);
    expect(await page.locator("#up-send").isDisabled()).toBe(true);
    await shot("upload-refused");
    expect(uploads).toEqual([]);
    expect(stack.simulator.requestCount(JOBS_ROUTE)).toBe(0);
    expectClean();
  });

  it(
    "uploads a good CSV with progress, and its job appears and reaches COMPLETE",
    { timeout: 60_000 },
    async () => {
      stack.simulator.resetCounters();
      await chooseFile("devices.csv", await devicesCsv(["web-1", "web-2", "web-3"]));
      await expect.poll(() => page.locator("#up-problems").isHidden()).toBe(true);
      await expect.poll(() => page.locator("#up-send").isEnabled()).toBe(true);
      await page.click("#up-send");
      await expect.poll(() => page.locator("#up-result").innerText()).toMatch(/^Job [0-9a-f-]{36} created/);
      const jobId = /^Job ([0-9a-f-]{36})/.exec(await page.locator("#up-result").innerText())![1]!;
      expect(await page.locator("#up-progress").evaluate((p: HTMLProgressElement) => p.value)).toBe(1);
      expect(uploads).toHaveLength(1);
      expect(stack.simulator.requestCount(JOBS_ROUTE)).toBe(1);
      // The page moved to the jobs tab, where the new job is followed live.
      const seen = await statusesOf(jobId, "COMPLETE", 30_000);
      expect(seen.at(-1)).toBe("COMPLETE");
      expect(seen.length).toBeGreaterThanOrEqual(2);
      const report = page.locator(`#job-report[data-job-id="${jobId}"]`);
      await report.waitFor({ state: "visible", timeout: 10_000 });
      await expect.poll(() => report.locator("tbody tr").count()).toBe(3);
      await shot("upload-complete");
      expectClean();
    },
  );

  it(
    "asks for a token when none is injected and keeps it in sessionStorage only",
    { timeout: 30_000 },
    async () => {
      const asking = await context.newPage();
      const requested: string[] = [];
      asking.on("request", (request) => requested.push(request.url()));
      await asking.goto(new URL("/portal-ask", origin).href, { waitUntil: "load" });
      await asking.locator("#token-form").waitFor({ state: "visible" });
      await asking.fill("#token-input", token);
      await asking.click("#token-form button[type=submit]");
      await started(asking);
      expect(await asking.locator("#inv-table tbody tr").count()).toBeGreaterThan(0);
      const stored = await asking.evaluate(() => ({
        session: sessionStorage.getItem("portal.token"),
        local: localStorage.length,
        cookie: document.cookie,
      }));
      expect(stored).toEqual({ session: token, local: 0, cookie: "" });
      for (const url of requested) expect(url).not.toContain(token);
      await asking.close();
    },
  );
});
