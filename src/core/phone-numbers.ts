import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/max";

export type PhoneNumberCheck =
  | { ok: true; e164: string; country: CountryCode | null }
  | { ok: false; code: "invalid_phone" | "unsupported_country"; message: string };

// Numbers that cannot receive a text. FIXED_LINE_OR_MOBILE (most of North America) stays allowed: the
// numbering plan does not tell, and refusing it would refuse every US and Canadian user.
const NOT_SMS_CAPABLE = new Set([
  "FIXED_LINE",
  "PREMIUM_RATE",
  "SHARED_COST",
  "TOLL_FREE",
  "UAN",
  "VOICEMAIL",
  "PAGER",
]);

/**
 * Parses, normalises and screens a number before any provider is paid to text it. Premium-rate and fixed-line
 * numbers are the usual targets of SMS pumping, and countries outside SMS_ALLOWED_COUNTRIES are refused here,
 * with no provider call at all.
 */
export function checkPhoneNumber(input: string, allowedCountries: readonly string[] | null): PhoneNumberCheck {
  const parsed = input.length <= 32 ? parsePhoneNumberFromString(input.trim()) : undefined;
  if (!parsed?.isValid() || !input.trim().startsWith("+")) {
    return {
      ok: false,
      code: "invalid_phone",
      message: "Enter a valid mobile number in international format, e.g. +1 415 555 2671.",
    };
  }
  const type = parsed.getType();
  if (type && NOT_SMS_CAPABLE.has(type)) {
    return {
      ok: false,
      code: "invalid_phone",
      message: "This number cannot receive text messages. Use a mobile number.",
    };
  }
  const country = parsed.country ?? null;
  if (allowedCountries && (!country || !allowedCountries.includes(country))) {
    return { ok: false, code: "unsupported_country", message: "We can't send text messages to this country." };
  }
  return { ok: true, e164: parsed.number, country };
}
