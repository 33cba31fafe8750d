import type { RequestId, SerialNumber, Uuid } from "../../model/ids.js";
import { type UpstreamClient, upstreamPath } from "../http.js";
import { nullWhenHidden } from "../parts.js";
import type {
  WireAdditionalFormats,
  WireCertificateDetails,
  WireCertificateResponse,
  WireIssueRequest,
  WireProfile,
  WireRenewRequest,
  WireRevocationReason,
  WireSearchFilter,
  WireSearchPage,
} from "./wire.js";

/**
 * Trust Lifecycle Manager (`/mpki/api`). One method per REST call, returning DigiCert's JSON as
 * sent; mapping to domain objects is the model's job. Identifiers arrive validated (branded).
 * Contract: reads whose "absent" answer is normal return null (profile: 403; certificate: 403, 404);
 * every other non-2xx throws `UpstreamHttpError`.
 */
export class TlmClient {
  constructor(private readonly http: UpstreamClient) {}

  async listProfiles(offset: number, limit: number): Promise<WireProfile[]> {
    const res = await this.http.request({
      operation: "tlm.listProfiles",
      method: "GET",
      path: upstreamPath`/mpki/api/v2/profile`,
      query: { offset, limit },
    });
    return res.json as WireProfile[];
  }

  /** TLM answers 403, not 404, for a profile id that is unknown or not visible to the caller. */
  async getProfile(id: Uuid): Promise<WireProfile | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "tlm.getProfile",
        method: "GET",
        path: upstreamPath`/mpki/api/v2/profile/${id}`,
      });
      return res.json as WireProfile;
    });
  }

  /** 403: another tenant's certificate, which this tenant must not learn exists. */
  async getCertificate(serial: SerialNumber): Promise<WireCertificateDetails | null> {
    return nullWhenHidden(async () => {
      const res = await this.http.request({
        operation: "tlm.getCertificate",
        method: "GET",
        path: upstreamPath`/mpki/api/v1/certificate/${serial}`,
      });
      return res.json as WireCertificateDetails;
    });
  }

  async getAdditionalFormats(serial: SerialNumber): Promise<WireAdditionalFormats> {
    const res = await this.http.request({
      operation: "tlm.getAdditionalFormats",
      method: "GET",
      path: upstreamPath`/mpki/api/v1/certificate/${serial}/additional-formats`,
    });
    return res.json as WireAdditionalFormats;
  }

  async searchCertificates(filter: WireSearchFilter, offset: number, limit: number): Promise<WireSearchPage> {
    const res = await this.http.request({
      operation: "tlm.searchCertificates",
      method: "GET",
      path: upstreamPath`/mpki/api/v1/certificate-search`,
      query: { ...filter, offset, limit },
    });
    return res.json as WireSearchPage;
  }

  /** Not idempotent: issues a certificate. Never retried. */
  async issueCertificate(body: WireIssueRequest): Promise<WireCertificateResponse> {
    const res = await this.http.request({
      operation: "tlm.issueCertificate",
      method: "POST",
      path: upstreamPath`/mpki/api/v1/certificate`,
      body,
    });
    return res.json as WireCertificateResponse;
  }

  /** Not idempotent: issues a certificate. Never retried. */
  async renewCertificate(serial: SerialNumber, body: WireRenewRequest): Promise<WireCertificateResponse> {
    const res = await this.http.request({
      operation: "tlm.renewCertificate",
      method: "POST",
      path: upstreamPath`/mpki/api/v1/certificate/${serial}/renew`,
      body,
    });
    return res.json as WireCertificateResponse;
  }

  async pickupCertificate(requestId: RequestId, profileId: Uuid): Promise<WireCertificateResponse> {
    const res = await this.http.request({
      operation: "tlm.pickupCertificate",
      method: "POST",
      // Pickup reads the request's state; repeating it cannot issue anything.
      idempotent: true,
      path: upstreamPath`/mpki/api/v1/certificate-pickup/${requestId}`,
      body: { profile: { id: profileId } },
    });
    return res.json as WireCertificateResponse;
  }

  async revokeCertificate(
    serial: SerialNumber,
    reason: WireRevocationReason,
    comments?: string,
  ): Promise<void> {
    await this.http.request({
      operation: "tlm.revokeCertificate",
      method: "PUT",
      path: upstreamPath`/mpki/api/v1/certificate/${serial}/revoke`,
      body: { revocation_reason: reason, ...(comments ? { comments } : {}) },
    });
  }
}
