import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { configErrorOf } from "../helpers/config.js";

const dir = mkdtempSync(join(tmpdir(), "gw-config-pq-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DOCUMENT = "query Serial($s: SerialNumber!) { certificate(serialNumber: $s) { serialNumber } }";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

let files = 0;
function manifestFile(content: unknown): string {
  const path = join(dir, `manifest-${files++}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const errorOf = configErrorOf;

describe("loadConfig: persisted operations", () => {
  it("leaves both off by default, GraphiQL on", () => {
    const config = loadConfig({});
    expect(config.defences.persistedOperations).toEqual({ trustedDocuments: null, apq: null });
    expect(config.graphiql).toBe(true);
  });

  it("reads a client-preset manifest, with or without the sha256: prefix, as trusted-only with GraphiQL off", () => {
    const other = "{ certificates(first: 1) { totalCount } }";
    const path = manifestFile({
      [`sha256:${sha256(DOCUMENT)}`]: DOCUMENT,
      [sha256(other).toUpperCase()]: other,
    });
    const config = loadConfig({ TRUSTED_DOCUMENTS_FILE: path });
    const trusted = config.defences.persistedOperations!.trustedDocuments!;
    expect(trusted.allowArbitrary).toBe(false);
    expect([...trusted.documents]).toEqual([
      [sha256(DOCUMENT), DOCUMENT],
      [sha256(other), other],
    ]);
    expect(config.graphiql).toBe(false);
    const staging = loadConfig({ TRUSTED_DOCUMENTS_FILE: path, TRUSTED_DOCUMENTS_ALLOW_ARBITRARY: "true" });
    expect(staging.defences.persistedOperations!.trustedDocuments!.allowArbitrary).toBe(true);
    expect(staging.graphiql).toBe(true);
  });

  it("refuses a manifest it cannot read, or that is not JSON, naming the variable and the file", () => {
    const missing = join(dir, "nowhere.json");
    const unreadable = errorOf({ TRUSTED_DOCUMENTS_FILE: missing });
    expect(unreadable.variable).toBe("TRUSTED_DOCUMENTS_FILE");
    expect(unreadable.message).toContain(missing);
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile("{ not json") }).message).toMatch(/is not JSON/);
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile([DOCUMENT]) }).message).toMatch(/one JSON object/);
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile({}) }).message).toMatch(/holds no documents/);
  });

  it("refuses a hash that is not the SHA-256 of its document, and says when it looks like SHA-1", () => {
    const wrong = errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile({ [sha256("other")]: DOCUMENT }) });
    expect(wrong.variable).toBe("TRUSTED_DOCUMENTS_FILE");
    expect(wrong.message).toContain(`"${sha256("other")}" is not the SHA-256 of its document`);
    const tampered = errorOf({
      TRUSTED_DOCUMENTS_FILE: manifestFile({ [sha256(DOCUMENT)]: `${DOCUMENT} ` }),
    });
    expect(tampered.message).toMatch(/is not the SHA-256 of its document/);
    const legacy = errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile({ [sha1(DOCUMENT)]: DOCUMENT }) });
    expect(legacy.message).toMatch(/looks like SHA-1.*hashAlgorithm: "sha256"/);
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile({ "not-a-hash": DOCUMENT }) }).message).toMatch(
      /is not a SHA-256 hex digest/,
    );
  });

  it("refuses a document that is not GraphQL or not a string", () => {
    const broken = "query {";
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile({ [sha256(broken)]: broken }) }).message).toMatch(
      /is not valid GraphQL/,
    );
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: manifestFile({ [sha256("1")]: 1 }) }).message).toMatch(
      /must be a non-empty string/,
    );
  });

  it("serves the portal by default only on the simulator, and refuses it with trusted-only", () => {
    expect(loadConfig({}).portal).toBe(true);
    const tenant = {
      DIGICERT_BASE_URL: "https://one.digicert.com",
      DIGICERT_API_KEY: "k",
      AUTH_JWKS_URL: "https://login.example.com/.well-known/jwks.json",
      AUTH_ISSUER: "https://login.example.com/",
      AUTH_AUDIENCE: "digicert-gateway",
    };
    expect(loadConfig(tenant).portal).toBe(false);
    expect(loadConfig({ ...tenant, PORTAL: "true" }).portal).toBe(true);
    const path = manifestFile({ [sha256(DOCUMENT)]: DOCUMENT });
    expect(loadConfig({ TRUSTED_DOCUMENTS_FILE: path }).portal).toBe(false);
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: path, PORTAL: "true" }).variable).toBe("PORTAL");
  });

  it("refuses APQ and GraphiQL with trusted-only, and the allow switch without a manifest", () => {
    const path = manifestFile({ [sha256(DOCUMENT)]: DOCUMENT });
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: path, APQ: "true" }).variable).toBe("APQ");
    expect(errorOf({ TRUSTED_DOCUMENTS_FILE: path, GRAPHIQL: "true" }).variable).toBe("GRAPHIQL");
    expect(errorOf({ TRUSTED_DOCUMENTS_ALLOW_ARBITRARY: "true" }).variable).toBe(
      "TRUSTED_DOCUMENTS_ALLOW_ARBITRARY",
    );
    const both = loadConfig({
      TRUSTED_DOCUMENTS_FILE: path,
      TRUSTED_DOCUMENTS_ALLOW_ARBITRARY: "yes",
      APQ: "on",
    });
    expect(both.defences.persistedOperations!.apq).not.toBeNull();
  });

  it("turns APQ on with its bounds, and names a bad one", () => {
    expect(loadConfig({ APQ: "true" }).defences.persistedOperations!.apq).toEqual({
      maxEntries: 1000,
      maxBytes: 8 * 1024 * 1024,
      ttlSeconds: 3600,
    });
    expect(
      loadConfig({ APQ: "true", APQ_CACHE_SIZE: "50", APQ_CACHE_BYTES: "65536", APQ_TTL_SECONDS: "60" })
        .defences.persistedOperations!.apq,
    ).toEqual({ maxEntries: 50, maxBytes: 65536, ttlSeconds: 60 });
    expect(errorOf({ APQ: "maybe" }).variable).toBe("APQ");
    expect(errorOf({ APQ: "true", APQ_CACHE_SIZE: "0" }).variable).toBe("APQ_CACHE_SIZE");
    expect(errorOf({ APQ: "true", APQ_TTL_SECONDS: "-5" }).variable).toBe("APQ_TTL_SECONDS");
  });
});
