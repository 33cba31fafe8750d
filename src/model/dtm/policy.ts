/** Device Trust Manager device groups and certificate policies, with each policy's CSV template columns. */
import { UpstreamInvalidResponseError } from "../errors.js";
import { isIotId, isUuid } from "../ids.js";
import { count, isObject, known, oneOf, str } from "../read.js";
import { type ListPage, type PartlyReadable, shortText, toListPage } from "../iot/list.js";
import { DTM_MANAGEMENT_METHODS, type DtmKeyType, type DtmManagementMethod, toDtmKeyType } from "./enums.js";
import {
  type DtmCertificatePolicyId,
  type DtmDeviceGroupId,
  maybePolicyId,
  maybeUuid,
  parseDtmCertificatePolicyId,
} from "./ids.js";
import type { WireDtmCertificatePolicy, WireDtmDeviceGroup } from "./wire.js";

/** A group is read whenever its id is; a name that cannot be read is null and named. */
export interface DeviceGroup extends PartlyReadable<"name"> {
  id: DtmDeviceGroupId;
  name: string | null;
  description: string | null;
  accountId: string | null;
  divisionId: string | null;
  divisionName: string | null;
  certificatePolicies: { id: DtmCertificatePolicyId; name: string | null }[];
  deviceCount: number | null;
}

const MAX_NAME = 1024;

export function toDeviceGroup(wire: WireDtmDeviceGroup): DeviceGroup {
  if (!isObject(wire) || !isUuid(wire.id)) throw new UpstreamInvalidResponseError();
  const name = shortText(wire.name, MAX_NAME);
  const division: Record<string, unknown> = isObject(wire.division) ? wire.division : {};
  return {
    id: wire.id.toLowerCase() as DtmDeviceGroupId,
    name,
    description: str(wire.description),
    accountId: str(wire.account_id),
    divisionId: str(division.id),
    divisionName: str(division.name),
    certificatePolicies: (Array.isArray(wire.certificate_policies) ? wire.certificate_policies : []).flatMap(
      (ref: unknown) => {
        const id = isObject(ref) ? maybePolicyId(ref.id) : null;
        return id && isObject(ref) ? [{ id, name: str(ref.name) }] : [];
      },
    ),
    deviceCount: count(wire.device_count),
    unreadable: name === null ? ["name"] : [],
  };
}

export function toDeviceGroupPage(wire: unknown): ListPage<DeviceGroup> {
  return toListPage(wire, (record) => toDeviceGroup(record as WireDtmDeviceGroup));
}

/** One column of a policy's CSV template. */
export interface TemplateColumn {
  /** e.g. `device_name`, `subject.common_name`, `san.dns_name`, `csr`. */
  name: string;
  required: boolean;
  /** The column may appear more than once (one value each). */
  multiple: boolean;
  /** Only in client-side templates (`csr`). */
  clientSideOnly: boolean;
}

/** A policy is read whenever its id is; a name that cannot be read is null and named. */
export interface CertificatePolicy extends PartlyReadable<"name"> {
  id: DtmCertificatePolicyId;
  name: string | null;
  status: "ACTIVE" | "INACTIVE" | "UNKNOWN";
  managementMethods: DtmManagementMethod[];
  clientSideKeyGeneration: boolean;
  serverSideKeyGeneration: boolean;
  allowedKeyTypes: DtmKeyType[];
  defaultKeyType: DtmKeyType | null;
  /** Batch jobs wait in PENDING_APPROVAL after processing until approved. */
  approvalRequired: boolean;
  validity: { unit: string; duration: number } | null;
  /** Template columns: required, then optional, then client-side extras (`csr`, required when sent). */
  templateColumns: TemplateColumn[];
  deviceGroupIds: DtmDeviceGroupId[];
}

export function toCertificatePolicy(wire: WireDtmCertificatePolicy): CertificatePolicy {
  if (!isObject(wire) || !isIotId(wire.id)) throw new UpstreamInvalidResponseError();
  const name = shortText(wire.name, MAX_NAME);
  const status = oneOf(["ACTIVE", "INACTIVE"] as const, wire.status) ?? "UNKNOWN";
  const template = isObject(wire.csv_template) ? wire.csv_template : {};
  const names = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter((name): name is string => typeof name === "string" && name !== "") : [];
  const multiple = new Set(names(template.multi_value_columns).map((name) => name.toLowerCase()));
  const columns: TemplateColumn[] = [];
  const add = (name: string, required: boolean, clientSideOnly: boolean) => {
    const lower = name.trim().toLowerCase();
    if (lower === "" || columns.some((column) => column.name === lower)) return;
    columns.push({ name: lower, required, multiple: multiple.has(lower), clientSideOnly });
  };
  for (const name of names(template.required_columns)) add(name, true, false);
  for (const name of names(template.optional_columns)) add(name, false, false);
  for (const name of names(template.client_side_extra_columns)) add(name, true, true);
  return {
    id: parseDtmCertificatePolicyId(wire.id),
    name,
    status,
    managementMethods: known(wire.certificate_management_methods, (value) =>
      oneOf(DTM_MANAGEMENT_METHODS, value),
    ),
    clientSideKeyGeneration: wire.client_side_key_gen_allowed === true,
    serverSideKeyGeneration: wire.server_side_key_gen_allowed === true,
    allowedKeyTypes: known(wire.allowed_key_types, toDtmKeyType),
    defaultKeyType: toDtmKeyType(wire.default_key_type),
    approvalRequired: wire.approval_required === true,
    validity: validityOf(wire.certificate_validity),
    templateColumns: columns,
    deviceGroupIds: known(wire.device_group_ids, (value) => maybeUuid<DtmDeviceGroupId>(value)),
    unreadable: name === null ? ["name"] : [],
  };
}

function validityOf(value: unknown): { unit: string; duration: number } | null {
  if (!isObject(value)) return null;
  const duration = count(value.duration);
  const unit = shortText(value.unit, 64);
  return duration !== null && unit !== null ? { unit, duration } : null;
}

export function toCertificatePolicyPage(wire: unknown): ListPage<CertificatePolicy> {
  return toListPage(wire, (record) => toCertificatePolicy(record as WireDtmCertificatePolicy));
}

/** The columns a CSV for this policy must have: the required ones, with `csr` only for client-side keys. */
export function requiredTemplateColumns(
  policy: CertificatePolicy,
  serverSideKeyGeneration: boolean,
): string[] {
  return policy.templateColumns
    .filter((column) => column.required && !(serverSideKeyGeneration && column.clientSideOnly))
    .map((column) => column.name);
}
