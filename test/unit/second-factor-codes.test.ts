import { describe, expect, it } from "vitest";
import { normalizeRecoveryCode } from "../../src/core/recovery-codes";
import { matchTotpStep, newTotpSecret, openTotpSecret, sealTotpSecret, totpUri } from "../../src/core/totp";

const config = { config: { secret: Buffer.alloc(32, 7), appName: "Twofold" } } as never;
const at = (seconds: number) => ({ ...(config as object), now: () => new Date(seconds * 1000) }) as never;

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", whose 8-digit codes end in these 6 digits.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

describe("authenticator-app codes (RFC 6238)", () => {
  it("matches the RFC's test vectors and names the step each code belongs to", () => {
    expect(matchTotpStep(at(59), RFC_SECRET, "287082")).toBe(1);
    expect(matchTotpStep(at(1111111109), RFC_SECRET, "081804")).toBe(37037036);
    expect(matchTotpStep(at(1234567890), RFC_SECRET, "005924")).toBe(41152263);
    expect(matchTotpStep(at(2000000000), RFC_SECRET, "279037")).toBe(66666666);
  });

  it("takes one step of drift either side, and nothing that is not six digits", () => {
    expect(matchTotpStep(at(59 + 30), RFC_SECRET, "287082")).toBe(1);
    expect(matchTotpStep(at(59 - 30), RFC_SECRET, "287082")).toBe(1);
    expect(matchTotpStep(at(59 + 60), RFC_SECRET, "287082")).toBeNull();
    for (const junk of ["28708", "2870822", "28708a", " 287082", ""])
      expect(matchTotpStep(at(59), RFC_SECRET, junk)).toBeNull();
  });

  it("makes 160-bit secrets, sealed so the stored bytes are not the secret", () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const sealed = sealTotpSecret(config, secret);
    expect(sealed.toString("latin1")).not.toContain(secret);
    expect(openTotpSecret(config, sealed)).toBe(secret);
    expect(totpUri(config, secret, "ada@example.com")).toBe(
      `otpauth://totp/Twofold:ada%40example.com?issuer=Twofold&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    );
  });
});

describe("recovery codes as typed", () => {
  it("ignores case, spaces and dashes, and reads o as 0 and i or l as 1 (Crockford)", () => {
    expect(normalizeRecoveryCode("ABCD-EFGH-JKMN")).toBe("abcd-efgh-jkmn");
    expect(normalizeRecoveryCode(" abcd efgh jkmn ")).toBe("abcd-efgh-jkmn");
    expect(normalizeRecoveryCode("abcdefghjkmn")).toBe("abcd-efgh-jkmn");
    expect(normalizeRecoveryCode("o0il-1234-5678")).toBe("0011-1234-5678");
  });

  it("refuses what cannot be a code before anything is hashed", () => {
    for (const junk of ["", "abcd-efgh", "abcd-efgh-jkmn-p", "abcd-efgh-jkmu", "abcd_efgh_jkmn", "äbcd-efgh-jkmn"])
      expect(normalizeRecoveryCode(junk)).toBeNull();
  });
});
