/**
 * Certificates as DigiCert sends them, in shape only: PEM blocks (one or several) or bare base64 DER, each made one
 * normalised PEM. Parsing x509 fields is the x509 loader's job. Imports only the model's errors and x509.
 */
import { UpstreamInvalidResponseError } from "./errors.js";
import type { ChainEntry } from "./tlm/certificate.js";
import { splitPemBlocks, X509ParseError } from "./x509.js";

/** Each CERTIFICATE block of DigiCert's text as one normalised PEM (64 columns, "\n", trailing "\n"). */
export function certificateBlocks(text: string): string[] {
  let blocks: { label: string; base64: string }[];
  try {
    blocks = splitPemBlocks(text);
  } catch (error) {
    if (error instanceof X509ParseError) throw new UpstreamInvalidResponseError();
    throw error;
  }
  if (blocks.some((block) => block.label !== "CERTIFICATE" || block.base64 === "")) {
    throw new UpstreamInvalidResponseError();
  }
  return blocks.map((block) => armour(block.base64));
}

/** base64 as one PEM block labelled `label` (64 columns, "\n", trailing "\n"). */
export function armour(base64: string, label = "CERTIFICATE"): string {
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * Certificates as DigiCert sends them, in either documented form: PEM (one or more CERTIFICATE blocks, the leaf
 * first) or bare base64 of one DER certificate (TLM's spec example, IoT's batch download). Each is returned as
 * normalised PEM; null when the value is neither (empty, a broken or foreign PEM block). Shape only: a blob that is
 * not a certificate after all is the x509 loader's to refuse.
 */
export function readCertificates(value: unknown): string[] | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  if (value.includes("-----BEGIN")) {
    try {
      const blocks = certificateBlocks(value);
      return blocks.length > 0 ? blocks : null;
    } catch (error) {
      if (error instanceof UpstreamInvalidResponseError) return null;
      throw error;
    }
  }
  // Base64 as sent (wrapped lines allowed; the docs abbreviate with "..."), armoured: whether the bytes are a
  // certificate is the x509 loader's to say, for this item alone. Prose is not a certificate in any form.
  const base64 = value.trim();
  return /^[A-Za-z0-9+/=.\r\n]+$/.test(base64) ? [armour(base64.replace(/\s+/g, ""))] : null;
}

/** A chain blob: one certificate, PEM (certificate records) or bare base64 DER (batch JSON download). */
export function chainPem(blob: unknown): string {
  const certificates = readCertificates(blob);
  if (!certificates || certificates.length !== 1) throw new UpstreamInvalidResponseError();
  return certificates[0]!;
}

/** Leaf first, then what follows it in the same text (the chain, when DigiCert appended it). */
export function leafAndChain(text: string): { pem: string; chain: ChainEntry[] } {
  const [pem, ...chain] = readCertificates(text) ?? [];
  if (!pem) throw new UpstreamInvalidResponseError();
  return { pem, chain: chain.map((block) => ({ commonName: null, pem: block })) };
}
