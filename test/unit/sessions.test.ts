import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sha256 } from "../../src/core/crypto";
import {
  createSession,
  invalidateAllSessions,
  invalidateOtherSessions,
  invalidateSession,
  sessionCookieExpiresAt,
  validateSessionToken,
} from "../../src/core/sessions";
import type { User } from "../../src/core/types";
import { sessions } from "../../src/db/schema";
import { DAY_SECONDS, insertUser, openCoreHarness, PGLITE_OPEN_TIMEOUT_MS, type CoreHarness } from "./support/core";

const client = { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (unit test)" };
const MINUTE = 60;

let h: CoreHarness;
let user: User;

beforeAll(async () => {
  h = await openCoreHarness();
}, PGLITE_OPEN_TIMEOUT_MS);

afterAll(async () => {
  await h?.handle.close();
});

beforeEach(async () => {
  h.clock.set(new Date("2030-01-01T00:00:00.000Z"));
  user = await insertUser(h.deps);
});

async function sessionRow(id: string) {
  const [row] = await h.handle.db.select().from(sessions).where(eq(sessions.id, id));
  return row ?? null;
}

async function mustCreate(
  owner: typeof user,
  who: { ip: string; userAgent: string | null },
  secondFactorAt: Date | null = null,
) {
  const created = await createSession(h.deps, owner, who, { secondFactorAt });
  if (!created) throw new Error("session not created");
  return created;
}

describe("createSession", () => {
  // Issue 9 (sign-in races): a session is only inserted while the credentials it was checked against are current.
  it("creates nothing when the user's credentials changed since they were read", async () => {
    const stale = { ...user };
    await h.deps.repo.bumpCredentialsVersion(user.id, h.clock.now());
    expect(await createSession(h.deps, stale, client)).toBeNull();
    const fresh = (await h.deps.repo.findUserById(user.id))!;
    expect(await createSession(h.deps, fresh, client)).not.toBeNull();
    user = fresh;
  });

  it("stores only the SHA-256 of the secret, never the token", async () => {
    const { token, session } = await mustCreate(user, client);
    const [id, secret] = token.split(".") as [string, string];
    expect(session.id).toBe(id);

    const row = await sessionRow(id);
    expect(row).not.toBeNull();
    expect(row!.secretHash.equals(sha256(secret))).toBe(true);
    const stored = JSON.stringify({ ...row, secretHash: row!.secretHash.toString("hex") });
    expect(stored).not.toContain(secret);
    expect(row!.secretHash.toString("base64url")).not.toBe(secret);
  });

  it("records the client, the assurance level and an absolute expiry", async () => {
    const now = h.clock.now();
    const { session } = await mustCreate(user, { ip: "198.51.100.4", userAgent: "x".repeat(2000) }, h.clock.now());
    const row = await sessionRow(session.id);
    expect(row).toMatchObject({ userId: user.id, assuranceLevel: 2, secondFactorAt: now, ip: "198.51.100.4" });
    expect(row!.userAgent).toHaveLength(512);
    expect(row!.createdAt.getTime()).toBe(now.getTime());
    expect(row!.lastSeenAt.getTime()).toBe(now.getTime());
    expect(row!.expiresAt.getTime()).toBe(now.getTime() + 30 * DAY_SECONDS * 1000);
  });

  it("defaults to assurance level 1 and accepts a missing user agent", async () => {
    const { session } = await mustCreate(user, { ip: "198.51.100.4", userAgent: null });
    expect(await sessionRow(session.id)).toMatchObject({ assuranceLevel: 1, userAgent: null });
  });

  it("issues a fresh token every time", async () => {
    const a = await mustCreate(user, client);
    const b = await mustCreate(user, client);
    expect(a.token).not.toBe(b.token);
    expect(a.session.id).not.toBe(b.session.id);
  });
});

describe("validateSessionToken", () => {
  it("returns the session and its user for a valid token", async () => {
    const { token, session } = await mustCreate(user, client);
    const result = await validateSessionToken(h.deps, token);
    expect(result).not.toBeNull();
    expect(result!.session.id).toBe(session.id);
    expect(result!.user.id).toBe(user.id);
    expect(result!.user.email).toBe(user.email);
    expect(result!.refreshed).toBe(false);
  });

  it("refuses the right id with a wrong secret, and leaves the session alone", async () => {
    const { token, session } = await mustCreate(user, client);
    const [id, secret] = token.split(".") as [string, string];
    const wrongSecret = (secret[0] === "A" ? "B" : "A") + secret.slice(1);
    expect(await validateSessionToken(h.deps, `${id}.${wrongSecret}`)).toBeNull();
    expect(await sessionRow(session.id)).not.toBeNull();
    expect(await validateSessionToken(h.deps, token)).not.toBeNull();
  });

  it("refuses another session's secret under this id", async () => {
    const a = await mustCreate(user, client);
    const b = await mustCreate(user, client);
    expect(await validateSessionToken(h.deps, `${a.session.id}.${b.token.split(".")[1]}`)).toBeNull();
  });

  it("refuses an unknown id", async () => {
    const { token } = await mustCreate(user, client);
    const secret = token.split(".")[1]!;
    expect(await validateSessionToken(h.deps, `${"x".repeat(22)}.${secret}`)).toBeNull();
  });

  it.each(["", "garbage", "a.b", "x".repeat(300)])("refuses a malformed token (%j)", async (token) => {
    expect(await validateSessionToken(h.deps, token)).toBeNull();
  });

  it("refuses a revoked session", async () => {
    const { token, session } = await mustCreate(user, client);
    await invalidateSession(h.deps, session.id);
    expect(await validateSessionToken(h.deps, token)).toBeNull();
  });

  it("expires after the idle timeout and deletes the row", async () => {
    const { token, session } = await mustCreate(user, client);
    h.clock.advanceSeconds(7 * DAY_SECONDS - 1);
    // Still valid one second before the idle deadline (this read also moves last_seen_at)…
    expect(await validateSessionToken(h.deps, token)).not.toBeNull();
    h.clock.advanceSeconds(7 * DAY_SECONDS);
    // …and gone exactly at the new deadline.
    expect(await validateSessionToken(h.deps, token)).toBeNull();
    expect(await sessionRow(session.id)).toBeNull();
  });

  it("expires at exactly the idle deadline", async () => {
    const { token, session } = await mustCreate(user, client);
    h.clock.advanceSeconds(7 * DAY_SECONDS);
    expect(await validateSessionToken(h.deps, token)).toBeNull();
    expect(await sessionRow(session.id)).toBeNull();
  });

  it("expires at the absolute timeout even when used every day, and deletes the row", async () => {
    const { token, session } = await mustCreate(user, client);
    for (let day = 1; day < 30; day++) {
      h.clock.advanceSeconds(DAY_SECONDS);
      expect(await validateSessionToken(h.deps, token), `day ${day}`).not.toBeNull();
    }
    h.clock.advanceSeconds(DAY_SECONDS);
    expect(await validateSessionToken(h.deps, token)).toBeNull();
    expect(await sessionRow(session.id)).toBeNull();
  });

  it("writes last_seen_at at most every 5 minutes and says when it did", async () => {
    const { token, session } = await mustCreate(user, client);
    const created = h.clock.now().getTime();

    h.clock.advanceSeconds(4 * MINUTE + 59);
    let result = await validateSessionToken(h.deps, token);
    expect(result!.refreshed).toBe(false);
    expect(result!.session.lastSeenAt.getTime()).toBe(created);
    expect((await sessionRow(session.id))!.lastSeenAt.getTime()).toBe(created);

    h.clock.advanceSeconds(1); // exactly 5 minutes
    result = await validateSessionToken(h.deps, token);
    const touched = h.clock.now().getTime();
    expect(result!.refreshed).toBe(true);
    expect(result!.session.lastSeenAt.getTime()).toBe(touched);
    expect((await sessionRow(session.id))!.lastSeenAt.getTime()).toBe(touched);

    h.clock.advanceSeconds(2 * MINUTE);
    result = await validateSessionToken(h.deps, token);
    expect(result!.refreshed).toBe(false);
    expect((await sessionRow(session.id))!.lastSeenAt.getTime()).toBe(touched);

    h.clock.advanceSeconds(3 * MINUTE);
    expect((await validateSessionToken(h.deps, token))!.refreshed).toBe(true);
    expect((await sessionRow(session.id))!.lastSeenAt.getTime()).toBe(h.clock.now().getTime());
  });

  it("moves the cookie expiry with the idle window, never past the absolute expiry", async () => {
    const { session } = await mustCreate(user, client);
    expect(sessionCookieExpiresAt(h.deps, session).getTime()).toBe(
      session.lastSeenAt.getTime() + 7 * DAY_SECONDS * 1000,
    );
    const late = { ...session, lastSeenAt: new Date(session.expiresAt.getTime() - DAY_SECONDS * 1000) };
    expect(sessionCookieExpiresAt(h.deps, late).getTime()).toBe(session.expiresAt.getTime());
  });
});

describe("invalidating sessions", () => {
  it("ends all of a user's sessions, or all but the current one", async () => {
    const other = await insertUser(h.deps);
    const current = await mustCreate(user, client);
    const second = await mustCreate(user, client);
    const third = await mustCreate(user, client);
    const foreign = await mustCreate(other, client);

    expect(await invalidateOtherSessions(h.deps, user.id, current.session.id)).toBe(2);
    expect(await validateSessionToken(h.deps, current.token)).not.toBeNull();
    expect(await validateSessionToken(h.deps, second.token)).toBeNull();
    expect(await validateSessionToken(h.deps, third.token)).toBeNull();

    expect(await invalidateAllSessions(h.deps, user.id)).toBe(1);
    expect(await validateSessionToken(h.deps, current.token)).toBeNull();
    // Another user's session is untouched.
    expect(await validateSessionToken(h.deps, foreign.token)).not.toBeNull();
  });
});
