"use client";
import type { ClipboardEvent, ReactNode, Ref } from "react";

export const codeLength = 6;

interface CodeFieldProps {
  id: string;
  /** "Verification code" unless said otherwise. */
  label?: string;
  value: string;
  onChange: (digits: string) => void;
  hint?: ReactNode;
  error?: string;
  disabled?: boolean;
  ref?: Ref<HTMLInputElement>;
}

/**
 * The code in whatever reached the field: typed digits, "123 456" or "123-456" pasted, or a whole SMS ("Your
 * Twofold code is 123456. It expires in 5 minutes." — other numbers in it included). A group of six digits wins;
 * otherwise the digits, at most six.
 * Runs on every change, so typing digit by digit works as usual.
 */
export function codeFromText(text: string): string {
  // Six digits in a row first: in "for +1 555 123 4567: 123456" the spaced "555 123" is not the code.
  const run = text.match(/(?<!\d)\d{6}(?!\d)/) ?? text.match(/(?<!\d[ \u00a0-]?)\d{3}[ \u00a0-]\d{3}(?![ \u00a0-]?\d)/);
  if (run) return run[0].replace(/\D/g, "");
  return text.replace(/\D/g, "").slice(0, codeLength);
}

/**
 * The one-time code input: numeric keypad on phones, SMS autofill (`one-time-code`), digits only. No `maxlength`:
 * the browser would cut a pasted, dropped or autofilled "123 456" or SMS text before we could clean it; the
 * value is cleaned on every change instead.
 */
export function CodeField({
  id,
  label = "Verification code",
  value,
  onChange,
  hint,
  error,
  disabled,
  ref,
}: CodeFieldProps) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  function onPaste(event: ClipboardEvent<HTMLInputElement>) {
    // The pasted text alone, not merged into what was already typed: a whole SMS replaces the field.
    event.preventDefault();
    onChange(codeFromText(event.clipboardData.getData("text")));
  }

  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      <input
        ref={ref}
        id={id}
        name="code"
        type="text"
        className="code-input"
        inputMode="numeric"
        pattern="[0-9]*"
        autoComplete="one-time-code"
        // The page exists to take this code: put the cursor there, as the other forms do with their first field.
        // biome-ignore lint/a11y/noAutofocus: the code is the page's only task (see above)
        autoFocus
        spellCheck={false}
        required
        value={value}
        onChange={(event) => onChange(codeFromText(event.target.value))}
        onPaste={onPaste}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        disabled={disabled}
      />
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

/**
 * A recovery code (`abcd-efgh-jkmn`): letters and digits, so the ordinary keyboard, no SMS autofill and no
 * autocomplete (a password manager has nothing to offer, and a used code must not be suggested again).
 */
export function RecoveryCodeField({ id, value, onChange, hint, error, disabled, ref }: Omit<CodeFieldProps, "label">) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>Recovery code</label>
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      <input
        ref={ref}
        id={id}
        name="recoveryCode"
        type="text"
        className="code-input recovery-code-input"
        autoComplete="off"
        autoCapitalize="none"
        autoCorrect="off"
        // biome-ignore lint/a11y/noAutofocus: the code is the step's only task, as with the texted code
        autoFocus
        spellCheck={false}
        required
        placeholder="xxxx-xxxx-xxxx"
        value={value}
        // Letters, digits and dashes (pasted spaces and line breaks go); the server ignores case and dashes.
        onChange={(event) => onChange(event.target.value.replace(/[^A-Za-z0-9-]/g, "").slice(0, 20))}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        disabled={disabled}
      />
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}
