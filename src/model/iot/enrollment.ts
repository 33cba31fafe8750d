/** What an IoT enrollment or renewal answered: the certificate, and a generated private key at most once. */
import { UpstreamInvalidResponseError } from "../errors.js";
import { isSerialNumber, toSerialNumber, isUuid, type SerialNumber } from "../ids.js";
import { leafAndChain } from "../pem.js";
import type { ChainEntry } from "../tlm/certificate.js";
import type { PrivateKeyFormat } from "./enums.js";
import type { DeviceCertificateId } from "./ids.js";
import { type PrivateKeyMaterial, toPrivateKey } from "./private-key.js";
import type { WireIotEnrollmentResponse } from "./wire.js";

/** The certificate an enrollment answered with. */
export interface EnrolledDeviceCertificate {
  id: DeviceCertificateId;
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
}

/**
 * Enroll and renew share one response. `privateKeyFormat` is what the request asked for (null for a CSR):
 * the response does not repeat it. A private key sent for a CSR request is dropped.
 */
export function toDeviceEnrollmentOutcome(
  wire: WireIotEnrollmentResponse,
  privateKeyFormat: PrivateKeyFormat | null,
): DeviceEnrollmentOutcome {
  if (typeof wire !== "object" || wire === null) throw new UpstreamInvalidResponseError();
  if (typeof wire.certificate_id !== "string" || !isUuid(wire.certificate_id)) {
    throw new UpstreamInvalidResponseError();
  }
  if (
    wire.serial_number !== undefined &&
    (typeof wire.serial_number !== "string" || !isSerialNumber(wire.serial_number))
  ) {
    throw new UpstreamInvalidResponseError();
  }
  const issued = typeof wire.pem === "string" && wire.pem.trim() !== "" ? leafAndChain(wire.pem) : null;
  return {
    certificate: {
      id: wire.certificate_id.toLowerCase() as DeviceCertificateId,
      serialNumber: wire.serial_number ? (toSerialNumber(wire.serial_number) as SerialNumber) : null,
      requestId: typeof wire.certificate_request_id === "string" ? wire.certificate_request_id : null,
      status: typeof wire.status === "string" ? wire.status.toUpperCase() : null,
      result: typeof wire.result === "string" ? wire.result.toUpperCase() : null,
      pem: issued?.pem ?? null,
      chain: issued?.chain ?? [],
    },
    privateKey: privateKeyFormat ? toPrivateKey(wire.private_key, privateKeyFormat) : null,
  };
}
