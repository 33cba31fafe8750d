import { describe, expect, it } from "vitest";
import * as errors from "../../src/model/errors.js";
import {
  AlreadyRevokedError,
  BatchJobNotFoundError,
  BatchReportNotFoundError,
  CertificateNotFoundError,
  CertificatePolicyNotFoundError,
  decodeDomainError,
  DeviceCertificateNotFoundError,
  DeviceGroupNotFoundError,
  DeviceNotFoundError,
  DomainError,
  DuplicateCertificateError,
  DuplicateDeviceError,
  encodeDomainError,
  ForbiddenError,
  InvalidBatchFileError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  RequestNotFoundError,
  ServiceUnavailableError,
  UpstreamAuthenticationError,
  UpstreamForbiddenError,
  UpstreamInvalidResponseError,
  UpstreamOutcomeUnknownError,
  UpstreamUnavailableError,
  ValidationError,
} from "../../src/model/errors.js";
import { IdempotencyConflictError } from "../../src/stores/idempotency.js";

/** One instance of every concrete DomainError class, with fields that differ from any default. */
const SAMPLES: DomainError[] = [
  new ValidationError("input.subject.country", "Country is two letters."),
  new InvalidCsrError("The CSR's signature does not verify."),
  new ProfileNotFoundError("6f1c2e4a-7b3d-4c1e-9a2b-3c4d5e6f7a8b"),
  new CertificateNotFoundError("0A1B2C"),
  new DeviceCertificateNotFoundError("0A1B2D"),
  new RequestNotFoundError("req-42"),
  new BatchJobNotFoundError("job-7"),
  new BatchReportNotFoundError("job-8"),
  new DuplicateCertificateError(),
  new AlreadyRevokedError("0A1B2E"),
  new RenewalNotAllowedError("0A1B2F"),
  new UpstreamAuthenticationError(),
  new UpstreamForbiddenError(),
  new UpstreamUnavailableError(30),
  new UpstreamOutcomeUnknownError("req-43"),
  new UpstreamInvalidResponseError(),
  new ServiceUnavailableError(7),
  new ForbiddenError(),
  new DuplicateDeviceError("sensor-1"),
  new DeviceGroupNotFoundError("group-1"),
  new CertificatePolicyNotFoundError("policy-1"),
  new DeviceNotFoundError("device-1", "input.ids[2]"),
  new InvalidBatchFileError([
    { row: 3, column: "common_name", entry: null, message: "Too long." },
    { row: null, column: null, entry: "csr/a.csr", message: "Not a CSR." },
  ]),
];

/** What a Redis value or pub/sub message carries: the encoding through JSON text. */
function throughJson(error: unknown, fallback = () => new UpstreamOutcomeUnknownError()) {
  return decodeDomainError(JSON.parse(JSON.stringify(encodeDomainError(error, fallback))));
}

describe("encodeDomainError / decodeDomainError", () => {
  it("have a sample here for every concrete DomainError class the model exports", () => {
    const exported = (Object.values(errors) as unknown[]).filter(
      (value): value is abstract new (...args: never[]) => DomainError =>
        typeof value === "function" && value.prototype instanceof DomainError,
    );
    const sampled = new Set(SAMPLES.map((sample) => sample.constructor));
    expect(exported.filter((cls) => !sampled.has(cls)).map((cls) => cls.name)).toEqual([]);
  });

  it.each(SAMPLES.map((sample) => [sample.name, sample] as const))(
    "restore a %s as an instance of its class with its name, code, message and fields",
    (_name, original) => {
      const restored = throughJson(original, () => {
        throw new Error("a known class never falls back");
      });
      expect(restored).toBeInstanceOf(original.constructor);
      expect(restored).toBeInstanceOf(DomainError);
      expect(restored).toBeInstanceOf(Error);
      expect(restored!.name).toBe(original.name);
      expect(restored!.code).toBe(original.code);
      expect(restored!.message).toBe(original.message);
      expect({ ...restored }).toEqual({ ...original });
      expect(restored!.stack).toBe(`${original.name}: ${original.message}`);
    },
  );

  it("encode an error of no known class as the fallback, without its message", () => {
    const encoded = encodeDomainError(
      new TypeError("secret-ish detail"),
      () => new UpstreamOutcomeUnknownError(),
    );
    expect(JSON.stringify(encoded)).not.toContain("secret-ish");
    const restored = decodeDomainError(encoded);
    expect(restored).toBeInstanceOf(UpstreamOutcomeUnknownError);
    expect(restored).toMatchObject({ code: "UPSTREAM_OUTCOME_UNKNOWN", id: null });
    expect(restored!.message).toBe(new UpstreamOutcomeUnknownError().message);
  });

  it("encode a subclass the registry does not name as its nearest known class", () => {
    const restored = throughJson(new IdempotencyConflictError());
    expect(restored).toBeInstanceOf(ValidationError);
    expect(restored).toMatchObject({
      name: "ValidationError",
      code: "VALIDATION_FAILED",
      field: "input.idempotencyKey",
      message: "This idempotency key was already used with a different request.",
    });
  });

  it("find the class by the registry, not by constructor.name, which a bundler may rename", () => {
    class Renamed extends DuplicateCertificateError {}
    Object.defineProperty(DuplicateCertificateError, "name", { value: "DuplicateCertificateError2" });
    try {
      expect(throughJson(new DuplicateCertificateError())).toBeInstanceOf(DuplicateCertificateError);
      expect(throughJson(new Renamed())).toBeInstanceOf(DuplicateCertificateError);
    } finally {
      Object.defineProperty(DuplicateCertificateError, "name", { value: "DuplicateCertificateError" });
    }
  });

  it("decode anything that is not an encoded known error as null", () => {
    const valid = encodeDomainError(new AlreadyRevokedError("0A"), () => new UpstreamOutcomeUnknownError());
    for (const junk of [
      null,
      undefined,
      "ValidationError",
      42,
      [],
      {},
      { ...valid, name: "Error" },
      { ...valid, name: "DomainError" },
      { ...valid, name: "toString" },
      { ...valid, name: "__proto__" },
      { ...valid, message: 42 },
      { ...valid, fields: null },
      { ...valid, fields: ["x"] },
      { ...valid, fields: { ...valid.fields, code: "NOT_A_CODE" } },
      { name: valid.name, message: valid.message },
    ]) {
      expect(decodeDomainError(junk)).toBeNull();
    }
  });

  it("keep a '__proto__' member of parsed JSON a plain field: the class stays the one named", () => {
    const encoded = JSON.parse(
      '{"name":"AlreadyRevokedError","message":"m","fields":{"code":"ALREADY_REVOKED","serialNumber":"0A","__proto__":{"polluted":true}}}',
    ) as unknown;
    const restored = decodeDomainError(encoded);
    expect(restored).toBeInstanceOf(AlreadyRevokedError);
    expect((restored as unknown as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
