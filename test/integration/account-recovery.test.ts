import { eq } from "drizzle-orm";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config";
import { issueKnownDevice } from "../../src/core/sign-in-throttle";
import {
  accountRecoveries,
  recoveryCodes,
  sessions,
  totpCredentials,
  trustedBrowsers,
  users,
} from "../../src/db/schema";
import {
  forEachServer,
  lastEmail,
  lastSms,
  type ServerContext,
  type TestClient,
  twoFactorUser,
} from "../helpers/harness";

/**
 * Issue 11, item 8: lost every second factor (ACCOUNT_RECOVERY=email). The password (a live sign-in challenge)
 * and the inbox (an emailed link) start a 24-hour wait that the owner hears of by email and SMS; a second-factor
 * sign-in, the cancel button or any credentials change stops it; after it, the next right password removes every
 * factor and signs in at level 1. Off by default: every route answers 404.
 */

type TwoFactorUser = Awaited<ReturnType<typeof twoFactorUser>>;

const DAY_SECONDS = 24 * 3600;
const NEW_PASSWORD = "a brand new passphrase 2026";

async function signInToChallenge(ctx: ServerContext, user: TwoFactorUser, client: TestClient = ctx.client()) {
  const response = await client.post("/api/auth/sign-in", { email: user.email, password: user.password });
  expect(response.status, response.text).toBe(200);
  expect(response.body.twoFactorRequired).toBe(true);
  return { client, challengeId: response.body.challenge.id as string };
}

/** Password, "I lost everything", the emailed link's token. */
async function requestLink(ctx: ServerContext, user: TwoFactorUser) {
  const { client } = await signInToChallenge(ctx, user);
  const asked = await client.post("/api/auth/account-recovery", {});
  expect(asked.status, asked.text).toBe(202);
  const mail = await lastEmail(ctx.server, user.email, /recover your/i);
  expect(mail?.token).toBeTruthy();
  return mail!.token!;
}

/** Through to the confirmed link: the wait has started. */
async function startRecovery(ctx: ServerContext, user: TwoFactorUser) {
  const token = await requestLink(ctx, user);
  const confirmed = await ctx.client().post("/api/auth/account-recovery/confirm", { token });
  expect(confirmed.status, confirmed.text).toBe(200);
  return { token, readyAt: new Date(confirmed.body.readyAt) };
}

const recoveryRows = (ctx: ServerContext, userId: string) =>
  ctx.server.database.db.select().from(accountRecoveries).where(eq(accountRecoveries.userId, userId));

const pending = async (client: TestClient) => {
  const answer = await client.get("/api/account/account-recovery");
  expect(answer.status, answer.text).toBe(200);
  return answer.body.recovery as { requestedAt: string; readyAt: string } | null;
};

forEachServer(
  "account recovery (ACCOUNT_RECOVERY=email)",
  (ctx) => {
    it("emails a link only from a live sign-in challenge of this browser", async () => {
      const user = await twoFactorUser(ctx);
      const none = await ctx.client().post("/api/auth/account-recovery", {});
      expect(none.status).toBe(410);
      expect(none.body.error.code).toBe("challenge_expired");
      // The challenge's id from another browser is no proof of the password.
      const { challengeId } = await signInToChallenge(ctx, user);
      const elsewhere = await ctx.client().post("/api/auth/account-recovery", { challengeId });
      expect(elsewhere.status).toBe(410);
      expect(await lastEmail(ctx.server, user.email, /recover your/i)).toBeNull();

      const token = await requestLink(ctx, user);
      const mail = (await lastEmail(ctx.server, user.email, /recover your/i))!;
      expect(mail.link).toMatch(/^http:\/\/localhost:3000\/account-recovery#token=/);
      expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
      // Asking is not starting: nothing waits until the link is followed.
      expect(await recoveryRows(ctx, user.user.id)).toEqual([]);
      expect(await pending(user.client)).toBeNull();
    });

    it("starts the 24-hour wait from the link and tells the owner by email and SMS, without a code; the link works once", async () => {
      const user = await twoFactorUser(ctx);
      const textsBefore = await lastSms(ctx.server, user.phone);
      const started = ctx.clock.now().getTime();
      const { token, readyAt } = await startRecovery(ctx, user);
      expect(readyAt.getTime() - started).toBeGreaterThanOrEqual(DAY_SECONDS * 1000);
      expect(readyAt.getTime() - started).toBeLessThan(DAY_SECONDS * 1000 + 60_000);

      const notice = (await lastEmail(ctx.server, user.email, /recovery started/i))!;
      expect(notice.body).toMatch(/24 hours/);
      expect(notice.body).toMatch(/cancel/i);
      expect(notice.token).toBeNull();
      const text = (await lastSms(ctx.server, user.phone))!;
      expect(text).not.toEqual(textsBefore);
      expect(text.body).toMatch(/account recovery/i);
      expect(text.body).toMatch(/cancel/i);
      expect(text.code).toBeNull();

      expect(await pending(user.client)).toEqual({ requestedAt: expect.any(String), readyAt: readyAt.toISOString() });
      const events = (await user.client.get("/api/account/security-events")).body.events.map(
        (e: { type: string }) => e.type,
      );
      expect(events).toEqual(expect.arrayContaining(["account_recovery_requested", "account_recovery_started"]));

      const replay = await ctx.client().post("/api/auth/account-recovery/confirm", { token });
      expect(replay.status).toBe(400);
      expect(replay.body.error.code).toBe("invalid_token");
      expect(await recoveryRows(ctx, user.user.id)).toHaveLength(1);
    });

    it("still asks for the second factor before the wait is over", async () => {
      const user = await twoFactorUser(ctx);
      await startRecovery(ctx, user);
      ctx.clock.advance(DAY_SECONDS - 120);
      await signInToChallenge(ctx, user);
      expect(await recoveryRows(ctx, user.user.id)).toMatchObject([{ completedAt: null, cancelledAt: null }]);
    });

    it("is cancelled by a sign-in that passes the second factor", async () => {
      const user = await twoFactorUser(ctx);
      await startRecovery(ctx, user);
      const { client } = await signInToChallenge(ctx, user);
      const code = (await lastSms(ctx.server, user.phone))!.code!;
      const verified = await client.post("/api/auth/two-factor/verify", { method: "sms", code });
      expect(verified.status, verified.text).toBe(200);
      expect(await pending(client)).toBeNull();
      expect((await recoveryRows(ctx, user.user.id))[0]!.cancelledAt).not.toBeNull();
    });

    it("is cancelled from the profile (no step-up needed), once", async () => {
      const user = await twoFactorUser(ctx);
      await startRecovery(ctx, user);
      const cancelled = await user.client.post("/api/account/account-recovery/cancel");
      expect(cancelled.status, cancelled.text).toBe(204);
      expect(await pending(user.client)).toBeNull();
      const again = await user.client.post("/api/account/account-recovery/cancel");
      expect(again.status).toBe(404);
      expect(again.body.error.code).toBe("not_found");
      expect((await ctx.client().post("/api/account/account-recovery/cancel")).status).toBe(401);
      const events = (await user.client.get("/api/account/security-events")).body.events.map(
        (e: { type: string }) => e.type,
      );
      expect(events[0]).toBe("account_recovery_cancelled");
    });

    it("is voided by a password change: after the wait the new password still meets the second factor", async () => {
      const user = await twoFactorUser(ctx);
      await startRecovery(ctx, user);
      const changed = await user.client.post("/api/account/password", {
        currentPassword: user.password,
        newPassword: NEW_PASSWORD,
      });
      expect(changed.status, changed.text).toBe(204);
      expect(await pending(user.client)).toBeNull();
      ctx.clock.advance(DAY_SECONDS + 60);
      await signInToChallenge(ctx, { ...user, password: NEW_PASSWORD });
      const [row] = await recoveryRows(ctx, user.user.id);
      expect(row!.completedAt).toBeNull();
    });

    it("after the wait, the right password removes every second factor and signs in at level 1", async () => {
      const user = await twoFactorUser(ctx);
      const otherSession = user.client;
      await startRecovery(ctx, user);
      // Factors made outside the API (TOTP and recovery codes have their own tests): the reset must take them too.
      const db = ctx.server.database.db;
      await db
        .insert(totpCredentials)
        .values({ userId: user.user.id, secret: Buffer.from("sealed"), confirmedAt: new Date() });
      await db
        .insert(recoveryCodes)
        .values({ id: `rc-${user.user.id}`, userId: user.user.id, codeHash: Buffer.from("hash") });
      await db.insert(trustedBrowsers).values({
        id: `tb-${user.user.id}`,
        userId: user.user.id,
        secretHash: Buffer.alloc(32),
        expiresAt: new Date(ctx.clock.now().getTime() + DAY_SECONDS * 10_000),
      });
      await db.update(users).set({ twoFactorTotp: true, recoveryCodesLeft: 1 }).where(eq(users.id, user.user.id));

      // A password alone is still not enough the moment before.
      ctx.clock.advance(DAY_SECONDS - 60);
      await signInToChallenge(ctx, user);
      ctx.clock.advance(120);

      const browser = ctx.client();
      const signedIn = await browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
      expect(signedIn.status, signedIn.text).toBe(200);
      expect(signedIn.body.twoFactorRequired).toBeUndefined();
      expect(signedIn.body.session).toMatchObject({ assuranceLevel: 1, secondFactorAt: null });
      expect(signedIn.body.user.twoFactor).toMatchObject({
        sms: false,
        totp: false,
        passkeys: 0,
        recoveryCodesLeft: 0,
      });
      // The phone stays on file, verified; only its use as a second factor ended.
      expect(signedIn.body.user.phoneVerified).toBe(true);

      const [account] = await db.select().from(users).where(eq(users.id, user.user.id));
      expect(account).toMatchObject({
        twoFactorSms: false,
        twoFactorTotp: false,
        passkeyCount: 0,
        recoveryCodesLeft: 0,
      });
      expect(await db.select().from(totpCredentials).where(eq(totpCredentials.userId, user.user.id))).toEqual([]);
      expect(await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.user.id))).toEqual([]);
      expect(await db.select().from(trustedBrowsers).where(eq(trustedBrowsers.userId, user.user.id))).toEqual([]);
      // Every other session ended (a lost phone may have held one); only this sign-in's is left.
      expect((await otherSession.get("/api/auth/session")).status).toBe(401);
      const left = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, user.user.id));
      expect(left.map((s) => s.id)).toEqual([signedIn.body.session.id]);
      expect((await recoveryRows(ctx, user.user.id))[0]!.completedAt).not.toBeNull();
      expect((await lastEmail(ctx.server, user.email, /were removed/i))?.body).toMatch(/second sign-in step/);
      const events = (await browser.get("/api/account/security-events")).body.events.map(
        (e: { type: string }) => e.type,
      );
      expect(events).toContain("account_recovery_completed");

      // Done once: the next sign-in is a plain password sign-in.
      const again = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password });
      expect(again.body.session).toMatchObject({ assuranceLevel: 1 });
      expect(await pending(browser)).toBeNull();
    });

    it("starts one recovery from parallel clicks of one link, and one reset from parallel sign-ins after the wait", async () => {
      const user = await twoFactorUser(ctx);
      const token = await requestLink(ctx, user);
      const confirms = await Promise.all(
        Array.from({ length: 10 }, () => ctx.client().post("/api/auth/account-recovery/confirm", { token })),
      );
      expect(confirms.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(400)]);
      expect(await recoveryRows(ctx, user.user.id)).toHaveLength(1);

      ctx.clock.advance(DAY_SECONDS + 60);
      // Browsers the account knows (known-device cookies), so the address throttle's in-flight count stays out of it.
      const passwordHash = (await ctx.server.deps.repo.getPasswordHash(user.user.id))!;
      const signIns = await Promise.all(
        Array.from({ length: 8 }, () => {
          const browser = ctx.client();
          browser.deviceCookie = issueKnownDevice(ctx.server.deps, user.user.id, passwordHash);
          return browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
        }),
      );
      // One sign-in finishes the recovery; one racing it was checked against the old credentials and starts over.
      for (const answer of signIns) expect([200, 409], answer.text).toContain(answer.status);
      const sessionsMade = signIns.filter((a) => a.status === 200);
      expect(sessionsMade.length).toBeGreaterThanOrEqual(1);
      for (const answer of sessionsMade) expect(answer.body.session.assuranceLevel).toBe(1);
      const events = await ctx.server.deps.repo.listEvents(user.user.id, 100);
      expect(events.filter((e) => e.type === "account_recovery_completed")).toHaveLength(1);
    });
  },
  { env: { ACCOUNT_RECOVERY: "email" } },
);

forEachServer(
  "account recovery off (the default)",
  (ctx) => {
    it("answers 404 not_found on every route, and sign-in is unchanged", async () => {
      const user = await twoFactorUser(ctx);
      const { client, challengeId } = await signInToChallenge(ctx, user);
      const asked = await client.post("/api/auth/account-recovery", { challengeId });
      expect(asked.status).toBe(404);
      expect(asked.body.error.code).toBe("not_found");
      expect(await lastEmail(ctx.server, user.email, /recover your/i)).toBeNull();
      const confirm = await ctx.client().post("/api/auth/account-recovery/confirm", {
        token: "abcdefghijklmnop.qrstuvwxyzabcdefghijklmnopqrstuvwxyz012345",
      });
      expect(confirm.status).toBe(404);
      expect(confirm.body.error.code).toBe("not_found");
      for (const answer of [
        await user.client.get("/api/account/account-recovery"),
        await user.client.post("/api/account/account-recovery/cancel"),
      ]) {
        expect(answer.status).toBe(404);
        expect(answer.body.error.code).toBe("not_found");
      }
    });
  },
  { only: "pglite" },
);

describe("ACCOUNT_RECOVERY", () => {
  it("is off by default, takes email, and refuses anything else at start-up", () => {
    const env = { NODE_ENV: "development", SECRET: "a-config-test-secret-of-enough-length-0123", DATA_DIR: tmpdir() };
    const load = (extra: Record<string, string>) => loadConfig({ ...env, ...extra } as NodeJS.ProcessEnv);
    expect(load({}).accountRecovery).toBe("off");
    expect(load({ ACCOUNT_RECOVERY: "off" }).accountRecovery).toBe("off");
    expect(load({ ACCOUNT_RECOVERY: "email" }).accountRecovery).toBe("email");
    for (const bad of ["on", "EMAIL", "sms", "1"])
      expect(() => load({ ACCOUNT_RECOVERY: bad })).toThrow(
        new ConfigError(`ACCOUNT_RECOVERY must be off or email, got "${bad}"`),
      );
  });
});
