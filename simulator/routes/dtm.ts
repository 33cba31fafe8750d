import { ApiError } from "../errors.js";
import { DtmBatches, type DtmBatchOptions } from "../dtm/batch/routes.js";
import { BOOTSTRAP_FILE_NAME, bootstrapZip, deviceJson, newDevice } from "../dtm/devices.js";
import { dtmErrorBody, duplicateName } from "../dtm/errors.js";
import {
  DTM_ACCOUNT_ID,
  type DtmDeviceGroup,
  type DtmKeyType,
  type DtmPolicyDefinition,
  deviceGroupJson,
  normalizeKeyType,
  policyJson,
} from "../dtm/policies.js";
import { checkName, checkRegistration } from "../dtm/registration.js";
import { DEVICE_STATUSES, type DtmAttribute, type DtmBootstrapPolicy, type DtmDevice } from "../dtm/types.js";
import { asObject, bodyObject, type JsonObject, paging, UUID } from "../request.js";
import type { ApiRequest, ApiResponse, Caller, SimulatorServer } from "../server.js";
import { isoSeconds, type SimulatorState } from "../state.js";

// Device Trust Manager routes under /devicetrustmanager. Every error, 404s for unknown paths and injected faults
// included, uses DTM's single-object envelope {"error":{"code","message"}} [C].

export interface DtmOptions {
  readonly state: SimulatorState;
  readonly groups: readonly DtmDeviceGroup[];
  readonly policies: readonly DtmPolicyDefinition[];
  readonly batch: DtmBatchOptions;
}

export const DTM_PREFIX = "/devicetrustmanager";
const API = "/devicetrustmanager/api/v4";
/** POST certificate-policy is [C] (single-device tutorial); reading policies there is [I]. */
const POLICY_BASE = "/devicetrustmanager/certificate-configuration-service/api/v2/certificate-policy";
const POLICY_ID = /^IOT_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_BOOTSTRAP = 5;
const MAX_ATTRIBUTES = 100;
/** Longest disable reason kept [I: DigiCert documents none]. */
const MAX_REASON_LENGTH = 255;
/** [I] key delivery settings of server-side keys; only recorded, no key is generated. */
const KEY_FORMATS = ["PEM", "DER", "PKCS12"];
const KEY_SYNTAXES = ["PKCS8", "PKCS1"];

function booleanValue(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") throw ApiError.invalidField(field, `${field} must be a boolean`);
  return value;
}

function optionalString(body: JsonObject, name: string, field = name): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw ApiError.invalidField(field, `${field} must be a string`);
  return value;
}

/** `[{name, value}]` [C]; absent reads as empty. */
function attributeList(input: unknown, field: string): DtmAttribute[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input))
    throw ApiError.invalidField(field, `${field} must be an array of {name, value} objects`);
  if (input.length > MAX_ATTRIBUTES) {
    throw ApiError.invalidField(field, `${field} must have at most ${MAX_ATTRIBUTES} entries`);
  }
  return input.map((entry, index) => {
    const object = asObject(entry);
    if (typeof object?.name !== "string" || object.name.trim() === "") {
      throw ApiError.invalidField(
        `${field}[${index}].name`,
        `${field}[${index}].name must be a non-empty string`,
      );
    }
    if (typeof object.value !== "string") {
      throw ApiError.invalidField(`${field}[${index}].value`, `${field}[${index}].value must be a string`);
    }
    return { name: object.name, value: object.value };
  });
}

/** Every Device Trust Manager route the simulator serves. */
class DtmApi {
  readonly #state: SimulatorState;
  readonly #groups: ReadonlyMap<string, DtmDeviceGroup>;
  readonly #policies: ReadonlyMap<string, DtmPolicyDefinition>;
  readonly batches: DtmBatches;

  constructor(options: DtmOptions) {
    this.#state = options.state;
    this.#groups = new Map(options.groups.map((group) => [group.id, group]));
    this.#policies = new Map(options.policies.map((policy) => [policy.id.toLowerCase(), policy]));
    this.batches = new DtmBatches({
      state: options.state,
      groups: this.#groups,
      policies: this.#policies,
      group: (caller, id, field) => this.group(caller, id, field, 400),
      policy: (caller, id, field, notFound) => this.policy(caller, id, field, notFound),
      options: options.batch,
    });
  }

  register(server: SimulatorServer): void {
    server.errorEnvelope(DTM_PREFIX, dtmErrorBody);
    server.route("GET", `${API}/device-group`, (request) => this.listGroups(request));
    server.route("GET", `${API}/device-group/:id`, (request) => ({
      status: 200,
      json: this.#groupJson(this.group(request.caller, request.params.id, "id", 404)),
    }));
    server.route("GET", POLICY_BASE, (request) => this.listPolicies(request));
    server.route("GET", `${POLICY_BASE}/:id`, (request) => ({
      status: 200,
      json: policyJson(this.policy(request.caller, request.params.id, "id", 404), [...this.#groups.values()]),
    }));
    server.route("POST", `${API}/device/registration`, (request) => this.registerDevice(request));
    server.route("GET", `${API}/device`, (request) => this.listDevices(request));
    server.route("GET", `${API}/device/:id`, (request) => this.getDevice(request));
    server.route("PATCH", `${API}/device/:id/disable`, (request) => this.disableDevice(request));
    server.route("PATCH", `${API}/device/:id/delete`, (request) => this.deleteDevice(request));
    server.route("GET", `${API}/bootstrap-config/download/:device_id`, (request) => this.bootstrap(request));
    this.batches.register(server);
  }

  /** A device group the caller may use; missing or malformed 400, unknown 400 or 404, forbidden 403. */
  group(caller: Caller, id: unknown, field: string, notFound: 400 | 404): DtmDeviceGroup {
    if (typeof id !== "string" || id.trim() === "")
      throw ApiError.invalidField(field, `${field} is required`);
    if (!UUID.test(id)) throw ApiError.invalidField(field, `${field} must be a device group id (UUID)`);
    const group = this.#groups.get(id.toLowerCase());
    if (!group) {
      if (notFound === 404) throw ApiError.notFound("Device group not found");
      throw ApiError.invalidField(field, `${field}: device group ${id} does not exist`);
    }
    if (!caller.canUseProfile(group.id)) throw ApiError.noAccess("User has no access to the device group");
    return group;
  }

  /** A certificate policy the caller may use; missing or malformed 400, unknown 400 or 404, forbidden 403. */
  policy(caller: Caller, id: unknown, field: string, notFound: 400 | 404): DtmPolicyDefinition {
    if (typeof id !== "string" || id.trim() === "")
      throw ApiError.invalidField(field, `${field} is required`);
    if (!POLICY_ID.test(id)) {
      throw ApiError.invalidField(field, `${field} must be a certificate policy id (IOT_<uuid>)`);
    }
    const policy = this.#policies.get(id.toLowerCase());
    if (!policy) {
      if (notFound === 404) throw ApiError.notFound("Certificate policy not found");
      throw ApiError.invalidField(field, `${field}: certificate policy ${id} does not exist`);
    }
    if (!caller.canUseProfile(policy.id))
      throw ApiError.noAccess("User has no access to the certificate policy");
    return policy;
  }

  listGroups(request: ApiRequest): ApiResponse {
    const { offset, limit } = paging(request.query, 1000);
    const visible = [...this.#groups.values()].filter((group) => request.caller.canUseProfile(group.id));
    return {
      status: 200,
      json: {
        records: visible.slice(offset, offset + limit).map((group) => this.#groupJson(group)),
        total: visible.length,
        offset,
        limit,
      },
    };
  }

  /** [I] filter device_group_id: the policies assigned to that group. */
  listPolicies(request: ApiRequest): ApiResponse {
    const { offset, limit } = paging(request.query, 1000);
    const groupId = request.query.get("device_group_id");
    const group = groupId ? this.group(request.caller, groupId, "device_group_id", 400) : undefined;
    const visible = [...this.#policies.values()].filter(
      (policy) => request.caller.canUseProfile(policy.id) && (!group || group.policyIds.includes(policy.id)),
    );
    const groups = [...this.#groups.values()];
    return {
      status: 200,
      json: {
        records: visible.slice(offset, offset + limit).map((policy) => policyJson(policy, groups)),
        total: visible.length,
        offset,
        limit,
      },
    };
  }

  /**
   * POST /api/v4/device/registration [C]: {name, device_group_id, account_id, description?, certificate_policies:
   * {bootstrap: [{certificate_policy_id, server_side_key_gen, key_type, key_format, key_syntax, attributes:[{name,
   * value}], csr? (client-side, I)}]}}. 200 {device_id} [C]; a name already in the group is 409 "03".
   */
  async registerDevice(request: ApiRequest): Promise<ApiResponse> {
    const body = bodyObject(request.body);
    const name = checkName(optionalString(body, "name") ?? "", "name");
    const group = this.group(request.caller, body.device_group_id, "device_group_id", 400);
    const accountId = optionalString(body, "account_id");
    if (accountId !== undefined && accountId.toLowerCase() !== DTM_ACCOUNT_ID) {
      throw ApiError.invalidField(
        "account_id",
        `account_id must be the tenant's account (${DTM_ACCOUNT_ID})`,
      );
    }
    const description = optionalString(body, "description") ?? "";
    const bootstrap = await this.#bootstrapPolicies(request.caller, group, body, name, description);
    if (this.#state.dtmDeviceByName(group.id, name)) throw duplicateName(name);
    const device = newDevice({
      name,
      description: description.trim(),
      deviceGroupId: group.id,
      registrationMethod: "API",
      bootstrap,
    });
    this.#state.addDtmDevice(device);
    await this.#state.save();
    return { status: 200, json: { device_id: device.id } };
  }

  async #bootstrapPolicies(
    caller: Caller,
    group: DtmDeviceGroup,
    body: JsonObject,
    name: string,
    description: string,
  ): Promise<DtmBootstrapPolicy[]> {
    if (body.certificate_policies === undefined || body.certificate_policies === null) return [];
    const policies = asObject(body.certificate_policies);
    if (!policies)
      throw ApiError.invalidField("certificate_policies", "certificate_policies must be an object");
    const list = policies.bootstrap ?? [];
    if (!Array.isArray(list) || list.length > MAX_BOOTSTRAP) {
      throw ApiError.invalidField(
        "certificate_policies.bootstrap",
        `certificate_policies.bootstrap must be an array of at most ${MAX_BOOTSTRAP} policies`,
      );
    }
    const result: DtmBootstrapPolicy[] = [];
    for (const [index, input] of list.entries()) {
      const at = `certificate_policies.bootstrap[${index}]`;
      const entry = asObject(input);
      if (!entry) throw ApiError.invalidField(at, `${at} must be an object`);
      const policy = this.policy(caller, entry.certificate_policy_id, `${at}.certificate_policy_id`, 400);
      if (!group.policyIds.includes(policy.id)) {
        throw ApiError.invalidField(
          `${at}.certificate_policy_id`,
          `Certificate policy ${policy.id} is not assigned to device group ${group.id}`,
        );
      }
      if (!policy.methods.includes("API")) {
        throw ApiError.invalidField(
          `${at}.certificate_policy_id`,
          `Certificate policy ${policy.id} does not allow the API method`,
        );
      }
      if (result.some((other) => other.certificatePolicyId === policy.id)) {
        throw ApiError.invalidField(
          `${at}.certificate_policy_id`,
          `Certificate policy ${policy.id} is given twice`,
        );
      }
      const serverSide = booleanValue(entry.server_side_key_gen ?? false, `${at}.server_side_key_gen`);
      if (serverSide ? !policy.serverSideKeyGen : !policy.clientSideKeyGen) {
        throw ApiError.invalidField(
          `${at}.server_side_key_gen`,
          `Certificate policy ${policy.id} does not allow ${serverSide ? "server" : "client"}-side key generation`,
        );
      }
      let keyType: DtmKeyType | undefined;
      const keyTypeText = optionalString(entry, "key_type", `${at}.key_type`);
      if (keyTypeText !== undefined) {
        keyType = normalizeKeyType(keyTypeText);
        if (!keyType || !policy.allowedKeyTypes.includes(keyType)) {
          throw ApiError.invalidField(
            `${at}.key_type`,
            `key_type must be one of ${policy.allowedKeyTypes.join(", ")} for certificate policy ${policy.id}`,
          );
        }
      }
      const keyFormat = this.#keyOption(entry, "key_format", at, KEY_FORMATS, serverSide);
      const keySyntax = this.#keyOption(entry, "key_syntax", at, KEY_SYNTAXES, serverSide);
      const checked = await checkRegistration(
        policy,
        serverSide,
        keyType,
        {
          name,
          description,
          attributes: attributeList(entry.attributes, `${at}.attributes`),
          ...(entry.csr === undefined || entry.csr === null
            ? {}
            : { csr: optionalString(entry, "csr", `${at}.csr`) ?? "" }),
        },
        {
          name: "name",
          description: "description",
          attribute: (_attribute, position) =>
            position < 0 ? `${at}.attributes` : `${at}.attributes[${position}]`,
          csr: `${at}.csr`,
        },
      );
      if (keySyntax === "PKCS1" && !checked.keyType.startsWith("RSA_")) {
        throw ApiError.invalidField(`${at}.key_syntax`, "key_syntax PKCS1 is only for RSA keys");
      }
      result.push({
        certificatePolicyId: policy.id,
        serverSideKeyGen: serverSide,
        keyType: checked.keyType,
        ...(keyFormat ? { keyFormat } : {}),
        ...(keySyntax ? { keySyntax } : {}),
        attributes: checked.attributes,
      });
    }
    return result;
  }

  /** key_format / key_syntax: uppercase values [C: "PEM", "PKCS8"], for server-side keys only [I]. */
  #keyOption(
    entry: JsonObject,
    name: string,
    at: string,
    allowed: readonly string[],
    serverSide: boolean,
  ): string | undefined {
    const value = optionalString(entry, name, `${at}.${name}`);
    if (value === undefined) return undefined;
    const upper = value.trim().toUpperCase();
    if (!allowed.includes(upper)) {
      throw ApiError.invalidField(`${at}.${name}`, `${name} must be one of ${allowed.join(", ")}`);
    }
    if (!serverSide)
      throw ApiError.invalidField(`${at}.${name}`, `${name} is only for server-side key generation`);
    return upper;
  }

  /**
   * GET /api/v4/device?name&device_group_id&account_id&status&offset&limit: `{records}` [C], total, offset and limit
   * [I]. name is an exact, case-insensitive match [I]; status a comma list; newest first.
   */
  listDevices(request: ApiRequest): ApiResponse {
    const { query, caller } = request;
    const { offset, limit } = paging(query, 1000);
    const name = query.get("name")?.trim().toLowerCase();
    const groupId = query.get("device_group_id");
    if (groupId) {
      if (!UUID.test(groupId))
        throw ApiError.invalidField("device_group_id", "device_group_id must be a UUID");
      const group = this.#groups.get(groupId.toLowerCase());
      if (group && !caller.canUseProfile(group.id))
        throw ApiError.noAccess("User has no access to the device group");
    }
    const accountId = query.get("account_id");
    if (accountId && !UUID.test(accountId))
      throw ApiError.invalidField("account_id", "account_id must be a UUID");
    let statuses: Set<string> | undefined;
    const statusText = query.get("status");
    if (statusText) {
      statuses = new Set(statusText.split(",").map((entry) => entry.trim().toUpperCase()));
      for (const status of statuses) {
        if (!(DEVICE_STATUSES as readonly string[]).includes(status)) {
          throw ApiError.invalidField("status", `status must be among ${DEVICE_STATUSES.join(", ")}`);
        }
      }
    }
    const matches: DtmDevice[] = [];
    for (const device of this.#state.dtmDevices.values()) {
      if (!caller.canUseProfile(device.deviceGroupId)) continue;
      if (name !== undefined && name !== "" && device.name.toLowerCase() !== name) continue;
      if (groupId && device.deviceGroupId !== groupId.toLowerCase()) continue;
      if (accountId && accountId.toLowerCase() !== DTM_ACCOUNT_ID) continue;
      if (statuses && !statuses.has(device.status)) continue;
      matches.push(device);
    }
    // Newest first; insertion order breaks ties (createdAt has whole seconds).
    const ordered = matches
      .map((device, index) => ({ device, index }))
      .sort((a, b) => b.device.createdAt.localeCompare(a.device.createdAt) || b.index - a.index)
      .map((entry) => entry.device);
    return {
      status: 200,
      json: {
        records: ordered
          .slice(offset, offset + limit)
          .map((device) => deviceJson(device, this.#groups.get(device.deviceGroupId))),
        total: ordered.length,
        offset,
        limit,
      },
    };
  }

  getDevice(request: ApiRequest): ApiResponse {
    const device = this.#device(request.caller, request.params.id);
    return { status: 200, json: deviceJson(device, this.#groups.get(device.deviceGroupId)) };
  }

  /**
   * PATCH /api/v4/device/{id}/disable with `{reason}` [C: DigiCert's test, 200]. The reason is required, 1-255
   * characters [I]; the answer is the device, now DISABLED [I: the body is not documented]. Disabling a disabled device
   * answers the same 200 and keeps the first reason [I].
   */
  async disableDevice(request: ApiRequest): Promise<ApiResponse> {
    const device = this.#device(request.caller, request.params.id);
    const body = bodyObject(request.body);
    const reason = optionalString(body, "reason")?.trim() ?? "";
    if (reason === "") throw ApiError.invalidField("reason", "reason is required");
    if (reason.length > MAX_REASON_LENGTH || /[\u0000-\u001f\u007f]/.test(reason)) {
      throw ApiError.invalidField("reason", `reason must be at most ${MAX_REASON_LENGTH} characters`);
    }
    if (device.status !== "DISABLED") {
      device.status = "DISABLED";
      device.disableReason = reason;
      device.updatedAt = isoSeconds(new Date());
      await this.#state.save();
    }
    return { status: 200, json: deviceJson(device, this.#groups.get(device.deviceGroupId)) };
  }

  /**
   * PATCH /api/v4/device/{id}/delete, no body [C: DigiCert's test, 200, after disable]. Only a DISABLED device can be
   * deleted, else 400 [I: DigiCert's test always disables first]. The answer has no body [I]; the device is gone (404)
   * and its name is free again in its group.
   */
  async deleteDevice(request: ApiRequest): Promise<ApiResponse> {
    const device = this.#device(request.caller, request.params.id);
    if (device.status !== "DISABLED") {
      throw ApiError.invalidRequest("A device must be disabled before it is deleted");
    }
    this.#state.removeDtmDevice(device.id);
    await this.#state.save();
    return { status: 200 };
  }

  /**
   * GET /api/v4/bootstrap-config/download/{device_id}: the device's bootstrap ZIP [C] (contents [I]: see
   * `bootstrapZip`), `application/zip`, attachment `bootstrap.zip` [I]. A disabled device has none: 400 [I].
   */
  bootstrap(request: ApiRequest): ApiResponse {
    const device = this.#device(request.caller, request.params.device_id);
    if (device.status === "DISABLED") {
      throw ApiError.invalidRequest("A disabled device has no bootstrap configuration");
    }
    return {
      status: 200,
      bytes: bootstrapZip(device),
      headers: {
        "content-type": "application/zip",
        "content-disposition": `attachment; filename="${BOOTSTRAP_FILE_NAME}"`,
      },
    };
  }

  /** A device the caller may use: malformed id 400, unknown 404, another group's 403. */
  #device(caller: Caller, id: string | undefined): DtmDevice {
    if (!id || !UUID.test(id)) throw ApiError.invalidField("device_id", "device_id must be a UUID");
    const device = this.#state.dtmDevices.get(id.toLowerCase());
    if (!device) throw ApiError.notFound("Device not found");
    if (!caller.canUseProfile(device.deviceGroupId)) {
      throw ApiError.noAccess("User has no access to the device");
    }
    return device;
  }

  #groupJson(group: DtmDeviceGroup): Record<string, unknown> {
    let count = 0;
    for (const device of this.#state.dtmDevices.values()) if (device.deviceGroupId === group.id) count += 1;
    return deviceGroupJson(group, this.#policies, count);
  }
}

/** Registers the DTM routes and DTM's error envelope; the returned handle stops the batch worker on close. */
export function registerDtmRoutes(server: SimulatorServer, options: DtmOptions): { close(): Promise<void> } {
  const api = new DtmApi(options);
  api.register(server);
  api.batches.resume();
  return { close: () => api.batches.close() };
}
