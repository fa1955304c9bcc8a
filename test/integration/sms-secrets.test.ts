import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { outboxSealer } from "../../src/db/outbox";
import { challenges, outboxMessages } from "../../src/db/schema";
import { startFakeSmtpServer } from "../fakes/smtp";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";
import { fakeTwilioCode, fakeTwilioEnv, forEachServer, twoFactorUser, uniquePhone } from "../helpers/harness";

/**
 * After every SMS flow (codes sent, resent, wrong, right, pending, failed, retried), no code is in the database in
 * clear, and no code, token or full phone number is in the logs. Real Twilio and SMTP senders (both fakes) are
 * used, as in production: the dev outbox channels print messages to the log on purpose.
 */

const fakes = new Map<string, FakeTwilio>();

/** `code` as a number of its own, not as part of a longer run of digits (timestamps, phone numbers). */
const holdsCode = (text: string, code: string) => new RegExp(`(?<!\\d)${code}(?!\\d)`).test(text);

forEachServer(
  "no SMS code or phone number in clear",
  (ctx) => {
    it("keeps codes out of every text column and seals them in the outbox; logs carry no code, token or number", async () => {
      const fake = fakes.get(ctx.kind)!;
      const readCode = fakeTwilioCode(fake);
      const user = await twoFactorUser(ctx, { readCode });
      const phones = [user.phone];
      const tokens: string[] = [user.client.cookie!.split(".")[1]!];

      // A browser sign-in: a wrong code, a resend, the right code.
      const browser = ctx.client();
      const signIn = await browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
      const challengeId = signIn.body.challenge.id as string;
      const binding = browser.challengeCookie!.split(".")[1]!;
      tokens.push(challengeId, binding);
      const first = (await readCode(user.phone))!;
      await browser.post("/api/auth/two-factor/verify", {
        method: "sms",
        code: first === "000000" ? "111111" : "000000",
      });
      ctx.clock.advance(61);
      expect((await browser.post("/api/auth/two-factor/send", { method: "sms" })).status).toBe(202);
      expect(
        (await browser.post("/api/auth/two-factor/verify", { method: "sms", code: await readCode(user.phone) })).status,
      ).toBe(200);
      tokens.push(browser.cookie!.split(".")[1]!);

      // A number change left pending (a live code hash), and provider failures: permanent (Twilio quotes the
      // number back), misconfigured, and transient (left in the outbox).
      const statuses: number[] = [];
      for (const script of [
        () => {},
        () => fake.failNext(21211),
        () => fake.failNext(20003),
        () => fake.replyNext({ status: 500 }),
      ]) {
        const phone = uniquePhone();
        phones.push(phone);
        script();
        statuses.push(
          (await user.client.post("/api/account/phone", { phoneNumber: phone, currentPassword: user.password })).status,
        );
        ctx.clock.advance(1);
      }
      expect(statuses).toEqual([202, 400, 503, 202]);

      // Every code we made, sent or not, from the sealed outbox rows: they open under SECRET only.
      const db = ctx.server.database.db;
      const sealer = outboxSealer(ctx.server.config.secret);
      const smsRows = (await db.select().from(outboxMessages)).filter((row) => row.channel === "sms");
      const codes = smsRows
        .map((row) => (JSON.parse(sealer.open(row.payload)) as { code?: string }).code)
        .filter((code): code is string => !!code);
      expect(codes.length).toBe(7);
      for (const message of fake.messages)
        if (/\d{6} is your/.test(message.body)) expect(codes).toContain(message.body.slice(0, 16).match(/\d{6}/)![0]);
      for (const row of smsRows) for (const code of codes) expect(row.payload.includes(Buffer.from(code))).toBe(false);

      // Codes are HMACs bound to their challenge: not the code, not its bare SHA-256. Bindings are hashed too.
      for (const row of await db.select().from(challenges).where(sql`${challenges.userId} = ${user.user.id}`)) {
        if (row.codeHash)
          for (const code of codes)
            expect(
              [Buffer.from(code), createHash("sha256").update(code).digest()].some((b) => b.equals(row.codeHash!)),
            ).toBe(false);
        if (row.id === challengeId) expect(row.clientBinding).toEqual(createHash("sha256").update(binding).digest());
      }

      // Every text column of every table, as text.
      const columns = (await db.execute(
        sql`select table_name, column_name from information_schema.columns where table_schema = 'public' and data_type in ('text', 'character varying', 'json', 'jsonb')`,
      )) as unknown as { rows: Array<{ table_name: string; column_name: string }> };
      expect(columns.rows.length).toBeGreaterThan(10);
      const values: string[] = [];
      for (const { table_name, column_name } of columns.rows) {
        const rows = (await db.execute(
          sql.raw(`select "${column_name}"::text as value from "${table_name}" where "${column_name}" is not null`),
        )) as unknown as { rows: Array<{ value: string }> };
        values.push(...rows.rows.map((r) => `${table_name}.${column_name}: ${r.value}`));
      }
      const text = values.join("\n");
      expect(text).toContain(user.phone); // sanity: numbers are stored (they are not secrets), and the scan sees them
      for (const code of codes) expect(holdsCode(text, code), `code ${code} in a text column`).toBe(false);
      const dump = (
        (await db.execute(
          sql`select string_agg(t::text, E'\\n') as dump from (select * from challenges) t`,
        )) as unknown as { rows: Array<{ dump: string }> }
      ).rows[0]!.dump;
      expect(dump).not.toContain(binding);

      // The logs: delivery lines with masked numbers, and none of the secrets.
      await ctx.server.worker.drain();
      const logs = ctx.log.text();
      expect(logs).toContain("SMS sent");
      expect(logs).toContain(`•••${user.phone.slice(-4)}`);
      expect(logs).not.toContain("Dev outbox SMS");
      for (const code of codes) expect(holdsCode(logs, code), `code ${code} in the logs`).toBe(false);
      for (const phone of phones) {
        expect(logs, `number ${phone} in the logs`).not.toContain(phone.slice(1));
        expect(logs).not.toContain(phone.slice(2));
      }
      for (const token of tokens) expect(logs.includes(token), `token ${token.slice(0, 6)}… in the logs`).toBe(false);
    });
  },
  {
    env: async (kind, onClose) => {
      const [fake, smtp] = [await startFakeTwilio(), await startFakeSmtpServer()];
      fakes.set(kind, fake);
      onClose(() => Promise.all([fake.close(), smtp.close()]));
      return { ...fakeTwilioEnv(fake), SMTP_URL: smtp.url };
    },
  },
);
