import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import {
  type CertificateAuthority,
  DAY_MS,
  EKU,
  formatDn,
  type SanValues,
  SUBJECT_ATTRIBUTES,
  type SubjectValues,
} from "./ca.js";
import { RESTRICTED_DTM_OBJECTS } from "./dtm/ids.js";
import { ACCOUNT_ID } from "./ids.js";
import type { Caller } from "./server.js";
import {
  addValidity,
  isoSeconds,
  type ProfileDefinition,
  type SimulatorState,
  type SubjectRule,
} from "./state.js";

export const DEFAULT_API_KEY = "sim-local-api-key";
export const RESTRICTED_API_KEY = "sim-restricted-api-key";

export const PROFILE_IDS: {
  readonly webServer: string;
  readonly approval: string;
  readonly ecdsaDevice: string;
  readonly strictSubject: string;
  readonly noDuplicates: string;
  readonly deleted: string;
  readonly desktopClient: string;
  readonly tutorialSample: string;
} = Object.freeze({
  webServer: "2bd34fba-fac7-4d59-b6c5-29a0b2b2435d",
  approval: "a2f5247d-c108-421d-8202-0be85b046d69",
  ecdsaDevice: "3a958fad-cad0-4b8f-895d-da5f352d3aa3",
  strictSubject: "b3a5405e-1dfc-4724-b890-14205c2bf3c1",
  noDuplicates: "2759a661-0276-4285-bb6d-6b938b51dab5",
  deleted: "928887c5-b49c-4d25-bf26-e4a4b75a86cc",
  desktopClient: "37881f30-4830-4622-9269-a08a4bb29609",
  tutorialSample: "5d1c9b7e-3f2a-4c8d-9e6b-7a1f0c2d4e58",
});

const ENGINEERING = { id: "ac2f50a9-3e90-4556-a8ad-e3dde96778ed", name: "Engineering" };
const IOT = { id: "0fb50ee0-1974-487c-9861-251bf8fac1ec", name: "IoT Operations" };
const TLS_TEMPLATE = {
  id: "14923d08-2867-4b94-9b35-023edb0b98e2",
  name: "TLS Server",
  trust_type: "private",
};
const DEVICE_TEMPLATE = {
  id: "faff2018-c814-4582-973a-3baf3de92e88",
  name: "IoT Device",
  trust_type: "private",
};
const CLIENT_TEMPLATE = {
  id: "28379c72-4a98-4c3d-9501-b98a1264af0b",
  name: "Client Authentication",
  trust_type: "private",
};

/**
 * The two API keys: DEFAULT may use every profile, RESTRICTED only Web Server TLS (no IoT profile) and, in Device Trust
 * Manager, the Field sensors device group with its policies.
 */
export const CALLERS: ReadonlyMap<string, Caller> = new Map<string, Caller>([
  [DEFAULT_API_KEY, { id: "default", canUseProfile: () => true }],
  [
    RESTRICTED_API_KEY,
    {
      id: "restricted",
      canUseProfile: (id) => id === PROFILE_IDS.webServer || RESTRICTED_DTM_OBJECTS.has(id),
    },
  ],
]);

const TLS_KEYS = ["2048", "3072", "4096", "P-256", "P-384"];
// The tutorial's sample profile's custom extended key usage.
const ADOBE_PDF_SIGNING = "1.2.840.113583.1.1.7";
const optional = (type: SubjectRule["type"]): SubjectRule => ({ type, mandatory: false });
const commonName: SubjectRule = { type: "common_name", mandatory: true };

const webServer: ProfileDefinition = {
  id: PROFILE_IDS.webServer,
  name: "Web Server TLS",
  status: "Active",
  signatureAlgorithm: "SHA256_WITH_RSA",
  enrollmentMethod: "rest_api",
  authenticationMethod: "third_party_app",
  renewalPeriodDays: 30,
  duplicateCertPolicy: true,
  overrideValidity: true,
  deliveryFormat: "X509",
  businessUnit: ENGINEERING,
  allowedKeys: TLS_KEYS,
  defaultKey: "2048",
  validity: { unit: "days", duration: 365 },
  subject: [
    commonName,
    optional("organization_name"),
    optional("organization_units"),
    optional("locality"),
    optional("state"),
    optional("country"),
  ],
  san: {
    critical: false,
    rules: [
      { type: "dns_names", mandatory: false },
      { type: "ip_addresses", mandatory: false },
    ],
  },
  extendedKeyUsages: [EKU.serverAuth, EKU.clientAuth],
  tls: true,
  template: TLS_TEMPLATE,
};

/** Demo profiles in listing order. */
export const PROFILES: readonly ProfileDefinition[] = [
  webServer,
  {
    ...webServer,
    id: PROFILE_IDS.approval,
    name: "TLS with approval",
    authenticationMethod: "manual_approval",
    subject: [commonName, optional("organization_name"), optional("country")],
  },
  {
    ...webServer,
    id: PROFILE_IDS.ecdsaDevice,
    name: "Device ECDSA",
    signatureAlgorithm: "SHA256_WITH_ECDSA",
    renewalPeriodDays: 14,
    overrideValidity: false,
    businessUnit: IOT,
    allowedKeys: ["P-256", "P-384"],
    defaultKey: "P-256",
    validity: { unit: "days", duration: 90 },
    subject: [
      commonName,
      { type: "organization_name", mandatory: true, fixedValue: "Example IoT Devices" },
      optional("organization_units"),
    ],
    san: {
      critical: false,
      rules: [
        { type: "dns_names", mandatory: false },
        { type: "uris", mandatory: false },
      ],
    },
    extendedKeyUsages: [EKU.clientAuth],
    tls: false,
    template: DEVICE_TEMPLATE,
    seatType: "DEVICE_SEAT",
  },
  {
    ...webServer,
    id: PROFILE_IDS.strictSubject,
    name: "Organization validated TLS",
    subject: [
      commonName,
      { type: "organization_name", mandatory: true },
      optional("locality"),
      optional("state"),
      { type: "country", mandatory: true },
    ],
    san: {
      critical: false,
      rules: [
        { type: "dns_names", mandatory: false },
        { type: "emails", mandatory: true },
      ],
    },
  },
  {
    ...webServer,
    id: PROFILE_IDS.noDuplicates,
    name: "Single certificate per seat",
    duplicateCertPolicy: false,
    subject: [commonName],
    san: { critical: false, rules: [{ type: "dns_names", mandatory: false }] },
  },
  {
    ...webServer,
    id: PROFILE_IDS.deleted,
    name: "Retired profile",
    status: "Deleted",
    allowedKeys: ["2048", "P-256"],
    subject: [commonName],
    san: { critical: false, rules: [{ type: "dns_names", mandatory: false }] },
    extendedKeyUsages: [EKU.serverAuth],
  },
  {
    ...webServer,
    id: PROFILE_IDS.desktopClient,
    name: "Desktop client",
    enrollmentMethod: "digicert_desktop_client",
    authenticationMethod: "active_directory",
    overrideValidity: false,
    allowedKeys: ["2048", "P-256"],
    validity: { unit: "years", duration: 1 },
    subject: [commonName, optional("email")],
    san: { critical: false, rules: [{ type: "emails", mandatory: false }] },
    extendedKeyUsages: [EKU.clientAuth],
    tls: false,
    template: CLIENT_TEMPLATE,
    seatType: "USER_SEAT",
  },
  {
    // The tutorial's sample profile (shared/digicert-docs): domain_component mandatory, a FIXED_VALUE street address,
    // a mandatory email SAN and an optional UPN, PKCS#7 delivery, key escrow and a custom EKU; plus, optional, every
    // other subject attribute and SAN kind TLM's request takes.
    ...webServer,
    id: PROFILE_IDS.tutorialSample,
    name: "Tutorial sample profile",
    duplicateCertPolicy: false,
    deliveryFormat: "PKCS7",
    subject: [
      commonName,
      { type: "domain_component", mandatory: true },
      optional("organization_name"),
      { type: "street_address", mandatory: true, fixedValue: "20 Cooper Square" },
      { type: "country", mandatory: true },
      { type: "locality", mandatory: true },
      { type: "state", mandatory: true },
      { type: "postal_code", mandatory: true },
      optional("organization_units"),
      optional("email"),
      optional("serial_number"),
      optional("unique_identifier"),
      optional("description"),
      optional("unstructured_name"),
      optional("unstructured_address"),
      optional("pseudonym"),
      optional("user_identifier"),
      optional("dn_qualifier"),
      optional("title"),
      optional("given_name"),
      optional("surname"),
      optional("organization_identifier"),
    ],
    san: {
      critical: false,
      rules: [
        { type: "emails", mandatory: true },
        { type: "dns_names", mandatory: false },
        { type: "ip_addresses", mandatory: false },
        { type: "uris", mandatory: false },
      ],
    },
    extraSanTypes: ["user_principal_names", "registered_ids", "other_names"],
    extendedKeyUsages: [EKU.serverAuth, EKU.clientAuth, ADOBE_PDF_SIGNING],
    customExtendedKeyUsages: [ADOBE_PDF_SIGNING],
    automatedRenewal: true,
    keyEscrow: { enabled: true, deploymentMode: "CLOUD", dualAdminRecovery: true },
    tls: false,
    seatType: "USER_SEAT",
  },
];

function decimalSerial(certificate: x509.X509Certificate): string {
  return BigInt(`0x${certificate.serialNumber}`).toString(10);
}

/** TLM's profile JSON (v1 and v2 alike), shaped like the tutorial's example; source casing follows the tutorial. */
export function profileJson(profile: ProfileDefinition, ca: CertificateAuthority): Record<string, unknown> {
  return {
    id: profile.id,
    name: profile.name,
    status: profile.status,
    signature_algorithm: profile.signatureAlgorithm,
    publish_to_public_directory: false,
    renewal_period_days: profile.renewalPeriodDays,
    // The tutorial shows both, with the same value.
    renewal_window_days: profile.renewalPeriodDays,
    automated_renewal: profile.automatedRenewal ?? false,
    duplicate_cert_policy: profile.duplicateCertPolicy,
    override_cert_validity_via_api: profile.overrideValidity,
    certificate_delivery_format: profile.deliveryFormat,
    account_id: ACCOUNT_ID,
    business_unit_id: profile.businessUnit.id,
    enrollment_method: profile.enrollmentMethod,
    authentication_method: profile.authenticationMethod,
    private_key_attributes: { key_size: profile.defaultKey },
    key_escrow_policy: {
      key_escrow_enabled: profile.keyEscrow?.enabled ?? false,
      ...(profile.keyEscrow?.deploymentMode
        ? { key_escrow_deployment_mode: profile.keyEscrow.deploymentMode }
        : {}),
      ...(profile.keyEscrow?.dualAdminRecovery !== undefined
        ? { dual_admin_recovery: profile.keyEscrow.dualAdminRecovery }
        : {}),
    },
    custom_extended_key_usages: [...(profile.customExtendedKeyUsages ?? [])],
    allowed_key_sizes: [...profile.allowedKeys],
    certificate: {
      subject: {
        attributes: profile.subject.map((rule) => ({
          type: rule.type,
          mandatory: rule.mandatory,
          multiple: SUBJECT_ATTRIBUTES[rule.type].multiple,
          sources: [
            { mandatory: rule.mandatory && !rule.fixedValue, source: "ENTERED_BY_USER_DURING_ENROLLMENT" },
            ...(rule.fixedValue ? [{ mandatory: true, source: "FIXED_VALUE", value: rule.fixedValue }] : []),
          ],
        })),
      },
      validity: { unit: profile.validity.unit, duration: profile.validity.duration },
      extensions: {
        san: {
          critical: profile.san.critical,
          attributes: [
            ...profile.san.rules,
            ...(profile.extraSanTypes ?? []).map((type) => ({ type, mandatory: false })),
          ].map((rule) => ({
            type: rule.type,
            mandatory: rule.mandatory,
            multiple: true,
            sources: [{ mandatory: rule.mandatory, source: "entered_by_user_during_enrollment" }],
          })),
        },
      },
      issuer: {
        serial_number: decimalSerial(ca.intermediate),
        subject_dn: formatDn(ca.intermediate.subjectName),
        certificate: ca.intermediatePem,
        root: false,
        chain: [
          {
            serial_number: decimalSerial(ca.root),
            subject_dn: formatDn(ca.root.subjectName),
            certificate: ca.rootPem,
            root: true,
          },
        ],
      },
    },
    template: { ...profile.template },
    business_unit: { ...profile.businessUnit },
    account: { id: ACCOUNT_ID },
  };
}

const REVOCATION_REASONS = ["key_compromise", "superseded", "cessation_of_operation", "affiliation_changed"];

/** Which profile seed certificate i lands on: 45% web server, 30% device, the rest spread over the others. */
const SEED_ROTATION = [
  ...Array<string>(9).fill(PROFILE_IDS.webServer),
  ...Array<string>(6).fill(PROFILE_IDS.ecdsaDevice),
  PROFILE_IDS.strictSubject,
  PROFILE_IDS.strictSubject,
  PROFILE_IDS.noDuplicates,
  PROFILE_IDS.approval,
  PROFILE_IDS.desktopClient,
];

interface SeedIdentity {
  readonly seatId: string;
  readonly subject: SubjectValues;
  readonly sans: SanValues;
}

function seedIdentity(profileId: string, n: string): SeedIdentity {
  const host = `host-${n}.example.com`;
  switch (profileId) {
    case PROFILE_IDS.ecdsaDevice:
      return {
        seatId: "iot@example.com",
        subject: { common_name: [`device-${n}.iot.example.com`], organization_name: ["Example IoT Devices"] },
        sans: {},
      };
    case PROFILE_IDS.desktopClient:
      return {
        seatId: `user-${n}@example.com`,
        subject: { common_name: [`user-${n}`], email: [`user-${n}@example.com`] },
        sans: { emails: [`user-${n}@example.com`] },
      };
    case PROFILE_IDS.strictSubject:
      return {
        seatId: "security@example.com",
        subject: { common_name: [host], organization_name: ["Example Corp"], country: ["US"] },
        sans: { dns_names: [host], emails: ["security@example.com"] },
      };
    case PROFILE_IDS.noDuplicates:
      return {
        seatId: `seat-${n}@example.com`,
        subject: { common_name: [host] },
        sans: { dns_names: [host] },
      };
    default:
      return { seatId: "ops@example.com", subject: { common_name: [host] }, sans: { dns_names: [host] } };
  }
}

interface SeedKeys {
  readonly p256: readonly x509.PublicKey[];
  readonly p384: x509.PublicKey;
  /** One RSA 2048 key; its keygen runs on the thread pool while EC certificates are being signed. */
  readonly rsa: Promise<x509.PublicKey>;
}

async function publicKeyOf(pair: Promise<CryptoKeyPair>): Promise<x509.PublicKey> {
  return x509.PublicKey.create((await pair).publicKey);
}

async function seedKeys(): Promise<SeedKeys> {
  const ec = (namedCurve: string) =>
    publicKeyOf(
      crypto.subtle.generateKey({ name: "ECDSA", namedCurve }, false, ["sign"]) as Promise<CryptoKeyPair>,
    );
  const rsa = publicKeyOf(
    crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      false,
      ["sign"],
    ) as Promise<CryptoKeyPair>,
  );
  const [p384, ...p256] = await Promise.all([ec("P-384"), ec("P-256"), ec("P-256"), ec("P-256")]);
  return { p256, p384: p384!, rsa };
}

/** Device certificates use P-256 or P-384; the others every third an RSA key, else P-256. */
function seedKey(keys: SeedKeys, profileId: string, i: number): x509.PublicKey | Promise<x509.PublicKey> {
  if (profileId === PROFILE_IDS.ecdsaDevice) return i % 4 === 0 ? keys.p384 : keys.p256[i % 3]!;
  return i % 3 === 0 ? keys.rsa : keys.p256[i % 3]!;
}

/** Issues `count` demo certificates whose names, seats, profiles and statuses depend only on the index (dates on now). */
export async function seedCertificates(
  state: SimulatorState,
  count: number,
  now = Date.now(),
): Promise<void> {
  if (count <= 0) return;
  const keys = await seedKeys();
  const width = Math.max(3, String(count - 1).length);
  const nowSeconds = Math.floor(now / 1000) * 1000;
  const jobs = Array.from({ length: count }, async (_, i) => {
    const profile = state.profiles.get(SEED_ROTATION[i % SEED_ROTATION.length]!)!;
    const identity = seedIdentity(profile.id, String(i).padStart(width, "0"));
    const lifetime = addValidity(new Date(0), profile.validity).getTime();
    const expired = i % 50 === 3;
    const notBefore = expired
      ? nowSeconds - lifetime - (1 + (i % 20)) * DAY_MS
      : nowSeconds - Math.floor(((((i * 7919) % 1000) / 1000) * (lifetime - 2 * DAY_MS)) / 1000) * 1000;
    const record = await state.issue({
      profile,
      seatId: identity.seatId,
      publicKey: await seedKey(keys, profile.id, i),
      subject: identity.subject,
      sans: identity.sans,
      notBefore: new Date(notBefore),
      notAfter: new Date(notBefore + lifetime),
      notes: "Seeded by the DigiCert ONE simulator",
    });
    const revoked = !expired && i % 45 === 11;
    const suspended = !expired && !revoked && i % 100 === 42;
    if (revoked || suspended) {
      record.status = revoked ? "revoked" : "suspended";
      record.revocation = {
        reason: revoked ? REVOCATION_REASONS[i % REVOCATION_REASONS.length]! : "certificate_hold",
        revocation_date: isoSeconds(new Date(Math.max(notBefore + 3_600_000, nowSeconds - (i % 5) * DAY_MS))),
        comments: revoked ? "Revoked by seed data" : "",
      };
    }
  });
  await Promise.all(jobs);
  await state.save();
}
