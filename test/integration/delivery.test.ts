import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { claimDueMessage, enqueueMessage, findMessage, markSent, outboxSealer } from "../../src/db/outbox";
import { outboxMessages } from "../../src/db/schema";
import { createSmtpChannel } from "../../src/delivery/email/smtp";
import {
  MAX_ATTEMPTS,
  type OutboxWorker,
  type OutboxWorkerOptions,
  startOutboxWorker,
} from "../../src/delivery/worker";
import { recordingLogger } from "../fakes/logger";
import { type FakeSmtpServer, startFakeSmtpServer } from "../fakes/smtp";
import { forEachDatabase } from "../helpers/databases";

const app = { appName: "Twofold", appUrl: "http://localhost:3000" };
const from = "Twofold <no-reply@localhost>";

forEachDatabase("email delivery through the outbox", (ctx) => {
  let smtp: FakeSmtpServer;
  let logger: ReturnType<typeof recordingLogger>;
  const sealer = outboxSealer(randomBytes(32));
  const workers: OutboxWorker[] = [];

  function startWorker(overrides: Partial<OutboxWorkerOptions> = {}): OutboxWorker {
    const emailChannel = createSmtpChannel({ smtpUrl: smtp.url, from });
    const worker = startOutboxWorker({
      db: ctx.db,
      config: app,
      logger,
      sealer,
      emailChannel,
      retryDelaysMs: [0],
      ...overrides,
    });
    workers.push(worker);
    return worker;
  }

  function resetLink(): { link: string; token: string } {
    const token = `${randomBytes(16).toString("base64url")}.${randomBytes(32).toString("base64url")}`;
    return { token, link: `${app.appUrl}/reset-password#token=${token}` };
  }

  function enqueueReset(recipient = "alice@example.com", link = resetLink().link): Promise<string> {
    return enqueueMessage(ctx.db, sealer, {
      channel: "email",
      template: "password_reset",
      recipient,
      data: { name: "Alice", link },
    });
  }

  beforeEach(async () => {
    smtp = await startFakeSmtpServer();
    logger = recordingLogger();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await smtp?.close();
  });

  it("delivers a queued email over SMTP with the link intact", async () => {
    const { link, token } = resetLink();
    const id = await enqueueReset("alice@example.com", link);
    await startWorker().drain();

    const [mail] = await smtp.waitFor(1);
    expect(mail!.envelopeTo).toEqual(["alice@example.com"]);
    expect(mail!.to).toBe("alice@example.com");
    expect(mail!.envelopeFrom).toBe("no-reply@localhost");
    expect(mail!.parsed.from?.value[0]).toMatchObject({ name: "Twofold", address: "no-reply@localhost" });
    expect(mail!.subject).toBe("Reset your Twofold password");
    expect(mail!.text).toContain(link);
    expect(mail!.text).toContain("30 minutes");
    expect(mail!.html).toContain(`href="${link}"`);
    expect(mail!.html).toContain("Hi Alice,");

    const row = await findMessage(ctx.db, id);
    expect(row).toMatchObject({ status: "sent", attempts: 1, lastError: null, providerMessageId: mail!.messageId });
    expect(row!.sentAt).toBeInstanceOf(Date);

    // Logs say what happened to which message, never the link or the full address.
    expect(logger.entries).toContainEqual(expect.objectContaining({ level: "info", message: "Email sent" }));
    expect(logger.dump()).toContain("a•••@example.com");
    expect(logger.dump()).not.toContain(token);
    expect(logger.dump()).not.toContain("alice@example.com");
  });

  it("stores the payload sealed: no link, token or name in the database in clear", async () => {
    const { link, token } = resetLink();
    const id = await enqueueReset("alice@example.com", link);

    const [row] = await ctx.db
      .select({ payload: outboxMessages.payload })
      .from(outboxMessages)
      .where(eq(outboxMessages.id, id));
    expect(Buffer.isBuffer(row!.payload)).toBe(true);
    for (const secret of [token, link, "Alice", "reset-password"]) expect(row!.payload.includes(secret)).toBe(false);

    // The same search inside the database, as someone with a dump would run it.
    const hits = await ctx.db
      .select({ id: outboxMessages.id })
      .from(outboxMessages)
      .where(sql`position(convert_to(${token.slice(0, 20)}, 'UTF8') in ${outboxMessages.payload}) > 0`);
    expect(hits).toEqual([]);
  });

  it("retries a transient failure and delivers exactly once", async () => {
    smtp.failNext(2, "transient");
    const id = await enqueueReset();
    await startWorker().drain();

    expect(smtp.received).toHaveLength(1);
    expect(await findMessage(ctx.db, id)).toMatchObject({ status: "sent", attempts: 3, lastError: null });
    expect(logger.entries.filter((entry) => entry.level === "warn")).toHaveLength(2);
  });

  it("waits out the backoff before retrying", async () => {
    smtp.failNext(1, "transient");
    const id = await enqueueReset();
    await startWorker({ retryDelaysMs: [60_000] }).drain();

    expect(smtp.received).toHaveLength(0);
    const row = await findMessage(ctx.db, id);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row!.lastError).toContain("451");
    expect(row!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it("marks a permanent rejection failed at once, keeping the reason", async () => {
    smtp.failNext(1, "permanent", "rcpt");
    const id = await enqueueReset("nobody@example.com");
    await startWorker().drain();

    const row = await findMessage(ctx.db, id);
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row!.lastError).toContain("550");
    const errors = logger.entries.filter((entry) => entry.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields).toMatchObject({ messageId: id, template: "password_reset", to: "n•••@example.com" });
    // The provider's reply quotes the address; it is masked in logs and last_error alike.
    expect(logger.dump()).not.toContain("nobody@example.com");
  });

  it("gives up after MAX_ATTEMPTS transient failures", async () => {
    smtp.failNext(100, "transient");
    const id = await enqueueReset();
    await startWorker().drain();

    const row = await findMessage(ctx.db, id);
    expect(MAX_ATTEMPTS).toBeGreaterThanOrEqual(5);
    expect(row).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    expect(row!.lastError).toContain("451");
    expect(smtp.received).toHaveLength(0);
    expect(logger.entries.filter((entry) => entry.level === "error")).toHaveLength(1);
  });

  it("never delivers a message twice when workers run concurrently", async () => {
    smtp.setDelay(20);
    const count = 12;
    const ids = await Promise.all(Array.from({ length: count }, (_, i) => enqueueReset(`user${i}@example.com`)));
    const pool = [startWorker(), startWorker(), startWorker()];
    await Promise.all(pool.map((worker) => worker.drain()));

    const recipients = smtp.received.map((mail) => mail.envelopeTo[0]).sort();
    expect(recipients).toEqual(Array.from({ length: count }, (_, i) => `user${i}@example.com`).sort());
    for (const id of ids) expect(await findMessage(ctx.db, id)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("retries a message whose worker died mid-send once its lease runs out", async () => {
    const id = await enqueueReset();
    const crashed = await claimDueMessage(ctx.db, { channels: ["email"], leaseMs: 1 });
    expect(crashed).toMatchObject({ id, attempts: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await startWorker().drain();

    expect(smtp.received).toHaveLength(1);
    expect(await findMessage(ctx.db, id)).toMatchObject({ status: "sent", attempts: 2 });
    // The dead worker's late outcome cannot overwrite the newer attempt's.
    expect(await markSent(ctx.db, crashed!, "late")).toBe(false);
  });

  it("sends nothing when the enqueuing transaction rolls back", async () => {
    await enqueueReset("alice@example.com");
    await expect(
      ctx.db.transaction(async (tx) => {
        await enqueueMessage(tx, sealer, {
          channel: "email",
          template: "password_changed",
          recipient: "bob@example.com",
          data: { name: "Bob" },
        });
        throw new Error("flow failed");
      }),
    ).rejects.toThrow("flow failed");
    await startWorker().drain();

    expect(smtp.received.map((mail) => mail.to)).toEqual(["alice@example.com"]);
  });

  it("fails a message whose payload cannot be opened, without retrying", async () => {
    const id = await enqueueMessage(ctx.db, outboxSealer(randomBytes(32)), {
      channel: "email",
      template: "password_changed",
      recipient: "alice@example.com",
      data: { name: "Alice" },
    });
    await startWorker().drain();

    const row = await findMessage(ctx.db, id);
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row!.lastError).toContain("cannot be opened");
  });

  it("finishes the message in hand when stopped", async () => {
    smtp.setDelay(200);
    const id = await enqueueReset();
    const worker = startWorker();
    worker.notify();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await worker.stop();

    expect(smtp.received).toHaveLength(1);
    expect(await findMessage(ctx.db, id)).toMatchObject({ status: "sent" });
  });
});
