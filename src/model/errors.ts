/**
 * Domain errors: expected failures a caller can act on. They surface as typed members of
 * mutation result unions, or as GraphQL errors whose `extensions.code` is `code`.
 * Contract: a message is written here, by us; it never carries an upstream URL, an upstream
 * body excerpt, or a credential.
 */
export abstract class DomainError extends Error {
  abstract override readonly name: string;
  abstract readonly code: ErrorCode;
}

export const ERROR_CODES = [
  "VALIDATION_FAILED",
  "INVALID_CSR",
  "PROFILE_NOT_FOUND",
  "CERTIFICATE_NOT_FOUND",
  "REQUEST_NOT_FOUND",
  "DUPLICATE_CERTIFICATE",
  "ALREADY_REVOKED",
  "RENEWAL_NOT_ALLOWED",
  "UPSTREAM_UNAUTHENTICATED",
  "UPSTREAM_FORBIDDEN",
  "UPSTREAM_UNAVAILABLE",
  "UPSTREAM_OUTCOME_UNKNOWN",
  "UPSTREAM_INVALID_RESPONSE",
  "FORBIDDEN",
  "DUPLICATE_DEVICE",
  "DEVICE_GROUP_NOT_FOUND",
  "CERTIFICATE_POLICY_NOT_FOUND",
  "INVALID_BATCH_FILE",
  "DEVICE_NOT_FOUND",
  "SERVICE_UNAVAILABLE",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Input the gateway or DigiCert refused; `field` is the input path, e.g. `input.subject.country`. */
export class ValidationError extends DomainError {
  override readonly name = "ValidationError";
  readonly code = "VALIDATION_FAILED";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The CSR is not one well-formed, correctly signed PKCS#10 request acceptable to the profile. */
export class InvalidCsrError extends DomainError {
  override readonly name = "InvalidCsrError";
  readonly code = "INVALID_CSR";
}

export class ProfileNotFoundError extends DomainError {
  override readonly name = "ProfileNotFoundError";
  readonly code = "PROFILE_NOT_FOUND";
  constructor(readonly profileId: string) {
    super(`Profile ${profileId} does not exist or this gateway's DigiCert credentials cannot use it.`);
  }
}

export class CertificateNotFoundError extends DomainError {
  override readonly name: string = "CertificateNotFoundError";
  readonly code = "CERTIFICATE_NOT_FOUND";
  constructor(
    readonly serialNumber: string,
    message = `No certificate has serial number ${serialNumber}.`,
  ) {
    super(message);
  }
}

/** An IoT device certificate, by id or serial; shown to GraphQL as CertificateNotFoundError (same code). */
export class DeviceCertificateNotFoundError extends CertificateNotFoundError {
  override readonly name = "DeviceCertificateNotFoundError";
  constructor(ref: string) {
    super(ref, `No device certificate has id or serial number ${ref}.`);
  }
}

export class RequestNotFoundError extends DomainError {
  override readonly name: string = "RequestNotFoundError";
  readonly code = "REQUEST_NOT_FOUND";
  constructor(
    readonly requestId: string,
    message = `No pending certificate request has id ${requestId}.`,
  ) {
    super(message);
  }
}

/** No batch job of either product has this id (for these credentials); shown to GraphQL as RequestNotFoundError. */
export class BatchJobNotFoundError extends RequestNotFoundError {
  override readonly name = "BatchJobNotFoundError";
  constructor(readonly jobId: string) {
    super(jobId, `No batch job has id ${jobId}.`);
  }
}

/** The job exists (it was just read) but DigiCert has no report for it; shown to GraphQL as RequestNotFoundError. */
export class BatchReportNotFoundError extends RequestNotFoundError {
  override readonly name = "BatchReportNotFoundError";
  constructor(readonly jobId: string) {
    super(jobId, `Batch job ${jobId} has no report.`);
  }
}

export class DuplicateCertificateError extends DomainError {
  override readonly name = "DuplicateCertificateError";
  readonly code = "DUPLICATE_CERTIFICATE";
  constructor() {
    super("The profile allows one valid certificate per subject, and one already exists.");
  }
}

export class AlreadyRevokedError extends DomainError {
  override readonly name = "AlreadyRevokedError";
  readonly code = "ALREADY_REVOKED";
  constructor(readonly serialNumber: string) {
    super(`Certificate ${serialNumber} is already revoked.`);
  }
}

export class RenewalNotAllowedError extends DomainError {
  override readonly name = "RenewalNotAllowedError";
  readonly code = "RENEWAL_NOT_ALLOWED";
  constructor(
    readonly serialNumber: string,
    message = `Certificate ${serialNumber} cannot be renewed now (outside its profile's renewal window).`,
  ) {
    super(message);
  }
}

/** DigiCert rejected the gateway's own credentials (HTTP 401): an operator must fix the configuration. */
export class UpstreamAuthenticationError extends DomainError {
  override readonly name = "UpstreamAuthenticationError";
  readonly code = "UPSTREAM_UNAUTHENTICATED";
  constructor() {
    super("DigiCert ONE rejected the gateway's credentials.");
  }
}

/** DigiCert authenticated the gateway but refused the operation (HTTP 403). */
export class UpstreamForbiddenError extends DomainError {
  override readonly name = "UpstreamForbiddenError";
  readonly code = "UPSTREAM_FORBIDDEN";
  constructor() {
    super("DigiCert ONE refused this operation for the gateway's credentials.");
  }
}

/** Nothing happened upstream (refused connection, 429, 5xx before processing); safe to try again later. */
export class UpstreamUnavailableError extends DomainError {
  override readonly name = "UpstreamUnavailableError";
  readonly code = "UPSTREAM_UNAVAILABLE";
  constructor(readonly retryAfterSeconds: number | null = null) {
    super("DigiCert ONE is unavailable; try again later.");
  }
}

/** A non-idempotent call failed after it may have reached DigiCert: it may or may not have taken effect. */
export class UpstreamOutcomeUnknownError extends DomainError {
  override readonly name = "UpstreamOutcomeUnknownError";
  readonly code = "UPSTREAM_OUTCOME_UNKNOWN";
  /** An id DigiCert's answer did carry (a request id, a serial the gateway could not read); null when none. */
  constructor(readonly id: string | null = null) {
    super("The request may or may not have reached DigiCert ONE; check before trying again.");
  }
}

/** DigiCert answered with a body the gateway cannot read. */
export class UpstreamInvalidResponseError extends DomainError {
  override readonly name = "UpstreamInvalidResponseError";
  readonly code = "UPSTREAM_INVALID_RESPONSE";
  constructor() {
    super("DigiCert ONE returned a response the gateway could not read.");
  }
}

/**
 * The gateway itself cannot do this safely now: the shared store that makes an idempotency key count once across
 * instances (Redis) is unreachable. Nothing was sent to DigiCert ONE; the same request may be sent again later.
 */
export class ServiceUnavailableError extends DomainError {
  override readonly name = "ServiceUnavailableError";
  readonly code = "SERVICE_UNAVAILABLE";
  constructor(readonly retryAfterSeconds: number | null = 5) {
    super(
      "The gateway cannot process this request safely right now; nothing was sent to DigiCert ONE. Try again later.",
    );
  }
}

/** The caller's token lacks a scope this field needs; only that field fails. */
export class ForbiddenError extends DomainError {
  override readonly name = "ForbiddenError";
  readonly code = "FORBIDDEN";
  constructor() {
    super("Your token does not grant the scope this field needs.");
  }
}

/** A device name already taken in the device group (Device Trust Manager code "03"). */
export class DuplicateDeviceError extends DomainError {
  override readonly name = "DuplicateDeviceError";
  readonly code = "DUPLICATE_DEVICE";
  constructor(readonly deviceName: string | null = null) {
    super(
      deviceName
        ? `A device named ${JSON.stringify(deviceName)} already exists in the device group.`
        : "A device of that name already exists in the device group.",
    );
  }
}

/** A Device Trust Manager device group that does not exist or that the gateway's credentials cannot use. */
export class DeviceGroupNotFoundError extends DomainError {
  override readonly name = "DeviceGroupNotFoundError";
  readonly code = "DEVICE_GROUP_NOT_FOUND";
  constructor(readonly deviceGroupId: string) {
    super(
      `Device group ${deviceGroupId} does not exist or this gateway's DigiCert credentials cannot use it.`,
    );
  }
}

/** A Device Trust Manager certificate policy that does not exist or that the gateway's credentials cannot use. */
export class CertificatePolicyNotFoundError extends DomainError {
  override readonly name = "CertificatePolicyNotFoundError";
  readonly code = "CERTIFICATE_POLICY_NOT_FOUND";
  constructor(readonly certificatePolicyId: string) {
    super(
      `Certificate policy ${certificatePolicyId} does not exist or this gateway's DigiCert credentials cannot use it.`,
    );
  }
}

/** A Device Trust Manager device that does not exist or that the gateway's credentials cannot use (403/404). */
export class DeviceNotFoundError extends DomainError {
  override readonly name = "DeviceNotFoundError";
  readonly code = "DEVICE_NOT_FOUND";
  constructor(
    readonly deviceId: string,
    /** The input path of the id, for callers that show it beside a field. */
    readonly field = "input.id",
  ) {
    super(`No device has id ${deviceId}, or this gateway's DigiCert credentials cannot use it.`);
  }
}

/** One thing wrong with an uploaded batch file: where (row and column of a CSV, or a ZIP entry) and what. */
export interface BatchFileProblem {
  /** Data row from 1 (the first row after the header), as in DigiCert's job report; null for the whole file. */
  row: number | null;
  /** The CSV column (template name, lower case), or null. */
  column: string | null;
  /** The ZIP entry's name, or null for a plain CSV. */
  entry: string | null;
  message: string;
}

/**
 * An uploaded batch file the gateway refused before sending it: nothing was created upstream. `problems`
 * lists what was found (the first few), each naming its row and column or ZIP entry; the message is the first.
 */
export class InvalidBatchFileError extends DomainError {
  override readonly name = "InvalidBatchFileError";
  readonly code = "INVALID_BATCH_FILE";
  readonly field = "input.file";
  constructor(readonly problems: readonly BatchFileProblem[]) {
    super(describeProblems(problems));
  }
}

function describeProblems(problems: readonly BatchFileProblem[]): string {
  const first = problems[0];
  if (!first) return "The batch file is invalid.";
  const where = [
    first.entry !== null ? `ZIP entry ${JSON.stringify(first.entry)}` : null,
    first.row !== null ? `row ${first.row}` : null,
    first.column !== null ? `column ${first.column}` : null,
  ].filter(Boolean);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return `${where.length > 0 ? `${capitalise(where.join(", "))}: ` : ""}${first.message}${more}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Every concrete DomainError class by its `name` (object keys, not `constructor.name`, which a bundler may rename):
 * what a stored or published error (EncodedDomainError) is restored as.
 */
const DOMAIN_ERROR_CLASSES: Readonly<Record<string, abstract new (...args: never[]) => DomainError>> = {
  ValidationError,
  InvalidCsrError,
  ProfileNotFoundError,
  CertificateNotFoundError,
  DeviceCertificateNotFoundError,
  RequestNotFoundError,
  BatchJobNotFoundError,
  BatchReportNotFoundError,
  DuplicateCertificateError,
  AlreadyRevokedError,
  RenewalNotAllowedError,
  UpstreamAuthenticationError,
  UpstreamForbiddenError,
  UpstreamUnavailableError,
  UpstreamOutcomeUnknownError,
  UpstreamInvalidResponseError,
  ServiceUnavailableError,
  ForbiddenError,
  DuplicateDeviceError,
  DeviceGroupNotFoundError,
  CertificatePolicyNotFoundError,
  DeviceNotFoundError,
  InvalidBatchFileError,
};
const CLASS_BY_NAME = new Map(Object.entries(DOMAIN_ERROR_CLASSES));
const NAME_BY_CLASS = new Map<unknown, string>(
  Object.entries(DOMAIN_ERROR_CLASSES).map(([name, cls]) => [cls, name]),
);
const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** A DomainError as JSON (Redis values, pub/sub messages): its class name, message and own fields. */
export interface EncodedDomainError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

/**
 * `error` as JSON, when it is a DomainError of a known class, or of a subclass of one (encoded as the nearest known
 * class, which is what result unions show it as); any other error is encoded as `fallback()` (e.g. an
 * UpstreamOutcomeUnknownError for a call that may have issued a certificate), so what is restored is always typed and
 * never carries a foreign error's message. Messages are ours (see DomainError) and hold no secret.
 */
export function encodeDomainError(error: unknown, fallback: () => DomainError): EncodedDomainError {
  const known = error instanceof DomainError ? knownClassName(error) : undefined;
  if (known) return encodeAs(known, error as DomainError);
  const substitute = fallback();
  const name = knownClassName(substitute);
  // A fallback of no known class would not decode: the safest known outcome stands in for it.
  return name
    ? encodeAs(name, substitute)
    : encodeAs("UpstreamOutcomeUnknownError", new UpstreamOutcomeUnknownError());
}

function encodeAs(name: string, error: DomainError): EncodedDomainError {
  return { name, message: error.message, fields: { ...error, name, code: error.code } };
}

/** The registry name of `error`'s class or of its nearest registered ancestor (never `constructor.name`). */
function knownClassName(error: DomainError): string | undefined {
  for (let proto: unknown = Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    const name = NAME_BY_CLASS.get((proto as { constructor?: unknown }).constructor);
    if (name) return name;
  }
  return undefined;
}

/**
 * The error `encoded` describes, as an instance of its class (`instanceof` and result unions work), with its fields;
 * null when it names no known class, carries no known code, or is not an EncodedDomainError.
 */
export function decodeDomainError(encoded: unknown): DomainError | null {
  if (typeof encoded !== "object" || encoded === null) return null;
  const { name, message, fields } = encoded as Partial<EncodedDomainError>;
  const cls = typeof name === "string" ? CLASS_BY_NAME.get(name) : undefined;
  if (
    !cls ||
    typeof message !== "string" ||
    typeof fields !== "object" ||
    fields === null ||
    Array.isArray(fields)
  ) {
    return null;
  }
  const code = (fields as { code?: unknown }).code;
  if (typeof code !== "string" || !KNOWN_CODES.has(code)) return null;
  const error = Object.create(cls.prototype as object) as DomainError;
  // defineProperty, not assignment: an own "__proto__" member of parsed JSON must stay a plain field.
  const define = (key: string, value: unknown, enumerable: boolean) =>
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable });
  for (const [key, value] of Object.entries(fields)) define(key, value, true);
  define("name", name, true);
  define("message", message, false);
  define("stack", `${name}: ${message}`, false);
  return error;
}
