import {
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  type DtmDeviceId,
  parseDtmCertificatePolicyId,
  parseDtmDeviceGroupId,
  parseDtmDeviceId,
} from "../model/dtm/ids.js";
import { parseUuid, type Uuid } from "../model/ids.js";
import {
  type DeviceCertificateRef,
  type IotProfileId,
  parseDeviceCertificateRef,
  parseIotProfileId,
} from "../model/iot/ids.js";

/**
 * Relay global ids (base64 of `Type:id`, as @pothos/plugin-relay encodes them) read strictly: only the canonical
 * encoding of a well-formed pair is accepted, so one object has exactly one global id. Null for anything else.
 */
export function decodeGlobalId(value: string): { typename: string; id: string } | null {
  if (value.length === 0 || value.length > 512) return null;
  const text = Buffer.from(value, "base64").toString("utf8");
  const match = /^([A-Za-z][A-Za-z0-9]*):(.+)$/s.exec(text);
  if (!match || Buffer.from(text).toString("base64") !== value) return null;
  return { typename: match[1]!, id: match[2]! };
}

/**
 * An id argument that takes an object's global id or DigiCert's own id: the DigiCert id, unparsed (the caller's
 * parser validates it). A global id of another type is refused by returning it whole, which no DigiCert id parser
 * accepts.
 */
export function ownId(value: string, typename: string): string {
  const global = decodeGlobalId(value);
  return global?.typename === typename ? global.id : value;
}

/*
 * The id policy. An object's `id: ID!` is its global id (Node). DigiCert's own id is a String field named for it
 * (`profileId`, `certificateId`, `deviceId`, `groupId`, `policyId`, `jobId`). Every argument or input field that names
 * an object is an `ID` that takes either, and is checked against that type's form before any upstream call: anything
 * else is a VALIDATION_FAILED naming the argument. TLM certificates are named by serial number (`SerialNumber`).
 */

/** The description of an argument naming a `typename` object, whose DigiCert id is the field `own` (what it looks like). */
export function idArgDescription(typename: string, own: string): string {
  return `The ${typename}'s global id (\`${typename}.id\`), or DigiCert's id (${own}); checked before any upstream call.`;
}

/** A TLM profile: its global id or DigiCert's UUID. */
export function profileIdOf(value: string | number, field: string): Uuid {
  return parseUuid(ownId(String(value), "Profile"), field);
}

/** An IoT enrollment profile: its global id or IOT_<uuid>. */
export function enrollmentProfileIdOf(value: string | number, field: string): IotProfileId {
  return parseIotProfileId(ownId(String(value), "EnrollmentProfile"), field);
}

/** An IoT certificate: its global id, DigiCert's certificate id (a UUID), or its serial number. */
export function deviceCertificateRefOf(value: string | number, field: string): DeviceCertificateRef {
  return parseDeviceCertificateRef(ownId(String(value), "DeviceCertificate"), field);
}

/** A Device Trust Manager device: its global id or DigiCert's UUID. */
export function deviceIdOf(value: string | number, field: string): DtmDeviceId {
  return parseDtmDeviceId(ownId(String(value), "Device"), field);
}

/** A Device Trust Manager device group: its global id or DigiCert's UUID. */
export function deviceGroupIdOf(value: string | number, field: string): DtmDeviceGroupId {
  return parseDtmDeviceGroupId(ownId(String(value), "DeviceGroup"), field);
}

/** A Device Trust Manager certificate policy: its global id or IOT_<uuid>. */
export function certificatePolicyIdOf(value: string | number, field: string): DtmCertificatePolicyId {
  return parseDtmCertificatePolicyId(ownId(String(value), "CertificatePolicy"), field);
}
