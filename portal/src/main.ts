/**
 * The portal page (served at /portal by src/http/portal.ts): the certificate inventory with parsed X.509 details,
 * batch jobs followed live over graphql-ws, and a DTM CSV upload checked against the policy's template before
 * anything is sent. It talks to the gateway only, through the typed client (clients/typescript/src/client.ts).
 * Every value reaches the DOM as text (textContent), never as markup.
 */
import { GatewayClient, isResultError } from "../../clients/typescript/src/client.js";
import { type BatchCsvProblem, checkBatchCsv } from "../../clients/typescript/src/csv.js";
import {
  CreateDeviceRegistrationBatchDocument,
  DeviceGroupPoliciesDocument,
  type DeviceGroupPoliciesQuery,
  DtmBatchJobReportDocument,
} from "../../clients/typescript/src/generated/graphql.js";
import {
  type CertificateFilter,
  type CertificateSearchStatus,
  PortalBatchJobsDocument,
  type PortalBatchJobsQuery,
  PortalBatchJobsStatusChangedDocument,
  PortalCertificateDocument,
  type PortalCertificateQuery,
  PortalCertificatesDocument,
  type PortalCertificatesQuery,
  PortalProfilesDocument,
} from "./generated/graphql.js";

/** What the gateway injects into the page (a JSON data block, never code). */
interface PortalConfig {
  endpoint: string;
  /** The development token (simulator only); absent: the page asks for one. */
  token?: string;
}

const TOKEN_KEY = "portal.token";
const DAY_MS = 86_400_000;
const PAGE_SIZE = 25;
/** Statuses after which a job never changes (the subscription completes). */
const TERMINAL = new Set(["COMPLETE", "FAILED", "TERMINATED", "REJECTED"]);

type Job = PortalBatchJobsQuery["batchJobs"]["edges"][number]["node"];
type Certificate = PortalCertificatesQuery["certificates"]["edges"][number]["node"];
type Group = DeviceGroupPoliciesQuery["deviceGroups"][number];
type Policy = Group["certificatePolicies"][number];

const config = readConfig();
let token: string | null = config.token ?? sessionStorage.getItem(TOKEN_KEY);
const client = new GatewayClient({ url: new URL(config.endpoint, location.href), token: () => token });

function readConfig(): PortalConfig {
  const text = document.getElementById("portal-config")?.textContent ?? "";
  const parsed = (text ? JSON.parse(text) : {}) as Partial<PortalConfig>;
  return { endpoint: parsed.endpoint ?? "/graphql", ...(parsed.token ? { token: parsed.token } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// DOM helpers
// ---------------------------------------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

type Child = Node | string | number | null | undefined;

/** An element with attributes and children; strings become text nodes. */
function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(typeof child === "object" ? child : String(child));
  }
  return element;
}

function status(value: string): HTMLElement {
  return h("span", { class: `status status-${value}`, "data-status": value }, value);
}

function date(value: string | null | undefined): string {
  return value ? value.slice(0, 10) : "";
}

function showError(error: unknown): void {
  const box = $("error");
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

function clearError(): void {
  $("error").hidden = true;
}

/** Runs an action, showing its failure instead of throwing it. */
function guarded<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => void {
  return (...args) => {
    clearError();
    action(...args).catch(showError);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Access: the injected development token, or one pasted here (sessionStorage, this tab only)
// ---------------------------------------------------------------------------------------------------------------

function renderAuth(): void {
  const auth = $("auth");
  auth.replaceChildren();
  if (config.token) {
    auth.append("Development token");
  } else if (token) {
    const forget = h("button", { type: "button", id: "token-forget" }, "Forget token");
    forget.addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      token = null;
      void client.close();
      renderAuth();
    });
    auth.append(forget);
  }
  $("token-form").hidden = token !== null;
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("token-input");
  token = input.value.trim().replace(/^Bearer\s+/i, "") || null;
  input.value = "";
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  renderAuth();
  start();
});

// ---------------------------------------------------------------------------------------------------------------
// Tabs
// ---------------------------------------------------------------------------------------------------------------

const tabs = document.querySelectorAll<HTMLButtonElement>("nav button[data-tab]");
for (const tab of tabs) {
  tab.addEventListener("click", () => {
    for (const other of tabs) other.setAttribute("aria-pressed", String(other === tab));
    for (const panel of document.querySelectorAll<HTMLElement>("[data-panel]"))
      panel.hidden = panel.id !== tab.dataset["tab"];
    if (tab.dataset["tab"] === "jobs") refreshJobs();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Inventory
// ---------------------------------------------------------------------------------------------------------------

let inventoryCursor: string | null = null;
let inventoryFilter: CertificateFilter = {};

function currentFilter(): CertificateFilter {
  const filter: CertificateFilter = {};
  const commonName = $<HTMLInputElement>("inv-cn").value.trim();
  const state = $<HTMLSelectElement>("inv-status").value;
  const profile = $<HTMLSelectElement>("inv-profile").value;
  const days = $<HTMLInputElement>("inv-days").value;
  if (commonName) filter.commonName = commonName;
  if (state) filter.status = state as CertificateSearchStatus;
  if (profile) filter.profileId = profile;
  if (days !== "") filter.expiresBefore = new Date(Date.now() + Number(days) * DAY_MS).toISOString();
  return filter;
}

async function loadProfiles(): Promise<void> {
  const { profiles } = await client.request(PortalProfilesDocument);
  const select = $<HTMLSelectElement>("inv-profile");
  select.replaceChildren(
    h("option", { value: "" }, "any"),
    ...profiles.edges.map(({ node }) => h("option", { value: node.profileId }, node.name)),
  );
}

async function loadCertificates(more: boolean): Promise<void> {
  if (!more) {
    inventoryFilter = currentFilter();
    inventoryCursor = null;
  }
  const { certificates } = await client.request(PortalCertificatesDocument, {
    filter: inventoryFilter,
    first: PAGE_SIZE,
    after: inventoryCursor,
  });
  const body = $("inv-table").querySelector("tbody")!;
  const rows = certificates.edges.map(({ node }) => certificateRow(node));
  if (more) body.append(...rows);
  else body.replaceChildren(...rows);
  $("inv-count").textContent = `${certificates.totalCount} certificate(s)`;
  inventoryCursor = certificates.pageInfo.endCursor ?? null;
  $("inv-more").hidden = !certificates.pageInfo.hasNextPage;
}

function certificateRow(node: Certificate): HTMLElement {
  const row = h(
    "tr",
    { "data-serial": node.serialNumber },
    h("td", {}, h("code", {}, node.serialNumber)),
    h("td", {}, node.commonName),
    h("td", {}, status(node.status)),
    h("td", {}, node.profile?.name),
    h("td", {}, date(node.validTo)),
  );
  row.addEventListener(
    "click",
    guarded(async () => {
      for (const other of row.parentElement!.children) other.removeAttribute("aria-selected");
      row.setAttribute("aria-selected", "true");
      await showCertificate(node.serialNumber);
    }),
  );
  return row;
}

async function showCertificate(serialNumber: string): Promise<void> {
  const { certificate } = await client.request(PortalCertificateDocument, { serialNumber });
  const panel = $("cert-details");
  panel.replaceChildren(...certificateDetails(certificate));
  panel.hidden = false;
}

function certificateDetails(certificate: PortalCertificateQuery["certificate"]): HTMLElement[] {
  if (!certificate) return [h("p", {}, "DigiCert has no such certificate.")];
  const x = certificate.x509;
  const entries: [string, Child][] = [
    ["Serial number", certificate.serialNumber],
    ["Status", status(certificate.status)],
    ["Profile", certificate.profile?.name],
    ["Issuing CA", certificate.issuingCaName],
  ];
  if (x) {
    const key = [x.publicKey.algorithm, x.publicKey.size, x.publicKey.curve].filter(Boolean).join(" ");
    entries.push(
      ["Subject", x.subject.dn],
      ["Issuer", x.issuer.dn],
      ["Not before", x.notBefore],
      ["Not after", x.notAfter],
      ["Days until expiry", x.daysUntilExpiry],
      ["Public key", key],
      ["Signature algorithm", x.signatureAlgorithm],
      ["Subject alternative names", x.subjectAltNames.map((san) => `${san.type}:${san.value}`).join(", ")],
      ["Key usage", (x.keyUsage ?? []).join(", ")],
      ["Extended key usage", (x.extendedKeyUsage ?? []).map((eku) => eku.name ?? eku.oid).join(", ")],
      ["CA", x.basicConstraints ? String(x.basicConstraints.ca) : "no basic constraints"],
      ["Self-signed", String(x.selfSigned)],
      ["SHA-256 fingerprint", x.sha256Fingerprint],
    );
  }
  const list = h("dl", {});
  for (const [name, value] of entries) list.append(h("dt", {}, name), h("dd", { "data-field": name }, value));
  return [h("h2", {}, certificate.commonName ?? certificate.serialNumber), list];
}

$("inv-filter").addEventListener(
  "submit",
  guarded(async (event: Event) => {
    event.preventDefault();
    await loadCertificates(false);
  }),
);
$("inv-more").addEventListener(
  "click",
  guarded(() => loadCertificates(true)),
);

// ---------------------------------------------------------------------------------------------------------------
// Batch jobs, live
// ---------------------------------------------------------------------------------------------------------------

const jobs = new Map<string, Job>();
let live: AbortController | null = null;
let watched = "";

const refreshJobs = guarded(async () => {
  const { batchJobs } = await client.request(PortalBatchJobsDocument, { first: 50 });
  for (const { node } of batchJobs.edges) jobs.set(node.id, node);
  renderJobs();
  follow();
});

function renderJobs(): void {
  const body = $("jobs-table").querySelector("tbody")!;
  const sorted = [...jobs.values()].sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
  body.replaceChildren(...sorted.map(jobRow));
}

function jobRow(job: Job): HTMLElement {
  const report = h("button", { type: "button" }, "Report");
  report.addEventListener(
    "click",
    guarded(() => showReport(job.id)),
  );
  return h(
    "tr",
    { "data-job-id": job.jobId },
    h("td", {}, h("code", {}, job.jobId)),
    h("td", {}, job.name),
    h("td", {}, job.kind),
    h("td", {}, status(job.status)),
    h("td", {}, `${job.successCount ?? 0}/${job.totalCount ?? "?"}`),
    h("td", {}, job.failedCount ?? 0),
    h("td", {}, TERMINAL.has(job.status) ? report : null),
  );
}

/** One subscription for every unfinished job shown; restarted when that set changes. */
function follow(): void {
  const open = [...jobs.values()].filter((job) => !TERMINAL.has(job.status)).map((job) => job.id);
  const ids = open.slice(0, 50);
  const key = ids.join(",");
  if (key === watched) return;
  live?.abort();
  live = null;
  watched = key;
  $("jobs-live").textContent = ids.length ? `Following ${ids.length} job(s) live` : "";
  if (!ids.length) return;
  const controller = new AbortController();
  live = controller;
  void (async () => {
    try {
      for await (const { batchJobsStatusChanged: job } of client.subscribe(
        PortalBatchJobsStatusChangedDocument,
        { ids },
        { signal: controller.signal },
      )) {
        const before = jobs.get(job.id)?.status;
        jobs.set(job.id, job);
        renderJobs();
        if (TERMINAL.has(job.status) && before !== job.status) await showReport(job.id);
      }
    } catch (error) {
      if (!controller.signal.aborted) showError(error);
    } finally {
      if (live === controller) {
        live = null;
        watched = "";
        $("jobs-live").textContent = "";
      }
    }
  })();
}

async function showReport(id: string): Promise<void> {
  const { batchJob } = await client.request(DtmBatchJobReportDocument, { id });
  const panel = $("job-report");
  if (!batchJob) {
    panel.replaceChildren(h("p", {}, "DigiCert has no such job."));
    panel.hidden = false;
    return;
  }
  const children: HTMLElement[] = [
    h("h2", {}, `Report of job ${batchJob.jobId}: `, status(batchJob.status)),
    h("p", {}, `${batchJob.successCount ?? 0} of ${batchJob.totalCount ?? "?"} succeeded`),
  ];
  if (batchJob.report.failureReason)
    children.push(h("p", { class: "problem" }, batchJob.report.failureReason));
  if (batchJob.__typename === "DtmBatchJob" && batchJob.registrations) {
    children.push(
      table(
        ["Row", "Device", "Status", "Device id", "Error"],
        batchJob.registrations.map((r) => [
          r.row,
          r.deviceName,
          status(r.status),
          r.deviceId,
          [r.errorCode, r.errorMessage].filter(Boolean).join(" "),
        ]),
      ),
    );
  } else if (batchJob.report.rowErrors?.length) {
    children.push(
      table(
        ["Device", "Error"],
        batchJob.report.rowErrors.map((e) => [e.uniqueIdentifier, e.message]),
      ),
    );
  }
  panel.replaceChildren(...children);
  panel.dataset["jobId"] = batchJob.jobId;
  panel.hidden = false;
}

function table(head: string[], rows: Child[][]): HTMLElement {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...head.map((name) => h("th", {}, name)))),
    h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))),
  );
}

$("jobs-refresh").addEventListener("click", () => refreshJobs());
// Jobs started elsewhere (a script, another tab) show up within this while the tab is open; known ones are live.
const JOBS_REFRESH_MS = 15_000;
setInterval(() => {
  if (token && !$("jobs").hidden && document.visibilityState === "visible") refreshJobs();
}, JOBS_REFRESH_MS);

// ---------------------------------------------------------------------------------------------------------------
// Upload: the pre-flight check against the policy's template, then a multipart request with progress
// ---------------------------------------------------------------------------------------------------------------

let groups: Group[] = [];
/** The checked file, when it fits the template. */
let checkedFile: File | null = null;

async function loadGroups(): Promise<void> {
  ({ deviceGroups: groups } = await client.request(DeviceGroupPoliciesDocument));
  $<HTMLSelectElement>("up-group").replaceChildren(
    ...groups.map((group) => h("option", { value: group.groupId }, group.name)),
  );
  renderPolicies();
}

/** Policies that take a CSV with client-side keys (a csr column). */
function batchPolicies(group: Group | undefined): Policy[] {
  return (group?.certificatePolicies ?? []).filter(
    (p) => p.managementMethods.includes("BATCH") && p.clientSideKeyGeneration,
  );
}

function selectedPolicy(): Policy | undefined {
  const group = groups.find((g) => g.groupId === $<HTMLSelectElement>("up-group").value);
  const id = $<HTMLSelectElement>("up-policy").value;
  return batchPolicies(group).find((p) => p.policyId === id);
}

function renderPolicies(): void {
  const group = groups.find((g) => g.groupId === $<HTMLSelectElement>("up-group").value);
  $<HTMLSelectElement>("up-policy").replaceChildren(
    ...batchPolicies(group).map((policy) => h("option", { value: policy.policyId }, policy.name)),
  );
  guarded(checkFile)();
}

/** The page's own pre-flight problems, or the gateway's (InvalidBatchFileError.problems), by row and column. */
type Problem = Pick<BatchCsvProblem, "message"> & { row?: number | null; column?: string | null };

function renderProblems(problems: readonly Problem[], source: string): void {
  const box = $("up-problems");
  box.hidden = problems.length === 0;
  box.replaceChildren(
    h("p", { class: "problem" }, `${source}: ${problems.length} problem(s); nothing was sent.`),
    table(
      ["Row", "Column", "Problem"],
      problems.map((p) => [p.row ?? "file", p.column ?? "", p.message]),
    ),
  );
}

async function checkFile(): Promise<void> {
  checkedFile = null;
  $<HTMLButtonElement>("up-send").disabled = true;
  $("up-result").textContent = "";
  const policy = selectedPolicy();
  $("up-template").textContent = policy
    ? `Template: ${policy.templateColumns.map((c) => (c.required ? `${c.name}*` : c.name)).join(", ")}`
    : "";
  const file = $<HTMLInputElement>("up-file").files?.[0];
  if (!policy || !file) {
    renderProblems([], "");
    return;
  }
  if (!$<HTMLInputElement>("up-name").value) $<HTMLInputElement>("up-name").value = file.name;
  const problems = checkBatchCsv(await file.text(), {
    columns: policy.templateColumns,
    serverSideKeyGeneration: false,
  });
  renderProblems(problems, `${file.name} does not fit the template`);
  if (problems.length === 0) {
    checkedFile = file;
    $("up-result").textContent = `${file.name} fits the template.`;
    $<HTMLButtonElement>("up-send").disabled = false;
  }
}

/** fetch over XMLHttpRequest, for upload progress (browsers' fetch cannot stream a request body over HTTP/1.1). */
function xhrFetch(onProgress: (sent: number, total: number) => void): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(init?.method ?? "POST", String(input));
      for (const [name, value] of new Headers(init?.headers).entries()) xhr.setRequestHeader(name, value);
      xhr.responseType = "arraybuffer";
      xhr.upload.addEventListener("progress", (e) => onProgress(e.loaded, e.total));
      xhr.addEventListener("load", () => {
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
          const colon = line.indexOf(":");
          if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
        resolve(new Response(xhr.response as ArrayBuffer, { status: xhr.status, headers }));
      });
      xhr.addEventListener("error", () => reject(new TypeError("The upload failed.")));
      xhr.addEventListener("abort", () => reject(new DOMException("The upload was aborted.", "AbortError")));
      xhr.send(init?.body as XMLHttpRequestBodyInit);
    });
}

async function upload(): Promise<void> {
  const file = checkedFile;
  const policy = selectedPolicy();
  if (!file || !policy) return;
  const progress = $<HTMLProgressElement>("up-progress");
  progress.hidden = false;
  progress.value = 0;
  $<HTMLButtonElement>("up-send").disabled = true;
  const uploader = new GatewayClient({
    url: new URL(config.endpoint, location.href),
    token: () => token,
    fetch: xhrFetch((sent, total) => (progress.value = total ? sent / total : 0)),
  });
  const { createDeviceRegistrationBatch: result } = await uploader.request(
    CreateDeviceRegistrationBatchDocument,
    {
      input: {
        deviceGroupId: $<HTMLSelectElement>("up-group").value,
        certificatePolicyId: policy.policyId,
        name: $<HTMLInputElement>("up-name").value,
        file,
      },
    },
  );
  if (result.__typename === "InvalidBatchFileError") {
    renderProblems(result.problems, `The gateway refused ${file.name}`);
    return;
  }
  if (isResultError(result)) {
    $("up-result").textContent = `${result.code}: ${result.message}`;
    return;
  }
  if (result.__typename !== "DeviceRegistrationBatchCreated") return;
  $("up-result").textContent = `Job ${result.jobId} created: ${result.job?.status ?? "PENDING"}`;
  checkedFile = null;
  $<HTMLInputElement>("up-file").value = "";
  document.querySelector<HTMLButtonElement>('nav button[data-tab="jobs"]')!.click();
}

$("up-group").addEventListener("change", renderPolicies);
$("up-policy").addEventListener("change", guarded(checkFile));
$("up-file").addEventListener("change", guarded(checkFile));
$("up-form").addEventListener(
  "submit",
  guarded(async (event: Event) => {
    event.preventDefault();
    await upload();
  }),
);

// ---------------------------------------------------------------------------------------------------------------

function start(): void {
  if (!token) return;
  guarded(async () => {
    await Promise.all([loadProfiles(), loadCertificates(false), loadGroups()]);
    document.body.dataset["ready"] = "true";
  })();
}

renderAuth();
start();
