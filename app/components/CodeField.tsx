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
 * The one-time code input: numeric keypad on phones, SMS autofill (`one-time-code`), digits only. Pasting
 * "123 456" or "Your code: 123456" keeps the digits: with `maxlength` the browser would otherwise cut the
 * pasted text before we could clean it.
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
  const digits = (text: string) => text.replace(/\D/g, "").slice(0, codeLength);

  function onPaste(event: ClipboardEvent<HTMLInputElement>) {
    event.preventDefault();
    onChange(digits(event.clipboardData.getData("text")));
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
        maxLength={codeLength}
        autoComplete="one-time-code"
        // The page exists to take this code: put the cursor there, as the other forms do with their first field.
        // biome-ignore lint/a11y/noAutofocus: the code is the page's only task (see above)
        autoFocus
        spellCheck={false}
        required
        value={value}
        onChange={(event) => onChange(digits(event.target.value))}
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
