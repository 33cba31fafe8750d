/**
 * Trusted documents (persisted operations): the manifest a client build writes and the ids it names. Pure: node:crypto
 * and graphql only, so src/config.ts can check a manifest at start without loading yoga.
 */
import { createHash } from "node:crypto";
import { parse } from "graphql";

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SHA1_HEX = /^[0-9a-f]{40}$/;

/** A document id as sent or written (`<sha256 hex>` or `sha256:<sha256 hex>`, any case) -> lowercase hex, or null. */
export function normalizeDocumentId(id: string): string | null {
  const hex = (id.toLowerCase().startsWith("sha256:") ? id.slice(7) : id).toLowerCase();
  return SHA256_HEX.test(hex) ? hex : null;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** A manifest that cannot be used; the message says why, and quotes at most a key, never a document. */
export class TrustedManifestError extends Error {
  override readonly name = "TrustedManifestError";
}

/**
 * Reads `{ "<sha256 hex>": "<document>" }` (what `@graphql-codegen/client-preset` writes with
 * `persistedDocuments: { hashAlgorithm: "sha256" }`): every key must be the SHA-256 of its document's UTF-8 text, every
 * document must parse, and there must be at least one. Returns lowercase hex -> document.
 */
export function parseTrustedManifest(json: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new TrustedManifestError("is not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TrustedManifestError('must hold one JSON object of "<sha256 hex>": "<document>" pairs');
  }
  const documents = new Map<string, string>();
  for (const [key, document] of Object.entries(parsed)) {
    const shown = JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}…` : key);
    if (typeof document !== "string" || document.trim() === "") {
      throw new TrustedManifestError(`${shown}: the document must be a non-empty string`);
    }
    const hash = normalizeDocumentId(key);
    if (hash === null) {
      throw new TrustedManifestError(
        `${shown} is not a SHA-256 hex digest` +
          (SHA1_HEX.test(key.toLowerCase())
            ? ' (it looks like SHA-1, client-preset\'s default: set persistedDocuments: { hashAlgorithm: "sha256" })'
            : ""),
      );
    }
    if (sha256Hex(document) !== hash) {
      throw new TrustedManifestError(`${shown} is not the SHA-256 of its document`);
    }
    try {
      parse(document);
    } catch {
      throw new TrustedManifestError(`${shown}: the document is not valid GraphQL`);
    }
    documents.set(hash, document);
  }
  if (documents.size === 0) throw new TrustedManifestError("holds no documents");
  return documents;
}
