import { existsSync, readFileSync } from "node:fs";
import { inspect } from "node:util";
import * as x509 from "@peculiar/x509";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { UpstreamHttpError, UpstreamTransportError } from "../../src/datasources/errors.js";
import type {
  WireBatchDownload,
  WireBatchJob,
  WireDeviceCertificate,
  WireEnrollmentProfile,
  WireEnrollmentSpecification,
  WireIotEnrollmentResponse,
} from "../../src/model/iot/wire.js";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  DomainError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  RequestNotFoundError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import { toIotDomainError, toIotInputPath } from "../../src/datasources/iot/errors.js";
import {
  checkBatchAgainstProfile,
  type IotBatchEnrollmentInput,
  toBatchDownload,
  toIotBatchJob,
  toWireBatchEnrollment,
} from "../../src/model/iot/batch-job.js";
import {
  toDeviceCertificate,
  toDeviceCertificatePage,
  toWireCertificateFilter,
  toWireIotRevocationReason,
} from "../../src/model/iot/certificate.js";
import { toDeviceEnrollmentOutcome } from "../../src/model/iot/enrollment.js";
import {
  checkAgainstProfile,
  type IotEnrollmentInput,
  toWireIotEnrollment,
  toWireIotRenewal,
} from "../../src/model/iot/enrollment-input.js";
import {
  type BatchJobId,
  type IotProfileId,
  parseBatchJobId,
  parseDeviceCertificateId,
  parseDeviceCertificateRef,
  parseIotProfileId,
} from "../../src/model/iot/ids.js";
import { PRIVATE_KEY_REDACTED, PrivateKeyMaterial } from "../../src/model/iot/private-key.js";
import { readField, readPresent } from "../../src/model/iot/list.js";
import {
  type EnrollmentProfile,
  toEnrollmentFields,
  toEnrollmentProfile,
  toEnrollmentProfilePage,
} from "../../src/model/iot/profile.js";
import { parseCertificatePem } from "../../src/model/x509.js";
import { generateCsr, selfSignedCertificate, tamperedCsr } from "../helpers/pki.js";
import { DOC_FILE, DOCUMENTED_DOWNLOAD } from "../helpers/iot-docs.js";

x509.cryptoProvider.set(globalThis.crypto);

const PROFILE = "IOT_3370856d-f466-474a-a26f-4a8b75504aed" as IotProfileId;
const CERT_ID = "a0b778fc-d061-494d-8d47-2faadf054c21";
const JOB = "f76e728a-0139-46d3-a923-57788fbb65aa";
const SECRET_KEY_MARKER = "SECRETKEYMATERIAL";

// ---------------------------------------------------------------------------------------------
// Certificates generated at test time: root -> intermediate -> leaf, and RSA encryption certificates
// ---------------------------------------------------------------------------------------------

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: "SHA-256",
};

interface Pki {
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  rootDer: string;
  intermediateDer: string;
  encryptionPem: string;
  expiredEncryptionPem: string;
}
let pki: Pki;

async function keys(alg: typeof EC | typeof RSA) {
  return (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
}

beforeAll(async () => {
  const [rootKeys, intermediateKeys, leafKeys, rsaKeys] = await Promise.all([
    keys(EC),
    keys(EC),
    keys(EC),
    keys(RSA),
  ]);
  const day = 86_400_000;
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=Test Root CA",
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 365 * day),
    keys: rootKeys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: "02",
    subject: "CN=Test Intermediate CA",
    issuer: root.subject,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 365 * day),
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: "6bebf19f7c29d873",
    subject: "CN=sensor-001.iot.example.com",
    issuer: intermediate.subject,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 30 * day),
    publicKey: leafKeys.publicKey,
    signingKey: intermediateKeys.privateKey,
    signingAlgorithm: EC,
  });
  const encryption = (notBefore: Date, notAfter: Date, serialNumber: string) =>
    x509.X509CertificateGenerator.createSelfSigned({
      serialNumber,
      name: "CN=Key recipient",
      notBefore,
      notAfter,
      keys: rsaKeys,
      signingAlgorithm: RSA,
    });
  const encryptionCert = await encryption(new Date(Date.now() - day), new Date(Date.now() + day), "0a");
  const expired = await encryption(new Date(Date.now() - 10 * day), new Date(Date.now() - 5 * day), "0b");
  pki = {
    rootPem: `${root.toString("pem")}\n`,
    intermediatePem: `${intermediate.toString("pem")}\n`,
    leafPem: `${leaf.toString("pem")}\n`,
    rootDer: Buffer.from(root.rawData).toString("base64"),
    intermediateDer: Buffer.from(intermediate.rawData).toString("base64"),
    encryptionPem: encryptionCert.toString("pem"),
    expiredEncryptionPem: expired.toString("pem"),
  };
});

// ---------------------------------------------------------------------------------------------

describe("identifiers", () => {
  it("normalise enrollment profile ids to IOT_ and a lowercase UUID", () => {
    expect(parseIotProfileId("iot_3370856D-F466-474A-A26F-4A8B75504AED")).toBe(PROFILE);
    expect(() => parseIotProfileId("3370856d-f466-474a-a26f-4a8b75504aed")).toThrow(ValidationError);
    const error = (() => {
      try {
        return parseIotProfileId("IOT_x", "input.enrollmentProfileId");
      } catch (e) {
        return e;
      }
    })() as ValidationError;
    expect(error.field).toBe("input.enrollmentProfileId");
  });

  it("tell a certificate id from a serial number", () => {
    expect(parseDeviceCertificateRef(CERT_ID.toUpperCase())).toBe(CERT_ID);
    expect(parseDeviceCertificateRef("6bebf19f7c29d873")).toBe("6BEBF19F7C29D873");
    expect(parseDeviceCertificateId(CERT_ID)).toBe(CERT_ID);
    expect(() => parseDeviceCertificateId("6BEBF19F")).toThrow(ValidationError);
    expect(() => parseDeviceCertificateRef("zz")).toThrow(ValidationError);
  });

  it("accept UUID batch job ids only", () => {
    expect(parseBatchJobId(JOB.toUpperCase())).toBe(JOB);
    expect(() => parseBatchJobId("job-1", "id")).toThrow(ValidationError);
  });
});

// Simulator-shaped JSON (captured from simulator/routes/iot.ts answers).
const WIRE_PROFILE: WireEnrollmentProfile = {
  id: PROFILE,
  name: "IoT device (CSR)",
  status: "ACTIVE",
  key_generation_option: "client_side",
  enrollment_methods: ["API", "BATCH", "EST"],
  allowed_key_types: ["rsa_2048", "rsa_3072", "p_256", "p_384", "x_999"],
  default_key_type: "p_256",
  key_type_fixed: false,
  batch_approval_required: false,
  certificate_validity: { unit: "days", duration: 365 },
  renewal_window_days: 30,
  certificate_template: { name: "IoT Device Client Auth" },
};
const WIRE_SPEC: WireEnrollmentSpecification = {
  fields: [
    {
      id: "subject.common_name",
      name: "Common name",
      type: "certificate_profile_attribute",
      required: true,
      multiple: false,
    },
    {
      id: "subject.organization_name",
      name: "Organization",
      type: "certificate_profile_attribute",
      required: true,
      multiple: false,
      value: "Example IoT Devices",
      fixed: true,
    },
    {
      id: "san.dns_name",
      name: "DNS name",
      type: "certificate_profile_attribute",
      required: false,
      multiple: true,
    },
    {
      id: "DEVICE_IDENTIFIER",
      name: "Device identifier",
      type: "device_attribute",
      required: true,
      multiple: false,
    },
    {
      id: "5e70a21d-4ded-4ccc-b7e8-60a59b840926",
      name: "Operator",
      type: "device_attribute",
      required: false,
      multiple: false,
    },
  ],
};

function profile(overrides: Partial<EnrollmentProfile> = {}): EnrollmentProfile {
  return { ...toEnrollmentProfile(WIRE_PROFILE, WIRE_SPEC), ...overrides };
}

describe("toEnrollmentProfile", () => {
  it("maps the simulator's profile with uppercase enums, dropping values it does not know", () => {
    expect(toEnrollmentProfile(WIRE_PROFILE)).toEqual({
      id: PROFILE,
      name: "IoT device (CSR)",
      status: "ACTIVE",
      keyGenerationOption: "CLIENT_SIDE",
      enrollmentMethods: ["API", "BATCH"],
      allowedKeyTypes: ["RSA_2048", "RSA_3072", "P_256", "P_384"],
      defaultKeyType: "P_256",
      keyTypeFixed: false,
      approvalRequired: false,
      validity: { unit: "days", duration: 365 },
      renewalWindowDays: 30,
      certificateTemplateName: "IoT Device Client Auth",
      fields: null,
      unreadable: [],
    });
  });

  it("adds the enrollment specification's fields", () => {
    expect(profile().fields).toEqual([
      {
        id: "subject.common_name",
        name: "Common name",
        kind: "CERTIFICATE",
        required: true,
        multiple: false,
        fixedValue: null,
      },
      {
        id: "subject.organization_name",
        name: "Organization",
        kind: "CERTIFICATE",
        required: true,
        multiple: false,
        fixedValue: "Example IoT Devices",
      },
      {
        id: "san.dns_name",
        name: "DNS name",
        kind: "CERTIFICATE",
        required: false,
        multiple: true,
        fixedValue: null,
      },
      {
        id: "DEVICE_IDENTIFIER",
        name: "Device identifier",
        kind: "DEVICE",
        required: true,
        multiple: false,
        fixedValue: null,
      },
      {
        id: "5e70a21d-4ded-4ccc-b7e8-60a59b840926",
        name: "Operator",
        kind: "DEVICE",
        required: false,
        multiple: false,
        fixedValue: null,
      },
    ]);
  });

  it("reads a page and refuses a profile without an IoT id", () => {
    const page = toEnrollmentProfilePage({ records: [WIRE_PROFILE], total: 5, offset: 0, limit: 1 });
    expect(page).toMatchObject({ total: 5, offset: 0, limit: 1 });
    expect(page.items[0]?.id).toBe(PROFILE);
    expect(() =>
      toEnrollmentProfile({ ...WIRE_PROFILE, id: "3370856d-f466-474a-a26f-4a8b75504aed" }),
    ).toThrow(UpstreamInvalidResponseError);
    expect(() => toEnrollmentProfilePage({} as never)).toThrow(UpstreamInvalidResponseError);
  });
});

function wireRecord(overrides: Partial<WireDeviceCertificate> = {}): WireDeviceCertificate {
  return {
    id: CERT_ID,
    certificate_request_id: "4bac1325-56e8-414a-9d48-a33a64c70613",
    serial_number: "6bebf19f7c29d873",
    common_name: "sensor-001.iot.example.com",
    status: "ISSUED",
    certificate_type: "x509",
    body: `${pki.leafPem}\n`,
    chain: [
      { cert_type: "intermediate", blob: pki.intermediatePem.trim(), common_name: "Test Intermediate CA" },
      { cert_type: "root", blob: pki.rootPem.trim(), common_name: "Test Root CA" },
    ],
    thumbprint: "bf8126e2",
    valid_from: "2026-11-23T02:35:55Z",
    valid_to: "2027-11-23T02:35:55Z",
    key_type: "p_256",
    key_generation: "client_side",
    enrollment_method: "API",
    enrollment_profile: { id: PROFILE, name: "IoT device (CSR)" },
    device_identifier: "SENSOR-001",
    device_attributes: [{ id: "DEVICE_IDENTIFIER", name: "Device identifier", value: "SENSOR-001" }],
    certificate_profile_attributes: [{ id: "subject.common_name", value: "sensor-001.iot.example.com" }],
    subject: { common_name: "sensor-001.iot.example.com" },
    san: {},
    created_at: "2026-11-23T02:35:55Z",
    ...overrides,
  };
}

describe("toDeviceCertificate", () => {
  it("maps a simulator record; pem is the leaf alone, so x509 fields parse as for TLM", async () => {
    const certificate = toDeviceCertificate(wireRecord());
    expect(certificate).toMatchObject({
      id: CERT_ID,
      serialNumber: "6BEBF19F7C29D873",
      status: "ISSUED",
      commonName: "sensor-001.iot.example.com",
      deviceIdentifier: "SENSOR-001",
      enrollmentProfileId: PROFILE,
      enrollmentProfileName: "IoT device (CSR)",
      enrollmentMethod: "API",
      keyGeneration: "CLIENT_SIDE",
      keyType: "P_256",
      thumbprint: "BF8126E2",
      deviceAttributes: [{ id: "DEVICE_IDENTIFIER", name: "Device identifier", value: "SENSOR-001" }],
      certificateAttributes: [{ id: "subject.common_name", value: "sensor-001.iot.example.com" }],
      batchJobId: null,
      revocation: null,
    });
    expect(certificate.validTo?.toISOString()).toBe("2027-11-23T02:35:55.000Z");
    expect(certificate.pem).toBe(pki.leafPem);
    expect((await parseCertificatePem(certificate.pem!)).subject.commonName).toBe(
      "sensor-001.iot.example.com",
    );
    expect(certificate.chain).toEqual([
      { commonName: "Test Intermediate CA", pem: pki.intermediatePem },
      { commonName: "Test Root CA", pem: pki.rootPem },
    ]);
  });

  it("reads a revocation and a batch job", () => {
    const certificate = toDeviceCertificate(
      wireRecord({
        status: "REVOKED",
        revocation_reason: "key_compromise",
        revoked_at: "2026-12-01T00:00:00Z",
        batch_job_id: JOB,
      }),
    );
    expect(certificate.status).toBe("REVOKED");
    expect(certificate.revocation).toEqual({
      reason: "KEY_COMPROMISE",
      revokedAt: new Date("2026-12-01T00:00:00Z"),
      comments: null,
    });
    expect(certificate.batchJobId).toBe(JOB);
  });

  it("maps an unknown status to UNKNOWN and refuses only a record without a readable id", () => {
    expect(toDeviceCertificate(wireRecord({ status: "weird" })).status).toBe("UNKNOWN");
    for (const bad of [{ id: "nope" }, { id: undefined }]) {
      expect(() => toDeviceCertificate(wireRecord(bad as Partial<WireDeviceCertificate>))).toThrow(
        UpstreamInvalidResponseError,
      );
    }
    expect(() => toDeviceCertificate(null as never)).toThrow(UpstreamInvalidResponseError);
  });

  it("keeps a record whose serial or certificate cannot be read, naming those fields alone", () => {
    expect(toDeviceCertificate(wireRecord({ serial_number: "zz" }))).toMatchObject({
      id: CERT_ID,
      serialNumber: null,
      pem: pki.leafPem,
      unreadable: ["serialNumber"],
    });
    for (const body of [
      undefined,
      "",
      "no pem here",
      "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
    ]) {
      expect(toDeviceCertificate(wireRecord({ body } as Partial<WireDeviceCertificate>))).toMatchObject({
        id: CERT_ID,
        serialNumber: "6BEBF19F7C29D873",
        pem: null,
        unreadable: ["pem"],
      });
    }
  });

  it("reads a list page", () => {
    const page = toDeviceCertificatePage({ records: [wireRecord()], total: 31, offset: 20, limit: 1 });
    expect(page).toMatchObject({ total: 31, offset: 20, limit: 1 });
    expect(page.items).toHaveLength(1);
  });
});

describe("toWireCertificateFilter", () => {
  it("builds IoT's query names", () => {
    expect(
      toWireCertificateFilter({
        serialNumber: "0a1b",
        commonName: " sensor-1.example.com ",
        statuses: ["ISSUED", "REVOKED", "ISSUED"],
        enrollmentProfileId: PROFILE,
        enrollmentMethod: "BATCH",
        deviceIdentifier: "SENSOR-1",
        batchJobId: parseBatchJobId(JOB),
      }),
    ).toEqual({
      serial_number: "0A1B",
      common_name: "sensor-1.example.com",
      status: "ISSUED,REVOKED",
      enrollment_profile_id: PROFILE,
      enrollment_method: "BATCH",
      device_identifier: "SENSOR-1",
      batch_job_id: JOB,
    });
    expect(toWireCertificateFilter({ statuses: [] })).toEqual({});
  });

  it("names the filter field it refuses", () => {
    const cases: [Parameters<typeof toWireCertificateFilter>[0], string][] = [
      [{ statuses: ["PENDING"] }, "filter.statuses"],
      [{ serialNumber: "xyz" }, "filter.serialNumber"],
      [{ commonName: "" }, "filter.commonName"],
      [{ deviceIdentifier: "a\nb" }, "filter.deviceIdentifier"],
      [{ enrollmentMethod: "EST" as never }, "filter.enrollmentMethod"],
    ];
    for (const [filter, field] of cases) {
      const error = (() => {
        try {
          return toWireCertificateFilter(filter);
        } catch (e) {
          return e;
        }
      })();
      expect(error, field).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
  });
});

describe("toWireIotRevocationReason", () => {
  it("sends IoT's lowercase reasons and refuses the suspension pair", () => {
    expect(toWireIotRevocationReason("KEY_COMPROMISE")).toBe("key_compromise");
    expect(() => toWireIotRevocationReason("CERTIFICATE_HOLD")).toThrow(ValidationError);
  });
});

// ---------------------------------------------------------------------------------------------
// Enrollment outcomes and the private key
// ---------------------------------------------------------------------------------------------

function enrollResponse(overrides: Partial<WireIotEnrollmentResponse> = {}): WireIotEnrollmentResponse {
  return {
    certificate_request_id: "4bac1325-56e8-414a-9d48-a33a64c70613",
    status: "AUTO_APPROVED",
    result: "SUCCESS",
    certificate_id: CERT_ID.toUpperCase(),
    serial_number: "6bebf19f7c29d873",
    pem: `${pki.leafPem}${pki.intermediatePem}${pki.rootPem}`,
    ...overrides,
  };
}

const PEM_KEY = `-----BEGIN PRIVATE KEY-----\n${SECRET_KEY_MARKER}AAAA\n-----END PRIVATE KEY-----\n`;

describe("toDeviceEnrollmentOutcome", () => {
  it("splits the CSR answer's pem into the leaf and its chain; no private key", () => {
    const outcome = toDeviceEnrollmentOutcome(enrollResponse(), null);
    expect(outcome).toEqual({
      certificate: {
        id: CERT_ID,
        serialNumber: "6BEBF19F7C29D873",
        requestId: "4bac1325-56e8-414a-9d48-a33a64c70613",
        status: "AUTO_APPROVED",
        result: "SUCCESS",
        pem: pki.leafPem,
        chain: [
          { commonName: null, pem: pki.intermediatePem },
          { commonName: null, pem: pki.rootPem },
        ],
        unreadable: [],
      },
      privateKey: null,
      privateKeyUnreadable: false,
    });
  });

  it("types the key by the requested format: PEM text, base64 for the binary ones", () => {
    expect(
      toDeviceEnrollmentOutcome(enrollResponse({ private_key: PEM_KEY }), "PEM").privateKey?.reveal(),
    ).toEqual({
      format: "PEM",
      pem: PEM_KEY,
    });
    for (const format of ["DER", "PKCS12", "CERT_ENCRYPTED_KEY_ONLY"] as const) {
      const key = toDeviceEnrollmentOutcome(enrollResponse({ private_key: "MIGH\nAgEA" }), format).privateKey;
      expect(key?.format).toBe(format);
      expect(key?.reveal()).toEqual({ format, base64: "MIGHAgEA" });
    }
  });

  it("has no certificate PEM for CERT_ENCRYPTED, where it travels inside the bundle", () => {
    const outcome = toDeviceEnrollmentOutcome(
      enrollResponse({ pem: undefined, private_key: "MIIJBwYJ" }),
      "CERT_ENCRYPTED",
    );
    expect(outcome.certificate).toMatchObject({ id: CERT_ID, pem: null, chain: [] });
    expect(outcome.privateKey?.reveal()).toEqual({ format: "CERT_ENCRYPTED", base64: "MIIJBwYJ" });
  });

  it("drops a key sent for a CSR request; a missing key or a bad id or serial is named, never a failure", () => {
    expect(toDeviceEnrollmentOutcome(enrollResponse({ private_key: PEM_KEY }), null).privateKey).toBeNull();
    expect(toDeviceEnrollmentOutcome(enrollResponse(), "PEM")).toMatchObject({
      certificate: { id: CERT_ID, serialNumber: "6BEBF19F7C29D873", pem: pki.leafPem },
      privateKey: null,
      privateKeyUnreadable: true,
    });
    expect(
      toDeviceEnrollmentOutcome(enrollResponse({ certificate_id: "x" }), null).certificate,
    ).toMatchObject({
      id: null,
      serialNumber: "6BEBF19F7C29D873",
      unreadable: ["id"],
    });
    expect(
      toDeviceEnrollmentOutcome(enrollResponse({ serial_number: "zz" }), null).certificate,
    ).toMatchObject({
      id: CERT_ID,
      serialNumber: null,
      unreadable: ["serialNumber"],
    });
  });
});

describe("PrivateKeyMaterial", () => {
  const outcome = () => toDeviceEnrollmentOutcome(enrollResponse({ private_key: PEM_KEY }), "PEM");

  it("shows no key material to JSON, inspect, String or a pino log line", () => {
    const value = outcome();
    const json = JSON.stringify(value);
    expect(json).not.toContain(SECRET_KEY_MARKER);
    expect(JSON.parse(json).privateKey).toBe(PRIVATE_KEY_REDACTED);
    expect(inspect(value, { depth: 10, showHidden: true })).not.toContain(SECRET_KEY_MARKER);
    expect(inspect(value.privateKey)).toBe(PRIVATE_KEY_REDACTED);
    expect(String(value.privateKey)).toBe(PRIVATE_KEY_REDACTED);
    expect(`${value.privateKey}`).toBe(PRIVATE_KEY_REDACTED);
    const lines: string[] = [];
    pino({}, { write: (line: string) => lines.push(line) }).info(
      { outcome: value, key: value.privateKey },
      "enrolled",
    );
    expect(lines.join("\n")).not.toContain(SECRET_KEY_MARKER);
    expect(lines.join("\n")).toContain(PRIVATE_KEY_REDACTED);
  });

  it("is not copied by spreads, Object.assign or structuredClone", () => {
    const key = outcome().privateKey!;
    for (const copy of [{ ...key }, Object.assign({}, key), structuredClone(key)]) {
      expect(JSON.stringify(copy)).not.toContain(SECRET_KEY_MARKER);
      expect(inspect(copy, { showHidden: true })).not.toContain(SECRET_KEY_MARKER);
    }
  });

  it("reveals the value until discarded", () => {
    const key = new PrivateKeyMaterial({ format: "DER", base64: "MIGH" });
    expect(key.reveal()).toEqual({ format: "DER", base64: "MIGH" });
    key.discard();
    expect(() => key.reveal()).toThrow(Error);
  });
});

// ---------------------------------------------------------------------------------------------
// Enrollment input
// ---------------------------------------------------------------------------------------------

async function fieldOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).field;
}

function serverSide(
  keygen: Partial<NonNullable<IotEnrollmentInput["serverSideKeyGeneration"]>>,
): IotEnrollmentInput {
  return {
    enrollmentProfileId: PROFILE,
    serverSideKeyGeneration: { privateKeyFormat: "PEM", ...keygen },
    deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "SENSOR-1" }],
  };
}

describe("toWireIotEnrollment", () => {
  it("builds a CSR enrollment with trimmed attributes", async () => {
    const { pem } = await generateCsr({ subject: "CN=sensor-1.example.com" });
    const body = await toWireIotEnrollment({
      enrollmentProfileId: PROFILE,
      csr: pem,
      certificateAttributes: [{ id: " subject.common_name ", value: " sensor-1.example.com " }],
      deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "SENSOR-1" }],
    });
    expect(body).toEqual({
      enrollment_profile_id: PROFILE,
      csr: expect.stringContaining("-----BEGIN CERTIFICATE REQUEST-----"),
      certificate_profile_attributes: [{ id: "subject.common_name", value: "sensor-1.example.com" }],
      device_attributes: [{ id: "DEVICE_IDENTIFIER", value: "SENSOR-1" }],
    });
  });

  it("builds a server-side enrollment in IoT's words", async () => {
    const body = await toWireIotEnrollment(
      serverSide({
        keyType: "RSA_2048",
        privateKeyFormat: "PKCS12",
        pkcs12Password: "abcDEF123",
        privateKeySyntax: "PKCS1",
        includeCertificateChain: false,
      }),
    );
    expect(body).toEqual({
      enrollment_profile_id: PROFILE,
      device_attributes: [{ id: "DEVICE_IDENTIFIER", value: "SENSOR-1" }],
      server_side_key_gen: true,
      key_type: "rsa_2048",
      private_key_format: "pkcs_12",
      pkcs12_password: "abcDEF123",
      private_key_syntax: "pkcs1",
      include_certificate_chain: false,
    });
    expect(body).not.toHaveProperty("csr");
  });

  it("sends the encryption certificate, normalised, for the encrypted formats", async () => {
    for (const privateKeyFormat of ["CERT_ENCRYPTED", "CERT_ENCRYPTED_KEY_ONLY"] as const) {
      const body = await toWireIotEnrollment(
        serverSide({ privateKeyFormat, encryptionCertificate: pki.encryptionPem }),
      );
      expect(body.private_key_format).toBe(privateKeyFormat.toLowerCase());
      expect(body.encryption_certificate).toBe(`${pki.encryptionPem}\n`);
    }
  });

  it("wants exactly one of a CSR and server-side key generation (field input)", async () => {
    const { pem } = await generateCsr();
    expect(await fieldOf(toWireIotEnrollment({ enrollmentProfileId: PROFILE }))).toBe("input");
    expect(
      await fieldOf(
        toWireIotEnrollment({
          enrollmentProfileId: PROFILE,
          csr: pem,
          serverSideKeyGeneration: { privateKeyFormat: "PEM" },
        }),
      ),
    ).toBe("input");
  });

  it("refuses a CSR that does not parse or whose signature does not verify", async () => {
    for (const csr of ["garbage", "", await tamperedCsr()]) {
      const error = await toWireIotEnrollment({ enrollmentProfileId: PROFILE, csr }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCsrError);
    }
  });

  it("checks the PKCS#12 password and never quotes it", async () => {
    const path = "input.serverSideKeyGeneration.pkcs12Password";
    for (const pkcs12Password of [
      undefined,
      "abc12",
      "a".repeat(21),
      "pass word1",
      "pässwort1",
      "p@ssw0rd!",
    ]) {
      const error = await toWireIotEnrollment(
        serverSide({ privateKeyFormat: "PKCS12", pkcs12Password }),
      ).catch((e: unknown) => e);
      expect(error, String(pkcs12Password)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(path);
      if (pkcs12Password) {
        expect((error as Error).message).not.toContain(pkcs12Password);
        expect(JSON.stringify(error)).not.toContain(pkcs12Password);
      }
    }
    expect(
      await fieldOf(toWireIotEnrollment(serverSide({ privateKeyFormat: "DER", pkcs12Password: "abcdef12" }))),
    ).toBe(path);
  });

  it("wants an RSA encryption certificate within its validity for the encrypted formats only", async () => {
    const path = "input.serverSideKeyGeneration.encryptionCertificate";
    const ecCertificate = await selfSignedCertificate("ec.example.com");
    for (const encryptionCertificate of [
      undefined,
      "",
      "not a certificate",
      ecCertificate,
      pki.expiredEncryptionPem,
    ]) {
      expect(
        await fieldOf(
          toWireIotEnrollment(serverSide({ privateKeyFormat: "CERT_ENCRYPTED", encryptionCertificate })),
        ),
      ).toBe(path);
    }
    expect(
      await fieldOf(
        toWireIotEnrollment(
          serverSide({ privateKeyFormat: "PEM", encryptionCertificate: pki.encryptionPem }),
        ),
      ),
    ).toBe(path);
  });

  it("refuses PKCS1 for a key that is not RSA", async () => {
    expect(
      await fieldOf(toWireIotEnrollment(serverSide({ keyType: "P_256", privateKeySyntax: "PKCS1" }))),
    ).toBe("input.serverSideKeyGeneration.privateKeySyntax");
  });

  it("names the attribute it refuses", async () => {
    const cases: [Partial<IotEnrollmentInput>, string][] = [
      [
        {
          certificateAttributes: [
            { id: "subject.common_name", value: "a" },
            { id: "bad id", value: "b" },
          ],
        },
        "input.certificateAttributes[1].id",
      ],
      [
        { deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "x".repeat(257) }] },
        "input.deviceAttributes[0].value",
      ],
      [{ deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "  " }] }, "input.deviceAttributes[0].value"],
      [
        { deviceAttributes: Array.from({ length: 101 }, () => ({ id: "a", value: "b" })) },
        "input.deviceAttributes",
      ],
    ];
    for (const [overrides, field] of cases) {
      expect(await fieldOf(toWireIotEnrollment({ ...serverSide({}), ...overrides })), field).toBe(field);
    }
  });

  it("throws only domain errors for bad input", async () => {
    const error = await toWireIotEnrollment({ enrollmentProfileId: PROFILE, csr: "-----BEGIN" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
  });
});

describe("toWireIotRenewal", () => {
  it("has no profile id, and leaves out attribute lists not given (DigiCert keeps them)", async () => {
    const { pem } = await generateCsr();
    const body = await toWireIotRenewal({ csr: pem });
    expect(Object.keys(body)).toEqual(["csr"]);
    expect(
      await toWireIotRenewal({ serverSideKeyGeneration: { privateKeyFormat: "DER" }, deviceAttributes: [] }),
    ).toEqual({
      device_attributes: [],
      server_side_key_gen: true,
      private_key_format: "der",
    });
  });
});

describe("checkAgainstProfile", () => {
  it("refuses a CSR where the profile generates keys server-side, and keygen where it does not", async () => {
    const { pem } = await generateCsr();
    expect(
      await fieldOf(
        checkAgainstProfile(
          { enrollmentProfileId: PROFILE, csr: pem },
          profile({ keyGenerationOption: "SERVER_SIDE" }),
        ),
      ),
    ).toBe("input.csr");
    expect(
      await fieldOf(checkAgainstProfile(serverSide({}), profile({ keyGenerationOption: "CLIENT_SIDE" }))),
    ).toBe("input.serverSideKeyGeneration");
  });

  it("refuses a key type the profile does not allow", async () => {
    const flexible = profile({ keyGenerationOption: "CLIENT_OR_SERVER_SIDE" });
    expect(await fieldOf(checkAgainstProfile(serverSide({ keyType: "ED_25519" }), flexible))).toBe(
      "input.serverSideKeyGeneration.keyType",
    );
    await expect(checkAgainstProfile(serverSide({ keyType: "P_384" }), flexible)).resolves.toBeUndefined();
  });

  it("refuses PKCS1 when the key DigiCert will generate is not RSA", async () => {
    const flexible = profile({ keyGenerationOption: "CLIENT_OR_SERVER_SIDE" });
    expect(await fieldOf(checkAgainstProfile(serverSide({ privateKeySyntax: "PKCS1" }), flexible))).toBe(
      "input.serverSideKeyGeneration.privateKeySyntax",
    );
    const fixed = profile({
      keyGenerationOption: "SERVER_SIDE",
      keyTypeFixed: true,
      defaultKeyType: "P_384",
    });
    expect(
      await fieldOf(
        checkAgainstProfile(serverSide({ keyType: "RSA_2048", privateKeySyntax: "PKCS1" }), fixed),
      ),
    ).toBe("input.serverSideKeyGeneration.privateKeySyntax");
  });

  it("refuses a CSR whose key type the profile does not allow", async () => {
    const { pem } = await generateCsr({ key: { kind: "EC", curve: "P-384" } });
    const error = await checkAgainstProfile(
      { enrollmentProfileId: PROFILE, csr: pem },
      profile({ allowedKeyTypes: ["RSA_2048", "P_256"] }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCsrError);
    await expect(
      checkAgainstProfile({ enrollmentProfileId: PROFILE, csr: pem }, profile()),
    ).resolves.toBeUndefined();
  });

  it("refuses a profile without the API enrollment method, for enrollment only", async () => {
    const batchOnly = profile({ enrollmentMethods: ["BATCH"], keyGenerationOption: "CLIENT_OR_SERVER_SIDE" });
    expect(await fieldOf(checkAgainstProfile(serverSide({}), batchOnly))).toBe("input.enrollmentProfileId");
    await expect(
      checkAgainstProfile({ serverSideKeyGeneration: { privateKeyFormat: "PEM" } }, batchOnly),
    ).resolves.toBeUndefined();
  });

  it("checks attributes against the enrollment specification", async () => {
    const { pem } = await generateCsr();
    const base = { enrollmentProfileId: PROFILE, csr: pem };
    const cases: [Partial<IotEnrollmentInput>, string][] = [
      [
        { certificateAttributes: [{ id: "subject.country", value: "US" }] },
        "input.certificateAttributes[0].id",
      ],
      [{ deviceAttributes: [{ id: "subject.common_name", value: "x" }] }, "input.deviceAttributes[0].id"],
      [
        {
          certificateAttributes: [
            { id: "subject.common_name", value: "a" },
            { id: "SUBJECT.COMMON_NAME", value: "b" },
          ],
        },
        "input.certificateAttributes[1]",
      ],
      [
        { certificateAttributes: [{ id: "subject.organization_name", value: "Other" }] },
        "input.certificateAttributes[0].value",
      ],
    ];
    for (const [overrides, field] of cases) {
      expect(await fieldOf(checkAgainstProfile({ ...base, ...overrides }, profile())), field).toBe(field);
    }
    await expect(
      checkAgainstProfile(
        {
          ...base,
          certificateAttributes: [
            { id: "san.dns_name", value: "a.example.com" },
            { id: "san.dns_name", value: "b.example.com" },
            { id: "subject.organization_name", value: "Example IoT Devices" },
          ],
          deviceAttributes: [{ id: "device_identifier", value: "SENSOR-1" }],
        },
        profile(),
      ),
    ).resolves.toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Batch jobs
// ---------------------------------------------------------------------------------------------

const WIRE_JOB: WireBatchJob = {
  job_id: JOB,
  status: "COMPLETE",
  enrollment_profile: {
    id: "IOT_aa4e7716-c235-47b5-9e72-940dfbeb21a1",
    name: "IoT device (server-side keys)",
  },
  key_generation: "server_side",
  certificate_format: "json",
  include_full_chain_with_each_certificate: false,
  key_type: "p_256",
  private_key_format: "pem",
  file_name: "rows.csv",
  total: 3,
  success: 2,
  failed: 1,
  created_at: "2026-11-23T02:35:55Z",
  updated_at: "2026-11-23T02:35:56Z",
  approved_at: "2026-11-23T02:35:55Z",
  started_at: "2026-11-23T02:35:55Z",
  completed_at: "2026-11-23T02:35:56Z",
  errors: [
    { unique_identifier: "Line #0000003", message: "DEVICE_IDENTIFIER (Device identifier) is required" },
  ],
};

describe("toIotBatchJob", () => {
  it("maps the simulator's job", () => {
    expect(toIotBatchJob(WIRE_JOB)).toEqual({
      id: JOB,
      kind: "IOT_ENROLLMENT",
      name: null,
      status: "COMPLETE",
      total: 3,
      success: 2,
      failed: 1,
      createdAt: new Date("2026-11-23T02:35:55Z"),
      updatedAt: new Date("2026-11-23T02:35:56Z"),
      completedAt: new Date("2026-11-23T02:35:56Z"),
      enrollmentProfileId: "IOT_aa4e7716-c235-47b5-9e72-940dfbeb21a1",
      enrollmentProfileName: "IoT device (server-side keys)",
      keyGeneration: "SERVER_SIDE",
      certificateFormat: "JSON",
      includeFullChain: false,
      keyType: "P_256",
      privateKeyFormat: "PEM",
      fileName: "rows.csv",
      approvedAt: new Date("2026-11-23T02:35:55Z"),
      rejectedAt: null,
      startedAt: new Date("2026-11-23T02:35:55Z"),
      failureReason: null,
      rowErrors: [
        { uniqueIdentifier: "Line #0000003", message: "DEVICE_IDENTIFIER (Device identifier) is required" },
      ],
    });
  });

  it("keeps counts nullable and unknown statuses UNKNOWN", () => {
    const job = toIotBatchJob({ job_id: JOB, status: "QUEUED" });
    expect(job).toMatchObject({
      status: "UNKNOWN",
      total: null,
      success: null,
      failed: null,
      enrollmentProfileId: null,
    });
    expect(() => toIotBatchJob({ job_id: "1", status: "COMPLETE" })).toThrow(UpstreamInvalidResponseError);
  });
});

describe("toWireBatchEnrollment and checkBatchAgainstProfile", () => {
  const clientSide: IotBatchEnrollmentInput = {
    enrollmentProfileId: PROFILE,
    certificateFormat: "PEM",
    includeFullChain: true,
  };
  const serverSideBatch = (
    keygen: Partial<NonNullable<IotBatchEnrollmentInput["serverSideKeyGeneration"]>> = {},
  ) => ({
    enrollmentProfileId: PROFILE,
    certificateFormat: "JSON" as const,
    serverSideKeyGeneration: { encryptionCertificate: pki.encryptionPem, ...keygen },
  });

  it("builds the multipart fields", async () => {
    expect(await toWireBatchEnrollment(clientSide)).toEqual({
      enrollment_profile_id: PROFILE,
      certificate_format: "pem",
      key_generation: "client_side",
      include_full_chain_with_each_certificate: "true",
    });
    expect(
      await toWireBatchEnrollment(
        serverSideBatch({ keyType: "RSA_3072", privateKeyFormat: "DER", privateKeySyntax: "PKCS1" }),
      ),
    ).toEqual({
      enrollment_profile_id: PROFILE,
      certificate_format: "json",
      key_generation: "server_side",
      encryption_certificate: `${pki.encryptionPem}\n`,
      key_type: "rsa_3072",
      private_key_format: "der",
      private_key_syntax: "pkcs1",
    });
  });

  it("names the field it refuses", async () => {
    expect(
      await fieldOf(
        toWireBatchEnrollment(serverSideBatch({ encryptionCertificate: await selfSignedCertificate() })),
      ),
    ).toBe("input.serverSideKeyGeneration.encryptionCertificate");
    expect(
      await fieldOf(toWireBatchEnrollment(serverSideBatch({ keyType: "P_256", privateKeySyntax: "PKCS1" }))),
    ).toBe("input.serverSideKeyGeneration.privateKeySyntax");
    expect(await fieldOf(toWireBatchEnrollment({ ...clientSide, certificateFormat: "SMPB" as never }))).toBe(
      "input.certificateFormat",
    );
  });

  it("applies the profile's batch rules", () => {
    const field = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as ValidationError).field;
      }
      return undefined;
    };
    expect(field(() => checkBatchAgainstProfile(clientSide, profile({ enrollmentMethods: ["API"] })))).toBe(
      "input.enrollmentProfileId",
    );
    expect(
      field(() => checkBatchAgainstProfile(clientSide, profile({ keyGenerationOption: "SERVER_SIDE" }))),
    ).toBe("input.serverSideKeyGeneration");
    expect(field(() => checkBatchAgainstProfile(serverSideBatch(), profile()))).toBe(
      "input.serverSideKeyGeneration",
    );
    expect(
      field(() =>
        checkBatchAgainstProfile(
          serverSideBatch({ keyType: "P_521" }),
          profile({ keyGenerationOption: "SERVER_SIDE" }),
        ),
      ),
    ).toBe("input.serverSideKeyGeneration.keyType");
    expect(field(() => checkBatchAgainstProfile(clientSide, profile()))).toBeUndefined();
  });
});

describe("toBatchDownload", () => {
  it.skipIf(!existsSync(DOC_FILE))(
    "uses the documented example verbatim (its indent is no-break spaces)",
    () => {
      expect(readFileSync(DOC_FILE, "utf8").replaceAll("\u00a0", " ")).toContain(DOCUMENTED_DOWNLOAD);
    },
  );

  it("parses the documented example in its exact shape", () => {
    const download = toBatchDownload(JSON.parse(DOCUMENTED_DOWNLOAD) as WireBatchDownload);
    expect(download.jobId).toBe("e6006353-ba03-4909-afc8-c611f00d7644");
    expect(download.chain).toEqual([
      {
        commonName: "ICA RSA",
        pem: "-----BEGIN CERTIFICATE-----\nMIID5DCCAsy...N/mqQ==\n-----END CERTIFICATE-----\n",
      },
      {
        commonName: "RSA Root",
        pem: "-----BEGIN CERTIFICATE-----\nMIIDxDC...fL+7bk=\n-----END CERTIFICATE-----\n",
      },
    ]);
    expect(download.certificates.map((c) => [c.id, c.uniqueIdentifier, c.pem, c.chain])).toEqual([
      [
        "60f0f385-9afa-464b-9811-d337245c4363",
        "Line #0000001",
        "-----BEGIN CERTIFICATE-----\nMIID...K8FhP\n-----END CERTIFICATE-----\n",
        [],
      ],
      [
        "9766ee7c-62d5-47f4-b4cf-475409c62eea",
        "Line #0000002",
        "-----BEGIN CERTIFICATE-----\nMIID...3KFxa\n-----END CERTIFICATE-----\n",
        [],
      ],
    ]);
    expect(download.certificates[0]?.privateKey?.reveal()).toEqual({
      format: "CERT_ENCRYPTED_KEY_ONLY",
      base64: "MIAGCSq...tLQo=",
    });
    expect(JSON.stringify(download)).not.toContain("MIAGCSq");
  });

  it("turns real base64 DER chain blobs into PEMs that parse, in DigiCert's order", async () => {
    const download = toBatchDownload({
      job_id: JOB,
      chain: [
        { cert_type: "intermediate", blob: pki.intermediateDer, common_name: "Test Intermediate CA" },
        { cert_type: "root", blob: pki.rootDer, common_name: "Test Root CA" },
      ],
      certificates: [
        {
          id: CERT_ID,
          unique_identifier: "Line #0000001",
          body: `${pki.leafPem}${pki.intermediatePem}${pki.rootPem}`,
        },
      ],
    });
    expect(download.chain.map((entry) => entry.pem)).toEqual([pki.intermediatePem, pki.rootPem]);
    const [leaf, intermediate, root] = await Promise.all(
      [download.certificates[0]!.pem, ...download.chain.map((entry) => entry.pem)].map((pem) =>
        parseCertificatePem(pem!),
      ),
    );
    expect(leaf?.issuer.dn).toBe(intermediate?.subject.dn);
    expect(intermediate?.issuer.dn).toBe(root?.subject.dn);
    expect(download.certificates[0]).toMatchObject({
      privateKey: null,
      chain: [{ pem: pki.intermediatePem }, { pem: pki.rootPem }],
    });
  });

  it("refuses only a body with no certificates list or job id", () => {
    expect(() => toBatchDownload({ job_id: JOB, chain: [] } as never)).toThrow(UpstreamInvalidResponseError);
    expect(() => toBatchDownload({ job_id: "x", chain: [], certificates: [] })).toThrow(
      UpstreamInvalidResponseError,
    );
    expect(() => toBatchDownload(null as never)).toThrow(UpstreamInvalidResponseError);
    // The job asked for stands in for a job id the body lacks.
    expect(toBatchDownload({ chain: [], certificates: [] } as never, JOB as BatchJobId).jobId).toBe(JOB);
  });
});

// ---------------------------------------------------------------------------------------------
// Upstream errors
// ---------------------------------------------------------------------------------------------

function http(
  status: number,
  code?: string,
  field: string | null = null,
  message = "",
  retryAfter: number | null = null,
) {
  return new UpstreamHttpError("op", status, code ? [{ code, field, message }] : [], retryAfter);
}

describe("toIotDomainError", () => {
  it("names the GraphQL input path of the field IoT refused", () => {
    const error = toIotDomainError(http(400, "invalid_input_field", "pkcs12_password", "hunter2 is bad"), {
      idempotent: false,
      operation: "enroll",
      profileId: PROFILE,
    });
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe("input.serverSideKeyGeneration.pkcs12Password");
    expect((error as Error).message).not.toContain("hunter2");
    expect(toIotDomainError(http(400, "invalid_input_field", "csr"), { idempotent: false })).toBeInstanceOf(
      InvalidCsrError,
    );
  });

  it("reads 403 and 404 as the thing the call was about not existing", () => {
    expect(
      toIotDomainError(http(404, "resource_not_found"), { idempotent: false, profileId: PROFILE }),
    ).toEqual(new ProfileNotFoundError(PROFILE));
    const certificate = toIotDomainError(http(403, "no_access"), { idempotent: true, certificate: CERT_ID });
    expect(certificate).toBeInstanceOf(CertificateNotFoundError);
    expect((certificate as Error).message).toContain(CERT_ID);
    const job = toIotDomainError(http(404, "resource_not_found"), { idempotent: false, jobId: JOB });
    expect(job).toBeInstanceOf(RequestNotFoundError);
    expect((job as Error).message).toBe(`No batch job has id ${JOB}.`);
  });

  it("maps revoke, renew, batch state and upload size refusals", () => {
    expect(
      toIotDomainError(http(400, "invalid_request", null, "Certificate already has been revoked"), {
        idempotent: false,
        operation: "revoke",
        certificate: CERT_ID,
      }),
    ).toBeInstanceOf(AlreadyRevokedError);
    expect(
      toIotDomainError(http(422, "renewal_window"), {
        idempotent: false,
        operation: "renew",
        certificate: CERT_ID,
      }),
    ).toBeInstanceOf(RenewalNotAllowedError);
    expect(
      toIotDomainError(http(400, "invalid_request", null, "A revoked certificate cannot be renewed"), {
        idempotent: false,
        operation: "renew",
        certificate: CERT_ID,
      }),
    ).toBeInstanceOf(RenewalNotAllowedError);
    const decide = toIotDomainError(http(400, "invalid_request"), {
      idempotent: false,
      operation: "batchDecide",
      jobId: JOB,
    });
    expect((decide as ValidationError).field).toBe("id");
    const size = toIotDomainError(http(413, "request_too_large", "file"), {
      idempotent: false,
      operation: "batchCreate",
    });
    expect((size as ValidationError).field).toBe("input.file");
  });

  it("keeps toDomainError's rules for availability and unknown outcomes of an enrollment", () => {
    expect(toIotDomainError(http(503, "service_unavailable", null, "", 2), { idempotent: false })).toEqual(
      new UpstreamUnavailableError(2),
    );
    expect(toIotDomainError(http(500), { idempotent: false })).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(
      toIotDomainError(new UpstreamTransportError("op", "reset", true), { idempotent: false }),
    ).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(
      toIotDomainError(new UpstreamTransportError("op", "refused", false), { idempotent: false }),
    ).toBeInstanceOf(UpstreamUnavailableError);
    const bug = new TypeError("bug");
    expect(toIotDomainError(bug, { idempotent: true })).toBe(bug);
  });
});

describe("toIotInputPath", () => {
  it("translates IoT field names into GraphQL input paths", () => {
    expect(toIotInputPath("enrollment_profile_id")).toBe("input.enrollmentProfileId");
    expect(toIotInputPath("encryption_certificate")).toBe(
      "input.serverSideKeyGeneration.encryptionCertificate",
    );
    expect(toIotInputPath("certificate_profile_attributes[2].value")).toBe(
      "input.certificateAttributes[2].value",
    );
    expect(toIotInputPath("device_attributes")).toBe("input.deviceAttributes");
    expect(toIotInputPath("something.else")).toBe("input");
  });
});

// ---------------------------------------------------------------------------------------------
// Tolerant reading: every variant real tenants and the docs show
// ---------------------------------------------------------------------------------------------

describe("tolerant reading of IoT lists and records", () => {
  const pem = (text: string) => text.trim() + "\n";

  it("reads certificate pages as {records}, {items}, {data} or a bare array, leaving out records without an id", () => {
    const records = () => [wireRecord(), wireRecord({ id: "nope" }), { serial_number: "01" }, null, 7];
    for (const [wire, total] of [
      [{ records: records(), total: "31", offset: "20", limit: "5" }, 31],
      [{ items: records(), total: 31 }, 31],
      [{ data: records(), total: "31" }, 31],
      [records(), null],
    ] as const) {
      const page = toDeviceCertificatePage(wire);
      expect(page).toMatchObject({ total, skipped: 4 });
      expect(page.items.map((c) => c.id)).toEqual([CERT_ID]);
    }
    expect(toDeviceCertificatePage({ records: [], offset: "20", limit: "5" })).toMatchObject({
      offset: 20,
      limit: 5,
    });
    for (const wire of [{}, { records: {} }, null, "records"]) {
      expect(() => toDeviceCertificatePage(wire)).toThrow(UpstreamInvalidResponseError);
    }
    expect(toEnrollmentProfilePage([WIRE_PROFILE, { name: "no id" }])).toMatchObject({
      skipped: 1,
      total: null,
    });
  });

  it("reads chain: null, an empty or missing blob, a PEM bundle, bare base64 DER, and leaves out what holds no certificate", () => {
    for (const chain of [null, undefined, "", [], [{ blob: "" }], [{ blob: null }], [null], "not a chain"]) {
      expect(toDeviceCertificate(wireRecord({ chain } as never))).toMatchObject({
        chain: [],
        unreadable: [],
      });
    }
    expect(
      toDeviceCertificate(
        wireRecord({
          chain: [
            { blob: "" },
            { blob: pki.intermediateDer, common_name: "ICA" },
            { blob: "prose, not base64!" },
            { blob: pki.rootPem },
          ],
        } as never),
      ).chain,
    ).toEqual([
      { commonName: "ICA", pem: pki.intermediatePem },
      { commonName: null, pem: pki.rootPem },
    ]);
    expect(
      toDeviceCertificate(wireRecord({ chain: `${pki.intermediatePem}${pki.rootPem}` } as never)).chain,
    ).toEqual([
      { commonName: null, pem: pki.intermediatePem },
      { commonName: null, pem: pki.rootPem },
    ]);
  });

  it("reads a body of bare base64 DER, a colon serial, zone-less and epoch dates, and loose attribute lists", () => {
    const leafDer = pki.leafPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
    const certificate = toDeviceCertificate(
      wireRecord({
        body: leafDer,
        serial_number: "6b:eb:f1:9f:7c:29:d8:73",
        valid_from: "2026-11-23 02:35:55",
        valid_to: 1_826_598_955_000,
        created_at: 1_795_408_555,
        thumbprint: 42,
        common_name: 7,
        enrollment_profile: "not an object",
        device_attributes: [null, { id: "DEVICE_IDENTIFIER" }, { id: "x", value: "y" }],
        certificate_profile_attributes: "none",
      } as never),
    );
    expect(certificate).toMatchObject({
      pem: pki.leafPem,
      serialNumber: "6BEBF19F7C29D873",
      validFrom: new Date("2026-11-23T02:35:55Z"),
      validTo: new Date(1_826_598_955_000),
      createdAt: new Date(1_795_408_555_000),
      thumbprint: "42",
      commonName: "7",
      enrollmentProfileId: null,
      deviceAttributes: [{ id: "x", name: null, value: "y" }],
      certificateAttributes: [],
      unreadable: [],
    });
    expect(pem(certificate.pem!)).toBe(pki.leafPem);
  });

  it("reads profiles' loose values: a status that is no string, numeric strings, no name", () => {
    expect(
      toEnrollmentProfile({
        ...WIRE_PROFILE,
        name: "",
        status: 1,
        renewal_window_days: "30",
        certificate_validity: { unit: "days", duration: "365" },
        certificate_template: "x",
      } as never),
    ).toMatchObject({
      name: null,
      unreadable: ["name"],
      status: "UNKNOWN",
      renewalWindowDays: 30,
      validity: { unit: "days", duration: 365 },
      certificateTemplateName: null,
    });
    expect(
      toEnrollmentFields([{ id: "subject.common_name", required: true }, { name: "no id" }, null] as never),
    ).toEqual([
      {
        id: "subject.common_name",
        name: "subject.common_name",
        kind: "UNKNOWN",
        required: true,
        multiple: false,
        fixedValue: null,
      },
    ]);
    expect(() => toEnrollmentFields({} as never)).toThrow(UpstreamInvalidResponseError);
  });

  it("reads a batch job with counts as strings and no status", () => {
    expect(toIotBatchJob({ job_id: JOB, total: "3", success: "2", failed: "1" } as never)).toMatchObject({
      status: "UNKNOWN",
      total: 3,
      success: 2,
      failed: 1,
    });
    expect(() => toIotBatchJob({ status: "COMPLETE" } as never)).toThrow(UpstreamInvalidResponseError);
  });

  it("keeps the rest of a batch download when one certificate or chain entry cannot be read", () => {
    const download = toBatchDownload({
      job_id: JOB,
      chain: [{ blob: "" }, { blob: pki.intermediateDer, common_name: "ICA" }],
      certificates: [
        { id: CERT_ID, unique_identifier: "Line #0000001", body: pki.leafPem },
        { id: "nope", unique_identifier: "", body: "", private_key: "" },
        "not an object",
        { id: CERT_ID, unique_identifier: 3, body: `${pki.leafPem}${pki.intermediatePem}` },
      ],
    } as never);
    expect(download.skipped).toBe(1);
    expect(download.chain).toEqual([{ commonName: "ICA", pem: pki.intermediatePem }]);
    expect(download.certificates).toMatchObject([
      { id: CERT_ID, uniqueIdentifier: "Line #0000001", pem: pki.leafPem, chain: [], unreadable: [] },
      {
        id: null,
        uniqueIdentifier: null,
        pem: null,
        privateKey: null,
        unreadable: ["id", "uniqueIdentifier", "pem", "privateKey"],
      },
      { uniqueIdentifier: "3", chain: [{ pem: pki.intermediatePem }], unreadable: [] },
    ]);
  });

  it("reads an enrollment answer's loose values and needs only one identifier of the certificate", () => {
    expect(
      toDeviceEnrollmentOutcome(
        {
          certificate_request_id: 12345,
          serial_number: "6b:eb",
          status: "auto_approved",
          pem: "  ",
        } as never,
        null,
      ).certificate,
    ).toMatchObject({
      id: null,
      requestId: "12345",
      serialNumber: "6BEB",
      status: "AUTO_APPROVED",
      pem: null,
    });
    // Nothing identifying: outcome unknown, carrying an id-like value DigiCert did send (never anything else).
    for (const [wire, id] of [
      [{}, null],
      [{ certificate_id: "nope", serial_number: "zz" }, "nope"],
      [{ certificate_id: 42 }, "42"],
      [{ serial_number: "not hex at all!" }, null],
    ] as const) {
      let error: unknown;
      try {
        toDeviceEnrollmentOutcome(wire as never, null);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(UpstreamOutcomeUnknownError);
      expect(error).toMatchObject({ id });
    }
    for (const wire of [null, [], "x"]) {
      expect(() => toDeviceEnrollmentOutcome(wire as never, null)).toThrow(UpstreamInvalidResponseError);
    }
  });
});

describe("readField and readPresent", () => {
  it("answer a field DigiCert sent unreadably with UpstreamInvalidResponseError, and any other as it is", () => {
    const record = toDeviceCertificate(wireRecord({ serial_number: "zz", body: "" }));
    expect(() => readField(record, "serialNumber")).toThrow(UpstreamInvalidResponseError);
    expect(() => readPresent(record, "pem")).toThrow(UpstreamInvalidResponseError);
    const good = toDeviceCertificate(wireRecord());
    expect(readField(good, "serialNumber")).toBe("6BEBF19F7C29D873");
    expect(readPresent(good, "pem")).toBe(pki.leafPem);
  });
});
