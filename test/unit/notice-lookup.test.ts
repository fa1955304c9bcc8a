import { describe, expect, it } from "vitest";
import { ownEntry, securityNotice, signInNotice } from "../../app/lib/lookups";

/**
 * Pen test: `/sign-in?notice=toString` and `/profile?notice=constructor` answered 500: the notice table was a
 * plain object, so the key found Object.prototype's function, which the page then tried to render.
 */

const inherited = [
  "toString",
  "constructor",
  "__proto__",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__defineGetter__",
  "__lookupSetter__",
];

describe("notice lookups", () => {
  it("find the notices by key", () => {
    expect(signInNotice("password-reset")).toMatch(/password was changed/);
    expect(signInNotice("signed-out")).toBe("You're signed out.");
    expect(signInNotice("sign-in-ended")).toMatch(/new code/);
    expect(securityNotice("phone-verified")).toMatch(/phone number is verified/);
  });

  it.each(inherited)("find nothing for the inherited name %s", (key) => {
    expect(signInNotice(key)).toBeUndefined();
    expect(securityNotice(key)).toBeUndefined();
  });

  it("find nothing for a missing, repeated or unknown key", () => {
    for (const key of [undefined, null, "", ["signed-out", "signed-out"], "SIGNED-OUT", "phone-verified ", 42, {}]) {
      expect(signInNotice(key)).toBeUndefined();
    }
    // Each page has its own list.
    expect(signInNotice("phone-verified")).toBeUndefined();
    expect(securityNotice("signed-out")).toBeUndefined();
  });
});

describe("ownEntry", () => {
  const table: Record<string, string> = { sign_in: "Signed in", fieldName: "field-id" };

  it("answers own keys only", () => {
    expect(ownEntry(table, "sign_in")).toBe("Signed in");
    for (const key of inherited) expect(ownEntry(table, key)).toBeUndefined();
  });

  it("works on a table without a prototype, and on a key that was set on the prototype chain", () => {
    const bare = Object.assign(Object.create(null) as Record<string, number>, { one: 1 });
    expect(ownEntry(bare, "one")).toBe(1);
    expect(ownEntry(bare, "toString")).toBeUndefined();
    const child = Object.create({ inheritedKey: "from the parent" }) as Record<string, string>;
    expect(ownEntry(child, "inheritedKey")).toBeUndefined();
  });
});
