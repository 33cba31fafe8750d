import "reflect-metadata";
import { isIP } from "node:net";
import * as x509 from "@peculiar/x509";
import {
  type SanType,
  type SanValues,
  SUBJECT_ATTRIBUTES,
  SUBJECT_TYPES,
  type SubjectType,
  type SubjectValues,
} from "./ca.js";
import { ApiError } from "./errors.js";

/** Subject and SAN helpers shared by the TLM and IoT routes. */
export const DNS_NAME =
  /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const EMAIL = /^[^@\s]+@[^@\s]+$/;
const SAN_FROM_GENERAL_NAME: Readonly<Record<string, SanType>> = {
  dns: "dns_names",
  ip: "ip_addresses",
  email: "emails",
  url: "uris",
};

export function csrSubjectValues(
  csr: x509.Pkcs10CertificateRequest,
  type: SubjectType,
): string[] | undefined {
  const values = csr.subjectName
    .getField(SUBJECT_ATTRIBUTES[type].oid)
    .map((value) => value.trim())
    .filter((value) => value !== "");
  if (values.length === 0) return undefined;
  return SUBJECT_ATTRIBUTES[type].multiple ? values : values.slice(0, 1);
}

export function validSan(type: SanType, value: string): boolean {
  switch (type) {
    case "dns_names":
      return value.length <= 253 && DNS_NAME.test(value);
    case "ip_addresses":
      return isIP(value) !== 0;
    case "emails":
      return EMAIL.test(value);
    case "uris":
      return URL.canParse(value);
  }
}

/** The CSR's SANs by TLM SAN type; an unparsable extension is a 400 on `csr`. */
export function csrSans(csr: x509.Pkcs10CertificateRequest): SanValues {
  const sans: SanValues = {};
  try {
    const extension = csr.getExtension("2.5.29.17");
    if (!(extension instanceof x509.SubjectAlternativeNameExtension)) return sans;
    for (const name of extension.names.toJSON()) {
      const type = SAN_FROM_GENERAL_NAME[name.type];
      if (type) sans[type] = [...(sans[type] ?? []), name.value];
    }
  } catch {
    throw ApiError.invalidField("csr", "csr extensions could not be parsed");
  }
  return sans;
}

/** Country must be two letters (stored uppercase) and the CN at most 64 characters; `field` names each in errors. */
export function checkSubject(
  subject: SubjectValues,
  field: (type: "country" | "common_name") => string,
): void {
  if (subject.country) {
    if (!/^[A-Za-z]{2}$/.test(subject.country[0]!)) {
      throw ApiError.invalidField(field("country"), "country must be a two-letter ISO 3166 code");
    }
    subject.country = [subject.country[0]!.toUpperCase()];
  }
  if ((subject.common_name?.[0]?.length ?? 0) > 64) {
    throw ApiError.invalidField(field("common_name"), "common_name must be at most 64 characters");
  }
}

/** Subject values as one string per attribute type (multi-valued joined with ", "), in DN order. */
export function subjectJson(subject: SubjectValues): Record<string, string> {
  const json: Record<string, string> = {};
  for (const type of SUBJECT_TYPES) {
    const values = subject[type];
    if (values && values.length > 0) json[type] = values.join(", ");
  }
  return json;
}
