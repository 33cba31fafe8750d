/**
 * One CSR cell's or CSR file's check, as a batch file's rows need it (`csrVerdict`): the model's checkedCsr (one PEM
 * PKCS#10 request whose signature verifies against its own key) reduced to the refusal's message, or null. The same
 * function runs on the calling thread and in csr-worker.ts, so a CSR reads the same wherever it is checked. It imports
 * only the model.
 */
import { InvalidCsrError } from "../model/errors.js";
import { checkedCsr } from "../model/input.js";

/** null when `pem` is one CSR whose signature verifies; else InvalidCsrError's message (ours; it never quotes the CSR). */
export async function csrVerdict(pem: string): Promise<string | null> {
  try {
    await checkedCsr(pem);
    return null;
  } catch (error) {
    if (error instanceof InvalidCsrError) return error.message;
    throw error;
  }
}
