import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { consumeLinkToken, issueLinkToken, linkLifetimeSeconds, peekLinkToken } from "../../src/core/link-tokens";
import type { OneTimeTokenPurpose, User } from "../../src/core/types";
import { oneTimeTokens } from "../../src/db/schema";
import { insertUser, openCoreHarness, PGLITE_OPEN_TIMEOUT_MS, type CoreHarness } from "./support/core";

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

/** Issues a link and returns it with the token from its fragment. */
async function issue(purpose: OneTimeTokenPurpose = "verify_email", email = user.email) {
  const link = await issueLinkToken(h.deps, h.deps.repo, purpose, user.id, email);
  const token = new URL(link).hash.replace(/^#token=/, "");
  return { link, token };
}

describe("issueLinkToken", () => {
  it.each([
    ["verify_email", "/verify-email"],
    ["reset_password", "/reset-password"],
    ["change_email", "/confirm-email"],
  ] as const)("puts a %s token in the fragment of %s", async (purpose, path) => {
    const { link, token } = await issue(purpose);
    const url = new URL(link);
    expect(url.origin).toBe("http://localhost:3000");
    expect(url.pathname).toBe(path);
    expect(url.search).toBe("");
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it("stores an HMAC of the secret, never the secret, with the purpose's lifetime", async () => {
    const { token } = await issue("reset_password");
    const [id, secret] = token.split(".") as [string, string];
    const [row] = await h.handle.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.id, id));
    expect(row).toBeDefined();
    expect(row!.secretHash).toHaveLength(32);
    expect(row!.secretHash.toString("base64url")).not.toBe(secret);
    expect(row!.secretHash.includes(Buffer.from(secret))).toBe(false);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBe(linkLifetimeSeconds.reset_password * 1000);
    expect(row!.usedAt).toBeNull();
  });
});

describe("consumeLinkToken", () => {
  it("works once: the second use returns null", async () => {
    const { token } = await issue();
    const first = await consumeLinkToken(h.deps, h.deps.repo, "verify_email", token);
    expect(first).toMatchObject({ userId: user.id, email: user.email, purpose: "verify_email" });
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", token)).toBeNull();
  });

  it("returns the address the link was sent to (the new one for an email change)", async () => {
    const { token } = await issue("change_email", "new-address@example.com");
    expect((await consumeLinkToken(h.deps, h.deps.repo, "change_email", token))!.email).toBe("new-address@example.com");
  });

  it("refuses an expired token", async () => {
    const { token } = await issue("reset_password");
    h.clock.advanceSeconds(linkLifetimeSeconds.reset_password);
    expect(await consumeLinkToken(h.deps, h.deps.repo, "reset_password", token)).toBeNull();
  });

  it("accepts a token one second before it expires", async () => {
    const { token } = await issue("reset_password");
    h.clock.advanceSeconds(linkLifetimeSeconds.reset_password - 1);
    expect(await consumeLinkToken(h.deps, h.deps.repo, "reset_password", token)).not.toBeNull();
  });

  it("refuses a token of another purpose, without burning it", async () => {
    const { token } = await issue("verify_email");
    expect(await consumeLinkToken(h.deps, h.deps.repo, "reset_password", token)).toBeNull();
    expect(await consumeLinkToken(h.deps, h.deps.repo, "change_email", token)).toBeNull();
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", token)).not.toBeNull();
  });

  it("refuses a tampered secret, without burning the real token", async () => {
    const { token } = await issue();
    const [id, secret] = token.split(".") as [string, string];
    const tampered = `${id}.${(secret[0] === "A" ? "B" : "A") + secret.slice(1)}`;
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", tampered)).toBeNull();
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", token)).not.toBeNull();
  });

  it("refuses a token whose HMAC was made under another SECRET (a database dump cannot mint links)", async () => {
    const { token } = await issue();
    const otherDeps = {
      ...h.deps,
      config: { ...h.deps.config, secret: Buffer.from("a-different-secret-a-different-secret-00") },
    };
    expect(await consumeLinkToken(otherDeps, h.deps.repo, "verify_email", token)).toBeNull();
  });

  it.each([undefined, null, 42, {}, "", "no-dot", "a.b"])("refuses a malformed token (%j)", async (token) => {
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", token)).toBeNull();
  });

  it("refuses an unknown id", async () => {
    const { token } = await issue();
    const secret = token.split(".")[1]!;
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", `${"z".repeat(22)}.${secret}`)).toBeNull();
  });

  it("invalidates the older link when a newer one is issued for the same purpose", async () => {
    const older = await issue("reset_password");
    const newer = await issue("reset_password");
    expect(await consumeLinkToken(h.deps, h.deps.repo, "reset_password", older.token)).toBeNull();
    expect(await consumeLinkToken(h.deps, h.deps.repo, "reset_password", newer.token)).not.toBeNull();
  });

  it("leaves links of other purposes and other users alone when issuing", async () => {
    const verify = await issue("verify_email");
    const otherUser = await insertUser(h.deps);
    const otherLink = await issueLinkToken(h.deps, h.deps.repo, "reset_password", otherUser.id, otherUser.email);
    await issue("reset_password");
    expect(await consumeLinkToken(h.deps, h.deps.repo, "verify_email", verify.token)).not.toBeNull();
    expect(
      await consumeLinkToken(h.deps, h.deps.repo, "reset_password", new URL(otherLink).hash.slice("#token=".length)),
    ).not.toBeNull();
  });

  it("lets exactly one of 20 concurrent consumers win", async () => {
    const { token } = await issue("reset_password");
    const results = await Promise.all(
      Array.from({ length: 20 }, () => consumeLinkToken(h.deps, h.deps.repo, "reset_password", token)),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });

  it("lets exactly one of 20 concurrent transactional consumers win", async () => {
    const { token } = await issue("reset_password");
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.deps.repo.transaction((repo) => consumeLinkToken(h.deps, repo, "reset_password", token)),
      ),
    );
    expect(results.filter((r) => r !== null)).toHaveLength(1);
  });
});

describe("peekLinkToken", () => {
  it("checks without burning", async () => {
    const { token } = await issue("reset_password");
    expect(await peekLinkToken(h.deps, h.deps.repo, "reset_password", token)).toMatchObject({ userId: user.id });
    expect(await peekLinkToken(h.deps, h.deps.repo, "reset_password", token)).not.toBeNull();
    expect(await consumeLinkToken(h.deps, h.deps.repo, "reset_password", token)).not.toBeNull();
  });

  it("refuses used, expired, wrong-purpose, tampered and superseded tokens", async () => {
    const used = await issue("reset_password");
    await consumeLinkToken(h.deps, h.deps.repo, "reset_password", used.token);
    expect(await peekLinkToken(h.deps, h.deps.repo, "reset_password", used.token)).toBeNull();

    const wrongPurpose = await issue("verify_email");
    expect(await peekLinkToken(h.deps, h.deps.repo, "reset_password", wrongPurpose.token)).toBeNull();

    const live = await issue("change_email", "next@example.com");
    const [id, secret] = live.token.split(".") as [string, string];
    expect(
      await peekLinkToken(
        h.deps,
        h.deps.repo,
        "change_email",
        `${id}.${(secret[0] === "A" ? "B" : "A") + secret.slice(1)}`,
      ),
    ).toBeNull();

    const superseded = await issue("change_email", "next@example.com");
    await issue("change_email", "later@example.com");
    expect(await peekLinkToken(h.deps, h.deps.repo, "change_email", superseded.token)).toBeNull();

    const expiring = await issue("reset_password");
    h.clock.advanceSeconds(linkLifetimeSeconds.reset_password);
    expect(await peekLinkToken(h.deps, h.deps.repo, "reset_password", expiring.token)).toBeNull();
  });

  it.each([undefined, 7, "", "x.y"])("refuses a malformed token (%j)", async (token) => {
    expect(await peekLinkToken(h.deps, h.deps.repo, "verify_email", token)).toBeNull();
  });
});
