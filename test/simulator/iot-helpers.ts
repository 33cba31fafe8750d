import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { FormData, request } from "undici";
import { DEFAULT_API_KEY, type Simulator } from "../../simulator/index.js";
import { api, type ApiResult } from "./helpers.js";

/** Runs `fn` in a fresh temporary directory that is always removed (it may hold private keys). */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "iot-sim-test-"));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The real openssl CLI; rejects with its stderr when it fails. Secrets go in `env`, never in argv. */
export function opensslOutput(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      "openssl",
      args,
      { encoding: "buffer", env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr.toString()}`));
        else resolve({ stdout, stderr: stderr.toString() });
      },
    );
  });
}

export async function openssl(args: string[], env: Record<string, string> = {}): Promise<Buffer> {
  return (await opensslOutput(args, env)).stdout;
}

/** The SubjectPublicKeyInfo PEM of a certificate file and of a private key file, as openssl prints them. */
export async function certificatePublicKey(certificateFile: string): Promise<string> {
  return (await openssl(["x509", "-in", certificateFile, "-noout", "-pubkey"])).toString();
}

export async function privateKeyPublicKey(keyFile: string, inform: "PEM" | "DER" = "PEM"): Promise<string> {
  return (await openssl(["pkey", "-in", keyFile, "-inform", inform, "-pubout"])).toString();
}

/** Writes the files and checks that the private key belongs to the certificate (first certificate in the file). */
export async function expectKeyMatchesCertificate(
  dir: string,
  certificatePem: string,
  key: string | Uint8Array,
  inform: "PEM" | "DER" = "PEM",
): Promise<boolean> {
  const certificateFile = join(dir, "match-cert.pem");
  const keyFile = join(dir, `match-key.${inform.toLowerCase()}`);
  await writeFile(certificateFile, certificatePem);
  await writeFile(keyFile, key, { mode: 0o600 });
  const [fromCertificate, fromKey] = await Promise.all([
    certificatePublicKey(certificateFile),
    privateKeyPublicKey(keyFile, inform),
  ]);
  return fromCertificate === fromKey;
}

export interface EncryptionIdentity {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

let identity: Promise<EncryptionIdentity> | undefined;

/** A self-signed RSA 2048 certificate and key to receive encrypted keys; generated once per test file. */
export function encryptionIdentity(): Promise<EncryptionIdentity> {
  identity ??= (async () => {
    const algorithm = {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    };
    const keys = (await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "0a1b2c",
      name: "CN=Key recipient, O=Tests",
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys,
      signingAlgorithm: algorithm,
      extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment)],
    });
    const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
    return {
      certificatePem: certificate.toString("pem"),
      privateKeyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY"),
    };
  })();
  return identity;
}

/** Decrypts a DER EnvelopedData with `openssl smime -decrypt`, as DigiCert's docs show, and returns the content. */
export async function smimeDecrypt(dir: string, p7m: Uint8Array): Promise<Buffer> {
  const { certificatePem, privateKeyPem } = await encryptionIdentity();
  const input = join(dir, "input.p7m");
  const output = join(dir, "output.bin");
  const keyFile = join(dir, "encryption.key");
  const certificateFile = join(dir, "encryption.pem");
  await Promise.all([
    writeFile(input, p7m),
    writeFile(keyFile, privateKeyPem, { mode: 0o600 }),
    writeFile(certificateFile, certificatePem),
  ]);
  await openssl([
    "smime",
    "-binary",
    "-decrypt",
    "-aes256",
    "-inform",
    "DER",
    "-in",
    input,
    "-out",
    output,
    "-inkey",
    keyFile,
    certificateFile,
  ]);
  return readFile(output);
}

export const PEM_CERTIFICATES = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function pemBlocks(text: string): string[] {
  return text.match(PEM_CERTIFICATES) ?? [];
}

/** POST /iot/api/v1/certificate. */
export function enroll(sim: Simulator, body: unknown, apiKey?: string): Promise<ApiResult> {
  return api(sim, "/iot/api/v1/certificate", { body, apiKey });
}

export interface UploadFile {
  readonly name: string;
  readonly data: string | Uint8Array;
  readonly fileName?: string;
}

/** POST /iot/api/v1/batch-enroll as multipart/form-data. */
export async function uploadBatch(
  sim: Simulator,
  fields: Record<string, string>,
  files: readonly UploadFile[],
  apiKey: string = DEFAULT_API_KEY,
): Promise<ApiResult> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) {
    const data = typeof file.data === "string" ? file.data : new Uint8Array(file.data);
    form.append(file.name, new Blob([data]), file.fileName ?? `${file.name}.bin`);
  }
  const response = await request(`${sim.url}/iot/api/v1/batch-enroll`, {
    method: "POST",
    headers: { "x-api-key": apiKey },
    body: form,
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

/** Polls the job until it reaches `status` (or a final status), failing after `timeoutMs`. */
export async function waitForJob(
  sim: Simulator,
  jobId: string,
  status: string,
  timeoutMs = 10_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await api(sim, `/iot/api/v1/batch-enroll/${jobId}`);
    if (job.json?.status === status) return job.json;
    if (["COMPLETE", "FAILED", "REJECTED"].includes(job.json?.status) || Date.now() > deadline) {
      throw new Error(`job ${jobId} is ${JSON.stringify(job.json)} while waiting for ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** GET with the raw body as bytes, for downloads. */
export async function download(
  sim: Simulator,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const response = await request(`${sim.url}${path}`, { headers: { "x-api-key": DEFAULT_API_KEY } });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}
