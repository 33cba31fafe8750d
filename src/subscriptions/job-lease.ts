/**
 * One batch-job poller per job across every gateway instance on one Redis: a PollCoordinator (see job-watcher.ts).
 *
 * - Per job: `key("job", sha256(watcherKey)[0..40], "lease" | "last" | "events")` (the watcher key names a tenant,
 *   so it is hashed). The lease holds this instance's id: `SET NX PX leaseTtlMs`, renewed every leaseTtlMs/3 by
 *   compare-and-pexpire. Its holder polls, publishes each changed snapshot and the end on "events", and stores the
 *   last snapshot under "last" (kept `LAST_TTL_LEASES` lease TTLs past the last renewal) for joiners elsewhere.
 * - An instance with subscribers that does not hold the lease follows the channel, and tries to take the lease every
 *   leaseTtlMs/3 (and just as it would expire), so a dead holder's job moves within one lease TTL. A holder that
 *   leaves releases it by compare-and-delete and says so on the channel: a follower takes over at once.
 * - Redis unreachable (a command fails or times out): each instance polls its own jobs, as without Redis, and takes
 *   leases again by itself when Redis answers. No subscriber ever gets an error because of Redis.
 * - Budgets (`shareBudgets`): DigiCert's limits are per API key, whichever instance polls. Per budget key (a tenant):
 *   `key("budget", sha256(budgetKey)[0..40])`, a hash of instance id -> "<demand> <expiry>". Every leaseTtlMs/3 (and at
 *   once when a budget's demand rises from zero) each instance writes its demand and takes demand / total of the
 *   fresh entries as its share, so every instance stretches its jobs by the same factor and the instances together
 *   stay within the budget. A dead instance's entry lapses within one lease TTL. Redis unreachable: each instance
 *   keeps 1 / (instances seen last time) of the budget.
 * Imports the watcher's and the scheduler's types, the model's errors and SharedRedis.
 */
import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";
import { decodeDomainError, encodeDomainError, UpstreamUnavailableError } from "../model/errors.js";
import type { SharedRedis } from "../stores/redis.js";
import type { JobEvent, JobSnapshot, PollCoordinator, PollMembership, PollPeer } from "./job-watcher.js";
import type { BudgetLedger } from "./poll-scheduler.js";

export interface RedisPollCoordinatorOptions<T extends JobSnapshot> {
  /** How long a lease lives without renewal, ms: a dead holder's jobs move to another instance within it. */
  leaseTtlMs: number;
  /** `job` as JSON-safe data (a BatchJob holds Dates); never anything secret. */
  encode(job: T): unknown;
  /** The inverse of `encode`; null for data it does not recognise (ignored). */
  decode(json: unknown): T | null;
  logger?: Logger;
}

/** How many lease TTLs the stored last snapshot outlives the last renewal of its lease. */
const LAST_TTL_LEASES = 10;

/** Takes the lease if free (or renews it if already ours): `{1, 0}`; held by another: `{0, its PTTL}`. */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1, 0} end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return {1, 0} end
return {0, redis.call('PTTL', KEYS[1])}`;

/** Compare-and-pexpire of the lease (and the stored snapshot with it): 1 when still ours, else 0. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

/** Publishes (storing the snapshot first, when one is given) only while the lease is ours: 1, else 0. */
const PUBLISH = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/** Compare-and-delete of the lease, saying so on the channel: 1 when it was ours, else 0. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`;

/**
 * Writes this instance's demand under a budget (or removes it at 0), drops lapsed entries, and answers the total demand
 * and the number of instances with a fresh entry. Redis TIME, so that the instances' clocks never matter. The total is
 * a string: a Lua number would reach the client truncated to an integer.
 */
const SHARE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. string.format('%.0f', now + tonumber(ARGV[3])))
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local total, count = 0, 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local demand, expires = string.match(fields[i + 1], '^(%S+) (%d+)$')
  if expires and tonumber(expires) >= now and tonumber(demand) then
    total = total + tonumber(demand)
    count = count + 1
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if count > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {tostring(total), count}`;

/** A message on a job's channel; `from` is the publishing instance's id (an instance ignores its own). */
type Message =
  | { from: string; type: "snapshot"; job: unknown }
  | { from: string; type: "notFound" }
  | { from: string; type: "failed"; error: unknown }
  | { from: string; type: "released" };

/**
 * - joining: just joined, not polling, the first attempt in flight;
 * - leader: holds the lease and polls;
 * - follower: another instance holds the lease; not polling, fed from the channel;
 * - local: Redis failed the last attempt; polls for itself, publishes nothing.
 */
type Role = "joining" | "leader" | "follower" | "local";

interface Member<T> {
  readonly peer: PollPeer<T>;
  /** sha256(watcher key)[0..40]: names the job in keys and logs without its tenant. */
  readonly tag: string;
  readonly lease: string;
  readonly last: string;
  readonly channel: string;
  role: Role;
  subscribed: boolean;
  left: boolean;
  leaving: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  /** An attempt (subscribe, renew or acquire) is in flight; `again`: run another as soon as it ends. */
  running: boolean;
  again: boolean;
  /** Messages received so far: a stored snapshot read while one arrived is older than it, and dropped. */
  heard: number;
  /** The pub/sub connection came back: messages may have been missed, so a follower reads the stored snapshot. */
  missed: boolean;
}

export function createRedisPollCoordinator<T extends JobSnapshot>(
  redis: SharedRedis,
  options: RedisPollCoordinatorOptions<T>,
): PollCoordinator<T> {
  const { leaseTtlMs, encode, decode, logger } = options;
  if (!(Number.isInteger(leaseTtlMs) && leaseTtlMs >= 30)) {
    throw new RangeError("leaseTtlMs must be an integer of at least 30 milliseconds.");
  }
  const client = redis.client;
  const subscriber = redis.subscriber(); // made now, so it is connected by the first subscriber's arrival
  const instance = randomUUID();
  const third = Math.max(10, Math.floor(leaseTtlMs / 3));
  const lastTtlMs = leaseTtlMs * LAST_TTL_LEASES;
  const released = JSON.stringify({ from: instance, type: "released" } satisfies Message);
  const members = new Set<Member<T>>();
  const byChannel = new Map<string, Member<T>>();
  let closed = false;

  const onMessage = (channel: string, raw: string) => {
    const member = byChannel.get(channel);
    if (!member || member.left) return;
    let message: Message;
    try {
      message = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    if (typeof message !== "object" || message === null || message.from === instance) return;
    member.heard += 1;
    switch (message.type) {
      case "released":
        kick(member); // the holder left: take over now
        return;
      case "snapshot": {
        const job = decodeJob(message.job);
        if (job) member.peer.receive({ type: "snapshot", job });
        return;
      }
      case "notFound":
        member.peer.receive({ type: "notFound" });
        return;
      case "failed":
        member.peer.receive({
          type: "failed",
          error: decodeDomainError(message.error) ?? new UpstreamUnavailableError(),
        });
        return;
    }
  };
  // Redis went away or came back: every key re-decides now (poll locally, or take or follow the lease).
  const onConnectionChange = () => {
    for (const member of members) kick(member);
  };
  const onResubscribed = () => {
    for (const member of members) {
      member.missed = true;
      kick(member);
    }
  };
  subscriber.on("message", onMessage);
  subscriber.on("ready", onResubscribed);
  client.on("close", onConnectionChange);
  client.on("ready", onConnectionChange);

  function decodeJob(json: unknown): T | null {
    try {
      return decode(json);
    } catch {
      return null;
    }
  }

  function kick(member: Member<T>): void {
    if (member.left) return;
    if (member.timer) clearTimeout(member.timer);
    member.timer = null;
    void step(member);
  }

  function schedule(member: Member<T>, ms: number): void {
    if (member.left) return;
    if (member.timer) clearTimeout(member.timer);
    member.timer = setTimeout(() => {
      member.timer = null;
      void step(member);
    }, ms);
    member.timer.unref();
  }

  /** One attempt and the next one's schedule. Never rejects. */
  async function step(member: Member<T>): Promise<void> {
    if (member.left) return;
    if (member.running) {
      member.again = true;
      return;
    }
    member.running = true;
    let next = third;
    try {
      next = await attempt(member);
    } catch (error) {
      if (!member.left) fallBack(member, error);
    } finally {
      member.running = false;
    }
    if (member.left) return;
    if (member.again) {
      member.again = false;
      void step(member);
      return;
    }
    schedule(member, next);
  }

  /** Subscribes, then renews or takes the lease, or follows its holder; returns when to try again (ms). */
  async function attempt(member: Member<T>): Promise<number> {
    if (!member.subscribed) {
      await subscribe(member.channel);
      member.subscribed = true;
      if (member.left) {
        unsubscribe(member);
        return 0;
      }
    }
    if (member.role === "leader") {
      const kept = await client.eval(RENEW, 2, member.lease, member.last, instance, leaseTtlMs, lastTtlMs);
      if (member.left || kept === 1) return third; // a leader that left releases in leave()
    }
    const [acquired, pttl] = (await client.eval(ACQUIRE, 1, member.lease, instance, leaseTtlMs)) as [
      number,
      number,
    ];
    if (member.left) {
      if (acquired === 1) await release(member); // taken while leaving: give it back at once
      return 0;
    }
    if (acquired === 1) {
      if (member.role !== "leader") {
        logger?.debug({ job: member.tag }, "job poller lease taken");
        member.role = "leader";
        // Starts polling; a poller that ran while Redis was away publishes its last snapshot again instead.
        member.peer.lead();
      }
      return third;
    }
    const wasPolling = member.role === "leader" || member.role === "local";
    const wasFollowing = member.role === "follower";
    member.role = "follower";
    if (wasPolling) {
      logger?.debug({ job: member.tag }, "job poller lease held elsewhere; following");
      member.peer.follow();
    }
    if (!wasFollowing || member.missed) {
      member.missed = false;
      await deliverStored(member);
    }
    // Try again about every third of a TTL, and just after the holder's lease would expire.
    return pttl >= 0 ? Math.max(5, Math.min(third, pttl + 5)) : third;
  }

  /** The holder's last stored snapshot, to a follower, unless a message came while it was read. */
  async function deliverStored(member: Member<T>): Promise<void> {
    const heard = member.heard;
    const raw = await client.get(member.last);
    if (raw === null || member.left || member.role !== "follower" || member.heard !== heard) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return;
    }
    const job = decodeJob(json);
    if (job) member.peer.receive({ type: "snapshot", job });
  }

  /** Redis did not answer: the key is polled here, as without Redis, until an attempt succeeds. */
  function fallBack(member: Member<T>, error: unknown): void {
    if (member.role === "local") return;
    const polling = member.role === "leader";
    member.role = "local";
    logger?.debug(
      { job: member.tag, code: (error as { code?: unknown } | null)?.code ?? (error as Error)?.name },
      "shared store unavailable; polling the job locally",
    );
    if (!polling) member.peer.lead();
  }

  async function subscribe(channel: string): Promise<void> {
    if (subscriber.status !== "ready") await subscriberReady();
    await subscriber.subscribe(channel);
  }

  /** Just made, or reconnecting: waits a little for it, one wait shared by every key (commands fail at once while it is down). */
  let readyWait: Promise<void> | null = null;
  function subscriberReady(): Promise<void> {
    readyWait ??= new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        subscriber.off("ready", done);
        readyWait = null;
        if (subscriber.status === "ready") resolve();
        else reject(new Error("The pub/sub connection is not ready."));
      };
      const timer = setTimeout(done, third);
      timer.unref();
      subscriber.on("ready", done);
    });
    return readyWait;
  }

  function unsubscribe(member: Member<T>): void {
    if (byChannel.has(member.channel)) return; // a newer member of the same key listens on it
    subscriber.unsubscribe(member.channel).catch(() => {}); // a dropped connection has no subscriptions left
  }

  async function release(member: Member<T>): Promise<void> {
    try {
      await client.eval(RELEASE, 1, member.lease, instance, member.channel, released);
    } catch (error) {
      // Redis is away: the lease expires by itself within one TTL.
      logger?.debug({ job: member.tag, code: (error as Error).name }, "job poller lease not released");
    }
  }

  function leave(member: Member<T>): Promise<void> {
    if (member.leaving) return member.leaving;
    member.left = true;
    members.delete(member);
    if (byChannel.get(member.channel) === member) byChannel.delete(member.channel);
    if (member.timer) clearTimeout(member.timer);
    member.timer = null;
    if (member.subscribed) unsubscribe(member);
    // "local": a renewal that timed out may still have kept the lease; compare-and-delete is harmless otherwise.
    const mayHold = member.role === "leader" || member.role === "local";
    member.leaving = mayHold ? release(member) : Promise.resolve();
    return member.leaving;
  }

  function publish(member: Member<T>, event: JobEvent<T>): void {
    if (member.role !== "leader") return; // only the lease holder speaks
    let message: Message;
    let stored = "";
    if (event.type === "snapshot") {
      let job: unknown;
      try {
        job = encode(event.job);
        stored = JSON.stringify(job);
      } catch (error) {
        logger?.warn({ job: member.tag, err: error }, "job snapshot not encodable; not published");
        return;
      }
      message = { from: instance, type: "snapshot", job };
    } else if (event.type === "notFound") {
      message = { from: instance, type: "notFound" };
    } else {
      const error = encodeDomainError(event.error, () => new UpstreamUnavailableError());
      message = { from: instance, type: "failed", error };
    }
    const args = [instance, member.channel, JSON.stringify(message), stored, lastTtlMs];
    client.eval(PUBLISH, 2, member.lease, member.last, ...args).then(
      (done) => {
        if (done !== 1) kick(member); // the lease is no longer ours: find out who polls now
      },
      () => kick(member), // Redis is away: fall back to polling locally
    );
  }

  // Budgets: this instance's share of each, from the demands every instance writes (see SHARE).
  let ledger: BudgetLedger | null = null;
  let stopListening: (() => void) | null = null;
  let shareTimer: NodeJS.Timeout | null = null;
  let sharing = false;
  let shareAgain = false;
  /** Budget keys with an entry of this instance in Redis (written with a demand, not yet removed). */
  const written = new Set<string>();
  /** Instances with a fresh entry per budget key at the last answer: the split to keep while Redis is away. */
  const instancesSeen = new Map<string, number>();
  const budgetHash = (budgetKey: string) =>
    redis.key("budget", createHash("sha256").update(budgetKey).digest("hex").slice(0, 40));

  function shareSoon(ms: number): void {
    if (closed || !ledger) return;
    if (shareTimer) clearTimeout(shareTimer);
    shareTimer = setTimeout(() => {
      shareTimer = null;
      void share();
    }, ms);
    shareTimer.unref();
  }

  /** One round: each budget key's demand written, each share set; then the next round in a third of a TTL. Never rejects. */
  async function share(): Promise<void> {
    if (closed || !ledger) return;
    if (sharing) {
      shareAgain = true;
      return;
    }
    sharing = true;
    const current = ledger;
    try {
      const demands = current.demands();
      const keys = new Set([...demands.keys(), ...written]);
      await Promise.all(
        [...keys].map(async (budgetKey) => {
          const mine = demands.get(budgetKey) ?? 0;
          try {
            const [total, count] = (await client.eval(
              SHARE,
              1,
              budgetHash(budgetKey),
              instance,
              String(mine),
              leaseTtlMs,
            )) as [string, number];
            if (mine > 0) written.add(budgetKey);
            else written.delete(budgetKey);
            instancesSeen.set(budgetKey, Math.max(1, count));
            const sum = Number(total);
            if (mine > 0 && sum > 0) current.setShare(budgetKey, Math.min(1, mine / sum));
          } catch (error) {
            // Redis is away: every instance may poll every job now, so each keeps an even part of the budget.
            current.setShare(budgetKey, 1 / (instancesSeen.get(budgetKey) ?? 1));
            logger?.debug(
              { code: (error as Error)?.name },
              "job poll budget not shared; keeping an even part",
            );
          }
        }),
      );
    } finally {
      sharing = false;
    }
    if (shareAgain) {
      shareAgain = false;
      void share();
      return;
    }
    if (current.demands().size > 0 || written.size > 0) shareSoon(third);
  }

  return {
    join(key: string, peer: PollPeer<T>): PollMembership<T> {
      const tag = createHash("sha256").update(key).digest("hex").slice(0, 40);
      const member: Member<T> = {
        peer,
        tag,
        lease: redis.key("job", tag, "lease"),
        last: redis.key("job", tag, "last"),
        channel: redis.key("job", tag, "events"),
        role: "joining",
        subscribed: false,
        left: false,
        leaving: null,
        timer: null,
        running: false,
        again: false,
        heard: 0,
        missed: false,
      };
      if (closed) {
        member.role = "local";
        queueMicrotask(() => peer.lead());
      } else {
        members.add(member);
        byChannel.set(member.channel, member);
        queueMicrotask(() => void step(member));
      }
      return {
        publish: (event) => publish(member, event),
        leave: () => leave(member),
      };
    },

    shareBudgets(budgets: BudgetLedger): void {
      if (closed || ledger) return;
      ledger = budgets;
      stopListening = budgets.onDemand(() => shareSoon(0));
      shareSoon(0);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      stopListening?.();
      if (shareTimer) clearTimeout(shareTimer);
      // This instance's demand leaves with it, so the others take the whole budget at their next round.
      const entries = [...written].map((budgetKey) =>
        client.hdel(budgetHash(budgetKey), instance).catch(() => 0),
      );
      written.clear();
      await Promise.all([...[...members].map(leave), ...entries]);
      subscriber.off("message", onMessage);
      subscriber.off("ready", onResubscribed);
      client.off("close", onConnectionChange);
      client.off("ready", onConnectionChange);
    },
  };
}
