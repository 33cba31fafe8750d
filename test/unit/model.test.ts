import { describe, expect, it } from "vitest";
import { decodeBatchJob, encodeBatchJob } from "../../src/model/batch.js";
import {
  UpstreamBodyError,
  UpstreamHttpError,
  UpstreamTransportError,
} from "../../src/datasources/errors.js";
import { toInputPath, toTlmDomainError as toDomainError } from "../../src/datasources/tlm/errors.js";
import {
  toAdditionalFormats,
  toCertificate,
  toCertificateSearchPage,
  toEnrollmentOutcome,
} from "../../src/model/tlm/answers.js";
import { toWireSearchFilter } from "../../src/model/tlm/certificate.js";
import { type EnrollmentInput, toWireIssueRequest } from "../../src/model/tlm/enrollment.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DomainError,
  DuplicateCertificateError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  UpstreamAuthenticationError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import { parseRequestId, parseSerialNumber, parseUuid, type Uuid } from "../../src/model/ids.js";
import { toProfile, toProfileList } from "../../src/model/tlm/profile.js";
import { generateCsr, selfSignedCertificate, tamperedCsr } from "../helpers/pki.js";

const PROFILE = "d6743d9a-fb67-4a64-a33e-8a3229d28cc4" as Uuid;

describe("identifiers", () => {
  it("accept hex serials up to 40 characters and normalise them to uppercase", () => {
    expect(parseSerialNumber("0f6f55")).toBe("0F6F55");
    expect(() => parseSerialNumber("a".repeat(41))).toThrow(ValidationError);
    expect(() => parseSerialNumber("../etc")).toThrow(ValidationError);
    expect(() => parseSerialNumber("")).toThrow(ValidationError);
  });

  it("accept UUIDs only, lowercased", () => {
    expect(parseUuid(PROFILE.toUpperCase(), "id")).toBe(PROFILE);
    expect(() => parseUuid("//evil.example/x", "id")).toThrow(ValidationError);
  });

  it("accept request ids of letters, digits and dashes", () => {
    expect(parseRequestId("5f0c-12")).toBe("5f0c-12");
    expect(() => parseRequestId("a/b")).toThrow(ValidationError);
    expect(() => parseRequestId("..")).toThrow(ValidationError);
  });
});

/** What `run` throws, or undefined. */
function thrown(run: () => unknown): unknown {
  try {
    run();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** A certificate's DER as bare base64, the way S1's details example carries it. */
function bareBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, "");
}

/** The gateway's normalised PEM: 64 columns (as @peculiar/x509 writes), "\n", a trailing "\n". */
async function certificatePem(commonName?: string): Promise<string> {
  return `${(await selfSignedCertificate(commonName)).trimEnd()}\n`;
}

describe("toCertificate", () => {
  it("maps TLM's details, uppercasing the lowercase status", async () => {
    const pem = await certificatePem("host1.example.com");
    const certificate = toCertificate({
      serial_number: "0f6f55555658a989",
      status: "revoked",
      common_name: "host1.example.com",
      certificate: pem,
      thumbprint: "fe0e",
      valid_from: "2026-01-01T00:00:00Z",
      valid_to: "2027-01-01T00:00:00Z",
      profile: { id: PROFILE.toUpperCase(), name: "P" },
      seat: { seat_id: "ops@example.com" },
      revocation: { reason: "key_compromise", revocation_date: "2026-02-01T00:00:00Z", comments: "leaked" },
    });
    expect(certificate).toMatchObject({
      serialNumber: "0F6F55555658A989",
      status: "REVOKED",
      thumbprint: "FE0E",
      pem,
      profileId: PROFILE,
      seatId: "ops@example.com",
      revocation: { reason: "KEY_COMPROMISE", comments: "leaked" },
    });
    expect(certificate.validTo?.toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it("maps an unknown status to UNKNOWN rather than failing", () => {
    expect(toCertificate({ serial_number: "01", status: "weird", certificate: "x" }).status).toBe("UNKNOWN");
  });

  it("refuses details without a readable serial, the one thing that identifies them", () => {
    for (const serial of ["zz", "", undefined, 42]) {
      expect(() => toCertificate({ serial_number: serial, status: "issued" })).toThrow(
        UpstreamInvalidResponseError,
      );
    }
    expect(() => toCertificate(null)).toThrow(UpstreamInvalidResponseError);
    expect(() => toCertificate([])).toThrow(UpstreamInvalidResponseError);
  });

  it("reads details without a certificate (present only once issued) with a null pem, keeping the rest", () => {
    const certificate = toCertificate({
      serial_number: "01",
      status: "pending",
      common_name: "wait.example.com",
    });
    expect(certificate).toMatchObject({
      serialNumber: "01",
      status: "PENDING",
      commonName: "wait.example.com",
    });
    expect(certificate.pem).toBeNull();
  });

  it("normalises a bare base64 DER certificate to the same PEM as its PEM form", async () => {
    const pem = await certificatePem();
    const fromBase64 = toCertificate({ serial_number: "01", status: "issued", certificate: bareBase64(pem) });
    const wrapped = bareBase64(pem).replace(/(.{76})/g, "$1\r\n");
    const fromWrapped = toCertificate({ serial_number: "01", status: "issued", certificate: wrapped });
    expect(fromBase64.pem).toBe(pem);
    expect(fromWrapped.pem).toBe(pem);
  });

  it("reads prose in place of a certificate as no certificate, not as a failure", () => {
    const certificate = toCertificate({
      serial_number: "01",
      status: "issued",
      certificate: "not a certificate!",
    });
    expect(certificate.pem).toBeNull();
  });

  it("reads colon serials, zone-less timestamps as UTC and epoch milliseconds", () => {
    const certificate = toCertificate({
      serial_number: "0f:6f:55:55",
      status: "ISSUED",
      valid_from: "2026-03-01 10:00:00",
      valid_to: 1_803_000_000_000,
      thumbprint: "fe:0e:fd",
    });
    expect(certificate.serialNumber).toBe("0F6F5555");
    expect(certificate.validFrom?.toISOString()).toBe("2026-03-01T10:00:00.000Z");
    expect(certificate.validTo?.toISOString()).toBe(new Date(1_803_000_000_000).toISOString());
    expect(certificate.thumbprint).toBe("FE0EFD");
  });
});

describe("toCertificateSearchPage", () => {
  it("keeps every item it can identify: one without a certificate or a serial never fails the page", async () => {
    const pem = await certificatePem();
    const page = toCertificateSearchPage({
      total: "3",
      offset: 0,
      limit: "10",
      items: [
        { serial_number: "0A", status: "issued", certificate: pem },
        { serial_number: "0B", status: "pending" },
        { status: "issued", certificate: pem },
        null,
      ],
    });
    expect(page.items.map((item) => [item.serialNumber, item.pem !== null])).toEqual([
      ["0A", true],
      ["0B", false],
    ]);
    expect(page).toMatchObject({ total: 3, offset: 0, limit: 10 });
  });

  it("refuses a page without an item list as an invalid response", () => {
    for (const wire of [null, [], { total: 1 }, { items: "x" }]) {
      expect(() => toCertificateSearchPage(wire)).toThrow(UpstreamInvalidResponseError);
    }
  });
});

describe("toProfile", () => {
  it("maps the tutorial's profile fields and the capitalised status", () => {
    const profile = toProfile({
      id: PROFILE,
      name: "Profile name",
      status: "Active",
      signature_algorithm: "SHA256_WITH_RSA",
      enrollment_method: "rest_api",
      override_cert_validity_via_api: true,
      private_key_attributes: { key_size: "2048" },
      certificate: {
        subject: { attributes: [{ type: "common_name", mandatory: true, multiple: false }] },
        validity: { unit: "days", duration: 365 },
        extensions: { san: { attributes: [{ type: "emails", mandatory: true }] } },
      },
    });
    expect(profile).toMatchObject({
      status: "ACTIVE",
      validityOverrideAllowed: true,
      allowedKeySizes: ["2048"],
      validity: { unit: "days", duration: 365 },
      subjectAttributes: [{ type: "common_name", mandatory: true, multiple: false, sources: [] }],
      subjectAltNameAttributes: [{ type: "emails", mandatory: true, multiple: false }],
    });
  });

  it("reads numbers sent as strings and skips attributes without a type", () => {
    const profile = toProfile({
      id: PROFILE,
      name: "P",
      status: "active",
      renewal_period_days: "30",
      renewal_window_days: "15",
      allowed_key_sizes: [2048, "P-256", null],
      certificate: {
        validity: { unit: "DAYS", duration: "90" },
        subject: { attributes: [{ mandatory: true }, "junk", { type: "country" }] },
      },
    });
    expect(profile).toMatchObject({
      status: "ACTIVE",
      renewalPeriodDays: 30,
      renewalWindowDays: 15,
      allowedKeySizes: ["2048", "P-256"],
      validity: { unit: "days", duration: 90 },
      subjectAttributes: [{ type: "country", mandatory: false }],
    });
  });

  it("refuses a profile without a UUID and a name", () => {
    expect(() => toProfile({ id: "nope", name: "P" })).toThrow(UpstreamInvalidResponseError);
    expect(() => toProfile({ id: PROFILE })).toThrow(UpstreamInvalidResponseError);
    expect(() => toProfile("x")).toThrow(UpstreamInvalidResponseError);
  });
});

describe("toProfileList", () => {
  const one = { id: PROFILE, name: "P", status: "Active" };

  it("reads a bare array and each known envelope alike", () => {
    for (const wire of [[one], { items: [one] }, { records: [one] }, { profiles: [one] }]) {
      expect(toProfileList(wire).map((p) => p.id)).toEqual([PROFILE]);
    }
  });

  it("leaves out a profile it cannot identify and keeps the others", () => {
    expect(toProfileList([{ id: "x" }, one, 7]).map((p) => p.id)).toEqual([PROFILE]);
  });

  it("refuses anything else as an invalid response, never a masked internal error", () => {
    for (const wire of [null, "[]", { data: [one] }, { items: one }, 3]) {
      expect(() => toProfileList(wire)).toThrow(UpstreamInvalidResponseError);
    }
  });
});

describe("toEnrollmentOutcome", () => {
  it("reads an issued certificate, normalising PEM", async () => {
    const pem = await certificatePem();
    expect(
      toEnrollmentOutcome(
        { serial_number: "0a", certificate: pem.trimEnd(), delivery_format: "x509" },
        PROFILE,
      ),
    ).toEqual({ kind: "issued", serialNumber: "0A", deliveryFormat: "X509", pem, pkcs7: null });
  });

  it("keeps the chain DigiCert appended, each block normalised", async () => {
    const [leaf, ca] = [await certificatePem("leaf"), await certificatePem("ca")];
    const outcome = toEnrollmentOutcome({ serial_number: "0a", certificate: `${leaf}\n${ca}` }, PROFILE);
    expect(outcome).toMatchObject({ kind: "issued", pem: `${leaf}${ca}` });
  });

  it("returns the issued certificate by its serial even when the certificate text cannot be read", () => {
    for (const certificate of [
      undefined,
      null,
      "",
      "not a certificate!",
      "-----BEGIN CERTIFICATE-----\nAAA",
    ]) {
      expect(toEnrollmentOutcome({ serial_number: "0f:6f:55", certificate }, PROFILE)).toEqual({
        kind: "issued",
        serialNumber: "0F6F55",
        deliveryFormat: "X509",
        pem: null,
        pkcs7: null,
      });
    }
  });

  it("reads a PKCS#7 delivery as a PKCS#7, in PEM or bare base64", () => {
    const p7 = "-----BEGIN PKCS7-----\nMIIBAA==\n-----END PKCS7-----";
    for (const [certificate, format] of [
      [p7, "PKCS7"],
      ["MIIBAA==", "pkcs7"],
      ["MIIBAA==", undefined],
    ] as const) {
      const outcome = toEnrollmentOutcome(
        { serial_number: "0a", certificate, ...(format ? { delivery_format: format } : {}) },
        PROFILE,
        "PKCS7",
      );
      expect(outcome).toEqual({
        kind: "issued",
        serialNumber: "0A",
        deliveryFormat: "PKCS7",
        pem: null,
        pkcs7: "-----BEGIN PKCS7-----\nMIIBAA==\n-----END PKCS7-----\n",
      });
    }
  });

  it("reads a pending request with its profile", () => {
    expect(toEnrollmentOutcome({ status: "PENDING", request_id: "r-1" }, PROFILE)).toEqual({
      kind: "pending",
      requestId: "r-1",
      profileId: PROFILE,
    });
  });

  it("reports an answer that names nothing it can return as outcome unknown, carrying any id it held", () => {
    const cases: [unknown, Uuid | null, string | null][] = [
      [{ status: "ISSUED" }, PROFILE, null],
      [null, PROFILE, null],
      ["created", PROFILE, null],
      [{ serial_number: "not-hex-123" }, PROFILE, "not-hex-123"],
      [{ status: "PENDING", request_id: "r-2" }, null, "r-2"],
      [{ status: "REJECTED", request_id: "r-3" }, PROFILE, "r-3"],
      [{ serial_number: "<script>" }, PROFILE, null],
    ];
    for (const [wire, profileId, id] of cases) {
      const error = thrown(() => toEnrollmentOutcome(wire, profileId));
      expect(error, JSON.stringify(wire)).toBeInstanceOf(UpstreamOutcomeUnknownError);
      expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
      expect((error as UpstreamOutcomeUnknownError).code).toBe("UPSTREAM_OUTCOME_UNKNOWN");
      expect((error as UpstreamOutcomeUnknownError).id).toBe(id);
    }
  });
});

describe("toAdditionalFormats", () => {
  it("keeps the chain's order, end-entity first, normalising PEM and bare base64", async () => {
    const [leaf, root] = [await certificatePem("leaf"), await certificatePem("root")];
    expect(
      toAdditionalFormats({
        pkcs7: "-----BEGIN PKCS7-----\nMIIBAA==\n-----END PKCS7-----",
        x509_cert_chain: [
          { common_name: "leaf", cert_blob: leaf },
          { common_name: "root", cert_blob: bareBase64(root) },
        ],
      }),
    ).toEqual({
      pkcs7: "-----BEGIN PKCS7-----\nMIIBAA==\n-----END PKCS7-----\n",
      chain: [
        { commonName: "leaf", pem: leaf },
        { commonName: "root", pem: root },
      ],
    });
  });

  it("keeps an entry whose blob is unreadable in its place, as sent, and drops entries without one", async () => {
    const leaf = await certificatePem("leaf");
    const formats = toAdditionalFormats({
      x509_cert_chain: [
        { cert_blob: leaf },
        { common_name: "broken", cert_blob: "(none)" },
        { common_name: "x" },
      ],
    });
    expect(formats.chain).toEqual([
      { commonName: null, pem: leaf },
      { commonName: "broken", pem: "(none)" },
    ]);
    expect(formats.pkcs7).toBeNull();
  });
});

describe("toWireSearchFilter", () => {
  it("builds every certificate-search filter the API documents, normalised", () => {
    expect(
      toWireSearchFilter({
        profileId: PROFILE,
        seatType: "DEVICE_SEAT",
        statuses: ["ISSUED", "SUSPENDED", "ISSUED"],
        thumbprint: `${"ab:".repeat(31)}ab`,
        authorityKeyIdentifier: "0a:1b:2c",
        issuingCaId: "444FFF3A03C12BCEF463B5D2EF01985F",
        businessUnitName: "Engineering",
        expiresBefore: new Date("2026-02-01T10:00:00.900Z"),
        issuedAfter: new Date("2026-01-01T10:00:00.100Z"),
      }),
    ).toEqual({
      profile_id: PROFILE,
      seat_id: undefined,
      seat_type_id: "DEVICE_SEAT",
      common_name: undefined,
      status: "ISSUED,SUSPENDED",
      serial_number: undefined,
      thumbprint: "AB".repeat(32),
      business_unit_id: undefined,
      business_unit_name: "Engineering",
      issuing_ca_id: "444FFF3A03C12BCEF463B5D2EF01985F",
      issuing_ca_name: undefined,
      issuing_ca_serial_number: undefined,
      aki: "0A1B2C",
      // Rounded so neither bound lets in more than asked.
      valid_from: "2026-01-01T10:00:01Z",
      valid_to: "2026-02-01T10:00:00Z",
    });
  });

  it("names the filter field of each invalid value", () => {
    const cases: [Parameters<typeof toWireSearchFilter>[0], string][] = [
      [{ thumbprint: "abc" }, "filter.thumbprint"],
      [{ authorityKeyIdentifier: "xyz" }, "filter.authorityKeyIdentifier"],
      [{ authorityKeyIdentifier: "abc" }, "filter.authorityKeyIdentifier"],
      [{ issuingCaId: "../x" }, "filter.issuingCaId"],
      [{ commonName: "a\nb" }, "filter.commonName"],
      [{ status: "ISSUED", statuses: ["REVOKED"] }, "filter.statuses"],
      [{ statuses: [] }, "filter.statuses"],
    ];
    for (const [filter, field] of cases) {
      const error = thrown(() => toWireSearchFilter(filter));
      expect(error, field).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
  });
});

function http(
  status: number,
  code?: string,
  field: string | null = null,
  message = "",
  retryAfter: number | null = null,
) {
  return new UpstreamHttpError("op", status, code ? [{ code, field, message }] : [], retryAfter);
}

describe("toDomainError", () => {
  it("maps each error of the TLM tutorial to its typed error", () => {
    expect(toDomainError(http(401, "AUTHORIZATION_ERROR"), { idempotent: true })).toBeInstanceOf(
      UpstreamAuthenticationError,
    );
    expect(toDomainError(http(403, "no_access"), { idempotent: false, profileId: PROFILE })).toEqual(
      new ProfileNotFoundError(PROFILE),
    );
    const invalid = toDomainError(http(400, "invalid_input_field", "attributes.subject.common_name"), {
      idempotent: false,
    });
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).field).toBe("input.subject.commonName");
    expect(toDomainError(http(400, "duplicate_error"), { idempotent: false })).toBeInstanceOf(
      DuplicateCertificateError,
    );
  });

  it("maps a refused CSR to InvalidCsrError", () => {
    expect(toDomainError(http(400, "invalid_input_field", "csr"), { idempotent: false })).toBeInstanceOf(
      InvalidCsrError,
    );
  });

  it("recognises 'already revoked' by TLM's message", () => {
    const error = http(400, "invalid_request", null, "Certificate already has been revoked");
    expect(toDomainError(error, { idempotent: true, serialNumber: "0A" })).toBeInstanceOf(
      AlreadyRevokedError,
    );
  });

  it("maps 404 to the missing thing", () => {
    expect(
      toDomainError(http(404, "resource_not_found"), { idempotent: true, serialNumber: "0A" }),
    ).toBeInstanceOf(CertificateNotFoundError);
  });

  it("keeps Retry-After on 429 and 503", () => {
    expect(toDomainError(http(429, "request_limit_exceeded", null, "", 3), { idempotent: false })).toEqual(
      new UpstreamUnavailableError(3),
    );
  });

  it("reports a 5xx or a dropped connection on a create as outcome unknown, never as failure", () => {
    expect(toDomainError(http(500), { idempotent: false })).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(
      toDomainError(new UpstreamTransportError("op", "reset", true), { idempotent: false }),
    ).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(toDomainError(new UpstreamBodyError("op", "bad"), { idempotent: false })).toBeInstanceOf(
      UpstreamOutcomeUnknownError,
    );
  });

  it("reports a failure that never reached DigiCert as unavailable, even on a create", () => {
    expect(
      toDomainError(new UpstreamTransportError("op", "refused", false), { idempotent: false }),
    ).toBeInstanceOf(UpstreamUnavailableError);
    expect(toDomainError(http(502), { idempotent: true })).toBeInstanceOf(UpstreamUnavailableError);
  });

  it("maps a 422 on renew to RenewalNotAllowedError, and on revoke or resume to a ValidationError on the serial", () => {
    const serialNumber = "0A";
    expect(
      toDomainError(http(422, "renewal_window"), { idempotent: false, serialNumber, action: "renew" }),
    ).toBeInstanceOf(RenewalNotAllowedError);
    for (const action of ["revoke", "resume"] as const) {
      const error = toDomainError(http(422, "unprocessable"), { idempotent: true, serialNumber, action });
      expect(error, action).toBeInstanceOf(ValidationError);
      expect(error).not.toBeInstanceOf(RenewalNotAllowedError);
      expect((error as ValidationError).field).toBe("input.serialNumber");
      expect((error as ValidationError).message).toContain(serialNumber);
    }
  });

  it("maps a refused resume (400 without a field) to a ValidationError on the serial", () => {
    const error = toDomainError(
      http(400, "invalid_request", null, "Only a suspended certificate can be resumed"),
      {
        idempotent: false,
        serialNumber: "0A",
        action: "resume",
      },
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe("input.serialNumber");
    expect((error as ValidationError).message).not.toContain("Only a suspended");
  });

  it("passes unrelated errors through untouched", () => {
    const error = new TypeError("bug");
    expect(toDomainError(error, { idempotent: true })).toBe(error);
  });
});

describe("toInputPath", () => {
  it("translates TLM field names into GraphQL input paths", () => {
    expect(toInputPath("seat.seat_id")).toBe("input.seatId");
    expect(toInputPath("profile.id")).toBe("input.profileId");
    expect(toInputPath("attributes.extensions.san.dns_names")).toBe("input.subjectAltNames.dnsNames");
    expect(toInputPath("attributes.subject.domain_component")).toBe("input.subject.domainComponents");
    expect(toInputPath("attributes.subject.unique_identifier")).toBe("input.subject.uniqueIdentifier");
    expect(toInputPath("attributes.extensions.san.user_principal_names")).toBe(
      "input.subjectAltNames.userPrincipalNames",
    );
    expect(toInputPath("attributes.extensions.san.other_names.guid")).toBe(
      "input.subjectAltNames.otherNames",
    );
    expect(toInputPath("tags")).toBe("input.tags");
    expect(toInputPath("delivery_format")).toBe("input.deliveryFormat");
    expect(toInputPath("something.else")).toBe("input");
  });
});

describe("toWireIssueRequest", () => {
  async function input(overrides: Partial<EnrollmentInput> = {}): Promise<EnrollmentInput> {
    return { profileId: PROFILE, seatId: "ops@example.com", csr: (await generateCsr()).pem, ...overrides };
  }

  it("builds the live-tested body: profile.id, seat.seat_id, csr side by side", async () => {
    const body = await toWireIssueRequest(
      await input({
        subject: { commonName: "a.example.com", country: "us", organizationalUnits: ["Ops"] },
        subjectAltNames: { dnsNames: ["A.example.com"], ipAddresses: ["10.0.0.1", "::1"] },
        validity: { unit: "DAYS", duration: 30 },
      }),
    );
    expect(body).toMatchObject({
      profile: { id: PROFILE },
      seat: { seat_id: "ops@example.com" },
      delivery_format: "x509",
      include_ca_chain: false,
      validity: { unit: "days", duration: 30 },
      attributes: {
        subject: { common_name: "a.example.com", country: "US", organization_units: ["Ops"] },
        extensions: { san: { dns_names: ["a.example.com"], ip_addresses: ["10.0.0.1", "::1"] } },
      },
    });
    expect(body.csr).toContain("-----BEGIN CERTIFICATE REQUEST-----");
  });

  it("sends every subject attribute, SAN kind, tags and PKCS#7 delivery under TLM's names", async () => {
    const body = await toWireIssueRequest(
      await input({
        deliveryFormat: "PKCS7",
        tags: ["web", "prod", "web"],
        subject: {
          commonName: "Ellen Ripley",
          domainComponents: ["domain", "component"],
          uniqueIdentifier: "3a3aeb976040eed5c5d3bfb6143b7814",
          serialNumber: "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5",
          descriptions: ["some", "description"],
          unstructuredNames: ["some large and", "unstructured name"],
          unstructuredAddresses: ["Some", "unstructured", "address"],
          streetAddresses: ["4490 Wines Lane"],
          postalCode: "84123",
          pseudonym: "Ripley",
          userIdentifier: "eripley",
          dnQualifier: "q1",
          title: "Warrant Officer",
          givenName: "Ellen",
          surname: "Ripley",
          organizationIdentifier: "1.3.6.1.4.1.311.60.2.1.3",
        },
        subjectAltNames: {
          emails: ["seat-email@example.com"],
          userPrincipalNames: ["ellen.ripley@digicert.com"],
          registeredIds: ["1.2.3.4.5", "1.2.3.4.6"],
          otherNames: {
            guids: [
              "b4f5dc26-63f3-4157-83f5-729992ab10c0",
              "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
              "0x30313233343536373839616263646566",
            ],
            raw: [{ oid: "1.2.3.4.5.0", values: [{ label: "CA ID for Canada", value: "CA:id/urn" }] }],
          },
        },
      }),
    );
    // The shapes of S1's request example.
    expect(body).toMatchObject({
      delivery_format: "PKCS7",
      tags: ["web", "prod"],
      attributes: {
        subject: {
          common_name: "Ellen Ripley",
          domain_component: ["domain", "component"],
          unique_identifier: "3a3aeb976040eed5c5d3bfb6143b7814",
          serial_number: "4099ABF9C1BB7C02BBE1CDC7836CA9D58A71C2A5",
          description: ["some", "description"],
          unstructured_name: ["some large and", "unstructured name"],
          unstructured_address: ["Some", "unstructured", "address"],
          street_address: ["4490 Wines Lane"],
          postal_code: "84123",
          pseudonym: "Ripley",
          user_identifier: "eripley",
          dn_qualifier: "q1",
          title: "Warrant Officer",
          given_name: "Ellen",
          surname: "Ripley",
          organization_identifier: "1.3.6.1.4.1.311.60.2.1.3",
        },
        extensions: {
          san: {
            emails: ["seat-email@example.com"],
            user_principal_names: ["ellen.ripley@digicert.com"],
            registered_ids: ["1.2.3.4.5", "1.2.3.4.6"],
            other_names: {
              guid: [
                "b4f5dc26-63f3-4157-83f5-729992ab10c0",
                "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
                "0x30313233343536373839616263646566",
              ],
              raw_other_names: [
                { oid: "1.2.3.4.5.0", values: [{ label: "CA ID for Canada", value: "CA:id/urn" }] },
              ],
            },
          },
        },
      },
    });
    expect((await toWireIssueRequest(await input())).delivery_format).toBe("x509");
  });

  it("names the field of each invalid value", async () => {
    const cases: [Partial<EnrollmentInput>, string][] = [
      [{ subject: { domainComponents: ["ok", "é"] } }, "input.subject.domainComponents[1]"],
      [{ subject: { uniqueIdentifier: "" } }, "input.subject.uniqueIdentifier"],
      [
        { subjectAltNames: { userPrincipalNames: ["nobody"] } },
        "input.subjectAltNames.userPrincipalNames[0]",
      ],
      [{ subjectAltNames: { registeredIds: ["1.2.x"] } }, "input.subjectAltNames.registeredIds[0]"],
      [
        { subjectAltNames: { otherNames: { guids: ["{nope}"] } } },
        "input.subjectAltNames.otherNames.guids[0]",
      ],
      [
        { subjectAltNames: { otherNames: { raw: [{ oid: "x", values: [{ label: "a", value: "b" }] }] } } },
        "input.subjectAltNames.otherNames.raw[0].oid",
      ],
      [
        { subjectAltNames: { otherNames: { raw: [{ oid: "1.2.3", values: [] }] } } },
        "input.subjectAltNames.otherNames.raw[0].values",
      ],
      [{ tags: ["ok", "bad\ttag"] }, "input.tags[1]"],
      [{ seatId: "  " }, "input.seatId"],
      [{ subject: { country: "USA" } }, "input.subject.country"],
      [{ subject: { commonName: "x".repeat(65) } }, "input.subject.commonName"],
      [
        { subjectAltNames: { dnsNames: ["ok.example.com", "bad host"] } },
        "input.subjectAltNames.dnsNames[1]",
      ],
      [{ subjectAltNames: { ipAddresses: ["300.1.1.1"] } }, "input.subjectAltNames.ipAddresses[0]"],
      [{ subjectAltNames: { emails: ["nope"] } }, "input.subjectAltNames.emails[0]"],
      [{ validity: { unit: "YEARS", duration: 11 } }, "input.validity.duration"],
      [{ validity: { unit: "DAYS", duration: 0 } }, "input.validity.duration"],
    ];
    for (const [overrides, field] of cases) {
      const error = await toWireIssueRequest(await input(overrides)).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
  });

  it("refuses a CSR whose signature does not verify", async () => {
    const error = await toWireIssueRequest(await input({ csr: await tamperedCsr() })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidCsrError);
  });

  it("refuses two CSRs, junk after the CSR, and a certificate in place of a CSR", async () => {
    const { pem } = await generateCsr();
    for (const csr of [
      `${pem}${pem}`,
      `${pem}junk`,
      pem.replaceAll("CERTIFICATE REQUEST", "CERTIFICATE"),
      "",
    ]) {
      const error = await toWireIssueRequest(await input({ csr })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCsrError);
      expect((error as Error).message).not.toContain(pem.slice(40, 80));
    }
  });

  it("throws only domain errors for bad input", async () => {
    const error = await toWireIssueRequest(await input({ csr: "garbage" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
  });
});

describe("a batch job through the shared store", () => {
  it("comes back from JSON as it went, times as Dates, and anything else is refused", () => {
    const job = {
      id: "0b0c9d4e-3f1a-4a53-9e5e-6c1f0f7d2a10",
      kind: "IOT_ENROLLMENT" as const,
      name: "factory",
      status: "IN_PROGRESS" as const,
      total: 10,
      success: 4,
      failed: 1,
      createdAt: new Date("2026-12-01T10:00:00.000Z"),
      updatedAt: new Date("2026-12-01T10:05:00.000Z"),
      completedAt: null,
    };
    expect(decodeBatchJob(JSON.parse(JSON.stringify(encodeBatchJob(job))))).toEqual(job);
    expect(decodeBatchJob({ ...encodeBatchJob(job), status: "DONE" })).toBeNull();
    expect(decodeBatchJob({ ...encodeBatchJob(job), kind: "OTHER" })).toBeNull();
    expect(decodeBatchJob("job")).toBeNull();
  });
});
