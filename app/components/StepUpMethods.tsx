"use client";
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from "react";
import type { StepUpState, TwoFactorMethod } from "@/src/client";
import { api } from "@/app/lib/api";
import { cannotTextText, passkeyAssertion } from "@/app/lib/second-factor";
import { smsErrorText } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { Button } from "./Button";
import { codeLength } from "./CodeField";
import { FormError } from "./FormError";
import { Notice } from "./Notice";
import { ResendCode } from "./ResendCode";
import { type CodeMethod, FactorCodeField, OtherWays, useFactorCode } from "./SecondFactor";

interface MethodProps {
  idPrefix: string;
  purpose: string;
  methods: TwoFactorMethod[];
  onPassed: () => void;
  onCancel: () => void;
  onSwitch: (method: TwoFactorMethod) => void;
}

interface FrameProps {
  description: ReactNode;
  onSubmit?: () => void;
  children?: ReactNode;
  /** The method's own buttons; Cancel follows them. */
  actions?: ReactNode;
  cancelDisabled?: boolean;
  onCancel: () => void;
  /** Below the buttons: resend, other ways. */
  after?: ReactNode;
}

/** The box every method shares: a form named "Confirm it's you", what it is for, the method, Cancel. */
function StepUpFrame({ description, onSubmit, children, actions, cancelDisabled, onCancel, after }: FrameProps) {
  const headingId = useId();
  return (
    <form
      method="post"
      onSubmit={(event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        onSubmit?.();
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
      {children}
      <div className="form-row">
        {actions}
        <Button variant="secondary" onClick={onCancel} disabled={cancelDisabled}>
          Cancel
        </Button>
      </div>
      {after}
    </form>
  );
}

/** While the prompt finds out which second factors the account has. */
export function StepUpWaiting({ purpose, onCancel }: { purpose: string; onCancel: () => void }) {
  return <StepUpFrame description={<>To {purpose}, confirm it&apos;s you…</>} onCancel={onCancel} />;
}

function otherWays(props: MethodProps, current: TwoFactorMethod, phoneHint: string | null, open = false) {
  return (
    <OtherWays
      methods={props.methods}
      current={current}
      phoneHint={phoneHint}
      onChoose={props.onSwitch}
      defaultOpen={open}
    />
  );
}

/**
 * The texted code. It goes out as soon as this method shows (the user has just asked for the change; one click
 * fewer), a code sent less than a minute ago is reused (the API's cooldown), and it follows the sign-in code's
 * rules: attempts left, resend countdown, dead code → ask for a new one.
 */
export function StepUpSms(props: MethodProps) {
  const { idPrefix, purpose, methods, onPassed, onCancel } = props;
  const entry = useFactorCode<StepUpState>("sms", {
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
  const { out: sent, dead, blocked, form, sendForm } = entry;
  // One text per prompt, even under React's development double effects.
  const started = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the prompt appears, whatever changes later
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    void entry.sendCode(false);
  }, []);

  const others = methods.length > 1;
  const cannotText = sent === null ? cannotTextText(sendForm.error, others) : undefined;
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
    <StepUpFrame
      description={description}
      onSubmit={() => void entry.submit(entry.code)}
      onCancel={onCancel}
      cancelDisabled={form.pending}
      actions={
        <Button
          type="submit"
          pending={form.pending}
          pendingText="Confirming…"
          disabled={blocked || dead !== null || sent === null}
        >
          Confirm
        </Button>
      }
      after={
        <>
          <ResendCode entry={entry} />
          {otherWays(props, "sms", sent?.phoneHint ?? null, cannotText !== undefined)}
        </>
      }
    >
      <FormError error={form.error} ref={form.errorRef} message={smsErrorText(form.error)} />
      <FormError error={sendForm.error} ref={sendForm.errorRef} message={cannotText ?? smsErrorText(sendForm.error)} />
      <Notice>{entry.sentAgain && <p>New code sent. Earlier codes no longer work.</p>}</Notice>
      {dead && (
        <p className="field-error small" role="alert" style={{ margin: 0, color: "var(--danger)", fontWeight: 500 }}>
          {dead === "attempts"
            ? "Too many wrong codes. Send a new code to try again."
            : "This code has expired. Send a new code to try again."}
        </p>
      )}
      <FactorCodeField method="sms" id={`${idPrefix}-step-up-code`} entry={entry} disabled={blocked || dead !== null} />
    </StepUpFrame>
  );
}

const codeDescriptions: Record<Exclude<CodeMethod, "sms">, (purpose: string) => ReactNode> = {
  totp: (purpose) => (
    <>
      To {purpose}, enter the <span className="nowrap">{codeLength}-digit</span> code from your authenticator app.
    </>
  ),
  recovery_code: (purpose) => <>To {purpose}, enter one of your recovery codes. Each code works once.</>,
};

/** A code nobody sends: the authenticator app's, or a recovery code. */
export function StepUpCode(props: MethodProps & { method: Exclude<CodeMethod, "sms"> }) {
  const { idPrefix, purpose, method, onPassed, onCancel } = props;
  const entry = useFactorCode(method, {
    // Nothing goes out and nothing to look up: the account's wrong-code budget is the API's to report.
    initial: { resendAt: null, expiresAt: "", attemptsLeft: null },
    verify: async (code) => {
      await api.stepUpWith({ method, code });
      onPassed();
      return "navigating";
    },
    goneCodes: [],
  });
  const { form, blocked } = entry;
  return (
    <StepUpFrame
      description={codeDescriptions[method](purpose)}
      onSubmit={() => void entry.submit(entry.code)}
      onCancel={onCancel}
      cancelDisabled={form.pending}
      actions={
        <Button type="submit" pending={form.pending} pendingText="Confirming…" disabled={blocked}>
          Confirm
        </Button>
      }
      after={otherWays(props, method, null)}
    >
      <FormError error={form.error} ref={form.errorRef} message={smsErrorText(form.error)} />
      <FactorCodeField method={method} id={`${idPrefix}-step-up-code`} entry={entry} disabled={blocked} />
    </StepUpFrame>
  );
}

/** A passkey: the options come from the step-up send (a fresh WebAuthn challenge), the assertion goes back. */
export function StepUpPasskey(props: MethodProps) {
  const { purpose, onPassed, onCancel } = props;
  const form = useForm();

  async function confirmWithPasskey() {
    await form.run(async () => {
      const { passkeyOptions } = await api.sendStepUpCode({ method: "passkey" });
      if (!passkeyOptions) throw new Error("step-up send answered without passkey options");
      await api.stepUpWith({ method: "passkey", response: await passkeyAssertion(passkeyOptions) });
      onPassed();
      return "navigating";
    });
  }

  return (
    <StepUpFrame
      description={<>To {purpose}, use your passkey.</>}
      onSubmit={() => void confirmWithPasskey()}
      onCancel={onCancel}
      cancelDisabled={form.pending}
      actions={
        <Button type="submit" pending={form.pending} pendingText="Waiting for your passkey…">
          Use your passkey
        </Button>
      }
      after={otherWays(props, "passkey", null)}
    >
      <FormError error={form.error} ref={form.errorRef} />
    </StepUpFrame>
  );
}
