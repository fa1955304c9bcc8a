import { afterAll, expect, it } from "vitest";
import { startFakeSmtpServer } from "../fakes/smtp";
import { normalizeEmail } from "../../src/core/present";
import { claimAddressAttempt, signInThrottlePolicy } from "../../src/core/sign-in-throttle";
import {
  fakeTwilioCode,
  fakeTwilioPerServer,
  forEachServer,
  lastEmail,
  signedUpUser,
  type TestClient,
  type TestResponse,
  twoFactorUser,
} from "../helpers/harness";

/**
 * Session hygiene across flows: a fresh token at every step that proves something (fixation), revocation that
 * bites on the very next request, cookie attributes as docs/security.md states them, and logs that never carry
 * a token, code, challenge or phone number, with SMS going through the real Twilio adapter (fake Twilio).
 */

// Real mail too: the dev outbox prints emails (links included) to the console on purpose, which this must not see.
const smtp = await startFakeSmtpServer();
afterAll(() => smtp.close());
const twilio = fakeTwilioPerServer({ SMTP_URL: smtp.url });

const cookieLine = (response: TestResponse, name: string) =>
  response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
const attributes = (line: string | undefined) =>
  (line ?? "")
    .split(";")
    .slice(1)
    .map((part) => part.trim().toLowerCase());

forEachServer(
  "session security",
  (ctx) => {
    const readCode = (phone: string) => fakeTwilioCode(twilio.of(ctx))(phone);
    const twoFactor = () => twoFactorUser(ctx, { readCode });

    /** Password then code; returns the response of the code step. */
    async function signInWithCode(client: TestClient, user: { email: string; password: string; phone: string }) {
      const password = await client.post("/api/auth/sign-in", { email: user.email, password: user.password });
      expect(password.body.twoFactorRequired, password.text).toBe(true);
      const code = await readCode(user.phone);
      return { password, verified: await client.post("/api/auth/two-factor/verify", { method: "sms", code }) };
    }

    it("fixation: the password step of a 2FA sign-in gives no session, the code step a new one, and a planted session ends", async () => {
      const user = await twoFactor();
      const mallory = await signedUpUser(ctx);
      const victim = ctx.client();
      victim.cookie = mallory.client.cookie;

      const { password, verified } = await signInWithCode(victim, user);
      expect(cookieLine(password, victim.cookieName)).toBeUndefined();
      expect(verified.status).toBe(200);
      expect(victim.cookie).toBeDefined();
      expect(victim.cookie).not.toBe(mallory.client.cookie);
      expect(victim.cookie!.split(".")[0]).toBe(verified.body.session.id);
      expect((await victim.get("/api/auth/session")).body.user.id).toBe(user.user.id);
      // The planted token neither became the victim's session nor survives it.
      expect((await mallory.client.get("/api/auth/session")).status).toBe(401);
      // The challenge cookie is spent: it is not a session, and it cannot start another one.
      expect(victim.challengeCookie).toBeUndefined();
    });

    it("fixation: every sign-in, through any door, issues a token never seen before", async () => {
      const user = await twoFactor();
      const seen = new Set<string>();
      // Two code sign-ins, well within the number's 5 sign-in codes per 10 minutes (its verification code is
      // counted apart).
      for (let i = 0; i < 2; i++) {
        const client = ctx.client();
        await signInWithCode(client, user);
        expect(seen.has(client.cookie!)).toBe(false);
        seen.add(client.cookie!);
      }
      const plain = await signedUpUser(ctx);
      seen.add(plain.client.cookie!);
      const again = ctx.client();
      await again.post("/api/auth/sign-in", { email: plain.email, password: plain.password });
      expect(seen.has(again.cookie!)).toBe(false);
    });

    it("revocation bites on the very next request, for cookies and bearer tokens alike", async () => {
      const user = await signedUpUser(ctx);
      const bearerSignIn = async () => {
        const cli = ctx.client({ origin: null });
        const response = await cli.post("/api/auth/sign-in", { email: user.email, password: user.password });
        cli.bearer = response.body.token;
        return cli;
      };
      const browser = async () => {
        const client = ctx.client();
        await client.post("/api/auth/sign-in", { email: user.email, password: user.password });
        return client;
      };
      const alive = async (client: TestClient) => (await client.get("/api/auth/session")).status === 200;

      // Sign-out: the cookie the browser held is dead, even replayed by someone who copied it.
      const signingOut = await browser();
      const copied = ctx.client();
      copied.cookie = signingOut.cookie;
      await signingOut.post("/api/auth/sign-out");
      expect(await alive(copied)).toBe(false);

      // Revoke one session from another device.
      const [victim, api] = [await browser(), await bearerSignIn()];
      const victimId = (await victim.get("/api/auth/session")).body.session.id;
      const apiId = (await api.get("/api/auth/session")).body.session.id;
      expect((await user.client.delete(`/api/account/sessions/${victimId}`)).status).toBe(204);
      expect((await user.client.delete(`/api/account/sessions/${apiId}`)).status).toBe(204);
      expect(await alive(victim)).toBe(false);
      expect(await alive(api)).toBe(false);

      // Sign out everywhere else.
      const [other, otherApi] = [await browser(), await bearerSignIn()];
      expect((await user.client.post("/api/account/sessions/revoke-others")).status).toBe(204);
      expect(await alive(other)).toBe(false);
      expect(await alive(otherApi)).toBe(false);
      expect(await alive(user.client)).toBe(true);
    });

    it("revocation: a password change ends the other sessions, a reset ends them all", async () => {
      const user = await signedUpUser(ctx);
      const other = ctx.client();
      await other.post("/api/auth/sign-in", { email: user.email, password: user.password });
      const newPassword = "an entirely new passphrase";
      expect(
        (await user.client.post("/api/account/password", { currentPassword: user.password, newPassword })).status,
      ).toBe(204);
      expect((await other.get("/api/auth/session")).status).toBe(401);
      expect((await user.client.get("/api/auth/session")).status).toBe(200);

      await ctx.client().post("/api/auth/forgot-password", { email: user.email });
      const reset = await lastEmail(ctx.server, user.email, /reset/i);
      expect(
        (
          await ctx
            .client()
            .post("/api/auth/reset-password", { token: reset!.token, password: "and another one after the reset" })
        ).status,
      ).toBe(204);
      expect((await user.client.get("/api/auth/session")).status).toBe(401);
    });

    it("cookie flags as documented: session Lax, challenge and known-device Strict, all HttpOnly, Path=/, no Domain", async () => {
      const user = await twoFactor();
      const client = ctx.client();
      const { password, verified } = await signInWithCode(client, user);

      const challenge = attributes(cookieLine(password, "twofold_challenge"));
      expect(challenge).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/"]));
      // The challenge's 10 minutes, counted from the server's clock a moment earlier.
      expect(challenge.find((a) => a.startsWith("max-age="))).toMatch(/^max-age=(599|600)$/);

      const session = attributes(cookieLine(verified, "twofold_session"));
      expect(session).toEqual(expect.arrayContaining(["httponly", "samesite=lax", "path=/"]));
      // The 7-day idle window (Max-Age counts from the expiry instant, so it may read a second short).
      expect(Number(session.find((a) => a.startsWith("max-age="))?.slice(8))).toBeGreaterThanOrEqual(7 * 24 * 3600 - 1);
      const device = attributes(cookieLine(verified, "twofold_device"));
      expect(device).toEqual(
        expect.arrayContaining([
          "httponly",
          "samesite=strict",
          "path=/",
          `max-age=${signInThrottlePolicy.knownDeviceLifetimeSeconds}`,
        ]),
      );
      for (const line of [challenge, session, device]) {
        // Plain http here: Secure and the __Host- prefix are tested over https in auth-https.test.ts.
        expect(line).not.toContain("secure");
        expect(line.some((a) => a.startsWith("domain="))).toBe(false);
      }
      const signOut = await client.post("/api/auth/sign-out");
      expect(attributes(cookieLine(signOut, "twofold_session"))).toContain("max-age=0");
    });

    it("no log line holds a token, code, challenge, device cookie, phone number or password", async () => {
      const secrets: string[] = [];
      const keep = (value: string | null | undefined) => {
        expect(value).toBeTruthy();
        secrets.push(value!);
        if (value!.includes(".")) secrets.push(...value!.split(".").slice(1));
      };
      const user = await twoFactor();
      secrets.push(user.password, user.phone, user.phone.slice(2));
      keep(user.client.cookie);
      keep(user.client.deviceCookie);

      const client = ctx.client();
      const password = await client.post("/api/auth/sign-in", { email: user.email, password: user.password });
      keep(client.challengeCookie);
      keep(password.body.challenge.id);
      // Wrong codes, a resend, then the right code.
      expect((await client.post("/api/auth/two-factor/verify", { method: "sms", code: "000000" })).status).toBe(400);
      const code = await readCode(user.phone);
      keep(code);
      const verified = await client.post("/api/auth/two-factor/verify", { method: "sms", code });
      expect(verified.status).toBe(200);
      keep(client.cookie);
      keep(client.deviceCookie);

      // The unlock link of a locked address.
      const locked = await signedUpUser(ctx);
      for (let i = 1; i < signInThrottlePolicy.lockAfterFailures; i++) {
        await claimAddressAttempt(ctx.server.deps, normalizeEmail(locked.email));
        ctx.clock.advance(300);
      }
      expect(
        (await ctx.client().post("/api/auth/sign-in", { email: locked.email, password: "the hundredth wrong guess" }))
          .status,
      ).toBe(401);
      const unlock = await lastEmail(ctx.server, locked.email, /paused/);
      keep(unlock?.token);
      expect((await ctx.client().post("/api/auth/unlock", { token: unlock!.token })).status).toBe(200);

      await ctx.server.settle();
      await ctx.server.worker.drain();
      const logs = ctx.log.text();
      expect(logs).toContain('"path":"/api/auth/two-factor/verify"');
      for (const secret of new Set(secrets))
        expect(logs.includes(secret), `log contains ${secret.slice(0, 4)}…`).toBe(false);
      // Codes are 6 digits: make sure none appears as a number either.
      expect(logs).not.toMatch(new RegExp(`[^\\w]${code}[^\\w]`));
    });
  },
  { env: twilio.env },
);
