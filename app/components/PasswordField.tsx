"use client";
import { type ChangeEvent, type ComponentProps, useEffect, useState } from "react";
import { passwordHint } from "../lib/password-hint";
import { Field } from "./Field";

type PasswordFieldProps = Omit<ComponentProps<typeof Field>, "type" | "inputAction" | "below" | "describedBy"> & {
  autoComplete: "current-password" | "new-password";
  /** A password being chosen (sign-up, reset, change): a live hint says what would make it weak. */
  strengthHint?: boolean;
};

/**
 * Every password input of the app: masked, with a "Show password" button (typing a long passphrase blind on a
 * phone is where typos come from), and on new passwords a strength hint that explains itself. The autocomplete
 * token stays as given, so password managers still know which field is which.
 */
export function PasswordField({ id, strengthHint = false, onChange, ...field }: PasswordFieldProps) {
  const [visible, setVisible] = useState(false);
  const [value, setValue] = useState("");
  const hint = strengthHint ? passwordHint(value) : null;

  useEffect(() => {
    // Masked again when the form is sent or reset: a shown password must not stay on screen for the next person,
    // and browsers offer to save only what was typed into a password-type field.
    const mask = (event: Event) => {
      if ((event.target as Element).contains(document.getElementById(id))) {
        setVisible(false);
        if (event.type === "reset") setValue("");
      }
    };
    document.addEventListener("submit", mask, true);
    document.addEventListener("reset", mask, true);
    return () => {
      document.removeEventListener("submit", mask, true);
      document.removeEventListener("reset", mask, true);
    };
  }, [id]);

  return (
    <Field
      id={id}
      {...field}
      // Only the button switches the type; every other attribute (autocomplete, name, length) stays.
      type={visible ? "text" : "password"}
      autoCapitalize="none"
      autoCorrect="off"
      spellCheck={false}
      onChange={(event: ChangeEvent<HTMLInputElement>) => {
        if (strengthHint) setValue(event.target.value);
        onChange?.(event);
      }}
      inputAction={
        <button
          type="button"
          className="password-toggle"
          aria-controls={id}
          aria-pressed={visible}
          onClick={() => setVisible((shown) => !shown)}
          disabled={field.disabled}
        >
          {visible ? "Hide" : "Show"}
          <span className="visually-hidden"> password</span>
        </button>
      }
      describedBy={hint ? `${id}-strength` : undefined}
      below={
        hint && (
          // Polite: read when the user pauses, and only when the verdict changes (the text does not count keys).
          <p className={`password-strength strength-${hint.strength}`} id={`${id}-strength`} aria-live="polite">
            <span className="strength-meter" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            <span className="strength-text">{hint.text}</span>
          </p>
        )
      }
    />
  );
}
