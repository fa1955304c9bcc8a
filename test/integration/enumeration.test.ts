import { describe, expect, it } from "vitest";
import {
  forEachServer,
  type ServerContext,
  signedUpUser,
  STRONG_PASSWORD,
  type TestResponse,
  uniqueEmail,
} from "../helpers/harness";

/**
 * Account enumeration: for every endpoint that takes an email address, an existing account and an unknown
 * address get the same status, body and cookies; and neither answer takes noticeably longer. The precise timing
 * figures come from bench/enumeration-timing.mjs; the bound here is loose on purpose (shared CI cores), wide
 * enough never to flake and still far below the gap a skipped argon2id verify or an awaited email would open.
 */

type Answer = { status: number; body: string; cookies: string[]; retryAfter: string | null };
const answerOf = (response: TestResponse): Answer => ({
  status: response.status,
  body: response.text,
  cookies: response.headers.getSetCookie().map((line) => line.split("=")[0]!),
  retryAfter: response.headers.get("retry-after"),
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
};

forEachServer(
  "account enumeration",
  (ctx) => {
    /** Unverified, verified and two-factor-free accounts, each a state an attacker might try to tell apart. */
    async function accounts() {
      const verified = await signedUpUser(ctx);
      const unverifiedEmail = uniqueEmail("unverified");
      await ctx.client().post("/api/auth/sign-up", { email: unverifiedEmail, password: STRONG_PASSWORD, name: "Ada" });
      return { verified: verified.email, unverified: unverifiedEmail, unknown: uniqueEmail("unknown") };
    }

    const endpoints: Array<[string, string, (email: string) => unknown]> = [
      ["sign-up", "/api/auth/sign-up", (email) => ({ email, password: "another fine passphrase", name: "Eve" })],
      ["sign-in", "/api/auth/sign-in", (email) => ({ email, password: "not the right passphrase" })],
      ["resend-verification", "/api/auth/resend-verification", (email) => ({ email })],
      ["forgot-password", "/api/auth/forgot-password", (email) => ({ email })],
    ];

    for (const [name, path, body] of endpoints) {
      it(`${name}: the same status, body and cookies for verified, unverified and unknown addresses`, async () => {
        const emails = await accounts();
        const answers = [];
        for (const email of [emails.verified, emails.unverified, emails.unknown])
          answers.push(answerOf(await ctx.client().post(path, body(email))));
        expect(answers[1]).toEqual(answers[0]);
        expect(answers[2]).toEqual(answers[0]);
        expect(answers[0]!.status).toBeLessThan(500);
        // Case and spaces do not make a known address look unknown, or the other way round.
        const shouted = answerOf(await ctx.client().post(path, body(`  ${emails.verified.toUpperCase()} `)));
        expect(shouted).toEqual(answers[0]);
      });
    }

    it("rate limits hit existing and unknown addresses alike (per-address budgets are keyed by the address, not the account)", async () => {
      const emails = await accounts();
      for (const [name, path, body] of endpoints.filter(([n]) => n !== "sign-in")) {
        const per: Answer[] = [];
        for (const email of [emails.unverified, emails.unknown]) {
          let last: TestResponse | undefined;
          for (let i = 0; i < 5; i++) last = await ctx.client().post(path, body(email));
          per.push({ ...answerOf(last!), retryAfter: last!.headers.get("retry-after") ? "set" : null });
        }
        expect(per[0]!.status, name).toBe(429);
        expect(per[1], name).toEqual(per[0]);
      }
    });

    describe("timing", () => {
      /** Interleaved so load on the shared machine falls on both sides alike. */
      async function medians(
        ctx: ServerContext,
        path: string,
        body: (email: string) => unknown,
        existing: string[],
        rounds: number,
      ) {
        const times = { existing: [] as number[], unknown: [] as number[] };
        for (let i = 0; i < rounds; i++) {
          for (const kind of i % 2 ? (["existing", "unknown"] as const) : (["unknown", "existing"] as const)) {
            const email = kind === "existing" ? existing[i % existing.length]! : uniqueEmail("timing");
            const started = performance.now();
            await ctx.client().post(path, body(email));
            times[kind].push(performance.now() - started);
          }
        }
        return { existing: median(times.existing), unknown: median(times.unknown) };
      }

      for (const [name, path, body] of endpoints) {
        it(`${name}: existing and unknown addresses take about as long`, async () => {
          // Several accounts, each used at most twice: the per-address budgets must not cut the sample short.
          const existing: string[] = [];
          for (let i = 0; i < 6; i++) {
            const email = uniqueEmail("timed");
            await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Ada" });
            existing.push(email);
          }
          await ctx.server.settle();
          const { existing: known, unknown } = await medians(ctx, path, body, existing, 12);
          const ratio = Math.max(known, unknown) / Math.min(known, unknown);
          // Argon2id-bound answers (sign-in, sign-up) must match closely in ratio; the cheap ones may differ by a few
          // ms.
          if (name === "sign-in" || name === "sign-up")
            expect(ratio, `${known.toFixed(1)} ms vs ${unknown.toFixed(1)} ms`).toBeLessThan(2.5);
          else
            expect(
              ratio < 3 || Math.abs(known - unknown) < 10,
              `${known.toFixed(1)} ms vs ${unknown.toFixed(1)} ms`,
            ).toBe(true);
        });
      }
    });
  },
  // The timing checks compare argon2id-bound answers: they need the production cost, not the harness's test cost.
  { env: { PASSWORD_HASH_COST: "standard" } },
);
