import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { outboxMessages } from "../../src/db/schema";
import {
  fakeTwilioCode,
  fakeTwilioPerServer,
  forEachServer,
  type ServerContext,
  signedUpUser,
  twoFactorUser,
  uniquePhone,
} from "../helpers/harness";

/**
 * SMS_PROVIDER=twilio end to end, against the fake Twilio only: the wire format of a code text, provider errors
 * answered on the same request (permanent) or retried from the outbox (transient).
 */

// A Twilio that never answers costs each of its tests this budget: 2 s here, not the default 10 s.
const twilio = fakeTwilioPerServer({ TWILIO_TIMEOUT_MS: "2000" });

async function smsRows(ctx: ServerContext, phone: string) {
  return ctx.server.database.db.select().from(outboxMessages).where(eq(outboxMessages.recipient, phone));
}

forEachServer(
  "SMS through Twilio (fake)",
  (ctx) => {
    it("POSTs each code as a form with Basic auth: E.164 To, From, and a Body with app, code, lifetime, warning and WebOTP line", async () => {
      const fake = twilio.of(ctx);
      const user = await signedUpUser(ctx);
      const phone = uniquePhone();
      const before = fake.requests.length;
      const started = await user.client.post("/api/account/phone", {
        phoneNumber: phone,
        currentPassword: user.password,
      });
      expect(started.status).toBe(202);
      expect(fake.requests.length).toBe(before + 1);
      const request = fake.requests.at(-1)!;
      expect(request).toMatchObject({
        method: "POST",
        path: `/2010-04-01/Accounts/${fake.accountSid}/Messages.json`,
        authOk: true,
        username: fake.accountSid,
        status: 201,
      });
      expect(request.headers.authorization).toBe(
        `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString("base64")}`,
      );
      expect(request.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      // No StatusCallback: APP_URL is plain http here, which Twilio cannot call back.
      expect(Object.keys(request.form).sort()).toEqual(["Body", "From", "To"]);
      expect(request.form.To).toBe(phone);
      expect(request.form.From).toBe("+15005550006");
      const code = request.form.Body!.match(/\b(\d{6})\b/)![1]!;
      expect(request.form.Body).toContain("Twofold");
      expect(request.form.Body).toContain(`${code} is your phone verification code`);
      expect(request.form.Body).toContain("5 minutes");
      expect(request.form.Body).toContain("Don't share");
      expect(request.form.Body!.split("\n").at(-1)).toBe(`@localhost:3000 #${code}`);

      const [row] = await smsRows(ctx, phone);
      expect(row).toMatchObject({
        channel: "sms",
        template: "phone_verification_code",
        status: "sent",
        attempts: 1,
        providerMessageId: fake.messages.at(-1)!.sid,
      });
      const verified = await user.client.post("/api/account/phone/verify", {
        verificationId: started.body.verificationId,
        code,
      });
      expect(verified.body.user.phoneVerified).toBe(true);
    });

    it("sends the sign-in code the same way, and the notice to a replaced number", async () => {
      const fake = twilio.of(ctx);
      const user = await twoFactorUser(ctx, { readCode: fakeTwilioCode(fake) });
      const signIn = await ctx
        .client({ origin: null })
        .post("/api/auth/sign-in", { email: user.email, password: user.password });
      const text = fake.messages.at(-1)!;
      expect(text).toMatchObject({ to: user.phone, from: "+15005550006" });
      expect(text.body).toMatch(
        /^Twofold: \d{6} is your sign-in code\. It expires in 5 minutes\. Don't share it with anyone\.\n\n@localhost:3000 #\d{6}$/,
      );
      const code = text.body.slice(-6);
      const verified = await ctx
        .client({ origin: null })
        .post("/api/auth/two-factor/verify", { challengeId: signIn.body.challenge.id, method: "sms", code });
      expect(verified.body.session.assuranceLevel).toBe(2);

      const next = uniquePhone();
      const started = await user.client.post("/api/account/phone", {
        phoneNumber: next,
        currentPassword: user.password,
      });
      await user.client.post("/api/account/phone/verify", {
        verificationId: started.body.verificationId,
        code: await fakeTwilioCode(fake)(next),
      });
      await ctx.server.worker.drain();
      expect(fake.messages.at(-1)).toMatchObject({
        to: user.phone,
        body: expect.stringMatching(/this number was replaced/),
      });
    });

    it.each([
      [21211, 400, "invalid_phone"],
      [21614, 400, "invalid_phone"],
      [21408, 400, "unsupported_country"],
      [21610, 400, "phone_opted_out"],
    ] as const)(
      "answers Twilio error %s on the same request with %s %s, and does not retry",
      async (twilioCode, status, code) => {
        const fake = twilio.of(ctx);
        const user = await signedUpUser(ctx);
        const phone = uniquePhone();
        fake.failNext(twilioCode);
        const response = await user.client.post("/api/account/phone", {
          phoneNumber: phone,
          currentPassword: user.password,
        });
        expect(response.status, response.text).toBe(status);
        expect(response.body.error.code).toBe(code);
        const [row] = await smsRows(ctx, phone);
        expect(row).toMatchObject({ status: "failed", attempts: 1 });
        expect(row!.lastError).toContain(String(twilioCode));
        expect(row!.lastError).not.toContain(phone.slice(2));
        const events = (await user.client.get("/api/account/security-events")).body.events.map(
          (e: { type: string }) => e.type,
        );
        expect(events).toContain("sms_failed");
        const requests = fake.requests.length;
        await ctx.server.worker.drain();
        expect(fake.requests.length).toBe(requests);
      },
    );

    it("answers a rejected Twilio login (20003) with 503 sms_unavailable and logs an error for the operator", async () => {
      const fake = twilio.of(ctx);
      const user = await signedUpUser(ctx);
      fake.failNext(20003);
      const response = await user.client.post("/api/account/phone", {
        phoneNumber: uniquePhone(),
        currentPassword: user.password,
      });
      expect(response.status).toBe(503);
      expect(response.body.error.code).toBe("sms_unavailable");
      const errors = ctx.log.lines
        .map((line) => JSON.parse(line) as { level: number; msg: string; error?: string })
        .filter((entry) => entry.level >= 50);
      expect(errors).toContainEqual(
        expect.objectContaining({
          msg: expect.stringMatching(/SMS provider configuration error/),
          error: expect.stringContaining("20003"),
        }),
      );
    });

    it.each([
      ["a 500", () => twilio.of(ctx).replyNext({ status: 500, body: "" })],
      ["Twilio's 20429", () => twilio.of(ctx).failNext(20429)],
      ["a bare 429", () => twilio.of(ctx).replyNext({ status: 429, body: "Too Many Requests" })],
      ["no answer at all (timeout)", () => twilio.of(ctx).hangNext()],
    ])(
      "accepts the request anyway after %s, and the outbox delivers the code on a later try",
      async (_label, script) => {
        const fake = twilio.of(ctx);
        const user = await signedUpUser(ctx);
        const phone = uniquePhone();
        script();
        const started = await user.client.post("/api/account/phone", {
          phoneNumber: phone,
          currentPassword: user.password,
        });
        expect(started.status, started.text).toBe(202);
        const [pending] = await smsRows(ctx, phone);
        expect(pending).toMatchObject({ status: "pending", attempts: 1, lastError: expect.any(String) });
        expect(fake.messages.some((m) => m.to === phone)).toBe(false);

        // Not due yet: a drain leaves it alone.
        await ctx.server.worker.drain();
        expect((await smsRows(ctx, phone))[0]).toMatchObject({ status: "pending", attempts: 1 });
        // The backoff counts on the database clock, which the test clock does not move: make the retry due.
        await ctx.server.database.db
          .update(outboxMessages)
          .set({ nextAttemptAt: sql`now() - interval '1 second'` })
          .where(eq(outboxMessages.id, pending!.id));
        await ctx.server.worker.drain();
        const [sent] = await smsRows(ctx, phone);
        expect(sent).toMatchObject({ status: "sent", attempts: 2, providerMessageId: expect.stringMatching(/^SM/) });
        expect(fake.messages.filter((m) => m.to === phone)).toHaveLength(1);

        const code = await fakeTwilioCode(fake)(phone);
        const verified = await user.client.post("/api/account/phone/verify", {
          verificationId: started.body.verificationId,
          code,
        });
        expect(verified.status).toBe(200);
      },
      30_000,
    );
  },
  { env: twilio.env },
);
