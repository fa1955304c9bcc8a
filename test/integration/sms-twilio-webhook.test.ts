import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { beforeAll, expect, it } from "vitest";
import { outboxMessages } from "../../src/db/schema";
import { computeTwilioSignature } from "../../src/delivery/sms/twilio-signature";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";
import { fakeTwilioEnv, forEachServer, signedUpUser, uniquePhone } from "../helpers/harness";
import { closedPort } from "../helpers/network";

/**
 * Twilio's delivery reports reach POST /api/webhooks/twilio/status over real HTTP, signed by the fake Twilio
 * over the URL it called, which is APP_URL + path: the server listens on the port APP_URL names.
 */

const servers = new Map<string, { fake: FakeTwilio; appUrl: string; port: number }>();

forEachServer(
  "Twilio status callbacks",
  (ctx) => {
    const setup = () => servers.get(ctx.kind)!;
    const statusUrl = () => `${setup().appUrl}/api/webhooks/twilio/status`;

    beforeAll(async () => {
      const { port } = setup();
      const http = serve({
        fetch: (req, env) => ctx.server.app.fetch(req, { remoteAddress: env.incoming.socket.remoteAddress }),
        port,
        hostname: "127.0.0.1",
      });
      await new Promise<void>((resolve) => http.once("listening", () => resolve()));
      return () => new Promise<void>((resolve) => http.close(() => resolve()));
    });

    /** Sends one code through the fake; returns its outbox row id and Twilio's SM sid. */
    async function sentSms() {
      const user = await signedUpUser(ctx);
      const phone = uniquePhone();
      expect(
        (await user.client.post("/api/account/phone", { phoneNumber: phone, currentPassword: user.password })).status,
      ).toBe(202);
      const [row] = await ctx.server.database.db
        .select()
        .from(outboxMessages)
        .where(eq(outboxMessages.recipient, phone));
      expect(row).toMatchObject({ status: "sent", providerMessageId: setup().fake.messages.at(-1)!.sid });
      return row!;
    }
    const row = async (id: string) =>
      (await ctx.server.database.db.select().from(outboxMessages).where(eq(outboxMessages.id, id)))[0]!;

    it("records 'delivered' from a correctly signed callback (204)", async () => {
      const sms = await sentSms();
      const report = await setup().fake.sendStatusCallback({
        status: "delivered",
        messageSid: sms.providerMessageId!,
        url: statusUrl(),
      });
      expect(report.status).toBe(204);
      expect(await row(sms.id)).toMatchObject({ status: "sent", deliveryStatus: "delivered", deliveryErrorCode: null });
    });

    it("records 'undelivered' with Twilio's error code, and warns in the log without the number", async () => {
      const sms = await sentSms();
      const report = await setup().fake.sendStatusCallback({
        status: "undelivered",
        errorCode: 30003,
        messageSid: sms.providerMessageId!,
        url: statusUrl(),
      });
      expect(report.status).toBe(204);
      expect(await row(sms.id)).toMatchObject({ deliveryStatus: "undelivered", deliveryErrorCode: "30003" });
      const warning = ctx.log.lines
        .map((line) => JSON.parse(line))
        .find((entry) => entry.sid === sms.providerMessageId);
      expect(warning).toMatchObject({ level: 40, status: "undelivered", errorCode: "30003" });
      expect(JSON.stringify(warning)).not.toContain(sms.recipient.slice(2));
    });

    it("refuses a callback signed with another token, or unsigned (403), and records nothing", async () => {
      const sms = await sentSms();
      const forged = await setup().fake.sendStatusCallback({
        status: "delivered",
        messageSid: sms.providerMessageId!,
        url: statusUrl(),
        signWith: "0".repeat(32),
      });
      expect(forged.status).toBe(403);
      const unsigned = await fetch(statusUrl(), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ MessageSid: sms.providerMessageId!, MessageStatus: "delivered" }).toString(),
      });
      expect(unsigned.status).toBe(403);
      expect(await row(sms.id)).toMatchObject({ deliveryStatus: null, deliveryErrorCode: null });
      expect(ctx.log.text()).toContain("Twilio status callback with a bad signature");
      // The genuine report for the same message still counts.
      expect(
        (
          await setup().fake.sendStatusCallback({
            status: "delivered",
            messageSid: sms.providerMessageId!,
            url: statusUrl(),
          })
        ).status,
      ).toBe(204);
      expect(await row(sms.id)).toMatchObject({ deliveryStatus: "delivered" });
    });

    it("answers a signed report that is not Twilio's (a field missing, a NUL) with 400 in the API's error shape", async () => {
      // Found by fuzzing: zod's raw output for a missing field, and a NUL that reached SQL (a 500).
      const sms = await sentSms();
      const post = (form: URLSearchParams) =>
        fetch(statusUrl(), {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            "x-twilio-signature": computeTwilioSignature(setup().fake.authToken, statusUrl(), form),
          },
          body: form.toString(),
        });
      const sid = sms.providerMessageId!;
      for (const fields of [
        { MessageStatus: "delivered" } as Record<string, string>,
        { MessageSid: "\0", MessageStatus: "delivered" },
        { MessageSid: sid, MessageStatus: "delivered\0" },
        { MessageSid: sid, MessageStatus: "failed", ErrorCode: "\0" },
      ]) {
        const res = await post(new URLSearchParams(fields));
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ error: { code: "invalid_request", fields: expect.any(Object) } });
      }
      // A repeated name is refused as well: the schema sees every value, so none slips past it unchecked.
      const repeated = await post(
        new URLSearchParams([
          ["MessageSid", sid],
          ["MessageStatus", "undelivered"],
          ["ErrorCode", "\0"],
          ["ErrorCode", "30003"],
        ]),
      );
      expect(repeated.status).toBe(400);
      expect(await row(sms.id)).toMatchObject({ deliveryStatus: null, deliveryErrorCode: null });
    });
  },
  {
    env: async (kind, onClose) => {
      const [fake, port] = [await startFakeTwilio(), await closedPort()];
      const appUrl = `http://127.0.0.1:${port}`;
      servers.set(kind, { fake, appUrl, port });
      onClose(() => fake.close());
      return { ...fakeTwilioEnv(fake), APP_URL: appUrl };
    },
  },
);
