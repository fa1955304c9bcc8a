import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSmtpServer, startFakeSmtpServer } from "../fakes/smtp";
import { type FakeTwilio, startFakeTwilio } from "../fakes/twilio";
import { fakeTwilioEnv, STRONG_PASSWORD, uniqueEmail } from "../helpers/harness";
import {
  allSent,
  call,
  createFaultDatabase,
  errorLogs,
  expectEmailsDeliveredOnce,
  expectSmsDeliveredOnce,
  type FaultDatabase,
  outboxRows,
  printLogsOnFailure,
  type ServerProcess,
  smsCode,
  startServer,
  uniquePhone,
  verifiedUser,
  waitFor,
} from "./support";

/** Whether a fresh TCP connection to the port is refused (nothing listening any more). */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/**
 * SIGTERM (a deploy, a scale-down) while a request waits on a slow Twilio and the outbox worker is in the middle
 * of a slow SMTP send: new connections are refused at once, the request still gets its normal answer, the worker
 * finishes that one email and claims no other, and the process exits 0. Nothing is left half-sent: the next
 * process delivers the rest, and nothing twice.
 */
describe("fault: SIGTERM with a request in flight and the worker mid-send", () => {
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
    env = {
      ...(fakeTwilioEnv(twilio) as Record<string, string>),
      SMTP_URL: smtp.url,
      APP_URL: "http://localhost:3000",
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

  it("refuses new connections, finishes the request and the email in hand, claims nothing more, and exits 0", async () => {
    const server = first!;
    const user = await verifiedUser(server, smtp);
    await allSent(db);

    // Three verification emails, each taking 4 s at the SMTP server: the worker is on the first one.
    smtp.setDelay(4_000);
    const signUps = await Promise.all(
      Array.from({ length: 3 }, () =>
        call(server, "POST", "/api/auth/sign-up", {
          json: { email: uniqueEmail("sigterm"), password: STRONG_PASSWORD, name: "Barbara Liskov" },
        }),
      ),
    );
    expect(signUps.map((signUp) => signUp.status)).toEqual([202, 202, 202]);
    // A new phone number: the request texts its code itself, and Twilio takes 3 s to answer.
    const phone = uniquePhone();
    twilio.replyNext({ delayMs: 3_000 });
    const inFlight = call(server, "POST", "/api/account/phone", {
      token: user.token,
      json: { phoneNumber: phone, currentPassword: user.password },
    });
    let answered = false;
    void inFlight.then(() => (answered = true));
    const emailInHand = await waitFor(
      "the code send at Twilio and an email at the SMTP server",
      async () => {
        const claimed = (await outboxRows(db)).filter(
          (row) => row.template === "verify_email" && row.status === "pending" && row.attempts > 0,
        );
        return twilio.requests.some((request) => request.form.To === phone) && claimed.length === 1 && claimed[0];
      },
      { intervalMs: 20 },
    );
    const signalledAt = Date.now();
    server.child.kill("SIGTERM");
    await waitFor("new connections refused", () => connectionRefused(server.port), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(answered, "the in-flight request was answered before the listener closed").toBe(false);

    const reply = await inFlight;
    expect(reply.status, reply.text).toBe(202);
    expect(reply.body.verificationId).toEqual(expect.any(String));
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const shutdownMs = Date.now() - signalledAt;
    expect(shutdownMs).toBeLessThan(20_000);
    expect(server.logs.some((line) => /^Shutting down/.test(line.msg ?? ""))).toBe(true);
    expect(errorLogs(server)).toEqual([]);

    // The email in hand went out and was recorded, and so did the code text.
    const afterExit = await outboxRows(db);
    expect(afterExit.find((row) => row.id === emailInHand.id)).toMatchObject({ status: "sent", attempts: 1 });
    expect(afterExit.find((row) => row.recipient === phone)).toMatchObject({ status: "sent", attempts: 1 });
    // Nothing left claimed: every other message is untouched, for the next process (3 emails × 4 s: at least one).
    const left = afterExit.filter((row) => row.status !== "sent");
    expect(left.length).toBeGreaterThanOrEqual(1);
    expect(left.map((row) => ({ template: row.template, status: row.status, attempts: row.attempts }))).toEqual(
      left.map(() => ({ template: "verify_email", status: "pending", attempts: 0 })),
    );

    // The next process sends the rest; nothing arrives twice, and the texted code still works.
    smtp.setDelay(0);
    second = await startServer({ database: db, env });
    const rows = await allSent(db);
    expectEmailsDeliveredOnce(rows, smtp);
    expectSmsDeliveredOnce(rows, twilio);
    const verified = await call(second, "POST", "/api/account/phone/verify", {
      token: user.token,
      json: { verificationId: reply.body.verificationId, code: smsCode(twilio, phone) },
    });
    expect(verified.status, verified.text).toBe(200);
    console.info(`SIGTERM: exited 0 after ${shutdownMs} ms`);
  });
});
