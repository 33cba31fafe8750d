import "reflect-metadata";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
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
} as const;
export type SubjectType = keyof typeof SUBJECT_ATTRIBUTES;
export type SubjectValues = Partial<Record<SubjectType, string[]>>;
export const SUBJECT_TYPES = Object.keys(SUBJECT_ATTRIBUTES) as SubjectType[];

/** SAN types of TLM's `attributes.extensions.san` and their @peculiar/x509 GeneralName types. */
export const SAN_TYPES = { dns_names: "dns", ip_addresses: "ip", emails: "email", uris: "url" } as const;
export type SanType = keyof typeof SAN_TYPES;
export type SanValues = Partial<Record<SanType, string[]>>;

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
    const names = sanNames(spec.sans);
    if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, spec.sanCritical));
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
