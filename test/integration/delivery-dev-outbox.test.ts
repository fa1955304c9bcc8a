import { randomBytes } from "node:crypto";
import { afterEach, expect, it } from "vitest";
import { enqueueMessage, findMessage, outboxSealer } from "../../src/db/outbox";
import { createEmailChannel, type OutboxWorker, startOutboxWorker } from "../../src/delivery/worker";
import { listDevOutbox } from "../../src/delivery/dev-outbox";
import { recordingLogger } from "../fakes/logger";
import { forEachDatabase } from "../helpers/databases";

const config = {
  appName: "Twofold",
  appUrl: "http://localhost:3000",
  smtpUrl: undefined,
  emailFrom: "no-reply@localhost",
  production: false,
  devOutbox: { email: true, sms: true },
};

forEachDatabase("dev outbox", (ctx) => {
  const sealer = outboxSealer(randomBytes(32));
  let worker: OutboxWorker | undefined;
  afterEach(() => worker?.stop());

  it("marks messages sent, prints them, and lists them newest first", async () => {
    const logger = recordingLogger();
    const link = `${config.appUrl}/verify-email#token=abc.def`;
    const first = await enqueueMessage(ctx.db, sealer, {
      channel: "email",
      template: "verify_email",
      recipient: "alice@example.com",
      data: { name: "Alice", link },
    });
    // created_at is the transaction's clock; keep the two apart so "newest first" is observable.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await enqueueMessage(ctx.db, sealer, {
      channel: "email",
      template: "password_changed",
      recipient: "bob@example.com",
      data: { name: "Bob" },
    });

    worker = startOutboxWorker({
      db: ctx.db,
      config,
      logger,
      sealer,
      emailChannel: createEmailChannel(config, logger),
    });
    await worker.drain();

    expect(await findMessage(ctx.db, first)).toMatchObject({ status: "sent", attempts: 1 });
    expect(await findMessage(ctx.db, second)).toMatchObject({ status: "sent", attempts: 1 });
    const printed = logger.entries.filter((entry) => "text" in entry.fields);
    expect(printed.map((entry) => (entry.fields as { to: string }).to).sort()).toEqual([
      "alice@example.com",
      "bob@example.com",
    ]);
    expect(logger.dump()).toContain(link);

    const messages = await listDevOutbox(ctx.db, sealer, config);
    expect(messages.map((message) => message.id)).toEqual([second, first]);
    expect(messages[1]).toMatchObject({
      channel: "email",
      to: "alice@example.com",
      subject: "Confirm your email for Twofold",
      status: "sent",
    });
    expect(messages[1]!.body).toContain(link);
    expect(messages[1]!.html).toContain(`href="${link}"`);
    expect(messages[1]!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("lists pending messages too, and shows an unreadable one instead of failing the list", async () => {
    await enqueueMessage(ctx.db, outboxSealer(randomBytes(32)), {
      channel: "email",
      template: "password_changed",
      recipient: "old@example.com",
      data: { name: "Old" },
    });
    await enqueueMessage(ctx.db, sealer, {
      channel: "email",
      template: "sign_up_attempt",
      recipient: "carol@example.com",
      data: { name: "Carol" },
    });

    const messages = await listDevOutbox(ctx.db, sealer, config);
    expect(messages).toHaveLength(2);
    const readable = messages.find((message) => message.to === "carol@example.com")!;
    expect(readable).toMatchObject({ status: "pending", subject: "You already have a Twofold account" });
    const unreadable = messages.find((message) => message.to === "old@example.com")!;
    expect(unreadable).toMatchObject({ subject: null, html: null });
    expect(unreadable.body).toContain("cannot be shown");
  });
});
