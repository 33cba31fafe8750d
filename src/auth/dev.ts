import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from "jose";
import type { TokenVerifierOptions } from "./verify.js";
import { ALL_SCOPES } from "./viewer.js";

export const DEV_ISSUER = "urn:digicert-graphql-gateway:dev";
export const DEV_AUDIENCE = "digicert-graphql-gateway";

/**
 * Development only: a key pair made at start, so `npm start` on the simulator needs no identity
 * provider. The private key lives in memory for this process; only its tokens leave it.
 */
export interface DevIssuer {
  jwks: JSONWebKeySet;
  sign(claims: { sub: string; tenant: string; scope?: string; expiresInSeconds?: number }): Promise<string>;
}

export async function createDevIssuer(): Promise<DevIssuer> {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), alg: "ES256", use: "sig", kid: "dev" };
  return {
    jwks: { keys: [jwk] },
    sign: ({ sub, tenant, scope = ALL_SCOPES.join(" "), expiresInSeconds = 12 * 3600 }) =>
      new SignJWT({ tenant, scope })
        .setProtectedHeader({ alg: "ES256", kid: "dev" })
        .setSubject(sub)
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
        .sign(privateKey),
  };
}

/** Verifier settings that accept exactly the tokens `issuer` signs. */
export function devVerifierOptions(issuer: DevIssuer): TokenVerifierOptions {
  return {
    keys: { kind: "jwks", jwks: issuer.jwks },
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    algorithms: ["ES256"],
    clockToleranceSeconds: 5,
    tenantClaim: "tenant",
  };
}
