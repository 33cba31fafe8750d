/**
 * The worker thread csr-workers.ts starts: it answers each batch of CSRs with their verdicts (csr-verdict.ts), in the
 * order sent, or with the name and message of what failed (a bug, never a bad CSR). It says `ready` once its modules
 * are loaded. Built as its own entry (dist/csr-worker.js); from the sources, csr-workers.ts bundles it on first use.
 * It acts only when started with workerData `{ csrWorker: true }`, so importing it elsewhere does nothing.
 */
import { parentPort, workerData } from "node:worker_threads";
import { csrVerdict } from "./csr-verdict.js";

/** A batch, main thread to worker. */
export interface CsrBatchRequest {
  id: number;
  pems: string[];
}

/** A batch's answer, or the worker's first word. */
export type CsrBatchReply =
  | { id: number; verdicts: (string | null)[] }
  | { id: number; failure: { name: string; message: string } }
  | { ready: true };

const port = parentPort;
if (port && (workerData as { csrWorker?: unknown } | null)?.csrWorker === true) {
  port.on("message", (request: CsrBatchRequest) => {
    // Together: each signature check waits on webcrypto, while the next CSR's ASN.1 is parsed.
    void Promise.all(request.pems.map(csrVerdict)).then(
      (verdicts) => port.postMessage({ id: request.id, verdicts } satisfies CsrBatchReply),
      (error: unknown) =>
        port.postMessage({
          id: request.id,
          failure: {
            name: error instanceof Error ? error.name : "Error",
            message: error instanceof Error ? error.message : String(error),
          },
        } satisfies CsrBatchReply),
    );
  });
  port.postMessage({ ready: true } satisfies CsrBatchReply);
}
