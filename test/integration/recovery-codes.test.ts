import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { normalizeRecoveryCode, recoveryCodeHash } from "../../src/core/recovery-codes";
import { STEP_UP_WINDOW_SECONDS } from "../../src/core/step-up";
import { forEachServer, lastEmail, lastSms, type ServerContext, twoFactorUser } from "../helpers/harness";

/**
 * Issue 11, item 3: ten recovery codes (60 bits each), made when the first factor turns on and shown once, stored
 * hashed, single use (also under concurrency), an email per use, regenerated with step-up (the old ones die),
 * gone when two-factor goes off.
 */

async function signIn(ctx: ServerContext, user: { email: string; password: string }) {
  const browser = ctx.client();
  const answer = await browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
  expect(answer.body.twoFactorRequired, answer.text).toBe(true);
  return browser;
}

forEachServer("recovery codes", (ctx) => {
  it("come with the first factor; regenerating needs a recent second factor", async () => {
    const user = await twoFactorUser(ctx);
    const session = await user.client.get("/api/auth/session");
    expect(session.body.user.twoFactor.recoveryCodesLeft).toBe(10);
    ctx.clock.advance(STEP_UP_WINDOW_SECONDS + 60);
    try {
      const refused = await user.client.post("/api/account/recovery-codes", { currentPassword: user.password });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("second_factor_required");
    } finally {
      ctx.clock.reset();
    }
  });

  it("sign in once each, in any case and without dashes; the owner is emailed with the count left", async () => {
    const user = await smsUserWithCodesAfterStepUp(ctx);
    const first = user.codes[0]!;
    const browser = await signIn(ctx, user);
    const typed = first.replaceAll("-", "").toUpperCase();
    const verified = await browser.post("/api/auth/two-factor/verify", { method: "recovery_code", code: typed });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body.user.twoFactor.recoveryCodesLeft).toBe(9);
    const mail = await lastEmail(ctx.server, user.email, /recovery code was used/);
    expect(mail?.body).toContain("Codes left: 9");
    expect(mail?.body).not.toContain(first);
    const again = await signIn(ctx, user);
    const replay = await again.post("/api/auth/two-factor/verify", { method: "recovery_code", code: first });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("invalid_code");
    const events = (await user.client.get("/api/account/security-events")).body.events.map((e: any) => e.type);
    expect(events).toContain("recovery_code_used");
  });

  it("one code used by ten sign-ins at once lets exactly one in", async () => {
    const user = await smsUserWithCodesAfterStepUp(ctx);
    // Signed in one after another (parallel password attempts on one address are throttled), verified at once.
    const browsers = [];
    for (let i = 0; i < 10; i++) browsers.push(await signIn(ctx, user));
    const answers = await Promise.all(
      browsers.map((b) => b.post("/api/auth/two-factor/verify", { method: "recovery_code", code: user.codes[1] })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status !== 200).every((a) => a.body.error.code === "invalid_code")).toBe(true);
    const session = await user.client.get("/api/auth/session");
    expect(session.body.user.twoFactor.recoveryCodesLeft).toBe(9);
  });

  it("50 parallel spends of one code in storage: one succeeds, the count drops by one", async () => {
    const user = await smsUserWithCodesAfterStepUp(ctx);
    const { repo } = ctx.server.deps;
    const hash = recoveryCodeHash(ctx.server.deps, user.user.id, normalizeRecoveryCode(user.codes[2]!)!);
    const spent = await Promise.all(
      Array.from({ length: 50 }, () => repo.spendRecoveryCode(user.user.id, hash, new Date())),
    );
    expect(spent.filter(Boolean)).toHaveLength(1);
    expect((await repo.findUserById(user.user.id))?.recoveryCodesLeft).toBe(9);
  });

  it("confirm a step-up, and regenerating kills every earlier code", async () => {
    const user = await smsUserWithCodesAfterStepUp(ctx);
    ctx.clock.advance(STEP_UP_WINDOW_SECONDS + 60);
    try {
      const stepUp = await user.client.post("/api/account/step-up", { method: "recovery_code", code: user.codes[3] });
      expect(stepUp.status, stepUp.text).toBe(204);
      const fresh = await user.client.post("/api/account/recovery-codes", { currentPassword: user.password });
      expect(fresh.status, fresh.text).toBe(200);
      expect(fresh.body.codes).toHaveLength(10);
      expect(new Set([...fresh.body.codes, ...user.codes]).size).toBe(20);
      const old = await signIn(ctx, user);
      const dead = await old.post("/api/auth/two-factor/verify", { method: "recovery_code", code: user.codes[4] });
      expect(dead.status).toBe(400);
      const works = await old.post("/api/auth/two-factor/verify", {
        method: "recovery_code",
        code: fresh.body.codes[0],
      });
      expect(works.status, works.text).toBe(200);
      expect((await lastEmail(ctx.server, user.email, /New recovery codes/))?.body).toBeTruthy();
    } finally {
      ctx.clock.reset();
    }
  });

  it("are stored only as keyed hashes", async () => {
    const user = await smsUserWithCodesAfterStepUp(ctx);
    const rows = (await ctx.server.database.db.execute(
      sql`select encode(code_hash, 'hex') as hash from recovery_codes where user_id = ${user.user.id}`,
    )) as unknown as { rows: Array<{ hash: string }> };
    expect(rows.rows).toHaveLength(10);
    const dump = JSON.stringify(rows.rows);
    for (const code of user.codes) {
      expect(dump).not.toContain(code.replaceAll("-", ""));
      expect(dump).not.toContain(Buffer.from(code).toString("hex"));
    }
  });

  it("go when two-factor goes off, and cannot be made while it is off", async () => {
    const user = await smsUserWithCodesAfterStepUp(ctx);
    const off = await user.client.post("/api/account/two-factor/sms", {
      enabled: false,
      currentPassword: user.password,
    });
    expect(off.status, off.text).toBe(200);
    expect(off.body.user.twoFactor.recoveryCodesLeft).toBe(0);
    const made = await user.client.post("/api/account/recovery-codes", { currentPassword: user.password });
    expect(made.status).toBe(409);
    expect(made.body.error.code).toBe("two_factor_off");
    // Turning SMS back on makes a new set (the old ones stay dead).
    const on = await user.client.post("/api/account/two-factor/sms", { enabled: true, currentPassword: user.password });
    expect(on.body.recoveryCodes).toHaveLength(10);
    expect(on.body.recoveryCodes).not.toContain(user.codes[0]);
  });
});

/** An SMS user whose session stepped up with a texted code, then made a known set of codes. */
async function smsUserWithCodesAfterStepUp(ctx: ServerContext) {
  const user = await twoFactorUser(ctx);
  const sent = await user.client.post("/api/account/step-up/send", { method: "sms" });
  if (sent.status !== 202) throw new Error(`step-up send: ${sent.status} ${sent.text}`);
  const sms = await lastSms(ctx.server, user.phone);
  const stepped = await user.client.post("/api/account/step-up", { method: "sms", code: sms!.code });
  if (stepped.status !== 204) throw new Error(`step-up: ${stepped.status} ${stepped.text}`);
  const made = await user.client.post("/api/account/recovery-codes", { currentPassword: user.password });
  if (made.status !== 200) throw new Error(`recovery codes: ${made.status} ${made.text}`);
  return { ...user, codes: made.body.codes as string[] };
}
