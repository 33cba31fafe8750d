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
import { builder, nodeTypeNames } from "./builder.js";
import { offsetPage } from "./pagination.js";

// The connection asks for one extra row to see a next page; 50 + 1 stays under TLM's page cap (100 in the simulator).
const MAX_PAGE = 50;

const ProfileStatusEnum = builder.enumType("ProfileStatus", {
  values: ["ACTIVE", "DELETED", "UNKNOWN"] as const,
});

const AttributeSourceTypeEnum = builder.enumType("ProfileAttributeSourceType", {
  description: "Where an attribute's value comes from; UNKNOWN for a source DigiCert added since.",
  values: ATTRIBUTE_SOURCES,
});

const ProfileAttributeSourceRef = builder
  .objectRef<ProfileAttributeSource>("ProfileAttributeSource")
  .implement({
    description: "One source of an attribute's value, as the profile configures it.",
    fields: (t) => ({
      source: t.field({ type: AttributeSourceTypeEnum, resolve: (s) => s.source }),
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
  description: "A subject or SAN attribute the profile defines.",
  fields: (t) => ({
    type: t.exposeString("type", {
      description: "DigiCert's attribute name, e.g. common_name or dns_names.",
    }),
    mandatory: t.exposeBoolean("mandatory"),
    multiple: t.exposeBoolean("multiple"),
    sources: t.field({
      type: [ProfileAttributeSourceRef],
      description: "Where the value may come from, in DigiCert's order; empty when the profile lists none.",
      resolve: (a) => a.sources,
    }),
  }),
});

const ProfileDeliveryFormatEnum = builder.enumType("ProfileDeliveryFormat", {
  description: "How the profile delivers certificates; UNKNOWN for a format DigiCert added since.",
  values: PROFILE_DELIVERY_FORMATS,
});

const KeyEscrowRef = builder.objectRef<KeyEscrowPolicy>("ProfileKeyEscrow").implement({
  description: "The profile's key escrow policy.",
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
    fields: (t) => ({
      unit: t.exposeString("unit", { description: "years, months, days, hours or minutes." }),
      duration: t.exposeInt("duration"),
    }),
  });

export const BusinessUnitRef = builder
  .objectRef<{ id: string; name: string | null }>("BusinessUnit")
  .implement({
    fields: (t) => ({ id: t.exposeString("id"), name: t.exposeString("name", { nullable: true }) }),
  });

export const ProfileRef = builder.objectRef<Profile>("Profile");
nodeTypeNames.add("Profile");

builder.node(ProfileRef, {
  description: "A Trust Lifecycle Manager certificate profile.",
  authScopes: { scope: SCOPES.readCertificates },
  id: { resolve: (p) => p.id, parse: (id) => parseUuid(id, "id") },
  loadOne: (id, ctx) => {
    requireScope(ctx, SCOPES.readCertificates);
    return ctx.loaders.profile.load(id);
  },
  fields: (t) => ({
    profileId: t.exposeString("id", { description: "DigiCert's profile UUID." }),
    name: t.exposeString("name"),
    status: t.field({ type: ProfileStatusEnum, resolve: (p) => p.status }),
    signatureAlgorithm: t.exposeString("signatureAlgorithm", { nullable: true }),
    enrollmentMethod: t.exposeString("enrollmentMethod", {
      nullable: true,
      description: "rest_api for profiles that accept requestCertificate.",
    }),
    authenticationMethod: t.exposeString("authenticationMethod", { nullable: true }),
    validity: t.field({ type: ProfileValidityRef, nullable: true, resolve: (p) => p.validity }),
    validityOverrideAllowed: t.exposeBoolean("validityOverrideAllowed"),
    renewalPeriodDays: t.exposeInt("renewalPeriodDays", { nullable: true }),
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
    allowedKeySizes: t.exposeStringList("allowedKeySizes"),
    subjectAttributes: t.field({ type: [ProfileAttributeRef], resolve: (p) => p.subjectAttributes }),
    subjectAltNameAttributes: t.field({
      type: [ProfileAttributeRef],
      resolve: (p) => p.subjectAltNameAttributes,
    }),
    businessUnit: t.field({ type: BusinessUnitRef, nullable: true, resolve: (p) => p.businessUnit }),
  }),
});

builder.queryFields((t) => ({
  profile: t.field({
    type: ProfileRef,
    nullable: true,
    authScopes: { scope: SCOPES.readCertificates },
    description:
      "A profile by DigiCert's UUID; null when it does not exist or is not available to the gateway.",
    args: { id: t.arg({ type: "UUID", required: true }) },
    resolve: (_root, { id }, ctx) => ctx.loaders.profile.load(id),
  }),
  profiles: t.connection({
    type: ProfileRef,
    authScopes: { scope: SCOPES.readCertificates },
    description: `Certificate profiles, in DigiCert's order (GET /mpki/api/v2/profile); at most ${MAX_PAGE} a page.`,
    resolve: (_root, args, ctx) => offsetPage(args, MAX_PAGE, listProfiles(ctx)),
  }),
}));
