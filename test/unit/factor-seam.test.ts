import { describe, expect, it } from "vitest";
import { MAX_WRONG_CODES_PER_CHALLENGE, verifyChallenge } from "../../src/core/challenges";
import type { Deps } from "../../src/core/deps";
import { challengeMethods, factorFor, secondFactorMethods, type SecondFactorProof } from "../../src/core/factors";
import type { RateLimiter } from "../../src/core/limits";
import type { Repository } from "../../src/core/repository";
import type { Challenge, User } from "../../src/core/types";

// The shared verify path, with the real SMS factor in Twilio Verify mode: the factor's comparison is then the
// `sms.checkCode` call, so the log shows exactly when a factor looked at a proof relative to the budgets.

const now = new Date("2030-01-01T00:00:00.000Z");
const client = { ip: "198.51.100.7", userAgent: "unit-test" };

const user = {
  id: "user-1",
  email: "owner@example.com",
  name: "Owner",
  phoneNumber: "+447700900123",
  phoneVerifiedAt: now,
  twoFactorSms: true,
  credentialsVersion: 3,
  codeEntryBlockedUntil: null,
} as unknown as User;

const challenge: Challenge = {
  id: "challenge-1",
  purpose: "sign_in",
  userId: user.id,
  credentialsVersion: 3,
  sessionId: null,
  clientBinding: null,
  phoneNumber: "+447700900123",
  codeHash: null,
  codeExpiresAt: new Date(now.getTime() + 300_000),
  webauthnChallenge: null,
  smsError: null,
  attempts: 0,
  sends: 1,
  resendAt: now,
  createdAt: now,
  expiresAt: new Date(now.getTime() + 600_000),
  completedAt: null,
};

/** Fakes of the ports the shared path uses, each call written to one log in the order it happened. */
function fakeDeps(options: { rightCode?: string; attemptsLeft?: boolean; accountBudget?: boolean } = {}) {
  const log: string[] = [];
  const { rightCode = "123456", attemptsLeft = true, accountBudget = true } = options;
  const repo = {
    async findUserById() {
      return user;
    },
    async countAttempt(id: string, max: number) {
      log.push(`countAttempt:${id}:${max}`);
      return attemptsLeft ? { ...challenge, attempts: challenge.attempts + 1 } : null;
    },
    async completeChallenge(id: string) {
      log.push(`completeChallenge:${id}`);
      return true;
    },
    async recordEvent(event: { type: string }) {
      log.push(`event:${event.type}`);
    },
    async blockCodeEntry() {
      log.push("blockCodeEntry");
      return true;
    },
    async enqueue(message: { template: string }) {
      log.push(`enqueue:${message.template}`);
      return "message-1";
    },
    async transaction<T>(work: (r: Repository) => Promise<T>) {
      return work(repo as unknown as Repository);
    },
  };
  const limiter: RateLimiter = {
    async consume(policy) {
      log.push(`consume:${policy.name}`);
      return accountBudget ? { allowed: true } : { allowed: false, retryAfterSeconds: 60 };
    },
    async refund(policy) {
      log.push(`refund:${policy.name}`);
    },
    async reset() {},
  };
  const deps = {
    repo,
    limiter,
    now: () => now,
    messagesQueued: () => log.push("messagesQueued"),
    sms: {
      codes: "provider",
      deliverNow: async () => ({ ok: true }),
      async checkCode(_phone: string, code: string) {
        log.push("factor.verify");
        return code === rightCode;
      },
    },
  } as unknown as Deps;
  return { deps, log };
}

const sms = (code: string): SecondFactorProof => ({ method: "sms", code });

describe("the factor seam", () => {
  it("lists the user's factors and the challenge's methods through the factor modules", () => {
    expect(secondFactorMethods(user)).toEqual(["sms"]);
    expect(secondFactorMethods({ ...user, twoFactorSms: false })).toEqual([]);
    expect(challengeMethods(challenge, user)).toEqual(["sms"]);
    expect(factorFor("sms")?.method).toBe("sms");
    expect(factorFor("toString" as never)).toBeNull();
  });

  it("refuses a method no factor has before touching any budget", async () => {
    const { deps, log } = fakeDeps();
    const result = await verifyChallenge(deps, challenge, { method: "carrier_pigeon", code: "1" } as never, client);
    expect(result).toMatchObject({ ok: false, code: "invalid_request" });
    expect(log).toEqual([]);
  });

  it("refuses a method the challenge does not offer before touching any budget", async () => {
    const { deps, log } = fakeDeps();
    const result = await verifyChallenge(deps, { ...challenge, phoneNumber: null }, sms("123456"), client);
    expect(result).toMatchObject({ ok: false, code: "invalid_request" });
    expect(log).toEqual([]);
  });

  it("counts the challenge's attempt and reserves the account's budget before the factor sees a wrong proof", async () => {
    const { deps, log } = fakeDeps();
    const result = await verifyChallenge(deps, challenge, sms("000000"), client);
    expect(result).toMatchObject({
      ok: false,
      code: "invalid_code",
      attemptsLeft: MAX_WRONG_CODES_PER_CHALLENGE - 1,
      message: "That code is not right. Check the latest text and try again.",
    });
    expect(log).toEqual([
      `countAttempt:challenge-1:${MAX_WRONG_CODES_PER_CHALLENGE}`,
      "consume:wrong_codes_account",
      "factor.verify",
      "event:code_failed",
    ]);
  });

  it("gives the account's budget back for a right proof and completes the challenge once", async () => {
    const { deps, log } = fakeDeps();
    const result = await verifyChallenge(deps, challenge, sms("123456"), client);
    expect(result.ok).toBe(true);
    expect(log).toEqual([
      `countAttempt:challenge-1:${MAX_WRONG_CODES_PER_CHALLENGE}`,
      "consume:wrong_codes_account",
      "factor.verify",
      "refund:wrong_codes_account",
      "completeChallenge:challenge-1",
    ]);
  });

  it("never asks the factor once the challenge is out of attempts", async () => {
    const { deps, log } = fakeDeps({ attemptsLeft: false });
    const result = await verifyChallenge(deps, challenge, sms("123456"), client);
    expect(result).toMatchObject({ ok: false, code: "challenge_expired" });
    expect(log).not.toContain("factor.verify");
    expect(log).not.toContain("consume:wrong_codes_account");
  });

  it("never asks the factor once the account's wrong-code budget is spent: code entry pauses instead", async () => {
    const { deps, log } = fakeDeps({ accountBudget: false });
    const result = await verifyChallenge(deps, challenge, sms("123456"), client);
    expect(result).toMatchObject({ ok: false, code: "too_many_attempts" });
    expect(log).not.toContain("factor.verify");
    expect(log).toContain("blockCodeEntry");
  });
});
