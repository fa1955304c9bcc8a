import { describe, expect, it } from "vitest";
import { maskPhoneNumber, normalizeEmail, presentSession, presentUser } from "../../src/core/present";
import type { Session, User } from "../../src/core/types";

function user(overrides: Partial<User> = {}): User {
  return {
    id: "user_123",
    email: "ada@example.com",
    emailVerifiedAt: new Date("2030-01-02T00:00:00Z"),
    name: "Ada Lovelace",
    avatarVersion: 0,
    phoneNumber: null,
    codeEntryBlockedUntil: null,
    phoneVerifiedAt: null,
    twoFactorSms: false,
    twoFactorTotp: false,
    passkeyCount: 0,
    recoveryCodesLeft: 0,
    webauthnUserId: null,
    credentialsVersion: 1,
    createdAt: new Date("2030-01-01T12:00:00Z"),
    updatedAt: new Date("2030-01-03T00:00:00Z"),
    ...overrides,
  };
}

describe("maskPhoneNumber", () => {
  it("masks a US number down to its country code and last four digits", () => {
    expect(maskPhoneNumber("+14155554567")).toBe("+1 ••• ••• 4567");
  });

  it.each([
    ["+447700900123", "+44 ••• ••• 0123"], // United Kingdom
    ["+33612345678", "+33 ••• ••• 5678"], // France: 11 digits, 2-digit country code
    ["+4915123456789", "+49 ••• ••• 6789"], // Germany
    ["+353871234567", "+353 ••• ••• 4567"], // Ireland: 3-digit country code
    ["+8613812345678", "+86 ••• ••• 5678"], // China
    ["+79161234567", "+7 ••• ••• 4567"], // Russia: 1-digit country code, 11 digits
    ["+61412345678", "+61 ••• ••• 5678"], // Australia
  ])("keeps the real country code of %s", (e164, masked) => {
    expect(maskPhoneNumber(e164)).toBe(masked);
  });

  it("never reveals more than the last four national digits", () => {
    const masked = maskPhoneNumber("+447700900123");
    expect(masked).not.toContain("7700");
    expect(masked).not.toContain("900");
    expect(masked.replace(/\D/g, "")).toBe("440123");
  });
});

describe("normalizeEmail", () => {
  it("trims and lower-cases", () => {
    expect(normalizeEmail("  Ada@Example.COM \n")).toBe("ada@example.com");
  });
});

describe("presentUser", () => {
  it("has the API shape, with no secrets or internal fields", () => {
    expect(presentUser(user())).toEqual({
      id: "user_123",
      email: "ada@example.com",
      emailVerified: true,
      name: "Ada Lovelace",
      avatarUrl: null,
      phoneNumber: null,
      phoneNumberFull: null,
      phoneVerified: false,
      twoFactor: { sms: false, totp: false, passkeys: 0, recoveryCodesLeft: 0 },
      createdAt: "2030-01-01T12:00:00.000Z",
    });
  });

  it("reports an unverified email", () => {
    expect(presentUser(user({ emailVerifiedAt: null })).emailVerified).toBe(false);
  });

  it("has no avatar URL when avatarVersion ≤ 0 (none yet, or removed)", () => {
    expect(presentUser(user({ avatarVersion: 0 })).avatarUrl).toBeNull();
    expect(presentUser(user({ avatarVersion: -3 })).avatarUrl).toBeNull();
  });

  it("versions the avatar URL so it can be cached forever", () => {
    expect(presentUser(user({ avatarVersion: 4 })).avatarUrl).toBe("/api/users/user_123/avatar?v=4");
  });

  it("masks the phone number, and gives it in full only to its signed-in owner", () => {
    const owner = presentUser(user({ phoneNumber: "+14155554567", phoneVerifiedAt: new Date() }));
    expect(owner.phoneNumber).toBe("+1 ••• ••• 4567");
    expect(owner.phoneNumberFull).toBe("+14155554567");
    expect(owner.phoneVerified).toBe(true);

    const linkHolder = presentUser(user({ phoneNumber: "+14155554567", phoneVerifiedAt: new Date() }), "link-holder");
    expect(linkHolder.phoneNumber).toBe("+1 ••• ••• 4567");
    expect(linkHolder.phoneNumberFull).toBeNull();
    expect(JSON.stringify(linkHolder)).not.toContain("4155554567");
  });

  it("reports SMS two-factor only with a verified phone", () => {
    expect(
      presentUser(user({ twoFactorSms: true, phoneNumber: "+14155554567", phoneVerifiedAt: new Date() })).twoFactor.sms,
    ).toBe(true);
    expect(
      presentUser(user({ twoFactorSms: true, phoneNumber: "+14155554567", phoneVerifiedAt: null })).twoFactor.sms,
    ).toBe(false);
    expect(
      presentUser(user({ twoFactorSms: false, phoneNumber: "+14155554567", phoneVerifiedAt: new Date() })).twoFactor
        .sms,
    ).toBe(false);
  });
});

describe("presentSession", () => {
  it("exposes only ids, times and the assurance level (never the secret hash, IP or agent)", () => {
    const session: Session = {
      id: "sess_1",
      secretHash: Buffer.alloc(32, 1),
      userId: "user_123",
      secondFactorAt: null,
      assuranceLevel: 2,
      createdAt: new Date("2030-01-01T00:00:00Z"),
      lastSeenAt: new Date("2030-01-01T01:00:00Z"),
      expiresAt: new Date("2030-01-31T00:00:00Z"),
      ip: "203.0.113.7",
      userAgent: "curl/8",
    };
    expect(presentSession(session, new Date("2030-01-08T01:00:00Z"))).toEqual({
      id: "sess_1",
      createdAt: "2030-01-01T00:00:00.000Z",
      lastSeenAt: "2030-01-01T01:00:00.000Z",
      expiresAt: "2030-01-08T01:00:00.000Z",
      assuranceLevel: 2,
      secondFactorAt: null,
    });
  });
});
