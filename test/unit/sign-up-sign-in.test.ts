import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CHALLENGE_LIFETIME_SECONDS as SIGN_IN_CHALLENGE_LIFETIME_SECONDS } from "../../src/core/challenges";
import { consumeLinkToken } from "../../src/core/link-tokens";
import { validateSessionToken } from "../../src/core/sessions";
import { completeFirstFactor, signIn } from "../../src/core/sign-in";
import { signInThrottlePolicy } from "../../src/core/sign-in-throttle";
import { signUp } from "../../src/core/sign-up";
import type { User } from "../../src/core/types";
import { verifyEmail } from "../../src/core/verify-email";
import { outboxSealer } from "../../src/db/outbox";
import { challenges, outboxMessages, securityEvents, sessions, users } from "../../src/db/schema";
import {
  insertUser,
  openCoreHarness,
  PGLITE_OPEN_TIMEOUT_MS,
  TEST_SECRET,
  uniqueEmail,
  updateUserRow,
  type CoreHarness,
} from "./support/core";

// Sign-up and sign-in share one database: opening PGlite costs seconds, the flows milliseconds.

const PASSWORD = "correct horse battery staple";
let h: CoreHarness;
let passwordHash: string;
let ipCounter = 0;

/** Each test signs in from its own address so the per-IP budget never leaks between tests. */
function freshClient() {
  ipCounter++;
  return { ip: `198.51.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`, userAgent: "unit-test" };
}

beforeAll(async () => {
  h = await openCoreHarness();
  passwordHash = await h.deps.passwordHasher.hash(PASSWORD);
}, PGLITE_OPEN_TIMEOUT_MS);

afterAll(async () => {
  await h?.handle.close();
});

beforeEach(() => {
  h.clock.set(new Date("2030-01-01T00:00:00.000Z"));
  h.messagesQueued.mockClear();
});

async function sessionsOf(userId: string) {
  return h.handle.db.select().from(sessions).where(eq(sessions.userId, userId));
}

async function challengesOf(userId: string) {
  return h.handle.db.select().from(challenges).where(eq(challenges.userId, userId));
}

async function outboxFor(recipient: string) {
  return h.handle.db.select().from(outboxMessages).where(eq(outboxMessages.recipient, recipient));
}

async function eventTypes(userId: string) {
  const rows = await h.handle.db
    .select({ type: securityEvents.type })
    .from(securityEvents)
    .where(eq(securityEvents.userId, userId));
  return rows.map((row) => row.type);
}

async function verifiedUser(): Promise<User> {
  const user = await insertUser(h.deps, { passwordHash });
  return updateUserRow(h.handle, user.id, { emailVerifiedAt: new Date("2029-12-01T00:00:00Z") });
}

let phoneCounter = 0;
/** Verified phone numbers are unique; every one ends in 4567 so the masked hint is predictable. */
function uniquePhone(): string {
  return `+1415${String(phoneCounter++).padStart(3, "0")}4567`;
}

async function twoFactorUser(): Promise<User> {
  const user = await verifiedUser();
  return updateUserRow(h.handle, user.id, {
    twoFactorSms: true,
    phoneNumber: uniquePhone(),
    phoneVerifiedAt: new Date("2029-12-02T00:00:00Z"),
  });
}

describe("completeFirstFactor", () => {
  it("creates a session for a user without a second factor", async () => {
    const user = await verifiedUser();
    const completed = await completeFirstFactor(h.deps, user, freshClient());
    if (!completed.ok) throw new Error(completed.code);
    const result = completed.result;
    expect(result.kind).toBe("session");
    if (result.kind !== "session") return;
    expect(result.session.assuranceLevel).toBe(1);
    expect(await validateSessionToken(h.deps, result.token)).not.toBeNull();
    expect(await sessionsOf(user.id)).toHaveLength(1);
    expect(await eventTypes(user.id)).toContain("sign_in");
  });

  it("returns a challenge, and creates no session, for a user with SMS two-factor", async () => {
    const user = await twoFactorUser();
    const completed = await completeFirstFactor(h.deps, user, freshClient());
    if (!completed.ok) throw new Error(completed.code);
    const result = completed.result;
    expect(result.kind).toBe("challenge");
    if (result.kind !== "challenge") return;
    expect("token" in result).toBe(false);
    expect(result.challenge.methods).toEqual(["sms"]);
    expect(result.challenge.phoneHint).toBe("+1 ••• ••• 4567");
    expect(new Date(result.challenge.expiresAt).getTime()).toBe(
      h.clock.now().getTime() + SIGN_IN_CHALLENGE_LIFETIME_SECONDS * 1000,
    );

    expect(await sessionsOf(user.id)).toHaveLength(0);
    const rows = await challengesOf(user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: result.challenge.id, purpose: "sign_in", completedAt: null });
    const events = await eventTypes(user.id);
    expect(events).toContain("sign_in_challenged");
    expect(events).not.toContain("sign_in");
  });

  it.each([
    ["the phone is not verified", { twoFactorSms: true, phoneVerifiedAt: null }],
    ["there is no phone number", { twoFactorSms: true, phoneNumber: null, phoneVerifiedAt: null }],
    ["two-factor is off", { twoFactorSms: false, phoneVerifiedAt: new Date() }],
  ])("creates a session when %s", async (_label, values) => {
    const user = await updateUserRow(h.handle, (await verifiedUser()).id, { phoneNumber: uniquePhone(), ...values });
    const completed = await completeFirstFactor(h.deps, user, freshClient());
    if (!completed.ok) throw new Error(completed.code);
    const result = completed.result;
    expect(result.kind).toBe("session");
    expect(await challengesOf(user.id)).toHaveLength(0);
  });
});

describe("signIn", () => {
  it("signs in with the right password, whatever the email's case and spacing", async () => {
    const user = await verifiedUser();
    const result = await signIn(h.deps, { email: `  ${user.email.toUpperCase()} `, password: PASSWORD }, freshClient());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.result.kind).toBe("session");
    expect(result.result.user.id).toBe(user.id);
  });

  it("answers a wrong password and an unknown email alike", async () => {
    const user = await verifiedUser();
    const wrong = await signIn(h.deps, { email: user.email, password: "not the password" }, freshClient());
    const unknown = await signIn(h.deps, { email: uniqueEmail("nobody"), password: PASSWORD }, freshClient());
    expect(wrong).toEqual(unknown);
    expect(wrong).toMatchObject({ ok: false, code: "invalid_credentials" });
    expect(await sessionsOf(user.id)).toHaveLength(0);
    expect(await eventTypes(user.id)).toContain("sign_in_failed");
  });

  it("reveals an unverified email only after the right password", async () => {
    const user = await insertUser(h.deps, { passwordHash });
    expect(await signIn(h.deps, { email: user.email, password: "nope nope nope" }, freshClient())).toMatchObject({
      code: "invalid_credentials",
    });
    expect(await signIn(h.deps, { email: user.email, password: PASSWORD }, freshClient())).toMatchObject({
      ok: false,
      code: "email_not_verified",
    });
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it("gives a two-factor user a challenge, not a session", async () => {
    const user = await twoFactorUser();
    const result = await signIn(h.deps, { email: user.email, password: PASSWORD }, freshClient());
    expect(result.ok && result.result.kind).toBe("challenge");
    expect(await sessionsOf(user.id)).toHaveLength(0);
  });

  it("makes an address wait after 4 wrong passwords, from any IP, and refuses even the right one until then", async () => {
    const user = await verifiedUser();
    for (let i = 0; i < signInThrottlePolicy.freeFailures + 1; i++) {
      expect(await signIn(h.deps, { email: user.email, password: `wrong guess ${i}` }, freshClient())).toMatchObject({
        code: "invalid_credentials",
      });
    }
    const limited = await signIn(h.deps, { email: user.email, password: PASSWORD }, freshClient());
    expect(limited).toMatchObject({ ok: false, code: "rate_limited", retryAfterSeconds: 1 });
    expect(await sessionsOf(user.id)).toHaveLength(0);
    h.clock.advanceSeconds(1);
    expect((await signIn(h.deps, { email: user.email, password: PASSWORD }, freshClient())).ok).toBe(true);
  });

  it("is not 'locked' when a correct password ends the run of failures between a refused claim and its explanation", async () => {
    const user = await verifiedUser();
    for (let i = 0; i < signInThrottlePolicy.freeFailures + 1; i++)
      await signIn(h.deps, { email: user.email, password: `wrong ${i}` }, freshClient());
    // The address now owes a wait, so the claim is refused; a correct sign-in elsewhere (simulated) deletes the
    // row just before the refusal is explained. The run of failures is over: the right password gets through.
    const repo = h.deps.repo;
    let cleared = false;
    const racing = {
      ...h.deps,
      repo: {
        ...repo,
        async findSignInThrottle(key: string) {
          if (!cleared) {
            cleared = true;
            await repo.deleteSignInThrottle(key);
          }
          return repo.findSignInThrottle(key);
        },
      },
    };
    const result = await signIn(racing, { email: user.email, password: PASSWORD }, freshClient());
    expect(cleared).toBe(true);
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });

  it("starts the count over after a correct password", async () => {
    const user = await verifiedUser();
    for (let i = 0; i < signInThrottlePolicy.freeFailures; i++)
      await signIn(h.deps, { email: user.email, password: `wrong ${i}` }, freshClient());
    expect((await signIn(h.deps, { email: user.email, password: PASSWORD }, freshClient())).ok).toBe(true);
    for (let i = 0; i < signInThrottlePolicy.freeFailures; i++) {
      expect(await signIn(h.deps, { email: user.email, password: `wrong again ${i}` }, freshClient())).toMatchObject({
        code: "invalid_credentials",
      });
    }
    expect((await signIn(h.deps, { email: user.email, password: PASSWORD }, freshClient())).ok).toBe(true);
  });
});

describe("signUp", () => {
  /** The server's afterResponse, held: `answered` runs what the answer left for later, as the server would. */
  function deferringDeps() {
    const tasks: Array<() => Promise<void>> = [];
    const deps = { ...h.deps, afterResponse: (task: () => Promise<void>) => void tasks.push(task) };
    return { deps, tasks, answered: async () => void (await Promise.all(tasks.splice(0).map((task) => task()))) };
  }

  it("creates the user, queues a sealed verification email and wakes the worker once after commit", async () => {
    const email = uniqueEmail("new");
    const { deps, answered } = deferringDeps();
    expect(await signUp(deps, { email, password: PASSWORD, name: "  Ada Lovelace " }, freshClient())).toEqual({
      ok: true,
    });
    await answered();
    expect(h.messagesQueued).toHaveBeenCalledTimes(1);

    const [user] = await h.handle.db.select().from(users).where(eq(users.email, email));
    expect(user).toMatchObject({ name: "Ada Lovelace", emailVerifiedAt: null });

    const [message, ...rest] = await outboxFor(email);
    expect(rest).toHaveLength(0);
    expect(message).toMatchObject({ channel: "email", template: "verify_email", status: "pending" });
    // The payload carries a live link, so it is stored sealed: no token in clear, opened only by the outbox key.
    const data = JSON.parse(outboxSealer(TEST_SECRET).open(message!.payload)) as { name?: string; link: string };
    // Unverified: the name is only what the sign-up typed, so the email greets without it.
    expect(data.name).toBeUndefined();
    const token = new URL(data.link).hash.slice("#token=".length);
    expect(message!.payload.includes(Buffer.from(token))).toBe(false);
    expect(message!.payload.includes(Buffer.from("#token="))).toBe(false);

    const verified = await verifyEmail(h.deps, { token }, freshClient());
    expect(verified.ok && verified.result.kind).toBe("session");
    // The link is single-use.
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", token)).toBeNull();
  });

  it("answers before any account work: no user, event, link or email exists until after the answer", async () => {
    const email = uniqueEmail("deferred");
    const { deps, tasks, answered } = deferringDeps();
    expect(await signUp(deps, { email, password: PASSWORD, name: "Ada" }, freshClient())).toEqual({ ok: true });
    expect(tasks).toHaveLength(1);
    expect(await h.handle.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
    expect(await outboxFor(email)).toHaveLength(0);
    expect(h.messagesQueued).not.toHaveBeenCalled();
    await answered();
    const [user] = await h.handle.db.select().from(users).where(eq(users.email, email));
    expect(await eventTypes(user!.id)).toEqual(["sign_up"]);
    expect((await outboxFor(email)).map((m) => m.template)).toEqual(["verify_email"]);
  });

  it("answers a taken, verified address the same, and tells its owner instead", async () => {
    const email = uniqueEmail("taken");
    const { deps, answered } = deferringDeps();
    await signUp(deps, { email, password: PASSWORD, name: "First Owner" }, freshClient());
    await answered();
    await h.handle.db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.email, email));

    const again = await signUp(
      deps,
      { email: email.toUpperCase(), password: "another long passphrase", name: "Intruder" },
      freshClient(),
    );
    expect(again).toEqual({ ok: true });
    await answered();
    expect((await outboxFor(email)).map((m) => m.template).sort()).toEqual(["sign_up_attempt", "verify_email"]);
    expect(await h.handle.db.select().from(users).where(eq(users.email, email))).toHaveLength(1);
  });

  it("refuses a weak password before creating anything, and leaves nothing for after the answer", async () => {
    const email = uniqueEmail("weak");
    const { deps, tasks } = deferringDeps();
    expect(await signUp(deps, { email, password: "password", name: "Weak" }, freshClient())).toMatchObject({
      ok: false,
      code: "weak_password",
    });
    expect(tasks).toHaveLength(0);
    expect(h.messagesQueued).not.toHaveBeenCalled();
    expect(await h.handle.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
    expect(await outboxFor(email)).toHaveLength(0);
  });
});
