/** IoT Trust Manager's enumerations: uppercase here, lowercase on the wire. */
import type { WireIotKeyType, WirePrivateKeyFormat } from "./wire.js";

export const IOT_KEY_TYPES = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "P_256",
  "P_384",
  "P_521",
  "ED_25519",
] as const;
export type IotKeyType = (typeof IOT_KEY_TYPES)[number];

export const KEY_GENERATION_OPTIONS = [
  "CLIENT_SIDE",
  "SERVER_SIDE",
  "CLIENT_OR_SERVER_SIDE",
  "UNKNOWN",
] as const;
export type KeyGenerationOption = (typeof KEY_GENERATION_OPTIONS)[number];
export type KeyGeneration = "CLIENT_SIDE" | "SERVER_SIDE";

/** The methods the gateway uses; others a profile lists (EST, SCEP, CMPv2) are left out. */
export const IOT_ENROLLMENT_METHODS = ["API", "BATCH"] as const;
export type IotEnrollmentMethod = (typeof IOT_ENROLLMENT_METHODS)[number];

export const PRIVATE_KEY_FORMATS = [
  "PEM",
  "DER",
  "PKCS12",
  "CERT_ENCRYPTED",
  "CERT_ENCRYPTED_KEY_ONLY",
] as const;
export type PrivateKeyFormat = (typeof PRIVATE_KEY_FORMATS)[number];

export const PRIVATE_KEY_SYNTAXES = ["PKCS8", "PKCS1"] as const;
export type PrivateKeySyntax = (typeof PRIVATE_KEY_SYNTAXES)[number];

export const BATCH_CERTIFICATE_FORMATS = ["JSON", "PEM", "DER"] as const;
export type BatchCertificateFormat = (typeof BATCH_CERTIFICATE_FORMATS)[number];

/** IoT Trust Manager's batch job statuses (a subset of the shared list in ./batch.ts). */
export const IOT_BATCH_JOB_STATUSES = [
  "PENDING_APPROVAL",
  "APPROVED",
  "IN_PROGRESS",
  "COMPLETE",
  "FAILED",
  "REJECTED",
  "UNKNOWN",
] as const;
export type IotBatchJobStatus = (typeof IOT_BATCH_JOB_STATUSES)[number];

/** Statuses IoT lists and filters by; the shared CertificateStatus covers them. */
export const DEVICE_CERTIFICATE_FILTER_STATUSES = ["ISSUED", "REVOKED", "EXPIRED"] as const;

/** The device attribute id every profile accepts for the device's identifier. */
export const DEVICE_IDENTIFIER = "DEVICE_IDENTIFIER";

export const WIRE_PRIVATE_KEY_FORMATS: Record<PrivateKeyFormat, WirePrivateKeyFormat> = {
  PEM: "pem",
  DER: "der",
  PKCS12: "pkcs_12",
  CERT_ENCRYPTED: "cert_encrypted",
  CERT_ENCRYPTED_KEY_ONLY: "cert_encrypted_key_only",
};

export function toWireKeyType(keyType: IotKeyType): WireIotKeyType {
  return keyType.toLowerCase() as WireIotKeyType;
}

export function isRsa(keyType: IotKeyType): boolean {
  return keyType.startsWith("RSA_");
}
