// Phone-number helpers shared by the profile page (server) and the phone form (browser). The `min` metadata
// is enough to build E.164 and a preview; whether a number can take a text is the server's call (`max`).
import {
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js/min";

export interface CountryOption {
  code: CountryCode;
  name: string;
  callingCode: string;
}

/**
 * Every country libphonenumber knows, by name. Built on the server and passed to the form as a prop: the
 * browser's ICU may name a region differently from Node's, and option texts must match for hydration.
 */
export function countryOptions(locale = "en"): CountryOption[] {
  const names = new Intl.DisplayNames([locale], { type: "region", fallback: "code" });
  return getCountries()
    .map((code) => ({ code, name: names.of(code) ?? code, callingCode: getCountryCallingCode(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
}

/** The first region named in `Accept-Language` (`en-GB,en;q=0.8` → GB), if libphonenumber knows it; else US. */
export function defaultCountry(acceptLanguage: string | null): CountryCode {
  const known = new Set<string>(getCountries());
  for (const part of (acceptLanguage ?? "").split(",")) {
    const tag = part.split(";")[0]?.trim();
    if (!tag || tag === "*") continue;
    try {
      const region = new Intl.Locale(tag).region;
      if (region && known.has(region)) return region as CountryCode;
    } catch {
      // Not a valid language tag: try the next one.
    }
  }
  return "US";
}

/**
 * The number in E.164 from the picker's country and what was typed. A number typed with its own `+` or `00`
 * prefix wins over the picker (people paste full numbers). `null` when it cannot be a phone number at all.
 */
export function toE164(country: CountryCode, typed: string): string | null {
  const trimmed = typed.trim();
  if (!/\d/.test(trimmed)) return null;
  const international = trimmed.startsWith("+") || trimmed.startsWith("00");
  const parsed = international
    ? parsePhoneNumberFromString(trimmed.replace(/^00/, "+"))
    : parsePhoneNumberFromString(trimmed, country);
  return parsed?.isPossible() ? parsed.number : null;
}

/** `+44 7700 900123` for the "we'll text" preview; `null` until the digits could form a number. */
export function formatPreview(country: CountryCode, typed: string): string | null {
  const e164 = toE164(country, typed);
  return e164 ? (parsePhoneNumberFromString(e164)?.formatInternational() ?? e164) : null;
}

/** A stored E.164 number as its owner reads it: `+44 7700 900123`. */
export function formatPhoneNumber(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** The country a full international number belongs to, for moving the picker when one is pasted. */
export function countryOf(typed: string): CountryCode | null {
  const trimmed = typed.trim();
  if (!trimmed.startsWith("+") && !trimmed.startsWith("00")) return null;
  return parsePhoneNumberFromString(trimmed.replace(/^00/, "+"))?.country ?? null;
}
