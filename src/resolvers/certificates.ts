/**
 * Trust Lifecycle Manager listings (GraphQL-free): each returns a page reader for the schema's connection, and
 * primes the request's loaders with what a page brought, so a later field does not read it again.
 *
 * Layer: may import context, loaders, stores, datasources (types), model and batch-file; never schema.
 */
import type { GatewayContext } from "../context.js";
import type { Page } from "../model/read.js";
import type { Certificate, CertificateFilter } from "../model/tlm/certificate.js";
import type { Profile } from "../model/tlm/profile.js";

/** Profiles in DigiCert's order (TLM gives no total). */
export function listProfiles(ctx: GatewayContext) {
  return async ({ offset, limit }: { offset: number; limit: number }): Promise<Profile[]> => {
    const profiles = await ctx.services.tlm.listProfiles(offset, limit);
    for (const p of profiles) ctx.loaders.profile.prime(p.id, p);
    return profiles;
  };
}

/** Certificates matching `filter` (certificate-search), newest first. */
export function listCertificates(ctx: GatewayContext, filter: CertificateFilter) {
  return async (offset: number, limit: number): Promise<Page<Certificate>> => {
    const page = await ctx.services.tlm.searchCertificates(filter, offset, limit);
    for (const c of page.items) ctx.loaders.certificate.prime(c.serialNumber, c);
    return page;
  };
}
