import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSmtpServer, startFakeSmtpServer } from "../fakes/smtp";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";
import { fakeTwilioEnv, STRONG_PASSWORD, uniqueEmail } from "../helpers/harness";
import {
  accountProblems,
  allSent,
  type ApiUser,
  call,
  createFaultDatabase,
  errorLogs,
  expectEmailsDeliveredOnce,
  expectNoServerErrors,
  expectSmsDeliveredOnce,
  mailsPerOutboxId,
  type FaultDatabase,
  type OutboxRow,
  outboxRows,
  printLogsOnFailure,
  type Reply,
  type ServerProcess,
  smsCode,
  startServer,
  twoFactorUser,
  uniquePhone,
  verifiedUser,
  waitFor,
} from "./support";

/**
 * SIGKILL in the middle of a burst of sign-ups, sign-ins that text a code, and new phone numbers: no clean-up
 * code runs. Transactions must leave no half-made account, and the outbox must deliver everything that was
 * committed once the server is started again on the same database: messages nobody had tried yet exactly once;
 * the few the dead process was sending at that instant (claimed, outcome unrecorded) after their lease runs out.
 * Those may arrive twice if the provider took them just before the kill: no client can tell that apart from a
 * lost send (docs/configuration.md); an email keeps its Message-ID, so a mail system can drop the copy.
 */
describe("fault: the server is killed (SIGKILL) mid-burst and started again", () => {
  let db: FaultDatabase;
  let smtp: FakeSmtpServer;
  let twilio: FakeTwilio;
  let first: ServerProcess | undefined;
  let second: ServerProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createFaultDatabase();
    smtp = await startFakeSmtpServer();
    twilio = await startFakeTwilio();
    // A short lease, so that the claims of the killed process expire within the test (default 10 minutes).
    // One APP_URL for both processes (the queued links point at it), whatever port each listens on.
    env = {
      ...(fakeTwilioEnv(twilio) as Record<string, string>),
      SMTP_URL: smtp.url,
      APP_URL: "http://localhost:3000",
      OUTBOX_LEASE_SECONDS: "8",
    };
    first = await startServer({ database: db, env });
  });

  printLogsOnFailure(() => [first, second]);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await twilio?.close();
    await smtp?.close();
    await db?.drop();
  });

  it("leaves every account whole and delivers every queued message after a restart; only messages caught mid-send may repeat", async () => {
    const server = first!;
    const signingIn: ApiUser[] = [];
    for (let i = 0; i < 4; i++) signingIn.push(await twoFactorUser(server, smtp, twilio, uniquePhone()));
    const addingPhone = await Promise.all(Array.from({ length: 4 }, () => verifiedUser(server, smtp)));

    // Slow providers widen the window in which a send is under way when the process dies.
    smtp.setDelay(150);
    twilio.replyAll({ delayMs: 300 });
    const mailsBefore = smtp.received.length;
    const textsBefore = twilio.messages.length;
    const signUps = Array.from({ length: 24 }, () => uniqueEmail("sigkill"));
    const replies: Array<Reply & { email?: string }> = [];
    const burst = [
      ...signUps.map((email) =>
        call(server, "POST", "/api/auth/sign-up", {
          json: { email, password: STRONG_PASSWORD, name: "Alan Turing" },
        }).then((reply) => ({ ...reply, email })),
      ),
      ...signingIn.map((user) =>
        call(server, "POST", "/api/auth/sign-in", { json: { email: user.email, password: user.password } }),
      ),
      ...addingPhone.map((user) =>
        call(server, "POST", "/api/account/phone", {
          token: user.token,
          json: { phoneNumber: uniquePhone(), currentPassword: user.password },
        }),
      ),
    ].map((request) => request.then((reply) => void replies.push(reply)));

    await waitFor(
      "the burst to be half-way, with mail and texts going out",
      () =>
        replies.length >= 10 && smtp.received.length >= mailsBefore + 2 && twilio.messages.length >= textsBefore + 1,
      { intervalMs: 10 },
    );
    server.child.kill("SIGKILL");
    expect(await server.exited).toEqual({ code: null, signal: "SIGKILL" });
    await Promise.all(burst);

    const answered = replies.filter((reply) => reply.status !== 0);
    const cut = replies.filter((reply) => reply.status === 0);
    expectNoServerErrors(answered);
    expect(answered.every((reply) => reply.status === 200 || reply.status === 202)).toBe(true);

    // What the dead process left: rows it had claimed and was sending (their outcome never recorded).
    const atKill = await outboxRows(db);
    const caughtMidSend = new Set(
      atKill.filter((row) => row.status === "pending" && row.attempts > 0).map((row) => row.id),
    );
    const untried = atKill.filter((row) => row.status === "pending" && row.attempts === 0).length;
    console.info(
      `SIGKILL: ${answered.length} answered, ${cut.length} cut off; outbox: ${atKill.filter((r) => r.status === "sent").length} sent, ${caughtMidSend.size} mid-send, ${untried} untried`,
    );
    expect(cut.length + caughtMidSend.size + untried, "the kill landed after everything was done").toBeGreaterThan(0);
    // The worker sends one message at a time: at most one email can have been in its hands.
    expect(atKill.filter((row) => caughtMidSend.has(row.id) && row.channel === "email").length).toBeLessThanOrEqual(1);
    expect(await accountProblems(db)).toEqual([]);
    // Sign-up answers before it creates the account (so that new and taken addresses take the same time): a
    // sign-up answered just before the kill may have lost its account, like a forgot-password its email. The user
    // signs up again; the address is still free. What exists is whole (accountProblems above).
    const users = await db.query<{ email: string }>("select email from users");
    const kept = answered.filter((reply) => reply.email && users.some((u) => u.email === reply.email)).length;
    console.info(
      `SIGKILL: ${kept} of ${answered.filter((r) => r.email).length} answered sign-ups had their account written`,
    );

    smtp.setDelay(0);
    twilio.replyAll(null);
    second = await startServer({ database: db, env });
    // Untried code texts wait out their 30 s reservation for the request that queued it; claims their 8 s lease.
    const rows = await allSent(db, 120_000);
    const copies = (row: OutboxRow) => {
      if (row.channel === "email") return mailsPerOutboxId(smtp).get(row.id) ?? 0;
      const text = twilio.messages.find((m) => m.sid === row.provider_message_id);
      return twilio.messages.filter((m) => m.to === text?.to && m.body === text?.body).length;
    };
    const repeated = rows.filter((row) => caughtMidSend.has(row.id) && copies(row) > 1);
    console.info(
      `after the restart: ${rows.length} messages sent; of the ${caughtMidSend.size} caught mid-send, ${repeated.length} arrived twice`,
    );
    expectEmailsDeliveredOnce(rows, smtp, caughtMidSend);
    expectSmsDeliveredOnce(rows, twilio, caughtMidSend);
    expect(await accountProblems(db)).toEqual([]);

    // The restarted server is whole: a two-factor sign-in from start to finish.
    const user = signingIn[0]!;
    const signIn = await call(second, "POST", "/api/auth/sign-in", {
      json: { email: user.email, password: user.password },
    });
    expect(signIn.status, signIn.text).toBe(200);
    // Texted on the request itself (deliverNow), so it is the newest text to that phone.
    const code = smsCode(twilio, user.phone!);
    const verified = await call(second, "POST", "/api/auth/two-factor/verify", {
      json: { challengeId: signIn.body.challenge.id, method: "sms", code },
    });
    expect(verified.status, verified.text).toBe(200);
    expect(errorLogs(second)).toEqual([]);
  });
});
