import { describe, expect, it } from "vitest";
import { createDevIssuer, devVerifierOptions } from "../../src/auth/dev.js";
import { AuthenticationError, createTokenVerifier } from "../../src/auth/verify.js";

const issuer = await createDevIssuer();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the cache of verified tokens", () => {
  it("answers a token verified before with the same viewer, and verifies afresh when it is off", async () => {
    const header = `Bearer ${await issuer.sign({ sub: "alice", tenant: "default" })}`;
    const cached = createTokenVerifier(devVerifierOptions(issuer));
    const first = await cached(header);
    expect(first).toMatchObject({ subject: "alice", tenant: "default" });
    expect(await cached(header)).toBe(first);
    const uncached = createTokenVerifier({
      ...devVerifierOptions(issuer),
      cache: { maxEntries: 0, maxAgeSeconds: 60 },
    });
    const fresh = await uncached(header);
    expect(await uncached(header)).not.toBe(fresh);
    expect(await uncached(header)).toEqual(fresh);
  });

  it("never answers from the cache past the token's exp: it is verified again, refused without clock tolerance", async () => {
    const header = `Bearer ${await issuer.sign({ sub: "bob", tenant: "default", expiresInSeconds: 1 })}`;
    const strict = createTokenVerifier({ ...devVerifierOptions(issuer), clockToleranceSeconds: 0 });
    const tolerant = createTokenVerifier({ ...devVerifierOptions(issuer), clockToleranceSeconds: 30 });
    await strict(header);
    const before = await tolerant(header);
    await sleep(2_100);
    await expect(strict(header)).rejects.toBeInstanceOf(AuthenticationError);
    expect(await tolerant(header)).not.toBe(before); // within the tolerance jose accepts it, but only after a check
  });

  it("keeps a viewer at most maxAgeSeconds, then checks the signature again", async () => {
    const verify = createTokenVerifier({
      ...devVerifierOptions(issuer),
      cache: { maxEntries: 10, maxAgeSeconds: 1 },
    });
    const header = `Bearer ${await issuer.sign({ sub: "carol", tenant: "default" })}`;
    const first = await verify(header);
    await sleep(1_100);
    expect(await verify(header)).not.toBe(first);
  });

  it("refuses a token whose signature was altered, even right after the genuine one was cached", async () => {
    const verify = createTokenVerifier(devVerifierOptions(issuer));
    const token = await issuer.sign({ sub: "dave", tenant: "default" });
    await verify(`Bearer ${token}`);
    const last = token.at(-2) === "A" ? "B" : "A";
    const forged = `${token.slice(0, -2)}${last}${token.at(-1)}`;
    await expect(verify(`Bearer ${forged}`)).rejects.toBeInstanceOf(AuthenticationError);
    const otherTenant = await issuer.sign({ sub: "dave", tenant: "other" });
    expect((await verify(`Bearer ${otherTenant}`)).tenant).toBe("other");
  });

  it("does not keep refusals: a token refused once is refused again", async () => {
    const verify = createTokenVerifier(devVerifierOptions(issuer));
    const stranger = await createDevIssuer();
    const header = `Bearer ${await stranger.sign({ sub: "eve", tenant: "default" })}`;
    await expect(verify(header)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(verify(header)).rejects.toBeInstanceOf(AuthenticationError);
  });
});
