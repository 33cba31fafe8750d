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

export function armour(base64: string): string {
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** A chain blob: PEM (certificate records) or bare base64 DER (batch JSON download). */
export function chainPem(blob: unknown): string {
  if (typeof blob !== "string" || blob.trim() === "") throw new UpstreamInvalidResponseError();
  if (blob.includes("-----BEGIN")) {
    const [pem, ...rest] = certificateBlocks(blob);
    if (!pem || rest.length > 0) throw new UpstreamInvalidResponseError();
    return pem;
  }
  return armour(blob.replace(/\s+/g, ""));
}

/** Leaf first, then what follows it in the same text (the chain, when DigiCert appended it). */
export function leafAndChain(text: string): { pem: string; chain: ChainEntry[] } {
  const [pem, ...chain] = certificateBlocks(text);
  if (!pem) throw new UpstreamInvalidResponseError();
  return { pem, chain: chain.map((block) => ({ commonName: null, pem: block })) };
}
