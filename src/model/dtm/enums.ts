/** Device Trust Manager's enumerations and fixed codes. */
import type { WireDtmKeyType } from "./wire.js";

/** DTM's spelling, uppercase [C: RSA_2048; the rest I]. */
export const DTM_KEY_TYPES = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "P_256",
  "P_384",
  "P_521",
  "ED25519",
] as const satisfies readonly WireDtmKeyType[];
export type DtmKeyType = (typeof DTM_KEY_TYPES)[number];

/** Other spellings DigiCert has been seen to use for the same keys [I]; answers are read through them. */
const KEY_TYPE_ALIASES: Readonly<Record<string, DtmKeyType>> = {
  ECDSA_P256: "P_256",
  ECDSA_P384: "P_384",
  ECDSA_P521: "P_521",
  EC_P256: "P_256",
  EC_P384: "P_384",
  EC_P521: "P_521",
  ED_25519: "ED25519",
};

export function toDtmKeyType(value: unknown): DtmKeyType | null {
  if (typeof value !== "string") return null;
  const upper = value.trim().toUpperCase();
  if ((DTM_KEY_TYPES as readonly string[]).includes(upper)) return upper as DtmKeyType;
  return KEY_TYPE_ALIASES[upper] ?? null;
}

export const DTM_MANAGEMENT_METHODS = ["API", "BATCH"] as const;
export type DtmManagementMethod = (typeof DTM_MANAGEMENT_METHODS)[number];

export const DEVICE_STATUSES = ["REGISTERED", "PROVISIONED", "DISABLED", "UNKNOWN"] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/**
 * Job states: PENDING_APPROVAL, IN_PROGRESS, COMPLETE, FAILED [C]; PENDING, TERMINATED, PENDING_REJECTION,
 * REJECTION_IN_PROGRESS, REJECTED are the UI's labels in API spelling [I].
 */
export const DTM_JOB_STATUSES = [
  "PENDING",
  "IN_PROGRESS",
  "PENDING_APPROVAL",
  "COMPLETE",
  "FAILED",
  "TERMINATED",
  "PENDING_REJECTION",
  "REJECTION_IN_PROGRESS",
  "REJECTED",
  "UNKNOWN",
] as const;
export type DtmJobStatus = (typeof DTM_JOB_STATUSES)[number];

export const REGISTRATION_ROW_STATUSES = ["SUCCESS", "FAILED", "REJECTED", "UNKNOWN"] as const;
export type RegistrationRowStatus = (typeof REGISTRATION_ROW_STATUSES)[number];

/** DTM's code for a duplicate device name [C]. */
export const DUPLICATE_DEVICE_CODE = "03";
/** The job type of device registration batches [C]. */
export const DEVICE_REGISTRATION_JOB_TYPE = "device_registration";
