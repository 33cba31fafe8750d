/**
 * The fields of a Device Trust Manager batch upload (not the file: src/batch-file checks that): validated, built into
 * the multipart text fields, and checked against the certificate policy's rules.
 */
import { ValidationError } from "../errors.js";
import { encryptionCertificate, text } from "../input.js";
import { DEVICE_REGISTRATION_JOB_TYPE, type DtmKeyType, toDtmKeyType } from "./enums.js";
import type { DtmCertificatePolicyId, DtmDeviceGroupId } from "./ids.js";
import type { CertificatePolicy } from "./policy.js";
import { EMAIL, keyType, MAX_EMAILS, MAX_NAME, PASSCODE } from "./registration.js";
import type { WireDtmBatchFields } from "./wire.js";

export interface DtmBatchServerSideKeyGenerationInput {
  /** Required: the generated keys are encrypted to it (PEM, RSA key, within its validity). */
  encryptionCertificate: string;
  /** Absent: the policy's default. */
  keyType?: DtmKeyType | null;
}

export interface DtmBatchInput {
  name: string;
  deviceGroupId: DtmDeviceGroupId;
  /** Absent: DigiCert uses the group's only BATCH policy [I]. */
  certificatePolicyId?: DtmCertificatePolicyId | null;
  /** Present: DigiCert generates the keys (the CSV has no csr column). Absent: the file carries CSRs. */
  serverSideKeyGeneration?: DtmBatchServerSideKeyGenerationInput | null;
  /** Client-side keys only: the CSRs' key type, checked by DigiCert on each row. */
  keyType?: DtmKeyType | null;
  emails?: readonly string[] | null;
  externalEmails?: readonly string[] | null;
  passcodeGenerationOption?: boolean | null;
  /** Never echoed, not even in an error. */
  passcode?: string | null;
}

const BATCH_KEYGEN = "input.serverSideKeyGeneration";

/**
 * Validates a batch registration's fields (not the file: CSV and ZIP checks are separate) and builds the multipart
 * text fields. Given the certificate policy, also checks its rules: BATCH allowed, assigned to the group, the key
 * generation path and the key type. `now` judges the encryption certificate's validity. Holds the passcode: never log it.
 */
export async function toWireDtmBatch(
  input: DtmBatchInput,
  policy: CertificatePolicy | null = null,
  now: Date = new Date(),
): Promise<WireDtmBatchFields> {
  const keygen = input.serverSideKeyGeneration ?? null;
  const out: WireDtmBatchFields = {
    job_type: DEVICE_REGISTRATION_JOB_TYPE,
    name: text(input.name, "input.name", MAX_NAME),
    device_group_id: input.deviceGroupId,
    server_side_key_gen: keygen ? "true" : "false",
  };
  if (input.certificatePolicyId != null) out.certificate_policy_id = input.certificatePolicyId;
  if (keygen) {
    out.encryption_certificate = await encryptionCertificate(
      keygen.encryptionCertificate,
      `${BATCH_KEYGEN}.encryptionCertificate`,
      now,
      "Server-side key generation needs an encryption certificate (PEM, RSA key).",
    );
    if (keygen.keyType != null) out.key_type = keyType(keygen.keyType, `${BATCH_KEYGEN}.keyType`);
    if (input.keyType != null) {
      throw new ValidationError(
        "input.keyType",
        "With server-side keys, give the key type in serverSideKeyGeneration.",
      );
    }
  } else if (input.keyType != null) {
    out.key_type = keyType(input.keyType, "input.keyType");
  }
  const emails = emailList(input.emails, "input.emails");
  if (emails) out.emails = emails;
  const external = emailList(input.externalEmails, "input.externalEmails");
  if (external) out.external_emails = external;
  if (input.passcodeGenerationOption != null) {
    out.passcode_generation_option = input.passcodeGenerationOption ? "true" : "false";
  }
  if (input.passcode != null && input.passcode !== "") {
    if (typeof input.passcode !== "string" || !PASSCODE.test(input.passcode)) {
      throw new ValidationError(
        "input.passcode",
        "A passcode is 4 to 64 printable characters without spaces.",
      );
    }
    out.passcode = input.passcode;
  } else if (input.passcodeGenerationOption === false && external) {
    throw new ValidationError(
      "input.passcode",
      "External recipients need a passcode when passcodeGenerationOption is false.",
    );
  }
  if (policy) checkBatchAgainstPolicy(input, policy);
  return out;
}

/** The policy's rules for a batch: the same policy, BATCH method, assigned to the group, key generation, key type. */
export function checkBatchAgainstPolicy(input: DtmBatchInput, policy: CertificatePolicy): void {
  if (input.certificatePolicyId != null && input.certificatePolicyId !== policy.id) {
    throw new ValidationError(
      "input.certificatePolicyId",
      "The certificate policy checked is not the one requested.",
    );
  }
  if (policy.managementMethods.length > 0 && !policy.managementMethods.includes("BATCH")) {
    throw new ValidationError(
      "input.certificatePolicyId",
      "This certificate policy does not allow batch registration.",
    );
  }
  if (policy.deviceGroupIds.length > 0 && !policy.deviceGroupIds.includes(input.deviceGroupId)) {
    throw new ValidationError(
      "input.certificatePolicyId",
      "This certificate policy is not assigned to the device group.",
    );
  }
  const keygen = input.serverSideKeyGeneration ?? null;
  if (keygen && !policy.serverSideKeyGeneration) {
    throw new ValidationError(
      BATCH_KEYGEN,
      "This certificate policy does not allow server-side key generation: upload CSRs.",
    );
  }
  if (!keygen && !policy.clientSideKeyGeneration) {
    throw new ValidationError(
      BATCH_KEYGEN,
      "This certificate policy generates keys server-side: send serverSideKeyGeneration with an encryption certificate.",
    );
  }
  const requested = toDtmKeyType(keygen ? keygen.keyType : input.keyType);
  const allowed = policy.allowedKeyTypes;
  if (requested && allowed.length > 0 && !allowed.includes(requested)) {
    throw new ValidationError(
      keygen ? `${BATCH_KEYGEN}.keyType` : "input.keyType",
      `This certificate policy allows the key types ${allowed.join(", ")}.`,
    );
  }
}

/** Comma separated, trimmed, each address checked, at most 50; null when none. */
function emailList(list: readonly string[] | null | undefined, path: string): string | null {
  if (list == null || list.length === 0) return null;
  if (list.length > MAX_EMAILS) throw new ValidationError(path, `At most ${MAX_EMAILS} addresses.`);
  const out = list.map((entry, i) => {
    const email = typeof entry === "string" ? entry.trim() : "";
    if (email.length > 254 || !EMAIL.test(email)) {
      throw new ValidationError(`${path}[${i}]`, "Not an email address.");
    }
    return email;
  });
  return [...new Set(out)].join(",");
}
