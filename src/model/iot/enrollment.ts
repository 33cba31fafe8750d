/** What an IoT enrollment or renewal answered: the certificate, and a generated private key at most once. */
import { UpstreamInvalidResponseError, UpstreamOutcomeUnknownError } from "../errors.js";
import { isUuid, type SerialNumber, toSerialNumber } from "../ids.js";
import { readCertificates } from "../pem.js";
import { idLike, isObject } from "../read.js";
import type { ChainEntry } from "../tlm/certificate.js";
import type { PrivateKeyFormat } from "./enums.js";
import type { DeviceCertificateId } from "./ids.js";
import { type PartlyReadable, shortText } from "./list.js";
import { type PrivateKeyMaterial, toPrivateKey } from "./private-key.js";
import type { WireIotEnrollmentResponse } from "./wire.js";

/** Fields of an enrollment's answer DigiCert may send in a form the gateway cannot read. */
export type EnrolledField = "id" | "serialNumber" | "pem";

/** The certificate an enrollment answered with: whatever of it could be read (at least one identifier). */
export interface EnrolledDeviceCertificate extends PartlyReadable<EnrolledField> {
  /** DigiCert's certificate id; null when it was absent or not a UUID. */
  id: DeviceCertificateId | null;
  serialNumber: SerialNumber | null;
  requestId: string | null;
  /** DigiCert's words, e.g. AUTO_APPROVED and SUCCESS. */
  status: string | null;
  result: string | null;
  /** The leaf; null for CERT_ENCRYPTED, where the certificate travels only inside the encrypted bundle. */
  pem: string | null;
  /** What followed the leaf in `pem`: intermediate, then root (empty when the chain was not asked for). */
  chain: ChainEntry[];
}

export interface DeviceEnrollmentOutcome {
  certificate: EnrolledDeviceCertificate;
  /** Server-side key generation only; DigiCert keeps no copy, so this is its only delivery. */
  privateKey: PrivateKeyMaterial | null;
  /** A key was asked for (server-side key generation) but the answer held none the gateway could read. */
  privateKeyUnreadable: boolean;
}

const MAX_TEXT = 256;

/**
 * Enroll and renew share one response. `privateKeyFormat` is what the request asked for (null for a CSR): the response
 * does not repeat it. A private key sent for a CSR request is dropped.
 *
 * DigiCert answered 2xx, so a certificate may exist: the answer is read as far as it can be, and a field that cannot
 * be read (a certificate id that is not a UUID, a serial that is not hex, a `pem` that holds no certificate, a missing
 * key) is null and named, never a failure of the whole. An answer with no certificate id, serial number or request id
 * at all is UpstreamOutcomeUnknownError, carrying any id-like value it did hold; one that is not an object is
 * UpstreamInvalidResponseError (which the client reports as outcome unknown too).
 */
export function toDeviceEnrollmentOutcome(
  wire: WireIotEnrollmentResponse,
  privateKeyFormat: PrivateKeyFormat | null,
): DeviceEnrollmentOutcome {
  if (!isObject(wire)) throw new UpstreamInvalidResponseError();
  const unreadable: EnrolledField[] = [];
  const id = isUuid(wire.certificate_id) ? (wire.certificate_id.toLowerCase() as DeviceCertificateId) : null;
  if (!id && wire.certificate_id !== undefined && wire.certificate_id !== null) unreadable.push("id");
  const serialNumber = toSerialNumber(wire.serial_number);
  if (!serialNumber && wire.serial_number !== undefined && wire.serial_number !== null) {
    unreadable.push("serialNumber");
  }
  const requestId = shortText(wire.certificate_request_id, MAX_TEXT);
  // Nothing to find the certificate by: it may exist all the same. Any id-like value it did carry goes back.
  if (!id && !serialNumber && !requestId) {
    throw new UpstreamOutcomeUnknownError(idLike(wire.certificate_id) ?? idLike(wire.serial_number));
  }
  const hasPem = typeof wire.pem === "string" && wire.pem.trim() !== "";
  const certificates = hasPem ? readCertificates(wire.pem) : null;
  if (hasPem && !certificates) unreadable.push("pem");
  const [pem, ...chain] = certificates ?? [];
  let privateKey: PrivateKeyMaterial | null = null;
  let privateKeyUnreadable = false;
  if (privateKeyFormat) {
    try {
      privateKey = toPrivateKey(wire.private_key, privateKeyFormat);
    } catch (error) {
      if (!(error instanceof UpstreamInvalidResponseError)) throw error;
      privateKeyUnreadable = true;
    }
  }
  return {
    certificate: {
      id,
      serialNumber,
      requestId,
      status: shortText(wire.status, MAX_TEXT)?.toUpperCase() ?? null,
      result: shortText(wire.result, MAX_TEXT)?.toUpperCase() ?? null,
      pem: pem ?? null,
      chain: chain.map((block) => ({ commonName: null, pem: block })),
      unreadable,
    },
    privateKey,
    privateKeyUnreadable,
  };
}
