import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../helpers/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ simulator: { seedCertificates: 120 } });
});
afterAll(async () => {
  await stack?.close();
});

type Page = {
  certificates: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string };
    edges: {
      cursor: string;
      node: { serialNumber: string; profile: { profileId: string; name: string } | null };
    }[];
  };
};

describe("batching", () => {
  it("50 certificates with their profiles cost 1 search + 1 request per distinct profile", async () => {
    stack.simulator.resetCounters();
    const res = await stack.gql<Page>(`{
      certificates(first: 50) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { serialNumber status profile { profileId name } x509 { subject { commonName } publicKey { algorithm } } } }
      }
    }`);
    expect(res.errors).toBeUndefined();
    const edges = res.data!.certificates.edges;
    expect(edges).toHaveLength(50);
    const distinct = new Set(edges.map((e) => e.node.profile?.profileId));
    expect(distinct.size).toBeGreaterThan(1);
    const counts = stack.simulator.requestCounts();
    expect(counts["GET /mpki/api/v1/certificate-search"]).toBe(1);
    expect(counts["GET /mpki/api/v2/profile/:id"]).toBe(distinct.size);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1 + distinct.size);
  });

  it("a certificate read by search and again by serial in one request is fetched once", async () => {
    stack.simulator.resetCounters();
    const first = await stack.gql<Page>(`{ certificates(first: 1) { edges { node { serialNumber } } } }`);
    const serial = first.data!.certificates.edges[0]!.node.serialNumber;
    stack.simulator.resetCounters();
    const res = await stack.gql(
      `query($s: SerialNumber!) { certificates(first: 5) { totalCount } one: certificate(serialNumber: $s) { serialNumber } two: certificate(serialNumber: $s) { commonName } }`,
      { s: serial },
    );
    expect(res.errors).toBeUndefined();
    expect(stack.simulator.requestCount("GET /mpki/api/v1/certificate/:serial")).toBe(1);
  });
});

describe("pagination", () => {
  it("walks every certificate page by page, with a stable totalCount and no repeats", async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let total = 0;
    for (let i = 0; i < 20; i++) {
      const res: { data?: Page } = await stack.gql<Page>(
        `query($after: String) { certificates(first: 40, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { serialNumber } } } }`,
        { after },
      );
      const page = res.data!.certificates;
      total = page.totalCount;
      for (const e of page.edges) seen.add(e.node.serialNumber);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(total).toBeGreaterThanOrEqual(120);
    expect(seen.size).toBe(total);
  });

  it("filters by status, as the uppercase search filter", async () => {
    const res = await stack.gql<{
      certificates: { totalCount: number; edges: { node: { status: string } }[] };
    }>(`{ certificates(first: 100, filter: { status: REVOKED }) { totalCount edges { node { status } } } }`);
    expect(res.data!.certificates.totalCount).toBeGreaterThan(0);
    expect(new Set(res.data!.certificates.edges.map((e) => e.node.status))).toEqual(new Set(["REVOKED"]));
  });

  it("serves the largest profile page, and refuses a larger one before calling DigiCert", async () => {
    const ok = await stack.gql<{ profiles: { edges: unknown[] } }>(
      "{ profiles(first: 50) { edges { node { name } } } }",
    );
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.profiles.edges.length).toBeGreaterThan(0);
    stack.simulator.resetCounters();
    const tooMany = await stack.gql("{ profiles(first: 51) { edges { node { name } } } }");
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "first" });
    expect(stack.simulator.requestCounts()).toEqual({});
  });

  it("refuses a cursor it did not issue", async () => {
    const res = await stack.gql(`{ certificates(first: 5, after: "bm90LWEtY3Vyc29y") { totalCount } }`);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: "VALIDATION_FAILED", field: "after" });
  });

  it("pages profiles, and reads one by id as null when DigiCert does not know it", async () => {
    const res = await stack.gql<{
      profiles: { pageInfo: { hasNextPage: boolean }; edges: { node: { profileId: string } }[] };
      missing: null;
    }>(`{ profiles(first: 2) { pageInfo { hasNextPage } edges { node { profileId } } }
          missing: profile(id: "00000000-0000-4000-8000-000000000000") { name } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.profiles.edges).toHaveLength(2);
    expect(res.data!.profiles.pageInfo.hasNextPage).toBe(true);
    expect(res.data!.missing).toBeNull();
  });
});
