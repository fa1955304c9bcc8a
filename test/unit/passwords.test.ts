import { describe, expect, it } from "vitest";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, hashPassword, passwordWeakness, verifyDummyPassword, verifyPassword } from "../../src/core/passwords";

/** `n` code points with no single repeated character and no common-list entry. */
function varied(n: number): string {
  const alphabet = "qwfpgjluyarstdhneiozxcvbkm";
  return Array.from({ length: n }, (_, i) => alphabet[(i * 7) % alphabet.length]).join("");
}

describe("passwordWeakness: length", () => {
  it("uses NIST's bounds", () => {
    expect(PASSWORD_MIN_LENGTH).toBe(8);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
  });

  it("refuses 7 characters and accepts 8", () => {
    expect(passwordWeakness(varied(7))).toMatch(/at least 8/);
    expect(passwordWeakness(varied(8))).toBeNull();
  });

  it("accepts 128 characters and refuses 129", () => {
    expect(passwordWeakness(varied(128))).toBeNull();
    expect(passwordWeakness(varied(129))).toMatch(/at most 128/);
  });

  it("counts code points, not UTF-16 units", () => {
    const emoji = ["😀", "🔒", "🐙", "🌍", "🎲", "🚲", "🍋", "🦊"];
    // Seven emoji are 14 UTF-16 units but only 7 characters.
    const seven = emoji.slice(0, 7).join("");
    expect(seven.length).toBe(14);
    expect(passwordWeakness(seven)).toMatch(/at least 8/);
    expect(passwordWeakness(emoji.join(""))).toBeNull();
    // 128 emoji (256 UTF-16 units) are within the limit; 129 are not.
    const many = (n: number) => Array.from({ length: n }, (_, i) => emoji[i % emoji.length]).join("");
    expect(passwordWeakness(many(128))).toBeNull();
    expect(passwordWeakness(many(129))).toMatch(/at most 128/);
  });

  it("refuses the empty string", () => {
    expect(passwordWeakness("")).toMatch(/at least 8/);
  });
});

describe("passwordWeakness: guessable passwords", () => {
  it.each(["password", "12345678", "iloveyou", "PASSWORD", "Password", "ILoveYou", "123456789"])("refuses the common password %s", (password) => {
    expect(passwordWeakness(password)).toMatch(/too common/);
  });

  it.each(["aaaaaaaa", "AAAAAAAAAAAA", "11111111111", "😀😀😀😀😀😀😀😀", "        "])("refuses a single repeated character (%s)", (password) => {
    expect(passwordWeakness(password)).not.toBeNull();
  });

  it("refuses a repeated letter in mixed case", () => {
    expect(passwordWeakness("aAaAaAaAaA")).toMatch(/too easy/);
  });

  it("refuses a password containing the email's local part", () => {
    const email = "margaret.hamilton@example.com";
    expect(passwordWeakness("margaret.hamilton!42", { email })).toMatch(/name or email/);
    expect(passwordWeakness("xx-MARGARET.HAMILTON-xx", { email })).toMatch(/name or email/);
  });

  it("refuses a password containing the whole email address", () => {
    expect(passwordWeakness("zq margaret.hamilton@example.com", { email: "margaret.hamilton@example.com" })).toMatch(/name or email/);
  });

  it("refuses a password containing the name, case-insensitively", () => {
    expect(passwordWeakness("i am Grace Hopper!", { name: "Grace Hopper" })).toMatch(/name or email/);
    expect(passwordWeakness("GRACE HOPPER 1906", { name: "grace hopper" })).toMatch(/name or email/);
  });

  it("ignores personal strings shorter than 4 characters (they would refuse too much)", () => {
    expect(passwordWeakness("ed-purple-tractor", { email: "ed@example.com", name: "Ed" })).toBeNull();
  });

  it("accepts a long random passphrase", () => {
    expect(passwordWeakness("correct horse battery staple", { email: "ada@example.com", name: "Ada Lovelace" })).toBeNull();
    expect(passwordWeakness("quartz-Vellum-71-orbit-Sorrel", { email: "margaret.hamilton@example.com", name: "Margaret Hamilton" })).toBeNull();
  });

  it("needs no composition rules (NIST 800-63B): all lower-case letters are fine", () => {
    expect(passwordWeakness("lanternfishmeadow")).toBeNull();
  });
});

describe("hashPassword / verifyPassword", () => {
  it("produces an argon2id PHC string with the OWASP parameters", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
  });

  it("salts: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hashPassword("same password"), hashPassword("same password")]);
    expect(a).not.toBe(b);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(await verifyPassword(hash, "correct horse battery staple")).toBe(true);
    expect(await verifyPassword(hash, "correct horse battery stapl")).toBe(false);
    expect(await verifyPassword(hash, "Correct horse battery staple")).toBe(false);
    expect(await verifyPassword(hash, "")).toBe(false);
  });

  it.each(["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1$", "$2b$10$abcdefghijklmnopqrstuu", "$argon2id$v=19$m=19456,t=2,p=1$!!!$???"])(
    "returns false, not a throw, for a malformed hash (%j)",
    async (hash) => {
      await expect(verifyPassword(hash, "whatever password")).resolves.toBe(false);
    },
  );

  it("normalises Unicode (NFKC): composed and decomposed é verify alike", async () => {
    const composed = "caf\u00e9 au lait, s'il vous plaît";
    const decomposed = "cafe\u0301 au lait, s'il vous plai\u0302t";
    expect(composed).not.toBe(decomposed);
    expect(composed.normalize("NFKC")).toBe(decomposed.normalize("NFKC"));
    const fromComposed = await hashPassword(composed);
    const fromDecomposed = await hashPassword(decomposed);
    expect(await verifyPassword(fromComposed, decomposed)).toBe(true);
    expect(await verifyPassword(fromDecomposed, composed)).toBe(true);
  });

  it("applies compatibility folding too (NFKC, not NFC): full-width letters match ASCII", async () => {
    const hash = await hashPassword("ｐａｓｓｐｈｒａｓｅ ｏｎｅ");
    expect(await verifyPassword(hash, "passphrase one")).toBe(true);
  });

  it("never truncates or trims: passwords that differ only at the end, far past bcrypt's 72 bytes, do not match", async () => {
    // 127 code points, 167 UTF-8 bytes: the 128th character decides.
    const stem = "ü".repeat(40) + "a".repeat(87);
    const hash = await hashPassword(`${stem}x`);
    expect(await verifyPassword(hash, `${stem}x`)).toBe(true);
    expect(await verifyPassword(hash, `${stem}y`)).toBe(false);
    expect(await verifyPassword(hash, stem)).toBe(false);
    expect(await verifyPassword(hash, ` ${stem}x `)).toBe(false);
    // The longest password the API takes at sign-in (1024 characters).
    const longest = "z".repeat(1023);
    expect(await verifyPassword(await hashPassword(`${longest}1`), `${longest}2`)).toBe(false);
  });
});

describe("verifyDummyPassword", () => {
  it("always returns false, whatever the password", async () => {
    await expect(verifyDummyPassword("anything")).resolves.toBe(false);
    await expect(verifyDummyPassword("twofold-dummy-password-for-timing")).resolves.toBe(false);
    await expect(verifyDummyPassword("")).resolves.toBe(false);
  });
});
