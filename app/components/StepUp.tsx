"use client";
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { isTwofoldError, type StepUpState } from "@/src/client";
import { api } from "@/app/lib/api";
import { smsErrorText } from "@/app/lib/messages";
import { useCodeEntry } from "@/app/lib/use-code-entry";
import { Button } from "./Button";
import { CodeField, codeLength } from "./CodeField";
import { FormError } from "./FormError";
import { Notice } from "./Notice";
import { ResendCode } from "./ResendCode";

/**
 * Step-up (API.md, "Step-up"): while two-factor is on, a security change from a session that has not passed a
 * second factor in the last 10 minutes answers 403 `second_factor_required`. `guard` runs the change; on that
 * answer it shows the code prompt inline (`prompt`, rendered by the form next to itself), and once the code is
 * accepted it runs the very same change again, so the password already typed is not asked for twice.
 *
 *   const stepUp = useStepUp("password", "change your password");
 *   await form.run(() => stepUp.guard(() => api.changePassword(…)));
 *   …
 *   <form>…</form>
 *   {stepUp.prompt}
 *
 * `guard` resolves `undefined` without running the change again when the user cancels the prompt.
 */
export function useStepUp(idPrefix: string, purpose: string) {
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
  /** What the code confirms, after "To …": e.g. "change your password". */
  purpose: string;
  onPassed: () => void;
  onCancel: () => void;
}

/**
 * The inline "enter the code we texted you" box. It texts the code as soon as it appears (the user has just
 * asked for the change; one click fewer), reuses a code sent less than a minute ago (the API's cooldown), and
 * follows the same rules as the sign-in code: attempts left, resend countdown, dead code → ask for a new one.
 */
export function StepUp({ idPrefix, purpose, onPassed, onCancel }: StepUpProps) {
  const headingId = useId();
  const entry = useCodeEntry<StepUpState>({
    initial: null,
    verify: async (code) => {
      await api.stepUp(code, "sms");
      onPassed();
      // Stay pending: the change is being made again now, and this prompt goes away when it has answered.
      return "navigating";
    },
    send: () => api.sendStepUpCode({ method: "sms" }),
    current: () => api.getStepUp(),
    goneCodes: ["challenge_expired"],
  });
  const { out: sent, code, setCode, codeError, dead, blocked, form, sendForm, input } = entry;
  // One text per prompt, even under React's development double effects.
  const started = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the prompt appears, whatever changes later
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    // Once, when the prompt appears: the user has just asked for the change.
    void entry.sendCode(false);
  }, []);

  // "To change your password, enter the code…": the prompt names the change it unlocks.
  const description: ReactNode = sent ? (
    <>
      To {purpose}, enter the <span className="nowrap">{codeLength}-digit</span> code we just texted to{" "}
      {sent.phoneHint ? <strong className="nowrap">{sent.phoneHint}</strong> : "your phone"}.
    </>
  ) : sendForm.pending ? (
    <>To {purpose}, we&apos;re texting a code to your phone…</>
  ) : (
    <>To {purpose}, we need to text a code to your phone.</>
  );

  return (
    <form
      method="post"
      onSubmit={(event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        void entry.submit(code);
      }}
      className="alert alert-info"
      aria-labelledby={headingId}
    >
      <div>
        <h3 id={headingId} style={{ margin: "0 0 0.35rem", fontSize: "1rem" }}>
          Confirm it&apos;s you
        </h3>
        <p className="small" style={{ margin: 0 }}>
          {description}
        </p>
      </div>
      <FormError error={form.error} ref={form.errorRef} message={smsErrorText(form.error)} />
      <FormError error={sendForm.error} ref={sendForm.errorRef} message={smsErrorText(sendForm.error)} />
      <Notice>{entry.sentAgain && <p>New code sent. Earlier codes no longer work.</p>}</Notice>
      {dead && (
        <p className="field-error small" role="alert" style={{ margin: 0, color: "var(--danger)", fontWeight: 500 }}>
          {dead === "attempts"
            ? "Too many wrong codes. Send a new code to try again."
            : "This code has expired. Send a new code to try again."}
        </p>
      )}
      <CodeField
        id={`${idPrefix}-step-up-code`}
        ref={input}
        value={code}
        onChange={setCode}
        hint={entry.attemptsHint}
        error={codeError ?? undefined}
        disabled={blocked || dead !== null}
      />
      <div className="form-row">
        <Button
          type="submit"
          pending={form.pending}
          pendingText="Confirming…"
          disabled={blocked || dead !== null || sent === null}
        >
          Confirm
        </Button>
        <Button variant="secondary" onClick={onCancel} disabled={form.pending}>
          Cancel
        </Button>
      </div>
      <ResendCode entry={entry} />
    </form>
  );
}
