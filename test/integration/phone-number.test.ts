import { beforeAll, expect, it } from "vitest";
import {
  forEachServer,
  lastEmail,
  lastSms,
  type ServerContext,
  signedUpUser,
  type TestClient,
  twoFactorUser,
  uniquePhone,
} from "../helpers/harness";

/**
 * The account's mobile number over HTTP with the dev outbox: add, prove with a code, change, remove. The
 * number only replaces the old one once its code comes back; the old number and the inbox hear of every change.
 */

type User = Awaited<ReturnType<typeof signedUpUser>>;

const mask = (phone: string) => `+1 ••• ••• ${phone.slice(-4)}`;

async function startVerification(client: TestClient, password: string, phoneNumber: string) {
  const response = await client.post("/api/account/phone", { phoneNumber, currentPassword: password });
  expect(response.status, response.text).toBe(202);
  return response.body as {
    verificationId: string;
    phoneHint: string;
    expiresAt: string;
    codeExpiresAt: string;
    resendAt: string;
    attemptsLeft: number;
  };
}

async function smsTo(ctx: ServerContext, phone: string) {
  const response = await ctx.server.app.request(
    "http://localhost:3000/api/dev/outbox",
    {},
    { remoteAddress: "127.0.0.1" },
  );
  const { messages } = (await response.json()) as { messages: Array<{ channel: string; to: string; body: string }> };
  return messages.filter((m) => m.channel === "sms" && m.to === phone);
}

const eventTypes = async (client: TestClient) =>
  (await client.get("/api/account/security-events")).body.events.map((e: { type: string }) => e.type) as string[];

forEachServer("the account's phone number", (ctx) => {
  let ada: User;
  beforeAll(async () => {
    ada = await signedUpUser(ctx);
  });

  it("adds a number: a code goes to it, and the code makes it the account's verified number", async () => {
    const phone = uniquePhone();
    const started = await startVerification(ada.client, ada.password, phone);
    expect(started).toEqual({
      verificationId: expect.stringMatching(/^[\w-]{22,}$/),
      phoneHint: mask(phone),
      phoneNumber: phone,
      expiresAt: expect.any(String),
      codeExpiresAt: expect.any(String),
      resendAt: expect.any(String),
      attemptsLeft: 5,
    });
    // The code lives 5 minutes, the verification 10.
    const now = ctx.clock.now().getTime();
    expect(Date.parse(started.codeExpiresAt) - now).toBeGreaterThan(4 * 60_000);
    expect(Date.parse(started.codeExpiresAt) - now).toBeLessThanOrEqual(5 * 60_000 + 1000);
    expect(Date.parse(started.expiresAt) - now).toBeGreaterThan(9 * 60_000);
    const sms = await lastSms(ctx.server, phone);
    expect(sms?.body).toMatch(/phone verification code/);
    expect((await ada.client.get("/api/account/phone/verification")).body).toEqual(started);
    expect((await ada.client.get("/api/auth/session")).body.user).toMatchObject({
      phoneNumber: null,
      phoneVerified: false,
    });

    const verified = await ada.client.post("/api/account/phone/verify", {
      verificationId: started.verificationId,
      code: sms!.code,
    });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body.user).toMatchObject({
      id: ada.user.id,
      phoneNumber: mask(phone),
      phoneVerified: true,
      twoFactor: { sms: false },
    });
    // The owner's own answers carry the number in full too; the masked form is for where others may look.
    expect((await ada.client.get("/api/auth/session")).body.user).toMatchObject({
      phoneNumber: mask(phone),
      phoneNumberFull: phone,
      phoneVerified: true,
    });
    expect((await ada.client.get("/api/account/phone/verification")).status).toBe(404);
    expect(await eventTypes(ada.client)).toContain("phone_added");
    // A used verification is over.
    expect(
      (await ada.client.post("/api/account/phone/verify", { verificationId: started.verificationId, code: sms!.code }))
        .status,
    ).toBe(410);
  });

  it("asks for the current password (401) and sends nothing without it", async () => {
    const phone = uniquePhone();
    const refused = await ada.client.post("/api/account/phone", {
      phoneNumber: phone,
      currentPassword: "not my password at all",
    });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("invalid_credentials");
    expect(await smsTo(ctx, phone)).toEqual([]);
    expect(
      (await ctx.client().post("/api/account/phone", { phoneNumber: phone, currentPassword: ada.password })).status,
    ).toBe(401);
  });

  // Before issue 9 this answered 409 phone_taken: any account holder could test whose number is whose.
  it("texts a number another account has verified exactly as any other: no answer tells that it is in use", async () => {
    const owner = await twoFactorUser(ctx);
    const fresh = uniquePhone();
    const before = (await smsTo(ctx, owner.phone)).length;
    const taken = await startVerification(ada.client, ada.password, owner.phone);
    const unused = await startVerification(ada.client, ada.password, fresh);
    expect(Object.keys(taken).sort()).toEqual(Object.keys(unused).sort());
    expect((await smsTo(ctx, owner.phone)).length).toBe(before + 1);
  });

  it("lets several accounts verify the same number (families share phones), each with its own code", async () => {
    const grace = await signedUpUser(ctx);
    const phone = uniquePhone();
    const first = await startVerification(grace.client, grace.password, phone);
    const graceCode = (await lastSms(ctx.server, phone))!.code;
    const second = await startVerification(ada.client, ada.password, phone);
    const adaCode = (await lastSms(ctx.server, phone))!.code;
    // Codes are bound to their challenge: Grace's code does not verify Ada's request.
    expect(
      (await ada.client.post("/api/account/phone/verify", { verificationId: second.verificationId, code: graceCode }))
        .status,
    ).toBe(400);
    expect(
      (await ada.client.post("/api/account/phone/verify", { verificationId: second.verificationId, code: adaCode }))
        .status,
    ).toBe(200);
    const late = await grace.client.post("/api/account/phone/verify", {
      verificationId: first.verificationId,
      code: graceCode,
    });
    expect(late.status, late.text).toBe(200);
    expect((await grace.client.get("/api/auth/session")).body.user).toMatchObject({
      phoneNumber: mask(phone),
      phoneVerified: true,
    });
    expect((await ada.client.get("/api/auth/session")).body.user).toMatchObject({
      phoneNumber: mask(phone),
      phoneVerified: true,
    });
  });

  it("keeps the old number until the new one is verified, then tells the old number (SMS) and the inbox", async () => {
    const user = await twoFactorUser(ctx);
    const next = uniquePhone();
    const started = await startVerification(user.client, user.password, next);
    expect((await user.client.get("/api/auth/session")).body.user).toMatchObject({
      phoneNumber: mask(user.phone),
      phoneVerified: true,
      twoFactor: { sms: true },
    });
    // Sign-in codes still go to the old number meanwhile.
    const browser = ctx.client();
    const signIn = await browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(signIn.body.challenge.phoneHint).toBe(mask(user.phone));
    // Before the second factor nobody is proven the owner: the challenge carries no digit beyond the last four.
    expect(JSON.stringify(signIn.body)).not.toContain(user.phone.slice(2, -4));
    const signInSms = await lastSms(ctx.server, user.phone);
    expect(signInSms!.body).toMatch(/is your sign-in code/);

    const code = (await lastSms(ctx.server, next))!.code;
    const verified = await user.client.post("/api/account/phone/verify", {
      verificationId: started.verificationId,
      code,
    });
    expect(verified.body.user).toMatchObject({
      phoneNumber: mask(next),
      phoneVerified: true,
      twoFactor: { sms: true },
    });
    const notice = await lastSms(ctx.server, user.phone);
    expect(notice!.body).toMatch(/this number was replaced on your account/);
    expect(notice!.code).toBeNull();
    const mail = await lastEmail(ctx.server, user.email, /phone number was updated/);
    expect(mail!.body).toContain(mask(next));
    expect(mail!.body).not.toContain(next);
    expect(await eventTypes(user.client)).toContain("phone_changed");
    // The sign-in started before the change proves nothing about the new number.
    const stale = await browser.post("/api/auth/two-factor/verify", {
      challengeId: signIn.body.challenge.id,
      method: "sms",
      code: signInSms!.code,
    });
    expect(stale.status).toBe(410);
    expect(browser.cookie).toBeUndefined();
  });

  it("removes the number with the password: SMS two-factor goes off, the number and the inbox are told", async () => {
    const user = await twoFactorUser(ctx);
    const wrong = await user.client.delete("/api/account/phone", { currentPassword: "not my password at all" });
    expect(wrong.status).toBe(401);
    expect((await user.client.delete("/api/account/phone", { currentPassword: user.password })).status).toBe(204);
    expect((await user.client.get("/api/auth/session")).body.user).toMatchObject({
      phoneNumber: null,
      phoneVerified: false,
      twoFactor: { sms: false },
    });
    expect((await lastSms(ctx.server, user.phone))!.body).toMatch(/this number was removed from your account/);
    expect(await lastEmail(ctx.server, user.email, /phone number was removed/)).not.toBeNull();
    expect(await eventTypes(user.client)).toContain("phone_removed");
    // Password alone signs in again.
    const signIn = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(signIn.body.session.assuranceLevel).toBe(1);
  });

  it("makes a resend wait 60 seconds (429 resend_too_soon, Retry-After), then the new code replaces the old", async () => {
    const user = await signedUpUser(ctx);
    const phone = uniquePhone();
    const { verificationId } = await startVerification(user.client, user.password, phone);
    const oldCode = (await lastSms(ctx.server, phone))!.code!;
    const early = await user.client.post("/api/account/phone/resend", { verificationId });
    expect(early.status).toBe(429);
    expect(early.body.error.code).toBe("resend_too_soon");
    expect(Number(early.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(Number(early.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(await smsTo(ctx, phone)).toHaveLength(1);

    ctx.clock.advance(61);
    const sent = await user.client.post("/api/account/phone/resend", { verificationId });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({
      resendAt: expect.any(String),
      expiresAt: expect.any(String),
      codeExpiresAt: expect.any(String),
    });
    expect(Date.parse(sent.body.codeExpiresAt) - ctx.clock.now().getTime()).toBeGreaterThan(4 * 60_000);
    const newCode = (await lastSms(ctx.server, phone))!.code!;
    if (newCode !== oldCode) {
      const stale = await user.client.post("/api/account/phone/verify", { verificationId, code: oldCode });
      expect(stale.body.error).toMatchObject({ code: "invalid_code", attemptsLeft: 4 });
    }
    expect((await user.client.post("/api/account/phone/verify", { verificationId, code: newCode })).status).toBe(200);
  });

  it("counts wrong codes (invalid_code with attemptsLeft) and kills the verification after 5", async () => {
    const user = await signedUpUser(ctx);
    const phone = uniquePhone();
    const { verificationId } = await startVerification(user.client, user.password, phone);
    const code = (await lastSms(ctx.server, phone))!.code!;
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    for (const left of [4, 3, 2, 1, 0]) {
      const response = await user.client.post("/api/account/phone/verify", { verificationId, code: wrong });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: "invalid_code", attemptsLeft: left });
    }
    expect((await user.client.post("/api/account/phone/verify", { verificationId, code })).status).toBe(410);
    expect((await user.client.get("/api/auth/session")).body.user.phoneVerified).toBe(false);
  });

  it("treats another user's verification id as not found (410), for verify and resend alike", async () => {
    const grace = await signedUpUser(ctx);
    const phone = uniquePhone();
    const { verificationId } = await startVerification(grace.client, grace.password, phone);
    const code = (await lastSms(ctx.server, phone))!.code;
    const stolen = await ada.client.post("/api/account/phone/verify", { verificationId, code });
    expect(stolen.status).toBe(410);
    expect(stolen.body.error.code).toBe("challenge_expired");
    ctx.clock.advance(61);
    expect((await ada.client.post("/api/account/phone/resend", { verificationId })).status).toBe(410);
    expect(await smsTo(ctx, phone)).toHaveLength(1);
    // The owner lost no attempt to any of it.
    const owned = await grace.client.post("/api/account/phone/verify", { verificationId, code });
    expect(owned.status).toBe(200);
  });

  it("does not take a sign-in challenge as a phone verification, even the user's own", async () => {
    const user = await twoFactorUser(ctx);
    const signIn = await ctx
      .client({ origin: null })
      .post("/api/auth/sign-in", { email: user.email, password: user.password });
    const code = (await lastSms(ctx.server, user.phone))!.code;
    const misused = await user.client.post("/api/account/phone/verify", {
      verificationId: signIn.body.challenge.id,
      code,
    });
    expect(misused.status).toBe(410);
    const verified = await ctx
      .client({ origin: null })
      .post("/api/auth/two-factor/verify", { challengeId: signIn.body.challenge.id, method: "sms", code });
    expect(verified.status).toBe(200);
    // And a phone verification is no sign-in challenge.
    const phone = uniquePhone();
    const { verificationId } = await startVerification(user.client, user.password, phone);
    const phoneCode = (await lastSms(ctx.server, phone))!.code;
    expect(
      (
        await ctx
          .client({ origin: null })
          .post("/api/auth/two-factor/verify", { challengeId: verificationId, method: "sms", code: phoneCode })
      ).status,
    ).toBe(410);
    expect((await user.client.post("/api/account/phone/verify", { verificationId, code: phoneCode })).status).toBe(200);
  });
});
