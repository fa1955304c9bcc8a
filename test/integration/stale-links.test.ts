import { expect, it } from "vitest";
import {
  forEachServer,
  lastEmail,
  type ServerContext,
  signedUpUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from "../helpers/harness";

/**
 * Issue 9, item 3, and the links of the same class: a link mailed before a credential changed, or before the
 * address was verified by another path, must not act afterwards. Before the fix, a second sign-up's link
 * (carrying a stranger's password) still set that password on the account after the owner had verified the
 * address by a password reset and used the account.
 */

const VICTIM_PASSWORD = "the victim's own passphrase";
const ATTACKER_PASSWORD = "the attacker's chosen passphrase";
const RESET_PASSWORD = "reset to something else 2026";

async function signUp(ctx: ServerContext, email: string, password: string, name: string) {
  const answer = await ctx.client().post("/api/auth/sign-up", { email, password, name });
  expect(answer.status, answer.text).toBe(202);
  await ctx.server.settle();
  const mail = await lastEmail(ctx.server, email, /confirm/i);
  expect(mail?.token).toBeTruthy();
  return mail!.token!;
}

async function reset(ctx: ServerContext, email: string, password: string) {
  expect((await ctx.client().post("/api/auth/forgot-password", { email })).status).toBe(202);
  await ctx.server.settle();
  const answer = await ctx
    .client()
    .post("/api/auth/reset-password", { token: (await lastEmail(ctx.server, email, /reset/i))!.token, password });
  expect(answer.status, answer.text).toBe(204);
}

const signInStatus = async (ctx: ServerContext, email: string, password: string) =>
  (await ctx.client().post("/api/auth/sign-in", { email, password })).status;

forEachServer("stale links", (ctx) => {
  it("an old sign-up link never sets a password on an address verified since (by a reset)", async () => {
    const email = uniqueEmail("victim");
    const victimLink = await signUp(ctx, email, VICTIM_PASSWORD, "Vera Rubin");
    const attackerLink = await signUp(ctx, email, ATTACKER_PASSWORD, "www.evil.test");
    expect(attackerLink).not.toBe(victimLink);
    await reset(ctx, email, RESET_PASSWORD);
    expect(await signInStatus(ctx, email, RESET_PASSWORD)).toBe(200);

    for (const link of [attackerLink, victimLink]) {
      const late = await ctx.client().post("/api/auth/verify-email", { token: link });
      expect(late.status, late.text).toBe(400);
      expect(late.body.error.code).toBe("invalid_token");
    }
    expect(await signInStatus(ctx, email, ATTACKER_PASSWORD)).toBe(401);
    expect(await signInStatus(ctx, email, RESET_PASSWORD)).toBe(200);
    const me = await ctx.client().post("/api/auth/sign-in", { email, password: RESET_PASSWORD });
    expect(me.body.user.name).not.toContain("evil");
  });

  it("following one sign-up link kills the others; two clicked at once verify once, with one password", async () => {
    const email = uniqueEmail("twins");
    const first = await signUp(ctx, email, VICTIM_PASSWORD, "First");
    const second = await signUp(ctx, email, ATTACKER_PASSWORD, "Second");
    const [a, b] = await Promise.all(
      [first, second].map((token) => ctx.client().post("/api/auth/verify-email", { token })),
    );
    expect([a!.status, b!.status].sort()).toEqual([200, 400]);
    const winner = a!.status === 200 ? VICTIM_PASSWORD : ATTACKER_PASSWORD;
    const loser = winner === VICTIM_PASSWORD ? ATTACKER_PASSWORD : VICTIM_PASSWORD;
    expect(await signInStatus(ctx, email, winner)).toBe(200);
    expect(await signInStatus(ctx, email, loser)).toBe(401);
  });

  it("the link that wins sets its own sign-up's name, not the first sign-up's", async () => {
    const email = uniqueEmail("named");
    await signUp(ctx, email, ATTACKER_PASSWORD, "Click here to secure your account");
    const own = await signUp(ctx, email, VICTIM_PASSWORD, "Grace Hopper");
    const verified = await ctx.client().post("/api/auth/verify-email", { token: own });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body.user.name).toBe("Grace Hopper");
  });

  it("an email change started before a password reset cannot be confirmed after it", async () => {
    const owner = await signedUpUser(ctx, { password: STRONG_PASSWORD });
    const newEmail = uniqueEmail("thief-inbox");
    const asked = await owner.client.post("/api/account/email", { currentPassword: owner.password, newEmail });
    expect(asked.status, asked.text).toBe(202);
    const link = (await lastEmail(ctx.server, newEmail, /confirm/i))!.token;
    await reset(ctx, owner.email, RESET_PASSWORD);
    const late = await ctx.client().post("/api/auth/confirm-email-change", { token: link });
    expect(late.status, late.text).toBe(400);
    expect(await signInStatus(ctx, owner.email, RESET_PASSWORD)).toBe(200);
  });

  it("a reset link requested before a password change cannot undo it, nor one from before an email change", async () => {
    const owner = await signedUpUser(ctx, { password: STRONG_PASSWORD });
    expect((await ctx.client().post("/api/auth/forgot-password", { email: owner.email })).status).toBe(202);
    await ctx.server.settle();
    const resetLink = (await lastEmail(ctx.server, owner.email, /reset/i))!.token;
    const changed = await owner.client.post("/api/account/password", {
      currentPassword: owner.password,
      newPassword: RESET_PASSWORD,
    });
    expect(changed.status, changed.text).toBe(204);
    expect(
      (await ctx.client().post("/api/auth/reset-password", { token: resetLink, password: ATTACKER_PASSWORD })).status,
    ).toBe(400);
    expect(await signInStatus(ctx, owner.email, RESET_PASSWORD)).toBe(200);
  });

  it("a resend asked by a stranger cancels nobody's link and never carries the stranger's password", async () => {
    const email = uniqueEmail("resent");
    await signUp(ctx, email, ATTACKER_PASSWORD, "Mallory");
    const ownLink = await signUp(ctx, email, VICTIM_PASSWORD, "Vera Rubin");
    expect((await ctx.client().post("/api/auth/resend-verification", { email })).status).toBe(202);
    await ctx.server.settle();
    const resent = (await lastEmail(ctx.server, email, /confirm/i))!.token!;
    expect(resent).not.toBe(ownLink);
    // The newest email is the resend: following it sets the newest sign-up's password, the owner's own.
    const verified = await ctx.client().post("/api/auth/verify-email", { token: resent });
    expect(verified.status, verified.text).toBe(200);
    expect(await signInStatus(ctx, email, ATTACKER_PASSWORD)).toBe(401);
    expect(await signInStatus(ctx, email, VICTIM_PASSWORD)).toBe(200);
  });

  it("the owner's own link still works after a stranger's resend", async () => {
    const email = uniqueEmail("kept");
    await signUp(ctx, email, ATTACKER_PASSWORD, "Mallory");
    const ownLink = await signUp(ctx, email, VICTIM_PASSWORD, "Vera Rubin");
    expect((await ctx.client().post("/api/auth/resend-verification", { email })).status).toBe(202);
    await ctx.server.settle();
    expect((await ctx.client().post("/api/auth/verify-email", { token: ownLink })).status).toBe(200);
    expect(await signInStatus(ctx, email, VICTIM_PASSWORD)).toBe(200);
  });

  it("50 parallel uses of one link: a reset, a sign-up link and an email change each act once, and none answers 500", async () => {
    const owner = await signedUpUser(ctx, { password: STRONG_PASSWORD });
    expect((await ctx.client().post("/api/auth/forgot-password", { email: owner.email })).status).toBe(202);
    await ctx.server.settle();
    const resetLink = (await lastEmail(ctx.server, owner.email, /reset/i))!.token;
    const resets = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ctx.client().post("/api/auth/reset-password", { token: resetLink, password: `parallel reset passphrase ${i}` }),
      ),
    );
    expect(resets.filter((r) => r.status === 204)).toHaveLength(1);
    expect(
      resets.filter((r) => r.status !== 204).every((r) => r.status === 400 && r.body.error.code === "invalid_token"),
    ).toBe(true);

    const email = uniqueEmail("parallel");
    const signUpLink = await signUp(ctx, email, VICTIM_PASSWORD, "Vera Rubin");
    const verifies = await Promise.all(
      Array.from({ length: 50 }, () => ctx.client().post("/api/auth/verify-email", { token: signUpLink })),
    );
    expect(verifies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(verifies.filter((r) => r.status !== 200).every((r) => r.status === 400)).toBe(true);

    const mover = await signedUpUser(ctx, { password: STRONG_PASSWORD });
    const newEmail = uniqueEmail("moved");
    expect((await mover.client.post("/api/account/email", { currentPassword: mover.password, newEmail })).status).toBe(
      202,
    );
    const changeLink = (await lastEmail(ctx.server, newEmail, /confirm/i))!.token;
    const confirms = await Promise.all(
      Array.from({ length: 50 }, () => ctx.client().post("/api/auth/confirm-email-change", { token: changeLink })),
    );
    expect(confirms.filter((r) => r.status === 200)).toHaveLength(1);
    expect(confirms.filter((r) => r.status !== 200).every((r) => r.status === 400)).toBe(true);
  });
});
