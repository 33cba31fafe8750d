import * as x509 from "@peculiar/x509";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROFILE_IDS, type Simulator, startSimulator } from "../../simulator/index.js";
import { api, issueBody, keyPair, makeCsr } from "./helpers.js";

let sim: Simulator;
const agents: Agent[] = [];

function agent(connect: { cert?: string; key?: string; servername?: string } = {}): Agent {
  const created = new Agent({ connect: { ca: sim.rootCertificatePem, ...connect } });
  agents.push(created);
  return created;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

beforeAll(async () => {
  sim = await startSimulator({ tls: true, seedCertificates: 5 });
});

afterAll(async () => {
  await Promise.all(agents.map((created) => created.close()));
  await sim.close();
});

describe("tls mode", () => {
  it("serves HTTPS with a certificate from the simulator's CA for 127.0.0.1 and localhost", async () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const byIp = await api(sim, "/mpki/api/v1/hello", { dispatcher: agent() });
    expect(byIp.status).toBe(200);
    const byName = await api(sim, "/mpki/api/v1/hello", { dispatcher: agent({ servername: "localhost" }) });
    expect(byName.status).toBe(200);
  });

  it("authenticates a client certificate from issueClientCertificate without an API key", async () => {
    const client = await sim.issueClientCertificate("gateway-tests");
    expect(client.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(client.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const certificate = new x509.X509Certificate(client.certificatePem);
    expect(certificate.subjectName.getField("CN")).toEqual(["gateway-tests"]);
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    const dispatcher = agent({ cert: client.certificatePem, key: client.privateKeyPem });
    const result = await api(sim, `/mpki/api/v2/profile/${PROFILE_IDS.ecdsaDevice}`, {
      apiKey: null,
      dispatcher,
    });
    expect(result.status).toBe(200);
    expect(result.json.id).toBe(PROFILE_IDS.ecdsaDevice);
  });

  it("answers 401 AUTHORIZATION_ERROR without a client certificate or API key", async () => {
    const result = await api(sim, "/mpki/api/v2/profile", { apiKey: null, dispatcher: agent() });
    expect(result.status).toBe(401);
    expect(result.json.errors[0].code).toBe("AUTHORIZATION_ERROR");
  });

  it("still accepts an API key over HTTPS", async () => {
    const result = await api(sim, "/mpki/api/v2/profile", { dispatcher: agent() });
    expect(result.status).toBe(200);
  });

  it("does not accept a certificate from another CA, nor a TLM certificate that is not an API client", async () => {
    const keys = await keyPair("p256");
    const key = await privateKeyPem(keys.privateKey);
    const foreign = await x509.X509CertificateGenerator.createSelfSigned({
      name: "CN=intruder",
      keys,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    });
    const rejected = await api(sim, "/mpki/api/v2/profile", {
      apiKey: null,
      dispatcher: agent({ cert: foreign.toString("pem"), key }),
    });
    expect(rejected.status).toBe(401);

    const issued = await api(sim, "/mpki/api/v1/certificate", {
      dispatcher: agent(),
      body: issueBody(PROFILE_IDS.webServer, await makeCsr({ key: "p256" }), "client.example.com"),
    });
    expect(issued.status).toBe(201);
    const tlmCertificate = await api(sim, "/mpki/api/v2/profile", {
      apiKey: null,
      dispatcher: agent({ cert: issued.json.certificate, key }),
    });
    expect(tlmCertificate.status).toBe(401);
  });
});
