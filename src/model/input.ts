/**
 * Checks of callers' input shared by the product models, run before any upstream call: each throws a
 * ValidationError (or InvalidCsrError) naming the input path. Imports only the model's errors and x509.
 */
import { InvalidCsrError, ValidationError } from "./errors.js";
import { type ParsedCertificate, parseCertificatePem, parseCsrPem, X509ParseError } from "./x509.js";

/** Control characters, refused in every text a caller sends on. */
export const CONTROL = /[\u0000-\u001f\u007f]/;

/** The value trimmed: 1 to `max` characters, none a control character. */
export function text(value: unknown, path: string, max: number): string {
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (trimmed.length === 0 || trimmed.length > max || CONTROL.test(trimmed)) {
    throw new ValidationError(path, `Must be 1 to ${max} printable characters.`);
  }
  return trimmed;
}

/** One PEM PKCS#10 request whose signature verifies; its normalised PEM. Shared by TLM, IoT and DTM enrollment. */
export async function checkedCsr(pem: string): Promise<string> {
  let parsed: Awaited<ReturnType<typeof parseCsrPem>>;
  try {
    parsed = await parseCsrPem(pem);
  } catch (error) {
    if (error instanceof X509ParseError) throw new InvalidCsrError(`The CSR is invalid: ${error.message}`);
    throw error;
  }
  if (!parsed.signatureValid)
    throw new InvalidCsrError("The CSR's signature does not verify against its public key.");
  return parsed.pem;
}

/**
 * One PEM certificate with an RSA key (CMS key transport needs one), within its validity at `now`; its normalised
 * PEM. `missing` is the message when none was sent.
 */
export async function encryptionCertificate(
  value: unknown,
  path: string,
  now: Date,
  missing: string,
): Promise<string> {
  if (typeof value !== "string" || value.trim() === "") throw new ValidationError(path, missing);
  let parsed: ParsedCertificate;
  try {
    parsed = await parseCertificatePem(value);
  } catch (error) {
    if (error instanceof X509ParseError)
      throw new ValidationError(path, `Not one PEM X.509 certificate: ${error.message}.`);
    throw error;
  }
  if (parsed.publicKey.algorithm !== "RSA") {
    throw new ValidationError(path, "The encryption certificate must hold an RSA public key.");
  }
  if (now < parsed.notBefore || now > parsed.notAfter) {
    throw new ValidationError(path, "The encryption certificate is not within its validity period.");
  }
  return parsed.pem;
}
