import { afterAll, describe, expect, it } from "vitest";
import { enqueueMessage, outboxSealer } from "../../src/db/outbox";
import type { HostBindings } from "../../src/http/env";
import { isLoopbackAddress } from "../../src/http/middleware/client-ip";
import { hostBindingsFromForwardedFor } from "../../src/server";
import { startFakeSmtpServer } from "../fakes/smtp";
import {
  APP_URL,
  forEachServer,
  type ServerContext,
  STRONG_PASSWORD,
  uniqueEmail,
  uniquePhone,
} from "../helpers/harness";

/**
 * Pen test: `npm run api` with SMTP_URL and Twilio set but NODE_ENV unset served GET /api/dev/outbox (every code
 * and reset link) to anyone. The dev outbox now exists only for channels without a real provider, lists only
 * their messages, and answers only a TCP peer on this machine.
 */

// Never reached: nothing in this file is delivered through them. The password must stay out of the log.
const SMTP_NOWHERE = { SMTP_URL: "smtp://mailer:hunter2-smtp-password@127.0.0.1:1" };
const TWILIO_NOWHERE = {
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "f".repeat(32),
  TWILIO_FROM: "+15005550006",
  TWILIO_API_BASE: "http://127.0.0.1:1",
};
const CODE = "493817";

/** One email (a verification link) and one SMS (a sign-in code), queued as the flows queue them. */
async function queueOneOfEach(ctx: ServerContext) {
  const sealer = outboxSealer(ctx.server.config.secret);
  const email = uniqueEmail("exposed");
  const phone = uniquePhone();
  await enqueueMessage(ctx.server.database.db, sealer, {
    channel: "email",
    template: "verify_email",
    recipient: email,
    data: { name: "Eve", link: `${APP_URL}/verify-email#token=link-id.link-secret` },
  });
  await enqueueMessage(ctx.server.database.db, sealer, {
    channel: "sms",
    template: "sign_in_code",
    recipient: phone,
    data: { code: CODE },
  });
  return { email, phone };
}

function outbox(ctx: ServerContext, bindings: HostBindings | undefined, headers: Record<string, string> = {}) {
  return ctx.server.app.request(`${APP_URL}/api/dev/outbox`, { headers }, bindings);
}

async function expectNotFound(response: Response) {
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ error: { code: "not_found", message: expect.any(String) } });
}

forEachServer(
  "dev outbox with SMTP and Twilio configured and NODE_ENV unset",
  (ctx) => {
    it("answers 404 not_found, even to this machine, and lists nothing", async () => {
      await queueOneOfEach(ctx);
      expect(ctx.server.config.devOutbox).toEqual({ email: false, sms: false });
      for (const peer of ["127.0.0.1", "::1", "10.0.0.8"])
        await expectNotFound(await outbox(ctx, { remoteAddress: peer }));
      expect((await ctx.client().get("/api/health")).status).toBe(200);
    });

    it("says at start-up where each channel goes, without the SMTP password", () => {
      const log = ctx.log.text();
      expect(log).toContain("email: SMTP 127.0.0.1:1");
      expect(log).toContain("sms: twilio");
      expect(log).not.toContain("dev outbox");
      expect(log).not.toContain("hunter2");
    });
  },
  { env: { ...SMTP_NOWHERE, ...TWILIO_NOWHERE, NODE_ENV: undefined } },
);

forEachServer(
  "dev outbox with Twilio configured and email in the dev outbox",
  (ctx) => {
    it("lists the emails and never a text sent through Twilio", async () => {
      const { email, phone } = await queueOneOfEach(ctx);
      const response = await outbox(ctx, { remoteAddress: "127.0.0.1" });
      expect(response.status).toBe(200);
      const text = await response.text();
      const { messages } = JSON.parse(text) as { messages: Array<{ channel: string; to: string }> };
      expect(messages.some((message) => message.to === email)).toBe(true);
      expect(messages.every((message) => message.channel === "email")).toBe(true);
      expect(text).not.toContain(phone);
      expect(text).not.toContain(CODE);
      expect(ctx.log.text()).toContain("sms: twilio");
      expect(ctx.log.text()).toContain(
        "email: dev outbox (http://localhost:3000/dev/inbox, GET /api/dev/outbox; to this machine only)",
      );
    });
  },
  { env: { ...TWILIO_NOWHERE, NODE_ENV: undefined } },
);

// SMTP_URL needs the port before the servers start.
const smtp = await startFakeSmtpServer();
afterAll(() => smtp.close());

forEachServer(
  "dev outbox with SMTP configured and SMS in the dev outbox",
  (ctx) => {
    it("lists the texts and never an email sent over SMTP, not even to the signed-in owner of that email", async () => {
      // A real sign-up: the link arrives over SMTP, and the browser on this machine is signed in with it.
      const email = uniqueEmail("smtp-owner");
      const client = ctx.client({ ip: "127.0.0.1" });
      expect(
        (await client.post("/api/auth/sign-up", { email, password: STRONG_PASSWORD, name: "Ada Lovelace" })).status,
      ).toBe(202);
      await ctx.server.settle();
      await ctx.server.worker.drain();
      const mail = smtp.received.filter((m) => m.envelopeTo.includes(email)).at(-1);
      const token = /#token=([\w-]+\.[\w-]+)/.exec(mail?.text ?? "")?.[1];
      expect(token).toBeDefined();
      expect((await client.post("/api/auth/verify-email", { token })).status).toBe(200);
      const queued = await queueOneOfEach(ctx);

      const response = await client.get("/api/dev/outbox");
      expect(response.status).toBe(200);
      const messages = response.body.messages as Array<{ channel: string; to: string; body: string }>;
      expect(messages.find((message) => message.to === queued.phone)?.body).toContain(CODE);
      expect(messages.every((message) => message.channel === "sms")).toBe(true);
      expect(response.text).not.toContain(email);
      expect(response.text).not.toContain(queued.email);
      expect(response.text).not.toContain(token);
      expect(response.text).not.toContain("link-secret");
    });
  },
  { env: () => ({ SMTP_URL: smtp.url, NODE_ENV: undefined }) },
);

forEachServer(
  "dev outbox answers a peer on this machine only",
  (ctx) => {
    it.each(["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])(
      "lists the messages for the loopback peer %s",
      async (peer) => {
        const { email } = await queueOneOfEach(ctx);
        const response = await outbox(ctx, { remoteAddress: peer });
        expect(response.status).toBe(200);
        expect(
          ((await response.json()) as { messages: Array<{ to: string }> }).messages.some(
            (message) => message.to === email,
          ),
        ).toBe(true);
      },
    );

    it.each(["10.0.0.1", "192.168.1.20", "::ffff:10.0.0.1", "2001:db8::1", "0.0.0.0", "::", "not-an-address", ""])(
      "answers 404 to the peer %j",
      async (peer) => {
        await expectNotFound(await outbox(ctx, { remoteAddress: peer }));
      },
    );

    it("answers 404 when the host named no peer at all", async () => {
      await expectNotFound(await outbox(ctx, undefined));
      await expectNotFound(await outbox(ctx, {}));
    });

    it("believes no X-Forwarded-For, even with TRUST_PROXY set", async () => {
      expect(ctx.server.config.trustProxy).toEqual({ kind: "hops", hops: 1 });
      for (const forwarded of ["127.0.0.1", "::1", "10.0.0.1, 127.0.0.1"]) {
        await expectNotFound(await outbox(ctx, { remoteAddress: "10.0.0.9" }, { "x-forwarded-for": forwarded }));
      }
    });

    it("under Next.js: only scripts/server.mjs's appended peer counts, never a hop the client wrote", async () => {
      const flag = Symbol.for("twofold.peerAppended");
      const global = globalThis as { [flag]?: boolean };
      // Plain `next dev` keeps the client's own header, so its last hop proves nothing.
      delete global[flag];
      await expectNotFound(await outbox(ctx, hostBindingsFromForwardedFor("127.0.0.1")));
      global[flag] = true;
      try {
        expect((await outbox(ctx, hostBindingsFromForwardedFor("127.0.0.1"))).status).toBe(200);
        // The client wrote 127.0.0.1; server.mjs appended the real peer after it.
        await expectNotFound(await outbox(ctx, hostBindingsFromForwardedFor("127.0.0.1, 203.0.113.7")));
        await expectNotFound(await outbox(ctx, hostBindingsFromForwardedFor(null)));
      } finally {
        delete global[flag];
      }
    });
  },
  { env: { TRUST_PROXY: "1" } },
);

describe("isLoopbackAddress", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["128.0.0.1", false],
    ["10.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["::", false],
    ["0.0.0.0", false],
    ["localhost", false],
    ["127.0.0.1.evil.example", false],
    ["", false],
  ])("%j → %s", (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
