import { existsSync, readFileSync } from "node:fs";
import { pino } from "pino";
import { MockAgent } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UpstreamClient } from "../../src/datasources/http.js";
import { TlmClient } from "../../src/datasources/tlm/client.js";
import {
  DuplicateCertificateError,
  ProfileNotFoundError,
  UpstreamAuthenticationError,
  ValidationError,
} from "../../src/model/errors.js";
import type { Uuid } from "../../src/model/ids.js";
import {
  toAdditionalFormats,
  toCertificate,
  toCertificateSearchPage,
  toEnrollmentOutcome,
} from "../../src/model/tlm/answers.js";
import { toProfileList } from "../../src/model/tlm/profile.js";
import { selfSignedCertificate } from "../helpers/pki.js";

// Each JSON example of DigiCert's TLM tutorial (shared/digicert-docs/trust-lifecycle-manager-request-tls-certificate.txt),
// copied verbatim into test/fixtures/digicert-docs/tlm-*.json, mapped through the model; then each variant real tenants
// send (bare base64, envelopes, numeric strings, zone-less timestamps, colon serials).

const FIXTURES = new URL("../fixtures/digicert-docs/", import.meta.url);
const DOC = new URL(
  "../../../shared/digicert-docs/trust-lifecycle-manager-request-tls-certificate.txt",
  import.meta.url,
);

function fixtureText(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}
/** A fresh parse each time, so a variant never changes another test's copy. */
function fixture(name: string): any {
  return JSON.parse(fixtureText(name));
}

const PROFILE_LIST = "tlm-profile-list.json";
const ISSUE_REQUEST = "tlm-issue-request.json";
const ISSUE_RESPONSE = "tlm-issue-response.json";
const DETAILS = "tlm-certificate-details.json";
const FORMATS = "tlm-additional-formats.json";
const ERRORS = {
  authorization: "tlm-error-authorization.json",
  noAccess: "tlm-error-no-access.json",
  invalidInput: "tlm-error-invalid-input-field.json",
  duplicate: "tlm-error-duplicate.json",
};

/** The gateway's normalised PEM of a fresh certificate, and the same certificate as bare base64 DER. */
async function certificate(commonName?: string): Promise<{ pem: string; base64: string }> {
  const pem = `${(await selfSignedCertificate(commonName)).trimEnd()}\n`;
  return { pem, base64: pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, "") };
}

/** Text without any whitespace: the fixtures are the doc's JSON as Prettier lays it out, character for character. */
function squash(text: string): string {
  return text.replace(/\s+/g, "");
}

describe("the fixtures", () => {
  it.skipIf(!existsSync(DOC))("are DigiCert's tutorial examples, verbatim but for layout", () => {
    const doc = squash(readFileSync(DOC, "utf8"));
    for (const name of [
      PROFILE_LIST,
      ISSUE_REQUEST,
      ISSUE_RESPONSE,
      DETAILS,
      FORMATS,
      ...Object.values(ERRORS),
    ]) {
      expect(doc, name).toContain(squash(fixtureText(name)));
    }
  });
});

describe("the tutorial's profile list (GET /mpki/api/v2/profile)", () => {
  it("maps every documented field of its one profile", () => {
    const [profile] = toProfileList(fixture(PROFILE_LIST));
    expect(profile).toEqual({
      id: "d6743d9a-fb67-4a64-a33e-8a3229d28cc4",
      name: "Profile name",
      status: "ACTIVE",
      signatureAlgorithm: "SHA256_WITH_RSA",
      enrollmentMethod: "rest_api",
      authenticationMethod: "third_party_app",
      validity: { unit: "days", duration: 365 },
      validityOverrideAllowed: true,
      renewalPeriodDays: 30,
      renewalWindowDays: 30,
      automatedRenewal: true,
      duplicateCertificatesAllowed: false,
      // certificate_delivery_format "pkcs7" (the example's cert_delivery_format "x509" is the fallback only).
      deliveryFormat: "PKCS7",
      keyEscrow: { enabled: true, deploymentMode: "CLOUD", dualAdminRecovery: true },
      customExtendedKeyUsages: ["1.2.840.113583.1.1.7"],
      allowedKeySizes: ["2048"],
      businessUnit: { id: "e5bf49f0-a77b-4301-85e9-c15eb12df70f", name: "Test BU" },
      subjectAttributes: [
        {
          type: "common_name",
          mandatory: true,
          multiple: false,
          sources: [
            {
              source: "ENTERED_BY_USER_DURING_ENROLLMENT",
              mandatory: true,
              fixedValue: null,
              adAttributeKey: "cn",
            },
          ],
        },
        { type: "domain_component", mandatory: true, multiple: false, sources: [] },
        {
          // The example spells this one's list `source`.
          type: "organization_name",
          mandatory: true,
          multiple: false,
          sources: [
            { source: "UPLOADED_BY_ADMIN", mandatory: false, fixedValue: null, adAttributeKey: null },
          ],
        },
        {
          type: "street_address",
          mandatory: true,
          multiple: false,
          sources: [
            { source: "AD_ATTRIBUTE", mandatory: false, fixedValue: null, adAttributeKey: "streetAddress" },
            { source: "FIXED_VALUE", mandatory: true, fixedValue: "20 Cooper Square", adAttributeKey: null },
          ],
        },
        { type: "country", mandatory: true, multiple: false, sources: [] },
        { type: "locality", mandatory: true, multiple: false, sources: [] },
        { type: "state", mandatory: true, multiple: false, sources: [] },
        { type: "postal_code", mandatory: true, multiple: false, sources: [] },
      ],
      subjectAltNameAttributes: [
        {
          type: "emails",
          mandatory: true,
          multiple: false,
          sources: [
            {
              source: "ENTERED_BY_USER_DURING_ENROLLMENT",
              mandatory: true,
              fixedValue: null,
              adAttributeKey: null,
            },
          ],
        },
        {
          type: "user_principal_names",
          mandatory: false,
          multiple: false,
          sources: [
            { source: "UPLOADED_BY_ADMIN", mandatory: false, fixedValue: null, adAttributeKey: null },
          ],
        },
      ],
    });
  });

  it("reads the same list in each envelope DigiCert's lists use", () => {
    const bare = toProfileList(fixture(PROFILE_LIST));
    for (const key of ["items", "records", "profiles"]) {
      expect(toProfileList({ [key]: fixture(PROFILE_LIST), total: 1 }), key).toEqual(bare);
    }
  });

  it("reads numbers sent as strings, and enums in another case", () => {
    const [wire] = fixture(PROFILE_LIST);
    wire.renewal_period_days = "30";
    wire.renewal_window_days = "30";
    wire.certificate.validity.duration = "365";
    wire.private_key_attributes.key_size = 2048;
    wire.status = "ACTIVE";
    wire.certificate_delivery_format = "PKCS7";
    const [profile] = toProfileList([wire]);
    expect(profile).toMatchObject({
      status: "ACTIVE",
      renewalPeriodDays: 30,
      renewalWindowDays: 30,
      validity: { unit: "days", duration: 365 },
      allowedKeySizes: ["2048"],
      deliveryFormat: "PKCS7",
    });
  });
});

describe("the tutorial's issue answer (POST /mpki/api/v1/certificate)", () => {
  const PROFILE = "d6743d9a-fb67-4a64-a33e-8a3229d28cc4" as Uuid;

  it("maps to an issued certificate with its serial, whatever its placeholder certificate reads as", () => {
    const outcome = toEnrollmentOutcome(fixture(ISSUE_RESPONSE), PROFILE);
    expect(outcome).toMatchObject({
      kind: "issued",
      serialNumber: "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5",
      deliveryFormat: "X509",
      pkcs7: null,
    });
  });

  it("reads the certificate as PEM or bare base64, and the serial with colons or in lowercase", async () => {
    const { pem, base64 } = await certificate();
    for (const [serial, text] of [
      ["4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5", pem],
      ["4099abf9c1bb7c02bbe1cdc7836ca9d58a71c2a5", base64],
      ["40:99:AB:F9:C1:BB:7C:02:BB:E1:CD:C7:83:6C:A9:D5:8A:71:C2:A5", pem.replaceAll("\n", "\r\n")],
    ]) {
      const wire = { ...fixture(ISSUE_RESPONSE), serial_number: serial, certificate: text };
      expect(toEnrollmentOutcome(wire, PROFILE)).toEqual({
        kind: "issued",
        serialNumber: "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5",
        deliveryFormat: "X509",
        pem,
        pkcs7: null,
      });
    }
  });
});

describe("the tutorial's certificate details (GET /mpki/api/v1/certificate/{serial_number})", () => {
  it("maps every documented field the gateway offers; placeholders read as null, not as failures", () => {
    expect(toCertificate(fixture(DETAILS))).toEqual({
      serialNumber: "0F6F55555658A989F0F463A4DA0D807F",
      status: "ISSUED",
      commonName: "host1.example.com",
      // "<YYYY-MM-DD>T<HH:MM:SS>Z" is a placeholder, not a date.
      validFrom: null,
      validTo: null,
      thumbprint: "FE0EFDC64AA55565556152850D2B84B46EF433444A28970F6A2A7F510A7A8880",
      // "...(Base64-encoded certificate)..." is a placeholder, not a certificate.
      pem: null,
      seatId: "some-seat-id@example.com",
      profileId: "7f606454-e011-4cfb-af90-5a13232bbd8f",
      businessUnit: { id: "12d3c45e-d3e6-46fc-7f48-91030fa5cac6", name: "Example-BU1" },
      accountId: "f3f99122-1234-567a-919b-5f692216ff85",
      notes: "Some example notes about the valid certificate",
      templateName: "Template Name",
      issuingCaName: "Issuing CA Name",
      issuingCaId: "444FFF3A03C12BCEF463B5D2EF01985F",
      securityRating: "Secure",
      revocation: null,
    });
  });

  it("reads a bare base64 DER certificate (the published spec's form) and a PEM one to the same PEM", async () => {
    const { pem, base64 } = await certificate("host1.example.com");
    for (const text of [base64, pem, pem.trimEnd()]) {
      expect(toCertificate({ ...fixture(DETAILS), certificate: text }).pem).toBe(pem);
    }
  });

  it("reads zone-less timestamps as UTC, epoch seconds and milliseconds, and a colon serial", () => {
    const certificate = toCertificate({
      ...fixture(DETAILS),
      serial_number: "0f:6f:55:55:56:58:a9:89:f0:f4:63:a4:da:0d:80:7f",
      valid_from: "2026-01-01 08:30:00",
      valid_to: "1798761600",
      revocation: { reason: "KEY_COMPROMISE", revocation_date: 1_767_225_600_000, comments: "" },
    });
    expect(certificate.serialNumber).toBe("0F6F55555658A989F0F463A4DA0D807F");
    expect(certificate.validFrom?.toISOString()).toBe("2026-01-01T08:30:00.000Z");
    expect(certificate.validTo?.toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(certificate.revocation).toEqual({
      reason: "KEY_COMPROMISE",
      revokedAt: new Date("2026-01-01T00:00:00Z"),
      comments: null,
    });
  });

  it("serves a search page of such items, with counts sent as strings", async () => {
    const { base64 } = await certificate();
    const page = toCertificateSearchPage({
      total: "2",
      offset: "0",
      limit: "20",
      items: [fixture(DETAILS), { ...fixture(DETAILS), serial_number: "0A", certificate: base64 }],
    });
    expect(page.total).toBe(2);
    expect(page.limit).toBe(20);
    expect(page.items.map((item) => [item.serialNumber, item.pem === null])).toEqual([
      ["0F6F55555658A989F0F463A4DA0D807F", true],
      ["0A", false],
    ]);
  });
});

describe("the tutorial's additional formats (GET .../additional-formats)", () => {
  it("maps the PKCS#7 and the chain, end-entity to root, with each common name", () => {
    const formats = toAdditionalFormats(fixture(FORMATS));
    expect(formats.pkcs7).toBe("-----BEGIN PKCS7-----\n...\n-----END PKCS7-----\n");
    expect(formats.chain.map((entry) => entry.commonName)).toEqual([
      "example.com",
      "Intermediate CA",
      "Root CA",
    ]);
    expect(formats.chain.every((entry) => entry.pem.startsWith("-----BEGIN CERTIFICATE-----\n"))).toBe(true);
  });

  it("reads chain blobs sent as bare base64 as PEM", async () => {
    const [leaf, root] = [await certificate("example.com"), await certificate("Root CA")];
    const wire = fixture(FORMATS);
    wire.x509_cert_chain = [
      { common_name: "example.com", cert_blob: leaf.base64 },
      { common_name: "Root CA", cert_blob: root.pem },
    ];
    expect(toAdditionalFormats(wire).chain).toEqual([
      { commonName: "example.com", pem: leaf.pem },
      { commonName: "Root CA", pem: root.pem },
    ]);
  });
});

describe("the tutorial's error answers", () => {
  const ORIGIN = "https://one.example.test";
  const PROFILE = "d6743d9a-fb67-4a64-a33e-8a3229d28cc4" as Uuid;
  let agent: MockAgent;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(async () => {
    await agent.close();
  });

  function client(): TlmClient {
    return new TlmClient(
      new UpstreamClient(
        {
          baseUrl: new URL(ORIGIN),
          credentials: { kind: "apiKey", apiKey: "k" },
          connectTimeoutMs: 1000,
          headersTimeoutMs: 1000,
          bodyTimeoutMs: 1000,
          connections: 1,
          maxResponseBytes: 1024 * 1024,
          retry: { maxAttempts: 1, budgetMs: 1000, baseDelayMs: 1, maxDelayMs: 1 },
        },
        pino({ level: "silent" }),
        agent.get(ORIGIN),
      ),
    );
  }

  const ISSUE = {
    profile: { id: PROFILE },
    seat: { seat_id: "user@example.com" },
    csr: "x",
    delivery_format: "x509",
    include_ca_chain: false,
  } as const;

  async function issueAnswered(status: number, name: string): Promise<unknown> {
    agent
      .get(ORIGIN)
      .intercept({ path: "/mpki/api/v1/certificate", method: "POST" })
      .reply(status, fixtureText(name), { headers: { "content-type": "application/json" } });
    return client()
      .issueCertificate(ISSUE)
      .catch((e: unknown) => e);
  }

  it("maps each to the typed error a caller can act on", async () => {
    expect(await issueAnswered(401, ERRORS.authorization)).toBeInstanceOf(UpstreamAuthenticationError);
    expect(await issueAnswered(403, ERRORS.noAccess)).toEqual(new ProfileNotFoundError(PROFILE));
    const invalid = await issueAnswered(400, ERRORS.invalidInput);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).field).toBe("input");
    expect(await issueAnswered(400, ERRORS.duplicate)).toBeInstanceOf(DuplicateCertificateError);
  });

  it("never passes DigiCert's message text on", async () => {
    const duplicate = (await issueAnswered(400, ERRORS.duplicate)) as Error;
    expect(duplicate.message).not.toContain("Nickname");
  });
});
