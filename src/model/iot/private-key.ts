/** Private keys DigiCert generated: never logged, never cached, readable once through `reveal()`. */
import { inspect } from "node:util";
import { UpstreamInvalidResponseError } from "../errors.js";
import type { PrivateKeyFormat } from "./enums.js";

export type RevealedPrivateKey =
  | { format: "PEM"; pem: string }
  | { format: "DER"; base64: string }
  | { format: "PKCS12"; base64: string }
  | { format: "CERT_ENCRYPTED"; base64: string }
  | { format: "CERT_ENCRYPTED_KEY_ONLY"; base64: string };

export const PRIVATE_KEY_REDACTED = "[private key redacted]";

/**
 * Contract: the key is readable only through `reveal()`, which the GraphQL layer calls to answer the
 * one response that carries it; JSON.stringify, util.inspect (console, pino) and String() all show
 * "[private key redacted]", and the value lives in a private field that spreads and clones do not copy.
 */
export class PrivateKeyMaterial {
  readonly format: PrivateKeyFormat;
  #value: RevealedPrivateKey | null;

  constructor(value: RevealedPrivateKey) {
    this.format = value.format;
    this.#value = { ...value };
  }

  /** The key as DigiCert sent it: PEM text, or base64 for the binary formats. */
  reveal(): RevealedPrivateKey {
    if (!this.#value) throw new Error("The private key was discarded.");
    return { ...this.#value };
  }

  /** Drops the value: later `reveal()` calls throw. */
  discard(): void {
    this.#value = null;
  }

  toJSON(): string {
    return PRIVATE_KEY_REDACTED;
  }

  toString(): string {
    return PRIVATE_KEY_REDACTED;
  }

  [inspect.custom](): string {
    return PRIVATE_KEY_REDACTED;
  }
}

/** DigiCert's `private_key` in the requested format; lenient on content (only DigiCert can fix it). */
export function toPrivateKey(value: unknown, format: PrivateKeyFormat): PrivateKeyMaterial {
  if (typeof value !== "string" || value.trim() === "") throw new UpstreamInvalidResponseError();
  if (format === "PEM") return new PrivateKeyMaterial({ format, pem: value });
  return new PrivateKeyMaterial({ format, base64: value.replace(/\s+/g, "") });
}
