import * as x509 from "@peculiar/x509";
import { type Dispatcher, request } from "undici";
import { DEFAULT_API_KEY, type Simulator } from "../../simulator/index.js";

export interface ApiResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed when the response is JSON; tests read arbitrary shapes. */
  json: any;
}

export interface ApiCall {
  method?: Dispatcher.HttpMethod;
  /** JSON-encoded unless rawBody is given. */
  body?: unknown;
  rawBody?: string;
  /** API key to send; null sends none. Default DEFAULT_API_KEY. */
  apiKey?: string | null;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
}

/** One HTTP call to the simulator with undici; the body is read and parsed as JSON when it is JSON. */
export async function api(sim: Simulator, path: string, call: ApiCall = {}): Promise<ApiResult> {
  const headers: Record<string, string> = { ...call.headers };
  const apiKey = call.apiKey === undefined ? DEFAULT_API_KEY : call.apiKey;
  if (apiKey !== null) headers["x-api-key"] = apiKey;
  let body: string | undefined = call.rawBody;
  if (body === undefined && call.body !== undefined) body = JSON.stringify(call.body);
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await request(`${sim.url}${path}`, {
    method: call.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
    dispatcher: call.dispatcher,
  });
  const text = await response.body.text();
  const contentType = String(response.headers["content-type"] ?? "");
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json: contentType.startsWith("application/json") ? JSON.parse(text) : undefined,
  };
}

export type KeyType = "rsa1024" | "rsa2048" | "p256" | "p384" | "p521";

const keyCache = new Map<KeyType, Promise<CryptoKeyPair>>();

/** Key pairs are generated once per test file and reused; RSA keygen is slow. */
export function keyPair(type: KeyType): Promise<CryptoKeyPair> {
  let keys = keyCache.get(type);
  if (!keys) {
    const algorithm = type.startsWith("rsa")
      ? {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: type === "rsa1024" ? 1024 : 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        }
      : { name: "ECDSA", namedCurve: { p256: "P-256", p384: "P-384", p521: "P-521" }[type as "p256"] };
    keys = crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
    keyCache.set(type, keys);
  }
  return keys;
}

export interface CsrOptions {
  subject?: string;
  key?: KeyType;
  sans?: x509.JsonGeneralNames;
}

/** A PEM PKCS#10 request signed by a cached key of the given type. */
export async function makeCsr(options: CsrOptions = {}): Promise<string> {
  const type = options.key ?? "p256";
  const keys = await keyPair(type);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject ?? "CN=app.example.com",
    keys,
    signingAlgorithm: type.startsWith("rsa")
      ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
      : { name: "ECDSA", hash: "SHA-256" },
    extensions: options.sans ? [new x509.SubjectAlternativeNameExtension(options.sans)] : [],
  });
  return csr.toString("pem");
}

let uniqueCounter = 0;

/** A host name no other test in this process uses. */
export function uniqueHost(prefix = "test"): string {
  uniqueCounter += 1;
  return `${prefix}-${process.pid}-${uniqueCounter}.example.com`;
}

/** The spec/Terraform issue body: profile.id, seat.seat_id, csr and attributes side by side. */
export function issueBody(
  profileId: string,
  csr: string,
  commonName: string,
  extra: Record<string, unknown> = {},
) {
  return {
    profile: { id: profileId },
    seat: { seat_id: "tests@example.com" },
    csr,
    attributes: { subject: { common_name: commonName } },
    ...extra,
  };
}

export const PKCS7_PEM = /^-----BEGIN PKCS7-----\n[A-Za-z0-9+/=\n]+\n-----END PKCS7-----$/;
