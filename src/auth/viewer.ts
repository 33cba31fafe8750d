/** Scopes a token grants; each gates the fields that need it (Pothos scope-auth). */
export const SCOPES = {
  /** Read profiles and certificates. */
  readCertificates: "certificates:read",
  /** Request, renew, pick up and revoke certificates. */
  writeCertificates: "certificates:write",
  /** Have DigiCert generate key pairs (private keys in responses). */
  generateKeys: "keys:generate",
  /** Create and read batch jobs. */
  batchJobs: "batch-jobs",
  /** Register and read devices. */
  devices: "devices",
} as const;
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];
export const ALL_SCOPES: readonly Scope[] = Object.values(SCOPES);

/** The verified caller of one request. */
export interface Viewer {
  /** The token's `sub`. */
  subject: string;
  /** Picks the upstream credentials; a caller only ever reaches its own tenant's data. */
  tenant: string;
  scopes: ReadonlySet<string>;
  /** Token expiry, epoch seconds. */
  expiresAt: number;
  /** Pass-through mode only: the caller's own DigiCert API key. Never logged. */
  upstreamApiKey?: string;
}
