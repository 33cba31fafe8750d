// Fixed ids that more than one product answers with: the tenant's DigiCert ONE account, in TLM's certificates and
// profiles and as DTM's account_id. This module imports nothing, so any simulator module (seed data, routes, a
// product's catalogue) may import it without closing an import circle; keep it that way. Ids of one product stay with
// it (seed.ts's PROFILE_IDS, iot/profiles.ts, dtm/ids.ts).

/** The tenant's account id. */
export const ACCOUNT_ID = "1d20c325-a69a-44ef-b668-6ee30630798d";
