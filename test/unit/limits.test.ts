import { describe, expect, it } from "vitest";
import {
  consumeAll,
  limits,
  release,
  reserveAll,
  type RateLimiter,
  type RateLimitOutcome,
  type RateLimitPolicy,
} from "../../src/core/limits";

/** A RateLimiter fake (it is a port): refuses the policies named in `refuse` and records every call. */
function fakeLimiter(refuse: Record<string, number> = {}) {
  const calls: Array<[string, string]> = [];
  const limiter: RateLimiter = {
    async consume(policy, key): Promise<RateLimitOutcome> {
      calls.push([policy.name, key]);
      const retryAfterSeconds = refuse[policy.name];
      return retryAfterSeconds === undefined ? { allowed: true } : { allowed: false, retryAfterSeconds };
    },
    async reset() {},
    async refund(policy, key) {
      calls.push([`refund:${policy.name}`, key]);
    },
  };
  return { limiter, calls };
}

const a: RateLimitPolicy = { name: "a", points: 1, durationSeconds: 60 };
const b: RateLimitPolicy = { name: "b", points: 1, durationSeconds: 60 };
const c: RateLimitPolicy = { name: "c", points: 1, durationSeconds: 60 };

describe("consumeAll", () => {
  it("allows when every policy allows, consuming each once in order", async () => {
    const { limiter, calls } = fakeLimiter();
    expect(
      await consumeAll(limiter, [
        [a, "ip"],
        [b, "email"],
        [c, "user"],
      ]),
    ).toEqual({ allowed: true });
    expect(calls).toEqual([
      ["a", "ip"],
      ["b", "email"],
      ["c", "user"],
    ]);
  });

  it("allows an empty list", async () => {
    const { limiter, calls } = fakeLimiter();
    expect(await consumeAll(limiter, [])).toEqual({ allowed: true });
    expect(calls).toEqual([]);
  });

  it("stops at the first refusal and returns its retry delay", async () => {
    const { limiter, calls } = fakeLimiter({ b: 42, c: 7 });
    expect(
      await consumeAll(limiter, [
        [a, "ip"],
        [b, "email"],
        [c, "user"],
      ]),
    ).toEqual({ allowed: false, retryAfterSeconds: 42 });
    // c was never consumed, and a's point was given back: a refused request spends no budget at all.
    expect(calls).toEqual([
      ["a", "ip"],
      ["b", "email"],
      ["refund:a", "ip"],
    ]);
  });

  it("refuses at once when the first policy refuses", async () => {
    const { limiter, calls } = fakeLimiter({ a: 5 });
    expect(
      await consumeAll(limiter, [
        [a, "ip"],
        [b, "email"],
      ]),
    ).toEqual({ allowed: false, retryAfterSeconds: 5 });
    expect(calls).toEqual([["a", "ip"]]);
  });
});

describe("reserveAll and release", () => {
  it("returns what it reserved, and release gives exactly that back", async () => {
    const { limiter, calls } = fakeLimiter();
    const reserved = await reserveAll(limiter, [
      [a, "ip"],
      [b, "email"],
    ]);
    expect(reserved).toEqual({
      allowed: true,
      reserved: [
        [a, "ip"],
        [b, "email"],
      ],
    });
    await release(limiter, reserved.reserved);
    expect(calls).toEqual([
      ["a", "ip"],
      ["b", "email"],
      ["refund:a", "ip"],
      ["refund:b", "email"],
    ]);
  });
});

describe("limits", () => {
  it("has unique names (they are the store's key prefixes)", () => {
    const names = Object.values(limits).map((policy) => policy.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("has positive whole numbers", () => {
    for (const policy of Object.values(limits)) {
      expect(Number.isInteger(policy.points) && policy.points > 0, policy.name).toBe(true);
      expect(Number.isInteger(policy.durationSeconds) && policy.durationSeconds > 0, policy.name).toBe(true);
    }
  });

  it("lets an IP fail fewer times than it may try, so spraying runs out before stuffing does", () => {
    expect(limits.signInFailuresPerIpHour.points).toBeLessThan(limits.signInPerIp.points * 4);
    expect(limits.signInFailuresPerIpDay.points).toBeGreaterThan(limits.signInFailuresPerIpHour.points);
  });
});
