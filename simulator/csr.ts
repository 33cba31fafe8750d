import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { ApiError } from "./errors.js";

const CSR_LABELS = new Set(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]);

/** Length of the outer DER SEQUENCE, or -1; @peculiar/x509 silently ignores bytes after it. */
export function derSequenceLength(der: Uint8Array): number {
  if (der.length < 2 || der[0] !== 0x30) return -1;
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || der.length < 2 + count) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return 2 + count + length;
}

/** Accepts one PEM CERTIFICATE REQUEST (or NEW CERTIFICATE REQUEST) block, or bare base64 DER as DigiCert's scripts send. */
function decodeCsr(input: unknown, field: string): Uint8Array<ArrayBuffer> {
  if (typeof input !== "string" || input.trim() === "")
    throw ApiError.invalidField(field, `${field} is required`);
  const text = input.trim();
  let base64: string;
  if (text.includes("-----")) {
    const begins = text.match(/-----BEGIN /g)?.length ?? 0;
    const blocks = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
    if (begins !== 1 || blocks.length !== 1) {
      throw ApiError.invalidField(
        field,
        `${field} must contain exactly one PEM block, found ${Math.max(begins, blocks.length)}`,
      );
    }
    const [block, label, content] = blocks[0]!;
    if (!CSR_LABELS.has(label!))
      throw ApiError.invalidField(field, `${field} must be a PEM CERTIFICATE REQUEST block`);
    if (text.replace(block, "").trim() !== "") {
      throw ApiError.invalidField(field, `${field} has unexpected content outside the PEM block`);
    }
    base64 = content!.replace(/\s+/g, "");
  } else {
    base64 = text.replace(/\s+/g, "");
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) {
    throw ApiError.invalidField(field, `${field} is not valid base64`);
  }
  const der = new Uint8Array(Buffer.from(base64, "base64"));
  const length = derSequenceLength(der);
  if (length < 0) throw ApiError.invalidField(field, `${field} could not be parsed as a PKCS#10 request`);
  if (length !== der.length)
    throw ApiError.invalidField(field, `${field} has trailing data after the request`);
  return der;
}

/** Decodes, parses and verifies the signature of a PKCS#10 request; errors name `field`. */
export async function parseCsr(input: unknown, field = "csr"): Promise<x509.Pkcs10CertificateRequest> {
  const der = decodeCsr(input, field);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
    void csr.subjectName;
    void csr.publicKey.algorithm;
  } catch {
    throw ApiError.invalidField(field, `${field} could not be parsed as a PKCS#10 request`);
  }
  let verified = false;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw ApiError.invalidField(field, `${field} signature is invalid`);
  return csr;
}
