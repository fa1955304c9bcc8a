import { afterAll, expect, it } from "vitest";
import { type ReceivedMail, startFakeSmtpServer } from "../fakes/smtp";
import { APP_URL, forEachServer, STRONG_PASSWORD, type ServerContext, uniqueEmail } from "../helpers/harness";

/**
 * The whole path over a real SMTP conversation: the API queues the email, the outbox worker sends it through
 * nodemailer to a local SMTP server, and the link read from the received mail completes the flow.
 */

// Started before the servers are configured: SMTP_URL needs the port.
const smtp = await startFakeSmtpServer();
afterAll(() => smtp.close());

/** Delivers what the request queued (the harness polls hourly) and returns the newest mail to `to`. */
async function receive(ctx: ServerContext, to: string, subject: RegExp): Promise<ReceivedMail> {
  await ctx.server.settle();
  await ctx.server.worker.drain();
  const mail = smtp.received.filter((m) => m.envelopeTo.includes(to) && subject.test(m.subject)).at(-1);
  if (!mail) throw new Error(`no mail to ${to} matching ${subject}`);
  return mail;
}

/** The token from the link's fragment, which must be the same in the text and the HTML part. */
function linkToken(mail: ReceivedMail, path: string): string {
  const pattern = new RegExp(`${APP_URL}${path}#token=([\\w-]+\\.[\\w-]+)`);
  const fromText = pattern.exec(mail.text)?.[1];
  const fromHtml = new RegExp(`href="${pattern.source}"`).exec(mail.html)?.[1];
  expect(fromText).toBeDefined();
  expect(fromHtml).toBe(fromText);
  return fromText!;
}

forEachServer(
  "email flows over SMTP",
  (ctx) => {
    it("sign-up → mail → verify-email → signed in", async () => {
      const email = uniqueEmail("smtp");
      const client = ctx.client();
      expect(
        (await client.post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Ada Lovelace" })).status,
      ).toBe(202);
      const mail = await receive(ctx, email, /^Confirm your email/);
      expect(mail.envelopeTo).toEqual([email]);
      expect(mail.to).toBe(email);
      expect(mail.from).toContain("no-reply@localhost");
      // Unverified: the name is only what the sign-up typed (anyone's, for any address), so no name (names.test.ts).
      expect(mail.text).toMatch(/^Hi,\n/);
      expect(mail.text).not.toContain("Ada Lovelace");

      const verify = await client.post("/api/auth/verify-email", { token: linkToken(mail, "/verify-email") });
      expect(verify.status).toBe(200);
      expect(verify.body.user).toMatchObject({ email, emailVerified: true });
      const session = await client.get("/api/auth/session");
      expect(session.status).toBe(200);
      expect(session.body.user.email).toBe(email);
    });

    it("forgot-password → mail → reset-password → sign in with the new password", async () => {
      const email = uniqueEmail("smtp-reset");
      await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Ada Lovelace" });
      await receive(ctx, email, /^Confirm your email/);

      expect((await ctx.client().post("/api/auth/forgot-password", { email })).status).toBe(202);
      const mail = await receive(ctx, email, /^Reset your/);
      const token = linkToken(mail, "/reset-password");
      const newPassword = "a fresh smtp passphrase";
      const reset = await ctx.client().post("/api/auth/reset-password", { token, password: newPassword });
      expect(reset.status).toBe(204);
      expect((await receive(ctx, email, /password was changed/)).text).toContain(
        "password of your Twofold account was just changed",
      );

      const client = ctx.client();
      expect((await client.post("/api/auth/sign-in", { email, password: STRONG_PASSWORD })).status).toBe(401);
      const signIn = await client.post("/api/auth/sign-in", { email, password: newPassword });
      expect(signIn.status).toBe(200);
      expect((await client.get("/api/auth/session")).body.user.email).toBe(email);

      // With real mail, no link reaches the logs (the dev outbox prints them on purpose; SMTP must not).
      expect(ctx.log.text()).not.toContain(token.split(".")[1]);
      expect(ctx.log.text()).not.toContain(email);
    });
  },
  { env: { SMTP_URL: smtp.url } },
);
