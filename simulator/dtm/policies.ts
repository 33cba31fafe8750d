import type * as x509 from "@peculiar/x509";
import { describeKey } from "../ca.js";
import { CERTIFICATE_FIELD_TARGETS } from "../iot/profiles.js";
import { ACCOUNT_ID } from "../ids.js";
import { DTM_IDS } from "./ids.js";

// Device Trust Manager's seeded division, device groups and certificate (management) policies. DTM spells key types in
// uppercase (`RSA_2048`) and attributes as {name, value}; IoT Trust Manager's lowercase ids stay separate [C].

/**
 * Key types, uppercase as DTM writes them. `RSA_2048` is [C] (DigiCert's registration test and batch docs); the rest
 * follow the reference's best guess [I]. Input is matched case-insensitively and the aliases below are accepted.
 */
export const DTM_KEY_TYPES = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "P_256",
  "P_384",
  "P_521",
  "ED25519",
] as const;
export type DtmKeyType = (typeof DTM_KEY_TYPES)[number];

/** Other spellings seen for the same keys [I]/[LOW]: ECDSA_P256, EC_prime256v1, ... */
const KEY_TYPE_ALIASES: Readonly<Record<string, DtmKeyType>> = {
  ECDSA_P256: "P_256",
  ECDSA_P384: "P_384",
  ECDSA_P521: "P_521",
  EC_P256: "P_256",
  EC_P384: "P_384",
  EC_P521: "P_521",
  EC_PRIME256V1: "P_256",
  EC_SECP384R1: "P_384",
  EC_SECP521R1: "P_521",
  ED_25519: "ED25519",
};

/** A key type from a request (any case, aliases allowed), or undefined when it is not one. */
export function normalizeKeyType(value: string): DtmKeyType | undefined {
  const upper = value.trim().toUpperCase();
  if ((DTM_KEY_TYPES as readonly string[]).includes(upper)) return upper as DtmKeyType;
  return KEY_TYPE_ALIASES[upper];
}

/** The DTM key type of a CSR's public key, or undefined for keys DTM does not list. */
export function keyTypeOf(publicKey: x509.PublicKey): DtmKeyType | undefined {
  const key = describeKey(publicKey);
  if (key.algorithm === "RSA") return normalizeKeyType(`RSA_${key.size}`);
  if (key.algorithm === "ECDSA") return normalizeKeyType(`P_${key.size}`);
  if (key.algorithm === "Ed25519") return "ED25519";
  return undefined;
}

export type CertificateManagementMethod = "API" | "BATCH";

/** One column of a policy's CSV template; certificate columns are also the `attributes[].name` of a registration. */
export interface TemplateColumn {
  readonly name: string;
  readonly kind: "device" | "certificate";
  readonly required: boolean;
  /** The column may appear more than once (one value each), e.g. several san.dns_name. */
  readonly multiple: boolean;
}

export interface DtmPolicyDefinition {
  /** `IOT_<uuid>` [C]. */
  readonly id: string;
  readonly name: string;
  readonly methods: readonly CertificateManagementMethod[];
  readonly clientSideKeyGen: boolean;
  readonly serverSideKeyGen: boolean;
  readonly allowedKeyTypes: readonly DtmKeyType[];
  readonly defaultKeyType: DtmKeyType;
  /** Batch jobs wait in PENDING_APPROVAL after processing until approved [C: approval after processing]. */
  readonly approvalRequired: boolean;
  readonly validityDays: number;
  /** Template columns in template order, without `csr` (client-side templates end with it). */
  readonly columns: readonly TemplateColumn[];
}

export interface DtmDeviceGroup {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly policyIds: readonly string[];
}

export const DIVISION = { id: DTM_IDS.division, name: "Default division" } as const;
export const DTM_ACCOUNT_ID = ACCOUNT_ID;

/** Column names of the certificate attributes, the same ids IoT batch CSVs use [C: batch docs]. */
export const CERTIFICATE_COLUMNS: ReadonlySet<string> = new Set(Object.keys(CERTIFICATE_FIELD_TARGETS));
export const CSR_COLUMN = "csr";
export const DEVICE_NAME = "device_name";
export const DEVICE_DESCRIPTION = "device_description";

const device = (name: string, required: boolean): TemplateColumn => ({
  name,
  kind: "device",
  required,
  multiple: false,
});
const certificate = (name: string, required: boolean): TemplateColumn => {
  if (!CERTIFICATE_COLUMNS.has(name)) throw new Error(`unknown certificate column ${name}`);
  const multiple = name === "subject.organization_unit" || name.startsWith("san.");
  return { name, kind: "certificate", required, multiple };
};

const P = DTM_IDS.certificatePolicies;
const G = DTM_IDS.deviceGroups;

/** Seeded certificate policies, in listing order. */
export const DTM_POLICIES: readonly DtmPolicyDefinition[] = [
  {
    id: P.bootstrapClient,
    name: "Device bootstrap (CSR)",
    methods: ["API", "BATCH"],
    clientSideKeyGen: true,
    serverSideKeyGen: false,
    allowedKeyTypes: ["RSA_2048", "RSA_3072", "P_256", "P_384"],
    defaultKeyType: "P_256",
    approvalRequired: false,
    validityDays: 365,
    columns: [
      device(DEVICE_NAME, true),
      device(DEVICE_DESCRIPTION, false),
      certificate("subject.common_name", true),
      certificate("subject.organization_name", false),
      certificate("subject.organization_unit", false),
      certificate("san.dns_name", false),
    ],
  },
  {
    // The server-side sample of the batch docs: CN and O required, no device columns (the name is the CN [I]).
    id: P.bootstrapServer,
    name: "Device bootstrap (server-side keys)",
    methods: ["API", "BATCH"],
    clientSideKeyGen: false,
    serverSideKeyGen: true,
    allowedKeyTypes: ["RSA_2048", "RSA_4096", "P_256", "P_384"],
    defaultKeyType: "P_256",
    approvalRequired: false,
    validityDays: 730,
    columns: [
      certificate("subject.common_name", true),
      certificate("subject.organization_name", true),
      certificate("subject.organization_unit", false),
      certificate("san.dns_name", false),
      device(DEVICE_NAME, false),
      device(DEVICE_DESCRIPTION, false),
    ],
  },
  {
    // The client-side sample of the batch docs: CN, O and OU required.
    id: P.factoryApproval,
    name: "Factory registration (approval required)",
    methods: ["BATCH"],
    clientSideKeyGen: true,
    serverSideKeyGen: true,
    allowedKeyTypes: ["RSA_2048", "RSA_3072", "RSA_4096", "P_256", "P_384"],
    defaultKeyType: "RSA_2048",
    approvalRequired: true,
    validityDays: 3650,
    columns: [
      device(DEVICE_NAME, true),
      device(DEVICE_DESCRIPTION, false),
      certificate("subject.common_name", true),
      certificate("subject.organization_name", true),
      certificate("subject.organization_unit", true),
      certificate("subject.country", false),
      certificate("san.dns_name", false),
    ],
  },
  {
    id: P.apiOnly,
    name: "Operational (API only)",
    methods: ["API"],
    clientSideKeyGen: true,
    serverSideKeyGen: true,
    allowedKeyTypes: ["P_256"],
    defaultKeyType: "P_256",
    approvalRequired: false,
    validityDays: 90,
    columns: [
      device(DEVICE_NAME, true),
      device(DEVICE_DESCRIPTION, false),
      certificate("subject.common_name", true),
      certificate("san.dns_name", false),
    ],
  },
];

export const DTM_DEVICE_GROUPS: readonly DtmDeviceGroup[] = [
  {
    id: G.factoryLine,
    name: "Factory line A",
    description: "Controllers and robots registered at manufacture",
    policyIds: [P.bootstrapClient, P.bootstrapServer, P.factoryApproval],
  },
  {
    id: G.fieldSensors,
    name: "Field sensors",
    description: "Sensors deployed in the field",
    policyIds: [P.bootstrapClient, P.apiOnly],
  },
  {
    id: G.gateways,
    name: "Gateways",
    description: "Edge gateways",
    policyIds: [P.bootstrapServer],
  },
];

/** Template columns for one key generation: client-side templates end with `csr` [C]. */
export function templateColumns(policy: DtmPolicyDefinition, serverSide: boolean): TemplateColumn[] {
  return serverSide
    ? [...policy.columns]
    : [...policy.columns, { name: CSR_COLUMN, kind: "device", required: true, multiple: false }];
}

/** Quotes a CSV cell when it needs it (RFC 4180). */
export function csvCell(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The template's header row, every column quoted as in the docs' samples. */
export function templateCsv(policy: DtmPolicyDefinition, serverSide: boolean): string {
  return `${templateColumns(policy, serverSide)
    .map((column) => `"${column.name}"`)
    .join(",")}\r\n`;
}

/** GET .../certificate-policy[/{id}]: every field name here is [I]. */
export function policyJson(
  policy: DtmPolicyDefinition,
  groups: readonly DtmDeviceGroup[],
): Record<string, unknown> {
  const column = (entry: TemplateColumn) => entry.name;
  return {
    id: policy.id,
    name: policy.name,
    status: "ACTIVE",
    division: { ...DIVISION },
    certificate_management_methods: [...policy.methods],
    client_side_key_gen_allowed: policy.clientSideKeyGen,
    server_side_key_gen_allowed: policy.serverSideKeyGen,
    allowed_key_types: [...policy.allowedKeyTypes],
    default_key_type: policy.defaultKeyType,
    approval_required: policy.approvalRequired,
    certificate_validity: { unit: "DAYS", duration: policy.validityDays },
    csv_template: {
      required_columns: policy.columns.filter((entry) => entry.required).map(column),
      optional_columns: policy.columns.filter((entry) => !entry.required).map(column),
      multi_value_columns: policy.columns.filter((entry) => entry.multiple).map(column),
      client_side_extra_columns: policy.clientSideKeyGen ? [CSR_COLUMN] : [],
    },
    device_group_ids: groups.filter((group) => group.policyIds.includes(policy.id)).map((group) => group.id),
  };
}

/** GET /api/v4/device-group[/{id}]: id and name are the fields DigiCert's tutorial reads; the rest is [I]. */
export function deviceGroupJson(
  group: DtmDeviceGroup,
  policies: ReadonlyMap<string, DtmPolicyDefinition>,
  deviceCount: number,
): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    description: group.description,
    account_id: DTM_ACCOUNT_ID,
    division: { ...DIVISION },
    certificate_policies: group.policyIds.map((id) => ({ id, name: policies.get(id)?.name ?? "" })),
    device_count: deviceCount,
  };
}
