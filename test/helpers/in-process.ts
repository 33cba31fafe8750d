import { graphql } from "graphql";
import { LRUCache } from "lru-cache";
import { pino } from "pino";
import { createContext, type Services } from "../../src/context.js";
import { DtmClient } from "../../src/datasources/dtm/client.js";
import type { UpstreamRequest, UpstreamResponse } from "../../src/datasources/http.js";
import { IotClient } from "../../src/datasources/iot/client.js";
import type { TlmClient } from "../../src/datasources/tlm/client.js";
import { schema } from "../../src/schema/index.js";
import { IdempotencyStore } from "../../src/stores/idempotency.js";
import { createParsedCertificateCache } from "../../src/stores/parsed-certificates.js";
import { createReportCache } from "../../src/stores/reports.js";
import type { GqlResult } from "./stack.js";

/** A stand-in DigiCert: answers each request by its operation (e.g. `iot.listCertificates`), JSON only. */
export type FakeUpstream = (req: UpstreamRequest) => unknown;

export interface InProcess {
  /** Runs an operation against the real schema, the real IoT and DTM clients, and `answer` as DigiCert. */
  run<T = any>(source: string, variables?: Record<string, unknown>): Promise<GqlResult<T>>;
  /** Every request the clients made, as `operation`. */
  calls: string[];
  /** What the gateway logged (pino JSON lines). */
  logs: string[];
}

/**
 * The schema over the real product clients, with DigiCert replaced by `answer` (its return value is the 200 JSON
 * body; throw to fail). For shapes the simulator does not produce: envelopes, loose values, unreadable items.
 */
export function inProcess(
  answer: FakeUpstream,
  scopes: readonly string[] = [
    "certificates:read",
    "certificates:write",
    "keys:generate",
    "batch-jobs",
    "devices",
  ],
): InProcess {
  const calls: string[] = [];
  const logs: string[] = [];
  const http = {
    async request(req: UpstreamRequest): Promise<UpstreamResponse> {
      calls.push(req.operation);
      return { status: 200, json: await answer(req) };
    },
  };
  const services: Services = {
    tlm: {} as TlmClient,
    iot: new IotClient(http),
    dtm: new DtmClient(http),
    reports: createReportCache(),
    jobKinds: new LRUCache({ max: 10 }),
    jobs: {} as Services["jobs"],
    jobScope: "default",
    idempotency: new IdempotencyStore(),
    tenantScope: "default",
    parsedCertificates: createParsedCertificateCache(),
  };
  const viewer = {
    subject: "tester",
    tenant: "default",
    scopes: new Set(scopes),
    expiresAt: Math.floor(Date.now() / 1000) + 600,
  };
  const logger = pino({ level: "trace" }, { write: (line: string) => void logs.push(line) });
  return {
    calls,
    logs,
    async run(source, variables) {
      const result = await graphql({
        schema,
        source,
        variableValues: variables ?? {},
        contextValue: createContext(viewer, services, logger),
      });
      return JSON.parse(
        JSON.stringify({
          ...result,
          // The code app.ts's maskError gives a domain error as extensions.code (yoga is not in this path).
          errors: result.errors?.map((error) => ({
            message: error.message,
            path: error.path,
            extensions: { code: (error.originalError as { code?: unknown } | undefined)?.code ?? null },
          })),
        }),
      ) as never;
    },
  };
}
