import { describe, expect, it } from "vitest";
import {
  UpstreamBodyError,
  UpstreamHttpError,
  UpstreamTransportError,
} from "../../src/datasources/errors.js";
import { toInputPath, toTlmDomainError as toDomainError } from "../../src/datasources/tlm/errors.js";
import { toAdditionalFormats, toCertificate, toEnrollmentOutcome } from "../../src/model/tlm/certificate.js";
import { type EnrollmentInput, toWireIssueRequest } from "../../src/model/tlm/enrollment.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DomainError,
  DuplicateCertificateError,
  InvalidCsrError,
  ProfileNotFoundError,
  UpstreamAuthenticationError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import { parseRequestId, parseSerialNumber, parseUuid, type Uuid } from "../../src/model/ids.js";
import { toProfile } from "../../src/model/tlm/profile.js";
import { generateCsr, tamperedCsr } from "../helpers/pki.js";

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

describe("toCertificate", () => {
  it("maps TLM's details, uppercasing the lowercase status", () => {
    const certificate = toCertificate({
      serial_number: "0f6f55555658a989",
      status: "revoked",
      common_name: "host1.example.com",
      certificate: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----",
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
      profileId: PROFILE,
      seatId: "ops@example.com",
      revocation: { reason: "KEY_COMPROMISE", comments: "leaked" },
    });
    expect(certificate.validTo?.toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it("maps an unknown status to UNKNOWN rather than failing", () => {
    expect(toCertificate({ serial_number: "01", status: "weird", certificate: "x" }).status).toBe("UNKNOWN");
  });

  it("refuses details without a valid serial or certificate", () => {
    expect(() => toCertificate({ serial_number: "zz", status: "issued", certificate: "x" })).toThrow(
      UpstreamInvalidResponseError,
    );
    expect(() => toCertificate({ serial_number: "01", status: "issued" })).toThrow(
      UpstreamInvalidResponseError,
    );
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
      subjectAttributes: [{ type: "common_name", mandatory: true, multiple: false }],
      subjectAltNameAttributes: [{ type: "emails", mandatory: true, multiple: false }],
    });
  });
});

describe("toEnrollmentOutcome", () => {
  it("reads an issued certificate", () => {
    expect(
      toEnrollmentOutcome({ serial_number: "0a", certificate: "pem", delivery_format: "x509" }, PROFILE),
    ).toEqual({ kind: "issued", serialNumber: "0A", pem: "pem" });
  });

  it("reads a pending request with its profile", () => {
    expect(toEnrollmentOutcome({ status: "PENDING", request_id: "r-1" }, PROFILE)).toEqual({
      kind: "pending",
      requestId: "r-1",
      profileId: PROFILE,
    });
  });

  it("refuses a body that is neither", () => {
    expect(() => toEnrollmentOutcome({ status: "ISSUED" }, PROFILE)).toThrow(UpstreamInvalidResponseError);
  });
});

describe("toAdditionalFormats", () => {
  it("keeps the chain's order, end-entity first", () => {
    expect(
      toAdditionalFormats({
        pkcs7: "p7",
        x509_cert_chain: [
          { common_name: "leaf", cert_blob: "a" },
          { common_name: "root", cert_blob: "b" },
        ],
      }),
    ).toEqual({
      pkcs7: "p7",
      chain: [
        { commonName: "leaf", pem: "a" },
        { commonName: "root", pem: "b" },
      ],
    });
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

  it("names the field of each invalid value", async () => {
    const cases: [Partial<EnrollmentInput>, string][] = [
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
