import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWSAlgorithm,
  type JWTPayload,
  jwtVerify,
} from "jose";
import { LRUCache } from "lru-cache";
import type { Viewer } from "./viewer.js";

/** Where callers' signing keys come from. */
export type KeySource =
  { kind: "jwks-url"; url: URL } | { kind: "jwks"; jwks: JSONWebKeySet } | { kind: "pem"; pem: string };

export interface TokenVerifierOptions {
  keys: KeySource;
  issuer: string;
  audience: string;
  /** Pinned: a token signed with any other `alg` is refused (jose refuses `none` and RS/HS confusion anyway). */
  algorithms: JWSAlgorithm[];
  clockToleranceSeconds: number;
  /** The claim that names the caller's tenant. */
  tenantClaim: string;
  /**
   * Verified tokens kept, so a caller's next request skips the signature check (an ES256 verify is about 130 µs of
   * CPU). Keyed by the SHA-256 of the token (the token itself is never stored), holding only the Viewer, until the
   * token's `exp` and at most `maxAgeSeconds` (a key removed from the JWKS stops working within it). Refusals are never
   * kept. Default: 10,000 tokens, 60 s; `maxEntries: 0` turns it off.
   */
  cache?: { maxEntries: number; maxAgeSeconds: number };
}

/**
 * A refused token. `reason` is for the log (jose's error code, e.g. ERR_JWT_EXPIRED); callers only
 * ever see one generic 401. Neither holds the token.
 */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
  readonly code = "UNAUTHENTICATED";
  constructor(readonly reason: string) {
    super("Unauthorized");
  }
}

export type TokenVerifier = (authorization: string | null) => Promise<Viewer>;

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;
const MAX_HEADER = 8 * 1024;

/** Builds a verifier for `Authorization: Bearer <JWT>`; issuer, audience, exp, sub and the tenant are required. */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const key = keyResolver(options.keys);
  const { maxEntries, maxAgeSeconds } = options.cache ?? { maxEntries: 10_000, maxAgeSeconds: 60 };
  const verified =
    maxEntries > 0 && maxAgeSeconds > 0 ? new LRUCache<string, Viewer>({ max: maxEntries }) : null;
  const verify = async (token: string): Promise<Viewer> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: options.algorithms,
        clockTolerance: options.clockToleranceSeconds,
        requiredClaims: ["exp", "sub", options.tenantClaim],
      }));
    } catch (error) {
      throw new AuthenticationError(reasonOf(error));
    }
    const tenant = payload[options.tenantClaim];
    if (typeof tenant !== "string" || tenant.length === 0 || tenant.length > 128) {
      throw new AuthenticationError(`claim ${options.tenantClaim} is not a tenant name`);
    }
    if (typeof payload.sub !== "string" || typeof payload.exp !== "number") {
      throw new AuthenticationError("sub or exp has the wrong type");
    }
    return { subject: payload.sub, tenant, scopes: scopesOf(payload), expiresAt: payload.exp };
  };
  return async (authorization) => {
    if (!authorization) throw new AuthenticationError("missing Authorization header");
    if (authorization.length > MAX_HEADER) throw new AuthenticationError("Authorization header too long");
    const token = BEARER.exec(authorization)?.[1];
    if (!token) throw new AuthenticationError("Authorization is not a Bearer JWT");
    if (!verified) return verify(token);
    const digest = createHash("sha256").update(token).digest("base64url");
    const now = Date.now();
    const known = verified.get(digest);
    // Never past exp, even within the clock tolerance a fresh verification would allow: then it is verified again.
    if (known && known.expiresAt * 1000 > now) return known;
    const viewer = await verify(token);
    const ttl = Math.min(maxAgeSeconds * 1000, viewer.expiresAt * 1000 - now);
    if (ttl > 0) verified.set(digest, viewer, { ttl });
    return viewer;
  };
}

/** Reads OAuth's space-separated `scope`, or `scp` as a string or an array (Azure AD, Okta). */
export function scopesOf(payload: JWTPayload): ReadonlySet<string> {
  const raw = payload.scope ?? payload.scp;
  const list = typeof raw === "string" ? raw.split(" ") : Array.isArray(raw) ? raw : [];
  return new Set(list.filter((s): s is string => typeof s === "string" && s.length > 0));
}

function keyResolver(source: KeySource) {
  switch (source.kind) {
    // jose caches keys (10 min), rate-limits refetches (30 s cooldown) and times out a fetch at 5 s.
    case "jwks-url":
      return createRemoteJWKSet(source.url);
    case "jwks":
      return createLocalJWKSet(source.jwks);
    case "pem":
      return createPublicKey(source.pem) as KeyObject;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JOSEError) return `${error.code}: ${error.message}`;
  return "token verification failed";
}
