import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryError } from "../../src/delivery/channel";
import { createEmailChannel } from "../../src/delivery/email/channel";
import { isPermanentSmtpError, createSmtpChannel } from "../../src/delivery/email/smtp";
import { recordingLogger } from "../fakes/logger";
import { type FakeSmtpServer, startFakeSmtpServer } from "../fakes/smtp";
import { closedPort, rejectionOf } from "../helpers/network";

const message = { to: "alice@example.com", subject: "Hello", text: "Hi Alice", html: "<p>Hi Alice</p>" };
const from = "Twofold <no-reply@localhost>";

const sendError = (send: Promise<unknown>) => rejectionOf(send, DeliveryError);

describe("SMTP channel", () => {
  let smtp: FakeSmtpServer;
  beforeEach(async () => {
    smtp = await startFakeSmtpServer();
  });
  afterEach(() => smtp.close());

  it("sends and returns the provider's message id", async () => {
    const result = await createSmtpChannel({ smtpUrl: smtp.url, from }).send(message);
    const [mail] = await smtp.waitFor(1);
    expect(result.providerMessageId).toBe(mail!.messageId);
    expect(mail).toMatchObject({ subject: "Hello", envelopeTo: ["alice@example.com"] });
    expect(mail!.text.trim()).toBe("Hi Alice");
    expect(mail!.html).toContain("<p>Hi Alice</p>");
  });

  it("classifies 451 as transient and 550 as permanent", async () => {
    const channel = createSmtpChannel({ smtpUrl: smtp.url, from });
    smtp.failNext(1, "transient");
    expect((await sendError(channel.send(message))).permanent).toBe(false);
    smtp.failNext(1, "permanent");
    const permanent = await sendError(channel.send(message));
    expect(permanent.permanent).toBe(true);
    expect(permanent.message).toContain("550");
    smtp.failNext(1, "permanent", "rcpt");
    expect((await sendError(channel.send(message))).permanent).toBe(true);
  });

  it("treats a refused connection as transient", async () => {
    const channel = createSmtpChannel({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from });
    const error = await sendError(channel.send(message));
    expect(error.permanent).toBe(false);
  });
});

describe("SMTP error classification", () => {
  it.each([
    [{ responseCode: 421 }, false],
    [{ responseCode: 450 }, false],
    [{ responseCode: 550 }, true],
    [{ responseCode: 554 }, true],
    // 503 = bad sequence of commands: a session problem, retried (RFC 5321 §4.2.1 note in smtp.ts).
    [{ responseCode: 503 }, false],
    // Wrong credentials are the operator's to fix; the queue must survive it.
    [{ code: "EAUTH", responseCode: 535 }, false],
    [{ code: "ETIMEDOUT" }, false],
    [{ code: "ECONNECTION" }, false],
    [{ code: "EDNS" }, false],
    [{ code: "EENVELOPE" }, true],
  ])("%o → permanent: %s", (error, permanent) => {
    expect(isPermanentSmtpError(error)).toBe(permanent);
  });
});

describe("email channel choice", () => {
  it("uses the dev outbox without SMTP_URL, printing the message", async () => {
    const logger = recordingLogger();
    const channel = createEmailChannel({ smtpUrl: undefined, emailFrom: from, production: false }, logger);
    expect(await channel.send(message)).toEqual({});
    expect(logger.entries.at(-1)).toMatchObject({
      level: "info",
      fields: { to: "alice@example.com", subject: "Hello", text: "Hi Alice" },
    });
  });

  it("refuses the dev outbox in production", () => {
    expect(() =>
      createEmailChannel({ smtpUrl: undefined, emailFrom: from, production: true }, recordingLogger()),
    ).toThrow(/SMTP_URL/);
  });

  it("uses SMTP when SMTP_URL is set", async () => {
    const smtp = await startFakeSmtpServer();
    try {
      await createEmailChannel({ smtpUrl: smtp.url, emailFrom: from, production: true }, recordingLogger()).send(
        message,
      );
      expect(smtp.received).toHaveLength(1);
    } finally {
      await smtp.close();
    }
  });
});
