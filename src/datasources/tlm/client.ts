import type { RequestId, SerialNumber, Uuid } from "../../model/ids.js";
import {
  toAdditionalFormats,
  toCertificate,
  toCertificateSearchPage,
  toEnrollmentOutcome,
} from "../../model/tlm/answers.js";
import {
  type AdditionalFormats,
  type Certificate,
  type CertificateFilter,
  type DeliveryFormat,
  type EnrollmentOutcome,
  type RevocationReason,
  toWireRevocationReason,
  toWireSearchFilter,
} from "../../model/tlm/certificate.js";
import type { IssueRequest, RenewRequest } from "../../model/tlm/enrollment.js";
import { type Profile, toProfile, toProfileList } from "../../model/tlm/profile.js";
import { isObject, type Page } from "../../model/read.js";
import type { WireRevokeRequest } from "../../model/tlm/wire.js";
import { mapped, readCreated } from "../errors.js";
import { readBounded, type UpstreamClient, upstreamPath } from "../http.js";
import { readOrNull } from "../parts.js";
import { type CallContext, toTlmDomainError } from "./errors.js";

/**
 * Trust Lifecycle Manager (`/mpki/api`). One method per REST call, returning domain objects (mapped by
 * src/model/tlm) and throwing domain errors (mapped once, by ./errors.ts). Identifiers and request bodies arrive
 * validated (branded ids; bodies built by the model). Reads whose "absent" answer is normal return null
 * (profile: 403; certificate: 403, 404). Calls that issue a certificate are never resent, and a 2xx they answered
 * always returns what it names (a serial, or a pending request), else outcome unknown, never a plain failure.
 */
export class TlmClient {
  constructor(private readonly http: UpstreamClient) {}

  /** TLM's liveness answer (text): true on any 2xx. Readiness asks it; it issues nothing, so it may be retried. */
  async hello(): Promise<boolean> {
    const res = await this.http.stream({
      operation: "tlm.hello",
      method: "GET",
      path: upstreamPath`/mpki/api/v1/hello`,
      accept: "text/plain",
    });
    await readBounded(res.body, 4096, "tlm.hello");
    return true;
  }

  listProfiles(offset: number, limit: number): Promise<Profile[]> {
    return this.#call({ idempotent: true }, async () => {
      const res = await this.http.request({
        operation: "tlm.listProfiles",
        method: "GET",
        path: upstreamPath`/mpki/api/v2/profile`,
        query: { offset, limit },
      });
      return toProfileList(res.json);
    });
  }

  /** TLM answers 403, not 404, for a profile id that is unknown or not visible to the caller. */
  getProfile(id: Uuid): Promise<Profile | null> {
    return this.#call({ idempotent: true, profileId: id }, () =>
      readOrNull(
        this.http,
        { operation: "tlm.getProfile", method: "GET", path: upstreamPath`/mpki/api/v2/profile/${id}` },
        toProfile,
      ),
    );
  }

  /** 403: another tenant's certificate, which this tenant must not learn exists. */
  getCertificate(serial: SerialNumber): Promise<Certificate | null> {
    return this.#call({ idempotent: true, serialNumber: serial }, () =>
      readOrNull(
        this.http,
        {
          operation: "tlm.getCertificate",
          method: "GET",
          path: upstreamPath`/mpki/api/v1/certificate/${serial}`,
        },
        toCertificate,
      ),
    );
  }

  getAdditionalFormats(serial: SerialNumber): Promise<AdditionalFormats> {
    return this.#call({ idempotent: true, serialNumber: serial }, async () => {
      const res = await this.http.request({
        operation: "tlm.getAdditionalFormats",
        method: "GET",
        path: upstreamPath`/mpki/api/v1/certificate/${serial}/additional-formats`,
      });
      return toAdditionalFormats(res.json);
    });
  }

  /** `filter` is validated here, before anything is sent. */
  searchCertificates(filter: CertificateFilter, offset: number, limit: number): Promise<Page<Certificate>> {
    const query = toWireSearchFilter(filter);
    return this.#call({ idempotent: true }, async () => {
      const res = await this.http.request({
        operation: "tlm.searchCertificates",
        method: "GET",
        path: upstreamPath`/mpki/api/v1/certificate-search`,
        query: { ...query, offset, limit },
      });
      return toCertificateSearchPage(res.json);
    });
  }

  /** Not idempotent: issues a certificate. Never retried. */
  issueCertificate(body: IssueRequest): Promise<EnrollmentOutcome> {
    const profileId = body.profile.id as Uuid;
    return this.#call({ idempotent: false, profileId }, async () => {
      const res = await this.http.request({
        operation: "tlm.issueCertificate",
        method: "POST",
        path: upstreamPath`/mpki/api/v1/certificate`,
        body,
      });
      return readCreated(() => toEnrollmentOutcome(res.json, profileId, deliveryFormatOf(body)));
    });
  }

  /**
   * Not idempotent: issues a certificate. Never retried. A pending renewal is picked up with its profile's id, which
   * only the original certificate knows: `profileOf` is asked for it then.
   */
  renewCertificate(
    serial: SerialNumber,
    body: RenewRequest,
    profileOf: () => Promise<Uuid | null>,
  ): Promise<EnrollmentOutcome> {
    return this.#call({ idempotent: false, serialNumber: serial, action: "renew" }, async () => {
      const res = await this.http.request({
        operation: "tlm.renewCertificate",
        method: "POST",
        path: upstreamPath`/mpki/api/v1/certificate/${serial}/renew`,
        body,
      });
      const profileId =
        isObject(res.json) && res.json.serial_number ? null : await profileOf().catch(() => null);
      return readCreated(() => toEnrollmentOutcome(res.json, profileId, deliveryFormatOf(body)));
    });
  }

  /**
   * Pickup reads the request's state: repeating it cannot issue a second certificate, so it is idempotent. Its 2xx
   * may carry the certificate issued at that moment, so an answer naming nothing is outcome unknown (pick up again).
   */
  pickupCertificate(requestId: RequestId, profileId: Uuid): Promise<EnrollmentOutcome> {
    return this.#call({ idempotent: true, requestId, profileId }, async () => {
      const res = await this.http.request({
        operation: "tlm.pickupCertificate",
        method: "POST",
        idempotent: true,
        path: upstreamPath`/mpki/api/v1/certificate-pickup/${requestId}`,
        body: { profile: { id: profileId } },
      });
      return toEnrollmentOutcome(res.json, profileId);
    });
  }

  /**
   * S1's revoke request schema has `revocation_reason` only, so that is all that is sent. A repeat after a lost
   * answer reads as AlreadyRevokedError, never as a second revocation.
   */
  revokeCertificate(serial: SerialNumber, reason: RevocationReason): Promise<void> {
    const body: WireRevokeRequest = { revocation_reason: toWireRevocationReason(reason) };
    return this.#call({ idempotent: true, serialNumber: serial, action: "revoke" }, async () => {
      await this.http.request({
        operation: "tlm.revokeCertificate",
        method: "PUT",
        path: upstreamPath`/mpki/api/v1/certificate/${serial}/revoke`,
        body,
      });
    });
  }

  /**
   * Resumes a certificate on hold (DELETE .../revoke, 204 [C] S1). Never resent: a second resume would be refused
   * (no longer suspended), so a failure after sending is outcome unknown.
   */
  resumeCertificate(serial: SerialNumber): Promise<void> {
    return this.#call({ idempotent: false, serialNumber: serial, action: "resume" }, async () => {
      await this.http.request({
        operation: "tlm.resumeCertificate",
        method: "DELETE",
        path: upstreamPath`/mpki/api/v1/certificate/${serial}/revoke`,
      });
    });
  }

  #call<T>(call: CallContext, run: () => Promise<T>): Promise<T> {
    return mapped(run, (error) => toTlmDomainError(error, call));
  }
}

/** The delivery format a body asked for: how its answer's `certificate` is read when the answer does not say. */
function deliveryFormatOf(body: IssueRequest | RenewRequest): DeliveryFormat {
  return body.delivery_format === "PKCS7" ? "PKCS7" : "X509";
}
