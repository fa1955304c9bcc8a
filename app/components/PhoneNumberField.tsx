"use client";
import { useState } from "react";
import type { CountryCode } from "libphonenumber-js/min";
import { countryOf, formatPreview, type CountryOption } from "@/app/lib/phone";

interface PhoneNumberFieldProps {
  idPrefix: string;
  countries: CountryOption[];
  defaultCountry: CountryCode;
  error?: string;
  disabled?: boolean;
  /** Focus the country picker on mount: for a form that opens from a button, which then is gone. */
  autoFocus?: boolean;
}

/**
 * Country picker and national number, as two labelled native controls (a flag-only picker hides its choice
 * from anyone who can't see the flag). The form reads `country` and `nationalNumber` and builds E.164 with
 * `toE164`; the preview below shows the exact number we will text, so a wrong country is caught before a code
 * goes to a stranger.
 */
export function PhoneNumberField({
  idPrefix,
  countries,
  defaultCountry,
  error,
  disabled,
  autoFocus,
}: PhoneNumberFieldProps) {
  const [country, setCountry] = useState<CountryCode>(defaultCountry);
  const [typed, setTyped] = useState("");
  const preview = formatPreview(country, typed);
  const ids = {
    country: `${idPrefix}-country`,
    number: `${idPrefix}-number`,
    hint: `${idPrefix}-hint`,
    error: `${idPrefix}-error`,
  };
  const describedBy = [ids.hint, error && ids.error].filter(Boolean).join(" ");

  // A full number pasted or autofilled with its `+` moves the picker to its country.
  function onNumberChange(value: string) {
    setTyped(value);
    const detected = countryOf(value);
    if (detected && countries.some((option) => option.code === detected)) setCountry(detected);
  }

  return (
    <div className="phone-field">
      <div className="field">
        <label htmlFor={ids.country}>Country</label>
        <select
          id={ids.country}
          name="country"
          value={country}
          onChange={(event) => setCountry(event.target.value as CountryCode)}
          disabled={disabled}
          // biome-ignore lint/a11y/noAutofocus: only where the caller's page exists to take a number (opt-in prop)
          autoFocus={autoFocus}
        >
          {countries.map((option) => (
            <option key={option.code} value={option.code}>
              {option.name} (+{option.callingCode})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.number}>Mobile number</label>
        <input
          id={ids.number}
          name="nationalNumber"
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          required
          maxLength={32}
          value={typed}
          onChange={(event) => onNumberChange(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          disabled={disabled}
        />
      </div>
      <span className="hint phone-preview" id={ids.hint}>
        {preview ? (
          <>
            We&apos;ll text a code to <span className="mono">{preview}</span>.
          </>
        ) : (
          "A mobile number that can receive text messages. Message and data rates may apply."
        )}
      </span>
      {error && (
        <span className="field-error" id={ids.error}>
          {error}
        </span>
      )}
    </div>
  );
}
