/**
 * Certificates that expire within N days, TLM and IoT alike, for `expiring` and `renew-expiring`. TLM uses the
 * gateway's server-side filter (CertificateFilter.expiresBefore with statuses [ISSUED]: one upstream call per page of
 * matches). DigiCert's IoT certificate list has no expiry filter, so IoT certificates are read page by page (ISSUED
 * only) and filtered here on validTo.
 */
import { connectionNodes, type GatewayClient } from "../../src/client.js";
import { DeviceCertificatesDocument, ExpiringCertificatesDocument } from "../../src/generated/graphql.js";
import { DAY_MS, UsageError } from "./cli.js";

export const PRODUCTS = ["all", "tlm", "iot"] as const;
export type ProductChoice = (typeof PRODUCTS)[number];

export interface ExpiringCertificate {
  product: "TLM" | "IOT";
  /** The gateway's global id. */
  id: string;
  serialNumber: string | null;
  /** IoT only: DigiCert's certificate id (a UUID). */
  certificateId: string | null;
  commonName: string | null;
  /** IoT only. */
  deviceIdentifier: string | null;
  status: string;
  validTo: string;
  /** Whole days left at `now`, rounded down. */
  daysLeft: number;
  profileId: string | null;
  profileName: string | null;
}

export interface ExpiringQuery {
  days: number;
  products: ProductChoice;
  /** A TLM profile (UUID) or an IoT enrollment profile (IOT_<uuid>): only that product is read. */
  profileId?: string | undefined;
  now: Date;
}

const PAGE = 100;

/** Which products a query reads: `--profile IOT_…` means IoT, any other profile TLM. */
export function productsFor(query: Pick<ExpiringQuery, "products" | "profileId">): {
  tlm: boolean;
  iot: boolean;
} {
  const profileProduct =
    query.profileId === undefined ? null : /^IOT_/i.test(query.profileId) ? "iot" : "tlm";
  if (profileProduct && query.products !== "all" && query.products !== profileProduct) {
    throw new UsageError(
      `--profile ${query.profileId} is a${profileProduct === "iot" ? "n IoT" : " TLM"} profile, but --product is ${query.products}.`,
    );
  }
  const chosen = profileProduct ?? query.products;
  return { tlm: chosen !== "iot", iot: chosen !== "tlm" };
}

/** Every ISSUED certificate whose validTo is within `days` of `now`, soonest first. */
export async function findExpiring(
  client: GatewayClient,
  query: ExpiringQuery,
): Promise<ExpiringCertificate[]> {
  const read = productsFor(query);
  // To the second: DigiCert's valid_to filter has no finer unit.
  const cutoff = new Date(Math.floor((query.now.getTime() + query.days * DAY_MS) / 1000) * 1000);
  const found: ExpiringCertificate[] = [];
  const daysLeft = (validTo: string) => Math.floor((Date.parse(validTo) - query.now.getTime()) / DAY_MS);
  if (read.tlm) {
    const filter = {
      expiresBefore: cutoff.toISOString(),
      statuses: ["ISSUED" as const],
      ...(query.profileId ? { profileId: query.profileId } : {}),
    };
    const nodes = connectionNodes(async (after) => {
      const data = await client.request(ExpiringCertificatesDocument, { filter, first: PAGE, after });
      return data.certificates;
    });
    for await (const node of nodes) {
      if (!node.validTo) continue;
      found.push({
        product: "TLM",
        id: node.id,
        serialNumber: node.serialNumber,
        certificateId: null,
        commonName: node.commonName ?? null,
        deviceIdentifier: null,
        status: node.status,
        validTo: node.validTo,
        daysLeft: daysLeft(node.validTo),
        profileId: node.profile?.profileId ?? null,
        profileName: node.profile?.name ?? null,
      });
    }
  }
  if (read.iot) {
    const filter = {
      statuses: ["ISSUED" as const],
      ...(query.profileId ? { enrollmentProfileId: query.profileId } : {}),
    };
    const nodes = connectionNodes(async (after) => {
      const data = await client.request(DeviceCertificatesDocument, { filter, first: PAGE, after });
      return data.deviceCertificates;
    });
    for await (const node of nodes) {
      if (!node.validTo || Date.parse(node.validTo) > cutoff.getTime()) continue;
      found.push({
        product: "IOT",
        id: node.id,
        serialNumber: node.serialNumber ?? null,
        certificateId: node.certificateId,
        commonName: node.commonName ?? null,
        deviceIdentifier: node.deviceIdentifier ?? null,
        status: node.status,
        validTo: node.validTo,
        daysLeft: daysLeft(node.validTo),
        profileId: node.enrollmentProfile?.profileId ?? null,
        profileName: node.enrollmentProfile?.name ?? null,
      });
    }
  }
  return found.sort((a, b) => Date.parse(a.validTo) - Date.parse(b.validTo) || a.id.localeCompare(b.id));
}
