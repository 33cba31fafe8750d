/**
 * `enroll`: a TLM certificate for a key made here. Generates the key pair and CSR locally, writes the key (0600)
 * before asking, requests the certificate, polls pickup while the request awaits approval (a spinner on a terminal's
 * stderr), then writes the certificate. Run: `npx tsx clients/typescript/scripts/enroll.ts --profile <uuid> --cn host`.
 */
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expectResult, type GatewayClient } from "../src/client.js";
import { PickupCertificateDocument, RequestCertificateDocument } from "../src/generated/graphql.js";
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
  UsageError,
} from "./lib/cli.js";
import {
  exists,
  generateKeyAndCsr,
  KEY_TYPES,
  refuseToOverwrite,
  removeQuietly,
  writePrivateKey,
  writePublicPem,
} from "./lib/keys.js";
import { isEntry, main } from "./lib/node-entry.js";
import { Spinner } from "./lib/output.js";

export const USAGE = `Usage: enroll --profile UUID --cn NAME [--dns NAME]... [--seat ID] [--out DIR] [--key-type T] [--chain] [--force]
       enroll --profile UUID --resume REQUEST_ID --cn NAME [--out DIR] [--force]

Makes a key pair and a CSR here, requests a TLM certificate for it, and writes NAME.key.pem (mode 0600, written before
the request, so a pending request can be resumed) and NAME.cert.pem. A request that awaits approval is polled with
pickupCertificate until it is issued or --timeout passes; then run again with --resume REQUEST_ID.

Options:
  --profile UUID       the TLM certificate profile (enrollment method rest_api)
  --cn NAME            the subject's common name, also the files' base name
  --dns NAME           a DNS subject alternative name (repeatable)
  --seat ID            the seat that will own the certificate (default: the common name)
  --out DIR            where to write the files (default: the current directory)
  --key-type T         ${KEY_TYPES.join(", ")} (default p256)
  --chain              append the CA chain to the certificate file
  --force              overwrite existing files
  --poll-interval S    seconds between pickups while pending (default 5)
  --timeout S          give up waiting for approval after S seconds (default 600; 0: do not wait)
  --resume ID          pick up an earlier pending request instead of making a new one (its key file must exist)
  -h, --help           this text

${ENVIRONMENT_HELP}`;

type Issued = { serialNumber: string; pem?: string | null };

/** A file name from a common name: letters, digits, '.', '-' and '_' kept, anything else '_'. */
export function baseName(commonName: string): string {
  const name = commonName.replace(/^\*\./, "wildcard.").replace(/[^A-Za-z0-9._-]/g, "_");
  return name.replace(/^\.+/, "_") || "certificate";
}

/** Polls pickup until the request is issued; null after `timeoutMs`. A typed error member throws GatewayResultError. */
async function waitForApproval(
  client: GatewayClient,
  io: ScriptIo,
  request: { requestId: string; profileId: string },
  intervalMs: number,
  timeoutMs: number,
): Promise<Issued | null> {
  const started = Date.now();
  const spinner = new Spinner(io.stderr, `Request ${request.requestId} awaits approval...`);
  try {
    for (;;) {
      const waited = Date.now() - started;
      if (waited >= timeoutMs) {
        spinner.done(
          `Request ${request.requestId} still awaits approval after ${Math.round(waited / 1000)} s.`,
        );
        return null;
      }
      await sleep(Math.min(intervalMs, timeoutMs - waited));
      const { pickupCertificate } = await client.request(PickupCertificateDocument, { input: request });
      const result = expectResult(pickupCertificate, "CertificateIssued", "CertificatePending");
      if (result.__typename === "CertificateIssued") {
        spinner.done(`Request ${request.requestId} approved.`);
        return result;
      }
      spinner.update(
        `Request ${request.requestId} awaits approval (${Math.round((Date.now() - started) / 1000)} s)...`,
      );
    }
  } catch (error) {
    spinner.done();
    throw error;
  }
}

export async function run(argv: readonly string[], io: ScriptIo): Promise<number> {
  return runScript(io, USAGE, async () => {
    const { values } = parseOptions(argv, {
      profile: { type: "string" },
      cn: { type: "string" },
      dns: { type: "string", multiple: true },
      seat: { type: "string" },
      out: { type: "string" },
      "key-type": { type: "string" },
      chain: { type: "boolean" },
      force: { type: "boolean" },
      "poll-interval": { type: "string" },
      timeout: { type: "string" },
      resume: { type: "string" },
    });
    if (values.help) return printUsage(io, USAGE);
    if (!values.profile) throw new UsageError("--profile is required.");
    if (!values.cn) throw new UsageError("--cn is required.");
    const keyType = choiceOption(values["key-type"], "key-type", KEY_TYPES, "p256");
    const intervalMs = intOption(values["poll-interval"], "poll-interval", 5, 1, 3600) * 1000;
    const timeoutMs = intOption(values.timeout, "timeout", 600, 0, 7 * 86_400) * 1000;
    const force = values.force ?? false;
    const dir = resolve(io.cwd, values.out ?? ".");
    const keyFile = join(dir, `${baseName(values.cn)}.key.pem`);
    const certFile = join(dir, `${baseName(values.cn)}.cert.pem`);
    const profileId = values.profile;

    const client = gatewayClient(io);
    try {
      let issued: Issued | null;
      let createdKey = false;
      if (values.resume) {
        if (!(await exists(keyFile)))
          throw new Error(`${keyFile} does not exist: --resume needs the key made by the first run.`);
        await refuseToOverwrite([certFile], force);
        issued = await waitForApproval(
          client,
          io,
          { requestId: values.resume, profileId },
          intervalMs,
          timeoutMs,
        );
      } else {
        await refuseToOverwrite([keyFile, certFile], force);
        const { keyPem, csrPem } = await generateKeyAndCsr({
          commonName: values.cn,
          dnsNames: values.dns ?? [],
          keyType,
        });
        // The key is on disk before DigiCert hears of it: a request that waits for approval can be resumed later.
        await writePrivateKey(keyFile, keyPem, force);
        createdKey = true;
        io.stderr.write(`Wrote ${keyFile} (mode 0600).\n`);
        try {
          const { requestCertificate } = await client.request(RequestCertificateDocument, {
            input: {
              profileId,
              seatId: values.seat ?? values.cn,
              csr: csrPem,
              subject: { commonName: values.cn },
              ...(values.dns?.length ? { subjectAltNames: { dnsNames: values.dns } } : {}),
              ...(values.chain ? { includeCaChain: true } : {}),
            },
          });
          const result = expectResult(requestCertificate, "CertificateIssued", "CertificatePending");
          if (result.__typename === "CertificatePending") {
            io.stderr.write(
              `Request ${result.requestId} awaits approval; to pick it up later: enroll --profile ${profileId} --cn ${values.cn} --resume ${result.requestId}${values.out ? ` --out ${values.out}` : ""}\n`,
            );
            createdKey = false;
            issued = await waitForApproval(
              client,
              io,
              { requestId: result.requestId, profileId: result.profileId },
              intervalMs,
              timeoutMs,
            );
          } else issued = result;
        } catch (error) {
          // Refused (nothing was issued for this key): the key file is of no use.
          if (createdKey) await removeQuietly(keyFile);
          throw error;
        }
      }
      if (!issued) {
        io.stderr.write(`Not issued yet; run again with --resume to keep waiting.\n`);
        return EXIT_FAILURE;
      }
      if (!issued.pem)
        throw new Error(`Certificate ${issued.serialNumber} was issued, but the gateway sent no PEM.`);
      await writePublicPem(certFile, issued.pem, force);
      io.stderr.write(`Wrote ${certFile}.\n`);
      io.stdout.write(
        `${JSON.stringify({ serialNumber: issued.serialNumber, certificate: certFile, key: keyFile })}\n`,
      );
      return EXIT_OK;
    } finally {
      await client.close();
    }
  });
}

if (isEntry(import.meta.url)) await main(run);
