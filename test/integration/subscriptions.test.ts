import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { IOT_DEVICE_FIELD_IDS, IOT_PROFILE_IDS } from "../../simulator/index.js";
import { generateCsr } from "../helpers/pki.js";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
let token: string;
beforeAll(async () => {
  stack = await startStack({ simulator: { batchStepMs: 150 } });
  token = await stack.token();
});
afterAll(async () => {
  await stack?.close();
});

const POLLS = "GET /iot/api/v1/batch-enroll/:job_id";
const SUBSCRIPTION = `subscription($id: ID!) { batchJobStatusChanged(id: $id) { jobId status totalCount successCount failedCount } }`;

/** A client-side batch on the approval profile: it waits in PENDING_APPROVAL until approved. */
async function pendingJob(name: string): Promise<string> {
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
  const res = await fetch(stack.url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = (await res.json()) as any;
  expect(body.data.createIotBatchEnrollment.job.status).toBe("PENDING_APPROVAL");
  return body.data.createIotBatchEnrollment.job.jobId;
}

async function approve(jobId: string) {
  const res = await stack.gql<any>(`mutation($id: ID!) { approveIotBatchJob(id: $id) { __typename } }`, {
    id: jobId,
  });
  expect(res.data.approveIotBatchJob.__typename).toBe("IotBatchJobApproved");
}

/** Reads an SSE subscription (yoga's GraphQL over SSE, single connection mode) until it completes. */
/** Each event's status and counts, as `STATUS total/success/failed` (an event comes when any of them changes). */
async function sse(jobId: string, onFirst?: () => void): Promise<string[]> {
  const res = await fetch(stack.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: SUBSCRIPTION, variables: { id: jobId } }),
  });
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const statuses: string[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").find((line) => line.startsWith("data:"));
      if (event.startsWith("event: complete")) return statuses;
      if (data && data.length > 6) {
        const payload = JSON.parse(data.slice(5));
        if (payload.errors) throw new Error(JSON.stringify(payload.errors));
        const job = payload.data.batchJobStatusChanged;
        statuses.push(`${job.status} ${job.totalCount}/${job.successCount}/${job.failedCount}`);
        if (statuses.length === 1) onFirst?.();
      }
      end = buffer.indexOf("\n\n");
    }
  }
  return statuses;
}

describe("Subscription.batchJobStatusChanged", () => {
  it("streams over SSE: the current state first, then each change, then completes at COMPLETE", async () => {
    const jobId = await pendingJob("sse-1.iot.example.com");
    const events = await sse(jobId, () => void approve(jobId));
    expect(events[0]).toMatch(/^PENDING_APPROVAL /);
    expect(events.at(-1)).toMatch(/^COMPLETE /);
    expect(new Set(events).size).toBe(events.length); // no unchanged repeats: status or counts differ each time
  });

  it("streams over graphql-ws on the same path, and polls once for several subscribers", async () => {
    const jobId = await pendingJob("ws-1.iot.example.com");
    const client = createClient({
      url: stack.url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const listen = () =>
      new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        client.subscribe<{ batchJobStatusChanged: { status: string } }>(
          { query: SUBSCRIPTION, variables: { id: jobId } },
          {
            next: (v) => void seen.push(v.data!.batchJobStatusChanged.status),
            error: reject,
            complete: () => resolve(seen),
          },
        );
      });
    stack.simulator.resetCounters();
    const three = [listen(), listen(), listen()];
    await new Promise((r) => setTimeout(r, 600));
    // Three independent pollers at 50-200 ms would make 15 or more reads in 600 ms; one makes about 6.
    expect(stack.simulator.requestCount(POLLS)).toBeLessThanOrEqual(8);
    await approve(jobId);
    const results = await Promise.all(three);
    for (const statuses of results) {
      expect(statuses[0]).toBe("PENDING_APPROVAL");
      expect(statuses.at(-1)).toBe("COMPLETE");
    }
    await client.dispose();
  });

  it("stops polling when the last subscriber leaves", async () => {
    const jobId = await pendingJob("leave-1.iot.example.com");
    const client = createClient({
      url: stack.url.href.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    });
    const unsubscribe = client.subscribe(
      { query: SUBSCRIPTION, variables: { id: jobId } },
      {
        next: () => undefined,
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    unsubscribe();
    await client.dispose();
    await new Promise((r) => setTimeout(r, 100));
    const after = stack.simulator.requestCount(POLLS);
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.simulator.requestCount(POLLS)).toBe(after);
  });

  it("answers a job the tenant cannot see with REQUEST_NOT_FOUND, and needs the batch-jobs scope", async () => {
    const first = async (bearer: string) => {
      const client = createClient({
        url: stack.url.href.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${bearer}` },
        retryAttempts: 0,
      });
      try {
        return await new Promise<unknown>((resolve) => {
          client.subscribe(
            { query: SUBSCRIPTION, variables: { id: "00000000-0000-4000-8000-000000000000" } },
            { next: resolve, error: resolve, complete: () => resolve(null) },
          );
        });
      } finally {
        await client.dispose();
      }
    };
    expect(JSON.stringify(await first(token))).toContain("REQUEST_NOT_FOUND");
    expect(JSON.stringify(await first(await stack.token({ scope: "certificates:read" })))).toContain(
      "FORBIDDEN",
    );
  });
});
