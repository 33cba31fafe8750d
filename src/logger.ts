import { type DestinationStream, type Logger, pino } from "pino";
import { currentOperation } from "./observability/request-context.js";

export type { Logger };

/** Paths redacted wherever they appear; a defence in depth, since nothing should log them at all. */
const REDACT = [
  "apiKey",
  "*.apiKey",
  "headers['x-api-key']",
  "*.headers['x-api-key']",
  "headers.authorization",
  "*.headers.authorization",
  "privateKeyPem",
  "*.privateKeyPem",
  "passphrase",
  "*.passphrase",
  "csr",
  "*.csr",
  "passcode",
  "*.passcode",
  "password",
  "*.password",
  "pkcs12Password",
  "*.pkcs12Password",
];

/**
 * The ids of the operation a line is written for (request id, operation name and type, tenant), read from its
 * AsyncLocalStorage record: every line written while a request runs carries them, whichever logger wrote it. A new
 * object each time (pino merges the line's own fields into it); fields not known yet are left out.
 */
export function operationMixin(): Record<string, string> {
  const operation = currentOperation();
  if (!operation) return {};
  const fields: Record<string, string> = { requestId: operation.requestId };
  if (operation.operationName !== undefined) fields.operationName = operation.operationName;
  if (operation.operationType !== undefined) fields.operationType = operation.operationType;
  if (operation.tenant !== undefined) fields.tenant = operation.tenant;
  return fields;
}

/** JSON lines to stdout, or to `destination` (tests: an in-memory stream). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: "[redacted]" }, mixin: operationMixin };
  return destination ? pino(options, destination) : pino(options);
}
