import { beforeAll, describe, expect, it } from "vitest";
import { APP_URL, forEachServer, type ServerContext, signedUpUser, STRONG_PASSWORD } from "../helpers/harness";

const TRUSTED = ["https://app.example.com", "http://localhost:5173"];

/** A cookie-authenticated rename with exactly the given Origin/Referer headers (undefined = not sent). */
function rename(
  client: ReturnType<ServerContext["client"]>,
  name: string,
  headers: { origin?: string; referer?: string },
) {
  const sent: Record<string, string> = {};
  if (headers.origin !== undefined) sent.origin = headers.origin;
  if (headers.referer !== undefined) sent.referer = headers.referer;
  return client.request("PATCH", "/api/account/profile", { json: { name }, headers: sent });
}

forEachServer(
  "CSRF origin check",
  (ctx) => {
    let user: Awaited<ReturnType<typeof signedUpUser>>;
    let browser: ReturnType<ServerContext["client"]>;
    beforeAll(async () => {
      user = await signedUpUser(ctx);
      // A browser client that sends no Origin by itself: each test says which headers it carries.
      browser = ctx.client({ origin: null });
      browser.cookie = user.client.cookie;
    });

    async function currentName() {
      return (await user.client.get("/api/auth/session")).body.user.name as string;
    }

    it.each([
      ["a foreign origin", { origin: "https://evil.example" }],
      ["the opaque origin of a sandboxed frame", { origin: "null" }],
      ["our host on another port", { origin: "http://localhost:3001" }],
      ["our host over another scheme", { origin: "https://localhost:3000" }],
      ["a look-alike host", { origin: "http://localhost:3000.evil.example" }],
      ["no Origin and no Referer", {}],
      ["no Origin and a foreign Referer", { referer: "https://evil.example/attack.html" }],
      ["no Origin and a malformed Referer", { referer: "not a url" }],
      ["an empty Origin", { origin: "" }],
    ])("refuses a cookie-authenticated write with %s: 403 invalid_origin, nothing changes", async (_case, headers) => {
      const before = await currentName();
      const res = await rename(browser, "Mallory Was Here", headers);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: { code: "invalid_origin", message: expect.any(String) } });
      expect(await currentName()).toBe(before);
    });

    it.each<[string, { origin?: string; referer?: string }]>([
      ["our Origin", { origin: APP_URL }],
      ["our Referer (no Origin)", { referer: `${APP_URL}/account/settings?tab=profile#name` }],
      ...TRUSTED.map((origin): [string, { origin: string }] => [`the TRUSTED_ORIGINS entry ${origin}`, { origin }]),
    ])("accepts a cookie-authenticated write with %s", async (_case, headers) => {
      const name = `Renamed ${Math.random().toString(36).slice(2, 8)}`;
      const res = await rename(browser, name, headers);
      expect(res.status).toBe(200);
      expect(await currentName()).toBe(name);
    });

    it("applies to every write method and lets safe reads through without CORS headers", async () => {
      const evil = { origin: "https://evil.example" };
      expect((await browser.request("DELETE", "/api/account/avatar", { headers: evil })).status).toBe(403);
      expect((await browser.request("POST", "/api/account/sessions/revoke-others", { headers: evil })).status).toBe(
        403,
      );
      expect((await browser.request("POST", "/api/auth/sign-out", { headers: evil })).status).toBe(403);
      expect((await user.client.get("/api/auth/session")).status).toBe(200);
      const read = await browser.get("/api/account/sessions", evil);
      expect(read.status).toBe(200);
      expect(read.headers.get("access-control-allow-origin")).toBeNull();
      expect(read.headers.get("access-control-allow-credentials")).toBeNull();
    });

    it("refuses a foreign Origin on sign-in and sign-up even without a cookie (login CSRF)", async () => {
      const attacker = ctx.client({ origin: "https://evil.example" });
      const signIn = await attacker.post("/api/auth/sign-in", { email: user.email, password: STRONG_PASSWORD });
      expect(signIn.status).toBe(403);
      expect(signIn.body.error.code).toBe("invalid_origin");
      expect(signIn.headers.getSetCookie()).toEqual([]);
      const signUp = await attacker.post("/api/auth/sign-up", {
        email: "planted@example.com",
        password: STRONG_PASSWORD,
        name: "X",
      });
      expect(signUp.status).toBe(403);
    });

    it("gives a browser sign-in (with Origin) a cookie but no token in the body", async () => {
      const res = await ctx.client().post("/api/auth/sign-in", { email: user.email, password: STRONG_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body.token).toBeUndefined();
      expect(res.headers.getSetCookie().join()).toMatch(/^twofold_session=[^;]+;.*HttpOnly/);
    });

    describe("bearer tokens (non-browser clients)", () => {
      let cli: ReturnType<ServerContext["client"]>;
      beforeAll(async () => {
        cli = ctx.client({ origin: null });
        const res = await cli.post("/api/auth/sign-in", { email: user.email, password: STRONG_PASSWORD });
        expect(res.status).toBe(200);
        expect(res.body.token).toEqual(expect.stringMatching(/^[\w-]+\.[\w-]+$/));
        cli.bearer = res.body.token;
        cli.cookie = undefined;
      });

      it("authenticates GET /api/auth/session and the account routes, writes without any Origin", async () => {
        const session = await cli.get("/api/auth/session");
        expect(session.status).toBe(200);
        expect(session.body.user.id).toBe(user.user.id);
        expect(
          (await cli.get("/api/account/sessions")).body.sessions.find((s: { current: boolean }) => s.current).id,
        ).toBe(session.body.session.id);
        expect((await cli.get("/api/account/security-events")).status).toBe(200);
        const renamed = await cli.patch("/api/account/profile", { name: "Bearer Renamed" });
        expect(renamed.status).toBe(200);
        expect(renamed.body.user.name).toBe("Bearer Renamed");
      });

      it("does not exempt a request that also carries the session cookie", async () => {
        const mixed = ctx.client({ origin: null });
        mixed.cookie = user.client.cookie;
        mixed.bearer = cli.bearer;
        const res = await mixed.request("PATCH", "/api/account/profile", {
          json: { name: "Mixed" },
          headers: { origin: "https://evil.example" },
        });
        expect(res.status).toBe(403);
        const bare = await mixed.patch("/api/account/profile", { name: "Mixed" });
        expect(bare.status).toBe(403);
      });

      it("answers 401 for a revoked or malformed bearer token", async () => {
        const other = ctx.client({ origin: null });
        const res = await other.post("/api/auth/sign-in", { email: user.email, password: STRONG_PASSWORD });
        other.bearer = res.body.token;
        other.cookie = undefined;
        expect((await user.client.delete(`/api/account/sessions/${res.body.session.id}`)).status).toBe(204);
        expect((await other.get("/api/auth/session")).status).toBe(401);
        for (const header of [`Bearer ${cli.bearer}x`, `Basic ${cli.bearer}`, `bearer`, `Bearer `]) {
          const response = await ctx.client().get("/api/account/sessions", { authorization: header });
          expect(response.status, header).toBe(401);
        }
      });
    });
  },
  { env: { TRUSTED_ORIGINS: ` ${TRUSTED.join(" , ")} ` } },
);

// The https variant (__Host- cookie name, origin check on its writes) is covered by auth-https.test.ts.
