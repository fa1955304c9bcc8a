import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSmtpServer, startFakeSmtpServer } from "../fakes/smtp";
import { STRONG_PASSWORD, uniqueEmail } from "../helpers/harness";
import {
  allSent,
  accountProblems,
  type ApiUser,
  call,
  createFaultDatabase,
  expectEmailsDeliveredOnce,
  expectNoServerErrors,
  type FaultDatabase,
  outboxRows,
  printLogsOnFailure,
  type Reply,
  restartPostgres,
  type ServerProcess,
  skipRetryDelays,
  startServer,
  verifiedUser,
  waitFor,
} from "./support";

/**
 * The real `pg_ctlcluster … restart` (fast mode: every open connection is cut, then a few seconds of refused
 * connections) while the server is busy with sign-ups, sign-ins and session checks. The server must ride it out:
 * answer 503 `service_unavailable` (or succeed) meanwhile, never a 500 or a crash, and work again afterwards
 * without being restarted, outbox worker included.
 */
const LOOPS = 6;

describe("fault: PostgreSQL restarted under load", () => {
  let db: FaultDatabase;
  let smtp: FakeSmtpServer;
  let server: ServerProcess;
  /** One per load loop: parallel sign-ins to one account would meet its throttle, which is not under test here. */
  let regulars: ApiUser[];

  beforeAll(async () => {
    db = await createFaultDatabase();
    smtp = await startFakeSmtpServer();
    // A claim whose answer the restart cut off (committed, reply lost) waits out its lease before another try:
    // 20 s instead of 10 minutes keeps that rare case inside the test's deadlines. Sends here take under a second.
    server = await startServer({ database: db, env: { SMTP_URL: smtp.url, OUTBOX_LEASE_SECONDS: "20" } });
    regulars = await Promise.all(Array.from({ length: LOOPS }, () => verifiedUser(server, smtp)));
  });

  printLogsOnFailure(() => [server]);

  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
    await db?.drop();
  });

  it("answers 503 or succeeds during the restart, never 500 or a crash, and recovers without a restart of its own", async () => {
    const replies: Reply[] = [];
    const actions: Array<(user: ApiUser) => Promise<Reply>> = [
      () =>
        call(server, "POST", "/api/auth/sign-up", {
          json: { email: uniqueEmail("pg-restart"), password: STRONG_PASSWORD, name: "Edsger Dijkstra" },
        }),
      (user) => call(server, "POST", "/api/auth/sign-in", { json: { email: user.email, password: user.password } }),
      (user) => call(server, "GET", "/api/auth/session", { token: user.token }),
      () => call(server, "GET", "/api/health"),
    ];
    let stop = false;
    const load = regulars.map(async (user, loop) => {
      for (let i = loop; !stop && server.running(); i++) replies.push(await actions[i % actions.length]!(user));
    });
    await waitFor("the load to be under way", () => replies.length >= 12);

    // The worker in the middle of a send when PostgreSQL goes down: the SMTP server holds the next email until
    // the database is gone, then takes it. The send has succeeded; recording it must wait for the database, or
    // the row stays claimed and is sent again when the lease runs out.
    const releaseSmtp = smtp.hold();
    await waitFor("the worker holding an email", async () =>
      (await outboxRows(db)).some((row) => row.status === "pending" && row.attempts > 0),
    );
    const beforeRestart = replies.length;
    const restartStarted = Date.now();
    const restarting = restartPostgres();
    try {
      await waitFor("PostgreSQL to be down", async () => (await call(server, "GET", "/api/health")).status === 503, {
        intervalMs: 25,
      });
    } finally {
      releaseSmtp();
    }
    await restarting;
    const restartMs = Date.now() - restartStarted;
    try {
      await waitFor(
        "a successful sign-in after the restart",
        () =>
          !server.running() ||
          replies.slice(beforeRestart).some((reply) => reply.status === 200 && reply.body?.session),
        { timeoutMs: 60_000 },
      );
    } finally {
      stop = true;
      await Promise.all(load);
    }

    const statuses: Record<number, number> = {};
    for (const reply of replies) statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
    const logged = (msg: RegExp) => server.logs.filter((line) => msg.test(line.msg ?? "")).length;
    console.info(
      `pg_ctlcluster restart took ${restartMs} ms; ${replies.length} requests around it, by status: ${JSON.stringify(statuses)}; ` +
        `worker: ${logged(/^Outbox worker: database unavailable/)} polls failed, ${logged(/^Database unavailable; the outcome/)} outcomes waited for the database`,
    );
    expectNoServerErrors(replies, { allowUnavailable: true });
    // 0 would be a connection the server dropped or refused: it crashed or stopped serving.
    expect(server.running(), "the server process died").toBe(true);
    const unexpected = replies
      .filter((reply) => ![200, 202, 429, 503].includes(reply.status))
      .map((reply) => `${reply.status} ${reply.error ?? reply.text}`);
    expect(unexpected.length, `unexpected answers, e.g. ${unexpected.slice(0, 3).join(" | ")}`).toBe(0);
    // A sign-in the outage cut short after it had claimed its attempt counts as a failed one
    // (core/sign-in-throttle.ts):
    // after enough of those the account's throttle may ask for a short wait, a documented 429.
    for (const reply of replies.filter((r) => r.status === 429)) expect(reply.body.error.code).toBe("rate_limited");
    for (const reply of replies.filter((r) => r.status === 503))
      expect(reply.body.error.code).toBe("service_unavailable");

    // Everything works again on the same process: health, a whole new account, sign-in, the session.
    expect((await call(server, "GET", "/api/health")).body).toEqual({ status: "ok" });
    const newcomer = await verifiedUser(server, smtp);
    const signIn = await call(server, "POST", "/api/auth/sign-in", {
      json: { email: newcomer.email, password: newcomer.password },
    });
    expect(signIn.status, signIn.text).toBe(200);
    const session = await call(server, "GET", "/api/auth/session", { token: signIn.body.token });
    expect(session.status, session.text).toBe(200);
    expect(session.body.user.email).toBe(newcomer.email);

    // No account half-made by a transaction the restart cut short; every queued email delivered once.
    expect(await accountProblems(db)).toEqual([]);
    await skipRetryDelays(db);
    const rows = await allSent(db);
    expectEmailsDeliveredOnce(rows, smtp);
    expect(logged(/^Database unavailable; the outcome of this send will be recorded/)).toBeGreaterThanOrEqual(1);
    expect(server.logs.filter((line) => (line.level ?? 0) >= 60 || line.msg === "unhandled error")).toEqual([]);
  });
});
