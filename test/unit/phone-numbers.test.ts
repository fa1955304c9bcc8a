import { describe, expect, it } from "vitest";
import { checkPhoneNumber } from "../../src/core/phone-numbers";

describe("checkPhoneNumber", () => {
  it("normalises to E.164 whatever the spacing", () => {
    expect(checkPhoneNumber("+1 (415) 555-2671", null)).toEqual({ ok: true, e164: "+14155552671", country: "US" });
    expect(checkPhoneNumber(" +44 7400 123456 ", null)).toEqual({ ok: true, e164: "+447400123456", country: "GB" });
    expect(checkPhoneNumber("+90 532 123 45 67", null)).toEqual({ ok: true, e164: "+905321234567", country: "TR" });
  });

  it("refuses what is not a valid international number", () => {
    for (const input of [
      "",
      "12345",
      "4155552671",
      "+1 415",
      "+999 123 456 789",
      "not a number",
      "+1".padEnd(40, "5"),
    ]) {
      expect(checkPhoneNumber(input, null)).toMatchObject({ ok: false, code: "invalid_phone" });
    }
  });

  it("refuses numbers known not to take texts (fixed line, premium rate, toll free)", () => {
    expect(checkPhoneNumber("+44 20 7183 8750", null)).toMatchObject({ ok: false, code: "invalid_phone" }); // London landline
    expect(checkPhoneNumber("+90 212 345 67 89", null)).toMatchObject({ ok: false, code: "invalid_phone" }); // Istanbul landline
    expect(checkPhoneNumber("+44 909 879 0000", null)).toMatchObject({ ok: false, code: "invalid_phone" }); // UK premium rate
    expect(checkPhoneNumber("+1 800 555 0199", null)).toMatchObject({ ok: false, code: "invalid_phone" }); // US toll free
  });

  it("keeps North American numbers, whose plan does not tell mobile from fixed", () => {
    expect(checkPhoneNumber("+1 201 555 0123", null)).toMatchObject({ ok: true });
  });

  it("refuses countries outside the allow-list before anything is sent", () => {
    expect(checkPhoneNumber("+447400123456", ["US", "CA"])).toMatchObject({ ok: false, code: "unsupported_country" });
    expect(checkPhoneNumber("+14155552671", ["US", "CA"])).toMatchObject({ ok: true, country: "US" });
  });
});
