import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../helpers/stack.js";

// mTLS: the gateway presents a client certificate (undici connect options) instead of an API key.
describe("client-certificate authentication", () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it("reads profiles over TLS with a client certificate and no API key", async () => {
    stack = await startStack({
      simulator: { tls: true, seedCertificates: 3 },
      credentials: async (simulator) => {
        const { certificatePem, privateKeyPem } =
          await simulator.issueClientCertificate("gateway.example.com");
        return { kind: "clientCertificate", certificatePem, privateKeyPem };
      },
    });
    expect(stack.simulator.url).toMatch(/^https:/);
    const res = await stack.gql<{ profiles: { edges: unknown[] } }>(
      "{ profiles(first: 3) { edges { node { name } } } }",
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.profiles.edges.length).toBe(3);
  });

  it("without a client certificate, DigiCert's 401 is UPSTREAM_UNAUTHENTICATED", async () => {
    stack = await startStack({
      simulator: { tls: true, seedCertificates: 0 },
      credentials: { kind: "apiKey", apiKey: "not-a-key" },
    });
    const res = await stack.gql("{ profiles(first: 1) { edges { node { name } } } }");
    expect(res.errors?.[0]?.extensions?.code).toBe("UPSTREAM_UNAUTHENTICATED");
  });
});
