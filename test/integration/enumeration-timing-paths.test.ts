import { AsyncLocalStorage } from "node:async_hooks";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { Deps } from "../../src/core/deps";
import { users } from "../../src/db/schema";
import { forEachServer, type ServerContext, STRONG_PASSWORD, uniqueEmail } from "../helpers/harness";

/**
 * Timing enumeration, checked by what runs rather than by the clock: before its answer, a flow does the same
 * storage and rate-limit calls, in the same order, for an existing account and an unknown address. Work that
 * only one side has (creating the account, its event, a link, an email, a failure event) runs after the answer
 * (Deps.afterResponse). A pen test timed the difference, back to back: sign-up +7.3% for new addresses
 * (AUC 0.19), sign-in +5.8% for existing ones (AUC 0.68). bench/enumeration-timing.mjs measures the times.
 */

const background = new AsyncLocalStorage<true>();

/** Records every repository and rate-limiter call a request makes before its answer, on the server's own Deps. */
function recordAnswerTimeCalls(ctx: ServerContext) {
  const calls: string[] = [];
  let saved: Pick<Deps, "repo" | "limiter" | "afterResponse"> | undefined;
  const wrap = <T extends object>(target: T, label: string): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (!background.getStore()) calls.push(`${label}.${String(property)}`);
          // A transaction hands its work a repository of its own: record through that one too.
          if (property === "transaction")
            return value.call(object, (inner: object) => (args[0] as (repo: object) => unknown)(wrap(inner, label)));
          return value.apply(object, args);
        };
      },
    });
  beforeEach(() => {
    const deps = ctx.server.deps;
    saved = { repo: deps.repo, limiter: deps.limiter, afterResponse: deps.afterResponse };
    deps.repo = wrap(saved.repo, "repo");
    deps.limiter = wrap(saved.limiter, "limiter");
    const afterResponse = saved.afterResponse;
    deps.afterResponse = (task) => {
      calls.push("afterResponse");
      afterResponse(() => background.run(true, task));
    };
  });
  afterEach(async () => {
    await ctx.server.settle();
    Object.assign(ctx.server.deps, saved);
  });
  /** The calls made while answering one request (work after the answer is left out). */
  return async (send: () => Promise<unknown>) => {
    await ctx.server.settle();
    calls.length = 0;
    await send();
    const made = [...calls];
    await ctx.server.settle();
    return made;
  };
}

forEachServer("enumeration: the same answer-time work for existing and unknown addresses", (ctx) => {
  const answerTimeCalls = recordAnswerTimeCalls(ctx);

  /** An account that stays unverified; the sign-up's own work is done before the test goes on. */
  async function unverifiedAccount() {
    const email = uniqueEmail("unverified");
    expect(
      (await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Ada" })).status,
    ).toBe(202);
    await ctx.server.settle();
    return email;
  }

  async function verifiedAccount() {
    const email = await unverifiedAccount();
    await ctx.server.database.db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.email, email));
    return email;
  }

  /**
   * The calls before the answer, for an unknown address and for each existing one: equal, apart from handing
   * work to afterResponse (which only queues it; the work itself shows in "AUC next" of the bench).
   */
  async function compare(path: string, body: (email: string) => unknown, existing: string[]) {
    const answering = (calls: string[]) => calls.filter((call) => call !== "afterResponse");
    const unknown = await answerTimeCalls(() => ctx.client().post(path, body(uniqueEmail("unknown"))));
    expect(unknown.length).toBeGreaterThan(0);
    for (const email of existing) {
      const known = await answerTimeCalls(() => ctx.client().post(path, body(email)));
      expect(answering(known), `${path}: existing vs unknown`).toEqual(answering(unknown));
    }
    return unknown;
  }

  it("sign-up: the account insert, its event, the link and the email (or the notice) all come after the answer", async () => {
    const verified = await verifiedAccount();
    const unverified = await unverifiedAccount();
    const calls = await compare(
      "/api/auth/sign-up",
      (email) => ({ email, password: "another fine passphrase", name: "Eve" }),
      [verified, unverified],
    );
    expect(calls).not.toContain("repo.createUser");
    expect(calls).not.toContain("repo.findUserByEmail");
    expect(calls.at(-1)).toBe("afterResponse");
  });

  it("sign-in: a wrong password costs an existing account no more than an unknown address before the answer", async () => {
    const verified = await verifiedAccount();
    const unverified = await unverifiedAccount();
    const calls = await compare("/api/auth/sign-in", (email) => ({ email, password: "not the right passphrase" }), [
      verified,
      unverified,
    ]);
    expect(calls).not.toContain("repo.recordEvent");
  });

  it("forgot-password and resend-verification: only rate limits before the answer", async () => {
    const verified = await verifiedAccount();
    const unverified = await unverifiedAccount();
    for (const path of ["/api/auth/forgot-password", "/api/auth/resend-verification"]) {
      const calls = await compare(path, (email) => ({ email }), [verified, unverified]);
      expect(
        calls.filter((call) => call.startsWith("repo.")),
        path,
      ).toEqual([]);
    }
  });
});
