import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { JOB_SUBSCRIPTION, pendingIotJob, readJobSse } from "../helpers/jobs.js";
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
const SUBSCRIPTION = JOB_SUBSCRIPTION;

const pendingJob = (name: string) => pendingIotJob(stack.url, token, name);

async function approve(jobId: string) {
  const res = await stack.gql<any>(`mutation($id: ID!) { approveIotBatchJob(id: $id) { __typename } }`, {
    id: jobId,
  });
  expect(res.data.approveIotBatchJob.__typename).toBe("IotBatchJobApproved");
}

async function sse(jobId: string, onFirst?: () => void): Promise<string[]> {
  const { events, completed } = await readJobSse(stack.url, token, jobId, onFirst);
  expect(completed).toBe(true);
  return events;
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
