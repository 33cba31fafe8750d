import "reflect-metadata";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_API_KEY, PROFILE_IDS, RESTRICTED_API_KEY } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";
import { expectNoneContain, headerText, post, type RawResponse } from "./helpers.js";

const WRONG_PASSTHROUGH_KEY = "pt-wrong-key-3b9d0c5e1a";
const ISSUE = `mutation($input: RequestCertificateInput!) {
  requestCertificate(input: $input) {
    __typename ... on CertificateIssued { serialNumber pem certificate { pem chain { pem } pkcs7 } }
    ... on ValidationError { field } ... on Error { code message }
  }
}`;

let stack: Stack;
let pass: Stack;
const logs: string[] = [];
const passLogs: string[] = [];
const bodies: string[] = [];
const headers: string[] = [];
const tokens: string[] = [];
/** PKCS#8 PEM of the CSR's private key, and the same key's JWK `d`. */
let privatePem: string;
let privateD: string;
let csr: string;
let issuedSerial: string;

function record(res: RawResponse): RawResponse {
  bodies.push(res.text);
  headers.push(headerText(res.headers));
  return res;
}

async function call(
  target: Stack,
  query: string,
  variables?: Record<string, unknown>,
  options: { token?: string | null; headers?: Record<string, string> } = {},
) {
  const token = options.token === undefined ? await target.token() : options.token;
  if (token) tokens.push(token);
  return record(await post(target.url, query, variables, { ...options, token }));
}

beforeAll(async () => {
  [stack, pass] = await Promise.all([
    startStack({ simulator: { seedCertificates: 12, pickupDelayMs: 100 }, logs }),
    startStack({ simulator: { seedCertificates: 12 }, passthroughApiKey: true, logs: passLogs }),
  ]);
  const generated = await generateCsr({
    subject: "CN=leak-check.example.com",
    dnsNames: ["leak-check.example.com"],
  });
  csr = generated.pem;
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", generated.keys.privateKey));
  privatePem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`;
  privateD = (await crypto.subtle.exportKey("jwk", generated.keys.privateKey)).d!;

  // Every operation, with and without faults, on both stacks.
  const input = { profileId: PROFILE_IDS.webServer, seatId: "ops@example.com", csr };
  const issued = await call(stack, ISSUE, { input: { ...input, idempotencyKey: "leak-1" } });
  issuedSerial = issued.json!.data!.requestCertificate.serialNumber;
  const sim = stack.simulator;
  for (const fault of [
    { kind: "reset" as const },
    { kind: "status" as const, status: 500 },
    { kind: "status" as const, status: 429, retryAfterSeconds: 9 },
    { kind: "status" as const, status: 503, retryAfterSeconds: 9 },
  ]) {
    sim.injectFault({ route: "POST /mpki/api/v1/certificate", times: 1, ...fault });
    await call(stack, ISSUE, { input });
    sim.injectFault({ route: "GET /mpki/api/v1/certificate-search", ...fault });
    await call(stack, `{ certificates(first: 2) { totalCount edges { node { serialNumber } } } }`);
    sim.clearFaults();
    sim.injectFault({ route: "GET /mpki/api/v1/certificate/:serial", ...fault });
    await call(stack, `{ certificate(serialNumber: "${issuedSerial}") { serialNumber pem } }`);
    sim.clearFaults();
    sim.injectFault({ route: "PUT /mpki/api/v1/certificate/:serial/revoke", times: 1, ...fault });
    await call(
      stack,
      `mutation { revokeCertificate(input: { serialNumber: "${issuedSerial}", reason: SUPERSEDED }) { __typename ... on Error { code message } } }`,
    );
    sim.clearFaults();
  }
  await call(
    stack,
    `mutation($s: SerialNumber!, $csr: String!) { renewCertificate(input: { serialNumber: $s, csr: $csr }) { __typename ... on Error { code message } } }`,
    { s: issuedSerial, csr },
  );
  await call(
    stack,
    `mutation { pickupCertificate(input: { requestId: "does-not-exist", profileId: "${PROFILE_IDS.approval}" }) { __typename ... on Error { code message } } }`,
  );
  // The private key pasted where a CSR belongs (a common mistake), and in other fields.
  await call(stack, ISSUE, { input: { ...input, csr: privatePem } });
  await call(stack, ISSUE, { input: { ...input, csr: `${csr}\n${privatePem}` } });
  await call(stack, ISSUE, { input: { ...input, seatId: privatePem } });
  // Refused tokens: expired, wrong tenant, and a valid one in the wrong place.
  await call(stack, `{ certificates(first: 1) { totalCount } }`, undefined, {
    token: await stack.token({ expiresInSeconds: -60 }),
  });
  await call(stack, `{ certificates(first: 1) { totalCount } }`, undefined, {
    token: await stack.token({ tenant: "nobody" }),
  });
  // Pass-through: a valid caller key, a wrong one, and faults.
  await call(pass, `{ certificates(first: 2) { totalCount } }`, undefined, {
    headers: { "x-api-key": RESTRICTED_API_KEY },
  });
  await call(pass, `{ certificates(first: 2) { totalCount } }`, undefined, {
    headers: { "x-api-key": WRONG_PASSTHROUGH_KEY },
  });
  await call(pass, ISSUE, { input }, { headers: { "x-api-key": WRONG_PASSTHROUGH_KEY } });
  pass.simulator.injectFault({ route: "POST /mpki/api/v1/certificate", kind: "reset", times: 1 });
  await call(pass, ISSUE, { input }, { headers: { "x-api-key": RESTRICTED_API_KEY } });
  pass.simulator.injectFault({ route: "GET /mpki/api/v1/certificate-search", kind: "status", status: 502 });
  await call(pass, `{ certificates(first: 2) { totalCount } }`, undefined, {
    headers: { "x-api-key": RESTRICTED_API_KEY },
  });
  pass.simulator.clearFaults();
}, 30_000);

afterAll(async () => {
  await Promise.all([stack?.close(), pass?.close()]);
});

/** The PEM's base64 lines (64 characters each), each of which alone must never appear. */
function keyLines(pem: string): Record<string, string> {
  const lines = pem.split("\n").filter((l) => l.length === 64);
  return Object.fromEntries(lines.map((line, i) => [`private key line ${i}`, line]));
}

describe("secrets never reach a sink", () => {
  it("the scenario ran: certificates were issued, faults answered, and logs were written", () => {
    expect(issuedSerial).toMatch(/^[0-9A-F]+$/);
    expect(bodies.length).toBeGreaterThan(25);
    expect(logs.length).toBeGreaterThan(10);
    expect(passLogs.length).toBeGreaterThan(0);
    const codes = new Set(bodies.flatMap((b) => [...b.matchAll(/"code":"([A-Z_]+)"/g)].map((m) => m[1])));
    for (const code of [
      "UPSTREAM_OUTCOME_UNKNOWN",
      "UPSTREAM_UNAVAILABLE",
      "UPSTREAM_UNAUTHENTICATED",
      "UNAUTHENTICATED",
    ]) {
      expect([...codes]).toContain(code);
    }
  });

  it("no API key (configured or passed through) appears in logs, bodies or headers", () => {
    expectNoneContain(
      { logs, passLogs, bodies, headers },
      { DEFAULT_API_KEY, RESTRICTED_API_KEY, WRONG_PASSTHROUGH_KEY },
    );
  });

  it("no bearer token, nor its signature, appears in logs, bodies or headers", () => {
    const needles: Record<string, string> = {};
    tokens.forEach((t, i) => {
      needles[`token ${i}`] = t;
      needles[`token ${i} signature`] = t.split(".")[2]!;
    });
    expectNoneContain({ logs, passLogs, bodies, headers }, needles);
  });

  it("the CSR's private key never appears, in PEM lines or as the JWK d value", () => {
    expectNoneContain(
      { logs, passLogs, bodies, headers },
      { ...keyLines(privatePem), "JWK d": privateD, "PKCS#8 armour": "BEGIN PRIVATE KEY" },
    );
  });

  it("the private key pasted as a CSR is refused as INVALID_CSR without echoing it", () => {
    const refused = bodies.filter((b) => b.includes("INVALID_CSR"));
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const body of refused) expect(body).not.toMatch(/PRIVATE KEY|MII/);
  });

  it("no error message names DigiCert's host, port, path or upstream error text", () => {
    const hosts = {
      "simulator host:port": new URL(stack.simulator.url).host,
      "pass-through simulator host:port": new URL(pass.simulator.url).host,
    };
    expectNoneContain({ bodies, headers }, hosts);
    const messages = bodies.flatMap((b) => {
      try {
        const json = JSON.parse(b) as { errors?: { message: string }[]; data?: unknown };
        return [
          ...(json.errors ?? []).map((e) => e.message),
          ...[...b.matchAll(/"message":"([^"]*)"/g)].map((m) => m[1]!),
        ];
      } catch {
        return [b];
      }
    });
    for (const message of messages) {
      expect(message).not.toMatch(
        /\/mpki\/|https?:\/\/|ECONN|UND_ERR|internal_error|service_unavailable|request_limit_exceeded|invalid_api_key|at .*\.ts:\d+/,
      );
    }
  });

  it("no response carries an internal stack trace or a Server/X-Powered-By banner", () => {
    for (const body of bodies) expect(body).not.toMatch(/"stack"|node_modules|\/work\//);
    for (const h of headers) expect(h).not.toMatch(/^(x-powered-by|server):/im);
  });
});
