/**
 * `dtm-batch`: a Device Trust Manager batch registration from a CSV, end to end. Checks the CSV here against the
 * certificate policy's template (CertificatePolicy.templateColumns, the gateway's own rules), uploads it (GraphQL
 * multipart request, with a progress bar on a terminal), follows the job live over graphql-ws, and prints the report,
 * one line per data row. Run: `npx tsx clients/typescript/scripts/dtm-batch.ts --group <uuid> --file devices.csv`.
 */
import { openAsBlob } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { expectResult, type GatewayClient } from "../src/client.js";
import { checkBatchCsv } from "../src/csv.js";
import {
  type BatchJobStatus,
  BatchJobStatusChangedDocument,
  CreateDeviceRegistrationBatchDocument,
  DeviceGroupPoliciesDocument,
  type DeviceGroupPoliciesQuery,
  DtmBatchJobReportDocument,
} from "../src/generated/graphql.js";
import {
  choiceOption,
  ENVIRONMENT_HELP,
  EXIT_FAILURE,
  EXIT_OK,
  gatewayClient,
  intOption,
  parseOptions,
  printUsage,
  ReportedFailure,
  runScript,
  type ScriptIo,
  UsageError,
} from "./lib/cli.js";
import { isEntry, main } from "./lib/node-entry.js";
import { formatTable, ProgressBar, Spinner } from "./lib/output.js";

const FORMATS = ["table", "json"] as const;

export const USAGE = `Usage: dtm-batch --group ID --file CSV [--policy IOT_ID] [--name NAME] [--check-only] [--no-follow] [--format table|json]

Registers the devices of a CSV in a Device Trust Manager device group: checks the file here against the certificate
policy's CSV template (every problem named by row and column; nothing is sent while there is one), uploads it, follows
the job live, and prints its report, one line per data row.

Options:
  --group ID              the device group (a UUID)
  --file CSV              the data file: a header row of the template's columns, then one device per row (a ZIP is
                          uploaded unchecked here; the gateway checks it)
  --policy IOT_ID         the certificate policy (default: the group's only policy that allows BATCH)
  --name NAME             the job's name (default: the file's name)
  --encryption-cert PEM   server-side keys: DigiCert generates each key and encrypts it to this certificate (RSA)
  --check-only            check the file and stop
  --no-follow             upload and print the job id; do not wait for the job
  --wait-approval         keep following a job that waits for approval (default: report it and stop)
  --timeout S             stop following after S seconds (default 900)
  --format F              table (default) or json
  -h, --help              this text

Exit code 1 also when the job fails or any row fails.

${ENVIRONMENT_HELP}`;

type Group = DeviceGroupPoliciesQuery["deviceGroups"][number];
type Policy = Group["certificatePolicies"][number];

const TERMINAL: ReadonlySet<BatchJobStatus> = new Set(["COMPLETE", "FAILED", "TERMINATED", "REJECTED"]);

/** Whether `wanted` is one of an object's ids (its global id, DigiCert's), case aside. */
const names = (wanted: string, ...ids: string[]) =>
  ids.some((id) => id.toLowerCase() === wanted.toLowerCase());

/**
 * The group and policy the upload will use, as the gateway picks them: the named policy, or the group's only BATCH
 * one. Either may be named by its global id or by DigiCert's.
 */
async function findPolicy(
  client: GatewayClient,
  groupId: string,
  policyId: string | undefined,
): Promise<{ group: Group; policy: Policy }> {
  const { deviceGroups } = await client.request(DeviceGroupPoliciesDocument);
  const group = deviceGroups.find((g) => names(groupId, g.id, g.groupId));
  if (!group) {
    const known = deviceGroups.map((g) => `${g.groupId} (${g.name ?? "unnamed"})`).join(", ") || "none";
    throw new Error(`No device group ${groupId} for these credentials; the groups: ${known}.`);
  }
  const batch = group.certificatePolicies.filter((p) => p.managementMethods.includes("BATCH"));
  if (policyId) {
    const policy = group.certificatePolicies.find((p) => names(policyId, p.id, p.policyId));
    if (!policy) throw new Error(`The device group ${groupId} has no certificate policy ${policyId}.`);
    if (!policy.managementMethods.includes("BATCH"))
      throw new Error(`The certificate policy ${policyId} does not allow batch registration.`);
    return { group, policy };
  }
  if (batch.length !== 1) {
    throw new UsageError(
      batch.length === 0
        ? `The device group ${groupId} has no certificate policy that allows batch registration.`
        : `The device group ${groupId} has several batch policies (${batch.map((p) => p.policyId).join(", ")}): name one with --policy.`,
    );
  }
  return { group, policy: batch[0]! };
}

/** Problems as the local check and the gateway's InvalidBatchFileError name them: row, column, ZIP entry. */
function printProblems(
  io: ScriptIo,
  problems: readonly {
    row?: number | null;
    column?: string | null;
    entry?: string | null;
    message: string;
  }[],
  source: string,
): void {
  io.stderr.write(`${source}:\n`);
  const withEntry = problems.some((p) => p.entry);
  io.stderr.write(
    formatTable(
      [...(withEntry ? ["ENTRY"] : []), "ROW", "COLUMN", "PROBLEM"],
      problems.map((p) => [...(withEntry ? [p.entry ?? "-"] : []), p.row ?? "-", p.column ?? "-", p.message]),
    ),
  );
}

interface JobState {
  status: BatchJobStatus;
  totalCount?: number | null;
  successCount?: number | null;
  failedCount?: number | null;
}

function describe(job: JobState): string {
  const counts =
    job.totalCount === null || job.totalCount === undefined
      ? ""
      : ` ${job.successCount ?? 0}/${job.totalCount} registered${job.failedCount ? `, ${job.failedCount} failed` : ""}`;
  return `${job.status}${counts}`;
}

/** Follows the job over graphql-ws until it ends (or waits for approval, unless `waitApproval`), or `timeoutMs`. */
async function follow(
  client: GatewayClient,
  io: ScriptIo,
  jobId: string,
  waitApproval: boolean,
  timeoutMs: number,
): Promise<JobState | null> {
  const spinner = new Spinner(io.stderr, `Job ${jobId}: waiting for its first state...`);
  const timeout = AbortSignal.timeout(timeoutMs);
  let last: JobState | null = null;
  try {
    for await (const { batchJobStatusChanged: job } of client.subscribe(
      BatchJobStatusChangedDocument,
      { id: jobId },
      { signal: timeout },
    )) {
      const changed = !last || describe(last) !== describe(job);
      last = job;
      if (changed) {
        if (io.stderr.isTTY) spinner.update(`Job ${jobId}: ${describe(job)}`);
        else io.stderr.write(`Job ${jobId}: ${describe(job)}\n`);
      }
      if (TERMINAL.has(job.status) || (job.status === "PENDING_APPROVAL" && !waitApproval)) break;
    }
  } finally {
    spinner.done(last ? `Job ${jobId}: ${describe(last)}` : undefined);
  }
  if (timeout.aborted && (!last || !TERMINAL.has(last.status))) {
    io.stderr.write(
      `Job ${jobId}: still ${last ? describe(last) : "unknown"} after ${Math.round(timeoutMs / 1000)} s; stopped following.\n`,
    );
  }
  return last;
}

export async function run(argv: readonly string[], io: ScriptIo): Promise<number> {
  return runScript(io, USAGE, async () => {
    const { values } = parseOptions(argv, {
      group: { type: "string" },
      file: { type: "string" },
      policy: { type: "string" },
      name: { type: "string" },
      "encryption-cert": { type: "string" },
      "check-only": { type: "boolean" },
      "no-follow": { type: "boolean" },
      "wait-approval": { type: "boolean" },
      timeout: { type: "string" },
      format: { type: "string" },
    });
    if (values.help) return printUsage(io, USAGE);
    if (!values.group) throw new UsageError("--group is required.");
    if (!values.file) throw new UsageError("--file is required.");
    const format = choiceOption(values.format, "format", FORMATS, "table");
    const timeoutMs = intOption(values.timeout, "timeout", 900, 1, 7 * 86_400) * 1000;
    const path = resolve(io.cwd, values.file);
    const size = (await stat(path)).size;
    const encryptionCertificate = values["encryption-cert"]
      ? await readFile(resolve(io.cwd, values["encryption-cert"]), "utf8")
      : null;

    const client = gatewayClient(io);
    try {
      const { group, policy } = await findPolicy(client, values.group, values.policy);
      const serverSide = encryptionCertificate !== null;
      if (serverSide && !policy.serverSideKeyGeneration)
        throw new Error(`The policy ${policy.policyId} does not let DigiCert generate keys.`);
      if (!serverSide && !policy.clientSideKeyGeneration) {
        throw new UsageError(
          `The policy ${policy.policyId} takes no CSRs: pass --encryption-cert for server-side keys.`,
        );
      }

      const head = new Uint8Array(await (await openAsBlob(path)).slice(0, 4).arrayBuffer());
      const isZip = head[0] === 0x50 && head[1] === 0x4b;
      if (isZip) io.stderr.write("The file is a ZIP: the gateway checks it on upload.\n");
      else {
        const problems = checkBatchCsv(await readFile(path, "utf8"), {
          columns: policy.templateColumns,
          serverSideKeyGeneration: serverSide,
        });
        if (problems.length > 0) {
          printProblems(
            io,
            problems,
            `${values.file} does not fit the template of ${policy.name ?? policy.policyId}; nothing was sent`,
          );
          throw new ReportedFailure("the file was refused");
        }
        io.stderr.write(`${values.file} fits the template of ${policy.name ?? policy.policyId}.\n`);
      }
      if (values["check-only"]) return EXIT_OK;

      const file = new File([await openAsBlob(path)], basename(path), {
        type: isZip ? "application/zip" : "text/csv",
      });
      const bar = new ProgressBar(io.stderr, "Uploading");
      const { createDeviceRegistrationBatch } = await client.request(
        CreateDeviceRegistrationBatchDocument,
        {
          input: {
            deviceGroupId: group.groupId,
            certificatePolicyId: policy.policyId,
            name: values.name ?? basename(path),
            file,
            ...(encryptionCertificate ? { serverSideKeyGeneration: { encryptionCertificate } } : {}),
          },
        },
        { onUploadProgress: (sent, total) => bar.update(sent, total) },
      );
      bar.done();
      if (createDeviceRegistrationBatch.__typename === "InvalidBatchFileError") {
        printProblems(
          io,
          createDeviceRegistrationBatch.problems,
          `The gateway refused ${values.file}; nothing was sent to DigiCert`,
        );
        throw new ReportedFailure("the file was refused");
      }
      const created = expectResult(createDeviceRegistrationBatch, "DeviceRegistrationBatchCreated");
      io.stderr.write(`Uploaded ${size} bytes: job ${created.jobId}.\n`);
      if (values["no-follow"]) {
        io.stdout.write(`${JSON.stringify({ jobId: created.jobId })}\n`);
        return EXIT_OK;
      }

      const last = await follow(client, io, created.jobId, values["wait-approval"] ?? false, timeoutMs);
      const { batchJob } = await client.request(DtmBatchJobReportDocument, { id: created.jobId });
      if (!batchJob || batchJob.__typename !== "DtmBatchJob")
        throw new Error(`Job ${created.jobId} is gone.`);
      const registrations = batchJob.registrations ?? [];
      if (format === "json") {
        const { jobId, status, totalCount, successCount, failedCount } = batchJob;
        const failureReason = batchJob.report.failureReason ?? null;
        const report = { jobId, status, totalCount, successCount, failedCount, failureReason, registrations };
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        io.stdout.write(`Job ${batchJob.jobId}: ${describe(batchJob)}\n`);
        if (batchJob.report.failureReason) io.stdout.write(`Failure: ${batchJob.report.failureReason}\n`);
        if (registrations.length > 0) {
          io.stdout.write(
            formatTable(
              ["ROW", "DEVICE", "STATUS", "DEVICE ID", "ERROR"],
              registrations.map((r) => [
                r.row,
                r.deviceName,
                r.status,
                r.deviceId,
                r.errorMessage ? `${r.errorCode ?? ""} ${r.errorMessage}`.trim() : "",
              ]),
            ),
          );
        } else if (!last || !TERMINAL.has(last.status))
          io.stdout.write("The per-row report comes once every row is processed.\n");
      }
      const ok =
        batchJob.status === "COMPLETE" ||
        (batchJob.status === "PENDING_APPROVAL" && !values["wait-approval"]);
      return ok && registrations.every((r) => r.status === "SUCCESS") ? EXIT_OK : EXIT_FAILURE;
    } finally {
      await client.close();
    }
  });
}

if (isEntry(import.meta.url)) await main(run);
