import type { ObjectParam, UnionRef } from "@pothos/core";
import {
  AlreadyRevokedError,
  CertificateNotFoundError,
  type DomainError,
  type BatchFileProblem,
  CertificatePolicyNotFoundError,
  DeviceGroupNotFoundError,
  DeviceNotFoundError,
  DuplicateCertificateError,
  DuplicateDeviceError,
  ERROR_CODES,
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
} from "../model/errors.js";
import { type BuilderTypes, builder, describedValues } from "./builder.js";

export const ErrorCodeEnum = builder.enumType("ErrorCode", {
  description:
    "Stable machine-readable error codes, shared by typed results (`Error.code`) and GraphQL errors' `extensions.code`.",
  values: describedValues(ERROR_CODES, {
    VALIDATION_FAILED:
      "An input value was refused, by the gateway before any upstream call or by DigiCert (ValidationError names it).",
    INVALID_CSR: "The CSR is not one well-formed, correctly signed PKCS#10 request the profile accepts.",
    PROFILE_NOT_FOUND: "The TLM profile or IoT enrollment profile does not exist for these credentials.",
    CERTIFICATE_NOT_FOUND: "No certificate has this serial number (or IoT certificate id).",
    REQUEST_NOT_FOUND: "No pending certificate request, or batch job, has this id.",
    DUPLICATE_CERTIFICATE: "The profile allows one valid certificate per subject, and one exists.",
    ALREADY_REVOKED: "The certificate is already revoked.",
    RENEWAL_NOT_ALLOWED: "The certificate is outside its profile's renewal window.",
    UPSTREAM_UNAUTHENTICATED:
      "DigiCert ONE rejected the gateway's credentials (HTTP 401); an operator must act.",
    UPSTREAM_FORBIDDEN: "DigiCert ONE refused the operation for the gateway's credentials (HTTP 403).",
    UPSTREAM_UNAVAILABLE: "DigiCert ONE is unavailable and nothing was done; try again later.",
    UPSTREAM_OUTCOME_UNKNOWN:
      "The call may or may not have taken effect at DigiCert ONE; check before retrying.",
    UPSTREAM_INVALID_RESPONSE: "DigiCert ONE answered with something the gateway could not read.",
    FORBIDDEN: "The caller's token lacks the scope this field needs; only that field fails.",
    DUPLICATE_DEVICE: "A device of this name already exists in the Device Trust Manager device group.",
    DEVICE_GROUP_NOT_FOUND: "The Device Trust Manager device group does not exist for these credentials.",
    CERTIFICATE_POLICY_NOT_FOUND:
      "The Device Trust Manager certificate policy does not exist for these credentials.",
    INVALID_BATCH_FILE: "An uploaded batch file was refused before anything was sent to DigiCert.",
    DEVICE_NOT_FOUND: "The Device Trust Manager device does not exist for these credentials.",
    SERVICE_UNAVAILABLE:
      "The gateway cannot do this safely now (its shared store is unreachable); nothing was sent to DigiCert.",
  }),
});

export const ErrorInterface = builder.interfaceRef<DomainError>("Error").implement({
  description: "An expected failure the caller can act on.",
  fields: (t) => ({
    code: t.field({
      type: ErrorCodeEnum,
      description: "What kind of failure this is; stable, for programs.",
      resolve: (e) => e.code,
    }),
    message: t.exposeString("message", {
      description: "What happened, in English, for people; may change between releases.",
    }),
  }),
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructors of any arity
type ErrorClass = abstract new (...args: any[]) => DomainError;

/** Object-type options shared by every error type: its class name is its GraphQL name. */
function errorOptions(cls: ErrorClass, description: string) {
  return {
    name: cls.name,
    description,
    interfaces: [ErrorInterface],
    isTypeOf: (value: unknown) => (value as { name?: unknown } | null)?.name === cls.name,
  };
}

builder.objectType(ValidationError, {
  ...errorOptions(
    ValidationError,
    "An input value was refused; `field` is its path, e.g. `input.subject.country`.",
  ),
  fields: (t) => ({
    field: t.exposeString("field", {
      description: "The refused input's path, e.g. `input.subject.country` or `filter.statuses`.",
    }),
  }),
});
builder.objectType(InvalidCsrError, {
  ...errorOptions(
    InvalidCsrError,
    "The CSR is not one well-formed, correctly signed PKCS#10 request the profile accepts.",
  ),
});
builder.objectType(ProfileNotFoundError, {
  ...errorOptions(ProfileNotFoundError, "The profile does not exist or is not available to this gateway."),
  fields: (t) => ({
    profileId: t.exposeString("profileId", {
      description: "DigiCert's id of the profile asked for (a UUID, or IOT_<uuid> for IoT).",
    }),
  }),
});
builder.objectType(CertificateNotFoundError, {
  ...errorOptions(CertificateNotFoundError, "No certificate has this serial number (or IoT certificate id)."),
  fields: (t) => ({
    serialNumber: t.exposeString("serialNumber", {
      description:
        "What was asked for: a serial number (uppercase hex), or for IoT certificates DigiCert's certificate id.",
    }),
  }),
});
builder.objectType(RequestNotFoundError, {
  ...errorOptions(RequestNotFoundError, "No pending certificate request, or batch job, has this id."),
  fields: (t) => ({
    requestId: t.exposeString("requestId", {
      description: "The id asked for: a TLM request id, or a batch job's id as it was sent.",
    }),
  }),
});
builder.objectType(DuplicateCertificateError, {
  ...errorOptions(
    DuplicateCertificateError,
    "The profile allows one valid certificate per subject, and one exists.",
  ),
});
builder.objectType(AlreadyRevokedError, {
  ...errorOptions(AlreadyRevokedError, "The certificate is already revoked."),
  fields: (t) => ({
    serialNumber: t.exposeString("serialNumber", {
      description: "The certificate's serial number (or IoT certificate id), as asked for.",
    }),
  }),
});
builder.objectType(RenewalNotAllowedError, {
  ...errorOptions(RenewalNotAllowedError, "The certificate is outside its profile's renewal window."),
  fields: (t) => ({
    serialNumber: t.exposeString("serialNumber", {
      description: "The certificate's serial number (or IoT certificate id), as asked for.",
    }),
  }),
});
builder.objectType(UpstreamAuthenticationError, {
  ...errorOptions(
    UpstreamAuthenticationError,
    "DigiCert ONE rejected the gateway's credentials; an operator must act.",
  ),
});
builder.objectType(UpstreamForbiddenError, {
  ...errorOptions(
    UpstreamForbiddenError,
    "DigiCert ONE refused the operation for the gateway's credentials.",
  ),
});
builder.objectType(UpstreamUnavailableError, {
  ...errorOptions(
    UpstreamUnavailableError,
    "DigiCert ONE is unavailable; nothing was done. Try again later.",
  ),
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt("retryAfterSeconds", {
      nullable: true,
      description:
        "Seconds to wait before trying again, from DigiCert's Retry-After; null when it gave none.",
    }),
  }),
});
builder.objectType(ServiceUnavailableError, {
  ...errorOptions(
    ServiceUnavailableError,
    "The gateway cannot process this safely now (its shared store is unreachable); nothing was sent to DigiCert ONE. Send the same request again later.",
  ),
  fields: (t) => ({
    retryAfterSeconds: t.exposeInt("retryAfterSeconds", {
      nullable: true,
      description: "Seconds to wait before sending the request again; null when the gateway cannot tell.",
    }),
  }),
});
builder.objectType(UpstreamOutcomeUnknownError, {
  ...errorOptions(
    UpstreamOutcomeUnknownError,
    "The request may or may not have taken effect at DigiCert ONE. Check (e.g. search certificates) before retrying.",
  ),
  fields: (t) => ({
    id: t.exposeString("id", {
      nullable: true,
      description:
        "An id DigiCert's answer did carry (a request id, or a serial the gateway could not read), to look for before trying again; null when none. Not a global id.",
    }),
  }),
});
builder.objectType(UpstreamInvalidResponseError, {
  ...errorOptions(
    UpstreamInvalidResponseError,
    "DigiCert ONE answered with a response the gateway could not read.",
  ),
});

builder.objectType(DuplicateDeviceError, {
  ...errorOptions(DuplicateDeviceError, "A device of this name already exists in the device group."),
  fields: (t) => ({
    deviceName: t.exposeString("deviceName", {
      nullable: true,
      description: "The device name that is taken; null when DigiCert's answer does not say.",
    }),
  }),
});

builder.objectType(DeviceGroupNotFoundError, {
  ...errorOptions(
    DeviceGroupNotFoundError,
    "The device group does not exist or is not available to this gateway.",
  ),
  fields: (t) => ({
    deviceGroupId: t.exposeString("deviceGroupId", { description: "DigiCert's id of the group (a UUID)." }),
  }),
});
builder.objectType(CertificatePolicyNotFoundError, {
  ...errorOptions(
    CertificatePolicyNotFoundError,
    "The certificate policy does not exist or is not available to this gateway.",
  ),
  fields: (t) => ({
    certificatePolicyId: t.exposeString("certificatePolicyId", {
      description: "DigiCert's id of the policy (IOT_<uuid>).",
    }),
  }),
});
builder.objectType(DeviceNotFoundError, {
  ...errorOptions(DeviceNotFoundError, "The device does not exist or is not available to this gateway."),
  fields: (t) => ({
    deviceId: t.exposeString("deviceId", { description: "DigiCert's id of the device (a UUID)." }),
  }),
});

const BatchFileProblemRef = builder.objectRef<BatchFileProblem>("BatchFileProblem").implement({
  description: "One thing wrong with an uploaded batch file, and where.",
  fields: (t) => ({
    row: t.exposeInt("row", {
      nullable: true,
      description:
        "The data row, from 1 (the first row after the header), as in the job report; null: the file.",
    }),
    column: t.exposeString("column", { nullable: true, description: "The CSV column (template name)." }),
    entry: t.exposeString("entry", { nullable: true, description: "The ZIP entry, for a ZIP." }),
    message: t.exposeString("message", { description: "What is wrong there, in English." }),
  }),
});

builder.objectType(InvalidBatchFileError, {
  ...errorOptions(
    InvalidBatchFileError,
    "The uploaded batch file was refused before anything was sent upstream; `problems` names each row and column (or ZIP entry).",
  ),
  fields: (t) => ({
    field: t.exposeString("field", { description: "The file's input path, e.g. `input.file`." }),
    problems: t.field({
      type: [BatchFileProblemRef],
      description: "Each problem found, in file order (at most the first 20).",
      resolve: (e) => [...e.problems],
    }),
  }),
});

/** Failures any call to DigiCert can end in, and the gateway refusing one it cannot make safely; every result union lists them. */
export const UPSTREAM_ERRORS: ErrorClass[] = [
  UpstreamAuthenticationError,
  UpstreamForbiddenError,
  UpstreamUnavailableError,
  UpstreamInvalidResponseError,
  ServiceUnavailableError,
];

/**
 * graphql-js treats a resolver's returned Error as thrown, so a typed error is returned as a plain
 * copy of its fields (code, message and its own data), never as the Error itself. Its `name` is the listed
 * class it is an instance of: a subclass (BatchJobNotFoundError) shows as its GraphQL type (RequestNotFoundError).
 */
function asResult(error: DomainError, as: ErrorClass): DomainError {
  return { ...error, name: as.name, code: error.code, message: error.message } as DomainError;
}

interface Tagged {
  kind: string;
}

/**
 * A mutation result: one of several success objects (told apart by `kind`) or one of the listed
 * domain errors. Pothos' errors plugin wraps exactly one success object, and enrollment has two
 * outcomes (issued, pending), so the union is built here with the same contract: a listed
 * DomainError thrown by the resolver is returned as its type; anything else propagates (masked).
 */
export function resultUnion<S extends Tagged>(
  name: string,
  description: string,
  success: Record<S["kind"], { name: string }>,
  errors: ErrorClass[],
) {
  // Error classes registered with builder.objectType are themselves valid union members.
  const types = [...Object.values(success), ...errors] as ObjectParam<BuilderTypes>[];
  const ref = builder.unionType(name, {
    description,
    types,
    resolveType: (value) => {
      const kind = (value as Partial<Tagged>).kind;
      return kind && kind in success ? success[kind as S["kind"]].name : (value as DomainError).name;
    },
  }) as UnionRef<BuilderTypes, S | DomainError>;
  const run = async (fn: () => Promise<S>): Promise<S | DomainError> => {
    try {
      return await fn();
    } catch (error) {
      const listed = errors.find((cls) => error instanceof cls);
      if (listed) return asResult(error as DomainError, listed);
      throw error;
    }
  };
  return { ref, run };
}
