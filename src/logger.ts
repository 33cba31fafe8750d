import { type Logger, pino } from "pino";

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

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: "[redacted]" } });
}
