import { SCOPES } from "../auth/viewer.js";
import { parseUuid } from "../model/ids.js";
import {
  ATTRIBUTE_SOURCES,
  type KeyEscrowPolicy,
  PROFILE_DELIVERY_FORMATS,
  type Profile,
  type ProfileAttribute,
  type ProfileAttributeSource,
} from "../model/tlm/profile.js";
import { listProfiles } from "../resolvers/certificates.js";
import { requireScope } from "./access.js";
import { builder, describedValues, nodeTypeNames } from "./builder.js";
import { idArgDescription, profileIdOf } from "./global-id.js";
import { connectionType, offsetPage, pageArgs } from "./pagination.js";

// The connection asks for one extra row to see a next page; 50 + 1 stays under TLM's page cap (100 in the simulator).
const MAX_PAGE = 50;

/** Shared with IoT enrollment profiles, whose statuses are the same. */
export const ProfileStatusEnum = builder.enumType("ProfileStatus", {
  description:
    "A profile's status in DigiCert (TLM's `Active`/`Deleted`, IoT Trust Manager's `ACTIVE`/`DELETED`).",
  values: {
    ACTIVE: { description: "In use: certificates can be requested with it." },
    DELETED: { description: "Deleted in DigiCert ONE: it issues no more certificates." },
    UNKNOWN: { description: "A status DigiCert added since this gateway was written." },
  } as const,
});

const AttributeSourceTypeEnum = builder.enumType("ProfileAttributeSourceType", {
  description:
    "Where an attribute's value comes from (DigiCert's `source`); UNKNOWN for a source DigiCert added since.",
  values: describedValues(ATTRIBUTE_SOURCES, {
    ENTERED_BY_USER_DURING_ENROLLMENT: "The requester supplies it (in requestCertificate's input).",
    UPLOADED_BY_ADMIN: "An administrator uploaded it to DigiCert ONE.",
    AD_ATTRIBUTE: "Read from Active Directory (`adAttributeKey`).",
    FIXED_VALUE: "The same value for every certificate (`fixedValue`).",
    UNKNOWN: "A source DigiCert added since this gateway was written.",
  }),
});

const ProfileAttributeSourceRef = builder
  .objectRef<ProfileAttributeSource>("ProfileAttributeSource")
  .implement({
    description: "One source of an attribute's value, as the profile configures it.",
    fields: (t) => ({
      source: t.field({
        type: AttributeSourceTypeEnum,
        description: "The kind of source.",
        resolve: (s) => s.source,
      }),
      mandatory: t.exposeBoolean("mandatory", { description: "Whether this source must supply the value." }),
      fixedValue: t.exposeString("fixedValue", {
        nullable: true,
        description: "The value every certificate gets, for a FIXED_VALUE source.",
      }),
      adAttributeKey: t.exposeString("adAttributeKey", {
        nullable: true,
        description: "The Active Directory attribute an AD_ATTRIBUTE source reads.",
      }),
    }),
  });

const ProfileAttributeRef = builder.objectRef<ProfileAttribute>("ProfileAttribute").implement({
  description:
    "A subject or SAN attribute the profile defines (its `certificate.subject` or `extensions.san`).",
  fields: (t) => ({
    type: t.exposeString("type", {
      description: "DigiCert's attribute name, e.g. common_name or dns_names.",
    }),
    mandatory: t.exposeBoolean("mandatory", { description: "Whether a request must carry it." }),
    multiple: t.exposeBoolean("multiple", { description: "Whether it may have several values." }),
    sources: t.field({
      type: [ProfileAttributeSourceRef],
      description: "Where the value may come from, in DigiCert's order; empty when the profile lists none.",
      resolve: (a) => a.sources,
    }),
  }),
});

const ProfileDeliveryFormatEnum = builder.enumType("ProfileDeliveryFormat", {
  description: "How the profile delivers certificates; UNKNOWN for a format DigiCert added since.",
  values: describedValues(PROFILE_DELIVERY_FORMATS, {
    X509: "An X.509 certificate, PEM.",
    PKCS7: "A PKCS#7 bundle of the certificate and its chain.",
    UNKNOWN: "A format DigiCert added since this gateway was written.",
  }),
});

const KeyEscrowRef = builder.objectRef<KeyEscrowPolicy>("ProfileKeyEscrow").implement({
  description: "The profile's key escrow policy (`key_escrow_policy`).",
  fields: (t) => ({
    enabled: t.exposeBoolean("enabled", { description: "Whether DigiCert escrows private keys." }),
    deploymentMode: t.exposeString("deploymentMode", {
      nullable: true,
      description: "Where keys are escrowed, e.g. CLOUD.",
    }),
    dualAdminRecovery: t.exposeBoolean("dualAdminRecovery", {
      nullable: true,
      description: "Whether recovering a key needs two administrators.",
    }),
  }),
});

const ProfileValidityRef = builder
  .objectRef<{ unit: string; duration: number }>("ProfileValidity")
  .implement({
    description: "How long the profile's certificates are valid (its `certificate.validity`).",
    fields: (t) => ({
      unit: t.exposeString("unit", {
        description:
          "The unit of `duration`: years, months, days, hours or minutes (lowercase, as DigiCert sends it).",
      }),
      duration: t.exposeInt("duration", { description: "How many units." }),
    }),
  });

export const BusinessUnitRef = builder
  .objectRef<{ id: string; name: string | null }>("BusinessUnit")
  .implement({
    description: "A DigiCert ONE business unit (`business_unit`), which owns profiles and certificates.",
    fields: (t) => ({
      businessUnitId: t.exposeString("id", {
        description: "DigiCert's id of the business unit; what CertificateFilter.businessUnitId takes.",
      }),
      name: t.exposeString("name", {
        nullable: true,
        description: "Its name; null when DigiCert sent none.",
      }),
    }),
  });

export const ProfileRef = builder.objectRef<Profile>("Profile");
nodeTypeNames.add("Profile");

builder.node(ProfileRef, {
  description:
    "A Trust Lifecycle Manager certificate profile (GET /mpki/api/v2/profile/{id}): the template, enrollment method and rules certificates are requested under. Needs scope certificates:read.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (p) => p.id, parse: (id) => parseUuid(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.profile.load(id);
  },
  fields: (t) => ({
    profileId: t.exposeString("id", {
      description: "DigiCert's profile id (a UUID); what profile id arguments take besides `id`.",
    }),
    name: t.exposeString("name", { description: "The profile's name in DigiCert ONE." }),
    status: t.field({
      type: ProfileStatusEnum,
      description: "Whether it is in use.",
      resolve: (p) => p.status,
    }),
    signatureAlgorithm: t.exposeString("signatureAlgorithm", {
      nullable: true,
      description:
        "The signature algorithm of its certificates (`signature_algorithm`), e.g. SHA256_WITH_RSA or MATCH_ISSUER.",
    }),
    enrollmentMethod: t.exposeString("enrollmentMethod", {
      nullable: true,
      description:
        "How certificates are requested (`enrollment_method`), e.g. rest_api (what requestCertificate needs), csr, est or scep.",
    }),
    authenticationMethod: t.exposeString("authenticationMethod", {
      nullable: true,
      description:
        "How requesters authenticate (`authentication_method`), e.g. third_party_app (instant issuance over the API) or manual_approval.",
    }),
    validity: t.field({
      type: ProfileValidityRef,
      nullable: true,
      description: "Its certificates' validity; null when DigiCert sent none.",
      resolve: (p) => p.validity,
    }),
    validityOverrideAllowed: t.exposeBoolean("validityOverrideAllowed", {
      description: "Whether a request's `validity` is honoured (`override_cert_validity_via_api`).",
    }),
    renewalPeriodDays: t.exposeInt("renewalPeriodDays", {
      nullable: true,
      description:
        "The renewal window as DigiCert's `renewal_period_days`: days before expiry (default 30) from which renewCertificate is allowed.",
    }),
    renewalWindowDays: t.exposeInt("renewalWindowDays", {
      nullable: true,
      description: "Days before expiry in which a certificate may be renewed (`renewal_window_days`).",
    }),
    automatedRenewal: t.exposeBoolean("automatedRenewal", {
      nullable: true,
      description: "Whether DigiCert renews certificates of this profile automatically.",
    }),
    duplicateCertificatesAllowed: t.exposeBoolean("duplicateCertificatesAllowed", {
      nullable: true,
      description:
        "DigiCert's duplicate-certificate policy: true allows several valid certificates per subject; false answers requestCertificate with DuplicateCertificateError.",
    }),
    deliveryFormat: t.field({
      type: ProfileDeliveryFormatEnum,
      nullable: true,
      description: "How the profile delivers certificates by default (`certificate_delivery_format`).",
      resolve: (p) => p.deliveryFormat,
    }),
    keyEscrow: t.field({
      type: KeyEscrowRef,
      nullable: true,
      description: "The key escrow policy; null when DigiCert reports none.",
      resolve: (p) => p.keyEscrow,
    }),
    customExtendedKeyUsages: t.exposeStringList("customExtendedKeyUsages", {
      description: "OIDs of the extended key usages the profile adds beyond its template's.",
    }),
    allowedKeySizes: t.exposeStringList("allowedKeySizes", {
      description:
        "Key sizes (RSA bits, e.g. 2048) or curves (e.g. P-256) a CSR's key may have, as DigiCert lists them.",
    }),
    subjectAttributes: t.field({
      type: [ProfileAttributeRef],
      description: "The subject attributes it defines, in DigiCert's order.",
      resolve: (p) => p.subjectAttributes,
    }),
    subjectAltNameAttributes: t.field({
      type: [ProfileAttributeRef],
      description: "The subject alternative name attributes it defines, in DigiCert's order.",
      resolve: (p) => p.subjectAltNameAttributes,
    }),
    businessUnit: t.field({
      type: BusinessUnitRef,
      nullable: true,
      description: "The business unit that owns it; null when DigiCert names none.",
      resolve: (p) => p.businessUnit,
    }),
  }),
});

const ProfileConnection = connectionType(ProfileRef, {
  name: "Profile",
  description: "A page of TLM profiles. No totalCount: TLM's profile list does not count.",
  totalCount: "none",
});

builder.queryFields((t) => ({
  profile: t.field({
    type: ProfileRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    description:
      "A TLM profile (GET /mpki/api/v2/profile/{id}); null when it does not exist or is not available to the gateway.",
    args: {
      id: t.arg.id({ required: true, description: idArgDescription("Profile", "`profileId`, a UUID") }),
    },
    resolve: (_root, { id }, ctx) => ctx.loaders.profile.load(profileIdOf(id, "id")),
  }),
  profiles: t.field({
    type: ProfileConnection,
    authScopes: { scope: SCOPES.readCertificates },
    description: `TLM profiles, in DigiCert's order (GET /mpki/api/v2/profile); at most ${MAX_PAGE} a page.`,
    args: pageArgs(t.arg, MAX_PAGE),
    resolve: (_root, args, ctx) => offsetPage(args, MAX_PAGE, listProfiles(ctx)),
  }),
}));
