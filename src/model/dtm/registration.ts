/** A single Device Trust Manager registration: validated, and built into DTM's request body, before any upstream call. */
import { InvalidCsrError, UpstreamOutcomeUnknownError, ValidationError } from "../errors.js";
import { checkedCsr, text } from "../input.js";
import { oneOf } from "../read.js";
import { DTM_KEY_TYPES, type DtmKeyType } from "./enums.js";
import {
  createdId,
  createdIdLike,
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  type DtmDeviceId,
} from "./ids.js";
import type {
  WireDtmAttribute,
  WireDtmBootstrap,
  WireDtmDeviceRegistration,
  WireDtmKeyType,
  WireDtmRegistrationResponse,
} from "./wire.js";

export interface DeviceBootstrapInput {
  certificatePolicyId: DtmCertificatePolicyId;
  /** Client-side keys: the CSR. Exactly one of `csr` and `serverSideKeyGeneration`. */
  csr?: string | null;
  serverSideKeyGeneration?: { keyType?: DtmKeyType | null } | null;
  attributes?: readonly { name: string; value: string }[] | null;
}

export interface DeviceRegistrationInput {
  name: string;
  deviceGroupId: DtmDeviceGroupId;
  description?: string | null;
  bootstrap?: readonly DeviceBootstrapInput[] | null;
}

export const MAX_NAME = 255;
const MAX_DESCRIPTION = 1024;
const MAX_VALUE = 256;
const MAX_BOOTSTRAP = 5;
const MAX_ATTRIBUTES = 100;
export const MAX_EMAILS = 50;
const ATTRIBUTE_NAME = /^(subject|san)\.[a-z_]{1,64}$/i;
export const EMAIL =
  /^[^\s@,;"<>]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;
// DTM's passcode rule [I]: 4 to 64 printable characters without spaces.
export const PASSCODE = /^[\x21-\x7e]{4,64}$/;

/**
 * Validates a single registration and builds POST /device/registration's body. Async: each CSR is parsed and its
 * signature verified. The policies' own rules (key types, columns) are DigiCert's to check, or `checkBootstrapAgainstPolicy`'s.
 */
export async function toWireDeviceRegistration(
  input: DeviceRegistrationInput,
): Promise<WireDtmDeviceRegistration> {
  const out: WireDtmDeviceRegistration = {
    name: text(input.name, "input.name", MAX_NAME),
    device_group_id: input.deviceGroupId,
  };
  if (input.description != null && input.description.trim() !== "") {
    const description = input.description.trim();
    if (description.length > MAX_DESCRIPTION || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(description)) {
      throw new ValidationError(
        "input.description",
        `Must be at most ${MAX_DESCRIPTION} printable characters.`,
      );
    }
    out.description = description;
  }
  const list = input.bootstrap ?? [];
  if (list.length > MAX_BOOTSTRAP) {
    throw new ValidationError("input.bootstrap", `At most ${MAX_BOOTSTRAP} certificate policies.`);
  }
  if (list.length === 0) return out;
  const bootstrap: WireDtmBootstrap[] = [];
  for (const [i, entry] of list.entries()) {
    const path = `input.bootstrap[${i}]`;
    if (bootstrap.some((other) => other.certificate_policy_id === entry.certificatePolicyId)) {
      throw new ValidationError(`${path}.certificatePolicyId`, "Each certificate policy may be given once.");
    }
    const hasCsr = entry.csr != null;
    const keygen = entry.serverSideKeyGeneration ?? null;
    if (hasCsr === (keygen !== null)) {
      throw new ValidationError(
        path,
        hasCsr
          ? "Send either a CSR or serverSideKeyGeneration, not both."
          : "Send a CSR, or serverSideKeyGeneration to have DigiCert generate the key.",
      );
    }
    const wire: WireDtmBootstrap = {
      certificate_policy_id: entry.certificatePolicyId,
      server_side_key_gen: keygen !== null,
      attributes: registrationAttributes(entry.attributes ?? [], `${path}.attributes`),
    };
    if (keygen !== null) {
      if (keygen.keyType != null)
        wire.key_type = keyType(keygen.keyType, `${path}.serverSideKeyGeneration.keyType`);
    } else {
      try {
        wire.csr = await checkedCsr(entry.csr ?? "");
      } catch (error) {
        if (error instanceof InvalidCsrError) throw new ValidationError(`${path}.csr`, error.message);
        throw error;
      }
    }
    bootstrap.push(wire);
  }
  out.certificate_policies = { bootstrap };
  return out;
}

function registrationAttributes(
  list: readonly { name: string; value: string }[],
  path: string,
): WireDtmAttribute[] {
  if (list.length > MAX_ATTRIBUTES) throw new ValidationError(path, `At most ${MAX_ATTRIBUTES} attributes.`);
  return list.map((attribute, i) => {
    const name = typeof attribute?.name === "string" ? attribute.name.trim().toLowerCase() : "";
    if (!ATTRIBUTE_NAME.test(name)) {
      throw new ValidationError(
        `${path}[${i}].name`,
        "An attribute name is a template column such as subject.common_name or san.dns_name.",
      );
    }
    return { name, value: text(attribute.value, `${path}[${i}].value`, MAX_VALUE) };
  });
}

export function keyType(value: unknown, path: string): WireDtmKeyType {
  const type = oneOf(DTM_KEY_TYPES, value);
  if (!type) throw new ValidationError(path, `Expected one of ${DTM_KEY_TYPES.join(", ")}.`);
  return type;
}

/** A validated registration, ready to send (built by `toWireDeviceRegistration`). */
export type DeviceRegistrationRequest = WireDtmDeviceRegistration;

/**
 * The registered device's id from POST /device/registration: `{device_id}` [C], read as liberally as a job's id
 * (`{id}`, `{data: {device_id}}`, ... [I]); no UUID there: UpstreamOutcomeUnknownError (the device may exist), with
 * any id-like value it did hold.
 */
export function toRegisteredDeviceId(wire: WireDtmRegistrationResponse): DtmDeviceId {
  const keys = ["device_id", "id"];
  const id = createdId<DtmDeviceId>(wire, keys);
  if (!id) throw new UpstreamOutcomeUnknownError(createdIdLike(wire, keys));
  return id;
}
