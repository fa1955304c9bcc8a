"use client";
import { useEffect, useState } from "react";
import { isTwofoldError, type TwoFactorMethod } from "@/src/client";
import { api } from "@/app/lib/api";
import { methodsOf } from "@/app/lib/second-factor";
import { Button } from "./Button";
import { StepUpCode, StepUpPasskey, StepUpSms, StepUpWaiting } from "./StepUpMethods";

/**
 * Step-up (API.md, "Step-up"): while two-factor is on, a security change from a session that has not passed a
 * second factor in the last 10 minutes answers 403 `second_factor_required`. `guard` runs the change; on that
 * answer it shows the prompt inline (`prompt`, rendered by the form next to itself) with the account's first
 * second factor (passkey, app, text, recovery code; "Use another way" switches), and once that is passed it runs
 * the very same change again, so the password already typed is not asked for twice.
 *
 *   const stepUp = useStepUp("password", "change your password");
 *   await form.run(() => stepUp.guard(() => api.changePassword(…)));
 *   …
 *   <form>…</form>
 *   {stepUp.prompt}
 *
 * `guard` resolves `undefined` without running the change again when the user cancels the prompt. `methods`
 * (e.g. `methodsOf(user.twoFactor)`) saves the prompt asking the API which factors the account has.
 */
export function useStepUp(idPrefix: string, purpose: string, options: { methods?: TwoFactorMethod[] } = {}) {
  // The resolver of the change waiting for a step-up: true once the code is accepted, false on cancel.
  const [waiting, setWaiting] = useState<((passed: boolean) => void) | null>(null);

  async function guard<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (caught) {
      if (!isTwofoldError(caught, "second_factor_required")) throw caught;
    }
    const passed = await new Promise<boolean>((resolve) => setWaiting(() => resolve));
    if (!passed) return undefined;
    try {
      // Once: a second `second_factor_required` (10 minutes went by, or another step-up rule) shows as an error.
      return await action();
    } finally {
      // The prompt stays (saying "Confirming…") until the change itself has answered.
      setWaiting(null);
    }
  }

  const prompt = waiting ? (
    <StepUp
      idPrefix={idPrefix}
      purpose={purpose}
      methods={options.methods}
      onPassed={() => waiting(true)}
      onCancel={() => {
        waiting(false);
        setWaiting(null);
      }}
    />
  ) : null;

  return { guard, prompt, active: waiting !== null };
}

interface StepUpSubmitProps {
  /** `useStepUp(…).active`: the code prompt is open. */
  waiting: boolean;
  /** The form's own pending state. */
  pending: boolean;
  label: string;
  pendingText: string;
  variant?: "primary" | "danger";
  onCancel?: () => void;
}

/**
 * Submit (and Cancel) of a form whose change `useStepUp` guards. While the code prompt is open the change waits
 * for it: the button is not "pending", just unavailable.
 */
export function StepUpSubmit({
  waiting,
  pending,
  label,
  pendingText,
  variant = "primary",
  onCancel,
}: StepUpSubmitProps) {
  return (
    <>
      <Button
        type="submit"
        variant={variant}
        pending={pending && !waiting}
        pendingText={pendingText}
        disabled={waiting}
      >
        {label}
      </Button>
      {onCancel && (
        <Button variant="secondary" onClick={onCancel} disabled={pending}>
          Cancel
        </Button>
      )}
    </>
  );
}

interface StepUpProps {
  idPrefix: string;
  /** What the prompt confirms, after "To …": e.g. "change your password". */
  purpose: string;
  /** The account's second factors in the order offered; asked of the API (the session's user) when left out. */
  methods?: TwoFactorMethod[];
  onPassed: () => void;
  onCancel: () => void;
}

/**
 * The inline "Confirm it's you" box, with any second factor the account has: it opens on the first (passkey,
 * app, text, recovery code) and "Use another way" switches. A text goes out only once SMS is the method shown.
 */
export function StepUp({ idPrefix, purpose, methods: given, onPassed, onCancel }: StepUpProps) {
  const [methods, setMethods] = useState<TwoFactorMethod[] | null>(given?.length ? given : null);
  const [method, setMethod] = useState<TwoFactorMethod | null>(given?.[0] ?? null);

  useEffect(() => {
    if (methods) return;
    let current = true;
    // The session's user says which factors the account has. Should that fail, SMS (the only factor before
    // issue 11) is still the likeliest, and the API's own answer corrects a wrong guess.
    api.getSession().then(
      ({ user }) => {
        if (!current) return;
        const found = methodsOf(user.twoFactor);
        setMethods(found.length > 0 ? found : ["sms"]);
        setMethod(found[0] ?? "sms");
      },
      () => {
        if (!current) return;
        setMethods(["sms"]);
        setMethod("sms");
      },
    );
    return () => {
      current = false;
    };
  }, [methods]);

  if (!methods || !method) return <StepUpWaiting purpose={purpose} onCancel={onCancel} />;
  const props = {
    idPrefix,
    purpose,
    methods,
    onPassed,
    onCancel,
    // Remounted per method: each starts clean (SMS texts its code when it appears).
    onSwitch: setMethod,
  };
  if (method === "sms") return <StepUpSms key="sms" {...props} />;
  if (method === "passkey") return <StepUpPasskey key="passkey" {...props} />;
  return <StepUpCode key={method} method={method} {...props} />;
}
