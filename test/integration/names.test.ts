import { eq } from "drizzle-orm";
import { afterAll, expect, it } from "vitest";
import { oneTimeTokens, users } from "../../src/db/schema";
import { type ReceivedMail, startFakeSmtpServer } from "../fakes/smtp";
import { APP_URL, forEachServer, STRONG_PASSWORD, type ServerContext, uniqueEmail } from "../helpers/harness";

/**
 * Display names, from a pen test: (1) names took bidi overrides (U+202E), zero-width characters and U+2028;
 * (2) a sign-up for someone else's address put the stranger's "name" in the genuine verification email to the
 * victim ("Hi www.evil.test — click to secure your account,"). Emails are read as received over SMTP.
 */

const smtp = await startFakeSmtpServer();
afterAll(() => smtp.close());

const LURE = "www.evil.test — click to secure your account";

/** Delivers what earlier answers queued and returns every mail to `to` whose subject matches, oldest first. */
async function mailsTo(ctx: ServerContext, to: string, subject: RegExp): Promise<ReceivedMail[]> {
  await ctx.server.settle();
  await ctx.server.worker.drain();
  return smtp.received.filter((m) => m.envelopeTo.includes(to) && subject.test(m.subject));
}

function greetingOf(mail: ReceivedMail): string {
  return mail.text.trim().split("\n")[0]!.trim();
}

function linkToken(mail: ReceivedMail): string {
  const token = new RegExp(`${APP_URL}/verify-email#token=([\\w-]+\\.[\\w-]+)`).exec(mail.text)?.[1];
  if (!token) throw new Error("no link in the mail");
  return token;
}

/** Refused: control (Cc), format (Cf), line and paragraph separator (Zl, Zp) characters, anywhere in the name. */
const REFUSED: Array<[string, string]> = [
  ["right-to-left override U+202E", "Ada \u202Eecalevol"],
  ["left-to-right isolate U+2066", "Ada \u2066Lovelace\u2069"],
  ["zero-width space U+200B", "A\u200Bda"],
  ["zero-width joiner U+200D", "Ada\u200DLovelace"],
  ["byte order mark U+FEFF", "Ada\uFEFFLovelace"],
  ["soft hyphen U+00AD", "Love\u00ADlace"],
  ["line separator U+2028", "Ada\u2028Lovelace"],
  ["paragraph separator U+2029", "Ada\u2029Lovelace"],
  ["next line U+0085", "Ada\u0085Lovelace"],
  ["escape U+001B", "Ada\u001B[31m"],
  ["tag characters U+E0041…", "Ada\u{E0041}\u{E0042}"],
];
const ACCEPTED = ["Ada Lovelace", "Zoë 🦄 حسن", "José Ñúñez", "李小龍", "O'Brien-Smith", "👍🏽 Thumbs"];

forEachServer(
  "names: no invisible or breaking characters, no stranger's name in an email",
  (ctx) => {
    it.each(REFUSED)(
      "sign-up refuses a name with a %s: 400 invalid_request with a message on the field",
      async (_label, name) => {
        const email = uniqueEmail("bidi");
        const response = await ctx.client().post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name });
        expect(response.status).toBe(400);
        expect(response.body.error.code).toBe("invalid_request");
        expect(response.body.error.fields.name).toMatch(/invisible or control characters/);
        expect(await mailsTo(ctx, email, /./)).toEqual([]);
      },
    );

    it("the profile refuses the same names and keeps the old one; ordinary names of any script pass", async () => {
      const email = uniqueEmail("profile");
      const client = ctx.client();
      await client.post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Ada Lovelace" });
      expect(
        (await client.post("/api/auth/verify-email", { token: linkToken((await mailsTo(ctx, email, /^Confirm/))[0]!) }))
          .status,
      ).toBe(200);
      for (const [label, name] of REFUSED) {
        const response = await client.patch("/api/account/profile", { name });
        expect(response.status, label).toBe(400);
        expect(response.body.error).toMatchObject({
          code: "invalid_request",
          fields: { name: expect.stringMatching(/invisible or control/) },
        });
      }
      expect((await client.get("/api/auth/session")).body.user.name).toBe("Ada Lovelace");
      for (const name of ACCEPTED) {
        const response = await client.patch("/api/account/profile", { name });
        expect(response.status, name).toBe(200);
        expect(response.body.user.name).toBe(name);
      }
    });

    it("the documented pattern compiles with the u flag and agrees with the server on every BMP case", async () => {
      const doc = (await ctx.client().get("/api/openapi.json")).body;
      for (const path of ["/api/auth/sign-up", "/api/account/profile"]) {
        const operation = doc.paths[path][path.endsWith("profile") ? "patch" : "post"];
        const pattern = new RegExp(
          operation.requestBody.content["application/json"].schema.properties.name.pattern,
          "u",
        );
        for (const name of ACCEPTED) expect(pattern.test(name), `${path} ${name}`).toBe(true);
        // Astral format characters (tags) cannot be spelled in a pattern that means the same with and without
        // `u`; the server refuses them all the same (above).
        for (const [label, name] of REFUSED.filter(([, n]) => !/[\u{10000}-\u{10FFFF}]/u.test(n)))
          expect(pattern.test(name), `${path} ${label}`).toBe(false);
      }
    });

    it("a stranger's sign-up for a new address: the verification email greets without the stranger's text", async () => {
      const victim = uniqueEmail("victim");
      expect(
        (
          await ctx
            .client()
            .post("/api/auth/sign-up", { email: victim, password: "mallory's own passphrase", name: LURE })
        ).status,
      ).toBe(202);
      const [mail, ...more] = await mailsTo(ctx, victim, /^Confirm your email/);
      expect(more).toEqual([]);
      expect(greetingOf(mail!)).toBe("Hi,");
      for (const part of [mail!.text, mail!.html, mail!.subject]) expect(part).not.toContain("evil.test");
    });

    it("a stranger's sign-up after the owner's: still no name; following the owner's link keeps the owner's name", async () => {
      const victim = uniqueEmail("victim");
      await ctx.client().post("/api/auth/sign-up", { email: victim, password: STRONG_PASSWORD, name: "Grace Hopper" });
      await ctx.server.settle();
      await ctx.client().post("/api/auth/sign-up", { email: victim, password: "mallory's own passphrase", name: LURE });
      const mails = await mailsTo(ctx, victim, /^Confirm your email/);
      expect(mails).toHaveLength(2);
      for (const mail of mails) {
        expect(greetingOf(mail)).toBe("Hi,");
        expect(mail.text + mail.html).not.toContain("evil.test");
      }
      // Each sign-up's link carries the name that sign-up gave (the first one's too, so a resend can repeat it).
      const [user] = await ctx.server.database.db.select().from(users).where(eq(users.email, victim));
      const links = await ctx.server.database.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.userId, user!.id));
      expect(links.map((link) => link.name).sort()).toEqual(["Grace Hopper", LURE].sort());
      // The owner follows their own (first) link: their name and password, nothing of Mallory's.
      const verified = await ctx.client().post("/api/auth/verify-email", { token: linkToken(mails[0]!) });
      expect(verified.status).toBe(200);
      expect(verified.body.user.name).toBe("Grace Hopper");
    });

    it("a stranger's sign-up first: the owner's link sets the owner's name; a resent link greets without one", async () => {
      const victim = uniqueEmail("victim");
      await ctx.client().post("/api/auth/sign-up", { email: victim, password: "mallory's own passphrase", name: LURE });
      await ctx.server.settle();
      await ctx.client().post("/api/auth/resend-verification", { email: victim });
      await ctx.server.settle();
      await ctx.client().post("/api/auth/sign-up", { email: victim, password: STRONG_PASSWORD, name: "Grace Hopper" });
      const mails = await mailsTo(ctx, victim, /^Confirm your email/);
      expect(mails).toHaveLength(3);
      for (const mail of mails) {
        expect(greetingOf(mail)).toBe("Hi,");
        expect(mail.text + mail.html).not.toContain("evil.test");
      }
      const verified = await ctx.client().post("/api/auth/verify-email", { token: linkToken(mails[2]!) });
      expect(verified.status).toBe(200);
      expect(verified.body.user.name).toBe("Grace Hopper");
    });

    it("once the owner has verified, emails greet by the owner's name, and a stranger's sign-up changes nothing", async () => {
      const owner = uniqueEmail("owner");
      await ctx.client().post("/api/auth/sign-up", { email: owner, password: STRONG_PASSWORD, name: "Grace Hopper" });
      expect(
        (
          await ctx
            .client()
            .post("/api/auth/verify-email", { token: linkToken((await mailsTo(ctx, owner, /^Confirm/))[0]!) })
        ).status,
      ).toBe(200);
      await ctx.client().post("/api/auth/sign-up", { email: owner, password: "mallory's own passphrase", name: LURE });
      const [notice] = await mailsTo(ctx, owner, /already have/);
      expect(greetingOf(notice!)).toBe("Hi Grace Hopper,");
      expect(notice!.text + notice!.html).not.toContain("evil.test");
    });
  },
  { env: { SMTP_URL: smtp.url } },
);
