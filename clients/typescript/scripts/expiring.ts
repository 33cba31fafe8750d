/**
 * `expiring`: certificates (TLM and IoT) that expire within N days, soonest first, as a table, JSON or CSV (cells a
 * spreadsheet would run as formulas neutralised). Run: `npx tsx clients/typescript/scripts/expiring.ts --days 30`.
 */
import { csvCell } from "../src/csv.js";
import {
  choiceOption,
  ENVIRONMENT_HELP,
  EXIT_OK,
  gatewayClient,
  intOption,
  parseOptions,
  printUsage,
  runScript,
  type ScriptIo,
} from "./lib/cli.js";
import { type ExpiringCertificate, findExpiring, PRODUCTS } from "./lib/inventory.js";
import { isEntry, main } from "./lib/node-entry.js";
import { formatTable } from "./lib/output.js";

const FORMATS = ["table", "json", "csv"] as const;

export const USAGE = `Usage: expiring [--days N] [--format table|json|csv] [--product all|tlm|iot] [--profile ID]

Lists the ISSUED certificates that expire within N days (default 30), soonest first.
TLM certificates come through the gateway's server-side expiry filter (expiresBefore); DigiCert's IoT list has no
expiry filter, so IoT certificates are read and filtered here.

Options:
  --days N          expiring within N days from now (default 30, at most 3650)
  --format F        table (default), json or csv (cells that would run as spreadsheet formulas get a leading ')
  --product P       all (default), tlm or iot
  --profile ID      only this profile: a TLM profile UUID, or an IoT enrollment profile IOT_<uuid>
  -h, --help        this text

${ENVIRONMENT_HELP}`;

const COLUMNS = [
  "product",
  "serialNumber",
  "commonName",
  "validTo",
  "daysLeft",
  "status",
  "profileName",
  "profileId",
  "deviceIdentifier",
  "certificateId",
  "id",
] as const satisfies readonly (keyof ExpiringCertificate)[];

export function formatExpiring(
  certificates: readonly ExpiringCertificate[],
  format: (typeof FORMATS)[number],
): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(certificates, null, 2)}\n`;
    case "csv":
      return [COLUMNS, ...certificates.map((c) => COLUMNS.map((column) => c[column]))]
        .map((row) => `${row.map(csvCell).join(",")}\r\n`)
        .join("");
    case "table":
      if (certificates.length === 0) return "No certificate expires in that time.\n";
      return formatTable(
        ["PRODUCT", "SERIAL", "COMMON NAME", "EXPIRES", "DAYS", "PROFILE"],
        certificates.map((c) => [
          c.product,
          c.serialNumber ?? c.certificateId,
          c.commonName,
          c.validTo,
          c.daysLeft,
          c.profileName ?? c.profileId,
        ]),
      );
  }
}

export async function run(argv: readonly string[], io: ScriptIo): Promise<number> {
  return runScript(io, USAGE, async () => {
    const { values } = parseOptions(argv, {
      days: { type: "string" },
      format: { type: "string" },
      product: { type: "string" },
      profile: { type: "string" },
    });
    if (values.help) return printUsage(io, USAGE);
    const days = intOption(values.days, "days", 30, 0, 3650);
    const format = choiceOption(values.format, "format", FORMATS, "table");
    const products = choiceOption(values.product, "product", PRODUCTS, "all");
    const client = gatewayClient(io);
    try {
      const found = await findExpiring(client, {
        days,
        products,
        profileId: values.profile,
        now: io.now?.() ?? new Date(),
      });
      io.stdout.write(formatExpiring(found, format));
      if (format === "table" && found.length > 0)
        io.stderr.write(`${found.length} certificate(s) expire within ${days} days.\n`);
      return EXIT_OK;
    } finally {
      await client.close();
    }
  });
}

if (isEntry(import.meta.url)) await main(run);
