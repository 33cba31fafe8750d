/**
 * The typed client's scripts (clients/typescript/scripts/) against the simulator and the gateway, each on port 0:
 * `expiring`, `enroll`, `renew-expiring` and `dtm-batch` run in process with a captured world (their `run`), then
 * through their real entries with tsx, and all four against a gateway that accepts only the committed manifest's
 * trusted documents.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ScriptIo } from "../../clients/typescript/scripts/lib/cli.js";
import { run as dtmBatch } from "../../clients/typescript/scripts/dtm-batch.js";
import { run as enroll } from "../../clients/typescript/scripts/enroll.js";
import { run as expiring } from "../../clients/typescript/scripts/expiring.js";
import { run as renewExpiring } from "../../clients/typescript/scripts/renew-expiring.js";
import { parseCsv } from "../../clients/typescript/src/csv.js";
import { DTM_IDS, IOT_PROFILE_IDS, PROFILE_IDS } from "../../simulator/index.js";
import { loadConfig } from "../../src/config.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack, testApp } from "../helpers/stack.js";

x509.cryptoProvider.set(crypto);

const ROOT = resolve(import.meta.dirname, "../..");
const SCRIPTS = join(ROOT, "clients/typescript/scripts");
const MANIFEST = join(ROOT, "clients/typescript/persisted-documents.json");
const DAY_MS = 86_400_000;
const JOBS_ROUTE = "POST /devicetrustmanager/certificate-batch-service/api/v1/jobs";
const RENEW_ROUTE = "POST /mpki/api/v1/certificate/:serial/renew";
const IOT_RENEW_ROUTES = ["POST", "PUT"].map((method) => `${method} /iot/api/v1/certificate/:id/renew`);

let stack: Stack;
let token: string;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "client-scripts-"));
  stack = await startStack({
    simulator: { seedCertificates: 40, pickupDelayMs: 300, dtmJobStepMs: 300 },
    uploadTmpDir: work,
  });
  token = await stack.token();
});
afterAll(async () => {
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Captured {
  io: ScriptIo;
  out(): string;
  err(): string;
  /** The GraphQL variables of every HTTP request the script sent (multipart uploads: their operations). */
  sent: Record<string, unknown>[];
}

/** A script's world: the stack's URL and a full-scope token, captured output, a fresh working directory. */
async function world(
  options: { tty?: boolean; env?: Record<string, string>; on?: Stack; cwd?: string } = {},
): Promise<Captured> {
  const target = options.on ?? stack;
  const out: string[] = [];
  const err: string[] = [];
  const sent: Record<string, unknown>[] = [];
  const cwd = options.cwd ?? (await mkdtemp(join(work, "run-")));
  const recording: typeof fetch = async (input, init) => {
    const body = init?.body;
    if (typeof body === "string") sent.push(JSON.parse(body));
    else if (body) sent.push({ multipart: true });
    return fetch(input, init);
  };
  return {
    io: {
      env: {
        GATEWAY_URL: target.url.href,
        GATEWAY_TOKEN: options.env?.["GATEWAY_TOKEN"] ?? (await target.token()),
        ...options.env,
      },
      stdout: { write: (text: string) => out.push(text) },
      stderr: { write: (text: string) => err.push(text), isTTY: options.tty ?? false },
      cwd,
      webSocketImpl: WebSocket,
      fetch: recording,
    },
    out: () => out.join(""),
    err: () => err.join(""),
    sent,
  };
}

const REQUEST = `mutation($input: RequestCertificateInput!) { requestCertificate(input: $input) {
  __typename ... on CertificateIssued { serialNumber } ... on Error { code message } } }`;

/** A certificate on the web server profile, valid `days` days (the profile allows overriding validity). */
async function issue(commonName: string, days: number, gql: Stack["gql"] = stack.gql): Promise<string> {
  const { pem } = await generateCsr({ subject: `CN=${commonName}` });
  const res = await gql<{ requestCertificate: { __typename: string; serialNumber?: string } }>(REQUEST, {
    input: {
      profileId: PROFILE_IDS.webServer,
      seatId: "ops@example.com",
      csr: pem,
      subject: { commonName },
      validity: { duration: days, unit: "DAYS" },
    },
  });
  expect(res.data?.requestCertificate.__typename, JSON.stringify(res)).toBe("CertificateIssued");
  return res.data!.requestCertificate.serialNumber!;
}

interface Listed {
  product: "TLM" | "IOT";
  serialNumber: string | null;
  validTo: string;
  status: string;
  profileId: string | null;
}

/** Every certificate of both products, read without any expiry filter: what the scripts' answers are checked against. */
async function everyCertificate(): Promise<Listed[]> {
  const listed: Listed[] = [];
  for (const [product, field, profile] of [
    ["TLM", "certificates", "profile { profileId }"],
    ["IOT", "deviceCertificates", "enrollmentProfile { profileId }"],
  ] as const) {
    let after: string | null = null;
    for (;;) {
      const res: any = await stack.gql(
        `query($after: String) { ${field}(first: 100, after: $after) {
          pageInfo { hasNextPage endCursor } edges { node { serialNumber validTo status ${profile} } } } }`,
        { after },
      );
      expect(res.errors).toBeUndefined();
      const page = res.data[field];
      for (const { node } of page.edges) {
        listed.push({
          product,
          serialNumber: node.serialNumber,
          validTo: node.validTo,
          status: node.status,
          profileId: (node.profile ?? node.enrollmentProfile)?.profileId ?? null,
        });
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
  }
  return listed;
}

function expiringWithin(all: readonly Listed[], days: number, now: Date, profileId?: string): Listed[] {
  const cutoff = now.getTime() + days * DAY_MS;
  return all.filter(
    (c) =>
      c.status === "ISSUED" &&
      Date.parse(c.validTo) <= cutoff &&
      (profileId === undefined || c.profileId === profileId),
  );
}

const key = (c: { product: string; serialNumber: string | null }) => `${c.product}:${c.serialNumber}`;

describe("expiring", () => {
  let formulaSerial: string;
  beforeAll(async () => {
    formulaSerial = await issue("=1+1.example.com", 3);
  });

  it("lists the TLM and IoT certificates that expire within N days, soonest first, as a full listing finds them", async () => {
    const now = new Date();
    const w = await world();
    w.io.now = () => now;
    expect(await expiring(["--days", "150", "--format", "json"], w.io)).toBe(0);
    const listed = JSON.parse(w.out()) as (Listed & { daysLeft: number })[];
    const expected = expiringWithin(await everyCertificate(), 150, now);
    expect(listed.map(key).sort()).toEqual(expected.map(key).sort());
    expect(new Set(listed.map((c) => c.product))).toEqual(new Set(["TLM", "IOT"]));
    const times = listed.map((c) => Date.parse(c.validTo));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const c of listed)
      expect(c.daysLeft).toBe(Math.floor((Date.parse(c.validTo) - now.getTime()) / DAY_MS));
  });

  it("asks the gateway for TLM's server-side expiry filter, IoT's list having none", async () => {
    const now = new Date();
    const w = await world();
    w.io.now = () => now;
    expect(await expiring(["--days", "30", "--product", "tlm", "--format", "json"], w.io)).toBe(0);
    expect(w.sent).toHaveLength(1);
    const filter = (w.sent[0]!["variables"] as { filter: { expiresBefore: string; statuses: string[] } })
      .filter;
    expect(Date.parse(filter.expiresBefore)).toBe(Math.floor((now.getTime() + 30 * DAY_MS) / 1000) * 1000);
    expect(filter.statuses).toEqual(["ISSUED"]);
  });

  it("writes CSV whose formula-like cells get a leading quote, and which reads back to the JSON rows", async () => {
    const now = new Date();
    const asJson = await world();
    const asCsv = await world();
    asJson.io.now = asCsv.io.now = () => now;
    expect(await expiring(["--days", "30", "--format", "json"], asJson.io)).toBe(0);
    expect(await expiring(["--days", "30", "--format", "csv"], asCsv.io)).toBe(0);
    expect(asCsv.out()).toContain(`"'=1+1.example.com"`);
    const [header, ...rows] = parseCsv(asCsv.out()).map((record) => record.cells);
    const json = JSON.parse(asJson.out()) as Record<string, unknown>[];
    expect(rows).toHaveLength(json.length);
    const cells = rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]])));
    const formula = cells.find((row) => row["serialNumber"] === formulaSerial);
    expect(formula?.["commonName"]).toBe("'=1+1.example.com");
    expect(cells.map((row) => row["serialNumber"])).toEqual(json.map((row) => row["serialNumber"]));
  });

  it("prints a table on stdout and the count on stderr", async () => {
    const w = await world();
    expect(await expiring(["--days", "30"], w.io)).toBe(0);
    const [header, ...lines] = w.out().trimEnd().split("\n");
    expect(header).toMatch(/^PRODUCT\s+SERIAL\s+COMMON NAME\s+EXPIRES\s+DAYS\s+PROFILE$/);
    expect(lines.some((line) => line.includes(formulaSerial))).toBe(true);
    expect(w.err()).toBe(`${lines.length} certificate(s) expire within 30 days.\n`);
  });

  it.each([
    ["--days", "-1"],
    ["--format", "xml"],
    ["--bogus"],
    ["--product", "tlm", "--profile", "IOT_x"],
    ["stray"],
  ])("refuses %s with exit 2 and the usage on stderr", async (...args) => {
    const w = await world();
    expect(await expiring(args, w.io)).toBe(2);
    expect(w.err()).toMatch(/^error: [\s\S]+\n\nUsage: expiring/);
    expect(w.out()).toBe("");
  });

  it("fails with exit 1 and the gateway's code for a bad token, without printing the token", async () => {
    const w = await world({ env: { GATEWAY_TOKEN: "not-a-valid-token-4711" } });
    expect(await expiring([], w.io)).toBe(1);
    expect(w.err()).toMatch(/UNAUTHENTICATED/);
    expect(w.err()).not.toContain("not-a-valid-token-4711");
  });
});

/** The certificate's public key is the key file's, and its subject the common name. */
async function expectPair(
  certFile: string,
  keyFile: string,
  commonName: string,
): Promise<x509.X509Certificate> {
  const chain = await readFile(certFile, "utf8");
  const certificate = new x509.X509Certificate(
    chain.slice(0, chain.indexOf("-----END CERTIFICATE-----") + 25),
  );
  expect(certificate.subjectName.getField("CN")).toEqual([commonName]);
  const keyDer = Buffer.from((await readFile(keyFile, "utf8")).replace(/-----[^-]+-----|\s/g, ""), "base64");
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    keyDer,
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign"],
  );
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const fromCert = await crypto.subtle.exportKey("jwk", await certificate.publicKey.export());
  expect([fromCert.x, fromCert.y]).toEqual([jwk.x, jwk.y]);
  return certificate;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe("enroll", () => {
  it("requests a certificate for a key made locally and writes the key 0600 and the certificate", async () => {
    const w = await world();
    const code = await enroll(
      [
        "--profile",
        PROFILE_IDS.webServer,
        "--cn",
        "enroll-1.example.com",
        "--dns",
        "enroll-1.example.com",
        "--chain",
      ],
      w.io,
    );
    expect(code, w.err()).toBe(0);
    const keyFile = join(w.io.cwd, "enroll-1.example.com.key.pem");
    const certFile = join(w.io.cwd, "enroll-1.example.com.cert.pem");
    expect(await modeOf(keyFile)).toBe(0o600);
    expect(await modeOf(certFile)).toBe(0o644);
    const certificate = await expectPair(certFile, keyFile, "enroll-1.example.com");
    expect((await readFile(certFile, "utf8")).match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(1);
    const { serialNumber } = JSON.parse(w.out()) as { serialNumber: string };
    expect(BigInt(`0x${serialNumber}`)).toBe(BigInt(`0x${certificate.serialNumber}`));
    const found = await stack.gql<any>(
      `query($s: SerialNumber!) { certificate(serialNumber: $s) { status } }`,
      {
        s: serialNumber,
      },
    );
    expect(found.data.certificate.status).toBe("ISSUED");
  });

  it("waits for a pending approval by polling pickup, with no progress drawing when stderr is not a terminal", async () => {
    stack.simulator.resetCounters();
    const w = await world();
    const code = await enroll(
      ["--profile", PROFILE_IDS.approval, "--cn", "approve-1.example.com", "--poll-interval", "1"],
      w.io,
    );
    expect(code, w.err()).toBe(0);
    expect(w.err()).toMatch(/awaits approval/);
    expect(w.err()).not.toMatch(/[\r\x1b]/);
    expect(
      stack.simulator.requestCount("POST /mpki/api/v1/certificate-pickup/:request_id"),
    ).toBeGreaterThanOrEqual(1);
    await expectPair(
      join(w.io.cwd, "approve-1.example.com.cert.pem"),
      join(w.io.cwd, "approve-1.example.com.key.pem"),
      "approve-1.example.com",
    );
  });

  it("draws a spinner on a terminal's stderr while it waits", async () => {
    const w = await world({ tty: true });
    expect(
      await enroll(
        ["--profile", PROFILE_IDS.approval, "--cn", "approve-2.example.com", "--poll-interval", "1"],
        w.io,
      ),
    ).toBe(0);
    expect(w.err()).toMatch(/\r\x1b\[2K[|/\\-] Request [0-9a-f-]+ awaits approval/);
    expect(w.err()).toMatch(/\r\x1b\[2KRequest [0-9a-f-]+ approved\.\n/);
  });

  it("stops waiting at --timeout, keeps the key, and --resume picks the certificate up later", async () => {
    const w = await world();
    const args = ["--profile", PROFILE_IDS.approval, "--cn", "approve-3.example.com", "--timeout", "0"];
    expect(await enroll(args, w.io)).toBe(1);
    const requestId = /--resume ([0-9a-f-]+)/.exec(w.err())?.[1];
    expect(requestId).toBeDefined();
    expect(await readdir(w.io.cwd)).toEqual(["approve-3.example.com.key.pem"]);
    const later = await world({ cwd: w.io.cwd });
    expect(
      await enroll(
        [...args.slice(0, 4), "--resume", requestId!, "--poll-interval", "1", "--timeout", "20"],
        later.io,
      ),
    ).toBe(0);
    await expectPair(
      join(w.io.cwd, "approve-3.example.com.cert.pem"),
      join(w.io.cwd, "approve-3.example.com.key.pem"),
      "approve-3.example.com",
    );
  });

  it("refuses to overwrite existing files without --force, and replaces them with it", async () => {
    const first = await world();
    const args = ["--profile", PROFILE_IDS.webServer, "--cn", "again.example.com"];
    expect(await enroll(args, first.io)).toBe(0);
    const keyFile = join(first.io.cwd, "again.example.com.key.pem");
    const before = await readFile(keyFile, "utf8");
    const second = await world({ cwd: first.io.cwd });
    expect(await enroll(args, second.io)).toBe(1);
    expect(second.err()).toMatch(/exists; pass --force/);
    expect(await readFile(keyFile, "utf8")).toBe(before);
    const forced = await world({ cwd: first.io.cwd });
    expect(await enroll([...args, "--force"], forced.io)).toBe(0);
    expect(await readFile(keyFile, "utf8")).not.toBe(before);
    expect(await modeOf(keyFile)).toBe(0o600);
    await expectPair(join(first.io.cwd, "again.example.com.cert.pem"), keyFile, "again.example.com");
  });

  it("removes the key it wrote when the request is refused, and exits 1 with the result's code", async () => {
    const w = await world();
    expect(await enroll(["--profile", PROFILE_IDS.deleted, "--cn", "refused.example.com"], w.io)).toBe(1);
    expect(w.err()).toMatch(/error: \w+Error \((VALIDATION_FAILED|PROFILE_NOT_FOUND)\)/);
    expect(await readdir(w.io.cwd)).toEqual([]);
  });
});

describe("renew-expiring", () => {
  const profile = PROFILE_IDS.webServer;
  let expected: Listed[];
  beforeAll(async () => {
    await issue("renew-a.example.com", 5);
    await issue("renew-b.example.com", 9);
    expected = expiringWithin(await everyCertificate(), 30, new Date(), profile);
  });

  it("defaults to a dry run: lists what it would renew and renews nothing", async () => {
    stack.simulator.resetCounters();
    const w = await world();
    expect(await renewExpiring(["--days", "30", "--profile", profile, "--format", "json"], w.io)).toBe(0);
    const reports = JSON.parse(w.out()) as { serialNumber: string; outcome: string }[];
    expect(reports.map((r) => `TLM:${r.serialNumber}`).sort()).toEqual(expected.map(key).sort());
    expect(new Set(reports.map((r) => r.outcome))).toEqual(new Set(["would-renew"]));
    expect(stack.simulator.requestCount(RENEW_ROUTE)).toBe(0);
    expect(await readdir(w.io.cwd)).toEqual([]);
    expect(w.err()).toMatch(/Dry run: \d+ to renew/);
  });

  it("renews each once with --apply: a rerun, from here or elsewhere, renews nothing new", async () => {
    const args = ["--days", "30", "--profile", profile, "--format", "json", "--apply", "--out", "renewed"];
    type Report = {
      serialNumber: string;
      outcome: string;
      newSerialNumber: string | null;
      detail: string | null;
    };
    stack.simulator.resetCounters();
    const first = await world();
    expect(await renewExpiring(args, first.io), first.err()).toBe(0);
    const renewed = JSON.parse(first.out()) as Report[];
    expect(renewed.length).toBe(expected.length);
    expect(renewed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(renewed.map((r) => r.outcome))).toEqual(new Set(["renewed"]));
    expect(stack.simulator.requestCount(RENEW_ROUTE)).toBe(renewed.length);
    const dir = join(first.io.cwd, "renewed");
    for (const report of renewed) {
      expect(await modeOf(join(dir, `renewal-of-${report.serialNumber}.key.pem`))).toBe(0o600);
      const found = await stack.gql<any>(
        `query($s: SerialNumber!) { certificate(serialNumber: $s) { status } }`,
        {
          s: report.newSerialNumber,
        },
      );
      expect(found.data.certificate.status).toBe("ISSUED");
    }

    // The same directory: its records say so, and nothing is asked.
    const again = await world({ cwd: first.io.cwd });
    expect(await renewExpiring(args, again.io)).toBe(0);
    expect((JSON.parse(again.out()) as Report[]).map((r) => r.outcome)).toEqual(
      renewed.map(() => "already-renewed"),
    );
    expect(again.err()).toMatch(/^0 renewed, \d+ already renewed/);

    // Another machine (no records, new keys): the gateway knows each renewal's key and renews nothing.
    const elsewhere = await world();
    expect(await renewExpiring(args, elsewhere.io)).toBe(0);
    const refused = JSON.parse(elsewhere.out()) as Report[];
    expect(refused.map((r) => r.outcome)).toEqual(renewed.map(() => "already-renewed"));
    expect(refused[0]!.detail).toMatch(/the gateway has this renewal's key/);
    expect(await readdir(join(elsewhere.io.cwd, "renewed"))).toEqual([]);

    // A run that died after the renewal but before writing the certificate: the same request gets the same answer.
    for (const report of renewed) await unlink(join(dir, `renewal-of-${report.serialNumber}.cert.pem`));
    const resumed = await world({ cwd: first.io.cwd });
    expect(await renewExpiring(args, resumed.io)).toBe(0);
    const replayed = JSON.parse(resumed.out()) as Report[];
    expect(replayed.map((r) => r.newSerialNumber)).toEqual(renewed.map((r) => r.newSerialNumber));

    expect(stack.simulator.requestCount(RENEW_ROUTE)).toBe(renewed.length);
  });
});

describe("renew-expiring on IoT certificates", () => {
  const iotRenewals = () =>
    IOT_RENEW_ROUTES.reduce((sum, route) => sum + stack.simulator.requestCount(route), 0);

  it("renews each with a CSR and its idempotency key, once", async () => {
    const profile = IOT_PROFILE_IDS.deviceFlexible;
    const expected = expiringWithin(await everyCertificate(), 150, new Date(), profile);
    expect(expected.length).toBeGreaterThan(0);
    const args = ["--days", "150", "--profile", profile, "--apply", "--format", "json", "--out", "iot"];
    stack.simulator.resetCounters();
    const first = await world();
    expect(await renewExpiring(args, first.io), first.err()).toBe(0);
    const reports = JSON.parse(first.out()) as {
      product: string;
      serialNumber: string;
      outcome: string;
      newSerialNumber: string;
    }[];
    expect(reports.map(key).sort()).toEqual(expected.map(key).sort());
    expect(new Set(reports.map((r) => r.outcome))).toEqual(new Set(["renewed"]));
    for (const r of reports) expect(r.newSerialNumber).toMatch(/^[0-9A-F]+$/);
    expect(iotRenewals()).toBe(reports.length);
    const elsewhere = await world();
    expect(await renewExpiring(args, elsewhere.io)).toBe(0);
    expect((JSON.parse(elsewhere.out()) as { outcome: string }[]).map((r) => r.outcome)).toEqual(
      reports.map(() => "already-renewed"),
    );
    expect(iotRenewals()).toBe(reports.length);
  });
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

describe("dtm-batch", () => {
  const group = DTM_IDS.deviceGroups.factoryLine;
  const policy = DTM_IDS.certificatePolicies.bootstrapClient;

  it("refuses a CSV that does not fit the policy's template, naming rows and columns, and uploads nothing", async () => {
    stack.simulator.resetCounters();
    const w = await world();
    const good = await devicesCsv(["ok-1"]);
    await writeFile(join(w.io.cwd, "bad.csv"), `${good}=calc,,not a csr\r\n`);
    expect(await dtmBatch(["--group", group, "--policy", policy, "--file", "bad.csv"], w.io)).toBe(1);
    const lines = w.err().split("\n");
    expect(lines[0]).toMatch(/bad\.csv does not fit the template .*; nothing was sent:/);
    expect(
      lines.some((line) => /^2\s+subject\.common_name\s+The subject\.common_name cell is empty/.test(line)),
    ).toBe(true);
    expect(lines.some((line) => /^2\s+device_name\s+The cell starts with "="/.test(line))).toBe(true);
    expect(lines.some((line) => /^2\s+csr\s+The csr cell is not a PEM/.test(line))).toBe(true);
    expect(stack.simulator.requestCount(JOBS_ROUTE)).toBe(0);
    expect(w.sent.filter((body) => body["multipart"])).toEqual([]);
  });

  it("checks a good file and stops with --check-only", async () => {
    stack.simulator.resetCounters();
    const w = await world();
    await writeFile(join(w.io.cwd, "devices.csv"), await devicesCsv(["check-1", "check-2"]));
    expect(
      await dtmBatch(["--group", group, "--policy", policy, "--file", "devices.csv", "--check-only"], w.io),
    ).toBe(0);
    expect(w.err()).toMatch(/devices\.csv fits the template/);
    expect(stack.simulator.requestCount(JOBS_ROUTE)).toBe(0);
  });

  let registered: string[];

  it("uploads with a progress bar, follows the job live over the subscription and prints the per-row report", async () => {
    const w = await world({ tty: true });
    registered = ["line-1", "line-2", "line-3"];
    await writeFile(join(w.io.cwd, "devices.csv"), await devicesCsv(registered));
    const code = await dtmBatch(
      ["--group", group, "--policy", policy, "--file", "devices.csv", "--format", "json"],
      w.io,
    );
    expect(code, w.err()).toBe(0);
    expect(w.err()).toMatch(/Uploading \[#+\] 100%/);
    expect(w.err()).toMatch(/Job [0-9a-f-]+: COMPLETE 3\/3 registered\n/);
    const report = JSON.parse(w.out()) as {
      status: string;
      registrations: { row: number; deviceName: string; status: string; deviceId: string | null }[];
    };
    expect(report.status).toBe("COMPLETE");
    expect(report.registrations.map((r) => [r.row, r.deviceName, r.status])).toEqual([
      [1, "line-1", "SUCCESS"],
      [2, "line-2", "SUCCESS"],
      [3, "line-3", "SUCCESS"],
    ]);
    for (const r of report.registrations) expect(r.deviceId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("reports each state change on its own line when stderr is not a terminal, and exits 1 when a row fails", async () => {
    const w = await world();
    await writeFile(join(w.io.cwd, "devices.csv"), await devicesCsv(["fresh-1", registered[1]!]));
    expect(await dtmBatch(["--group", group, "--policy", policy, "--file", "devices.csv"], w.io)).toBe(1);
    const states = w
      .err()
      .split("\n")
      .filter((line) => /^Job [0-9a-f-]+: /.test(line))
      .map((line) => line.split(": ")[1]!.split(" ")[0]);
    expect(states.at(-1)).toBe("COMPLETE");
    // Live: the job was seen before it ended (each state lasts at least 300 ms on this simulator).
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(w.err()).not.toMatch(/[\r\x1b]/);
    const rows = w.out().split("\n");
    expect(rows.find((line) => line.startsWith("1 "))).toMatch(/^1\s+fresh-1\s+SUCCESS\s+[0-9a-f-]{36}$/);
    expect(rows.find((line) => line.startsWith("2 "))).toMatch(
      new RegExp(`^2\\s+${registered[1]}\\s+FAILED\\s+\\S*.*\\S`),
    );
  });
});

describe("dtm-batch on a policy that needs approval", () => {
  const args = [
    "--group",
    DTM_IDS.deviceGroups.factoryLine,
    "--policy",
    DTM_IDS.certificatePolicies.factoryApproval,
  ];

  async function approvalCsv(dir: string, names: readonly string[]): Promise<void> {
    const lines = ["device_name,subject.common_name,subject.organization_name,subject.organization_unit,csr"];
    for (const name of names) {
      const { pem } = await generateCsr({ subject: `CN=${name}.example.com` });
      lines.push([name, `${name}.example.com`, "Example", "Factory", cell(pem)].join(","));
    }
    await writeFile(join(dir, "devices.csv"), `${lines.join("\r\n")}\r\n`);
  }

  it("stops following once the job waits for approval, and prints the processed rows", async () => {
    const w = await world();
    await approvalCsv(w.io.cwd, ["approval-1", "approval-2"]);
    expect(await dtmBatch([...args, "--file", "devices.csv", "--format", "json"], w.io), w.err()).toBe(0);
    const report = JSON.parse(w.out()) as { status: string; registrations: { deviceName: string }[] };
    expect(report.status).toBe("PENDING_APPROVAL");
    expect(report.registrations.map((r) => r.deviceName)).toEqual(["approval-1", "approval-2"]);
  });

  it("with --wait-approval keeps following until --timeout, then says so and exits 1", async () => {
    const w = await world();
    await approvalCsv(w.io.cwd, ["approval-3"]);
    const started = Date.now();
    expect(
      await dtmBatch([...args, "--file", "devices.csv", "--wait-approval", "--timeout", "2"], w.io),
    ).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(w.err()).toMatch(/Job [0-9a-f-]+: still PENDING_APPROVAL .* after 2 s; stopped following\./);
  });
});

describe("on a gateway that runs the committed manifest's trusted documents only", () => {
  let trusted: Stack;
  beforeAll(async () => {
    const persistedOperations = loadConfig({ GRAPHIQL: "false", TRUSTED_DOCUMENTS_FILE: MANIFEST }).defences
      .persistedOperations;
    trusted = await startStack({
      simulator: { seedCertificates: 5, dtmJobStepMs: 50 },
      uploadTmpDir: work,
      defences: { persistedOperations },
    });
    // Through a gateway on the same simulator that takes any document: REQUEST is in no manifest.
    const open = testApp(trusted.simulator.url, trusted.issuer);
    const url = await open.start();
    const bearer = await trusted.token();
    try {
      await issue("trusted-renew.example.com", 4, async (query, variables) => {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
          body: JSON.stringify({ query, variables }),
        });
        return (await res.json()) as never;
      });
    } finally {
      await open.stop({ graceMs: 100 });
    }
  });
  afterAll(async () => {
    await trusted?.close();
  });

  it("runs every script with persisted document ids: queries, mutations, the upload and the subscription", async () => {
    const env = { GATEWAY_PERSISTED_DOCUMENTS: "true" };
    const listed = await world({ on: trusted, env });
    expect(await expiring(["--days", "30", "--format", "json"], listed.io), listed.err()).toBe(0);
    expect((JSON.parse(listed.out()) as unknown[]).length).toBeGreaterThan(0);
    const enrolled = await world({ on: trusted, env });
    expect(
      await enroll(["--profile", PROFILE_IDS.webServer, "--cn", "trusted.example.com"], enrolled.io),
      enrolled.err(),
    ).toBe(0);
    const renewed = await world({ on: trusted, env });
    expect(
      await renewExpiring(
        ["--days", "30", "--profile", PROFILE_IDS.webServer, "--apply", "--format", "json"],
        renewed.io,
      ),
      renewed.err(),
    ).toBe(0);
    expect((JSON.parse(renewed.out()) as { outcome: string }[]).map((r) => r.outcome)).toContain("renewed");
    const batch = await world({ on: trusted, env });
    await writeFile(join(batch.io.cwd, "devices.csv"), await devicesCsv(["trusted-1"]));
    const code = await dtmBatch(
      [
        "--group",
        DTM_IDS.deviceGroups.factoryLine,
        "--policy",
        DTM_IDS.certificatePolicies.bootstrapClient,
        "--file",
        "devices.csv",
      ],
      batch.io,
    );
    expect(code, batch.err()).toBe(0);
    for (const w of [listed, enrolled, renewed, batch]) {
      for (const body of w.sent) expect(body["query"]).toBeUndefined();
    }
  });

  it("is refused there when it sends the documents' text instead", async () => {
    const w = await world({ on: trusted });
    expect(await expiring(["--days", "30"], w.io)).toBe(1);
    expect(w.err()).toMatch(/PERSISTED_QUERY_ID_REQUIRED/);
  });
});

/** Runs a script's real entry with tsx (what `npx tsx clients/typescript/scripts/<name>.ts` runs). */
function runEntry(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(SCRIPTS, `${name}.ts`), ...args], {
      cwd: work,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
  });
}

describe("the scripts' entries", () => {
  it("each prints its usage with --help and exits 0", async () => {
    const names = ["expiring", "enroll", "renew-expiring", "dtm-batch"];
    const runs = await Promise.all(names.map((name) => runEntry(name, ["--help"])));
    runs.forEach((result, i) => {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: ${names[i]} `));
      expect(result.stdout).toMatch(/GATEWAY_URL/);
    });
  }, 60_000);

  it("reads GATEWAY_URL and GATEWAY_TOKEN from the environment, and exits 2 on a usage error", async () => {
    const env = { GATEWAY_URL: stack.url.href, GATEWAY_TOKEN: token };
    const [ok, usage] = await Promise.all([
      runEntry("expiring", ["--days", "30", "--format", "json"], env),
      runEntry("renew-expiring", ["--days", "soon"], env),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as unknown[]).length).toBeGreaterThan(0);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--days must be a whole number/);
  }, 60_000);
});
