import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { completeFirstFactor } from "../../src/core/sign-in";
import { issueKnownDevice } from "../../src/core/sign-in-throttle";
import { trustBrowser } from "../../src/core/trusted-browsers";
import { sessions, trustedBrowsers } from "../../src/db/schema";
import { challengeCookieName, knownDeviceCookieName, trustedBrowserCookieName } from "../../src/http/cookies";
import {
  forEachServer,
  lastEmail,
  lastSms,
  type ServerContext,
  type TestClient,
  type TestResponse,
  twoFactorUser,
  uniqueEmail,
} from "../helpers/harness";

/**
 * Issue 11, item 6: "Don't ask again on this browser for 30 days". A sign-in that passed a second factor may
 * trust its browser; the next right password there skips the code, at level 2 but with no recent second factor,
 * so security changes still ask for one. Trust belongs to one user, can be revoked, and dies with every
 * credentials change (password change or reset, email change, two-factor off).
 */

type TwoFactorUser = Awaited<ReturnType<typeof twoFactorUser>>;

const NEW_PASSWORD = "a brand new passphrase 2026";

/** A browser: the harness client's cookie jar plus the trusted-browser cookie, which the harness does not keep. */
class Browser {
  trusted: string | undefined;
  readonly client: TestClient;
  constructor(
    private readonly ctx: ServerContext,
    client?: TestClient,
  ) {
    this.client = client ?? ctx.client();
  }

  private cookieHeader(): Record<string, string> {
    const config = this.ctx.server.config;
    const jar = [
      this.client.cookie && `${this.client.cookieName}=${this.client.cookie}`,
      this.client.challengeCookie && `${challengeCookieName(config)}=${this.client.challengeCookie}`,
      this.client.deviceCookie && `${knownDeviceCookieName(config)}=${this.client.deviceCookie}`,
      this.trusted && `${trustedBrowserCookieName(config)}=${this.trusted}`,
    ].filter(Boolean);
    return jar.length > 0 ? { cookie: jar.join("; ") } : {};
  }

  async request(method: string, url: string, json?: unknown): Promise<TestResponse> {
    const response = await this.client.request(method, url, { json, headers: this.cookieHeader() });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=");
      if (name === trustedBrowserCookieName(this.ctx.server.config))
        this.trusted = /Max-Age=0/i.test(line) || !value ? undefined : value;
    }
    return response;
  }

  post = (url: string, json?: unknown) => this.request("POST", url, json);
  get = (url: string) => this.request("GET", url);
  delete = (url: string, json?: unknown) => this.request("DELETE", url, json);

  signIn(user: { email: string; password: string }, password = user.password) {
    return this.post("/api/auth/sign-in", { email: user.email, password });
  }
}

/** Password, then the texted code; `trustDevice` as given. Returns the verify answer. */
async function signInWithCode(ctx: ServerContext, browser: Browser, user: TwoFactorUser, trustDevice?: boolean) {
  const started = await browser.signIn(user);
  expect(started.status, started.text).toBe(200);
  expect(started.body.twoFactorRequired).toBe(true);
  const code = (await lastSms(ctx.server, user.phone))!.code!;
  const verified = await browser.post("/api/auth/two-factor/verify", { method: "sms", code, trustDevice });
  expect(verified.status, verified.text).toBe(200);
  return verified;
}

/** A 2FA user and a browser that passed the code once and was trusted. */
async function trustedSetup(ctx: ServerContext) {
  const user = await twoFactorUser(ctx);
  const browser = new Browser(ctx);
  const verified = await signInWithCode(ctx, browser, user, true);
  expect(browser.trusted).toMatch(/^[\w-]+\.[\w-]+$/);
  return { user, browser, verified };
}

/** A fresh browser (no session) that carries only this trusted cookie. */
function browserWith(ctx: ServerContext, trusted: string | undefined) {
  const browser = new Browser(ctx);
  browser.trusted = trusted;
  return browser;
}

const trustedRows = (ctx: ServerContext, userId: string) =>
  ctx.server.database.db.select().from(trustedBrowsers).where(eq(trustedBrowsers.userId, userId));

function expectChallenge(response: TestResponse) {
  expect(response.status, response.text).toBe(200);
  expect(response.body.twoFactorRequired).toBe(true);
}

function expectTrustedSession(response: TestResponse) {
  expect(response.status, response.text).toBe(200);
  expect(response.body.twoFactorRequired).toBeUndefined();
  expect(response.body.session).toMatchObject({ assuranceLevel: 2, secondFactorAt: null });
}

async function eventTypes(client: { get(url: string): Promise<TestResponse> }) {
  return (await client.get("/api/account/security-events")).body.events.map((e: { type: string }) => e.type);
}

forEachServer("trusted browsers", (ctx) => {
  it("trusts the browser on a verify with trustDevice: an HttpOnly Lax cookie for 30 days, and one row", async () => {
    const { user, browser, verified } = await trustedSetup(ctx);
    const line = verified.headers.getSetCookie().find((l) => l.startsWith("twofold_trusted="))!;
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(line).toMatch(/Path=\//);
    const maxAge = Number(/Max-Age=(\d+)/.exec(line)![1]);
    expect(maxAge).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(maxAge).toBeLessThanOrEqual(30 * 24 * 3600);
    const rows = await trustedRows(ctx, user.user.id);
    expect(rows).toHaveLength(1);
    // Only the secret's SHA-256 is stored: the row never holds the cookie's secret.
    expect(rows[0]!.id).toBe(browser.trusted!.split(".")[0]);
    expect(rows[0]!.secretHash.toString("base64url")).not.toContain(browser.trusted!.split(".")[1]);
    expect(rows[0]!.expiresAt.getTime() - rows[0]!.createdAt.getTime()).toBe(30 * 24 * 3600 * 1000);
    expect(await eventTypes(browser.client)).toContain("trusted_browser_added");

    // Without trustDevice nothing is trusted.
    const other = new Browser(ctx);
    const plain = await signInWithCode(ctx, other, user);
    expect(plain.headers.getSetCookie().some((l) => l.startsWith("twofold_trusted="))).toBe(false);
    expect(other.trusted).toBeUndefined();
    expect(await trustedRows(ctx, user.user.id)).toHaveLength(1);
  });

  it("skips the code at the next right password: level 2, no recent second factor, so security changes step up", async () => {
    const { user, browser } = await trustedSetup(ctx);
    const texts = await lastSms(ctx.server, user.phone);
    const again = browserWith(ctx, browser.trusted);
    const signedIn = await again.signIn(user);
    expectTrustedSession(signedIn);
    expect(again.client.cookie).toBeDefined();
    expect(again.client.challengeCookie).toBeUndefined();
    // No code was texted for it.
    expect(await lastSms(ctx.server, user.phone)).toEqual(texts);
    expect((await again.get("/api/auth/session")).body.session).toMatchObject({ assuranceLevel: 2 });
    expect((await eventTypes(again))[0]).toBe("trusted_browser_used");

    const change = await again.post("/api/account/password", {
      currentPassword: user.password,
      newPassword: NEW_PASSWORD,
    });
    expect(change.status, change.text).toBe(403);
    expect(change.body.error.code).toBe("second_factor_required");
  });

  it("still refuses a wrong password, and speaks only for the user who trusted it", async () => {
    const { user, browser } = await trustedSetup(ctx);
    const wrong = await browserWith(ctx, browser.trusted).signIn(user, "not the password at all");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("invalid_credentials");

    // User B signing in on A's trusted browser meets B's own second step.
    const bob = await twoFactorUser(ctx);
    expectChallenge(await browserWith(ctx, browser.trusted).signIn(bob));

    // A tampered secret, or a made-up cookie, is no trust either.
    const [id, secret] = browser.trusted!.split(".") as [string, string];
    const flipped = `${id}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    expectChallenge(await browserWith(ctx, flipped).signIn(user));
    expectChallenge(await browserWith(ctx, "garbage").signIn(user));
    // The right cookie still works afterwards.
    expectTrustedSession(await browserWith(ctx, browser.trusted).signIn(user));
  });

  it("lists the user's trusted browsers with the current one marked, and revokes one (others' ids are not found)", async () => {
    const { user, browser } = await trustedSetup(ctx);
    const laptop = new Browser(
      ctx,
      ctx.client({ userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0" }),
    );
    await signInWithCode(ctx, laptop, user, true);

    const listed = await browser.get("/api/account/trusted-browsers");
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.trustedBrowsers).toHaveLength(2);
    const mine = listed.body.trustedBrowsers.find((b: { current: boolean }) => b.current);
    expect(mine).toEqual({
      id: browser.trusted!.split(".")[0],
      current: true,
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      expiresAt: expect.any(String),
      ip: browser.client.ip,
      browser: "Chrome 130",
      os: "Linux",
    });
    const theirs = listed.body.trustedBrowsers.find((b: { current: boolean }) => !b.current);
    expect(theirs).toMatchObject({ id: laptop.trusted!.split(".")[0], browser: "Firefox 131", os: "Windows 10" });
    // The page may show no cookie secret.
    expect(listed.text).not.toContain(browser.trusted!.split(".")[1]);

    // Another user can neither see nor revoke them.
    const mallory = await twoFactorUser(ctx);
    expect((await mallory.client.get("/api/account/trusted-browsers")).body.trustedBrowsers).toEqual([]);
    const stranger = await mallory.client.delete(`/api/account/trusted-browsers/${theirs.id}`);
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe("not_found");
    expect((await browser.delete("/api/account/trusted-browsers/no-such-id")).status).toBe(404);
    expect((await ctx.client().get("/api/account/trusted-browsers")).status).toBe(401);

    // No step-up needed (this session passed the code long enough ago to matter nothing): trust only goes down.
    const revoked = await browser.delete(`/api/account/trusted-browsers/${theirs.id}`);
    expect(revoked.status, revoked.text).toBe(204);
    expect(await eventTypes(browser)).toContain("trusted_browser_revoked");
    expectChallenge(await browserWith(ctx, laptop.trusted).signIn(user));
    expectTrustedSession(await browserWith(ctx, browser.trusted).signIn(user));
    expect((await browser.get("/api/account/trusted-browsers")).body.trustedBrowsers).toHaveLength(1);

    // Revoking this browser's own trust also deletes its cookie.
    const own = browser.trusted!.split(".")[0];
    const cookieBefore = browser.trusted;
    expect((await browser.delete(`/api/account/trusted-browsers/${own}`)).status).toBe(204);
    expect(browser.trusted).toBeUndefined();
    expectChallenge(await browserWith(ctx, cookieBefore).signIn(user));
  });

  it("refuses an expired trust", async () => {
    const { user, browser } = await trustedSetup(ctx);
    await ctx.server.database.db
      .update(trustedBrowsers)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(trustedBrowsers.userId, user.user.id));
    expectChallenge(await browserWith(ctx, browser.trusted).signIn(user));
    expect((await user.client.get("/api/account/trusted-browsers")).body.trustedBrowsers).toEqual([]);
  });

  it("forgets every trusted browser on a password change", async () => {
    const { user, browser } = await trustedSetup(ctx);
    // The owner's own session passed a second factor when it proved the phone: no step-up needed.
    const changed = await user.client.post("/api/account/password", {
      currentPassword: user.password,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status, changed.text).toBe(204);
    expect(await trustedRows(ctx, user.user.id)).toEqual([]);
    expectChallenge(await browserWith(ctx, browser.trusted).signIn(user, NEW_PASSWORD));
  });

  it("forgets every trusted browser on a password reset", async () => {
    const { user, browser } = await trustedSetup(ctx);
    expect((await ctx.client().post("/api/auth/forgot-password", { email: user.email })).status).toBe(202);
    const token = (await lastEmail(ctx.server, user.email, /reset/i))!.token;
    expect((await ctx.client().post("/api/auth/reset-password", { token, password: NEW_PASSWORD })).status).toBe(204);
    expect(await trustedRows(ctx, user.user.id)).toEqual([]);
    expectChallenge(await browserWith(ctx, browser.trusted).signIn(user, NEW_PASSWORD));
  });

  it("forgets every trusted browser on an email change", async () => {
    const { user, browser } = await trustedSetup(ctx);
    const newEmail = uniqueEmail("moved");
    const started = await user.client.post("/api/account/email", { currentPassword: user.password, newEmail });
    expect(started.status, started.text).toBe(202);
    const token = (await lastEmail(ctx.server, newEmail, /confirm/i))!.token;
    expect((await ctx.client().post("/api/auth/confirm-email-change", { token })).status).toBe(200);
    expect(await trustedRows(ctx, user.user.id)).toEqual([]);
    expectChallenge(await browserWith(ctx, browser.trusted).signIn({ email: newEmail, password: user.password }));
  });

  it("forgets every trusted browser when two-factor goes off, and does not come back when it is on again", async () => {
    const { user, browser } = await trustedSetup(ctx);
    const off = await user.client.post("/api/account/two-factor/sms", {
      enabled: false,
      currentPassword: user.password,
    });
    expect(off.status, off.text).toBe(200);
    expect(await trustedRows(ctx, user.user.id)).toEqual([]);
    const on = await user.client.post("/api/account/two-factor/sms", {
      enabled: true,
      currentPassword: user.password,
    });
    expect(on.status, on.text).toBe(200);
    expectChallenge(await browserWith(ctx, browser.trusted).signIn(user));
  });

  it("lets 20 parallel sign-ins through one trusted browser each get their own level-2 session", async () => {
    const { user, browser } = await trustedSetup(ctx);
    // Tabs the account knows (each with its own known-device cookie): strangers' parallel guesses meet the address
    // throttle before any password is checked, which is sign-in-throttling.test.ts's business, not this one's.
    const passwordHash = (await ctx.server.deps.repo.getPasswordHash(user.user.id))!;
    const tabs = Array.from({ length: 20 }, () => {
      const tab = browserWith(ctx, browser.trusted);
      tab.client.deviceCookie = issueKnownDevice(ctx.server.deps, user.user.id, passwordHash);
      return tab;
    });
    const answers = await Promise.all(tabs.map((tab) => tab.signIn(user)));
    for (const answer of answers) expectTrustedSession(answer);
    expect(new Set(answers.map((a) => a.body.session.id)).size).toBe(20);
    const levelTwo = await ctx.server.database.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(eq(sessions.userId, user.user.id));
    expect(levelTwo.length).toBeGreaterThanOrEqual(21);
  });

  it("never lands a session, or a trust, under credentials older than the trusted browser's check (deterministic race)", async () => {
    const { user } = await trustedSetup(ctx);
    // A sign-in read the account (and checked the password) before a password change committed …
    const checkedBefore = (await ctx.server.deps.repo.findUserByEmail(user.email))!;
    const changed = await user.client.post("/api/account/password", {
      currentPassword: user.password,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status, changed.text).toBe(204);
    // … and finds a trusted browser that is valid now (trusted again after the change): the version it read is
    // stale, so no session is inserted.
    const fresh = new Browser(ctx);
    await signInWithCode(ctx, fresh, { ...user, password: NEW_PASSWORD }, true);
    const before = await ctx.server.database.db.select().from(sessions).where(eq(sessions.userId, user.user.id));
    const late = await completeFirstFactor(
      ctx.server.deps,
      checkedBefore,
      { ip: "192.0.2.9", userAgent: "race" },
      { trustedBrowser: fresh.trusted },
    );
    expect(late).toMatchObject({ ok: false, code: "credentials_changed" });
    const after = await ctx.server.database.db.select().from(sessions).where(eq(sessions.userId, user.user.id));
    expect(after.length).toBe(before.length);

    // A trust asked for under the old version is refused too: the change already deleted the rows it would join.
    const rows = (await trustedRows(ctx, user.user.id)).length;
    expect(await trustBrowser(ctx.server.deps, checkedBefore, { ip: "192.0.2.9", userAgent: "race" })).toBeNull();
    expect(await trustedRows(ctx, user.user.id)).toHaveLength(rows);
  });
});

forEachServer(
  "trusted browsers over https",
  (ctx) => {
    it("names the cookie __Host-twofold_trusted and marks it Secure", async () => {
      const user = await twoFactorUser(ctx);
      const browser = new Browser(ctx);
      const verified = await signInWithCode(ctx, browser, user, true);
      const line = verified.headers.getSetCookie().find((l) => l.startsWith("__Host-twofold_trusted="))!;
      expect(line).toMatch(/Secure/i);
      expect(line).toMatch(/Path=\//);
      expect(line).not.toMatch(/Domain=/i);
      expectTrustedSession(await browserWith(ctx, browser.trusted).signIn(user));
    });
  },
  { env: { APP_URL: "https://auth.example.test" }, only: "pglite" },
);
