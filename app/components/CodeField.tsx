"use client";
import type { ClipboardEvent, ReactNode, Ref } from "react";

export const codeLength = 6;

interface CodeFieldProps {
  id: string;
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
export function CodeField({ id, value, onChange, hint, error, disabled, ref }: CodeFieldProps) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(" ") || undefined;
  const digits = (text: string) => text.replace(/\D/g, "").slice(0, codeLength);

  function onPaste(event: ClipboardEvent<HTMLInputElement>) {
    event.preventDefault();
    onChange(digits(event.clipboardData.getData("text")));
  }

  return (
    <div className="field">
      <label htmlFor={id}>Verification code</label>
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
