import { expect, it } from "vitest";
import { forEachServer, lastEmail, type ServerContext, signedUpUser, STRONG_PASSWORD } from "../helpers/harness";

const NEW_PASSWORD = "tulip marble quietly orbit seventeen";

async function signIn(ctx: ServerContext, email: string, password: string, userAgent?: string) {
  const client = ctx.client({ userAgent });
  const res = await client.post("/api/auth/sign-in", { email, password });
  return { client, res };
}

forEachServer("POST /api/account/password", (ctx) => {
  it("changes the password: 204, other sessions end, this one stays, old password stops working", async () => {
    const owner = await signedUpUser(ctx);
    const laptop = await signIn(
      ctx,
      owner.email,
      STRONG_PASSWORD,
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    );
    const phone = await signIn(ctx, owner.email, STRONG_PASSWORD);
    expect((await laptop.client.get("/api/auth/session")).status).toBe(200);

    const res = await owner.client.post("/api/account/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(res.status).toBe(204);
    expect(res.text).toBe("");

    expect((await owner.client.get("/api/auth/session")).status).toBe(200);
    for (const other of [laptop.client, phone.client]) {
      const session = await other.get("/api/auth/session");
      expect(session.status).toBe(401);
      expect(session.body.error.code).toBe("unauthenticated");
    }
    const sessions = await owner.client.get("/api/account/sessions");
    expect(sessions.body.sessions).toHaveLength(1);
    expect(sessions.body.sessions[0].current).toBe(true);

    const old = await signIn(ctx, owner.email, STRONG_PASSWORD);
    expect(old.res.status).toBe(401);
    expect(old.res.body.error.code).toBe("invalid_credentials");
    const fresh = await signIn(ctx, owner.email, NEW_PASSWORD);
    expect(fresh.res.status).toBe(200);
    expect(fresh.res.body.user.email).toBe(owner.email);

    const mail = await lastEmail(ctx.server, owner.email, /password was changed/i);
    expect(mail).not.toBeNull();
    expect(mail!.body).not.toContain(NEW_PASSWORD);
    expect(mail!.body).toContain("/forgot-password");

    const events = (await owner.client.get("/api/account/security-events")).body.events as Array<{
      type: string;
      ip: string;
    }>;
    const types = events.map((e) => e.type);
    expect(types.indexOf("password_changed")).toBeGreaterThan(-1);
    expect(types.indexOf("password_changed")).toBeGreaterThan(types.indexOf("sign_in"));
    expect(events.find((e) => e.type === "password_changed")!.ip).toBe(owner.client.ip);
  });

  it("cancels reset links issued before the change, so an old link cannot undo it", async () => {
    const { client, email, password } = await signedUpUser(ctx);
    await ctx.client().post("/api/auth/forgot-password", { email });
    const reset = await lastEmail(ctx.server, email, /reset/i);
    expect(reset?.token).toBeTruthy();
    const changed = await client.post("/api/account/password", {
      currentPassword: password,
      newPassword: "a brand new passphrase",
    });
    expect(changed.status).toBe(204);
    const replay = await ctx
      .client()
      .post("/api/auth/reset-password", { token: reset!.token, password: "what the link holder wants" });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("invalid_token");
  });

  it("refuses a wrong current password with 401 invalid_credentials and changes nothing", async () => {
    const owner = await signedUpUser(ctx);
    const other = await signIn(ctx, owner.email, STRONG_PASSWORD);
    const res = await owner.client.post("/api/account/password", {
      currentPassword: "not the password at all",
      newPassword: NEW_PASSWORD,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_credentials");
    expect(res.body.error.fields).toHaveProperty("currentPassword");
    // A wrong current password is not a reason to sign the caller out.
    expect((await owner.client.get("/api/auth/session")).status).toBe(200);
    expect((await other.client.get("/api/auth/session")).status).toBe(200);
    expect((await signIn(ctx, owner.email, STRONG_PASSWORD)).res.status).toBe(200);
    expect(await lastEmail(ctx.server, owner.email, /password was changed/i)).toBeNull();
  });

  it.each([
    ["too short", "short1"],
    ["a common password", "password123"],
    ["the email address itself", "EMAIL"],
  ])("refuses a weak new password (%s) with 400 weak_password and keeps the old one", async (_why, weak) => {
    const owner = await signedUpUser(ctx);
    const other = await signIn(ctx, owner.email, STRONG_PASSWORD);
    const newPassword = weak === "EMAIL" ? owner.email : weak;
    const res = await owner.client.post("/api/account/password", { currentPassword: STRONG_PASSWORD, newPassword });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("weak_password");
    expect(res.body.error.fields).toHaveProperty("newPassword");
    expect((await other.client.get("/api/auth/session")).status).toBe(200);
    expect((await signIn(ctx, owner.email, STRONG_PASSWORD)).res.status).toBe(200);
  });

  it("validates the body: missing or non-string fields are 400 invalid_request with fields", async () => {
    const owner = await signedUpUser(ctx);
    const missing = await owner.client.post("/api/account/password", { currentPassword: STRONG_PASSWORD });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: "invalid_request",
      fields: { newPassword: "This field is required." },
    });
    const wrongType = await owner.client.post("/api/account/password", {
      currentPassword: 12345678,
      newPassword: [NEW_PASSWORD],
    });
    expect(wrongType.status).toBe(400);
    expect(Object.keys(wrongType.body.error.fields).sort()).toEqual(["currentPassword", "newPassword"]);
  });

  it("rate-limits repeated current-password guesses with 429 and Retry-After, even for the right password", async () => {
    const owner = await signedUpUser(ctx);
    const attempts = [];
    for (let i = 0; i < 10; i++) {
      attempts.push(
        (
          await owner.client.post("/api/account/password", {
            currentPassword: `guess number ${i}`,
            newPassword: NEW_PASSWORD,
          })
        ).status,
      );
    }
    expect(attempts).toEqual(Array(10).fill(401));
    const limited = await owner.client.post("/api/account/password", {
      currentPassword: "guess number 11",
      newPassword: NEW_PASSWORD,
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // The limit is per user and not bypassed by another session or the correct password.
    const again = await signIn(ctx, owner.email, STRONG_PASSWORD);
    const correct = await again.client.post("/api/account/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(correct.status).toBe(429);
    expect((await signIn(ctx, owner.email, STRONG_PASSWORD)).res.status).toBe(200);
  });

  it("needs a session and our origin", async () => {
    const anonymous = await ctx
      .client()
      .post("/api/account/password", { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe("unauthenticated");
    const owner = await signedUpUser(ctx);
    const res = await owner.client.request("POST", "/api/account/password", {
      json: { currentPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD },
      headers: { origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("invalid_origin");
    expect((await signIn(ctx, owner.email, STRONG_PASSWORD)).res.status).toBe(200);
  });
});
