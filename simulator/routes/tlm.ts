import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import * as x509 from "@peculiar/x509";
import {
  type CertificateAuthority,
  DAY_MS,
  describeKey,
  type ExtraSanValues,
  guidText,
  nowSeconds,
  SAN_TYPES,
  type SanType,
  type SanValues,
  SUBJECT_ATTRIBUTES,
  type SubjectValues,
} from "../ca.js";
import { parseCsr } from "../csr.js";
import { checkSubject, csrSans, csrSubjectValues, DNS_NAME, subjectJson, validSan } from "../names.js";
import { ApiError } from "../errors.js";
import { asObject, bodyObject, type JsonObject, paging, UUID } from "../request.js";
import { ACCOUNT_ID } from "../ids.js";
import { profileJson } from "../seed.js";
import type { ApiRequest, ApiResponse, Caller, SimulatorServer } from "../server.js";
import {
  addValidity,
  type CertificateRecord,
  isoSeconds,
  type PendingRequest,
  type ProfileDefinition,
  type SimulatorState,
  VALIDITY_UNITS,
  type ValiditySpec,
  type ValidityUnit,
} from "../state.js";

/** How certificate details (and search items) carry `certificate`: PEM (the tutorial) or bare base64 DER (S1). */
export type CertificateEncoding = "pem" | "base64";

export interface TlmOptions {
  readonly state: SimulatorState;
  readonly ca: CertificateAuthority;
  /** Approval profile: pickup answers PENDING until this long after the request. */
  readonly pickupDelayMs: number;
  /** Default "pem". */
  readonly certificateEncoding?: CertificateEncoding;
}

const HELLO = "Hello from DigiCert ONE - Trust Lifecycle Manager REST API!";
const SERIAL = /^[0-9a-f]{1,40}$/i;
const MAX_VALIDITY_DURATION = 100_000;
const SEARCH_STATUSES = new Set(["issued", "expired", "revoked", "suspended"]);
const SEAT_TYPES = new Set(["USER_SEAT", "DEVICE_SEAT", "SERVER_SEAT", "IMPORTED_SEAT", "UNMANAGED_SEAT"]);
/** certificate-search's parameters [C] S1 section 1.7, and paging. Anything else is refused, never ignored. */
const SEARCH_PARAMETERS = new Set([
  "offset",
  "limit",
  "account_id",
  "business_unit_id",
  "business_unit_name",
  "profile_id",
  "seat_id",
  "seat_type_id",
  "valid_from",
  "valid_to",
  "serial_number",
  "common_name",
  "aki",
  "issuing_ca_id",
  "issuing_ca_name",
  "issuing_ca_serial_number",
  "thumbprint",
  "status",
]);
const OID = /^[0-2](\.(0|[1-9]\d{0,9}))+$/;
const UPN = /^[^@\s]{1,64}@[^@\s]{1,253}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
const REVOCATION_REASONS = new Set([
  "unspecified",
  "key_compromise",
  "ca_compromise",
  "affiliation_changed",
  "superseded",
  "cessation_of_operation",
  "certificate_hold",
  "remove_from_crl",
  "privilege_withdrawn",
  "aa_compromise",
]);

type DeliveryFormat = "x509" | "pkcs7";

/** Parses, verifies the signature of, and checks the key of a CSR against the profile. */
async function checkCsr(input: unknown, profile: ProfileDefinition): Promise<x509.Pkcs10CertificateRequest> {
  const csr = await parseCsr(input);
  const key = describeKey(csr.publicKey);
  if (!profile.allowedKeys.includes(key.label)) {
    const allowed = profile.allowedKeys.join(", ");
    const what =
      key.algorithm === "RSA"
        ? `RSA key size ${key.size}`
        : key.algorithm === "ECDSA"
          ? `EC curve ${key.label}`
          : `Key algorithm ${key.label}`;
    throw ApiError.invalidField("csr", `${what} is not allowed by the profile (allowed: ${allowed})`);
  }
  return csr;
}

function stringValues(value: unknown, field: string, multiple: boolean): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === "string" ? [value] : multiple && Array.isArray(value) ? value : undefined;
  if (!list?.every((item) => typeof item === "string")) {
    throw ApiError.invalidField(
      field,
      multiple ? "must be a string or an array of strings" : "must be a string",
    );
  }
  const trimmed = (list as string[]).map((item) => item.trim()).filter((item) => item !== "");
  return trimmed.length > 0 ? trimmed : undefined;
}

/** Each profile attribute from the request, else the CSR subject, else the profile's FIXED_VALUE. */
function resolveSubject(
  profile: ProfileDefinition,
  attributes: JsonObject,
  csr: x509.Pkcs10CertificateRequest,
): SubjectValues {
  const requested = attributes.subject === undefined ? {} : asObject(attributes.subject);
  if (!requested) throw ApiError.invalidField("attributes.subject", "attributes.subject must be an object");
  const subject: SubjectValues = {};
  for (const rule of profile.subject) {
    const field = `attributes.subject.${rule.type}`;
    const values =
      stringValues(requested[rule.type], field, SUBJECT_ATTRIBUTES[rule.type].multiple) ??
      csrSubjectValues(csr, rule.type) ??
      (rule.fixedValue ? [rule.fixedValue] : undefined);
    if (values) subject[rule.type] = values;
    else if (rule.mandatory) throw ApiError.invalidField(field, `${rule.type} is required by the profile`);
  }
  checkSubject(subject, (type) => `attributes.subject.${type}`);
  return subject;
}

function requestedSans(input: unknown): SanValues {
  const san = asObject(input);
  if (!san)
    throw ApiError.invalidField("attributes.extensions.san", "attributes.extensions.san must be an object");
  const sans: SanValues = {};
  for (const type of Object.keys(SAN_TYPES) as SanType[]) {
    const field = `attributes.extensions.san.${type}`;
    const values = stringValues(san[type], field, true);
    if (!values) continue;
    values.forEach((value, index) => {
      if (!validSan(type, value))
        throw ApiError.invalidField(field, `${type}[${index}] is not a valid value`);
    });
    sans[type] = values;
  }
  return sans;
}

/** SANs from the request, else from the CSR, kept to the profile's SAN types; TLS profiles fall back to the CN. */
function resolveSans(
  profile: ProfileDefinition,
  attributes: JsonObject,
  csr: x509.Pkcs10CertificateRequest,
  subject: SubjectValues,
): SanValues {
  const extensions = attributes.extensions === undefined ? {} : asObject(attributes.extensions);
  if (!extensions)
    throw ApiError.invalidField("attributes.extensions", "attributes.extensions must be an object");
  const source = extensions.san === undefined ? csrSans(csr) : requestedSans(extensions.san);
  const sans: SanValues = {};
  for (const rule of profile.san.rules) {
    const values = source[rule.type];
    if (values && values.length > 0) sans[rule.type] = values;
    else if (rule.mandatory) {
      throw ApiError.invalidField(
        `attributes.extensions.san.${rule.type}`,
        `${rule.type} is required by the profile`,
      );
    }
  }
  const commonName = subject.common_name?.[0];
  if (profile.tls && Object.keys(sans).length === 0 && commonName) {
    if (isIP(commonName)) sans.ip_addresses = [commonName];
    else if (DNS_NAME.test(commonName)) sans.dns_names = [commonName];
  }
  return sans;
}

function stringList(value: unknown, field: string, check: (item: string) => boolean): string[] | undefined {
  const values = stringValues(value, field, true);
  values?.forEach((item, index) => {
    if (!check(item))
      throw ApiError.invalidField(field, `${field.split(".").pop()}[${index}] is not a valid value`);
  });
  return values;
}

/** S1's other_names: `guid[]` (UUID, braced UUID or 0x + 32 hex) and `raw_other_names[{oid, values[{label, value}]}]`. */
function requestedOtherNames(input: unknown): ExtraSanValues["other_names"] | undefined {
  if (input === undefined || input === null) return undefined;
  const field = "attributes.extensions.san.other_names";
  const other = asObject(input);
  if (!other) throw ApiError.invalidField(field, "other_names must be an object");
  const guid = stringList(other.guid, `${field}.guid`, (value) => guidText(value) !== null);
  let raw: { oid: string; values: { label: string; value: string }[] }[] | undefined;
  if (other.raw_other_names !== undefined && other.raw_other_names !== null) {
    const at = `${field}.raw_other_names`;
    if (!Array.isArray(other.raw_other_names))
      throw ApiError.invalidField(at, "raw_other_names must be an array");
    raw = other.raw_other_names.map((entry: unknown) => {
      const name = asObject(entry);
      if (!name || typeof name.oid !== "string" || !OID.test(name.oid)) {
        throw ApiError.invalidField(`${at}.oid`, "each raw other name needs an oid in dotted decimal");
      }
      if (!Array.isArray(name.values) || name.values.length === 0) {
        throw ApiError.invalidField(`${at}.values`, "each raw other name needs values");
      }
      return {
        oid: name.oid,
        values: name.values.map((item: unknown) => {
          const pair = asObject(item);
          const value = typeof pair?.value === "number" ? String(pair.value) : pair?.value;
          if (!pair || typeof pair.label !== "string" || typeof value !== "string" || CONTROL.test(value)) {
            throw ApiError.invalidField(
              `${at}.values`,
              "each value needs a label and a string or number value",
            );
          }
          return { label: pair.label, value };
        }),
      };
    });
  }
  return guid || raw ? { ...(guid ? { guid } : {}), ...(raw ? { raw_other_names: raw } : {}) } : undefined;
}

/** UPNs, registered ids and GUID other names from the CSR's SAN extension. */
function csrExtraSans(csr: x509.Pkcs10CertificateRequest): ExtraSanValues {
  const extension = csr.getExtension("2.5.29.17");
  if (!(extension instanceof x509.SubjectAlternativeNameExtension)) return {};
  const names = extension.names.toJSON();
  const of = (type: string) => names.filter((name) => name.type === type).map((name) => name.value);
  const [upn, ids, guids] = [of("upn"), of("id"), of("guid")];
  return {
    ...(upn.length > 0 ? { user_principal_names: upn } : {}),
    ...(ids.length > 0 ? { registered_ids: ids } : {}),
    ...(guids.length > 0 ? { other_names: { guid: guids } } : {}),
  };
}

/**
 * The SAN kinds only TLM takes (user_principal_names, registered_ids, other_names), from the request, else from the
 * CSR, kept to the ones the profile lists, as with every other SAN type.
 */
function resolveExtraSans(
  profile: ProfileDefinition,
  attributes: JsonObject,
  csr: x509.Pkcs10CertificateRequest,
): ExtraSanValues | undefined {
  const allowed = new Set(profile.extraSanTypes ?? []);
  const extensions = asObject(attributes.extensions) ?? {};
  const san = extensions.san === undefined ? undefined : asObject(extensions.san);
  const field = "attributes.extensions.san";
  const source: ExtraSanValues = san
    ? {
        user_principal_names: stringList(san.user_principal_names, `${field}.user_principal_names`, (v) =>
          UPN.test(v),
        ),
        registered_ids: stringList(san.registered_ids, `${field}.registered_ids`, (v) => OID.test(v)),
        other_names: requestedOtherNames(san.other_names),
      }
    : csrExtraSans(csr);
  const kept: ExtraSanValues = {
    ...(allowed.has("user_principal_names") && source.user_principal_names
      ? { user_principal_names: source.user_principal_names }
      : {}),
    ...(allowed.has("registered_ids") && source.registered_ids
      ? { registered_ids: source.registered_ids }
      : {}),
    ...(allowed.has("other_names") && source.other_names ? { other_names: source.other_names } : {}),
  };
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** `tags` [C] S2: strings, kept with the certificate. */
function resolveTags(input: unknown): string[] | undefined {
  if (input === undefined || input === null) return undefined;
  if (
    !Array.isArray(input) ||
    input.length > 100 ||
    !input.every(
      (tag) => typeof tag === "string" && tag.trim() !== "" && tag.length <= 255 && !CONTROL.test(tag),
    )
  ) {
    throw ApiError.invalidField(
      "tags",
      "tags must be an array of at most 100 strings of 1 to 255 characters",
    );
  }
  return input.length > 0 ? (input as string[]) : undefined;
}

/** The profile's validity, or the request's when the profile lets the API override it. */
function resolveValidity(profile: ProfileDefinition, input: unknown): ValiditySpec {
  if (input === undefined || input === null || !profile.overrideValidity) return profile.validity;
  const validity = asObject(input);
  if (!validity) throw ApiError.invalidField("validity", "validity must be an object with unit and duration");
  const unit = typeof validity.unit === "string" ? validity.unit.toLowerCase() : undefined;
  if (!unit || !(VALIDITY_UNITS as readonly string[]).includes(unit)) {
    throw ApiError.invalidField("validity.unit", `validity.unit must be one of ${VALIDITY_UNITS.join(", ")}`);
  }
  const duration = typeof validity.duration === "string" ? Number(validity.duration) : validity.duration;
  if (
    typeof duration !== "number" ||
    !Number.isInteger(duration) ||
    duration < 1 ||
    duration > MAX_VALIDITY_DURATION
  ) {
    throw ApiError.invalidField("validity.duration", "validity.duration must be a positive integer");
  }
  return { unit: unit as ValidityUnit, duration };
}

function resolveDeliveryFormat(input: unknown): DeliveryFormat {
  if (input === undefined || input === null) return "x509";
  const format = typeof input === "string" ? input.toLowerCase() : undefined;
  if (format !== "x509" && format !== "pkcs7") {
    throw ApiError.invalidField("delivery_format", "delivery_format must be x509 or pkcs7");
  }
  return format;
}

/** include_ca_chain as a boolean, or the strings "true"/"false" that DigiCert's own scripts send. */
function resolveIncludeChain(input: unknown): boolean {
  if (input === undefined || input === null) return false;
  if (typeof input === "boolean") return input;
  if (typeof input === "string" && /^(true|false)$/i.test(input)) return input.toLowerCase() === "true";
  throw ApiError.invalidField("include_ca_chain", "include_ca_chain must be a boolean");
}

/** Both documented issue shapes: the tutorial's (all under `profile`) and the spec/Terraform one (side by side). */
function readIssueBody(body: unknown) {
  const root = bodyObject(body);
  const profile = asObject(root.profile) ?? {};
  const seat = asObject(root.seat);
  const profileSeat = asObject(profile.seat);
  return {
    profileId: profile.id,
    seatId: seat?.seat_id ?? seat?.id ?? profileSeat?.id ?? profileSeat?.seat_id,
    csr: root.csr ?? profile.csr,
    attributes: root.attributes ?? profile.attributes,
    validity: root.validity ?? profile.validity,
    deliveryFormat: root.delivery_format ?? profile.delivery_format,
    includeCaChain: root.include_ca_chain ?? profile.include_ca_chain,
    tags: root.tags ?? profile.tags,
  };
}

function ensureRestEnabled(profile: ProfileDefinition): void {
  if (profile.status !== "Active") throw ApiError.invalidField("profile.id", "Profile is not active");
  if (profile.enrollmentMethod !== "rest_api") {
    throw ApiError.invalidField("profile.id", "Profile is not enabled for the rest_api enrollment method");
  }
}

/** Every TLM route the simulator serves, over shared state. */
class TlmApi {
  readonly #state: SimulatorState;
  readonly #ca: CertificateAuthority;
  readonly #pickupDelayMs: number;
  readonly #certificateEncoding: CertificateEncoding;
  /** The issuing CA's key identifier: the AKI of every certificate the simulator issues. */
  readonly #authorityKeyId: string;
  readonly #profileJson: ReadonlyMap<string, Record<string, unknown>>;
  /** "profileId\ncommon name" of issues in flight on no-duplicate profiles, so two concurrent requests cannot both pass. */
  readonly #reservedNames = new Set<string>();
  readonly #pickups = new Map<string, Promise<CertificateRecord>>();

  constructor(options: TlmOptions) {
    this.#state = options.state;
    this.#ca = options.ca;
    this.#pickupDelayMs = options.pickupDelayMs;
    this.#certificateEncoding = options.certificateEncoding ?? "pem";
    this.#authorityKeyId = (
      options.ca.intermediate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? ""
    ).toUpperCase();
    this.#profileJson = new Map(
      [...options.state.profiles.values()].map((profile) => [profile.id, profileJson(profile, options.ca)]),
    );
  }

  register(server: SimulatorServer): void {
    const base = "/mpki/api/v1";
    server.route("GET", `${base}/hello`, () => ({ status: 200, text: HELLO }));
    server.route("GET", `${base}/profile`, (request) => this.listProfiles(request, false));
    server.route("GET", `${base}/profile/:id`, (request) => this.getProfile(request));
    server.route("GET", "/mpki/api/v2/profile", (request) => this.listProfiles(request, true));
    server.route("GET", "/mpki/api/v2/profile/:id", (request) => this.getProfile(request));
    server.route("POST", `${base}/certificate`, (request) => this.issue(request));
    server.route("GET", `${base}/certificate-search`, (request) => this.search(request));
    server.route("GET", `${base}/certificate/:serial`, (request) => this.details(request));
    server.route("GET", `${base}/certificate/:serial/additional-formats`, (request) => this.formats(request));
    server.route("PUT", `${base}/certificate/:serial/revoke`, (request) => this.revoke(request));
    server.route("DELETE", `${base}/certificate/:serial/revoke`, (request) => this.resume(request));
    server.route("POST", `${base}/certificate/:serial/renew`, (request) => this.renew(request));
    server.route("POST", `${base}/certificate-pickup/:request_id`, (request) => this.pickup(request));
  }

  listProfiles(request: ApiRequest, paged: boolean): ApiResponse {
    const visible = [...this.#profileJson]
      .filter(([id]) => request.caller.canUseProfile(id))
      .map(([, json]) => json);
    const page = paged ? paging(request.query, 100) : { offset: 0, limit: visible.length };
    return { status: 200, json: visible.slice(page.offset, page.offset + page.limit) };
  }

  getProfile(request: ApiRequest): ApiResponse {
    const profile = this.#profile(request.caller, request.params.id);
    return { status: 200, json: this.#profileJson.get(profile.id) };
  }

  async issue(request: ApiRequest): Promise<ApiResponse> {
    const body = readIssueBody(request.body);
    if (body.profileId === undefined || body.profileId === null || body.profileId === "") {
      throw ApiError.invalidField("profile.id", "profile.id is required");
    }
    const profile = this.#profile(request.caller, body.profileId);
    ensureRestEnabled(profile);
    if (typeof body.seatId !== "string" || body.seatId.trim() === "") {
      throw ApiError.invalidField("seat.seat_id", "seat.seat_id is required");
    }
    const seatId = body.seatId.trim();
    const csr = await checkCsr(body.csr, profile);
    const attributes = body.attributes === undefined ? {} : asObject(body.attributes);
    if (!attributes) throw ApiError.invalidField("attributes", "attributes must be an object");
    const subject = resolveSubject(profile, attributes, csr);
    const sans = resolveSans(profile, attributes, csr, subject);
    const extraSans = resolveExtraSans(profile, attributes, csr);
    const validity = resolveValidity(profile, body.validity);
    const deliveryFormat = resolveDeliveryFormat(body.deliveryFormat);
    const includeCaChain = resolveIncludeChain(body.includeCaChain);
    const tags = resolveTags(body.tags);
    const commonName = subject.common_name?.[0] ?? "";
    const reservation = `${profile.id}\n${commonName.toLowerCase()}`;
    if (!profile.duplicateCertPolicy) {
      if (this.#reservedNames.has(reservation) || this.#hasValidCertificate(profile.id, commonName)) {
        throw new ApiError(
          400,
          "duplicate_error",
          `A valid certificate for common name ${commonName} already exists in profile ${profile.name}. Revoke it or use a different common name.`,
        );
      }
      this.#reservedNames.add(reservation);
    }
    try {
      if (profile.authenticationMethod === "manual_approval") {
        const pending: PendingRequest = {
          requestId: randomUUID(),
          profileId: profile.id,
          seatId,
          createdAt: Date.now(),
          publicKeyPem: csr.publicKey.toString("pem"),
          subject,
          sans,
          validity,
          deliveryFormat,
          includeCaChain,
          ...(extraSans ? { extraSans } : {}),
          ...(tags ? { tags } : {}),
        };
        this.#state.pending.set(pending.requestId, pending);
        await this.#state.save();
        return { status: 201, json: { status: "PENDING", request_id: pending.requestId } };
      }
      const notBefore = nowSeconds();
      const record = await this.#state.issue({
        profile,
        seatId,
        publicKey: csr.publicKey,
        subject,
        sans,
        ...(extraSans ? { extraSans } : {}),
        ...(tags ? { tags } : {}),
        notBefore,
        notAfter: addValidity(notBefore, validity),
      });
      await this.#state.save();
      return { status: 201, json: this.#certificateResponse(record, deliveryFormat, includeCaChain) };
    } finally {
      this.#reservedNames.delete(reservation);
    }
  }

  details(request: ApiRequest): ApiResponse {
    return { status: 200, json: this.#details(this.#certificate(request)) };
  }

  formats(request: ApiRequest): ApiResponse {
    const record = this.#certificate(request);
    const leaf = new x509.X509Certificate(record.certificatePem);
    const chain = [leaf, ...this.#ca.chain];
    return {
      status: 200,
      json: {
        pkcs7: this.#ca.pkcs7(chain),
        x509_cert_chain: chain.map((certificate) => ({
          common_name: certificate.subjectName.getField("CN")[0] ?? "",
          cert_blob: certificate.toString("pem"),
        })),
      },
    };
  }

  search(request: ApiRequest): ApiResponse {
    const { query, caller } = request;
    for (const name of new Set(query.keys())) {
      if (!SEARCH_PARAMETERS.has(name)) {
        throw ApiError.invalidField(name, `${name} is not a certificate-search parameter`);
      }
      if (query.getAll(name).length > 1) throw ApiError.invalidField(name, `${name} may be given only once`);
    }
    const { offset, limit } = paging(query, 1000);
    const now = Date.now();
    const checks: ((record: CertificateRecord) => boolean)[] = [
      (record) => caller.canUseProfile(record.profileId),
    ];
    const given = (name: string): string | undefined => {
      const value = query.get(name);
      return value === null || value === "" ? undefined : value;
    };
    const exact = (name: string, pick: (record: CertificateRecord) => string, caseInsensitive = false) => {
      const wanted = given(name);
      if (wanted === undefined) return;
      if (caseInsensitive) checks.push((record) => pick(record).toLowerCase() === wanted.toLowerCase());
      else checks.push((record) => pick(record) === wanted);
    };
    for (const name of ["profile_id", "business_unit_id", "account_id"]) {
      const value = given(name);
      if (value !== undefined && !UUID.test(value))
        throw ApiError.invalidField(name, `${name} must be a UUID`);
    }
    const seatType = given("seat_type_id");
    if (seatType !== undefined && !SEAT_TYPES.has(seatType.toUpperCase())) {
      throw ApiError.invalidField(
        "seat_type_id",
        `seat_type_id must be one of ${[...SEAT_TYPES].join(", ")}`,
      );
    }
    const issuingCaSerial = this.#ca.intermediate.serialNumber.toUpperCase();
    exact("profile_id", (record) => record.profileId, true);
    exact("seat_id", (record) => record.seatId);
    exact("seat_type_id", (record) => this.#profileOf(record).seatType ?? "SERVER_SEAT", true);
    exact("common_name", (record) => record.commonName, true);
    exact("serial_number", (record) => record.serialNumber, true);
    exact("thumbprint", (record) => record.thumbprint, true);
    exact("business_unit_id", (record) => this.#profileOf(record).businessUnit.id, true);
    exact("business_unit_name", (record) => this.#profileOf(record).businessUnit.name, true);
    exact("account_id", () => ACCOUNT_ID, true);
    exact("issuing_ca_name", () => this.#ca.intermediateName);
    // The issuing CA's id is its certificate's serial, as `ica.id` shows it.
    exact("issuing_ca_id", () => issuingCaSerial, true);
    exact("issuing_ca_serial_number", () => issuingCaSerial, true);
    const aki = given("aki");
    if (aki !== undefined) {
      const wanted = aki.replaceAll(":", "").toUpperCase();
      if (!/^[0-9A-F]+$/.test(wanted)) throw ApiError.invalidField("aki", "aki must be hexadecimal");
      checks.push(() => wanted === this.#authorityKeyId);
    }
    const status = given("status");
    if (status !== undefined) {
      const wanted = status.split(",").map((value) => value.trim().toLowerCase());
      if (!wanted.every((value) => SEARCH_STATUSES.has(value))) {
        throw ApiError.invalidField("status", "status must be one of ISSUED, EXPIRED, REVOKED, SUSPENDED");
      }
      checks.push((record) => wanted.includes(effectiveStatus(record, now)));
    }
    const validFrom = dateParam(query, "valid_from");
    if (validFrom !== undefined) checks.push((record) => Date.parse(record.validFrom) >= validFrom);
    const validTo = dateParam(query, "valid_to");
    if (validTo !== undefined) checks.push((record) => Date.parse(record.validTo) <= validTo);
    const matches = [...this.#state.certificates.values()]
      .filter((record) => checks.every((check) => check(record)))
      .sort((a, b) =>
        a.validFrom === b.validFrom
          ? a.serialNumber.localeCompare(b.serialNumber)
          : a.validFrom < b.validFrom
            ? 1
            : -1,
      );
    return {
      status: 200,
      json: {
        total: matches.length,
        offset,
        limit,
        items: matches.slice(offset, offset + limit).map((record) => this.#details(record, now)),
      },
    };
  }

  async revoke(request: ApiRequest): Promise<ApiResponse> {
    const record = this.#certificate(request);
    const body = bodyObject(request.body);
    const reason = body.revocation_reason;
    if (typeof reason !== "string" || !REVOCATION_REASONS.has(reason)) {
      throw ApiError.invalidField(
        "revocation_reason",
        `revocation_reason must be one of ${[...REVOCATION_REASONS].join(", ")}`,
      );
    }
    if (body.comments !== undefined && body.comments !== null && typeof body.comments !== "string") {
      throw ApiError.invalidField("comments", "comments must be a string");
    }
    if (record.status === "revoked") throw ApiError.invalidRequest("Certificate already has been revoked");
    if (reason === "certificate_hold" && record.status === "suspended") {
      throw ApiError.invalidRequest("Certificate is already suspended");
    }
    record.status = reason === "certificate_hold" ? "suspended" : "revoked";
    record.revocation = {
      reason,
      revocation_date: isoSeconds(new Date()),
      comments: typeof body.comments === "string" ? body.comments : "",
    };
    await this.#state.save();
    return { status: 204 };
  }

  async resume(request: ApiRequest): Promise<ApiResponse> {
    const record = this.#certificate(request);
    if (record.status !== "suspended")
      throw ApiError.invalidRequest("Only a suspended certificate can be resumed");
    record.status = "issued";
    delete record.revocation;
    await this.#state.save();
    return { status: 204 };
  }

  async renew(request: ApiRequest): Promise<ApiResponse> {
    const record = this.#certificate(request);
    const body = bodyObject(request.body);
    const profile = this.#profileOf(record);
    ensureRestEnabled(profile);
    if (record.status === "revoked") throw ApiError.invalidRequest("A revoked certificate cannot be renewed");
    if (record.status === "suspended")
      throw ApiError.invalidRequest("A suspended certificate cannot be renewed");
    const windowOpens = Date.parse(record.validTo) - profile.renewalPeriodDays * DAY_MS;
    if (Date.now() < windowOpens) {
      throw new ApiError(
        422,
        "renewal_window",
        `The certificate can be renewed only in the last ${profile.renewalPeriodDays} days before it expires, from ${isoSeconds(new Date(windowOpens))}`,
      );
    }
    const csr = await checkCsr(body.csr, profile);
    const validity = resolveValidity(profile, body.validity);
    const deliveryFormat = resolveDeliveryFormat(body.delivery_format);
    const includeCaChain = resolveIncludeChain(body.include_ca_chain);
    const notBefore = nowSeconds();
    const renewed = await this.#state.issue({
      profile,
      seatId: record.seatId,
      publicKey: csr.publicKey,
      subject: record.subject,
      sans: record.sans,
      ...(record.extraSans ? { extraSans: record.extraSans } : {}),
      ...(record.tags ? { tags: record.tags } : {}),
      notBefore,
      notAfter: addValidity(notBefore, validity),
    });
    await this.#state.save();
    return { status: 200, json: this.#certificateResponse(renewed, deliveryFormat, includeCaChain) };
  }

  async pickup(request: ApiRequest): Promise<ApiResponse> {
    const requestId = request.params.request_id ?? "";
    if (!UUID.test(requestId)) throw ApiError.invalidField("request_id", "request_id must be a UUID");
    const body = bodyObject(request.body);
    const profileId = asObject(body.profile)?.id;
    if (profileId === undefined || profileId === null || profileId === "") {
      throw ApiError.invalidField("profile.id", "profile.id is required");
    }
    const profile = this.#profile(request.caller, profileId);
    const pending = this.#state.pending.get(requestId.toLowerCase());
    if (!pending || pending.profileId !== profile.id)
      throw ApiError.notFound("Certificate request not found");
    if (!pending.serialNumber && Date.now() < pending.createdAt + this.#pickupDelayMs) {
      return { status: 200, json: { status: "PENDING", request_id: pending.requestId } };
    }
    const record = await this.#issuePending(pending, profile);
    const response = this.#certificateResponse(
      record,
      pending.deliveryFormat as DeliveryFormat,
      pending.includeCaChain,
    );
    return { status: 200, json: { status: "ISSUED", ...response } };
  }

  /** Issues an approved request exactly once, however many pickups race for it. */
  #issuePending(pending: PendingRequest, profile: ProfileDefinition): Promise<CertificateRecord> {
    const issued = pending.serialNumber ? this.#state.certificates.get(pending.serialNumber) : undefined;
    if (issued) return Promise.resolve(issued);
    let inFlight = this.#pickups.get(pending.requestId);
    if (!inFlight) {
      inFlight = (async () => {
        const notBefore = nowSeconds();
        const record = await this.#state.issue({
          profile,
          seatId: pending.seatId,
          publicKey: new x509.PublicKey(pending.publicKeyPem),
          subject: pending.subject,
          sans: pending.sans,
          ...(pending.extraSans ? { extraSans: pending.extraSans } : {}),
          ...(pending.tags ? { tags: pending.tags } : {}),
          notBefore,
          notAfter: addValidity(notBefore, pending.validity),
        });
        pending.serialNumber = record.serialNumber;
        await this.#state.save();
        return record;
      })().finally(() => this.#pickups.delete(pending.requestId));
      this.#pickups.set(pending.requestId, inFlight);
    }
    return inFlight;
  }

  /** A profile the caller may use; unknown, malformed and forbidden ids all answer 403 as TLM does. */
  #profile(caller: Caller, id: unknown): ProfileDefinition {
    const profile =
      typeof id === "string" && UUID.test(id) ? this.#state.profiles.get(id.toLowerCase()) : undefined;
    if (!profile || !caller.canUseProfile(profile.id)) throw ApiError.noAccess();
    return profile;
  }

  #profileOf(record: CertificateRecord): ProfileDefinition {
    return this.#state.profiles.get(record.profileId)!;
  }

  #certificate(request: ApiRequest): CertificateRecord {
    const serial = request.params.serial ?? "";
    if (!SERIAL.test(serial)) {
      throw ApiError.invalidField("serial_number", "serial_number must be 1 to 40 hexadecimal characters");
    }
    const record = this.#state.certificates.get(serial.toUpperCase());
    if (!record) throw ApiError.notFound("Certificate not found");
    if (!request.caller.canUseProfile(record.profileId)) {
      throw ApiError.noAccess("User has no access to the certificate");
    }
    return record;
  }

  #hasValidCertificate(profileId: string, commonName: string): boolean {
    const now = Date.now();
    const wanted = commonName.toLowerCase();
    for (const record of this.#state.certificates.values()) {
      if (record.profileId !== profileId || record.commonName.toLowerCase() !== wanted) continue;
      const status = effectiveStatus(record, now);
      if (status === "issued" || status === "suspended") return true;
    }
    return false;
  }

  #certificateResponse(record: CertificateRecord, deliveryFormat: DeliveryFormat, includeCaChain: boolean) {
    let certificate: string;
    if (deliveryFormat === "pkcs7") {
      const leaf = new x509.X509Certificate(record.certificatePem);
      certificate = this.#ca.pkcs7(includeCaChain ? [leaf, ...this.#ca.chain] : [leaf]);
    } else {
      certificate = includeCaChain
        ? [record.certificatePem, this.#ca.intermediatePem, this.#ca.rootPem].join("\n")
        : record.certificatePem;
    }
    return { serial_number: record.serialNumber, delivery_format: deliveryFormat, certificate };
  }

  #details(record: CertificateRecord, now = Date.now()): Record<string, unknown> {
    const profile = this.#profileOf(record);
    return {
      profile: { id: profile.id, name: profile.name },
      seat: { seat_id: record.seatId },
      account: { id: ACCOUNT_ID },
      business_unit: { id: profile.businessUnit.id, name: profile.businessUnit.name },
      certificate:
        this.#certificateEncoding === "base64"
          ? record.certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, "")
          : record.certificatePem,
      ica: { id: this.#ca.intermediate.serialNumber.toUpperCase() },
      common_name: record.commonName,
      status: effectiveStatus(record, now),
      serial_number: record.serialNumber,
      thumbprint: record.thumbprint,
      valid_from: record.validFrom,
      valid_to: record.validTo,
      notes: record.notes,
      template_name: profile.template.name,
      issuing_ca_name: this.#ca.intermediateName,
      key_size: record.keySize,
      signature_algorithm: record.keyAlgorithm,
      subject: subjectJson(record.subject),
      // Not in the documented details [I]: shows the issue request's tags were kept.
      ...(record.tags ? { tags: [...record.tags] } : {}),
      ...(record.revocation ? { revocation: { ...record.revocation } } : {}),
    };
  }
}

/** revoked wins; otherwise a certificate past valid_to is expired; else its stored issued/suspended. */
function effectiveStatus(
  record: CertificateRecord,
  now: number,
): "issued" | "revoked" | "expired" | "suspended" {
  if (record.status === "revoked") return "revoked";
  if (Date.parse(record.validTo) < now) return "expired";
  return record.status;
}

function dateParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const time = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)
    ? Date.parse(raw)
    : Number.NaN;
  if (Number.isNaN(time)) throw ApiError.invalidField(name, `${name} must be an ISO 8601 date or date-time`);
  return time;
}

export function registerTlmRoutes(server: SimulatorServer, options: TlmOptions): void {
  new TlmApi(options).register(server);
}
