import { expect, it } from "vitest";
import { newChallenge, startChallengeStep, verifyChallenge } from "../../src/core/challenges";
import type { StartedStep } from "../../src/core/factors";
import { STEP_UP_WINDOW_SECONDS } from "../../src/core/step-up";
import type { ClientInfo } from "../../src/core/types";
import {
  APP_URL,
  forEachServer,
  lastEmail,
  type ServerContext,
  signedUpUser,
  type TestClient,
  twoFactorUser,
} from "../helpers/harness";
import { SoftAuthenticator } from "../helpers/webauthn-authenticator";

/**
 * Issue 11, passkeys: registering one (password, step-up while 2FA is on; the first turns 2FA on), listing,
 * renaming and deleting them, using one as the second step, and signing in with one alone.
 */

async function addPasskey(
  user: { client: TestClient; password: string },
  authenticator = new SoftAuthenticator({ origin: APP_URL }),
  name?: string,
) {
  const options = await user.client.post("/api/account/passkeys/options", { currentPassword: user.password });
  expect(options.status, options.text).toBe(200);
  const response = authenticator.register(options.body);
  const registered = await user.client.post("/api/account/passkeys", { response, ...(name ? { name } : {}) });
  expect(registered.status, registered.text).toBe(201);
  return { authenticator, options: options.body, response, registered: registered.body };
}

/** A user with one passkey (2FA on through it) whose browser stays signed in. */
async function passkeyUser(ctx: ServerContext) {
  const user = await signedUpUser(ctx);
  const added = await addPasskey(user);
  return { ...user, ...added, credential: added.authenticator.credentials[0]! };
}

const testClient: ClientInfo = { ip: "10.9.9.9", userAgent: "vitest" };

/** Opens a sign-in challenge as the password step would, then starts its passkey step (core, not HTTP). */
async function passkeyChallenge(ctx: ServerContext, userId: string) {
  const { deps } = ctx.server;
  const user = (await deps.repo.findUserById(userId))!;
  const challenge = newChallenge(deps, user, "sign_in", user.phoneNumber as string, testClient);
  expect(await deps.repo.insertChallenge(challenge)).toBe(true);
  const started = (await startChallengeStep(deps, challenge, "passkey", {
    template: "sign_in_code",
    client: testClient,
  })) as { ok: true } & StartedStep;
  expect(started.ok).toBe(true);
  return { challenge: started.challenge, options: started.passkeyOptions! };
}

/**
 * A browser on the sign-in page. The harness's cookie jar keeps only the session, challenge and device cookies,
 * so the passkey ceremony's binding cookie is carried here, as the browser would.
 */
function passkeyBrowser(client: TestClient) {
  let binding: string | undefined;
  return {
    client,
    async options() {
      const answer = await client.post("/api/auth/passkey/options");
      expect(answer.status, answer.text).toBe(200);
      const cookie = answer.headers.getSetCookie().find((line) => line.startsWith("twofold_passkey="));
      binding = /^twofold_passkey=([^;]*)/.exec(cookie ?? "")?.[1];
      return answer.body;
    },
    signIn(response: unknown) {
      const headers: Record<string, string> = binding ? { cookie: `twofold_passkey=${binding}` } : {};
      return client.request("POST", "/api/auth/passkey", { json: { response }, headers });
    },
  };
}

forEachServer("passkeys", (ctx) => {
  it("registering the first passkey needs the password, turns 2FA on, returns recovery codes and credits the session", async () => {
    const user = await signedUpUser(ctx);
    const other = ctx.client();
    expect((await other.post("/api/auth/sign-in", { email: user.email, password: user.password })).status).toBe(200);

    const wrong = await user.client.post("/api/account/passkeys/options", { currentPassword: "not my password" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");
    expect((await user.client.post("/api/account/passkeys/options", {})).status).toBe(400);

    const { options, registered, response } = await addPasskey(user);
    expect(options.rp).toEqual({ name: expect.any(String), id: "localhost" });
    expect(options.user.name).toBe(user.email);
    // The user handle is random, never the account id or the email.
    expect(options.user.id).not.toContain(user.user.id);
    expect(Buffer.from(options.user.id, "base64url")).toHaveLength(32);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.attestation).toBe("none");

    expect(registered.passkey).toMatchObject({ id: response.id, name: "Chrome on Linux", lastUsedAt: null });
    expect(registered.recoveryCodes).toHaveLength(10);
    const session = (await user.client.get("/api/auth/session")).body.session;
    expect(session.assuranceLevel).toBe(2);
    expect(Date.parse(session.secondFactorAt)).toBeGreaterThan(ctx.clock.now().getTime() - 5000);
    // Two-factor just turned on: the other session never passed it.
    expect((await other.get("/api/auth/session")).status).toBe(401);
    expect((await lastEmail(ctx.server, user.email, /sign-in method was added/))?.body).toMatch(/a passkey/);

    // The ceremony is single use: the same attestation again finds nothing to finish.
    const again = await user.client.post("/api/account/passkeys", { response });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe("challenge_expired");

    const list = await user.client.get("/api/account/passkeys");
    expect(list.body.passkeys).toEqual([
      { id: response.id, name: "Chrome on Linux", createdAt: expect.any(String), lastUsedAt: null, backedUp: false },
    ]);
    // Excluded from the next registration, so the browser does not make a second one on the same authenticator.
    const next = await user.client.post("/api/account/passkeys/options", { currentPassword: user.password });
    expect(next.body.excludeCredentials).toEqual([{ id: response.id, type: "public-key", transports: ["internal"] }]);
    expect(next.body.user.id).toBe(options.user.id);
  });

  it("with two-factor on, registration options need a second factor passed in the last 10 minutes", async () => {
    const user = await twoFactorUser(ctx);
    ctx.clock.advance(STEP_UP_WINDOW_SECONDS + 1);
    try {
      const refused = await user.client.post("/api/account/passkeys/options", { currentPassword: user.password });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("second_factor_required");
    } finally {
      ctx.clock.reset();
    }
    // Within the window (the phone was just verified in this session), and not the first factor: no new codes.
    const { registered } = await addPasskey(user);
    expect(registered.recoveryCodes).toBeUndefined();
  });

  it("refuses an attestation from another origin, without user verification, for another session, or already registered", async () => {
    const user = await signedUpUser(ctx);
    const authenticator = new SoftAuthenticator({ origin: APP_URL });
    const options = async (client = user.client) =>
      (await client.post("/api/account/passkeys/options", { currentPassword: user.password })).body;

    const phished = authenticator.register(await options(), { origin: "https://evil.example" });
    expect((await user.client.post("/api/account/passkeys", { response: phished })).status).toBe(400);
    const unverified = authenticator.register(await options(), { userVerified: false });
    expect((await user.client.post("/api/account/passkeys", { response: unverified })).status).toBe(400);

    // Options made by one session cannot be finished by another session of the same account.
    const other = ctx.client();
    expect((await other.post("/api/auth/sign-in", { email: user.email, password: user.password })).status).toBe(200);
    const elsewhere = authenticator.register(await options(other));
    const stolen = await user.client.post("/api/account/passkeys", { response: elsewhere });
    expect(stolen.status).toBe(410);

    const { authenticator: first } = await addPasskey(user);
    const duplicate = first.register(await options(), { reuse: first.credentials[0] });
    const answer = await user.client.post("/api/account/passkeys", { response: duplicate });
    expect(answer.status, answer.text).toBe(409);
    expect(answer.body.error.code).toBe("passkey_exists");
    expect((await user.client.get("/api/account/passkeys")).body.passkeys).toHaveLength(1);
  });

  it("renames and deletes only the user's own passkeys; removing the last one turns two-factor off", async () => {
    const user = await passkeyUser(ctx);
    const stranger = await passkeyUser(ctx);
    const id = user.credential.id;

    const renamed = await user.client.patch(`/api/account/passkeys/${id}`, { name: "  Work laptop  " });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.passkey).toMatchObject({ id, name: "Work laptop" });
    expect((await user.client.patch(`/api/account/passkeys/${id}`, { name: "x".repeat(65) })).status).toBe(400);
    expect((await user.client.patch(`/api/account/passkeys/${id}`, { name: "a\u202Eb" })).status).toBe(400);

    for (const answer of [
      await stranger.client.patch(`/api/account/passkeys/${id}`, { name: "mine now" }),
      await stranger.client.delete(`/api/account/passkeys/${id}`, { currentPassword: stranger.password }),
    ]) {
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe("not_found");
    }
    const wrong = await user.client.delete(`/api/account/passkeys/${id}`, { currentPassword: "not my password" });
    expect(wrong.status).toBe(401);

    const deleted = await user.client.delete(`/api/account/passkeys/${id}`, { currentPassword: user.password });
    expect(deleted.status, deleted.text).toBe(204);
    expect((await user.client.get("/api/account/passkeys")).body.passkeys).toEqual([]);
    expect((await lastEmail(ctx.server, user.email, /Two-step sign-in is off/))?.body).toBeTruthy();
    // Two-factor is off: the password alone signs in again.
    const signIn = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(signIn.status, signIn.text).toBe(200);
    expect(signIn.body.session).toBeDefined();
    expect((await stranger.client.get("/api/account/passkeys")).body.passkeys).toHaveLength(1);
  });

  it("deleting a passkey needs a recent second factor", async () => {
    const user = await passkeyUser(ctx);
    ctx.clock.advance(STEP_UP_WINDOW_SECONDS + 1);
    try {
      const answer = await user.client.delete(`/api/account/passkeys/${user.credential.id}`, {
        currentPassword: user.password,
      });
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe("second_factor_required");
    } finally {
      ctx.clock.reset();
    }
  });

  it("finishes a password sign-in as its second step, once (HTTP)", async () => {
    const user = await passkeyUser(ctx);
    const browser = ctx.client();
    const signIn = await browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(signIn.status, signIn.text).toBe(200);
    expect(signIn.body.twoFactorRequired).toBe(true);
    expect(signIn.body.challenge.methods[0]).toBe("passkey");

    const send = async () => {
      const options = await browser.post("/api/auth/two-factor/send", { method: "passkey" });
      expect(options.status, options.text).toBe(200);
      return options.body;
    };
    const verify = (response: unknown) => browser.post("/api/auth/two-factor/verify", { method: "passkey", response });

    const options = await send();
    expect(options.allowCredentials.map((c: { id: string }) => c.id)).toEqual([user.credential.id]);
    // A wrong signature is a wrong answer that spends one of the challenge's attempts.
    const good = user.authenticator.assert(options);
    const forged = { ...good, response: { ...good.response, signature: good.response.authenticatorData } };
    const wrong = await verify(forged);
    expect(wrong.status, wrong.text).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: "invalid_code", attemptsLeft: 4 });

    const signedIn = await verify(good);
    expect(signedIn.status, signedIn.text).toBe(200);
    expect(signedIn.body.session.assuranceLevel).toBe(2);
    expect((await browser.get("/api/auth/session")).body.user.id).toBe(user.user.id);
    // Replayed: the challenge is finished.
    expect((await verify(good)).status).toBe(410);
  });

  it("steps a session up (HTTP)", async () => {
    const user = await passkeyUser(ctx);
    ctx.clock.advance(STEP_UP_WINDOW_SECONDS + 1);
    try {
      const sent = await user.client.post("/api/account/step-up/send", { method: "passkey" });
      expect(sent.status, sent.text).toBe(200);
      const response = user.authenticator.assert(sent.body.passkeyOptions);
      const stepped = await user.client.post("/api/account/step-up", { method: "passkey", response });
      expect(stepped.status, stepped.text).toBe(204);
      const options = await user.client.post("/api/account/passkeys/options", { currentPassword: user.password });
      expect(options.status, options.text).toBe(200);
    } finally {
      ctx.clock.reset();
    }
  });

  it("is a second step: an assertion finishes the challenge once, user verification only preferred", async () => {
    const { deps } = ctx.server;
    const user = await passkeyUser(ctx);
    const { challenge, options } = await passkeyChallenge(ctx, user.user.id);
    expect(options.allowCredentials).toEqual([
      { id: user.credential.id, type: "public-key", transports: ["internal"] },
    ]);
    expect(options.userVerification).toBe("preferred");
    // A security key without a PIN is a fine second factor: the password was the first.
    const response = user.authenticator.assert(options, { userVerified: false });
    const proof = { method: "passkey" as const, response };
    expect(await verifyChallenge(deps, challenge, proof, testClient)).toMatchObject({ ok: true });
    // The same assertion again: the challenge is finished.
    expect(await verifyChallenge(deps, challenge, proof, testClient)).toMatchObject({ code: "challenge_expired" });
    const [stored] = await deps.repo.listPasskeys(user.user.id);
    expect(stored).toMatchObject({ counter: 1, lastUsedAt: expect.any(Date) });
  });

  it("a wrong signature, another user's passkey, a stale options' assertion or a clone is a wrong answer that spends an attempt", async () => {
    const { deps } = ctx.server;
    const user = await passkeyUser(ctx);
    const stranger = await passkeyUser(ctx);
    // One real use first: the stored counter is now 1.
    const earlier = await passkeyChallenge(ctx, user.user.id);
    const used = user.authenticator.assert(earlier.options);
    expect(
      await verifyChallenge(deps, earlier.challenge, { method: "passkey", response: used }, testClient),
    ).toMatchObject({ ok: true });
    const { challenge, options } = await passkeyChallenge(ctx, user.user.id);

    const good = user.authenticator.assert(options);
    const badSignature = {
      ...good,
      response: { ...good.response, signature: Buffer.from("not a signature").toString("base64url") },
    };
    const strangers = stranger.authenticator.assert({ ...options, allowCredentials: [] });
    // Starting the step again replaces the WebAuthn challenge: an assertion for the first options no longer passes.
    const restarted = await startChallengeStep(deps, challenge, "passkey", {
      template: "sign_in_code",
      client: testClient,
    });
    expect(restarted.ok).toBe(true);
    const fresh = (restarted as { ok: true } & StartedStep).passkeyOptions!;
    // A clone replays a counter value the server has seen (1) instead of moving past it.
    const clone = user.authenticator.assert(fresh, { signCount: 1 });
    const malformed = { ...good, response: { clientDataJSON: "!!" } } as unknown as typeof good;

    const answers = [];
    for (const response of [badSignature, strangers, good, clone, malformed])
      answers.push(await verifyChallenge(deps, challenge, { method: "passkey", response }, testClient));
    expect(answers.map((a) => (a.ok ? "ok" : [a.code, a.attemptsLeft]))).toEqual([
      ["invalid_code", 4],
      ["invalid_code", 3],
      ["invalid_code", 2],
      ["invalid_code", 1],
      ["invalid_code", 0],
    ]);
    // Out of attempts: even the right assertion is refused now.
    const right = user.authenticator.assert(fresh);
    const late = await verifyChallenge(deps, challenge, { method: "passkey", response: right }, testClient);
    expect(late).toMatchObject({ ok: false, code: "challenge_expired" });
  });

  it("signs in alone at assurance level 2; the options ask for user verification and name no account", async () => {
    const user = await passkeyUser(ctx);
    const browser = passkeyBrowser(ctx.client());
    const options = await browser.options();
    expect(options.userVerification).toBe("required");
    expect(options.rpId).toBe("localhost");
    expect(options.allowCredentials ?? []).toEqual([]);

    const response = user.authenticator.assert(options);
    const signedIn = await browser.signIn(response);
    expect(signedIn.status, signedIn.text).toBe(200);
    expect(signedIn.body.user.id).toBe(user.user.id);
    expect(signedIn.body.session.assuranceLevel).toBe(2);
    expect(Date.parse(signedIn.body.session.secondFactorAt)).toBeGreaterThan(ctx.clock.now().getTime() - 5000);
    expect(signedIn.body.token).toBeUndefined();
    expect((await browser.client.get("/api/auth/session")).body.user.id).toBe(user.user.id);
    const events = (await browser.client.get("/api/account/security-events")).body.events;
    expect(events[0].type).toBe("passkey_sign_in");
    const [stored] = await ctx.server.deps.repo.listPasskeys(user.user.id);
    expect(stored).toMatchObject({ counter: 1, lastUsedAt: expect.any(Date) });

    // Replayed: the ceremony was used.
    const replay = await browser.signIn(response);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe("invalid_credentials");
  });

  it("answers every failed passwordless sign-in alike", async () => {
    const user = await passkeyUser(ctx);
    const stranger = await passkeyUser(ctx);
    const unregistered = new SoftAuthenticator({ origin: APP_URL });
    unregistered.register({ ...user.options, challenge: "eA" });
    const browser = passkeyBrowser(ctx.client());

    const attempts = {
      "unknown credential": async () => unregistered.assert(await browser.options()),
      "user handle of another account": async () =>
        user.authenticator.assert(await browser.options(), { userHandle: stranger.credential.userHandle }),
      "no user verification": async () => user.authenticator.assert(await browser.options(), { userVerified: false }),
      "other origin": async () =>
        user.authenticator.assert(await browser.options(), { origin: "https://evil.example" }),
      "options never issued": async () =>
        user.authenticator.assert({ ...(await browser.options()), challenge: "bm90LWlzc3VlZA" }),
    };
    const messages = new Set<string>();
    for (const [name, make] of Object.entries(attempts)) {
      const answer = await browser.signIn(await make());
      expect(answer.status, `${name}: ${answer.text}`).toBe(401);
      expect(answer.body.error.code, name).toBe("invalid_credentials");
      messages.add(answer.body.error.message);
    }
    expect(messages.size).toBe(1);
    expect((await browser.client.get("/api/auth/session")).status).toBe(401);
    // The passkey itself still works; then a clone replaying an old counter value does not.
    const ok = await browser.signIn(user.authenticator.assert(await browser.options()));
    expect(ok.status, ok.text).toBe(200);
    const cloned = await browser.signIn(user.authenticator.assert(await browser.options(), { signCount: 1 }));
    expect(cloned.status).toBe(401);
  });

  it("binds the options to the browser that asked; an API client holds them by the challenge alone", async () => {
    const user = await passkeyUser(ctx);
    const browser = passkeyBrowser(ctx.client());
    const response = user.authenticator.assert(await browser.options());
    expect((await passkeyBrowser(ctx.client()).signIn(response)).status).toBe(401);
    // The browser's own request still can: the other browser's attempt did not spend it.
    expect((await browser.signIn(response)).status).toBe(200);

    const api = passkeyBrowser(ctx.client({ origin: null }));
    const signedIn = await api.signIn(user.authenticator.assert(await api.options()));
    expect(signedIn.status, signedIn.text).toBe(200);
    expect(signedIn.body.token).toEqual(expect.any(String));
  });

  it("20 parallel uses of one assertion start exactly one session", async () => {
    const user = await passkeyUser(ctx);
    const browser = passkeyBrowser(ctx.client());
    const response = user.authenticator.assert(await browser.options());
    const answers = await Promise.all(Array.from({ length: 20 }, () => browser.signIn(response)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(19);
  });

  it("a passkey deleted after its options were made signs nobody in", async () => {
    const user = await passkeyUser(ctx);
    // A second passkey keeps two-factor on, so the first can go without turning it off.
    await addPasskey(user);
    const browser = passkeyBrowser(ctx.client());
    const response = user.authenticator.assert(await browser.options(), { credential: user.credential });
    const deleted = await user.client.delete(`/api/account/passkeys/${user.credential.id}`, {
      currentPassword: user.password,
    });
    expect(deleted.status, deleted.text).toBe(204);
    expect((await browser.signIn(response)).status).toBe(401);
    expect((await lastEmail(ctx.server, user.email, /sign-in method was removed/))?.body).toMatch(/a passkey/);
  });
});
