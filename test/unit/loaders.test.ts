import { describe, expect, it } from "vitest";
import type { Services } from "../../src/context.js";
import type { IotClient } from "../../src/datasources/iot/client.js";
import type { TlmClient } from "../../src/datasources/tlm/client.js";
import { createLoaders } from "../../src/loaders.js";
import { UpstreamInvalidResponseError } from "../../src/model/errors.js";
import { IdempotencyStore } from "../../src/stores/idempotency.js";
import { createParsedCertificateCache } from "../../src/stores/parsed-certificates.js";
import { selfSignedCertificate } from "../helpers/pki.js";

function services(cache = createParsedCertificateCache(10)): Services {
  return {
    tlm: {} as TlmClient,
    iot: {} as IotClient,
    dtm: {} as Services["dtm"],
    reports: {} as Services["reports"],
    jobKinds: {} as Services["jobKinds"],
    jobs: {} as Services["jobs"],
    jobScope: "t",
    parsedCertificates: cache,
    idempotency: new IdempotencyStore(),
    tenantScope: "t",
  };
}

describe("the x509 loader", () => {
  it("parses a certificate once and serves later requests from the app's cache", async () => {
    const shared = services();
    const pem = await selfSignedCertificate();
    const first = await createLoaders(shared).x509.load(pem);
    const second = await createLoaders(shared).x509.load(pem);
    expect(first.subject.commonName).toBe("cache.example.com");
    expect(second).toBe(first);
    expect(shared.parsedCertificates.size).toBe(1);
  });

  it("keeps separate apps' caches apart and never caches a failure", async () => {
    const a = services();
    const b = services();
    const pem = await selfSignedCertificate();
    expect(await createLoaders(a).x509.load(pem)).not.toBe(await createLoaders(b).x509.load(pem));
    // An unparseable certificate can only have come from DigiCert: an invalid upstream response.
    await expect(createLoaders(a).x509.load("not a certificate")).rejects.toBeInstanceOf(
      UpstreamInvalidResponseError,
    );
    expect(a.parsedCertificates.size).toBe(1);
  });

  it("holds at most the configured number of certificates", async () => {
    const cache = createParsedCertificateCache(2);
    const loaders = createLoaders(services(cache));
    for (const name of ["a.example.com", "b.example.com", "c.example.com"]) {
      await loaders.x509.load(await selfSignedCertificate(name));
    }
    expect(cache.size).toBe(2);
  });
});
