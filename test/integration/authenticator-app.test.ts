import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { STEP_UP_WINDOW_SECONDS } from "../../src/core/step-up";
import { forEachServer, lastEmail, lastSms, type ServerContext, signedUpUser, twoFactorUser } from "../helpers/harness";
import { enrolTotp, totpCode } from "../helpers/totp";

/**
 * Issue 11, item 2: an authenticator app (RFC 6238: SHA-1, 30 s, 6 digits, ±1 step), set up with the password,
 * confirmed by one code, each code taken once, the secret sealed at rest; removed with step-up; its wrong codes
 * spend the same budgets as every other method's.
 */

async function signIn(ctx: ServerContext, user: { email: string; password: string }) {
  const browser = ctx.client();
  const answer = await browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
  expect(answer.status, answer.text).toBe(200);
  expect(answer.body.twoFactorRequired).toBe(true);
  return { browser, challenge: answer.body.challenge };
}

async function totpUser(ctx: ServerContext) {
  const user = await signedUpUser(ctx);
  const enrolled = await enrolTotp(ctx, user.client, user.password);
  return { ...user, ...enrolled };
}

forEachServer("authenticator app", (ctx) => {
  it("sets up with the password: a base32 secret and an otpauth URI with the standard parameters, nothing on yet", async () => {
    const user = await signedUpUser(ctx);
    const wrong = await user.client.post("/api/account/two-factor/totp/setup", { currentPassword: "not the password" });
    expect(wrong.status).toBe(401);
    const setup = await user.client.post("/api/account/two-factor/totp/setup", { currentPassword: user.password });
    expect(setup.status, setup.text).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.body.otpauthUri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(uri.searchParams.get("secret")).toBe(setup.body.secret);
    expect(uri.searchParams.get("algorithm")).toBe("SHA1");
    expect(uri.searchParams.get("digits")).toBe("6");
    expect(uri.searchParams.get("period")).toBe("30");
    expect(uri.searchParams.get("issuer")).toBe("Twofold");
    expect(decodeURIComponent(uri.pathname)).toContain(user.email);
    // Pending: sign-in still needs only the password.
    const session = await user.client.get("/api/auth/session");
    expect(session.body.user.twoFactor.totp).toBe(false);
    const fresh = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(fresh.body.user?.id).toBe(user.user.id);
    expect(ctx.log.text()).not.toContain(setup.body.secret);
  });

  it("turns on only with a right code: recovery codes once, other sessions signed out, this one credited, an email", async () => {
    const user = await signedUpUser(ctx);
    const other = ctx.client();
    expect((await other.post("/api/auth/sign-in", { email: user.email, password: user.password })).status).toBe(200);
    const setup = await user.client.post("/api/account/two-factor/totp/setup", { currentPassword: user.password });
    const wrong = await user.client.post("/api/account/two-factor/totp/confirm", {
      code: totpCode(ctx, setup.body.secret, 5),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("invalid_code");
    const confirm = await user.client.post("/api/account/two-factor/totp/confirm", {
      code: totpCode(ctx, setup.body.secret),
    });
    expect(confirm.status, confirm.text).toBe(200);
    expect(confirm.body.user.twoFactor).toEqual({ sms: false, totp: true, passkeys: 0, recoveryCodesLeft: 10 });
    expect(confirm.body.recoveryCodes).toHaveLength(10);
    for (const code of confirm.body.recoveryCodes) expect(code).toMatch(/^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$/);
    expect((await other.get("/api/auth/session")).status).toBe(401);
    const session = await user.client.get("/api/auth/session");
    expect(session.body.session.secondFactorAt).not.toBeNull();
    // Confirming counts as passing it: a security change needs no further step-up now.
    const codes = await user.client.post("/api/account/recovery-codes", { currentPassword: user.password });
    expect(codes.status, codes.text).toBe(200);
    const mail = await lastEmail(ctx.server, user.email, /sign-in method was added/);
    expect(mail?.body).toContain("authenticator app");
    const events = (await user.client.get("/api/account/security-events")).body.events.map((e: any) => e.type);
    expect(events).toContain("totp_enabled");
    // A second set-up is refused while one is on.
    const again = await user.client.post("/api/account/two-factor/totp/setup", { currentPassword: user.password });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("factor_exists");
  });

  it("refuses a set-up older than 15 minutes, and confirms a set-up once when two confirms race", async () => {
    const user = await signedUpUser(ctx);
    const setup = await user.client.post("/api/account/two-factor/totp/setup", { currentPassword: user.password });
    ctx.clock.advance(16 * 60);
    try {
      const late = await user.client.post("/api/account/two-factor/totp/confirm", {
        code: totpCode(ctx, setup.body.secret),
      });
      expect(late.status).toBe(410);
    } finally {
      ctx.clock.reset();
    }
    const fresh = await user.client.post("/api/account/two-factor/totp/setup", { currentPassword: user.password });
    const code = totpCode(ctx, fresh.body.secret);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => user.client.post("/api/account/two-factor/totp/confirm", { code })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.body.recoveryCodes)).toHaveLength(1);
  });

  it("signs in with an app code: no text sent, level 2; the same code never works twice, nor an older one", async () => {
    const user = await totpUser(ctx);
    const { browser, challenge } = await signIn(ctx, user);
    expect(challenge.methods).toEqual(["totp", "recovery_code"]);
    expect(challenge.phoneHint).toBeNull();
    // The code that confirmed the app was this step's: it is used, so the next step's code is needed.
    const used = await browser.post("/api/auth/two-factor/verify", {
      method: "totp",
      code: totpCode(ctx, user.secret),
    });
    expect(used.status).toBe(400);
    expect(used.body.error.code).toBe("invalid_code");
    const next = totpCode(ctx, user.secret, 1);
    const verified = await browser.post("/api/auth/two-factor/verify", { method: "totp", code: next });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body.session.assuranceLevel).toBe(2);
    // Replay in another sign-in, and the older step: both refused.
    const second = await signIn(ctx, user);
    for (const code of [next, totpCode(ctx, user.secret)]) {
      const replay = await second.browser.post("/api/auth/two-factor/verify", { method: "totp", code });
      expect(replay.status).toBe(400);
      expect(replay.body.error.code).toBe("invalid_code");
    }
  });

  it("accepts one step of drift either way, not two", async () => {
    const user = await totpUser(ctx);
    const { browser } = await signIn(ctx, user);
    const tooOld = await browser.post("/api/auth/two-factor/verify", {
      method: "totp",
      code: totpCode(ctx, user.secret, -2),
    });
    expect(tooOld.status).toBe(400);
    const tooNew = await browser.post("/api/auth/two-factor/verify", {
      method: "totp",
      code: totpCode(ctx, user.secret, 2),
    });
    expect(tooNew.status).toBe(400);
    ctx.clock.advance(60);
    try {
      const ahead = await browser.post("/api/auth/two-factor/verify", {
        method: "totp",
        code: totpCode(ctx, user.secret, 1),
      });
      expect(ahead.status, ahead.text).toBe(200);
    } finally {
      ctx.clock.reset();
    }
  });

  it("spends one budget across methods: five wrong answers of any kind end the challenge, even before a right code", async () => {
    const user = await twoFactorUser(ctx);
    const { secret } = await enrolTotp(ctx, user.client, user.password);
    const { browser, challenge } = await signIn(ctx, user);
    expect(challenge.methods).toEqual(["totp", "sms", "recovery_code"]);
    // TOTP is the first step: no text went out.
    expect((await lastSms(ctx.server, user.phone))?.body).not.toMatch(/sign in/i);
    const wrongs = [
      { method: "totp", code: "000000" },
      { method: "recovery_code", code: "0000-0000-0000" },
      { method: "totp", code: "111111" },
      { method: "recovery_code", code: "aaaa-bbbb-cccc" },
      { method: "sms", code: "222222" },
    ];
    const left: number[] = [];
    for (const wrong of wrongs) {
      const answer = await browser.post("/api/auth/two-factor/verify", wrong);
      if (answer.status === 400) left.push(answer.body.error.attemptsLeft);
      else expect(answer.status, answer.text).toBe(410);
    }
    expect(left).toEqual([4, 3, 2, 1, 0].slice(0, left.length));
    const right = await browser.post("/api/auth/two-factor/verify", {
      method: "totp",
      code: totpCode(ctx, secret, 1),
    });
    expect(right.status).toBe(410);
  });

  it("refuses a method the account does not have without spending an attempt", async () => {
    const user = await totpUser(ctx);
    const { browser } = await signIn(ctx, user);
    const sms = await browser.post("/api/auth/two-factor/verify", { method: "sms", code: "123456" });
    expect(sms.status).toBe(400);
    expect(sms.body.error.code).toBe("invalid_request");
    const state = await browser.get("/api/auth/two-factor/challenge");
    expect(state.body.attemptsLeft).toBe(5);
    const send = await browser.post("/api/auth/two-factor/send", { method: "sms" });
    expect(send.status).toBe(400);
  });

  it("steps up with an app code, and removal then turns two-factor off with its recovery codes", async () => {
    const user = await totpUser(ctx);
    ctx.clock.advance(STEP_UP_WINDOW_SECONDS + 60);
    try {
      const refused = await user.client.delete("/api/account/two-factor/totp", { currentPassword: user.password });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("second_factor_required");
      const stepUp = await user.client.post("/api/account/step-up", {
        method: "totp",
        code: totpCode(ctx, user.secret),
      });
      expect(stepUp.status, stepUp.text).toBe(204);
      const removed = await user.client.delete("/api/account/two-factor/totp", { currentPassword: user.password });
      expect(removed.status, removed.text).toBe(204);
    } finally {
      ctx.clock.reset();
    }
    const session = await user.client.get("/api/auth/session");
    expect(session.body.user.twoFactor).toEqual({ sms: false, totp: false, passkeys: 0, recoveryCodesLeft: 0 });
    expect((await lastEmail(ctx.server, user.email, /Two-step sign-in is off/))?.body).toBeTruthy();
    const plain = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(plain.body.session).toBeDefined();
    const gone = await user.client.delete("/api/account/two-factor/totp", { currentPassword: user.password });
    expect(gone.status).toBe(404);
  });

  it("removal beside SMS keeps two-factor on and says so; a sign-in opened before it is dead after it", async () => {
    const user = await twoFactorUser(ctx);
    const { secret } = await enrolTotp(ctx, user.client, user.password);
    const open = await signIn(ctx, user);
    const removed = await user.client.delete("/api/account/two-factor/totp", { currentPassword: user.password });
    expect(removed.status, removed.text).toBe(204);
    const session = await user.client.get("/api/auth/session");
    expect(session.body.user.twoFactor).toMatchObject({ sms: true, totp: false, recoveryCodesLeft: 10 });
    expect((await lastEmail(ctx.server, user.email, /was removed/))?.body).toContain("authenticator app");
    const late = await open.browser.post("/api/auth/two-factor/verify", {
      method: "totp",
      code: totpCode(ctx, secret, 1),
    });
    expect(late.status).toBe(410);
  });

  it("keeps the secret sealed at rest", async () => {
    const user = await totpUser(ctx);
    const rows = (await ctx.server.database.db.execute(
      sql`select encode(secret, 'escape') as secret from totp_credentials where user_id = ${user.user.id}`,
    )) as unknown as { rows: Array<{ secret: string }> };
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.secret).not.toContain(user.secret);
  });
});
