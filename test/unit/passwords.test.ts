import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCommonPasswords } from "../../src/common-passwords";
import { ConfigError, DEFAULT_COMMON_PASSWORDS_FILE } from "../../src/config";
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  createPasswordHasher,
  newPasswordWeakness,
  passwordWeakness,
} from "../../src/core/passwords";

const commonPasswords = loadCommonPasswords(path.resolve(DEFAULT_COMMON_PASSWORDS_FILE));
/** passwordWeakness against the shipped list, as the server's Deps carry it. */
const weakness = (password: string, context?: { email?: string; name?: string }) =>
  passwordWeakness({ commonPasswords }, password, context);

const standard = createPasswordHasher("standard");
// The behaviour below is the same at either cost (the cost is only argon2's parameters); the cheap one keeps it fast.
const cheap = createPasswordHasher("test");

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
    expect(weakness(varied(7))).toMatch(/at least 8/);
    expect(weakness(varied(8))).toBeNull();
  });

  it("accepts 128 characters and refuses 129", () => {
    expect(weakness(varied(128))).toBeNull();
    expect(weakness(varied(129))).toMatch(/at most 128/);
  });

  it("counts code points, not UTF-16 units", () => {
    const emoji = ["😀", "🔒", "🐙", "🌍", "🎲", "🚲", "🍋", "🦊"];
    // Seven emoji are 14 UTF-16 units but only 7 characters.
    const seven = emoji.slice(0, 7).join("");
    expect(seven.length).toBe(14);
    expect(weakness(seven)).toMatch(/at least 8/);
    expect(weakness(emoji.join(""))).toBeNull();
    // 128 emoji (256 UTF-16 units) are within the limit; 129 are not.
    const many = (n: number) => Array.from({ length: n }, (_, i) => emoji[i % emoji.length]).join("");
    expect(weakness(many(128))).toBeNull();
    expect(weakness(many(129))).toMatch(/at most 128/);
  });

  it("refuses the empty string", () => {
    expect(weakness("")).toMatch(/at least 8/);
  });
});

describe("passwordWeakness: guessable passwords", () => {
  it.each(["password", "12345678", "iloveyou", "PASSWORD", "Password", "ILoveYou", "123456789"])(
    "refuses the common password %s",
    (password) => {
      expect(weakness(password)).toMatch(/too common/);
    },
  );

  it.each(["aaaaaaaa", "AAAAAAAAAAAA", "11111111111", "😀😀😀😀😀😀😀😀", "        "])(
    "refuses a single repeated character (%s)",
    (password) => {
      expect(weakness(password)).not.toBeNull();
    },
  );

  it("refuses a repeated letter in mixed case", () => {
    expect(weakness("aAaAaAaAaA")).toMatch(/too easy/);
  });

  it("refuses a password containing the email's local part", () => {
    const email = "margaret.hamilton@example.com";
    expect(weakness("margaret.hamilton!42", { email })).toMatch(/name or email/);
    expect(weakness("xx-MARGARET.HAMILTON-xx", { email })).toMatch(/name or email/);
  });

  it("refuses a password containing the whole email address", () => {
    expect(weakness("zq margaret.hamilton@example.com", { email: "margaret.hamilton@example.com" })).toMatch(
      /name or email/,
    );
  });

  it("refuses a password containing the name, case-insensitively", () => {
    expect(weakness("i am Grace Hopper!", { name: "Grace Hopper" })).toMatch(/name or email/);
    expect(weakness("GRACE HOPPER 1906", { name: "grace hopper" })).toMatch(/name or email/);
  });

  it("ignores personal strings shorter than 4 characters (they would refuse too much)", () => {
    expect(weakness("ed-purple-tractor", { email: "ed@example.com", name: "Ed" })).toBeNull();
  });

  it("accepts a long random passphrase", () => {
    expect(weakness("correct horse battery staple", { email: "ada@example.com", name: "Ada Lovelace" })).toBeNull();
    expect(
      weakness("quartz-Vellum-71-orbit-Sorrel", { email: "margaret.hamilton@example.com", name: "Margaret Hamilton" }),
    ).toBeNull();
  });

  it("needs no composition rules (NIST 800-63B): all lower-case letters are fine", () => {
    expect(weakness("lanternfishmeadow")).toBeNull();
  });
});

describe("passwordWeakness: the list comes from Deps", () => {
  it("refuses what the given list holds, and only that", () => {
    const custom = { commonPasswords: new Set(["lanternfishmeadow"]) };
    expect(passwordWeakness(custom, "LanternfishMeadow")).toMatch(/too common/);
    expect(passwordWeakness(custom, "password")).toBeNull();
  });

  it("newPasswordWeakness applies the same list before any breach lookup", async () => {
    let lookups = 0;
    const breachedPasswords = {
      isBreached: async () => {
        lookups++;
        return true;
      },
    };
    expect(await newPasswordWeakness({ commonPasswords, breachedPasswords }, "password")).toMatch(/too common/);
    expect(lookups).toBe(0);
    expect(await newPasswordWeakness({ commonPasswords, breachedPasswords }, "lanternfishmeadow")).toMatch(
      /data breach/,
    );
    expect(await newPasswordWeakness({ commonPasswords }, "lanternfishmeadow")).toBeNull();
  });
});

describe("loadCommonPasswords", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "twofold-passwords-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the shipped list, lower-cased", () => {
    expect(commonPasswords.size).toBeGreaterThan(10_000);
    expect(commonPasswords.has("password")).toBe(true);
    expect([...commonPasswords].every((entry) => entry === entry.toLowerCase())).toBe(true);
  });

  it("skips comments and blank lines, and reads CRLF files", () => {
    const file = path.join(dir, "list.txt");
    writeFileSync(file, "# a comment\r\nHunter2Hunter2\r\n\r\nletmein-now\n");
    expect([...loadCommonPasswords(file)]).toEqual(["hunter2hunter2", "letmein-now"]);
  });

  it("refuses, at start-up, a list that is empty or cannot be read", () => {
    const empty = path.join(dir, "empty.txt");
    writeFileSync(empty, "# nothing but comments\n\n");
    expect(() => loadCommonPasswords(empty)).toThrow(ConfigError);
    expect(() => loadCommonPasswords(empty)).toThrow(/COMMON_PASSWORDS_FILE.*no passwords/);
    expect(() => loadCommonPasswords(path.join(dir, "missing.txt"))).toThrow(/COMMON_PASSWORDS_FILE.*cannot be read/);
  });
});

describe("createPasswordHasher: cost", () => {
  it("produces an argon2id PHC string with the OWASP parameters (standard, the default)", async () => {
    const hash = await standard.hash("correct horse battery staple");
    expect(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
  });

  it("produces an argon2id PHC string with the least parameters argon2 accepts (test)", async () => {
    const hash = await cheap.hash("correct horse battery staple");
    expect(hash.startsWith("$argon2id$v=19$m=8,t=1,p=1$")).toBe(true);
  });

  it("verifies a hash made at the other cost: the parameters travel in the hash", async () => {
    const [fromStandard, fromTest] = await Promise.all([
      standard.hash("across the costs"),
      cheap.hash("across the costs"),
    ]);
    expect(await cheap.verify(fromStandard, "across the costs")).toBe(true);
    expect(await standard.verify(fromTest, "across the costs")).toBe(true);
    expect(await cheap.verify(fromStandard, "across the cost")).toBe(false);
    expect(await standard.verify(fromTest, "across the cost")).toBe(false);
  });
});

describe("createPasswordHasher: hash and verify", () => {
  it("salts: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([cheap.hash("same password"), cheap.hash("same password")]);
    expect(a).not.toBe(b);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await cheap.hash("correct horse battery staple");
    expect(await cheap.verify(hash, "correct horse battery staple")).toBe(true);
    expect(await cheap.verify(hash, "correct horse battery stapl")).toBe(false);
    expect(await cheap.verify(hash, "Correct horse battery staple")).toBe(false);
    expect(await cheap.verify(hash, "")).toBe(false);
  });

  it.each([
    "",
    "not a hash",
    "$argon2id$v=19$m=19456,t=2,p=1$",
    "$2b$10$abcdefghijklmnopqrstuu",
    "$argon2id$v=19$m=19456,t=2,p=1$!!!$???",
  ])("returns false, not a throw, for a malformed hash (%j)", async (hash) => {
    await expect(cheap.verify(hash, "whatever password")).resolves.toBe(false);
  });

  it("normalises Unicode (NFKC): composed and decomposed é verify alike", async () => {
    const composed = "caf\u00e9 au lait, s'il vous plaît";
    const decomposed = "cafe\u0301 au lait, s'il vous plai\u0302t";
    expect(composed).not.toBe(decomposed);
    expect(composed.normalize("NFKC")).toBe(decomposed.normalize("NFKC"));
    const fromComposed = await cheap.hash(composed);
    const fromDecomposed = await cheap.hash(decomposed);
    expect(await cheap.verify(fromComposed, decomposed)).toBe(true);
    expect(await cheap.verify(fromDecomposed, composed)).toBe(true);
  });

  it("applies compatibility folding too (NFKC, not NFC): full-width letters match ASCII", async () => {
    const hash = await cheap.hash("ｐａｓｓｐｈｒａｓｅ ｏｎｅ");
    expect(await cheap.verify(hash, "passphrase one")).toBe(true);
  });

  it("never truncates or trims: passwords that differ only at the end, far past bcrypt's 72 bytes, do not match", async () => {
    // 127 code points, 167 UTF-8 bytes: the 128th character decides.
    const stem = "ü".repeat(40) + "a".repeat(87);
    const hash = await cheap.hash(`${stem}x`);
    expect(await cheap.verify(hash, `${stem}x`)).toBe(true);
    expect(await cheap.verify(hash, `${stem}y`)).toBe(false);
    expect(await cheap.verify(hash, stem)).toBe(false);
    expect(await cheap.verify(hash, ` ${stem}x `)).toBe(false);
    // The longest password the API takes at sign-in (1024 characters).
    const longest = "z".repeat(1023);
    expect(await cheap.verify(await cheap.hash(`${longest}1`), `${longest}2`)).toBe(false);
  });
});

describe("verifyDummy", () => {
  it.each([
    ["standard", standard],
    ["test", cheap],
  ] as const)("always returns false, whatever the password (%s cost)", async (_cost, hasher) => {
    await expect(hasher.verifyDummy("anything")).resolves.toBe(false);
    await expect(hasher.verifyDummy("twofold-dummy-password-for-timing")).resolves.toBe(false);
    await expect(hasher.verifyDummy("")).resolves.toBe(false);
  });
});
