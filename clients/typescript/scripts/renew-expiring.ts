/**
 * `renew-expiring`: renews every ISSUED certificate (TLM and IoT) that expires within N days. A dry run unless
 * `--apply`. Each renewal carries the idempotency key `renew-expiring.<product>.<serial>`, so a rerun (a cron job that
 * ran twice, a retry after a crash) gets the gateway's first outcome back instead of a second certificate.
 * Run: `npx tsx clients/typescript/scripts/renew-expiring.ts --days 30 --out renewed/ --apply`.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type GatewayClient, GatewayResultError, isResultError } from "../src/client.js";
import { RenewCertificateDocument, RenewDeviceCertificateDocument } from "../src/generated/graphql.js";
import {
  choiceOption,
  ENVIRONMENT_HELP,
  EXIT_FAILURE,
  EXIT_OK,
  gatewayClient,
  intOption,
  parseOptions,
  printUsage,
  runScript,
  type ScriptIo,
} from "./lib/cli.js";
import { type ExpiringCertificate, findExpiring, PRODUCTS } from "./lib/inventory.js";
import {
  exists,
  generateKeyAndCsr,
  KEY_TYPES,
  type KeyType,
  readText,
  removeQuietly,
  writePrivateKey,
  writePublicPem,
} from "./lib/keys.js";
import { isEntry, main } from "./lib/node-entry.js";
import { formatTable } from "./lib/output.js";

const FORMATS = ["table", "json"] as const;

export const USAGE = `Usage: renew-expiring [--days N] [--apply] [--out DIR] [--product all|tlm|iot] [--profile ID] [--key-type T] [--format table|json]

Renews every ISSUED certificate that expires within N days (default 30), each with a new key pair made here.
Without --apply it only prints what it would renew.

Each renewal sends the idempotency key renew-expiring.<product>.<serial number>: run it again and the gateway answers
with the first renewal's outcome instead of renewing twice (it keeps keys 24 h). Files in DIR, per certificate:
  renewal-of-<serial>.key.pem   the new private key (mode 0600), written before the renewal is asked for
  renewal-of-<serial>.csr.pem   its CSR, sent again as is by a rerun
  renewal-of-<serial>.cert.pem  the renewed certificate; while it exists the certificate counts as renewed
IoT renewals need an enrollment profile that takes CSRs (client-side keys).

Options:
  --days N          expiring within N days from now (default 30)
  --apply           renew (default: a dry run)
  --out DIR         where the keys and certificates go (default: the current directory)
  --product P       all (default), tlm or iot
  --profile ID      only this profile: a TLM profile UUID, or an IoT enrollment profile IOT_<uuid>
  --key-type T      ${KEY_TYPES.join(", ")} (default p256)
  --format F        table (default) or json
  -h, --help        this text

${ENVIRONMENT_HELP}`;

export type Outcome =
  /** Dry run. */
  | "would-renew"
  | "renewed"
  /** A local record or the gateway's stored outcome says an earlier run renewed it. */
  | "already-renewed"
  /** The renewal awaits approval (TLM profiles with manual approval). */
  | "pending"
  | "failed";

export interface RenewalReport {
  product: ExpiringCertificate["product"];
  serialNumber: string | null;
  commonName: string | null;
  validTo: string;
  daysLeft: number;
  outcome: Outcome;
  newSerialNumber: string | null;
  certificateFile: string | null;
  /** Why it failed or is pending (the result's code and message), or how an earlier renewal was recognised. */
  detail: string | null;
}

/** The idempotency key of one certificate's renewal: product and serial (IoT: the certificate id without one). */
export function renewalKey(
  certificate: Pick<ExpiringCertificate, "product" | "serialNumber" | "certificateId">,
): string {
  const ref = certificate.serialNumber ?? certificate.certificateId ?? "";
  return `renew-expiring.${certificate.product.toLowerCase()}.${ref}`
    .replace(/[^A-Za-z0-9_.:-]/g, "_")
    .slice(0, 128);
}

interface Files {
  key: string;
  csr: string;
  cert: string;
}

function filesFor(dir: string, certificate: ExpiringCertificate): Files {
  const ref = (certificate.serialNumber ?? certificate.certificateId ?? "unknown").replace(
    /[^A-Za-z0-9_-]/g,
    "_",
  );
  const base = join(dir, `renewal-of-${ref}`);
  return { key: `${base}.key.pem`, csr: `${base}.csr.pem`, cert: `${base}.cert.pem` };
}

/** The CSR to send: the one a previous run left (so the request is the same), else a new key pair's. */
async function csrFor(
  files: Files,
  certificate: ExpiringCertificate,
  keyType: KeyType,
): Promise<{ csr: string; fresh: boolean }> {
  if ((await exists(files.csr)) && (await exists(files.key)))
    return { csr: await readText(files.csr), fresh: false };
  const { keyPem, csrPem } = await generateKeyAndCsr({
    commonName: certificate.commonName ?? "renewal",
    keyType,
  });
  await writePrivateKey(files.key, keyPem, true);
  await writePublicPem(files.csr, csrPem, true);
  return { csr: csrPem, fresh: true };
}

type Renewal =
  | {
      __typename: "CertificateIssued" | "DeviceCertificateEnrolled";
      serialNumber?: string | null;
      pem?: string | null;
    }
  | { __typename: "CertificatePending"; requestId: string }
  | { __typename: string; code: string; message: string; field?: string };

async function renewOne(
  client: GatewayClient,
  certificate: ExpiringCertificate,
  csr: string,
): Promise<Renewal> {
  const idempotencyKey = renewalKey(certificate);
  if (certificate.product === "TLM") {
    const { renewCertificate } = await client.request(RenewCertificateDocument, {
      input: { serialNumber: certificate.serialNumber ?? "", csr, idempotencyKey },
    });
    return renewCertificate;
  }
  const { renewDeviceCertificate } = await client.request(RenewDeviceCertificateDocument, {
    input: { id: certificate.certificateId ?? certificate.serialNumber ?? "", csr, idempotencyKey },
  });
  return renewDeviceCertificate;
}

async function renew(
  client: GatewayClient,
  certificate: ExpiringCertificate,
  dir: string,
  keyType: KeyType,
): Promise<Pick<RenewalReport, "outcome" | "newSerialNumber" | "certificateFile" | "detail">> {
  const files = filesFor(dir, certificate);
  if (await exists(files.cert)) {
    return {
      outcome: "already-renewed",
      newSerialNumber: null,
      certificateFile: files.cert,
      detail: "local record",
    };
  }
  const { csr, fresh } = await csrFor(files, certificate, keyType);
  const result = await renewOne(client, certificate, csr);
  if (result.__typename === "CertificateIssued" || result.__typename === "DeviceCertificateEnrolled") {
    const issued = result as { serialNumber?: string | null; pem?: string | null };
    if (!issued.pem)
      throw new GatewayResultError({
        __typename: result.__typename,
        code: "NO_PEM",
        message: "Renewed, but the gateway sent no PEM.",
      });
    await writePublicPem(files.cert, issued.pem, false);
    return {
      outcome: "renewed",
      newSerialNumber: issued.serialNumber ?? null,
      certificateFile: files.cert,
      detail: null,
    };
  }
  if (result.__typename === "CertificatePending") {
    const { requestId } = result as { requestId: string };
    return {
      outcome: "pending",
      newSerialNumber: null,
      certificateFile: null,
      detail: `request ${requestId} awaits approval`,
    };
  }
  if (!isResultError(result as { __typename: string })) {
    return {
      outcome: "failed",
      newSerialNumber: null,
      certificateFile: null,
      detail: `unexpected ${result.__typename}`,
    };
  }
  const error = result as { __typename: string; code: string; message: string; field?: string };
  if (fresh) {
    // This run's key pair was never used.
    await removeQuietly(files.key);
    await removeQuietly(files.csr);
  }
  // The key was used before with another CSR (a rerun from another directory): the gateway renewed it already.
  if (error.code === "VALIDATION_FAILED" && error.field === "input.idempotencyKey") {
    return {
      outcome: "already-renewed",
      newSerialNumber: null,
      certificateFile: null,
      detail: "the gateway has this renewal's key",
    };
  }
  return {
    outcome: "failed",
    newSerialNumber: null,
    certificateFile: null,
    detail: `${error.code}: ${error.message}`,
  };
}

function formatReports(reports: readonly RenewalReport[], format: (typeof FORMATS)[number]): string {
  if (format === "json") return `${JSON.stringify(reports, null, 2)}\n`;
  if (reports.length === 0) return "No certificate expires in that time.\n";
  return formatTable(
    ["PRODUCT", "SERIAL", "COMMON NAME", "EXPIRES", "DAYS", "OUTCOME", "NEW SERIAL", "DETAIL"],
    reports.map((r) => [
      r.product,
      r.serialNumber,
      r.commonName,
      r.validTo,
      r.daysLeft,
      r.outcome,
      r.newSerialNumber,
      r.detail,
    ]),
  );
}

export async function run(argv: readonly string[], io: ScriptIo): Promise<number> {
  return runScript(io, USAGE, async () => {
    const { values } = parseOptions(argv, {
      days: { type: "string" },
      apply: { type: "boolean" },
      out: { type: "string" },
      product: { type: "string" },
      profile: { type: "string" },
      "key-type": { type: "string" },
      format: { type: "string" },
    });
    if (values.help) return printUsage(io, USAGE);
    const days = intOption(values.days, "days", 30, 0, 3650);
    const products = choiceOption(values.product, "product", PRODUCTS, "all");
    const keyType = choiceOption(values["key-type"], "key-type", KEY_TYPES, "p256");
    const format = choiceOption(values.format, "format", FORMATS, "table");
    const apply = values.apply ?? false;
    const dir = resolve(io.cwd, values.out ?? ".");
    const client = gatewayClient(io);
    try {
      const expiring = await findExpiring(client, {
        days,
        products,
        profileId: values.profile,
        now: io.now?.() ?? new Date(),
      });
      if (apply) await mkdir(dir, { recursive: true });
      const reports: RenewalReport[] = [];
      for (const certificate of expiring) {
        const base = {
          product: certificate.product,
          serialNumber: certificate.serialNumber,
          commonName: certificate.commonName,
          validTo: certificate.validTo,
          daysLeft: certificate.daysLeft,
        };
        if (!apply) {
          const recorded = await exists(filesFor(dir, certificate).cert);
          reports.push({
            ...base,
            outcome: recorded ? "already-renewed" : "would-renew",
            newSerialNumber: null,
            certificateFile: null,
            detail: recorded ? "local record" : null,
          });
          continue;
        }
        try {
          reports.push({ ...base, ...(await renew(client, certificate, dir, keyType)) });
        } catch (error) {
          // One certificate's failure does not stop the others.
          const detail =
            error instanceof Error
              ? `${"code" in error ? `${String(error.code)}: ` : ""}${error.message}`
              : String(error);
          reports.push({ ...base, outcome: "failed", newSerialNumber: null, certificateFile: null, detail });
        }
      }
      io.stdout.write(formatReports(reports, format));
      const count = (outcome: Outcome) => reports.filter((r) => r.outcome === outcome).length;
      io.stderr.write(
        apply
          ? `${count("renewed")} renewed, ${count("already-renewed")} already renewed, ${count("pending")} pending, ${count("failed")} failed.\n`
          : `Dry run: ${count("would-renew")} to renew, ${count("already-renewed")} already renewed. Pass --apply to renew.\n`,
      );
      return count("failed") > 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      await client.close();
    }
  });
}

if (isEntry(import.meta.url)) await main(run);
