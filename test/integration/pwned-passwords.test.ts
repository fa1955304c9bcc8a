import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakePwnedPasswords, sha1Hex, startFakePwnedPasswords } from "../fakes/pwned-passwords";
import { forEachServer, lastEmail, signedUpUser, uniqueEmail } from "../helpers/harness";
import { closedPort } from "../helpers/network";

// Not in the shipped common-password list, so only the online check can refuse it.
const BREACHED = "plum tractor unicorn 1987";
const PADDING_LOOKALIKE = "quiet harbour lantern 55";

let fake: FakePwnedPasswords;
beforeAll(async () => {
  fake = await startFakePwnedPasswords();
  fake.breach(BREACHED, 1234);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.mode = "up";
  fake.requests.length = 0;
});

forEachServer(
  "PWNED_PASSWORDS=1: breached-password check",
  (ctx) => {
    const signUp = (password: string) =>
      ctx.client().post("/api/auth/sign-up", { email: uniqueEmail(), password, name: "Ada" });

    it("refuses a breached password at sign-up with weak_password", async () => {
      const response = await signUp(BREACHED);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({
        code: "weak_password",
        fields: { password: expect.stringContaining("data breach") },
      });
    });

    it("sends only the first 5 hex digits of the SHA-1, asks for padding, and never the password or the full hash", async () => {
      await signUp(BREACHED);
      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request!.path).toBe(`/range/${sha1Hex(BREACHED).slice(0, 5)}`);
      expect(request!.headers["add-padding"]).toBe("true");
      const everything = JSON.stringify(request);
      expect(everything).not.toContain(sha1Hex(BREACHED).slice(5));
      expect(everything).not.toContain(BREACHED);
    });

    it("accepts a password that is not in the breach corpus (padding lines with count 0 are not matches)", async () => {
      fake.breach(PADDING_LOOKALIKE, 0);
      expect((await signUp(PADDING_LOOKALIKE)).status).toBe(202);
      expect((await signUp("an unbreached passphrase of mine")).status).toBe(202);
    });

    it("checks new passwords on reset and on change too, and never a password typed to sign in", async () => {
      const { client, email, password } = await signedUpUser(ctx);
      fake.requests.length = 0;
      expect((await ctx.client().post("/api/auth/sign-in", { email, password })).status).toBe(200);
      expect(fake.requests).toHaveLength(0);

      const change = await client.post("/api/account/password", { currentPassword: password, newPassword: BREACHED });
      expect(change.status).toBe(400);
      expect(change.body.error.code).toBe("weak_password");

      await ctx.client().post("/api/auth/forgot-password", { email });
      const mail = await lastEmail(ctx.server, email, /reset/i);
      const reset = await ctx.client().post("/api/auth/reset-password", { token: mail!.token, password: BREACHED });
      expect(reset.status).toBe(400);
      expect(reset.body.error.code).toBe("weak_password");
      expect(fake.requests).toHaveLength(2);
    });

    it("fails open, with one warning line, when the service answers with an error", async () => {
      fake.mode = "error";
      const before = ctx.log.lines.length;
      expect((await signUp(BREACHED)).status).toBe(202);
      const warnings = ctx.log.lines
        .slice(before)
        .filter((line) => line.includes("breached-password check unavailable"));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).not.toContain(sha1Hex(BREACHED).slice(0, 5));
    });

    it("fails open within its timeout when the service hangs", async () => {
      fake.mode = "hang";
      const started = Date.now();
      expect((await signUp(BREACHED)).status).toBe(202);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  },
  { env: () => ({ PWNED_PASSWORDS: "1", PWNED_PASSWORDS_API: fake.url, PWNED_PASSWORDS_TIMEOUT_MS: "500" }) },
);

forEachServer(
  "PWNED_PASSWORDS=1 with the network down",
  (ctx) => {
    it("accepts the password on the local list alone and logs why", async () => {
      const response = await ctx
        .client()
        .post("/api/auth/sign-up", { email: uniqueEmail(), password: BREACHED, name: "Ada" });
      expect(response.status).toBe(202);
      expect(ctx.log.text()).toContain("breached-password check unavailable");
    });

    it("still refuses the shipped list's common passwords", async () => {
      const response = await ctx
        .client()
        .post("/api/auth/sign-up", { email: uniqueEmail(), password: "password123", name: "Ada" });
      expect(response.body.error.code).toBe("weak_password");
    });
  },
  { env: async () => ({ PWNED_PASSWORDS: "1", PWNED_PASSWORDS_API: `http://127.0.0.1:${await closedPort()}` }) },
);

describe("without PWNED_PASSWORDS", () => {
  forEachServer(
    "no online lookup",
    (ctx) => {
      it("never calls out", async () => {
        expect(
          (await ctx.client().post("/api/auth/sign-up", { email: uniqueEmail(), password: BREACHED, name: "Ada" }))
            .status,
        ).toBe(202);
        expect(fake.requests).toHaveLength(0);
      });
    },
    { env: () => ({ PWNED_PASSWORDS_API: fake.url }) },
  );
});
