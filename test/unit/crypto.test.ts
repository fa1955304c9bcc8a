import { describe, expect, it } from "vitest";
import {
  constantTimeEqual,
  generateSplitToken,
  hmac,
  parseSplitToken,
  randomDigits,
  randomId,
  sealer,
  sha256,
} from "../../src/core/crypto";

const BASE64URL = /^[A-Za-z0-9_-]+$/;

describe("randomId", () => {
  it("is base64url of 16 bytes (22 characters) by default", () => {
    const id = randomId();
    expect(id).toHaveLength(22);
    expect(id).toMatch(BASE64URL);
    expect(Buffer.from(id, "base64url")).toHaveLength(16);
  });

  it("honours the byte count", () => {
    expect(randomId(24)).toHaveLength(32);
    expect(randomId(32)).toHaveLength(43);
  });

  it("does not repeat", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId()));
    expect(ids.size).toBe(10_000);
  });
});

describe("split tokens", () => {
  it("round-trips through parseSplitToken", () => {
    const { id, secret, token } = generateSplitToken();
    expect(token).toBe(`${id}.${secret}`);
    expect(parseSplitToken(token)).toEqual({ id, secret });
  });

  it("carries a 256-bit secret", () => {
    const { secret } = generateSplitToken();
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
  });

  it("never repeats ids or secrets", () => {
    const tokens = Array.from({ length: 1000 }, () => generateSplitToken());
    expect(new Set(tokens.map((t) => t.id)).size).toBe(1000);
    expect(new Set(tokens.map((t) => t.secret)).size).toBe(1000);
  });

  it.each([undefined, null, 42, {}, [], Buffer.from("a.b"), true])("rejects a non-string (%s)", (value) => {
    expect(parseSplitToken(value)).toBeNull();
  });

  it("rejects malformed strings", () => {
    const { id, secret } = generateSplitToken();
    const rejected = [
      "",
      ".",
      `${id}${secret}`, // no dot
      `${id}.`,
      `.${secret}`,
      `${id}.${secret}.extra`,
      `${id}..${secret}`,
      `${id}.${secret} `,
      ` ${id}.${secret}`,
      `${id}.${secret}\n`,
      `${id.slice(0, 15)}.${secret}`, // id too short
      `${id}.${secret.slice(0, 31)}`, // secret too short
      `${"a".repeat(65)}.${secret}`, // id too long
      `${id}.${"a".repeat(129)}`, // secret too long
      `${id.slice(0, -1)}+.${secret}`, // base64, not base64url
      `${id}.${secret.slice(0, -1)}/`,
      `${id}.${secret.slice(0, -1)}=`,
      `${id.slice(0, -1)}é.${secret}`,
      `${id}.${secret}%00`,
    ];
    for (const token of rejected) expect(parseSplitToken(token), JSON.stringify(token)).toBeNull();
  });

  it("rejects anything over 200 characters even if the parts would fit the pattern", () => {
    const long = `${"a".repeat(64)}.${"b".repeat(128)}`;
    expect(long.length).toBeLessThanOrEqual(200);
    expect(parseSplitToken(long)).not.toBeNull();
    expect(parseSplitToken(`${"a".repeat(64)}.${"b".repeat(137)}`)).toBeNull();
    expect(parseSplitToken("a".repeat(100_000))).toBeNull();
  });
});

describe("hmac", () => {
  const key = Buffer.alloc(32, 7);

  it("is a 32-byte SHA-256 HMAC", () => {
    expect(hmac(key, "x")).toHaveLength(32);
  });

  it("is deterministic for the same key and parts", () => {
    expect(hmac(key, "a", "b").equals(hmac(key, "a", "b"))).toBe(true);
  });

  it("length-prefixes parts so shifting a boundary changes the MAC", () => {
    expect(hmac(key, "ab", "c").equals(hmac(key, "a", "bc"))).toBe(false);
    expect(hmac(key, "abc").equals(hmac(key, "ab", "c"))).toBe(false);
    expect(hmac(key, "abc").equals(hmac(key, "abc", ""))).toBe(false);
    // A part that looks like a prefix ("1:a") must not forge the encoding of another split.
    expect(hmac(key, "a", "1:b").equals(hmac(key, "a:1", "b"))).toBe(false);
  });

  it("depends on the key", () => {
    expect(hmac(key, "a").equals(hmac(Buffer.alloc(32, 8), "a"))).toBe(false);
  });
});

describe("constantTimeEqual", () => {
  it("compares equal buffers as equal and different ones as different", () => {
    expect(constantTimeEqual(sha256("a"), sha256("a"))).toBe(true);
    expect(constantTimeEqual(sha256("a"), sha256("b"))).toBe(false);
  });

  it("returns false (does not throw) for different lengths", () => {
    const hash = sha256("a");
    expect(constantTimeEqual(hash, hash.subarray(0, 31))).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), hash)).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(0))).toBe(true);
  });
});

describe("randomDigits", () => {
  it("returns only digits, of the requested length", () => {
    for (const length of [1, 6, 8, 20]) {
      for (let i = 0; i < 200; i++) expect(randomDigits(length)).toMatch(new RegExp(`^[0-9]{${length}}$`));
    }
    expect(randomDigits(0)).toBe("");
  });

  it("keeps leading zeros (it is a string, not a number)", () => {
    const codes = Array.from({ length: 2000 }, () => randomDigits(6));
    expect(codes.some((code) => code.startsWith("0"))).toBe(true);
    expect(codes.every((code) => code.length === 6)).toBe(true);
  });

  it("is roughly uniform over the ten digits", () => {
    const counts = new Array<number>(10).fill(0);
    const draws = 20_000;
    for (let i = 0; i < draws / 10; i++) for (const ch of randomDigits(10)) counts[Number(ch)]!++;
    // Expected 2000 per digit, σ ≈ 42: ±500 is ≈ 12 σ, so this never flakes. It catches gross mistakes (a digit
    // never drawn, a range of 1–9); the absence of modulo bias is randomInt's own guarantee.
    for (const count of counts) {
      expect(count).toBeGreaterThan(1500);
      expect(count).toBeLessThan(2500);
    }
  });
});

describe("sealer", () => {
  const secret = Buffer.from("sealer-test-secret-sealer-test-secret");

  it("round-trips text, including empty and non-ASCII", () => {
    const box = sealer(secret, "outbox");
    for (const plain of [
      "",
      "hello",
      JSON.stringify({ link: "https://x/#token=a.b" }),
      "héllo 🌍",
      "x".repeat(100_000),
    ]) {
      expect(box.open(box.seal(plain))).toBe(plain);
    }
  });

  it("uses a fresh IV each time (same plaintext, different output)", () => {
    const box = sealer(secret, "outbox");
    const a = box.seal("same");
    const b = box.seal("same");
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(0, 12).equals(b.subarray(0, 12))).toBe(false);
  });

  it("lays out iv ‖ tag ‖ ciphertext without the plaintext in clear", () => {
    const sealed = sealer(secret, "outbox").seal("secret-link-token");
    expect(sealed).toHaveLength(12 + 16 + Buffer.byteLength("secret-link-token"));
    expect(sealed.includes(Buffer.from("secret-link-token"))).toBe(false);
  });

  it("detects a flipped bit anywhere (iv, tag or ciphertext)", () => {
    const box = sealer(secret, "outbox");
    const sealed = box.seal("pay the bearer");
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i]! ^= 0x01;
      expect(() => box.open(tampered), `byte ${i}`).toThrow();
    }
  });

  it("rejects truncated input, including a short authentication tag", () => {
    const box = sealer(secret, "outbox");
    const sealed = box.seal("");
    expect(sealed).toHaveLength(28);
    // 12-byte IV + the first 4 bytes of the real tag: GCM would accept this if short tags were allowed.
    for (const length of [0, 11, 12, 16, 27])
      expect(() => box.open(sealed.subarray(0, length)), `length ${length}`).toThrow();
    const nonEmpty = box.seal("abc");
    expect(() => box.open(nonEmpty.subarray(0, nonEmpty.length - 1))).toThrow();
  });

  it("keeps purposes apart: one purpose cannot open another's data", () => {
    const outbox = sealer(secret, "outbox");
    const other = sealer(secret, "totp");
    expect(() => other.open(outbox.seal("x"))).toThrow();
    expect(() => outbox.open(other.seal("x"))).toThrow();
  });

  it("keeps secrets apart", () => {
    const sealed = sealer(secret, "outbox").seal("x");
    expect(() => sealer(Buffer.from("another-secret-another-secret-0000"), "outbox").open(sealed)).toThrow();
  });

  it("opens data sealed by another instance with the same secret and purpose (restart)", () => {
    const sealed = sealer(secret, "outbox").seal("survives restarts");
    expect(sealer(Buffer.from(secret), "outbox").open(sealed)).toBe("survives restarts");
  });
});
