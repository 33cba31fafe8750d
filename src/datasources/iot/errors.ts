/**
 * IoT Trust Manager's failures as domain errors, in one place: IoT's field names as input paths, 403 and 404 as
 * "not found" for what the call was about, 413 on the upload, 422 as the renewal window; the shared rules
 * (../errors.ts) for the rest. Imports those rules and the model.
 */
import {
  isHidden,
  refusedValue,
  saysAlreadyRevoked,
  toUpstreamDomainError,
  UpstreamHttpError,
} from "../errors.js";
import {
  AlreadyRevokedError,
  BatchJobNotFoundError,
  DeviceCertificateNotFoundError,
  InvalidCsrError,
  ProfileNotFoundError,
  RenewalNotAllowedError,
  ValidationError,
} from "../../model/errors.js";
import { KEYGEN } from "../../model/iot/enrollment-input.js";

/** What a failed IoT call was about. */
export interface IotCallContext {
  /** False for calls that issue or change something: then an ambiguous failure is "outcome unknown". */
  idempotent: boolean;
  /** Chooses how a 400 without a field reads (a renewal refused, a job not in the right state). */
  operation?: "enroll" | "renew" | "revoke" | "read" | "batchCreate" | "batchDecide" | "batchDownload";
  profileId?: string;
  /** A device certificate's id or serial number. */
  certificate?: string;
  jobId?: string;
}

/**
 * Maps an IoT datasource failure to the domain error a caller can act on: IoT's field names as input
 * paths, 403 and 404 as "not found" for the thing the call was about, 413 on the upload, 422 as the
 * renewal window; everything else as `toUpstreamDomainError` does. Unrecognised errors are returned as they are.
 */
export function toIotDomainError(error: unknown, call: IotCallContext): unknown {
  if (!(error instanceof UpstreamHttpError)) return toUpstreamDomainError(error, call.idempotent);
  const { status } = error;
  if (status === 400) return fromBadRequest(error, call);
  if (isHidden(error)) {
    if (call.jobId) return new BatchJobNotFoundError(call.jobId);
    if (call.certificate) return new DeviceCertificateNotFoundError(call.certificate);
    if (call.profileId) return new ProfileNotFoundError(call.profileId);
  }
  if (status === 413)
    return new ValidationError("input.file", "The upload is larger than DigiCert ONE accepts.");
  if (status === 422 && call.certificate) return new RenewalNotAllowedError(call.certificate);
  return toUpstreamDomainError(error, call.idempotent);
}

function fromBadRequest(error: UpstreamHttpError, call: IotCallContext): unknown {
  if (saysAlreadyRevoked(error) && call.certificate) return new AlreadyRevokedError(call.certificate);
  const field = error.details.find((d) => d.field)?.field ?? null;
  if (field === "csr")
    return new InvalidCsrError("DigiCert ONE refused the CSR for this enrollment profile.");
  if (field === null && call.certificate && call.operation === "renew") {
    return new RenewalNotAllowedError(
      call.certificate,
      `Device certificate ${call.certificate} cannot be renewed (it may be revoked).`,
    );
  }
  if (
    field === null &&
    call.jobId &&
    (call.operation === "batchDecide" || call.operation === "batchDownload")
  ) {
    return new ValidationError(
      "id",
      call.operation === "batchDecide"
        ? "Only a batch job waiting for approval (PENDING_APPROVAL) can be approved or rejected."
        : "A batch job's certificates can be downloaded once it is COMPLETE.",
    );
  }
  return refusedValue(field ? toIotInputPath(field) : "input");
}

const IOT_FIELDS: Record<string, string> = {
  enrollment_profile_id: "input.enrollmentProfileId",
  server_side_key_gen: KEYGEN,
  key_type: `${KEYGEN}.keyType`,
  private_key_format: `${KEYGEN}.privateKeyFormat`,
  pkcs12_password: `${KEYGEN}.pkcs12Password`,
  encryption_certificate: `${KEYGEN}.encryptionCertificate`,
  private_key_syntax: `${KEYGEN}.privateKeySyntax`,
  include_certificate_chain: `${KEYGEN}.includeCertificateChain`,
  reason: "input.reason",
  file: "input.file",
  certificate_format: "input.certificateFormat",
  include_full_chain_with_each_certificate: "input.includeFullChain",
  key_generation: KEYGEN,
};

/** IoT field names (request-shaped, snake_case) as the GraphQL input paths a caller sent. */
export function toIotInputPath(field: string): string {
  const mapped = IOT_FIELDS[field];
  if (mapped) return mapped;
  const list = /^(certificate_profile_attributes|device_attributes)(\[\d{1,3}\])?(\.(id|value))?$/.exec(
    field,
  );
  if (list) {
    const name = list[1] === "device_attributes" ? "deviceAttributes" : "certificateAttributes";
    return `input.${name}${list[2] ?? ""}${list[3] ?? ""}`;
  }
  return "input";
}
