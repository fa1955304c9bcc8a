import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import type { Deps } from "../../src/core/deps";
import type { RateLimiter } from "../../src/core/limits";
import type { Repository } from "../../src/core/repository";
import { signUp } from "../../src/core/sign-up";
import { oneTimeTokens, outboxMessages, passwordCredentials, securityEvents, users } from "../../src/db/schema";
import { forEachServer, randomIp, STRONG_PASSWORD, type ServerContext, uniqueEmail } from "../helpers/harness";

/**
 * Sign-up answers before the account work (core/sign-up.ts), which then runs on its own: it must still cope with
 * concurrent sign-ups for one address, and leave nothing half-written when it fails.
 */

/** Every budget open, so that many sign-ups for one address reach the work after the answer. */
const unlimited = {
  consume: async () => ({ allowed: true }),
  peek: async () => ({ allowed: true }),
  refund: async () => {},
  reset: async () => {},
} as unknown as RateLimiter;

/** The server's Deps with the work after the answer held back, to be run all at once. */
function held(ctx: ServerContext, overrides: Partial<Deps> = {}) {
  const tasks: Array<() => Promise<void>> = [];
  const deps: Deps = {
    ...ctx.server.deps,
    limiter: unlimited,
    afterResponse: (task) => void tasks.push(task),
    ...overrides,
  };
  return { deps, tasks };
}

async function rowsFor(ctx: ServerContext, email: string) {
  const db = ctx.server.database.db;
  const accounts = await db.select().from(users).where(eq(users.email, email));
  const ids = accounts.map((u) => u.id);
  const credentials = ids.length
    ? await db.select().from(passwordCredentials).where(eq(passwordCredentials.userId, ids[0]!))
    : [];
  const links = ids.length ? await db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, ids[0]!)) : [];
  const events = ids.length ? await db.select().from(securityEvents).where(eq(securityEvents.userId, ids[0]!)) : [];
  const mails = await db.select().from(outboxMessages).where(eq(outboxMessages.recipient, email));
  return { accounts, credentials, links, events, mails };
}

forEachServer("sign-up: the work after the answer", (ctx) => {
  it("20 concurrent sign-ups for one new address: one account, and every sign-up gets its own link", async () => {
    const email = uniqueEmail("race");
    const { deps, tasks } = held(ctx);
    for (let i = 0; i < 20; i++) {
      expect(
        await signUp(
          deps,
          { email, password: `${STRONG_PASSWORD} ${i}`, name: `Signer ${i}` },
          { ip: randomIp(), userAgent: null },
        ),
      ).toEqual({ ok: true });
    }
    // All at once: on PostgreSQL the losers' inserts wait for the winner's commit, then hit the unique index.
    const outcomes = await Promise.allSettled(tasks.map((task) => task()));
    expect(outcomes.filter((o) => o.status === "rejected")).toEqual([]);
    const rows = await rowsFor(ctx, email);
    expect(rows.accounts).toHaveLength(1);
    expect(rows.credentials).toHaveLength(1);
    expect(rows.events.map((e) => e.type)).toEqual(["sign_up"]);
    // One link per sign-up, each carrying its own sign-up's password and name (none cancels another).
    expect(rows.links).toHaveLength(20);
    expect(rows.links.filter((link) => link.usedAt === null)).toHaveLength(20);
    expect(rows.links.filter((link) => link.passwordHash !== null)).toHaveLength(20);
    expect(new Set(rows.links.map((link) => link.passwordHash)).size).toBe(20);
    expect(new Set(rows.links.map((link) => link.name)).size).toBe(20);
    expect(rows.mails.map((m) => m.template)).toEqual(Array(20).fill("verify_email"));
  });

  it("a failure after the answer leaves no account without its link (the whole work rolls back)", async () => {
    const email = uniqueEmail("broken");
    const failingEnqueue = (repo: Repository): Repository =>
      new Proxy(repo, {
        get(target, property, receiver) {
          if (property === "enqueue") return async () => Promise.reject(new Error("outbox unavailable (test)"));
          if (property === "transaction")
            return <T>(work: (r: Repository) => Promise<T>) =>
              target.transaction((inner) => work(failingEnqueue(inner)));
          return Reflect.get(target, property, receiver);
        },
      });
    const { deps, tasks } = held(ctx, { repo: failingEnqueue(ctx.server.deps.repo) });
    expect(
      await signUp(deps, { email, password: STRONG_PASSWORD, name: "Ada" }, { ip: randomIp(), userAgent: null }),
    ).toEqual({ ok: true });
    await expect(tasks[0]!()).rejects.toThrow(/outbox unavailable/);
    const rows = await rowsFor(ctx, email);
    expect(rows).toEqual({ accounts: [], credentials: [], links: [], events: [], mails: [] });
    // The address is still free: the next sign-up creates the account as usual.
    const again = held(ctx);
    await signUp(again.deps, { email, password: STRONG_PASSWORD, name: "Ada" }, { ip: randomIp(), userAgent: null });
    await again.tasks[0]!();
    expect((await rowsFor(ctx, email)).accounts).toHaveLength(1);
  });
});
