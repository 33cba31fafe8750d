import "reflect-metadata";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import * as asn1js from "asn1js";
import { SimulatorDataError } from "./errors.js";
import { readFileIfExists, writeFileAtomic } from "./fs-atomic.js";

x509.cryptoProvider.set(globalThis.crypto);

// The simulator's CA uses EC P-256 keys throughout: keygen and signing are cheap, and every TLS stack accepts them.
const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;
export const DAY_MS = 86_400_000;
// CA certificates start two years back so seeded certificates issued "in the past" still chain inside their validity.
const CA_BACKDATE_MS = 730 * DAY_MS;
const ROOT_LIFETIME_MS = 20 * 365 * DAY_MS;
const INTERMEDIATE_LIFETIME_MS = 10 * 365 * DAY_MS;
const CA_FILE = "ca.json";
const ROOT_PEM_FILE = "root-ca.pem";

export const CA_ORGANIZATION = "digicert-graphql-gateway";

/** Subject attribute types of TLM's `attributes.subject`, their OIDs, and the order they take in an issued DN. */
export const SUBJECT_ATTRIBUTES = {
  domain_component: { oid: "0.9.2342.19200300.100.1.25", multiple: true },
  country: { oid: "2.5.4.6", multiple: false },
  state: { oid: "2.5.4.8", multiple: false },
  locality: { oid: "2.5.4.7", multiple: false },
  street_address: { oid: "2.5.4.9", multiple: true },
  postal_code: { oid: "2.5.4.17", multiple: false },
  organization_name: { oid: "2.5.4.10", multiple: false },
  organization_units: { oid: "2.5.4.11", multiple: true },
  common_name: { oid: "2.5.4.3", multiple: false },
  email: { oid: "1.2.840.113549.1.9.1", multiple: false },
  // TLM only: the rest of S1's request keys and the tutorial's details example (after the CN, so DNs with none of
  // these keep their order).
  serial_number: { oid: "2.5.4.5", multiple: false },
  unique_identifier: { oid: "2.5.4.45", multiple: false },
  description: { oid: "2.5.4.13", multiple: true },
  unstructured_name: { oid: "1.2.840.113549.1.9.2", multiple: true },
  unstructured_address: { oid: "1.2.840.113549.1.9.8", multiple: true },
  pseudonym: { oid: "2.5.4.65", multiple: false },
  user_identifier: { oid: "0.9.2342.19200300.100.1.1", multiple: false },
  dn_qualifier: { oid: "2.5.4.46", multiple: false },
  title: { oid: "2.5.4.12", multiple: false },
  given_name: { oid: "2.5.4.42", multiple: false },
  surname: { oid: "2.5.4.4", multiple: false },
  organization_identifier: { oid: "2.5.4.97", multiple: false },
} as const;
export type SubjectType = keyof typeof SUBJECT_ATTRIBUTES;
export type SubjectValues = Partial<Record<SubjectType, string[]>>;
export const SUBJECT_TYPES = Object.keys(SUBJECT_ATTRIBUTES) as SubjectType[];

/** SAN types of TLM's `attributes.extensions.san` and their @peculiar/x509 GeneralName types. */
export const SAN_TYPES = { dns_names: "dns", ip_addresses: "ip", emails: "email", uris: "url" } as const;
export type SanType = keyof typeof SAN_TYPES;
export type SanValues = Partial<Record<SanType, string[]>>;

/**
 * SANs only TLM's request takes [C] S1, kept as requested (and persisted with the certificate, to renew with):
 * user principal names, registered ids, and other names (Microsoft GUIDs and raw other names).
 */
export interface ExtraSanValues {
  readonly user_principal_names?: readonly string[];
  readonly registered_ids?: readonly string[];
  readonly other_names?: {
    readonly guid?: readonly string[];
    readonly raw_other_names?: readonly {
      readonly oid: string;
      readonly values: readonly { readonly label: string; readonly value: string }[];
    }[];
  };
}

export const EKU = { serverAuth: "1.3.6.1.5.5.7.3.1", clientAuth: "1.3.6.1.5.5.7.3.2" } as const;

/** Key algorithm and size of a subject public key; `label` is how profiles list it ("2048", "P-256"). */
export interface KeyDescription {
  readonly algorithm: "RSA" | "ECDSA" | string;
  readonly size: number;
  readonly label: string;
}

export function describeKey(publicKey: x509.PublicKey): KeyDescription {
  const algorithm = publicKey.algorithm as { name: string; modulusLength?: number; namedCurve?: string };
  if (algorithm.name.startsWith("RSA") && algorithm.modulusLength) {
    return { algorithm: "RSA", size: algorithm.modulusLength, label: String(algorithm.modulusLength) };
  }
  if ((algorithm.name === "ECDSA" || algorithm.name === "ECDH") && algorithm.namedCurve) {
    const size = Number(/\d+$/.exec(algorithm.namedCurve)?.[0] ?? 0);
    return { algorithm: "ECDSA", size, label: algorithm.namedCurve };
  }
  return { algorithm: algorithm.name, size: 0, label: algorithm.name };
}

/** A random positive serial of 16-20 bytes as uppercase hex: top bit cleared, first byte never zero, so DER keeps every byte. */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16 + randomInt(5));
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString("hex").toUpperCase();
}

/** Now, truncated to whole seconds as X.509 times are. */
export function nowSeconds(): Date {
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

export function sha256Hex(der: ArrayBuffer): string {
  return createHash("sha256").update(new Uint8Array(der)).digest("hex").toUpperCase();
}

/** Formats a DN most-specific first ("CN=..., O=..., C=US"), the way TLM shows `subject_dn`. */
export function formatDn(name: x509.Name): string {
  return name
    .toJSON()
    .reverse()
    .flatMap((rdn) =>
      Object.entries(rdn).flatMap(([type, values]) => values.map((value) => `${type}=${value}`)),
    )
    .join(", ");
}

export function commonNameOf(certificate: x509.X509Certificate): string {
  return certificate.subjectName.getField("CN")[0] ?? "";
}

function nameFrom(subject: SubjectValues): x509.Name {
  const rdns: x509.JsonNameParams = [];
  for (const type of SUBJECT_TYPES) {
    const { oid } = SUBJECT_ATTRIBUTES[type];
    for (const value of subject[type] ?? []) {
      // Explicit string types: @peculiar/x509 would otherwise read a leading "#" as hex and unescape quotes.
      if (type === "unique_identifier") {
        rdns.push({ [oid]: [uniqueIdentifierDer(value)] });
        continue;
      }
      const encoded =
        type === "email" || type === "domain_component"
          ? { ia5String: value }
          : x509.Name.isPrintableString(value)
            ? { printableString: value }
            : { utf8String: value };
      rdns.push({ [oid]: [encoded] });
    }
  }
  return new x509.Name(rdns);
}

/** x500UniqueIdentifier is a BIT STRING: the bytes of a hex value, else of its UTF-8 text; "#" + DER hex for the library. */
function uniqueIdentifierDer(value: string): string {
  const bytes = /^([0-9a-f]{2})+$/i.test(value) ? Buffer.from(value, "hex") : Buffer.from(value, "utf8");
  const der = new asn1js.BitString({ valueHex: new Uint8Array(bytes).buffer, unusedBits: 0 }).toBER();
  return `#${Buffer.from(der).toString("hex")}`;
}

const GUID_TEXT = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const GUID_HEX = /^0x([0-9a-f]{32})$/i;

/** A GUID in any form S1's example shows (UUID, braced UUID, 0x + 32 hex), as the library's UUID text; else null. */
export function guidText(value: string): string | null {
  const uuid = GUID_TEXT.exec(value)?.[1];
  if (uuid) return uuid.toLowerCase();
  const hex = GUID_HEX.exec(value)?.[1]?.toLowerCase();
  return hex
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : null;
}

/**
 * DER of each extra SAN: UPN and GUID otherNames and registeredIDs through the library, and each raw other name as an
 * otherName of its OID whose value is one UTF8String of its `label=value` pairs joined by "; " (DigiCert documents
 * no encoding for raw other names [I]).
 */
function extraSanDer(extra: ExtraSanValues): ArrayBuffer[] {
  const names: ArrayBuffer[] = [];
  for (const upn of extra.user_principal_names ?? []) names.push(new x509.GeneralName("upn", upn).rawData);
  for (const guid of extra.other_names?.guid ?? []) {
    names.push(new x509.GeneralName("guid", guidText(guid) ?? guid).rawData);
  }
  for (const id of extra.registered_ids ?? []) names.push(new x509.GeneralName("id", id).rawData);
  for (const raw of extra.other_names?.raw_other_names ?? []) {
    const text = raw.values.map((v) => `${v.label}=${v.value}`).join("; ");
    const otherName = new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 0 },
      value: [
        new asn1js.ObjectIdentifier({ value: raw.oid }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Utf8String({ value: text })],
        }),
      ],
    });
    names.push(otherName.toBER());
  }
  return names;
}

/** The SubjectAltName extension: the JSON-expressible names, then the extra ones (DER), in one GeneralNames. */
function sanExtension(
  sans: SanValues,
  extra: ExtraSanValues | undefined,
  critical?: boolean,
): x509.Extension | null {
  const names = sanNames(sans);
  const extraNames = extra ? extraSanDer(extra) : [];
  if (extraNames.length === 0) {
    return names.length > 0 ? new x509.SubjectAlternativeNameExtension(names, critical) : null;
  }
  const all = [...names.map((name) => new x509.GeneralName(name.type, name.value).rawData), ...extraNames];
  const sequence = new asn1js.Sequence({ value: all.map((der) => asn1js.fromBER(der).result) });
  return new x509.Extension("2.5.29.17", critical ?? false, sequence.toBER());
}

function sanNames(sans: SanValues): x509.JsonGeneralNames {
  const names: x509.JsonGeneralNames = [];
  for (const [sanType, generalNameType] of Object.entries(SAN_TYPES) as [SanType, x509.GeneralNameType][]) {
    for (const value of sans[sanType] ?? []) names.push({ type: generalNameType, value });
  }
  return names;
}

async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

async function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(pem), KEY_ALGORITHM, true, ["sign"]);
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

/** What the CA needs to issue one end-entity certificate. */
export interface IssueSpec {
  readonly serialNumber: string;
  readonly publicKey: x509.PublicKey;
  readonly subject: SubjectValues;
  readonly sans: SanValues;
  /** TLM only: UPNs, registered ids and other names, after `sans`. */
  readonly extraSans?: ExtraSanValues;
  readonly sanCritical?: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extendedKeyUsages: readonly string[];
}

export interface IssuedCertificate {
  readonly serialNumber: string;
  readonly certificate: x509.X509Certificate;
  readonly pem: string;
  readonly thumbprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface KeyAndCertificate {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly thumbprint: string;
}

interface CaFile {
  version: 1;
  root: { certificate: string; privateKey: string };
  intermediate: { certificate: string; privateKey: string };
}

/** The simulator's root and issuing intermediate CA. */
export class CertificateAuthority {
  readonly rootPem: string;
  readonly intermediatePem: string;
  readonly intermediateName: string;
  readonly #skiCache = new WeakMap<x509.PublicKey, Promise<x509.SubjectKeyIdentifierExtension>>();

  private constructor(
    readonly root: x509.X509Certificate,
    private readonly rootKey: CryptoKey,
    readonly intermediate: x509.X509Certificate,
    private readonly intermediateKey: CryptoKey,
    private readonly authorityKeyId: x509.AuthorityKeyIdentifierExtension,
  ) {
    this.rootPem = root.toString("pem");
    this.intermediatePem = intermediate.toString("pem");
    this.intermediateName = commonNameOf(intermediate);
  }

  static async create(): Promise<CertificateAuthority> {
    const [rootKeys, intermediateKeys] = await Promise.all([generateKeys(), generateKeys()]);
    const now = Date.now();
    const notBefore = new Date(now - CA_BACKDATE_MS);
    const root = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerialNumber(),
      name: nameFrom({
        country: ["US"],
        organization_name: [CA_ORGANIZATION],
        common_name: ["DigiCert ONE Simulator Root CA"],
      }),
      notBefore,
      notAfter: new Date(now + ROOT_LIFETIME_MS),
      keys: rootKeys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
      ],
    });
    const intermediate = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerialNumber(),
      subject: nameFrom({
        country: ["US"],
        organization_name: [CA_ORGANIZATION],
        common_name: ["DigiCert ONE Simulator Intermediate CA"],
      }),
      issuer: root.subjectName,
      notBefore,
      notAfter: new Date(now + INTERMEDIATE_LIFETIME_MS),
      publicKey: intermediateKeys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(root),
      ],
    });
    return CertificateAuthority.#assemble(
      root,
      rootKeys.privateKey,
      intermediate,
      intermediateKeys.privateKey,
    );
  }

  /** Loads `<dir>/ca.json`, or returns undefined when there is none yet. */
  static async load(dir: string): Promise<CertificateAuthority | undefined> {
    const path = join(dir, CA_FILE);
    const text = await readFileIfExists(path);
    if (text === undefined) return undefined;
    try {
      const file = JSON.parse(text) as CaFile;
      if (file.version !== 1) throw new Error(`unsupported version ${String(file.version)}`);
      const [rootKey, intermediateKey] = await Promise.all([
        importPrivateKeyPem(file.root.privateKey),
        importPrivateKeyPem(file.intermediate.privateKey),
      ]);
      return await CertificateAuthority.#assemble(
        new x509.X509Certificate(file.root.certificate),
        rootKey,
        new x509.X509Certificate(file.intermediate.certificate),
        intermediateKey,
      );
    } catch (error) {
      // The cause is not quoted: a JSON.parse message can carry fragments of the private keys.
      throw new SimulatorDataError(path, `CA file ${path} is unreadable (${(error as Error).name})`);
    }
  }

  static async #assemble(
    root: x509.X509Certificate,
    rootKey: CryptoKey,
    intermediate: x509.X509Certificate,
    intermediateKey: CryptoKey,
  ): Promise<CertificateAuthority> {
    const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(intermediate);
    return new CertificateAuthority(root, rootKey, intermediate, intermediateKey, authorityKeyId);
  }

  /** Writes keys and certificates to `<dir>/ca.json` (mode 0600) and the root alone to `<dir>/root-ca.pem`. */
  async save(dir: string): Promise<void> {
    const file: CaFile = {
      version: 1,
      root: { certificate: this.rootPem, privateKey: await exportPrivateKeyPem(this.rootKey) },
      intermediate: {
        certificate: this.intermediatePem,
        privateKey: await exportPrivateKeyPem(this.intermediateKey),
      },
    };
    await writeFileAtomic(join(dir, CA_FILE), `${JSON.stringify(file, null, 2)}\n`, 0o600);
    await writeFileAtomic(join(dir, ROOT_PEM_FILE), `${this.rootPem}\n`);
  }

  /** Intermediate then root, the chain above every issued certificate. */
  get chain(): readonly x509.X509Certificate[] {
    return [this.intermediate, this.root];
  }

  /** Signs an end-entity certificate; notAfter is clamped to the intermediate's own notAfter. */
  async issue(spec: IssueSpec): Promise<IssuedCertificate> {
    const key = describeKey(spec.publicKey);
    const usages =
      key.algorithm === "RSA"
        ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
        : x509.KeyUsageFlags.digitalSignature;
    const notAfter = new Date(Math.min(spec.notAfter.getTime(), this.intermediate.notAfter.getTime()));
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      new x509.ExtendedKeyUsageExtension([...spec.extendedKeyUsages], false),
      await this.#subjectKeyId(spec.publicKey),
      this.authorityKeyId,
    ];
    const san = sanExtension(spec.sans, spec.extraSans, spec.sanCritical);
    if (san) extensions.push(san);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: spec.serialNumber,
      subject: nameFrom(spec.subject),
      issuer: this.intermediate.subjectName,
      notBefore: spec.notBefore,
      notAfter,
      publicKey: spec.publicKey,
      signingKey: this.intermediateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions,
    });
    return {
      serialNumber: certificate.serialNumber.toUpperCase(),
      certificate,
      pem: certificate.toString("pem"),
      thumbprint: sha256Hex(certificate.rawData),
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
    };
  }

  /** A fresh EC P-256 key and a certificate for it, for the simulator's own TLS server and API clients. */
  async issueWithNewKey(
    subject: SubjectValues,
    sans: SanValues,
    extendedKeyUsages: readonly string[],
    lifetimeDays: number,
  ): Promise<KeyAndCertificate> {
    const keys = await generateKeys();
    const now = nowSeconds().getTime();
    const issued = await this.issue({
      serialNumber: randomSerialNumber(),
      publicKey: await x509.PublicKey.create(keys.publicKey),
      subject,
      sans,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + lifetimeDays * DAY_MS),
      extendedKeyUsages,
    });
    return {
      certificatePem: issued.pem,
      privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
      thumbprint: issued.thumbprint,
    };
  }

  /** A real PKCS#7 certs-only SignedData, armoured as `-----BEGIN PKCS7-----` like TLM (the library says CMS). */
  pkcs7(certificates: readonly x509.X509Certificate[]): string {
    const der = new x509.X509Certificates([...certificates]).export("raw");
    return x509.PemConverter.encode(der, "PKCS7");
  }

  #subjectKeyId(publicKey: x509.PublicKey): Promise<x509.SubjectKeyIdentifierExtension> {
    let extension = this.#skiCache.get(publicKey);
    if (!extension) {
      extension = x509.SubjectKeyIdentifierExtension.create(publicKey);
      this.#skiCache.set(publicKey, extension);
    }
    return extension;
  }
}
