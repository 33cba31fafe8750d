/**
 * TLM enrollment and renewal input: validated, and built into the issue and renew bodies, before any upstream call.
 * Imports only the model (errors, input, ids, ./certificate).
 */
import { isIP } from "node:net";
import type {
  WireIssueRequest,
  WireOtherNames,
  WireRenewRequest,
  WireSan,
  WireValidityUnit,
} from "./wire.js";
import { ValidationError } from "../errors.js";
import { checkedCsr, CONTROL, text } from "../input.js";
import type { Uuid } from "../ids.js";
import { type DeliveryFormat, toWireDeliveryFormat } from "./certificate.js";

export type ValidityUnit = "YEARS" | "MONTHS" | "DAYS" | "HOURS" | "MINUTES";
export interface Validity {
  unit: ValidityUnit;
  duration: number;
}

export interface SubjectInput {
  commonName?: string | null;
  organizationName?: string | null;
  organizationalUnits?: readonly string[] | null;
  locality?: string | null;
  state?: string | null;
  country?: string | null;
  email?: string | null;
  postalCode?: string | null;
  streetAddresses?: readonly string[] | null;
  domainComponents?: readonly string[] | null;
  uniqueIdentifier?: string | null;
  serialNumber?: string | null;
  descriptions?: readonly string[] | null;
  unstructuredNames?: readonly string[] | null;
  unstructuredAddresses?: readonly string[] | null;
  pseudonym?: string | null;
  userIdentifier?: string | null;
  dnQualifier?: string | null;
  title?: string | null;
  givenName?: string | null;
  surname?: string | null;
  organizationIdentifier?: string | null;
}

export interface RawOtherNameInput {
  oid: string;
  values: readonly { label: string; value: string }[];
}

export interface SubjectAltNamesInput {
  dnsNames?: readonly string[] | null;
  ipAddresses?: readonly string[] | null;
  emails?: readonly string[] | null;
  uris?: readonly string[] | null;
  userPrincipalNames?: readonly string[] | null;
  registeredIds?: readonly string[] | null;
  otherNames?: { guids?: readonly string[] | null; raw?: readonly RawOtherNameInput[] | null } | null;
}

export interface EnrollmentInput {
  profileId: Uuid;
  seatId: string;
  csr: string;
  subject?: SubjectInput | null;
  subjectAltNames?: SubjectAltNamesInput | null;
  validity?: Validity | null;
  includeCaChain?: boolean | null;
  deliveryFormat?: DeliveryFormat | null;
  tags?: readonly string[] | null;
}

export interface RenewalInput {
  csr: string;
  validity?: Validity | null;
  includeCaChain?: boolean | null;
  deliveryFormat?: DeliveryFormat | null;
}

type TextField = {
  [K in keyof SubjectInput]-?: NonNullable<SubjectInput[K]> extends string ? K : never;
}[keyof SubjectInput];
type ListField = Exclude<keyof SubjectInput, TextField>;

/**
 * Every subject attribute TLM takes, by its `attributes.subject` key: S1's request schema [C] (the request example
 * sends domain_component, description, unstructured_name and unstructured_address as arrays), and the attributes the
 * tutorial's details example adds, sent as it spells them [I]. Country and email have their own checks below.
 */
const SUBJECT_TEXT: readonly [TextField, string, number][] = [
  ["commonName", "common_name", 64],
  ["organizationName", "organization_name", 64],
  ["locality", "locality", 128],
  ["state", "state", 128],
  ["postalCode", "postal_code", 40],
  ["uniqueIdentifier", "unique_identifier", 64],
  ["serialNumber", "serial_number", 64],
  ["pseudonym", "pseudonym", 128], // [I] tutorial
  ["userIdentifier", "user_identifier", 128], // [I] tutorial
  ["dnQualifier", "dn_qualifier", 64], // [I] tutorial
  ["title", "title", 64], // [I] tutorial
  ["givenName", "given_name", 64], // [I] tutorial
  ["surname", "surname", 64], // [I] tutorial
  ["organizationIdentifier", "organization_identifier", 64], // [I] tutorial
];
const SUBJECT_LISTS: readonly [ListField, string, number][] = [
  ["organizationalUnits", "organization_units", 64],
  ["streetAddresses", "street_address", 128],
  ["domainComponents", "domain_component", 63],
  ["descriptions", "description", 128],
  ["unstructuredNames", "unstructured_name", 128],
  ["unstructuredAddresses", "unstructured_address", 255],
];

/** TLM's `attributes.subject` keys and the SubjectInput field each comes from, for naming refused fields. */
export const SUBJECT_INPUT_FIELDS: Readonly<Record<string, string>> = Object.fromEntries([
  ...[...SUBJECT_TEXT, ...SUBJECT_LISTS].map(([input, wire]) => [wire, input]),
  ["country", "country"],
  ["email", "email"],
]);

/** TLM's `attributes.extensions.san` keys and the SubjectAltNamesInput field each comes from. */
export const SAN_INPUT_FIELDS: Readonly<Record<string, string>> = {
  dns_names: "dnsNames",
  ip_addresses: "ipAddresses",
  emails: "emails",
  uris: "uris",
  user_principal_names: "userPrincipalNames",
  registered_ids: "registeredIds",
  other_names: "otherNames",
};

const MAX_LIST = 100;
// Upper bounds per unit keep requests within 10 years; DigiCert caps further per profile.
const MAX_DURATION: Record<ValidityUnit, number> = {
  YEARS: 10,
  MONTHS: 120,
  DAYS: 3660,
  HOURS: 87_840,
  MINUTES: 5_270_400,
};
const HOSTNAME = /^(\*\.)?(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;
const OID = /^[0-2](\.(0|[1-9]\d{0,9}))+$/;
// S1's example GUIDs: a UUID, a braced UUID, or 0x and 16 bytes of hex.
const GUID =
  /^(\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0x[0-9a-f]{32})$/i;
const ASCII = /^[\u0020-\u007e]+$/;

/**
 * Validates an enrollment and builds TLM's issue body. Runs before any upstream call; the CSR is
 * parsed and its signature verified here, so a bad one costs DigiCert nothing.
 * Body shape: the live-tested one (Terraform provider, 2022 spec), not the tutorial's nested form.
 */
export async function toWireIssueRequest(input: EnrollmentInput): Promise<WireIssueRequest> {
  const seatId = text(input.seatId, "input.seatId", 255);
  const subject = input.subject ? wireSubject(input.subject) : {};
  const san = input.subjectAltNames ? wireSan(input.subjectAltNames) : {};
  const tags = input.tags ? list(input.tags, "input.tags", (v, path) => text(v, path, 128)) : [];
  const csr = await checkedCsr(input.csr);
  const attributes: WireIssueRequest["attributes"] = {};
  if (Object.keys(subject).length > 0) attributes.subject = subject;
  if (Object.keys(san).length > 0) attributes.extensions = { san };
  return {
    profile: { id: input.profileId },
    seat: { seat_id: seatId },
    csr,
    delivery_format: toWireDeliveryFormat(input.deliveryFormat),
    include_ca_chain: input.includeCaChain === true,
    ...(input.validity ? { validity: wireValidity(input.validity) } : {}),
    ...(attributes.subject || attributes.extensions ? { attributes } : {}),
    ...(tags.length > 0 ? { tags: [...new Set(tags)] } : {}),
  };
}

export async function toWireRenewRequest(input: RenewalInput): Promise<WireRenewRequest> {
  const validity = input.validity ? wireValidity(input.validity) : undefined;
  return {
    csr: await checkedCsr(input.csr),
    delivery_format: toWireDeliveryFormat(input.deliveryFormat),
    include_ca_chain: input.includeCaChain === true,
    ...(validity ? { validity } : {}),
  };
}

function wireValidity(validity: Validity): { unit: WireValidityUnit; duration: number } {
  const max = MAX_DURATION[validity.unit];
  if (!Number.isInteger(validity.duration) || validity.duration < 1 || validity.duration > max) {
    throw new ValidationError("input.validity.duration", `Duration must be a whole number from 1 to ${max}.`);
  }
  return { unit: validity.unit.toLowerCase() as WireValidityUnit, duration: validity.duration };
}

function wireSubject(s: SubjectInput): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [field, key, max] of SUBJECT_TEXT) {
    const value = s[field];
    if (value !== null && value !== undefined) out[key] = text(value, `input.subject.${field}`, max);
  }
  for (const [field, key, max] of SUBJECT_LISTS) {
    const values = s[field];
    if (!values) continue;
    out[key] = list(values, `input.subject.${field}`, (v, path) => {
      const value = text(v, path, max);
      // Domain components are IA5String labels.
      if (field === "domainComponents" && !ASCII.test(value)) {
        throw new ValidationError(path, "A domain component is ASCII text.");
      }
      return value;
    });
    if (out[key].length === 0) delete out[key];
  }
  if (s.country !== null && s.country !== undefined) {
    if (!/^[A-Za-z]{2}$/.test(s.country)) {
      throw new ValidationError("input.subject.country", "A country is a two-letter ISO 3166 code, e.g. US.");
    }
    out.country = s.country.toUpperCase();
  }
  if (s.email !== null && s.email !== undefined) out.email = email(s.email, "input.subject.email");
  return out;
}

function wireSan(s: SubjectAltNamesInput): WireSan {
  const path = "input.subjectAltNames";
  const out: WireSan = {};
  if (s.dnsNames) {
    out.dns_names = list(s.dnsNames, `${path}.dnsNames`, (v, at) => {
      if (v.length > 253 || !HOSTNAME.test(v)) throw new ValidationError(at, "Not a valid DNS name.");
      return v.toLowerCase();
    });
  }
  if (s.ipAddresses) {
    out.ip_addresses = list(s.ipAddresses, `${path}.ipAddresses`, (v, at) => {
      if (isIP(v) === 0) throw new ValidationError(at, "Not a valid IPv4 or IPv6 address.");
      return v;
    });
  }
  if (s.emails) out.emails = list(s.emails, `${path}.emails`, email);
  if (s.uris) {
    out.uris = list(s.uris, `${path}.uris`, (v, at) => {
      if (v.length > 2048 || !URL.canParse(v) || CONTROL.test(v))
        throw new ValidationError(at, "Not a valid URI.");
      return v;
    });
  }
  if (s.userPrincipalNames) {
    out.user_principal_names = list(s.userPrincipalNames, `${path}.userPrincipalNames`, (v, at) => {
      if (v.length > 254 || !EMAIL.test(v) || CONTROL.test(v)) {
        throw new ValidationError(at, "A user principal name looks like user@domain.");
      }
      return v;
    });
  }
  if (s.registeredIds) out.registered_ids = list(s.registeredIds, `${path}.registeredIds`, oid);
  if (s.otherNames) {
    const other = wireOtherNames(s.otherNames, `${path}.otherNames`);
    if (other.guid || other.raw_other_names) out.other_names = other;
  }
  for (const key of Object.keys(out) as (keyof WireSan)[]) {
    if (Array.isArray(out[key]) && out[key].length === 0) delete out[key];
  }
  return out;
}

function wireOtherNames(
  input: NonNullable<SubjectAltNamesInput["otherNames"]>,
  path: string,
): WireOtherNames {
  const out: WireOtherNames = {};
  if (input.guids && input.guids.length > 0) {
    out.guid = list(input.guids, `${path}.guids`, (v, at) => {
      if (!GUID.test(v)) {
        throw new ValidationError(at, "A GUID is a UUID (braces allowed) or 0x and 32 hexadecimal digits.");
      }
      return v;
    });
  }
  if (input.raw && input.raw.length > 0) {
    out.raw_other_names = input.raw.map((name, i) => {
      if (i >= MAX_LIST) throw new ValidationError(`${path}.raw`, `At most ${MAX_LIST} values.`);
      const at = `${path}.raw[${i}]`;
      if (name.values.length === 0 || name.values.length > 20) {
        throw new ValidationError(`${at}.values`, "An other name has 1 to 20 values.");
      }
      return {
        oid: oid(name.oid, `${at}.oid`),
        values: name.values.map((v, j) => ({
          label: text(v.label, `${at}.values[${j}].label`, 128),
          value: text(v.value, `${at}.values[${j}].value`, 255),
        })),
      };
    });
  }
  return out;
}

function oid(value: string, path: string): string {
  if (value.length > 128 || !OID.test(value)) {
    throw new ValidationError(path, "An object identifier is dotted decimal, e.g. 1.2.3.4.");
  }
  return value;
}

function email(value: string, path: string): string {
  if (value.length > 254 || !EMAIL.test(value)) throw new ValidationError(path, "Not a valid email address.");
  return value;
}

function list<T>(values: readonly string[], path: string, each: (value: string, path: string) => T): T[] {
  if (values.length > MAX_LIST) throw new ValidationError(path, `At most ${MAX_LIST} values.`);
  return values.map((v, i) => each(v, `${path}[${i}]`));
}

/** A validated issue request, ready to send (built by `toWireIssueRequest`). */
export type IssueRequest = WireIssueRequest;
/** A validated renewal request, ready to send (built by `toWireRenewRequest`). */
export type RenewRequest = WireRenewRequest;
