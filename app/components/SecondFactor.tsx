"use client";
import { useId, useState } from "react";
import type { TwoFactorMethod } from "@/src/client";
import { methodName, recoveryCodeProblem } from "@/app/lib/second-factor";
import { type CodeEntry, type CodeEntryOptions, type CodeOut, useCodeEntry } from "@/app/lib/use-code-entry";
import { Button } from "./Button";
import { CodeField, codeLength, RecoveryCodeField } from "./CodeField";

/** The methods proved with a typed code (a passkey is proved by the browser instead). */
export type CodeMethod = Exclude<TwoFactorMethod, "passkey">;

const codeRules: Record<CodeMethod, Pick<CodeEntryOptions<CodeOut>, "check" | "retryHint" | "webOtp">> = {
  // The defaults: 6 digits from a text, WebOTP on.
  sms: {},
  totp: {
    check: (code) => (code.length === codeLength ? null : `Enter the ${codeLength}-digit code your app shows now.`),
    retryHint: "Enter the code your app shows now.",
    webOtp: false,
  },
  recovery_code: { check: recoveryCodeProblem, retryHint: "Check the code and try again.", webOtp: false },
};

/**
 * `useCodeEntry` with the rules of `method`'s code: its format check, its wrong-code hint, WebOTP only for texts.
 * Every method spends the same wrong-answer budget, so the entry's attempts and dead states apply to all.
 */
export function useFactorCode<Out extends CodeOut>(method: CodeMethod, options: CodeEntryOptions<Out>) {
  return useCodeEntry<Out>({ ...codeRules[method], ...options });
}

/** The input for `method`'s code: six digits (texted, or from an authenticator app) or a recovery code. */
export function FactorCodeField({
  method,
  id,
  entry,
  disabled,
}: {
  method: CodeMethod;
  id: string;
  entry: CodeEntry;
  disabled?: boolean;
}) {
  const Field = method === "recovery_code" ? RecoveryCodeField : CodeField;
  return (
    <Field
      id={id}
      ref={entry.input}
      value={entry.code}
      onChange={entry.setCode}
      hint={entry.attemptsHint}
      error={entry.codeError ?? undefined}
      disabled={disabled}
    />
  );
}

interface OtherWaysProps {
  /** Every method on offer, the current one included (it is left out of the list). */
  methods: readonly TwoFactorMethod[];
  current: TwoFactorMethod;
  phoneHint: string | null;
  onChoose: (method: TwoFactorMethod) => void;
  /** The method being started (SMS is texted on choosing it): its button says so, the others wait. */
  starting?: TwoFactorMethod | null;
  /** Open from the start, e.g. when the first step cannot be used (SMS could not be sent). */
  defaultOpen?: boolean;
}

/** "Use another way": the other second factors, in words ("Text a code to +1 ••• ••• 0123", "Passkey"…). */
export function OtherWays({ methods, current, phoneHint, onChoose, starting, defaultOpen = false }: OtherWaysProps) {
  const [open, setOpen] = useState(defaultOpen);
  const listId = useId();
  const others = methods.filter((method) => method !== current);
  if (others.length === 0) return null;
  return (
    <div>
      <button
        type="button"
        className="link-button small"
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen(!open)}
      >
        Use another way
      </button>
      {open && (
        <ul className="other-ways" id={listId} aria-label="Other ways to confirm it's you">
          {others.map((method) => (
            <li key={method}>
              <Button
                variant="secondary"
                onClick={() => onChoose(method)}
                pending={starting === method}
                pendingText="Sending a code…"
                disabled={starting != null && starting !== method}
              >
                {methodName(method, phoneHint)}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** "Don't ask again on this browser for 30 days": sent as `trustDevice` with a sign-in's second step. */
export function TrustBrowserBox({
  id,
  checked,
  onChange,
}: {
  id: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <div className="checkbox-row small">
      <input
        id={id}
        type="checkbox"
        name="trustDevice"
        checked={checked}
        onChange={(event) => onChange(event.target.checked)}
        aria-describedby={`${id}-hint`}
      />
      <div>
        <label htmlFor={id} className="strong">
          Don&apos;t ask again on this browser for 30 days
        </label>
        <div className="muted" id={`${id}-hint`}>
          Only on a browser you alone use. Your password will still be needed.
        </div>
      </div>
    </div>
  );
}
