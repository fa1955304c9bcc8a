import { beforeAll, describe, expect, it } from "vitest";
import { forEachServer, type ServerContext, signedUpUser, STRONG_PASSWORD } from "../helpers/harness";

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface ListedSession {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  browser: string | null;
  os: string | null;
}

async function signIn(ctx: ServerContext, email: string, userAgent?: string) {
  const client = ctx.client({ userAgent });
  const res = await client.post("/api/auth/sign-in", { email, password: STRONG_PASSWORD });
  expect(res.status).toBe(200);
  return { client, sessionId: res.body.session.id as string };
}

async function listSessions(client: ReturnType<ServerContext["client"]>): Promise<ListedSession[]> {
  const res = await client.get("/api/account/sessions");
  expect(res.status).toBe(200);
  return res.body.sessions;
}

forEachServer("account sessions and security events", (ctx) => {
  let alice: Awaited<ReturnType<typeof signedUpUser>>;
  let bob: Awaited<ReturnType<typeof signedUpUser>>;
  beforeAll(async () => {
    [alice, bob] = await Promise.all([signedUpUser(ctx), signedUpUser(ctx)]);
  });

  describe("GET /api/account/sessions", () => {
    it("lists the user's own sessions with parsed browser and OS, the current one marked", async () => {
      const firefox = await signIn(ctx, alice.email, FIREFOX_WINDOWS);
      const iphone = await signIn(ctx, alice.email, SAFARI_IPHONE);
      const sessions = await listSessions(alice.client);
      const ids = sessions.map((s) => s.id);
      expect(ids).toEqual(expect.arrayContaining([firefox.sessionId, iphone.sessionId]));
      expect(sessions.filter((s) => s.current)).toHaveLength(1);

      const current = sessions.find((s) => s.current)!;
      expect(current).toMatchObject({ ip: alice.client.ip, browser: "Chrome 130", os: "Linux" });
      expect(current.userAgent).toContain("Chrome/130");
      expect(sessions.find((s) => s.id === firefox.sessionId)).toMatchObject({
        current: false,
        ip: firefox.client.ip,
        userAgent: FIREFOX_WINDOWS,
        browser: "Firefox 131",
        os: "Windows 10",
      });
      expect(sessions.find((s) => s.id === iphone.sessionId)).toMatchObject({
        current: false,
        ip: iphone.client.ip,
        browser: "Mobile Safari 17",
        os: "iOS 17",
      });
      for (const session of sessions) {
        expect(Object.keys(session)).toEqual(
          expect.arrayContaining(["id", "current", "createdAt", "lastSeenAt", "ip", "userAgent", "browser", "os"]),
        );
        expect(session.createdAt).toMatch(ISO);
        expect(session.lastSeenAt).toMatch(ISO);
        // The list shows the public id only, never anything that could be replayed as a cookie.
        expect(session.id).not.toContain(".");
      }
      for (const client of [alice.client, firefox.client, iphone.client]) {
        expect(JSON.stringify(sessions)).not.toContain(client.cookie!.split(".")[1]);
      }
      // Each device sees the same list, with itself as the current one.
      expect((await listSessions(firefox.client)).find((s) => s.current)!.id).toBe(firefox.sessionId);
    });

    it("never lists another user's sessions", async () => {
      const bobSession = await signIn(ctx, bob.email);
      const aliceIds = (await listSessions(alice.client)).map((s) => s.id);
      expect(aliceIds).not.toContain(bobSession.sessionId);
      const bobIds = (await listSessions(bob.client)).map((s) => s.id);
      expect(bobIds).toContain(bobSession.sessionId);
      expect(bobIds.some((id) => aliceIds.includes(id))).toBe(false);
    });

    it("moves lastSeenAt forward when a session is used again after a while", async () => {
      const device = await signIn(ctx, bob.email, FIREFOX_WINDOWS);
      const before = (await listSessions(bob.client)).find((s) => s.id === device.sessionId)!;
      try {
        ctx.clock.advance(6 * 60);
        expect((await device.client.get("/api/auth/session")).status).toBe(200);
        const after = (await listSessions(bob.client)).find((s) => s.id === device.sessionId)!;
        expect(Date.parse(after.lastSeenAt) - Date.parse(before.lastSeenAt)).toBeGreaterThanOrEqual(6 * 60 * 1000);
        expect(after.createdAt).toBe(before.createdAt);
      } finally {
        ctx.clock.reset();
      }
    });

    it("shows no browser or OS for a client without a User-Agent", async () => {
      const bare = ctx.client();
      const res = await bare.post(
        "/api/auth/sign-in",
        { email: bob.email, password: STRONG_PASSWORD },
        { "user-agent": "" },
      );
      expect(res.status).toBe(200);
      const listed = (await listSessions(bob.client)).find((s) => s.id === res.body.session.id)!;
      expect(listed.browser).toBeNull();
      expect(listed.os).toBeNull();
    });
  });

  describe("DELETE /api/account/sessions/:id", () => {
    it("signs the other device out at once", async () => {
      const other = await signIn(ctx, alice.email, FIREFOX_WINDOWS);
      expect((await other.client.get("/api/auth/session")).status).toBe(200);
      const res = await alice.client.delete(`/api/account/sessions/${other.sessionId}`);
      expect(res.status).toBe(204);
      const after = await other.client.get("/api/account/sessions");
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe("unauthenticated");
      expect((await other.client.get("/api/auth/session")).status).toBe(401);
      expect((await listSessions(alice.client)).map((s) => s.id)).not.toContain(other.sessionId);
      expect((await alice.client.get("/api/auth/session")).status).toBe(200);
      // Already gone: a second delete is 404.
      expect((await alice.client.delete(`/api/account/sessions/${other.sessionId}`)).status).toBe(404);
    });

    it("answers 404 for another user's session, which keeps working", async () => {
      const bobSession = await signIn(ctx, bob.email);
      const res = await alice.client.delete(`/api/account/sessions/${bobSession.sessionId}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
      expect((await bobSession.client.get("/api/auth/session")).status).toBe(200);
    });

    it.each(["no-such-session", "x".repeat(100)])("answers 404 for an unknown id (%s)", async (id) => {
      const res = await alice.client.delete(`/api/account/sessions/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    });

    it.each(["%00", "%20", "..%2F..%2Fauth%2Fsession", "x".repeat(101)])(
      "answers 400 invalid_request for an id that cannot exist (%s)",
      async (id) => {
        const res = await alice.client.delete(`/api/account/sessions/${id}`);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          error: { code: "invalid_request", message: expect.any(String), fields: { id: expect.any(String) } },
        });
        expect((await alice.client.get("/api/auth/session")).status).toBe(200);
      },
    );
  });

  it("POST /api/account/sessions/revoke-others ends every other session and keeps this one", async () => {
    const user = await signedUpUser(ctx);
    const others = await Promise.all([
      signIn(ctx, user.email, FIREFOX_WINDOWS),
      signIn(ctx, user.email, SAFARI_IPHONE),
      signIn(ctx, user.email),
    ]);
    const bobSession = await signIn(ctx, bob.email);
    expect(await listSessions(user.client)).toHaveLength(4);

    const res = await user.client.post("/api/account/sessions/revoke-others");
    expect(res.status).toBe(204);
    for (const other of others) expect((await other.client.get("/api/auth/session")).status).toBe(401);
    const left = await listSessions(user.client);
    expect(left).toHaveLength(1);
    expect(left[0]!.current).toBe(true);
    // Another user's sessions are untouched.
    expect((await bobSession.client.get("/api/auth/session")).status).toBe(200);

    const events = (await user.client.get("/api/account/security-events")).body.events;
    expect(events[0]).toMatchObject({ type: "other_sessions_revoked", ip: user.client.ip });
  });

  it("GET /api/account/security-events lists the user's events newest first, with ip and userAgent", async () => {
    const user = await signedUpUser(ctx);
    const other = await signIn(ctx, user.email, FIREFOX_WINDOWS);
    const failed = ctx.client({ userAgent: SAFARI_IPHONE });
    expect(
      (await failed.post("/api/auth/sign-in", { email: user.email, password: "wrong password here" })).status,
    ).toBe(401);
    await user.client.patch("/api/account/profile", { name: "New Name" });
    await user.client.delete(`/api/account/sessions/${other.sessionId}`);
    await user.client.post("/api/account/password", {
      currentPassword: STRONG_PASSWORD,
      newPassword: "a brand new long passphrase",
    });
    // A failed sign-in's event is written after its answer, so existing and unknown addresses answer alike.
    await ctx.server.settle();

    const res = await user.client.get("/api/account/security-events");
    expect(res.status).toBe(200);
    const events = res.body.events as Array<{ type: string; at: string; ip: string | null; userAgent: string | null }>;
    // sign_in_failed is written after its answer (so it costs an existing address no time): it lands wherever
    // that work finished, the rest in the order the requests were made.
    expect(events.map((e) => e.type).filter((t) => t !== "sign_in_failed")).toEqual([
      "password_changed",
      "session_revoked",
      "profile_updated",
      "sign_in",
      "sign_in",
      "email_verified",
      "sign_up",
    ]);
    expect(events.filter((e) => e.type === "sign_in_failed")).toHaveLength(1);
    for (const event of events) {
      expect(Object.keys(event).sort()).toEqual(["at", "browser", "ip", "os", "type", "userAgent"]);
      expect(event.at).toMatch(ISO);
    }
    const times = events.map((e) => Date.parse(e.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(events.find((e) => e.type === "sign_in_failed")).toMatchObject({
      ip: failed.ip,
      userAgent: SAFARI_IPHONE,
      browser: "Mobile Safari 17",
      os: "iOS 17",
    });
    expect(events.find((e) => e.type === "sign_in")).toMatchObject({
      ip: other.client.ip,
      userAgent: FIREFOX_WINDOWS,
      browser: "Firefox 131",
      os: "Windows 10",
    });
    expect(events[0]).toMatchObject({ ip: user.client.ip, userAgent: expect.stringContaining("Chrome/130") });

    // Never another user's events.
    const bobTypes = (await bob.client.get("/api/account/security-events")).body.events.map(
      (e: { type: string }) => e.type,
    );
    expect(bobTypes).not.toContain("password_changed");
    expect(bobTypes).not.toContain("profile_updated");
  });

  it("every account route answers 401 unauthenticated without a session (or with a dead one)", async () => {
    const routes: Array<[string, string, unknown?]> = [
      ["PATCH", "/api/account/profile", { name: "x" }],
      ["PUT", "/api/account/avatar"],
      ["DELETE", "/api/account/avatar"],
      ["POST", "/api/account/password", { currentPassword: STRONG_PASSWORD, newPassword: "another long passphrase" }],
      ["POST", "/api/account/email", { currentPassword: STRONG_PASSWORD, newEmail: "someone@example.com" }],
      ["GET", "/api/account/sessions"],
      ["DELETE", "/api/account/sessions/some-id"],
      ["POST", "/api/account/sessions/revoke-others"],
      ["GET", "/api/account/security-events"],
    ];
    const anonymous = ctx.client();
    const forged = ctx.client();
    forged.cookie = "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    const badBearer = ctx.client({ origin: null });
    badBearer.bearer = "not-a-token";
    for (const client of [anonymous, forged, badBearer]) {
      for (const [method, url, json] of routes) {
        const res = await client.request(method, url, json === undefined ? {} : { json });
        expect(res.status, `${method} ${url}`).toBe(401);
        expect(res.body, `${method} ${url}`).toEqual({
          error: { code: "unauthenticated", message: expect.any(String) },
        });
      }
    }
  });
});
