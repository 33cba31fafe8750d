/**
 * IoT enrollment and renewal input: validated, and built into IoT's request body, before any upstream call; then
 * checked against the enrollment profile's rules.
 */
import { InvalidCsrError, ValidationError } from "../errors.js";
import { checkedCsr, encryptionCertificate, text } from "../input.js";
import { oneOf } from "../read.js";
import { parseCsrPem, type PublicKeyInfo, X509ParseError } from "../x509.js";
import {
  IOT_KEY_TYPES,
  type IotKeyType,
  isRsa,
  PRIVATE_KEY_FORMATS,
  PRIVATE_KEY_SYNTAXES,
  type PrivateKeyFormat,
  type PrivateKeySyntax,
  toWireKeyType,
  WIRE_PRIVATE_KEY_FORMATS,
} from "./enums.js";
import type { IotProfileId } from "./ids.js";
import type { EnrollmentField, EnrollmentProfile } from "./profile.js";
import type {
  WireIotAttribute,
  WireIotEnrollmentRequest,
  WireIotRenewRequest,
  WirePrivateKeySyntax,
} from "./wire.js";

const NEEDS_ENCRYPTION_CERTIFICATE =
  "This private key format needs an encryption certificate (PEM, RSA key).";

export interface IotAttributeInput {
  id: string;
  value: string;
}

export interface ServerSideKeyGenerationInput {
  /** Absent: the profile's default key type. */
  keyType?: IotKeyType | null;
  privateKeyFormat: PrivateKeyFormat;
  /** PKCS12 only, and required there: 6 to 20 of A-Z, a-z, 0-9. */
  pkcs12Password?: string | null;
  /** CERT_ENCRYPTED and CERT_ENCRYPTED_KEY_ONLY only, and required there: one PEM certificate with an RSA key. */
  encryptionCertificate?: string | null;
  /** Default PKCS8; PKCS1 for RSA keys only. */
  privateKeySyntax?: PrivateKeySyntax | null;
  /** Default true: the chain comes with the certificate (and inside a PKCS#12 or encrypted bundle). */
  includeCertificateChain?: boolean | null;
}

/** A renewal: exactly one of `csr` and `serverSideKeyGeneration`; attribute lists left out keep their values. */
export interface IotRenewalInput {
  csr?: string | null;
  serverSideKeyGeneration?: ServerSideKeyGenerationInput | null;
  /** certificate_profile_attributes: `subject.*` and `san.*` ids from the enrollment specification. */
  certificateAttributes?: readonly IotAttributeInput[] | null;
  /** device_attributes: DEVICE_IDENTIFIER or a custom device attribute's id. */
  deviceAttributes?: readonly IotAttributeInput[] | null;
}

export interface IotEnrollmentInput extends IotRenewalInput {
  enrollmentProfileId: IotProfileId;
}

const MAX_ATTRIBUTES = 100;
const MAX_VALUE = 256;
const ATTRIBUTE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const PKCS12_PASSWORD = /^[A-Za-z0-9]{6,20}$/;
export const KEYGEN = "input.serverSideKeyGeneration";

/**
 * Validates an enrollment and builds IoT's request body, before any upstream call: exactly one of a CSR
 * (parsed, signature verified) and server-side key generation (password, encryption certificate and
 * syntax rules). The profile's own rules are `checkAgainstProfile`'s. `now` judges the encryption
 * certificate's validity. The body may hold the PKCS#12 password: never log it.
 */
export async function toWireIotEnrollment(
  input: IotEnrollmentInput,
  now: Date = new Date(),
): Promise<WireIotEnrollmentRequest> {
  return { enrollment_profile_id: input.enrollmentProfileId, ...(await toWireIotRenewal(input, now)) };
}

/** As `toWireIotEnrollment`, for POST /certificate/{id}/renew (no profile id; absent lists are not sent). */
export async function toWireIotRenewal(
  input: IotRenewalInput,
  now: Date = new Date(),
): Promise<WireIotRenewRequest> {
  const hasCsr = input.csr !== null && input.csr !== undefined;
  const keygen = input.serverSideKeyGeneration ?? null;
  if (hasCsr === (keygen !== null)) {
    throw new ValidationError(
      "input",
      hasCsr
        ? "Send either a CSR or serverSideKeyGeneration, not both."
        : "Send a CSR, or serverSideKeyGeneration to have DigiCert generate the key.",
    );
  }
  const body: WireIotRenewRequest = {};
  if (input.certificateAttributes != null) {
    body.certificate_profile_attributes = attributes(
      input.certificateAttributes,
      "input.certificateAttributes",
    );
  }
  if (input.deviceAttributes != null) {
    body.device_attributes = attributes(input.deviceAttributes, "input.deviceAttributes");
  }
  if (keygen === null) return { csr: await checkedCsr(input.csr ?? ""), ...body };
  return { ...body, ...(await wireKeyGeneration(keygen, now)) };
}

async function wireKeyGeneration(
  keygen: ServerSideKeyGenerationInput,
  now: Date,
): Promise<Partial<WireIotRenewRequest>> {
  const format = oneOf(PRIVATE_KEY_FORMATS, keygen.privateKeyFormat);
  if (!format)
    throw new ValidationError(
      `${KEYGEN}.privateKeyFormat`,
      `Expected one of ${PRIVATE_KEY_FORMATS.join(", ")}.`,
    );
  const out: Partial<WireIotRenewRequest> = {
    server_side_key_gen: true,
    private_key_format: WIRE_PRIVATE_KEY_FORMATS[format],
  };
  if (keygen.keyType != null) {
    const keyType = oneOf(IOT_KEY_TYPES, keygen.keyType);
    if (!keyType)
      throw new ValidationError(`${KEYGEN}.keyType`, `Expected one of ${IOT_KEY_TYPES.join(", ")}.`);
    out.key_type = toWireKeyType(keyType);
  }
  if (keygen.privateKeySyntax != null) {
    out.private_key_syntax = wireSyntax(keygen.privateKeySyntax, oneOf(IOT_KEY_TYPES, keygen.keyType));
  }
  // Never quote the password back, not even in an error.
  if (format === "PKCS12") {
    if (typeof keygen.pkcs12Password !== "string" || !PKCS12_PASSWORD.test(keygen.pkcs12Password)) {
      throw new ValidationError(
        `${KEYGEN}.pkcs12Password`,
        "PKCS12 needs a password of 6 to 20 characters, each a letter (A-Z, a-z) or a digit.",
      );
    }
    out.pkcs12_password = keygen.pkcs12Password;
  } else if (keygen.pkcs12Password != null) {
    throw new ValidationError(`${KEYGEN}.pkcs12Password`, "Only the PKCS12 format takes a password.");
  }
  const encrypted = format === "CERT_ENCRYPTED" || format === "CERT_ENCRYPTED_KEY_ONLY";
  if (encrypted) {
    out.encryption_certificate = await encryptionCertificate(
      keygen.encryptionCertificate,
      `${KEYGEN}.encryptionCertificate`,
      now,
      NEEDS_ENCRYPTION_CERTIFICATE,
    );
  } else if (keygen.encryptionCertificate != null) {
    throw new ValidationError(
      `${KEYGEN}.encryptionCertificate`,
      "Only CERT_ENCRYPTED and CERT_ENCRYPTED_KEY_ONLY take an encryption certificate.",
    );
  }
  if (keygen.includeCertificateChain != null) out.include_certificate_chain = keygen.includeCertificateChain;
  return out;
}

export function wireSyntax(
  syntax: PrivateKeySyntax,
  keyType: IotKeyType | null,
  path = `${KEYGEN}.privateKeySyntax`,
): WirePrivateKeySyntax {
  const value = oneOf(PRIVATE_KEY_SYNTAXES, syntax);
  if (!value) throw new ValidationError(path, "Expected PKCS8 or PKCS1.");
  if (value === "PKCS1" && keyType !== null && !isRsa(keyType)) {
    throw new ValidationError(path, "PKCS1 applies to RSA keys only; use PKCS8.");
  }
  return value.toLowerCase() as WirePrivateKeySyntax;
}

function attributes(list: readonly IotAttributeInput[], path: string): WireIotAttribute[] {
  if (list.length > MAX_ATTRIBUTES) throw new ValidationError(path, `At most ${MAX_ATTRIBUTES} attributes.`);
  return list.map((attribute, i) => {
    const id = typeof attribute?.id === "string" ? attribute.id.trim() : "";
    if (!ATTRIBUTE_ID.test(id)) {
      throw new ValidationError(
        `${path}[${i}].id`,
        "An attribute id is 1 to 128 letters, digits, '_', '.', ':' or '-'.",
      );
    }
    return { id, value: text(attribute.value, `${path}[${i}].value`, MAX_VALUE) };
  });
}

/** The IoT key type of a CSR's key, or null for keys IoT does not list. */
function keyTypeOf(key: PublicKeyInfo): IotKeyType | null {
  const label =
    key.algorithm === "RSA"
      ? `RSA_${key.size}`
      : key.algorithm === "EC"
        ? `P_${key.size}`
        : key.algorithm === "ED25519"
          ? "ED_25519"
          : "";
  return oneOf(IOT_KEY_TYPES, label);
}

/**
 * The profile's rules, once the profile is loaded and before enrolling (or renewing under it): the key
 * generation path it allows, the API method (enrollment only), the key type (server-side request, or the
 * CSR's key), PKCS1 against the key that will be generated, and, given the enrollment specification,
 * attribute ids, repeats of single-valued fields and fixed values. Async: the CSR is parsed again.
 */
export async function checkAgainstProfile(
  input: IotRenewalInput | IotEnrollmentInput,
  profile: EnrollmentProfile,
  fields: readonly EnrollmentField[] | null = profile.fields,
): Promise<void> {
  if (
    "enrollmentProfileId" in input &&
    profile.enrollmentMethods.length > 0 &&
    !profile.enrollmentMethods.includes("API")
  ) {
    throw new ValidationError(
      "input.enrollmentProfileId",
      "This enrollment profile does not allow API enrollment.",
    );
  }
  const keygen = input.serverSideKeyGeneration ?? null;
  const option = profile.keyGenerationOption;
  if (keygen === null && option === "SERVER_SIDE") {
    throw new ValidationError(
      "input.csr",
      "This enrollment profile generates keys server-side: send serverSideKeyGeneration, not a CSR.",
    );
  }
  if (keygen !== null && option === "CLIENT_SIDE") {
    throw new ValidationError(
      KEYGEN,
      "This enrollment profile does not allow server-side key generation: send a CSR.",
    );
  }
  const allowed = profile.allowedKeyTypes;
  if (keygen !== null) {
    const requested = oneOf(IOT_KEY_TYPES, keygen.keyType);
    checkKeyType(requested, profile, `${KEYGEN}.keyType`);
    if (oneOf(PRIVATE_KEY_SYNTAXES, keygen.privateKeySyntax) === "PKCS1") {
      wireSyntax("PKCS1", effectiveKeyType(requested, profile));
    }
  } else if (allowed.length > 0 && input.csr != null) {
    const parsed = await parseCsrPem(input.csr).catch((error: unknown) => {
      if (error instanceof X509ParseError) throw new InvalidCsrError(`The CSR is invalid: ${error.message}`);
      throw error;
    });
    const keyType = keyTypeOf(parsed.publicKey);
    if (!keyType || !allowed.includes(keyType)) {
      throw new InvalidCsrError(
        `The CSR's key (${keyType ?? "of a type IoT Trust Manager does not list"}) is not one this enrollment profile allows (${allowed.join(", ")}).`,
      );
    }
  }
  if (fields) {
    checkAttributes(input.certificateAttributes, fields, "CERTIFICATE", "input.certificateAttributes");
    checkAttributes(input.deviceAttributes, fields, "DEVICE", "input.deviceAttributes");
  }
}

export function checkKeyType(requested: IotKeyType | null, profile: EnrollmentProfile, path: string): void {
  const allowed = profile.allowedKeyTypes;
  if (requested !== null && allowed.length > 0 && !allowed.includes(requested)) {
    throw new ValidationError(path, `This enrollment profile allows the key types ${allowed.join(", ")}.`);
  }
}

/** The key DigiCert will generate: the profile's when it fixes one or none was asked for. */
export function effectiveKeyType(
  requested: IotKeyType | null,
  profile: EnrollmentProfile,
): IotKeyType | null {
  return profile.keyTypeFixed || requested === null ? profile.defaultKeyType : requested;
}

function checkAttributes(
  list: readonly IotAttributeInput[] | null | undefined,
  fields: readonly EnrollmentField[],
  kind: "CERTIFICATE" | "DEVICE",
  path: string,
): void {
  const seen = new Set<EnrollmentField>();
  (list ?? []).forEach((attribute, i) => {
    const id = String(attribute?.id ?? "")
      .trim()
      .toLowerCase();
    const field = fields.find((f) => f.kind === kind && f.id.toLowerCase() === id);
    if (!field) {
      const what = kind === "CERTIFICATE" ? "certificate" : "device";
      throw new ValidationError(`${path}[${i}].id`, `Not a ${what} attribute of this enrollment profile.`);
    }
    if (seen.has(field) && !field.multiple) {
      throw new ValidationError(`${path}[${i}]`, `${field.id} takes a single value.`);
    }
    seen.add(field);
    if (field.fixedValue !== null && String(attribute.value ?? "").trim() !== field.fixedValue) {
      throw new ValidationError(`${path}[${i}].value`, `${field.id} is fixed by the enrollment profile.`);
    }
  });
}

/** A validated enrollment request, ready to send (built by `toWireIotEnrollment`; may hold a PKCS#12 password). */
export type IotEnrollmentRequest = WireIotEnrollmentRequest;
/** A validated renewal request, ready to send (built by `toWireIotRenewal`). */
export type IotRenewRequest = WireIotRenewRequest;
