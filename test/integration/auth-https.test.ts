import { beforeAll, expect, it } from "vitest";
import { forEachServer, lastEmail, signedUpUser, type TestResponse } from "../helpers/harness";

/** A server whose APP_URL is https: the session cookie is `__Host-` prefixed and Secure, links are https. */

const APP = "https://auth.example.com";
const COOKIE = "__Host-twofold_session";

function setCookies(response: TestResponse): string[] {
  return response.headers.getSetCookie();
}

forEachServer(
  "session cookie over https",
  (ctx) => {
    let alice: Awaited<ReturnType<typeof signedUpUser>>;
    beforeAll(async () => {
      alice = await signedUpUser(ctx);
    });

    it("sets __Host-twofold_session with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", async () => {
      const client = ctx.client();
      expect(client.cookieName).toBe(COOKIE);
      const response = await client.post("/api/auth/sign-in", { email: alice.email, password: alice.password });
      expect(response.status).toBe(200);
      const lines = setCookies(response);
      // The session, and the known-device cookie that exempts this browser from the sign-in throttle.
      expect(lines.map((line) => line.split("=")[0])).toEqual([COOKIE, "__Host-twofold_device"]);
      for (const line of lines) {
        const attributes = line
          .split(";")
          .slice(1)
          .map((part) => part.trim().toLowerCase());
        const sameSite = line.startsWith(COOKIE) ? "samesite=lax" : "samesite=strict";
        expect(attributes).toEqual(expect.arrayContaining(["secure", "httponly", sameSite, "path=/"]));
        expect(attributes.some((a) => a.startsWith("domain="))).toBe(false);
      }
      expect((await client.get("/api/auth/session")).body.user.id).toBe(alice.user.id);
    });

    it("emails https links and verify-email sets the __Host- cookie", async () => {
      const { client, email } = await signedUpUser(ctx);
      expect(client.cookie).toBeDefined();
      await ctx.client().post("/api/auth/forgot-password", { email });
      const mail = await lastEmail(ctx.server, email, /reset/i);
      expect(mail?.link).toMatch(new RegExp(`^${APP}/reset-password#token=`));
    });

    it("ignores a cookie under the plain http name", async () => {
      const response = await ctx.server.app.request(
        `${APP}/api/auth/session`,
        { headers: { cookie: `twofold_session=${alice.client.cookie}` } },
        { remoteAddress: "10.9.9.9" },
      );
      expect(response.status).toBe(401);
    });

    it("checks Origin against the https APP_URL, also for a cookie-carrying write with no Origin (CSRF)", async () => {
      const wrongScheme = ctx.client({ origin: "http://auth.example.com" });
      expect(
        (await wrongScheme.post("/api/auth/sign-in", { email: alice.email, password: alice.password })).body.error.code,
      ).toBe("invalid_origin");

      const { client } = await signedUpUser(ctx);
      const forged = ctx.client({ origin: null });
      forged.cookie = client.cookie;
      const refused = await forged.post("/api/auth/sign-out");
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("invalid_origin");
      expect((await client.get("/api/auth/session")).status).toBe(200);
    });

    it("sign-out clears the __Host- cookie with the same attributes", async () => {
      const { client } = await signedUpUser(ctx);
      const token = client.cookie;
      const response = await client.post("/api/auth/sign-out");
      expect(response.status).toBe(204);
      const [line] = setCookies(response);
      expect(line).toMatch(new RegExp(`^${COOKIE}=;`));
      expect(line).toMatch(/Max-Age=0/);
      expect(line).toMatch(/; Secure/);
      expect(line).toMatch(/; Path=\//);
      const replay = ctx.client();
      replay.cookie = token;
      expect((await replay.get("/api/auth/session")).status).toBe(401);
    });
  },
  { env: { APP_URL: APP } },
);
