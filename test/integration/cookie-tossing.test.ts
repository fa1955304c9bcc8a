import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config";
import { cookieCount, readChallengeCookie, readKnownDeviceCookie, singleCookie } from "../../src/http/cookies";
import { APP_URL, forEachServer, randomIp, type ServerContext, signedUpUser, twoFactorUser } from "../helpers/harness";

/**
 * Pen test: over plain http any page (or a sibling subdomain) can plant a second `twofold_session` cookie for a
 * narrower Path. The browser then sends both, ours last: the first one picked the account (the victim saw the
 * attacker's), and a junk first one got our cookie cleared on every request. Two cookies of one name now count
 * as no credential at all, and nothing is cleared.
 */

/** A request with a hand-written Cookie (and other) headers, as a browser holding a tossed cookie sends it. */
async function raw(ctx: ServerContext, method: string, path: string, headers: Record<string, string>, json?: unknown) {
  const init: RequestInit = {
    method,
    headers: { ...headers, ...(json === undefined ? {} : { "content-type": "application/json", origin: APP_URL }) },
  };
  if (json !== undefined) init.body = JSON.stringify(json);
  const response = await ctx.server.app.request(`${APP_URL}${path}`, init, { remoteAddress: randomIp() });
  const text = await response.text();
  return {
    status: response.status,
    setCookies: response.headers.getSetCookie(),
    body: text ? JSON.parse(text) : undefined,
  };
}

const sessionCookiesSet = (setCookies: string[]) =>
  setCookies.filter((line) => /^(__Host-)?twofold_session=/.test(line));

forEachServer("cookie tossing", (ctx) => {
  it("two session cookies, the attacker's first: neither account, and no Set-Cookie", async () => {
    const victim = await signedUpUser(ctx);
    const attacker = await signedUpUser(ctx);
    for (const cookie of [
      `twofold_session=${attacker.client.cookie}; twofold_session=${victim.client.cookie}`,
      `twofold_session=${victim.client.cookie}; twofold_session=${attacker.client.cookie}`,
    ]) {
      const session = await raw(ctx, "GET", "/api/auth/session", { cookie });
      expect(session.status).toBe(401);
      expect(session.body.error.code).toBe("unauthenticated");
      expect(sessionCookiesSet(session.setCookies)).toEqual([]);
    }
  });

  it("a junk cookie first does not sign the owner out: nothing is cleared, and the owner's cookie still works", async () => {
    const victim = await signedUpUser(ctx);
    for (const junk of ["junk", "x.y", "", '"quoted', "a,b"]) {
      const tossed = await raw(ctx, "GET", "/api/auth/session", {
        cookie: `twofold_session=${junk}; twofold_session=${victim.client.cookie}`,
      });
      expect(tossed.status).toBe(401);
      expect(sessionCookiesSet(tossed.setCookies)).toEqual([]);
    }
    expect((await victim.client.get("/api/auth/session")).status).toBe(200);
  });

  it("the same token twice, or names padded with spaces, still count as two", async () => {
    const victim = await signedUpUser(ctx);
    const token = victim.client.cookie!;
    for (const cookie of [
      `twofold_session=${token}; twofold_session=${token}`,
      `a=1;  twofold_session =${token};twofold_session=${token}`,
    ]) {
      const session = await raw(ctx, "GET", "/api/auth/session", { cookie });
      expect(session.status).toBe(401);
      expect(sessionCookiesSet(session.setCookies)).toEqual([]);
    }
    // Other names are not ours: `__Host-twofold_session` means nothing to a server on http.
    expect(
      (
        await raw(ctx, "GET", "/api/auth/session", {
          cookie: `__Host-twofold_session=junk; twofold_session=${token}; xtwofold_session=junk`,
        })
      ).status,
    ).toBe(200);
  });

  it("a write with two session cookies is done as nobody", async () => {
    const victim = await signedUpUser(ctx, { name: "Victor Victim" });
    const attacker = await signedUpUser(ctx);
    const write = await raw(
      ctx,
      "PATCH",
      "/api/account/profile",
      { cookie: `twofold_session=${attacker.client.cookie}; twofold_session=${victim.client.cookie}` },
      { name: "Tossed" },
    );
    expect(write.status).toBe(401);
    expect((await victim.client.get("/api/auth/session")).body.user.name).toBe("Victor Victim");
    expect((await attacker.client.get("/api/auth/session")).body.user.name).not.toBe("Tossed");
  });

  it("one bad cookie is still cleared (only ever the one the request carried)", async () => {
    const response = await raw(ctx, "GET", "/api/auth/session", { cookie: "twofold_session=stale.token" });
    expect(response.status).toBe(401);
    expect(sessionCookiesSet(response.setCookies)).toHaveLength(1);
    expect(sessionCookiesSet(response.setCookies)[0]).toMatch(/^twofold_session=;.*Max-Age=0/i);
  });

  it("Bearer: a valid token wins over tossed cookies (nothing cleared); an ambiguous Authorization header is no credential", async () => {
    const victim = await signedUpUser(ctx);
    const attacker = await signedUpUser(ctx);
    const bearer = victim.client.cookie!;
    const tossed = `twofold_session=junk; twofold_session=${attacker.client.cookie}`;
    const viaBearer = await raw(ctx, "GET", "/api/auth/session", { authorization: `Bearer ${bearer}`, cookie: tossed });
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.body.user.id).toBe(victim.user.id);
    expect(sessionCookiesSet(viaBearer.setCookies)).toEqual([]);
    // The scheme is case-insensitive (RFC 9110 11.1).
    expect((await raw(ctx, "GET", "/api/auth/session", { authorization: `bearer ${bearer}` })).body.user.id).toBe(
      victim.user.id,
    );
    // Two Authorization headers arrive joined by a comma: neither token is tried, and the cookie is not a fallback.
    for (const authorization of [
      `Bearer ${attacker.client.cookie}, Bearer ${bearer}`,
      `Bearer ${bearer},`,
      "Bearer",
      `Bearer  ${bearer}`,
    ]) {
      const ambiguous = await raw(ctx, "GET", "/api/auth/session", {
        authorization,
        cookie: `twofold_session=${attacker.client.cookie}`,
      });
      expect(ambiguous.status, authorization).toBe(401);
      expect(sessionCookiesSet(ambiguous.setCookies)).toEqual([]);
    }
    // Another scheme (a proxy's Basic auth) is not ours: the one cookie still counts.
    expect(
      (
        await raw(ctx, "GET", "/api/auth/session", {
          authorization: "Basic dXNlcjpwYXNz",
          cookie: `twofold_session=${bearer}`,
        })
      ).body.user.id,
    ).toBe(victim.user.id);
  });

  it("two challenge cookies: the sign-in challenge is held by neither", async () => {
    const user = await twoFactorUser(ctx);
    const browser = ctx.client();
    const started = await browser.post("/api/auth/sign-in", { email: user.email, password: user.password });
    expect(started.body.twoFactorRequired).toBe(true);
    const challenge = browser.challengeCookie!;
    expect(
      (await raw(ctx, "GET", "/api/auth/two-factor/challenge", { cookie: `twofold_challenge=${challenge}` })).status,
    ).toBe(200);
    for (const cookie of [
      `twofold_challenge=${challenge}; twofold_challenge=${challenge}`,
      `twofold_challenge=junk; twofold_challenge=${challenge}`,
    ]) {
      const state = await raw(ctx, "GET", "/api/auth/two-factor/challenge", { cookie });
      expect(state.status).toBe(410);
      expect(state.body.error.code).toBe("challenge_expired");
    }
  });
});

describe("cookie readers (http and https names)", () => {
  const reader = (appUrl: string) => {
    const config = { appUrl } as Config;
    return new Hono().get("/", (c) =>
      c.json({
        count: cookieCount(c, appUrl.startsWith("https:") ? "__Host-twofold_session" : "twofold_session"),
        session: singleCookie(c, appUrl.startsWith("https:") ? "__Host-twofold_session" : "twofold_session") ?? null,
        challenge: readChallengeCookie(c, config),
        device: readKnownDeviceCookie(c, config) ?? null,
      }),
    );
  };
  const read = async (appUrl: string, cookie: string) =>
    (await reader(appUrl).request("/", { headers: { cookie } })).json();
  const challenge = `${"c".repeat(22)}.${"b".repeat(22)}`;

  it("reads one cookie of each name", async () => {
    expect(
      await read("http://localhost:3000", `twofold_session=s.t; twofold_challenge=${challenge}; twofold_device=d1`),
    ).toEqual({
      count: 1,
      session: "s.t",
      challenge: { challengeId: "c".repeat(22), binding: "b".repeat(22) },
      device: "d1",
    });
  });

  it("ignores both cookies of a name sent twice, whatever their values", async () => {
    expect(
      await read(
        "http://localhost:3000",
        `twofold_session=a; twofold_session="x; twofold_challenge=${challenge}; twofold_challenge=${challenge}; twofold_device=d1;twofold_device=d2`,
      ),
    ).toEqual({
      count: 2,
      session: null,
      challenge: null,
      device: null,
    });
  });

  it("over https, counts the __Host- names only", async () => {
    expect(
      await read(
        "https://auth.example.com",
        "__Host-twofold_session=a; __Host-twofold_session=b; __Host-twofold_device=d1; __Host-twofold_device=d2",
      ),
    ).toMatchObject({ count: 2, session: null, device: null });
    expect(
      await read(
        "https://auth.example.com",
        "twofold_session=tossed; __Host-twofold_session=ours; twofold_device=x; __Host-twofold_device=d",
      ),
    ).toMatchObject({ count: 1, session: "ours", device: "d" });
  });
});
