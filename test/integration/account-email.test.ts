import { expect, it } from "vitest";
import {
  forEachServer,
  lastEmail,
  type ServerContext,
  signedUpUser,
  STRONG_PASSWORD,
  uniqueEmail,
} from "../helpers/harness";

const CONFIRM = /confirm your new email/i;
const NOTICE = /email address is being changed/i;

async function signIn(ctx: ServerContext, email: string, password = STRONG_PASSWORD) {
  const client = ctx.client();
  const res = await client.post("/api/auth/sign-in", { email, password });
  return { client, res };
}

forEachServer("POST /api/account/email and confirm-email-change", (ctx) => {
  it("sends a link to the new address and a notice to the old; the link switches the address", async () => {
    const owner = await signedUpUser(ctx, { name: "Grace Hopper" });
    const newEmail = uniqueEmail("moved");
    const res = await owner.client.post("/api/account/email", {
      currentPassword: STRONG_PASSWORD,
      newEmail: `  ${newEmail.toUpperCase()} `,
    });
    expect(res.status).toBe(202);

    const confirm = await lastEmail(ctx.server, newEmail, CONFIRM);
    expect(confirm?.token).toBeTruthy();
    expect(confirm!.link!.startsWith("http://localhost:3000/confirm-email#token=")).toBe(true);
    expect(confirm!.body).toContain(newEmail);
    const notice = await lastEmail(ctx.server, owner.email, NOTICE);
    expect(notice).not.toBeNull();
    expect(notice!.body).toContain(newEmail);
    // The old inbox is told, but gets nothing that could complete the change.
    expect(notice!.token).toBeNull();
    expect(notice!.body).not.toContain(confirm!.token!);

    // Nothing changes until the link is followed.
    expect((await owner.client.get("/api/auth/session")).body.user.email).toBe(owner.email);
    expect((await signIn(ctx, owner.email)).res.status).toBe(200);

    // The link is opened from the new inbox, possibly on another device without a session.
    const done = await ctx.client().post("/api/auth/confirm-email-change", { token: confirm!.token });
    expect(done.status).toBe(200);
    expect(done.body.user).toMatchObject({
      id: owner.user.id,
      email: newEmail,
      emailVerified: true,
      name: "Grace Hopper",
    });
    expect((await owner.client.get("/api/auth/session")).body.user.email).toBe(newEmail);

    const withNew = await signIn(ctx, newEmail);
    expect(withNew.res.status).toBe(200);
    expect(withNew.res.body.user.id).toBe(owner.user.id);
    const withOld = await signIn(ctx, owner.email);
    expect(withOld.res.status).toBe(401);
    expect(withOld.res.body.error.code).toBe("invalid_credentials");

    const replay = await ctx.client().post("/api/auth/confirm-email-change", { token: confirm!.token });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("invalid_token");

    const types = (await owner.client.get("/api/account/security-events")).body.events.map(
      (e: { type: string }) => e.type,
    );
    // Newest first: the sign-in with the new address, the change, the earlier sign-in, the request.
    expect(types.slice(0, 4)).toEqual(["sign_in", "email_changed", "sign_in", "email_change_requested"]);
  });

  it("refuses a wrong current password with 401 and sends no mail", async () => {
    const owner = await signedUpUser(ctx);
    const newEmail = uniqueEmail("nope");
    const res = await owner.client.post("/api/account/email", { currentPassword: "definitely not it", newEmail });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_credentials");
    expect(await lastEmail(ctx.server, newEmail)).toBeNull();
    expect(await lastEmail(ctx.server, owner.email, NOTICE)).toBeNull();
  });

  it("refuses the current address (in any case) with 400 naming newEmail", async () => {
    const owner = await signedUpUser(ctx);
    for (const newEmail of [owner.email, owner.email.toUpperCase()]) {
      const res = await owner.client.post("/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.fields).toHaveProperty("newEmail");
    }
    expect(await lastEmail(ctx.server, owner.email, NOTICE)).toBeNull();
  });

  it("validates the body: a malformed address or a missing password is 400 invalid_request", async () => {
    const owner = await signedUpUser(ctx);
    const malformed = await owner.client.post("/api/account/email", {
      currentPassword: STRONG_PASSWORD,
      newEmail: "not-an-email",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({
      code: "invalid_request",
      fields: { newEmail: "Enter a valid email address." },
    });
    const missing = await owner.client.post("/api/account/email", { newEmail: uniqueEmail() });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields).toEqual({ currentPassword: "This field is required." });
  });

  it("only the newest link works, and a tampered or foreign-purpose token is invalid_token", async () => {
    const owner = await signedUpUser(ctx);
    const first = uniqueEmail("first");
    const second = uniqueEmail("second");
    expect(
      (await owner.client.post("/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail: first })).status,
    ).toBe(202);
    expect(
      (await owner.client.post("/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail: second })).status,
    ).toBe(202);
    const stale = (await lastEmail(ctx.server, first, CONFIRM))!.token!;
    const fresh = (await lastEmail(ctx.server, second, CONFIRM))!.token!;
    const [id, secret] = fresh.split(".");
    const tampered = `${id}.${secret!.slice(0, -2)}${secret!.endsWith("AA") ? "BB" : "AA"}`;
    for (const token of [stale, tampered, "garbage", `${id}`]) {
      const res = await ctx.client().post("/api/auth/confirm-email-change", { token });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_token");
    }
    // A password-reset link is not an email-change link.
    await ctx.client().post("/api/auth/forgot-password", { email: owner.email });
    const reset = (await lastEmail(ctx.server, owner.email, /reset your/i))!.token!;
    expect((await ctx.client().post("/api/auth/confirm-email-change", { token: reset })).body.error.code).toBe(
      "invalid_token",
    );
    expect((await owner.client.get("/api/auth/session")).body.user.email).toBe(owner.email);
    expect((await ctx.client().post("/api/auth/confirm-email-change", { token: fresh })).status).toBe(200);
  });

  it("answers 409 email_taken when the address belongs to another account by the time of the click", async () => {
    const owner = await signedUpUser(ctx);
    const wanted = uniqueEmail("wanted");
    expect(
      (await owner.client.post("/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail: wanted })).status,
    ).toBe(202);
    const token = (await lastEmail(ctx.server, wanted, CONFIRM))!.token!;
    await signedUpUser(ctx, { email: wanted });
    const res = await ctx.client().post("/api/auth/confirm-email-change", { token });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("email_taken");
    expect((await owner.client.get("/api/auth/session")).body.user.email).toBe(owner.email);
  });

  it("a reset link sent to the old address stops working once the address has changed", async () => {
    const owner = await signedUpUser(ctx);
    await ctx.client().post("/api/auth/forgot-password", { email: owner.email });
    const resetToken = (await lastEmail(ctx.server, owner.email, /reset your/i))!.token!;
    const newEmail = uniqueEmail("escaped");
    await owner.client.post("/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail });
    expect(
      (
        await ctx
          .client()
          .post("/api/auth/confirm-email-change", { token: (await lastEmail(ctx.server, newEmail, CONFIRM))!.token })
      ).status,
    ).toBe(200);

    // Whoever still reads the old inbox must not be able to take the account over with the older link.
    const res = await ctx
      .client()
      .post("/api/auth/reset-password", { token: resetToken, password: "attacker chosen passphrase 42" });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_token");
    expect((await signIn(ctx, newEmail)).res.status).toBe(200);
    expect((await owner.client.get("/api/auth/session")).status).toBe(200);
  });

  it("rate-limits email change requests per user (429 with Retry-After)", async () => {
    const owner = await signedUpUser(ctx);
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (
          await owner.client.post("/api/account/email", {
            currentPassword: STRONG_PASSWORD,
            newEmail: uniqueEmail("bomb"),
          })
        ).status,
      );
    expect(statuses).toEqual([202, 202, 202, 202, 202]);
    const limited = await owner.client.post("/api/account/email", {
      currentPassword: STRONG_PASSWORD,
      newEmail: uniqueEmail("bomb"),
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("needs a session", async () => {
    const res = await ctx
      .client()
      .post("/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail: uniqueEmail() });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthenticated");
  });
});
