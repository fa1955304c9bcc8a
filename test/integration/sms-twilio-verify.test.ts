import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { challenges } from "../../src/db/schema";
import { fakeTwilioPerServer, forEachServer, lastSms, twoFactorUser } from "../helpers/harness";

/**
 * SMS_PROVIDER=twilio-verify against the fake Twilio: Verify makes and checks the codes, while our challenge,
 * its 5-attempt budget and the SMS limits still apply on top.
 */

const twilio = fakeTwilioPerServer({}, "twilio-verify");

forEachServer(
  "two-factor through Twilio Verify (fake)",
  (ctx) => {
    const fake = () => twilio.of(ctx);
    const verifyCode = (phone: string) => fake().verifyCode(phone);
    const checks = (phone: string) =>
      fake().requests.filter((r) => r.path.endsWith("/VerificationCheck") && r.form.To === phone);

    async function signIn(user: Awaited<ReturnType<typeof twoFactorUser>>) {
      const client = ctx.client({ origin: null });
      const response = await client.post("/api/auth/sign-in", { email: user.email, password: user.password });
      expect(response.body.twoFactorRequired, response.text).toBe(true);
      return { client, challengeId: response.body.challenge.id as string };
    }

    it("starts a Verification at sign-in, and Verify's code signs in", async () => {
      const user = await twoFactorUser(ctx, { readCode: verifyCode });
      const before = fake().requests.length;
      const { client, challengeId } = await signIn(user);
      const started = fake().requests.slice(before);
      expect(started).toHaveLength(1);
      expect(started[0]).toMatchObject({
        method: "POST",
        path: `/v2/Services/${fake().verifyServiceSid}/Verifications`,
        authOk: true,
        form: { To: user.phone, Channel: "sms" },
      });
      const code = verifyCode(user.phone)!;
      expect(code).toMatch(/^\d{6}$/);
      // Verify made the code: we hold no hash of it, and the dev inbox only says where it went.
      const [row] = await ctx.server.database.db.select().from(challenges).where(eq(challenges.id, challengeId));
      expect(row!.codeHash).toBeNull();
      expect((await lastSms(ctx.server, user.phone))!.body).toBe("(code sent by Twilio Verify)");

      const verified = await client.post("/api/auth/two-factor/verify", { challengeId, method: "sms", code });
      expect(verified.status, verified.text).toBe(200);
      expect(verified.body.session.assuranceLevel).toBe(2);
      expect(checks(user.phone).at(-1)).toMatchObject({ authOk: true, form: { To: user.phone, Code: code } });
      expect(
        fake()
          .verifications.filter((v) => v.to === user.phone)
          .map((v) => v.status),
      ).toEqual(["approved", "approved"]);
    });

    it("counts a wrong code against the same 5-attempt budget: the 6th try, right code and all, is 410 without asking Verify", async () => {
      const user = await twoFactorUser(ctx, { readCode: verifyCode });
      const { client, challengeId } = await signIn(user);
      const code = verifyCode(user.phone)!;
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
      const checksBefore = checks(user.phone).length;
      for (const left of [4, 3, 2, 1, 0]) {
        const response = await client.post("/api/auth/two-factor/verify", { challengeId, method: "sms", code: wrong });
        expect(response.status).toBe(400);
        expect(response.body.error).toMatchObject({ code: "invalid_code", attemptsLeft: left });
      }
      expect(checks(user.phone).length).toBe(checksBefore + 5);
      const dead = await client.post("/api/auth/two-factor/verify", { challengeId, method: "sms", code });
      expect(dead.status).toBe(410);
      expect(checks(user.phone).length).toBe(checksBefore + 5);
    });

    it("sends a resend through Verify after the cooldown, and the (same) pending code still signs in", async () => {
      const user = await twoFactorUser(ctx, { readCode: verifyCode });
      const { client, challengeId } = await signIn(user);
      expect((await client.post("/api/auth/two-factor/send", { challengeId, method: "sms" })).status).toBe(429);
      ctx.clock.advance(61);
      const before = fake().requests.length;
      expect((await client.post("/api/auth/two-factor/send", { challengeId, method: "sms" })).status).toBe(202);
      expect(
        fake()
          .requests.slice(before)
          .map((r) => r.path),
      ).toEqual([`/v2/Services/${fake().verifyServiceSid}/Verifications`]);
      const verified = await client.post("/api/auth/two-factor/verify", {
        challengeId,
        method: "sms",
        code: verifyCode(user.phone),
      });
      expect(verified.status).toBe(200);
    });
  },
  { env: twilio.env },
);
