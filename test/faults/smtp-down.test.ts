import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSmtpServer, startFakeSmtpServer } from "../fakes/smtp";
import { STRONG_PASSWORD, uniqueEmail } from "../helpers/harness";
import {
  allSent,
  call,
  createFaultDatabase,
  errorLogs,
  expectEmailsDeliveredOnce,
  expectNoServerErrors,
  type FaultDatabase,
  type Gate,
  outboxRows,
  printLogsOnFailure,
  type ServerProcess,
  skipRetryDelays,
  startGate,
  startServer,
  waitFor,
} from "./support";

/**
 * SMTP_URL points at a port where nothing listens (connection refused) while users sign up and ask for reset
 * links; then the fake SMTP server appears on that port. Emails are queued in the outbox in the same transaction
 * as the change, so the requests never wait on SMTP and never fail because of it.
 */
describe("fault: SMTP down, then back", () => {
  let db: FaultDatabase;
  let smtp: FakeSmtpServer;
  let gate: Gate;
  let server: ServerProcess;

  beforeAll(async () => {
    db = await createFaultDatabase();
    smtp = await startFakeSmtpServer();
    gate = await startGate(smtp.port, { open: false });
    server = await startServer({ database: db, env: { SMTP_URL: `smtp://127.0.0.1:${gate.port}` } });
  });

  printLogsOnFailure(() => [server]);

  afterAll(async () => {
    await server?.stop();
    await gate?.shut();
    await smtp?.close();
    await db?.drop();
  });

  it("answers 202 while SMTP refuses connections, retries, and delivers each queued email exactly once when SMTP is back", async () => {
    const emails = Array.from({ length: 6 }, () => uniqueEmail("smtp-down"));
    const replies = await Promise.all(
      emails.map((email) =>
        call(server, "POST", "/api/auth/sign-up", { json: { email, password: STRONG_PASSWORD, name: "Ada Lovelace" } }),
      ),
    );
    // Sign-up creates the account after its answer (and after a random 0-250 ms: AFTER_RESPONSE_JITTER_MS), so the
    // follow-up requests wait for the accounts, as a person would (their link email is queued with the account).
    await waitFor("the six accounts and their link emails", async () => (await outboxRows(db)).length >= 6);
    replies.push(
      ...(await Promise.all(
        emails.slice(0, 3).map((email) => call(server, "POST", "/api/auth/forgot-password", { json: { email } })),
      )),
    );
    replies.push(
      ...(await Promise.all(
        emails.slice(3, 5).map((email) => call(server, "POST", "/api/auth/resend-verification", { json: { email } })),
      )),
    );
    replies.push(await call(server, "POST", "/api/auth/forgot-password", { json: { email: uniqueEmail("nobody") } }));
    expectNoServerErrors(replies);
    expect(replies.map((reply) => reply.status)).toEqual(replies.map(() => 202));

    // 6 verification links, 3 reset links, 2 resent links; nothing for the unknown address. The worker tried each
    // one at once, was refused, and scheduled a retry instead of giving up.
    const queued = await waitFor("a refused attempt at every email", async () => {
      const rows = await outboxRows(db);
      return (
        rows.length === 11 &&
        rows.every(
          (row) => row.status === "pending" && row.attempts >= 1 && /ECONNREFUSED/.test(row.last_error ?? ""),
        ) &&
        rows
      );
    });
    expect(queued.map((row) => row.template).sort()).toEqual([
      ...Array(3).fill("password_reset"),
      ...Array(8).fill("verify_email"),
    ]);
    expect(smtp.received).toEqual([]);
    expect(
      server.logs.filter((line) => line.msg === "Email delivery failed; will retry").length,
    ).toBeGreaterThanOrEqual(11);
    expect((await call(server, "GET", "/api/health")).status).toBe(200);

    await gate.open();
    await skipRetryDelays(db);
    const sent = await allSent(db);
    // Once a row is `sent` no worker can claim it again, so this count is final.
    expectEmailsDeliveredOnce(sent, smtp);
    expect(sent.every((row) => row.last_error === null)).toBe(true);
    expect(server.running()).toBe(true);
    expect(errorLogs(server)).toEqual([]);
  });
});
