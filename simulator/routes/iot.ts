import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { type CertificateAuthority, commonNameOf, DAY_MS } from "../ca.js";
import { parseCsr } from "../csr.js";
import { ApiError } from "../errors.js";
import {
  buildPkcs12,
  envelope,
  exportPrivateKey,
  generateIotKey,
  parseEncryptionCertificate,
  PKCS12_PASSWORD,
  PRIVATE_KEY_FORMATS,
  PRIVATE_KEY_SYNTAXES,
  type PrivateKeyFormat,
  type PrivateKeySyntax,
  zipFiles,
} from "../iot/artefacts.js";
import { type BatchOptions, IotBatches } from "../iot/batch.js";
import {
  API_FIELDS,
  certificatePem,
  chainPem,
  checkKeySyntax,
  checkKeyType,
  issueIotCertificate,
  iotStatus,
  type IssueMeta,
  readAttributeList,
  resolveEnrollment,
  sanJson,
  serverKeyType,
} from "../iot/enroll.js";
import { subjectJson } from "../names.js";
import {
  IOT_KEY_TYPES,
  type IotKeyType,
  type IotProfileDefinition,
  enrollmentSpecificationJson,
  iotProfileJson,
} from "../iot/profiles.js";
import type { IotAttribute, IotCertificateRecord } from "../iot/types.js";
import { bodyObject, enumValue, type JsonObject, paging, UUID } from "../request.js";
import type { ApiRequest, ApiResponse, Caller, SimulatorServer } from "../server.js";
import { isoSeconds, type SimulatorState } from "../state.js";

// IoT Trust Manager routes, base path /iot/api/v1. Shapes marked [C]/[C3]/[I] as in shared/reference/digicert-api.md.
// IoT's error body is not public: errors use TLM's {"errors":[{code,message,field}]} envelope [I].

export interface IotOptions {
  readonly state: SimulatorState;
  readonly ca: CertificateAuthority;
  readonly profiles: readonly IotProfileDefinition[];
  readonly batch: BatchOptions;
}

const BASE = "/iot/api/v1";
const PROFILE_ID = /^IOT_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SERIAL = /^[0-9a-f]{1,40}$/i;
const LIST_STATUSES = new Set(["ISSUED", "REVOKED", "EXPIRED"]);
/** [I]: RFC 5280 reasons without the hold/remove pair (IoT shows no suspension). */
const REVOCATION_REASONS = new Set([
  "unspecified",
  "key_compromise",
  "ca_compromise",
  "affiliation_changed",
  "superseded",
  "cessation_of_operation",
  "privilege_withdrawn",
]);

/** What a request asks for about the key: a CSR, or server-side generation and how to deliver the key. */
type KeyRequest =
  | {
      readonly serverSide: false;
      readonly csr: x509.Pkcs10CertificateRequest;
      readonly includeChain: boolean;
    }
  | {
      readonly serverSide: true;
      readonly keyType: IotKeyType;
      readonly format: PrivateKeyFormat;
      readonly syntax: PrivateKeySyntax;
      readonly password?: string;
      readonly encryptionCertificate?: x509.X509Certificate;
      readonly includeChain: boolean;
    };

function booleanField(body: JsonObject, name: string, fallback: boolean): boolean {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw ApiError.invalidField(name, `${name} must be a boolean`);
  return value;
}

/** Validates the key part of an enrollment or renewal body against the profile. */
async function readKeyRequest(body: JsonObject, profile: IotProfileDefinition): Promise<KeyRequest> {
  const serverSide = booleanField(body, "server_side_key_gen", false);
  const includeChain = booleanField(body, "include_certificate_chain", true);
  const option = profile.keyGenerationOption;
  if (!serverSide) {
    if (option === "server_side") {
      throw ApiError.invalidField(
        body.csr === undefined ? "server_side_key_gen" : "csr",
        "The enrollment profile requires server-side key generation: send server_side_key_gen true and no csr",
      );
    }
    const csr = await parseCsr(body.csr);
    checkKeyType(profile, csr.publicKey, "csr");
    return { serverSide, csr, includeChain };
  }
  if (option === "client_side") {
    throw ApiError.invalidField(
      "server_side_key_gen",
      "The enrollment profile does not allow server-side key generation: send a csr",
    );
  }
  if (body.csr !== undefined && body.csr !== null) {
    throw ApiError.invalidField("csr", "csr must not be sent with server_side_key_gen");
  }
  const keyType = serverKeyType(profile, enumValue(body.key_type, "key_type", IOT_KEY_TYPES));
  const format = enumValue(body.private_key_format, "private_key_format", PRIVATE_KEY_FORMATS);
  if (!format) {
    throw ApiError.invalidField(
      "private_key_format",
      `private_key_format is required with server_side_key_gen (${PRIVATE_KEY_FORMATS.join(", ")})`,
    );
  }
  const syntax = enumValue(body.private_key_syntax, "private_key_syntax", PRIVATE_KEY_SYNTAXES) ?? "pkcs8";
  checkKeySyntax(syntax, keyType);

  let password: string | undefined;
  if (format === "pkcs_12") {
    // Never echo the password back, not even in an error.
    if (typeof body.pkcs12_password !== "string" || !PKCS12_PASSWORD.test(body.pkcs12_password)) {
      throw ApiError.invalidField(
        "pkcs12_password",
        "pkcs12_password is required for pkcs_12: 6 to 20 characters from A-Z, a-z and 0-9",
      );
    }
    password = body.pkcs12_password;
  }
  const encryptionCertificate =
    format === "cert_encrypted" || format === "cert_encrypted_key_only"
      ? parseEncryptionCertificate(body.encryption_certificate)
      : undefined;
  return { serverSide, keyType, format, syntax, password, encryptionCertificate, includeChain };
}

/** Every IoT Trust Manager route the simulator serves, over shared state. */
class IotApi {
  readonly #state: SimulatorState;
  readonly #ca: CertificateAuthority;
  readonly #profiles: ReadonlyMap<string, IotProfileDefinition>;
  readonly #chainJson: readonly Record<string, string>[];
  readonly batches: IotBatches;

  constructor(options: IotOptions) {
    this.#state = options.state;
    this.#ca = options.ca;
    this.#profiles = new Map(options.profiles.map((profile) => [profile.id.toLowerCase(), profile]));
    this.#chainJson = [
      {
        cert_type: "intermediate",
        blob: options.ca.intermediatePem,
        common_name: commonNameOf(options.ca.intermediate),
      },
      { cert_type: "root", blob: options.ca.rootPem, common_name: commonNameOf(options.ca.root) },
    ];
    this.batches = new IotBatches({
      state: options.state,
      ca: options.ca,
      profiles: options.profiles,
      profile: (caller, id, field) => this.profile(caller, id, field),
      options: options.batch,
    });
  }

  register(server: SimulatorServer): void {
    server.route("GET", `${BASE}/enrollment-profile`, (request) => this.listProfiles(request));
    server.route("GET", `${BASE}/enrollment-profile/:id`, (request) => this.getProfile(request));
    server.route("GET", `${BASE}/enrollment-profile/:id/enrollment-specification`, (request) =>
      this.specification(request),
    );
    server.route("POST", `${BASE}/certificate`, (request) => this.enroll(request));
    server.route("GET", `${BASE}/certificate`, (request) => this.list(request));
    server.route("GET", `${BASE}/certificate/:id`, (request) => this.details(request));
    server.route("PUT", `${BASE}/certificate/:id/revoke`, (request) => this.revoke(request));
    // The newer docs say POST, the older page PUT [C]; both renew.
    server.route("POST", `${BASE}/certificate/:id/renew`, (request) => this.renew(request));
    server.route("PUT", `${BASE}/certificate/:id/renew`, (request) => this.renew(request));
    this.batches.register(server);
  }

  /** An enrollment profile the caller may use; malformed ids 400 on `field`, unknown 404 [I], forbidden 403. */
  profile(caller: Caller, id: unknown, field: string): IotProfileDefinition {
    if (typeof id !== "string" || id === "") throw ApiError.invalidField(field, `${field} is required`);
    if (!PROFILE_ID.test(id)) {
      throw ApiError.invalidField(field, `${field} must be an IoT enrollment profile id (IOT_<uuid>)`);
    }
    const profile = this.#profiles.get(id.toLowerCase());
    if (!profile) throw ApiError.notFound("Enrollment profile not found");
    if (!caller.canUseProfile(profile.id))
      throw ApiError.noAccess("User has no access to the enrollment profile");
    return profile;
  }

  listProfiles(request: ApiRequest): ApiResponse {
    const { offset, limit } = paging(request.query, 100);
    const visible = [...this.#profiles.values()].filter((profile) =>
      request.caller.canUseProfile(profile.id),
    );
    return {
      status: 200,
      json: {
        records: visible.slice(offset, offset + limit).map(iotProfileJson),
        total: visible.length,
        offset,
        limit,
      },
    };
  }

  getProfile(request: ApiRequest): ApiResponse {
    return { status: 200, json: iotProfileJson(this.profile(request.caller, request.params.id, "id")) };
  }

  specification(request: ApiRequest): ApiResponse {
    return {
      status: 200,
      json: enrollmentSpecificationJson(this.profile(request.caller, request.params.id, "id")),
    };
  }

  async enroll(request: ApiRequest): Promise<ApiResponse> {
    const body = bodyObject(request.body);
    const profile = this.profile(request.caller, body.enrollment_profile_id, "enrollment_profile_id");
    if (!profile.enrollmentMethods.includes("API")) {
      throw ApiError.invalidField(
        "enrollment_profile_id",
        "The enrollment profile does not allow the API enrollment method",
      );
    }
    const certificateAttributes = readAttributeList(
      body.certificate_profile_attributes,
      API_FIELDS.certificate,
    );
    const deviceAttributes = readAttributeList(body.device_attributes, API_FIELDS.device);
    return this.#enroll(profile, body, certificateAttributes, deviceAttributes, undefined);
  }

  async renew(request: ApiRequest): Promise<ApiResponse> {
    const record = this.#certificate(request);
    const body = bodyObject(request.body);
    if (body.enrollment_profile_id !== undefined) {
      throw ApiError.invalidField(
        "enrollment_profile_id",
        "A renewal keeps the certificate's enrollment profile",
      );
    }
    const profile = this.#profiles.get(record.profileId.toLowerCase())!;
    if (record.status === "revoked") throw ApiError.invalidRequest("A revoked certificate cannot be renewed");
    const windowOpens = Date.parse(record.validTo) - profile.renewalWindowDays * DAY_MS;
    if (Date.now() < windowOpens) {
      throw new ApiError(
        422,
        "renewal_window",
        `The certificate can be renewed only in the last ${profile.renewalWindowDays} days before it expires, from ${isoSeconds(new Date(windowOpens))}`,
      );
    }
    // [I] Attributes left out of the body are kept from the certificate being renewed.
    const certificateAttributes =
      body.certificate_profile_attributes === undefined
        ? record.certificateAttributes
        : readAttributeList(body.certificate_profile_attributes, API_FIELDS.certificate);
    const deviceAttributes =
      body.device_attributes === undefined
        ? record.deviceAttributes
        : readAttributeList(body.device_attributes, API_FIELDS.device);
    return this.#enroll(profile, body, certificateAttributes, deviceAttributes, record);
  }

  async #enroll(
    profile: IotProfileDefinition,
    body: JsonObject,
    certificateAttributes: readonly IotAttribute[],
    deviceAttributes: readonly IotAttribute[],
    renewing: IotCertificateRecord | undefined,
  ): Promise<ApiResponse> {
    const keyRequest = await readKeyRequest(body, profile);
    const csr = keyRequest.serverSide ? undefined : keyRequest.csr;
    const resolved = resolveEnrollment(profile, certificateAttributes, deviceAttributes, csr);
    const meta: IssueMeta = {
      enrollmentMethod: "API",
      keyGeneration: keyRequest.serverSide ? "server_side" : "client_side",
      ...(renewing ? { renewedFrom: renewing.id } : {}),
    };
    if (!keyRequest.serverSide) {
      const record = await issueIotCertificate(
        this.#state,
        this.#ca,
        profile,
        resolved,
        keyRequest.csr.publicKey,
        meta,
      );
      await this.#state.save();
      return { status: 200, json: this.#enrollmentResponse(record, keyRequest.includeChain) };
    }
    const key = await generateIotKey(keyRequest.keyType);
    const record = await issueIotCertificate(this.#state, this.#ca, profile, resolved, key.publicKey, meta);
    await this.#state.save();
    const { format, syntax, includeChain } = keyRequest;
    let privateKey: string;
    let pem = true;
    switch (format) {
      case "pem":
        privateKey = exportPrivateKey(key.privateKey, syntax, "pem");
        break;
      case "der":
        privateKey = exportPrivateKey(key.privateKey, syntax, "der").toString("base64");
        break;
      case "pkcs_12": {
        const leaf = new x509.X509Certificate(record.certificatePem);
        const certificates = includeChain ? [leaf, this.#ca.intermediate, this.#ca.root] : [leaf];
        const pfx = await buildPkcs12(key.privateKey, certificates, keyRequest.password!, record.commonName);
        privateKey = Buffer.from(pfx).toString("base64");
        break;
      }
      case "cert_encrypted": {
        // [I] File names in the bundle; with cert_encrypted the certificate travels only inside it (pem is omitted).
        const bundle = zipFiles([
          { name: "certificate.pem", data: certificatePem(record, this.#ca, false) },
          ...(includeChain ? [{ name: "chain.pem", data: chainPem(this.#ca) }] : []),
          { name: "private_key.pem", data: exportPrivateKey(key.privateKey, syntax, "pem") },
        ]);
        privateKey = Buffer.from(envelope(bundle, keyRequest.encryptionCertificate!)).toString("base64");
        bundle.fill(0);
        pem = false;
        break;
      }
      case "cert_encrypted_key_only": {
        const keyPem = Buffer.from(exportPrivateKey(key.privateKey, syntax, "pem"));
        privateKey = Buffer.from(envelope(keyPem, keyRequest.encryptionCertificate!)).toString("base64");
        keyPem.fill(0);
        break;
      }
    }
    const response = this.#enrollmentResponse(record, includeChain);
    if (!pem) delete response.pem;
    // [I] A response carrying a private key must not be cached anywhere.
    return {
      status: 200,
      json: { ...response, private_key: privateKey },
      headers: { "cache-control": "no-store" },
    };
  }

  /** 200 OK with certificate_request_id, status, result, certificate_id and pem [C]; serial_number [I]. */
  #enrollmentResponse(record: IotCertificateRecord, includeChain: boolean): Record<string, unknown> {
    return {
      certificate_request_id: record.requestId,
      status: "AUTO_APPROVED",
      result: "SUCCESS",
      certificate_id: record.id,
      serial_number: record.serialNumber,
      pem: certificatePem(record, this.#ca, includeChain),
    };
  }

  list(request: ApiRequest): ApiResponse {
    const { query, caller } = request;
    const { offset, limit } = paging(query, 1000);
    const now = Date.now();
    const checks: ((record: IotCertificateRecord) => boolean)[] = [
      (record) => caller.canUseProfile(record.profileId),
    ];
    const exact = (name: string, pick: (record: IotCertificateRecord) => string | undefined) => {
      const wanted = query.get(name);
      if (wanted === null || wanted === "") return;
      const lower = wanted.toLowerCase();
      checks.push((record) => pick(record)?.toLowerCase() === lower);
    };
    exact("serial_number", (record) => record.serialNumber);
    exact("common_name", (record) => record.commonName);
    exact("enrollment_profile_id", (record) => record.profileId);
    exact("enrollment_method", (record) => record.enrollmentMethod);
    exact("certificate_type", () => "x509");
    exact("device_identifier", (record) => record.deviceIdentifier);
    exact("batch_job_id", (record) => record.batchJobId);
    const status = query.get("status");
    if (status !== null && status !== "") {
      const wanted = status.split(",").map((value) => value.trim().toUpperCase());
      if (!wanted.every((value) => LIST_STATUSES.has(value))) {
        throw ApiError.invalidField("status", "status must be one of ISSUED, REVOKED, EXPIRED");
      }
      checks.push((record) => wanted.includes(iotStatus(record, now)));
    }
    const matches = [...this.#state.iotCertificates.values()]
      .filter((record) => checks.every((check) => check(record)))
      .sort((a, b) =>
        a.createdAt === b.createdAt
          ? a.serialNumber.localeCompare(b.serialNumber)
          : a.createdAt < b.createdAt
            ? 1
            : -1,
      );
    return {
      status: 200,
      json: {
        records: matches.slice(offset, offset + limit).map((record) => this.#recordJson(record, now)),
        total: matches.length,
        offset,
        limit,
      },
    };
  }

  details(request: ApiRequest): ApiResponse {
    return { status: 200, json: this.#recordJson(this.#certificate(request)) };
  }

  async revoke(request: ApiRequest): Promise<ApiResponse> {
    const record = this.#certificate(request);
    const body = bodyObject(request.body);
    // [I] reason defaults to unspecified; the scripts that revoke always send it.
    const reason = body.reason ?? "unspecified";
    if (typeof reason !== "string" || !REVOCATION_REASONS.has(reason.toLowerCase())) {
      throw ApiError.invalidField("reason", `reason must be one of ${[...REVOCATION_REASONS].join(", ")}`);
    }
    if (record.status === "revoked") throw ApiError.invalidRequest("Certificate already has been revoked");
    record.status = "revoked";
    record.revocation = { reason: reason.toLowerCase(), revoked_at: isoSeconds(new Date()) };
    await this.#state.save();
    return { status: 204 };
  }

  /** By certificate id (UUID) or serial number (hex), as renew accepts both [C]. */
  #certificate(request: ApiRequest): IotCertificateRecord {
    const id = request.params.id ?? "";
    let record: IotCertificateRecord | undefined;
    if (UUID.test(id)) record = this.#state.iotCertificates.get(id.toLowerCase());
    else if (SERIAL.test(id)) record = this.#state.iotCertificateBySerial(id);
    else
      throw ApiError.invalidField(
        "certificate_id",
        "certificate_id must be a certificate id or serial number",
      );
    if (!record) throw ApiError.notFound("Certificate not found");
    if (!request.caller.canUseProfile(record.profileId)) {
      throw ApiError.noAccess("User has no access to the certificate");
    }
    return record;
  }

  /** A list record: id, common_name, serial_number, status, body and chain[].blob are [C3]; the rest is [I]. */
  #recordJson(record: IotCertificateRecord, now = Date.now()): Record<string, unknown> {
    const profile = this.#profiles.get(record.profileId.toLowerCase());
    const names = new Map(profile?.fields.map((entry) => [entry.id, entry.name]));
    return {
      id: record.id,
      certificate_request_id: record.requestId,
      serial_number: record.serialNumber,
      common_name: record.commonName,
      status: iotStatus(record, now),
      certificate_type: "x509",
      body: `${record.certificatePem}\n`,
      chain: this.#chainJson.map((entry) => ({ ...entry })),
      thumbprint: record.thumbprint,
      valid_from: record.validFrom,
      valid_to: record.validTo,
      key_type: record.keyType,
      key_generation: record.keyGeneration,
      enrollment_method: record.enrollmentMethod,
      enrollment_profile: { id: record.profileId, name: profile?.name ?? "" },
      device_identifier: record.deviceIdentifier,
      device_attributes: record.deviceAttributes.map((attribute) => ({
        id: attribute.id,
        name: names.get(attribute.id) ?? attribute.id,
        value: attribute.value,
      })),
      certificate_profile_attributes: record.certificateAttributes.map((attribute) => ({ ...attribute })),
      subject: subjectJson(record.subject),
      san: sanJson(record.sans),
      created_at: record.createdAt,
      ...(record.batchJobId ? { batch_job_id: record.batchJobId } : {}),
      ...(record.renewedFrom ? { renewed_from: record.renewedFrom } : {}),
      ...(record.revocation
        ? { revocation_reason: record.revocation.reason, revoked_at: record.revocation.revoked_at }
        : {}),
    };
  }
}

/** Registers the IoT routes; the returned handle stops batch timers on close. */
export function registerIotRoutes(server: SimulatorServer, options: IotOptions): { close(): Promise<void> } {
  const api = new IotApi(options);
  api.register(server);
  api.batches.resume();
  return { close: () => api.batches.close() };
}
