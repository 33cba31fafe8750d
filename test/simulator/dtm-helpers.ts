import { FormData, request } from "undici";
import { DEFAULT_API_KEY, type Simulator } from "../../simulator/index.js";
import { api, type ApiResult } from "./helpers.js";

export const DTM_JOBS = "/devicetrustmanager/certificate-batch-service/api/v1/jobs";
export const DTM_DEVICES = "/devicetrustmanager/api/v4/device";
export const DTM_REGISTRATION = "/devicetrustmanager/api/v4/device/registration";

export interface FormFile {
  readonly name: string;
  readonly data: string | Uint8Array;
  readonly fileName?: string;
}

export interface UploadOptions {
  readonly apiKey?: string;
  /** Appended to the path, e.g. "?job_type=device_registration" (the docs' curl puts job_type there). */
  readonly query?: string;
  readonly path?: string;
}

/** POST .../jobs as multipart/form-data; fields go first, then the files, as curl --form sends them. */
export async function uploadDtmJob(
  sim: Simulator,
  fields: Record<string, string>,
  files: readonly FormFile[],
  options: UploadOptions = {},
): Promise<ApiResult> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const file of files) {
    const data = typeof file.data === "string" ? file.data : new Uint8Array(file.data);
    form.append(file.name, new Blob([data]), file.fileName ?? "data.csv");
  }
  const response = await request(`${sim.url}${options.path ?? DTM_JOBS}${options.query ?? ""}`, {
    method: "POST",
    headers: { "x-api-key": options.apiKey ?? DEFAULT_API_KEY },
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

/** The data file part. */
export function dataFile(data: string | Uint8Array, fileName = "devices.csv"): FormFile {
  return { name: "data", data, fileName };
}

/** A CSV cell, quoted so PEM line breaks survive. */
export function cell(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

export function csv(lines: readonly (readonly string[])[]): string {
  return `${lines.map((line) => line.map(cell).join(",")).join("\r\n")}\r\n`;
}

const FINAL = ["COMPLETE", "FAILED", "REJECTED", "TERMINATED"];

/** Polls GET .../jobs/{id} until `status`, recording every status seen; fails on another final status or timeout. */
export async function waitForDtmJob(
  sim: Simulator,
  id: string,
  status: string,
  seen: string[] = [],
  timeoutMs = 10_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await api(sim, `${DTM_JOBS}/${id}`);
    const current = job.json?.status as string | undefined;
    if (current && seen.at(-1) !== current) seen.push(current);
    if (current === status) return job.json;
    if ((current && FINAL.includes(current)) || Date.now() > deadline) {
      throw new Error(`job ${id} is ${JSON.stringify(job.json)} while waiting for ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Parses the simulator's CSV report (quoted cells may hold commas and quotes, not line breaks). */
export function parseReport(text: string): Record<string, string>[] {
  const lines = text.split("\r\n").filter((line) => line !== "");
  const split = (line: string): string[] => {
    const cells: string[] = [];
    let current = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const char = line[i]!;
      if (quoted) {
        if (char === '"' && line[i + 1] === '"') {
          current += '"';
          i++;
        } else if (char === '"') quoted = false;
        else current += char;
      } else if (char === '"') quoted = true;
      else if (char === ",") {
        cells.push(current);
        current = "";
      } else current += char;
    }
    cells.push(current);
    return cells;
  };
  const [header, ...rows] = lines.map(split);
  return rows.map((row) => Object.fromEntries(header!.map((name, index) => [name, row[index] ?? ""])));
}
