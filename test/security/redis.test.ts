/**
 * What reaches the shared store (REDIS_URL): after idempotent enrollments with server-side keys, rate-limited calls,
 * a job subscription and a report, every key and value in Redis is read back; none holds a private key, a PKCS#12
 * password, the upstream API key, the caller's token, the tenant name or the subject.
 */
import "reflect-metadata";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_API_KEY, IOT_PROFILE_IDS, PROFILE_IDS } from "../../simulator/index.js";
import { pendingIotJob, readJobSse } from "../helpers/jobs.js";
import { generateCsr } from "../helpers/pki.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { type Stack, startStack } from "../helpers/stack.js";

let redis: TestRedis;
let stack: Stack;
const TENANT = "acme-secret-tenant";
const SUBJECT = "alice-subject-name";
const PASSWORD = "P12PwNeverStored9";

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({
    simulator: { seedCertificates: 4, batchStepMs: 50 },
    tenants: { [TENANT]: { kind: "apiKey", apiKey: DEFAULT_API_KEY } },
    app: { sharedStore: { url: redis.url, keyPrefix: "sec:" } },
  });
});
afterAll(async () => {
  await stack?.close();
  await redis?.stop();
});

/** Every key in Redis and what it holds (strings, hashes, sorted sets: whatever the stores made), as one text. */
async function everythingInRedis(): Promise<string> {
  const client = new Redis(redis.url);
  try {
    const keys = await client.keys("*");
    const parts: string[] = [];
    for (const key of keys) {
      parts.push(key);
      const type = await client.type(key);
      if (type === "string") parts.push((await client.get(key)) ?? "");
      else if (type === "hash") parts.push(JSON.stringify(await client.hgetall(key)));
      else if (type === "zset") parts.push(JSON.stringify(await client.zrange(key, 0, -1, "WITHSCORES")));
      else if (type === "set") parts.push(JSON.stringify(await client.smembers(key)));
      else if (type === "list") parts.push(JSON.stringify(await client.lrange(key, 0, -1)));
    }
    return parts.join("\n");
  } finally {
    client.disconnect();
  }
}

describe("the shared store", () => {
  it("holds no private key, password, API key, token, tenant or subject name", async () => {
    const token = await stack.token({ sub: SUBJECT, tenant: TENANT });
    const enrolled = await stack.gql<any>(
      `mutation($input: EnrollDeviceCertificateInput!) { enrollDeviceCertificate(input: $input) {
        __typename ... on ValidationError { field message } ... on DeviceCertificateEnrolled { privateKey { __typename ... on Pkcs12Bundle { base64 } } } } }`,
      {
        input: {
          enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
          serverSideKeyGeneration: { privateKeyFormat: "PKCS12", keyType: "P_256", pkcs12Password: PASSWORD },
          certificateAttributes: [{ id: "subject.common_name", value: "sec-1.iot.example.com" }],
          deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "sec-1" }],
          idempotencyKey: `sec-${randomUUID()}`,
        },
      },
      { token },
    );
    expect(enrolled.data?.enrollDeviceCertificate, JSON.stringify(enrolled)).toHaveProperty("privateKey");
    const bundle = enrolled.data.enrollDeviceCertificate.privateKey.base64 as string;
    expect(bundle.length).toBeGreaterThan(100);

    const pemKey = await stack.gql<any>(
      `mutation($input: EnrollDeviceCertificateInput!) { enrollDeviceCertificate(input: $input) {
        ... on DeviceCertificateEnrolled { privateKey { ... on PemPrivateKey { pem } } } } }`,
      {
        input: {
          enrollmentProfileId: IOT_PROFILE_IDS.deviceServerKeys,
          serverSideKeyGeneration: { privateKeyFormat: "PEM", keyType: "P_256" },
          certificateAttributes: [{ id: "subject.common_name", value: "sec-2.iot.example.com" }],
          deviceAttributes: [{ id: "DEVICE_IDENTIFIER", value: "sec-2" }],
          idempotencyKey: `sec-${randomUUID()}`,
        },
      },
      { token },
    );
    const keyPem = pemKey.data.enrollDeviceCertificate.privateKey.pem as string;
    expect(keyPem).toContain("PRIVATE KEY");

    const { pem: csr } = await generateCsr({ subject: "CN=sec-3.example.com" });
    const issued = await stack.gql<any>(
      `mutation($input: RequestCertificateInput!) { requestCertificate(input: $input) { __typename } }`,
      {
        input: { profileId: PROFILE_IDS.webServer, seatId: "ops@example.com", csr, idempotencyKey: "sec-3" },
      },
      { token },
    );
    expect(issued.data.requestCertificate.__typename).toBe("CertificateIssued");

    const jobId = await pendingIotJob(stack.url, token, "sec-job.iot.example.com");
    await readJobSse(stack.url, token, jobId, () => {
      void stack.gql(
        `mutation($id: ID!) { approveIotBatchJob(id: $id) { __typename } }`,
        { id: jobId },
        { token },
      );
    });
    await stack.gql(`query($id: ID!) { batchJob(id: $id) { status } }`, { id: jobId }, { token });

    const stored = await everythingInRedis();
    expect(stored).toContain("sec:idem:"); // the stores did write there
    expect(stored).toContain("sec:ratelimit");
    const body = keyPem.replace(/-----[A-Z ]+-----|\s/g, "");
    for (const secret of [
      bundle.slice(0, 64),
      body.slice(0, 64),
      "PRIVATE KEY",
      PASSWORD,
      DEFAULT_API_KEY,
      token,
      token.split(".")[2]!,
      TENANT,
      SUBJECT,
    ]) {
      expect(stored).not.toContain(secret);
    }
  });
});
