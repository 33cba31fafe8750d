import { EKU, type SanType, type SubjectType } from "../ca.js";

/** Key types of IoT Trust Manager's server-side key generation, lowercase as the docs spell them [C]. */
export const IOT_KEY_TYPES = [
  "rsa_2048",
  "rsa_3072",
  "rsa_4096",
  "p_256",
  "p_384",
  "p_521",
  "ed_25519",
] as const;
export type IotKeyType = (typeof IOT_KEY_TYPES)[number];

export const KEY_GENERATION_OPTIONS = ["client_side", "server_side", "client_or_server_side"] as const;
export type KeyGenerationOption = (typeof KEY_GENERATION_OPTIONS)[number];
export type KeyGeneration = "client_side" | "server_side";
export type EnrollmentMethod = "API" | "BATCH";

/** The id every profile accepts in device_attributes for the device's identifier [C3]. */
export const DEVICE_IDENTIFIER = "DEVICE_IDENTIFIER";

/**
 * Certificate attribute ids usable in certificate_profile_attributes and batch CSV headers, and where each lands.
 * `subject.*` and the `san.dns_name` spelling are [C] (batch guide); the other SAN ids are [I].
 */
export const CERTIFICATE_FIELD_TARGETS: Readonly<
  Record<string, { readonly subject: SubjectType } | { readonly san: SanType }>
> = {
  "subject.common_name": { subject: "common_name" },
  "subject.organization_name": { subject: "organization_name" },
  "subject.organization_unit": { subject: "organization_units" },
  "subject.locality": { subject: "locality" },
  "subject.state": { subject: "state" },
  "subject.country": { subject: "country" },
  "san.dns_name": { san: "dns_names" },
  "san.ip_address": { san: "ip_addresses" },
  "san.email": { san: "emails" },
  "san.uri": { san: "uris" },
};

/** One entry of an enrollment specification: a certificate attribute or a device attribute. */
export interface IotField {
  /** A CERTIFICATE_FIELD_TARGETS key, DEVICE_IDENTIFIER, or a UUID for a custom device attribute. */
  readonly id: string;
  readonly name: string;
  readonly kind: "certificate" | "device";
  readonly required: boolean;
  readonly multiple: boolean;
  /** The profile always puts this value in the certificate; a request may repeat it but not change it. */
  readonly fixedValue?: string;
}

export interface IotProfileDefinition {
  /** `IOT_<uuid>` [C]. */
  readonly id: string;
  readonly name: string;
  readonly keyGenerationOption: KeyGenerationOption;
  readonly enrollmentMethods: readonly EnrollmentMethod[];
  readonly allowedKeyTypes: readonly IotKeyType[];
  readonly defaultKeyType: IotKeyType;
  /** Server-side key type fixed by the profile: the request's key_type is ignored [C]. */
  readonly keyTypeFixed: boolean;
  /** Batch jobs wait in PENDING_APPROVAL until approved [C]. */
  readonly batchApprovalRequired: boolean;
  readonly validityDays: number;
  /** Renewal is allowed from this many days before valid_to [I]. */
  readonly renewalWindowDays: number;
  readonly extendedKeyUsages: readonly string[];
  readonly certificateTemplate: string;
  readonly fields: readonly IotField[];
}

export const IOT_PROFILE_IDS: {
  readonly deviceCsr: string;
  readonly deviceServerKeys: string;
  readonly deviceFlexible: string;
  readonly factoryBatch: string;
  readonly gatewayFixedKey: string;
} = Object.freeze({
  deviceCsr: "IOT_3370856d-f466-474a-a26f-4a8b75504aed",
  deviceServerKeys: "IOT_aa4e7716-c235-47b5-9e72-940dfbeb21a1",
  deviceFlexible: "IOT_1eadd4e8-2ae8-4915-b8b5-26b02f2ef340",
  factoryBatch: "IOT_65d157ad-e87d-44c2-83ab-c02490e86592",
  gatewayFixedKey: "IOT_06c8bf2d-b311-4840-b949-e0f6f5a328f8",
});

/** Ids of the custom device attributes, for tests and clients that fill them in. */
export const IOT_DEVICE_FIELD_IDS = Object.freeze({
  operator: "5e70a21d-4ded-4ccc-b7e8-60a59b840926",
  model: "eee4e3df-d179-4e51-9417-3b8abb4f40e6",
  site: "97cb838e-b61f-4419-abbd-23a87b406676",
});

const field = (
  id: string,
  name: string,
  kind: IotField["kind"],
  required = false,
  multiple = false,
  fixedValue?: string,
): IotField => ({ id, name, kind, required, multiple, ...(fixedValue ? { fixedValue } : {}) });

const COMMON_NAME = field("subject.common_name", "Common name", "certificate", true);
const DNS_NAMES = field("san.dns_name", "DNS name", "certificate", false, true);
const DEVICE_ID = field(DEVICE_IDENTIFIER, "Device identifier", "device", true);
const OPERATOR = field(IOT_DEVICE_FIELD_IDS.operator, "Operator", "device");
const MODEL = field(IOT_DEVICE_FIELD_IDS.model, "Model", "device");

const ALL_KEY_TYPES: readonly IotKeyType[] = IOT_KEY_TYPES;

/** Seeded enrollment profiles, in listing order. */
export const IOT_PROFILES: readonly IotProfileDefinition[] = [
  {
    id: IOT_PROFILE_IDS.deviceCsr,
    name: "IoT device (CSR)",
    keyGenerationOption: "client_side",
    enrollmentMethods: ["API", "BATCH"],
    allowedKeyTypes: ["rsa_2048", "rsa_3072", "p_256", "p_384"],
    defaultKeyType: "p_256",
    keyTypeFixed: false,
    batchApprovalRequired: false,
    validityDays: 365,
    renewalWindowDays: 30,
    extendedKeyUsages: [EKU.clientAuth],
    certificateTemplate: "IoT Device Client Auth",
    fields: [
      COMMON_NAME,
      field("subject.organization_name", "Organization", "certificate", true, false, "Example IoT Devices"),
      field("subject.organization_unit", "Organization unit", "certificate", false, true),
      DNS_NAMES,
      DEVICE_ID,
      OPERATOR,
    ],
  },
  {
    id: IOT_PROFILE_IDS.deviceServerKeys,
    name: "IoT device (server-side keys)",
    keyGenerationOption: "server_side",
    enrollmentMethods: ["API", "BATCH"],
    allowedKeyTypes: ALL_KEY_TYPES,
    defaultKeyType: "p_256",
    keyTypeFixed: false,
    batchApprovalRequired: false,
    validityDays: 730,
    renewalWindowDays: 730,
    extendedKeyUsages: [EKU.clientAuth],
    certificateTemplate: "IoT Device Client Auth",
    fields: [
      COMMON_NAME,
      field("subject.organization_name", "Organization", "certificate"),
      field("subject.country", "Country", "certificate"),
      DNS_NAMES,
      DEVICE_ID,
      OPERATOR,
      MODEL,
    ],
  },
  {
    id: IOT_PROFILE_IDS.deviceFlexible,
    name: "IoT device (CSR or server-side keys)",
    keyGenerationOption: "client_or_server_side",
    enrollmentMethods: ["API", "BATCH"],
    allowedKeyTypes: ["rsa_2048", "rsa_4096", "p_256", "p_521", "ed_25519"],
    defaultKeyType: "p_256",
    keyTypeFixed: false,
    batchApprovalRequired: false,
    validityDays: 365,
    renewalWindowDays: 365,
    extendedKeyUsages: [EKU.serverAuth, EKU.clientAuth],
    certificateTemplate: "IoT Device TLS",
    fields: [
      COMMON_NAME,
      DNS_NAMES,
      field("san.ip_address", "IP address", "certificate", false, true),
      DEVICE_ID,
    ],
  },
  {
    id: IOT_PROFILE_IDS.factoryBatch,
    name: "Factory batch (approval required)",
    keyGenerationOption: "client_or_server_side",
    enrollmentMethods: ["BATCH"],
    allowedKeyTypes: ["rsa_2048", "p_256", "p_384"],
    defaultKeyType: "p_256",
    keyTypeFixed: false,
    batchApprovalRequired: true,
    validityDays: 3650,
    renewalWindowDays: 90,
    extendedKeyUsages: [EKU.clientAuth],
    certificateTemplate: "IoT Device Birth Certificate",
    fields: [
      COMMON_NAME,
      field("subject.organization_name", "Organization", "certificate", true, false, "Example Factory"),
      DEVICE_ID,
      field(IOT_DEVICE_FIELD_IDS.site, "Site", "device", true),
    ],
  },
  {
    id: IOT_PROFILE_IDS.gatewayFixedKey,
    name: "Gateway (fixed P-384 key)",
    keyGenerationOption: "server_side",
    enrollmentMethods: ["API"],
    allowedKeyTypes: ["p_384"],
    defaultKeyType: "p_384",
    keyTypeFixed: true,
    batchApprovalRequired: false,
    validityDays: 365,
    renewalWindowDays: 365,
    extendedKeyUsages: [EKU.serverAuth, EKU.clientAuth],
    certificateTemplate: "IoT Gateway TLS",
    fields: [COMMON_NAME, DNS_NAMES, DEVICE_ID, MODEL],
  },
];

/** The profile as GET /iot/api/v1/enrollment-profile[/{id}] answers it; every field name here is [I]. */
export function iotProfileJson(profile: IotProfileDefinition): Record<string, unknown> {
  return {
    id: profile.id,
    name: profile.name,
    status: "ACTIVE",
    key_generation_option: profile.keyGenerationOption,
    enrollment_methods: [...profile.enrollmentMethods],
    allowed_key_types: [...profile.allowedKeyTypes],
    default_key_type: profile.defaultKeyType,
    key_type_fixed: profile.keyTypeFixed,
    batch_approval_required: profile.batchApprovalRequired,
    certificate_validity: { unit: "days", duration: profile.validityDays },
    renewal_window_days: profile.renewalWindowDays,
    certificate_template: { name: profile.certificateTemplate },
  };
}

/** GET .../enrollment-specification: `{fields:[{id,name,...}]}` [C3]; the keys after id and name are [I]. */
export function enrollmentSpecificationJson(profile: IotProfileDefinition): { fields: unknown[] } {
  return {
    fields: profile.fields.map((entry) => ({
      id: entry.id,
      name: entry.name,
      type: entry.kind === "certificate" ? "certificate_profile_attribute" : "device_attribute",
      required: entry.required,
      multiple: entry.multiple,
      ...(entry.fixedValue ? { value: entry.fixedValue, fixed: true } : {}),
    })),
  };
}
