/** TLM enrollment and renewal input: validated, and built into the issue and renew bodies, before any upstream call. */
import { isIP } from "node:net";
import type { WireIssueRequest, WireRenewRequest, WireValidityUnit } from "./wire.js";
import { ValidationError } from "../errors.js";
import { checkedCsr, CONTROL, text } from "../input.js";
import type { Uuid } from "../ids.js";

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
}

export interface SubjectAltNamesInput {
  dnsNames?: readonly string[] | null;
  ipAddresses?: readonly string[] | null;
  emails?: readonly string[] | null;
  uris?: readonly string[] | null;
}

export interface EnrollmentInput {
  profileId: Uuid;
  seatId: string;
  csr: string;
  subject?: SubjectInput | null;
  subjectAltNames?: SubjectAltNamesInput | null;
  validity?: Validity | null;
  includeCaChain?: boolean | null;
}

export interface RenewalInput {
  csr: string;
  validity?: Validity | null;
  includeCaChain?: boolean | null;
}

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

/**
 * Validates an enrollment and builds TLM's issue body. Runs before any upstream call; the CSR is
 * parsed and its signature verified here, so a bad one costs DigiCert nothing.
 * Body shape: the live-tested one (Terraform provider, 2022 spec), not the tutorial's nested form.
 */
export async function toWireIssueRequest(input: EnrollmentInput): Promise<WireIssueRequest> {
  const seatId = text(input.seatId, "input.seatId", 255);
  const csr = await checkedCsr(input.csr);
  const subject = input.subject ? wireSubject(input.subject) : {};
  const san = input.subjectAltNames ? wireSan(input.subjectAltNames) : {};
  const attributes: WireIssueRequest["attributes"] = {};
  if (Object.keys(subject).length > 0) attributes.subject = subject;
  if (Object.keys(san).length > 0) attributes.extensions = { san };
  return {
    profile: { id: input.profileId },
    seat: { seat_id: seatId },
    csr,
    delivery_format: "x509",
    include_ca_chain: input.includeCaChain === true,
    ...(input.validity ? { validity: wireValidity(input.validity) } : {}),
    ...(attributes.subject || attributes.extensions ? { attributes } : {}),
  };
}

export async function toWireRenewRequest(input: RenewalInput): Promise<WireRenewRequest> {
  return {
    csr: await checkedCsr(input.csr),
    delivery_format: "x509",
    include_ca_chain: input.includeCaChain === true,
    ...(input.validity ? { validity: wireValidity(input.validity) } : {}),
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
  const one = (key: string, value: string | null | undefined, field: string, max = 64) => {
    if (value !== null && value !== undefined) out[key] = text(value, `input.subject.${field}`, max);
  };
  const many = (key: string, values: readonly string[] | null | undefined, field: string, max = 64) => {
    if (values) out[key] = list(values, `input.subject.${field}`, (v, path) => text(v, path, max));
  };
  one("common_name", s.commonName, "commonName");
  one("organization_name", s.organizationName, "organizationName");
  many("organization_units", s.organizationalUnits, "organizationalUnits");
  one("locality", s.locality, "locality", 128);
  one("state", s.state, "state", 128);
  if (s.country !== null && s.country !== undefined) {
    if (!/^[A-Za-z]{2}$/.test(s.country)) {
      throw new ValidationError("input.subject.country", "A country is a two-letter ISO 3166 code, e.g. US.");
    }
    out.country = s.country.toUpperCase();
  }
  if (s.email !== null && s.email !== undefined) out.email = email(s.email, "input.subject.email");
  one("postal_code", s.postalCode, "postalCode", 40);
  many("street_address", s.streetAddresses, "streetAddresses", 128);
  return out;
}

function wireSan(s: SubjectAltNamesInput): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (s.dnsNames) {
    out.dns_names = list(s.dnsNames, "input.subjectAltNames.dnsNames", (v, path) => {
      if (v.length > 253 || !HOSTNAME.test(v)) throw new ValidationError(path, "Not a valid DNS name.");
      return v.toLowerCase();
    });
  }
  if (s.ipAddresses) {
    out.ip_addresses = list(s.ipAddresses, "input.subjectAltNames.ipAddresses", (v, path) => {
      if (isIP(v) === 0) throw new ValidationError(path, "Not a valid IPv4 or IPv6 address.");
      return v;
    });
  }
  if (s.emails) out.emails = list(s.emails, "input.subjectAltNames.emails", email);
  if (s.uris) {
    out.uris = list(s.uris, "input.subjectAltNames.uris", (v, path) => {
      if (v.length > 2048 || !URL.canParse(v) || CONTROL.test(v))
        throw new ValidationError(path, "Not a valid URI.");
      return v;
    });
  }
  for (const key of Object.keys(out)) if (out[key]?.length === 0) delete out[key];
  return out;
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
