import { IOT_DEVICE_FIELD_IDS, IOT_PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "./pki.js";

export const JOB_SUBSCRIPTION = `subscription($id: ID!) { batchJobStatusChanged(id: $id) { jobId status totalCount successCount failedCount } }`;

/** A client-side IoT batch on the approval profile: it waits in PENDING_APPROVAL until approved. Returns its job id. */
export async function pendingIotJob(url: URL, token: string, name: string): Promise<string> {
  const { pem } = await generateCsr({ subject: `CN=${name}` });
  // The approval profile also requires its Site device attribute.
  const csv = `csr,subject.common_name,DEVICE_IDENTIFIER,${IOT_DEVICE_FIELD_IDS.site}\r\n"${pem}",${name},${name.split(".")[0]},Plant 7\r\n`;
  const form = new FormData();
  const query = `mutation($input: CreateIotBatchEnrollmentInput!) { createIotBatchEnrollment(input: $input) {
    __typename ... on IotBatchEnrollmentCreated { job { jobId status } } ... on Error { code message } } }`;
  const input = {
    enrollmentProfileId: IOT_PROFILE_IDS.factoryBatch,
    keyGeneration: "CLIENT_SIDE",
    certificateFormat: "JSON",
    file: null,
  };
  form.set("operations", JSON.stringify({ query, variables: { input } }));
  form.set("map", JSON.stringify({ 0: ["variables.input.file"] }));
  form.set("0", new Blob([csv], { type: "text/csv" }), "devices.csv");
  const res = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await res.json()) as {
    data?: { createIotBatchEnrollment?: { job?: { jobId: string; status: string } } };
  };
  const job = body.data?.createIotBatchEnrollment?.job;
  if (job?.status !== "PENDING_APPROVAL") throw new Error(`no pending job: ${JSON.stringify(body)}`);
  return job.jobId;
}

/**
 * Reads a batchJobStatusChanged SSE stream (yoga's GraphQL over SSE, distinct connections mode) until it ends: each
 * event as `STATUS total/success/failed` (an event comes when any of them changes), and whether `event: complete` came.
 */
export async function readJobSse(
  url: URL,
  token: string,
  jobId: string,
  onFirst?: () => void,
): Promise<{ events: string[]; completed: boolean }> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: JOB_SUBSCRIPTION, variables: { id: jobId } }),
  });
  if (!res.headers.get("content-type")?.includes("text/event-stream")) {
    throw new Error(`not an event stream: ${res.status} ${await res.text()}`);
  }
  const events: string[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (event.startsWith("event: complete")) return { events, completed: true };
      const data = event.split("\n").find((line) => line.startsWith("data:"));
      if (data && data.length > 6) {
        const payload = JSON.parse(data.slice(5));
        if (payload.errors) throw new Error(JSON.stringify(payload.errors));
        const job = payload.data.batchJobStatusChanged;
        events.push(`${job.status} ${job.totalCount}/${job.successCount}/${job.failedCount}`);
        if (events.length === 1) onFirst?.();
      }
      end = buffer.indexOf("\n\n");
    }
  }
  return { events, completed: false };
}
