import { afterEach, expect, it } from "vitest";
import { APP_URL, forEachServer, lastEmail, signedUpUser, uniqueEmail } from "../helpers/harness";

/**
 * POST /api/auth/confirm-email-change over HTTP. The request side (POST /api/account/email) is tested elsewhere;
 * here it only hands out links.
 */

type SignedUp = Awaited<ReturnType<typeof signedUpUser>>;

forEachServer("confirm-email-change", (ctx) => {
  afterEach(() => ctx.clock.reset());

  async function requestChange(user: SignedUp, newEmail = uniqueEmail("new")) {
    const response = await user.client.post("/api/account/email", { currentPassword: user.password, newEmail });
    expect(response.status).toBe(202);
    const mail = await lastEmail(ctx.server, newEmail, /^Confirm your new email/);
    if (!mail?.token) throw new Error(`no confirmation link for ${newEmail}`);
    return { newEmail, token: mail.token, link: mail.link };
  }

  const confirm = (token: string, client = ctx.client()) => client.post("/api/auth/confirm-email-change", { token });

  it("switches the address with the link sent to the new inbox, from any device", async () => {
    const alice = await signedUpUser(ctx);
    const { newEmail, token, link } = await requestChange(alice);
    expect(link).toMatch(new RegExp(`^${APP_URL}/confirm-email#token=`));
    expect((await lastEmail(ctx.server, alice.email))?.subject).toMatch(/being changed/);

    const response = await confirm(token);
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: alice.user.id, email: newEmail, emailVerified: true });
    expect(response.headers.get("set-cookie")).toBeNull();
    expect((await alice.client.get("/api/auth/session")).body.user.email).toBe(newEmail);
    expect(
      (await ctx.client().post("/api/auth/sign-in", { email: alice.email, password: alice.password })).status,
    ).toBe(401);
    expect((await ctx.client().post("/api/auth/sign-in", { email: newEmail, password: alice.password })).status).toBe(
      200,
    );

    const replay = await confirm(token);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("invalid_token");
  });

  it("a link lives 1 hour", async () => {
    const bob = await signedUpUser(ctx);
    const first = await requestChange(bob);
    ctx.clock.advance(3600 + 1);
    expect((await confirm(first.token)).body.error.code).toBe("invalid_token");
    ctx.clock.reset();
    const second = await requestChange(bob);
    ctx.clock.advance(3600 - 60);
    expect((await confirm(second.token)).status).toBe(200);
  });

  it("a newer request supersedes the older link", async () => {
    const carol = await signedUpUser(ctx);
    const older = await requestChange(carol);
    const newer = await requestChange(carol);
    expect((await confirm(older.token)).body.error.code).toBe("invalid_token");
    const response = await confirm(newer.token);
    expect(response.status).toBe(200);
    expect(response.body.user.email).toBe(newer.newEmail);
  });

  it("answers 409 email_taken when another account took the address meanwhile; the link survives", async () => {
    const dave = await signedUpUser(ctx);
    const { newEmail, token } = await requestChange(dave);
    // Someone else registers the address before Dave clicks.
    const squatter = await signedUpUser(ctx, { email: newEmail });

    const taken = await confirm(token);
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe("email_taken");
    expect((await dave.client.get("/api/auth/session")).body.user.email).toBe(dave.email);

    // The refused confirmation did not burn the link: once the address is free again, it works.
    const away = await requestChange(squatter);
    expect((await confirm(away.token)).status).toBe(200);
    const response = await confirm(token);
    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: dave.user.id, email: newEmail });
  });

  it("refuses tampered tokens and tokens of another purpose, without burning the real one", async () => {
    const erin = await signedUpUser(ctx);
    const { token } = await requestChange(erin);
    const [id, secret] = token.split(".") as [string, string];
    const flipped = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    await ctx.client().post("/api/auth/forgot-password", { email: erin.email });
    const resetToken = (await lastEmail(ctx.server, erin.email, /^Reset your/))!.token!;
    for (const bad of [`${id}.${flipped}`, `${flipped}.${id}`, resetToken, "garbage"]) {
      const response = await confirm(bad);
      expect(response.status, bad).toBe(400);
      expect(response.body.error.code).toBe("invalid_token");
    }
    // Nor is a change link a verification link.
    expect((await ctx.client().post("/api/auth/verify-email", { token })).body.error.code).toBe("invalid_token");
    const missing = await ctx.client().post("/api/auth/confirm-email-change", {});
    expect(missing.body.error).toMatchObject({ code: "invalid_request", fields: { token: "This field is required." } });
    expect((await confirm(token)).status).toBe(200);
  });
});
