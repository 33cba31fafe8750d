/** Device Trust Manager devices, and the filter devices are listed by. */
import { UpstreamInvalidResponseError, ValidationError } from "../errors.js";
import { isUuid } from "../ids.js";
import { text } from "../input.js";
import { isObject, oneOf, str, toDate } from "../read.js";
import { type ListPage, toListPage } from "../iot/list.js";
import {
  DEVICE_STATUSES,
  DTM_MANAGEMENT_METHODS,
  type DeviceStatus,
  type DtmKeyType,
  type DtmManagementMethod,
  toDtmKeyType,
} from "./enums.js";
import {
  type DtmBatchJobId,
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  type DtmDeviceId,
  maybePolicyId,
  maybeUuid,
} from "./ids.js";
import { MAX_NAME } from "./registration.js";
import type { WireDisableDevice, WireDtmDevice, WireDtmDeviceFilter } from "./wire.js";

export interface DeviceBootstrapPolicy {
  certificatePolicyId: DtmCertificatePolicyId;
  serverSideKeyGeneration: boolean;
  keyType: DtmKeyType | null;
  keyFormat: string | null;
  keySyntax: string | null;
  attributes: { name: string; value: string }[];
}

export interface Device {
  id: DtmDeviceId;
  name: string | null;
  description: string | null;
  status: DeviceStatus;
  deviceGroupId: DtmDeviceGroupId | null;
  deviceGroupName: string | null;
  divisionName: string | null;
  accountId: string | null;
  registrationMethod: DtmManagementMethod | null;
  bootstrap: DeviceBootstrapPolicy[];
  /**
   * Whether DigiCert's answer says, for certain, that no bootstrap policy generates keys server-side: a list was sent,
   * and every entry was read with a boolean `server_side_key_gen` of false. Anything less is not proof (fail closed).
   */
  bootstrapKeysClientSideOnly: boolean;
  batchJobId: DtmBatchJobId | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

function attributesOf(list: unknown): { name: string; value: string }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry: unknown) =>
    isObject(entry) && typeof entry.name === "string" && typeof entry.value === "string"
      ? [{ name: entry.name, value: entry.value }]
      : [],
  );
}

export function toDevice(wire: WireDtmDevice): Device {
  if (!isObject(wire) || typeof wire.id !== "string" || !isUuid(wire.id)) {
    throw new UpstreamInvalidResponseError();
  }
  const policies: Record<string, unknown> = isObject(wire.certificate_policies)
    ? wire.certificate_policies
    : {};
  const bootstrap: unknown[] = Array.isArray(policies.bootstrap) ? policies.bootstrap : [];
  const group: Record<string, unknown> = isObject(wire.device_group) ? wire.device_group : {};
  const division: Record<string, unknown> = isObject(wire.division) ? wire.division : {};
  return {
    id: wire.id.toLowerCase() as DtmDeviceId,
    name: str(wire.name),
    description: str(wire.description),
    status: oneOf(DEVICE_STATUSES, wire.status) ?? "UNKNOWN",
    deviceGroupId: maybeUuid(wire.device_group_id ?? group.id),
    deviceGroupName: str(group.name),
    divisionName: str(division.name),
    accountId: str(wire.account_id),
    registrationMethod: oneOf(DTM_MANAGEMENT_METHODS, wire.registration_method),
    bootstrap: bootstrap.flatMap((entry) => {
      const id = isObject(entry) ? maybePolicyId(entry.certificate_policy_id) : null;
      if (!id || !isObject(entry)) return [];
      return [
        {
          certificatePolicyId: id,
          serverSideKeyGeneration: entry.server_side_key_gen === true,
          keyType: toDtmKeyType(entry.key_type),
          keyFormat: str(entry.key_format),
          keySyntax: str(entry.key_syntax),
          attributes: attributesOf(entry.attributes),
        },
      ];
    }),
    bootstrapKeysClientSideOnly:
      Array.isArray(policies.bootstrap) &&
      bootstrap.every(
        (entry) =>
          isObject(entry) &&
          maybePolicyId(entry.certificate_policy_id) !== null &&
          entry.server_side_key_gen === false,
      ),
    batchJobId: maybeUuid(wire.batch_job_id),
    createdAt: toDate(wire.created_at),
    updatedAt: toDate(wire.updated_at),
  };
}

export function toDevicePage(wire: unknown): ListPage<Device> {
  return toListPage(wire, (record) => toDevice(record as WireDtmDevice));
}

export interface DeviceFilter {
  /** Exact, case-insensitive. */
  name?: string | null;
  deviceGroupId?: DtmDeviceGroupId | null;
  statuses?: readonly DeviceStatus[] | null;
}

export function toWireDeviceFilter(filter: DeviceFilter, path = "filter"): WireDtmDeviceFilter {
  const out: WireDtmDeviceFilter = {};
  if (filter.name != null) out.name = text(filter.name, `${path}.name`, MAX_NAME);
  if (filter.deviceGroupId != null) out.device_group_id = filter.deviceGroupId;
  if (filter.statuses != null && filter.statuses.length > 0) {
    for (const status of filter.statuses) {
      if (status === "UNKNOWN" || !oneOf(DEVICE_STATUSES, status)) {
        throw new ValidationError(
          `${path}.statuses`,
          "Devices are filtered by REGISTERED, PROVISIONED or DISABLED.",
        );
      }
    }
    out.status = [...new Set(filter.statuses)].join(",");
  }
  return out;
}

/** Longest disable reason sent [I: DigiCert documents no limit]. */
export const MAX_DISABLE_REASON = 255;

/** Checks a disable reason before anything is sent: 1 to 255 printable characters, trimmed. */
export function toWireDisableDevice(reason: string, path = "input.reason"): WireDisableDevice {
  return { reason: text(reason, path, MAX_DISABLE_REASON) };
}
