import { afterEach, beforeAll, expect, it } from "vitest";
import {
  APP_URL,
  forEachServer,
  lastEmail,
  signedUpUser,
  STRONG_PASSWORD,
  type ServerContext,
  uniqueEmail,
} from "../helpers/harness";

/** POST /api/auth/forgot-password and /reset-password over HTTP, on PGlite and PostgreSQL. */

const NEW_PASSWORD = "a brand new passphrase 42";

async function inbox(ctx: ServerContext, to: string) {
  const response = await ctx.server.app.request(
    "http://localhost:3000/api/dev/outbox",
    {},
    { remoteAddress: "127.0.0.1" },
  );
  const { messages } = (await response.json()) as { messages: Array<{ to: string; subject: string | null }> };
  return messages.filter((m) => m.to === to);
}

async function forgot(ctx: ServerContext, email: string): Promise<string> {
  expect((await ctx.client().post("/api/auth/forgot-password", { email })).status).toBe(202);
  const mail = await lastEmail(ctx.server, email, /^Reset your/);
  if (!mail?.token) throw new Error(`no reset link for ${email}`);
  return mail.token;
}

forEachServer("forgot-password, reset-password", (ctx) => {
  let alice: Awaited<ReturnType<typeof signedUpUser>>;
  beforeAll(async () => {
    alice = await signedUpUser(ctx);
  });
  afterEach(() => ctx.clock.reset());

  const reset = (token: string, password = NEW_PASSWORD, client = ctx.client()) =>
    client.post("/api/auth/reset-password", { token, password });
  /** A weak password is refused only after the token checks out, and does not burn it: a cheap validity probe. */
  const probe = async (token: string) => (await reset(token, "short")).body.error.code as string;

  it("forgot-password answers alike for known and unknown emails; only the owner gets a link", async () => {
    const unknown = uniqueEmail("unknown");
    const known = await ctx.client().post("/api/auth/forgot-password", { email: alice.email.toUpperCase() });
    const stranger = await ctx.client().post("/api/auth/forgot-password", { email: unknown });
    expect(known.status).toBe(202);
    expect(known.body).toEqual({ status: "reset_sent" });
    expect(stranger.status).toBe(known.status);
    expect(stranger.text).toBe(known.text);
    expect(await inbox(ctx, unknown)).toEqual([]);
    const mail = await lastEmail(ctx.server, alice.email, /^Reset your/);
    expect(mail?.link).toMatch(new RegExp(`^${APP_URL}/reset-password#token=`));
    expect((await ctx.client().post("/api/auth/forgot-password", { email: "nope" })).body.error).toMatchObject({
      code: "invalid_request",
      fields: { email: expect.any(String) },
    });
  });

  it("sets the new password, revokes every session and never signs in", async () => {
    const bob = await signedUpUser(ctx);
    const other = ctx.client();
    expect((await other.post("/api/auth/sign-in", { email: bob.email, password: bob.password })).status).toBe(200);
    const cli = ctx.client({ origin: null });
    const bearer = (await cli.post("/api/auth/sign-in", { email: bob.email, password: bob.password })).body
      .token as string;
    cli.bearer = bearer;

    const token = await forgot(ctx, bob.email);
    // Reset from the browser that is signed in: its own session goes too, and no new one is made.
    const response = await reset(token, NEW_PASSWORD, bob.client);
    expect(response.status).toBe(204);
    expect(response.text).toBe("");
    expect(response.headers.getSetCookie().every((line) => /Max-Age=0/.test(line))).toBe(true);
    expect(bob.client.cookie).toBeUndefined();
    for (const client of [bob.client, other, cli]) expect((await client.get("/api/auth/session")).status).toBe(401);

    expect((await ctx.client().post("/api/auth/sign-in", { email: bob.email, password: bob.password })).status).toBe(
      401,
    );
    expect((await ctx.client().post("/api/auth/sign-in", { email: bob.email, password: NEW_PASSWORD })).status).toBe(
      200,
    );
    expect((await lastEmail(ctx.server, bob.email))?.subject).toMatch(/password was changed/);
  });

  it("refuses weak passwords with weak_password without burning the link; the link then works once", async () => {
    const token = await forgot(ctx, alice.email);
    const weak = [
      "Sh0rt!x",
      "z".repeat(129),
      "password123",
      "qqqqqqqqqq",
      `${alice.email.split("@")[0]}-2024`,
      `${alice.name} rocks`,
    ];
    for (const password of weak) {
      const response = await reset(token, password);
      expect(response.status, password).toBe(400);
      expect(response.body.error.code).toBe("weak_password");
      expect(response.body.error.fields.password).toBe(response.body.error.message);
    }
    expect((await reset(token, NEW_PASSWORD)).status).toBe(204);
    const replay = await reset(token, "yet another fine passphrase");
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("invalid_token");
    alice.password = NEW_PASSWORD;
  });

  /** forgot-password allows 3 links per address per 15 minutes: tests that need several use their own account. */
  const account = async () => {
    const email = uniqueEmail();
    expect(
      (await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Grace Hopper" })).status,
    ).toBe(202);
    // Sign-up writes the account after its answer (core/sign-up.ts).
    await ctx.server.settle();
    return email;
  };

  it("a link lives 30 minutes", async () => {
    const email = await account();
    const first = await forgot(ctx, email);
    ctx.clock.advance(30 * 60 + 1);
    expect(await probe(first)).toBe("invalid_token");
    ctx.clock.reset();
    const second = await forgot(ctx, email);
    ctx.clock.advance(29 * 60);
    expect(await probe(second)).toBe("weak_password");
  });

  it("a newer link supersedes the older one", async () => {
    const email = await account();
    const older = await forgot(ctx, email);
    const newer = await forgot(ctx, email);
    expect(newer).not.toBe(older);
    expect(await probe(older)).toBe("invalid_token");
    expect(await probe(newer)).toBe("weak_password");
  });

  it("refuses tampered tokens and tokens of another purpose, without burning them", async () => {
    const resetToken = await forgot(ctx, await account());
    const [id, secret] = resetToken.split(".") as [string, string];
    const flipped = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    for (const bad of [`${id}.${flipped}`, `${id}`, "x".repeat(300)])
      expect(await probe(bad), bad).toBe("invalid_token");

    // A verification link is not a reset link, and a reset link does not verify an email.
    const email = await account();
    const verifyToken = (await lastEmail(ctx.server, email, /^Confirm your email/))!.token!;
    expect(await probe(verifyToken)).toBe("invalid_token");
    expect((await ctx.client().post("/api/auth/verify-email", { token: resetToken })).body.error.code).toBe(
      "invalid_token",
    );
    expect((await ctx.client().post("/api/auth/confirm-email-change", { token: resetToken })).body.error.code).toBe(
      "invalid_token",
    );
    expect(await probe(resetToken)).toBe("weak_password");
    expect((await ctx.client().post("/api/auth/verify-email", { token: verifyToken })).status).toBe(200);
  });

  it("checks a link without using it (204), and says invalid_token once it is used, expired or tampered", async () => {
    const email = await account();
    const token = await forgot(ctx, email);
    const check = (candidate: string, client = ctx.client()) =>
      client.post("/api/auth/reset-password/check", { token: candidate });
    // Checked twice, still good: the page's check on arrival must not spend the link.
    expect((await check(token)).status).toBe(204);
    expect((await check(token)).status).toBe(204);
    const [id, secret] = token.split(".") as [string, string];
    const tampered = await check(`${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`);
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe("invalid_token");
    const verifyToken = (await lastEmail(ctx.server, email, /^Confirm your email/))!.token!;
    expect((await check(verifyToken)).body.error.code).toBe("invalid_token");
    expect((await check("")).body.error.code).toBe("invalid_request");

    expect((await reset(token)).status).toBe(204);
    const used = await check(token);
    expect(used.status).toBe(400);
    expect(used.body.error.code).toBe("invalid_token");

    const expiring = await forgot(ctx, email);
    ctx.clock.advance(30 * 60 + 1);
    expect((await check(expiring)).body.error.code).toBe("invalid_token");
  });

  it("limits link checks per IP like every route that takes a link's token", async () => {
    const token = await forgot(ctx, await account());
    const client = ctx.client();
    for (let i = 0; i < 30; i++)
      expect((await client.post("/api/auth/reset-password/check", { token })).status).toBe(204);
    const limited = await client.post("/api/auth/reset-password/check", { token });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("50 link checks at once spend the budget exactly, and the reset shares it: no free guesses beside it", async () => {
    const token = await forgot(ctx, await account());
    const client = ctx.client();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => client.post("/api/auth/reset-password/check", { token })),
    );
    expect(answers.filter((a) => a.status === 204)).toHaveLength(30);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(20);
    const resetNow = await client.post("/api/auth/reset-password", { token, password: NEW_PASSWORD });
    expect(resetNow.status).toBe(429);
  });

  it("answers invalid_request with fields for missing input", async () => {
    const missing = await ctx.client().post("/api/auth/reset-password", {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({
      code: "invalid_request",
      fields: { token: "This field is required.", password: "This field is required." },
    });
  });

  it("a reset proves the inbox: an unverified account can sign in afterwards", async () => {
    const email = await account();
    expect((await ctx.client().post("/api/auth/sign-in", { email, password: STRONG_PASSWORD })).body.error.code).toBe(
      "email_not_verified",
    );
    expect((await reset(await forgot(ctx, email))).status).toBe(204);
    expect((await ctx.client().post("/api/auth/sign-in", { email, password: NEW_PASSWORD })).status).toBe(200);
  });

  it("a link sent to an address the account no longer has stops working", async () => {
    const carol = await signedUpUser(ctx);
    const token = await forgot(ctx, carol.email);
    const newEmail = uniqueEmail("moved");
    expect((await carol.client.post("/api/account/email", { currentPassword: carol.password, newEmail })).status).toBe(
      202,
    );
    const change = await lastEmail(ctx.server, newEmail, /new email/i);
    expect((await ctx.client().post("/api/auth/confirm-email-change", { token: change!.token })).status).toBe(200);
    // Whoever still reads the old inbox must not be able to take the account over.
    expect(await probe(token)).toBe("invalid_token");
    expect((await reset(token)).body.error.code).toBe("invalid_token");
  });

  it("limits forgot-password per email across IPs and per IP across emails", async () => {
    const email = uniqueEmail("flood");
    for (let i = 0; i < 3; i++)
      expect((await ctx.client().post("/api/auth/forgot-password", { email })).status).toBe(202);
    const perEmail = await ctx.client().post("/api/auth/forgot-password", { email });
    expect(perEmail.status).toBe(429);
    expect(perEmail.body.error.code).toBe("rate_limited");
    expect(Number(perEmail.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(perEmail.headers.get("retry-after"))).toBeLessThanOrEqual(15 * 60);

    const client = ctx.client();
    for (let i = 0; i < 10; i++)
      expect((await client.post("/api/auth/forgot-password", { email: uniqueEmail() })).status).toBe(202);
    const perIp = await client.post("/api/auth/forgot-password", { email: uniqueEmail() });
    expect(perIp.status).toBe(429);
    expect(Number(perIp.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
    expect((await ctx.client().post("/api/auth/forgot-password", { email: uniqueEmail() })).status).toBe(202);
  });
});
