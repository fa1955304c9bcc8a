import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { homeNotice, ownEntry, profileNotice, securityNotice, signInNotice } from "../../app/lib/lookups";

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
    // Issue 12: the confirmations after signing out, a session ended elsewhere, and a verified address.
    expect(homeNotice("signed-out")).toBe("You're signed out.");
    expect(signInNotice("session-ended")).toMatch(/^You were signed out/);
    expect(profileNotice("email-verified")).toMatch(/email address is verified/);
  });

  it.each(inherited)("find nothing for the inherited name %s", (key) => {
    expect(signInNotice(key)).toBeUndefined();
    expect(securityNotice(key)).toBeUndefined();
    expect(homeNotice(key)).toBeUndefined();
    expect(profileNotice(key)).toBeUndefined();
  });

  it("has every key a page redirects to, in the table of the page it lands on", () => {
    // Each `?notice=` link in the app, found in the source, must name a key of the target page's table.
    const sources = readdirSync("app", { recursive: true, encoding: "utf8" })
      .filter((file) => /\.tsx?$/.test(file))
      .map((file) => readFileSync(join("app", file), "utf8"));
    const lookups = {
      "/": homeNotice,
      "/sign-in": signInNotice,
      "/profile": profileNotice,
      "/profile/security": securityNotice,
    };
    let found = 0;
    for (const source of sources)
      for (const [, path, key] of source.matchAll(/["`](\/[a-z/-]*)\?notice=([a-z-]+)["`]/g)) {
        const lookup = lookups[path as keyof typeof lookups];
        expect(lookup, `no notices on ${path}`).toBeDefined();
        expect(lookup!(key), `${path}?notice=${key}`).toBeDefined();
        found++;
      }
    expect(found).toBeGreaterThan(3);
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
