"use client";
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { attemptsLeftOf, isTwofoldError, type StepUpState } from "@/src/client";
import { api } from "@/app/lib/api";
import { smsErrorText, toTwofoldError } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { formatClock, secondsUntil, useNow } from "@/app/lib/use-now";
import { receiveSmsCode } from "@/app/lib/web-otp";
import { Button } from "./Button";
import { CodeField, codeLength } from "./CodeField";
import { FormError } from "./FormError";
import { Notice } from "./Notice";

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

// The API's wrong-code budget per step-up: below it, the prompt says how many tries are left.
const attemptsPerChallenge = 5;

interface StepUpProps {
  idPrefix: string;
  /** What the code confirms, after "To …": e.g. "change your password". */
  purpose: string;
  onPassed: () => void;
  onCancel: () => void;
}

type Sent = Pick<StepUpState, "phoneHint" | "attemptsLeft"> & { codeExpiresAt: string };

/**
 * The inline "enter the code we texted you" box. It texts the code as soon as it appears (the user has just
 * asked for the change; one click fewer), reuses a code sent less than a minute ago (the API's cooldown), and
 * follows the same rules as the sign-in code: attempts left, resend countdown, dead code → ask for a new one.
 */
export function StepUp({ idPrefix, purpose, onPassed, onCancel }: StepUpProps) {
  const now = useNow();
  const headingId = useId();
  const [sent, setSent] = useState<Sent | null>(null);
  // When the API takes the next send (its 60 s cooldown, or the Retry-After of a refused send).
  const [resendAt, setResendAt] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [codeError, setCodeError] = useState<string | null>(null);
  // The code can no longer be used (expired, or out of attempts): only a new one helps.
  const [dead, setDead] = useState<string | null>(null);
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const [sentAgain, setSentAgain] = useState(false);
  const form = useForm();
  const sendForm = useForm();
  const input = useRef<HTMLInputElement>(null);
  // One text per prompt, even under React's development double effects.
  const started = useRef(false);

  const resendIn = secondsUntil(resendAt, now);
  const codeExpired = sent !== null && secondsUntil(sent.codeExpiresAt, now) === 0;
  const blocked = blockedUntil !== null && (now === null || now < blockedUntil);

  function accept(state: StepUpState) {
    setSent({ phoneHint: state.phoneHint, attemptsLeft: state.attemptsLeft, codeExpiresAt: state.codeExpiresAt ?? state.expiresAt });
    setResendAt(state.resendAt);
  }

  async function send(again: boolean) {
    setSentAgain(false);
    await sendForm.run(async () => {
      try {
        accept(await api.sendStepUpCode({ method: "sms" }));
        setDead(null);
        setCode("");
        setCodeError(null);
        if (again) setSentAgain(true);
        input.current?.focus();
      } catch (caught) {
        const error = toTwofoldError(caught);
        // A code went out less than a minute ago (a second prompt, or a reload): it still works, show its state.
        if (error.code === "resend_too_soon") {
          const open = await api.getStepUp().catch(() => null);
          if (open) return accept(open);
        }
        // Our clock and the server's may differ: its Retry-After restarts the countdown from its own clock.
        if (error.retryAfterSeconds) setResendAt(new Date(Date.now() + error.retryAfterSeconds * 1000).toISOString());
        throw error;
      }
    });
  }

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    // Once, when the prompt appears: the user has just asked for the change.
    void send(false);
  }, []);

  async function submit(value: string) {
    setSentAgain(false);
    setCodeError(null);
    if (value.length !== codeLength) {
      setCodeError(`Enter the ${codeLength}-digit code from the text message.`);
      input.current?.focus();
      return;
    }
    await form.run(async () => {
      try {
        await api.stepUp(value, "sms");
      } catch (caught) {
        const error = toTwofoldError(caught);
        if (error.code === "invalid_code") {
          const left = attemptsLeftOf(error);
          setCode("");
          if (left === 0) return setDead("Too many wrong codes. Send a new code to try again.");
          if (left !== null && sent) setSent({ ...sent, attemptsLeft: left });
          setCodeError(left === null ? "That code isn't right. Check the latest text and try again." : `That code isn't right. ${attemptsText(left)} left.`);
          input.current?.focus();
          return;
        }
        if (error.code === "challenge_expired" || error.status === 410) {
          setCode("");
          return setDead("This code has expired. Send a new code to try again.");
        }
        if (error.code === "too_many_attempts") setBlockedUntil(Date.now() + (error.retryAfterSeconds ?? 3600) * 1000);
        throw error;
      }
      onPassed();
      // Stay pending: the change is being made again now, and this prompt goes away when it has answered.
      return "navigating";
    });
  }

  // WebOTP: where the browser can read the code from the text, it fills and submits it.
  const latestSubmit = useRef(submit);
  useEffect(() => {
    latestSubmit.current = submit;
  });
  useEffect(() => {
    if (!sent || dead) return;
    const controller = new AbortController();
    void receiveSmsCode(controller.signal).then((received) => {
      const digits = received?.replace(/\D/g, "").slice(0, codeLength);
      if (!digits || controller.signal.aborted) return;
      setCode(digits);
      void latestSubmit.current(digits);
    });
    return () => controller.abort();
  }, [sent, dead]);

  // "To change your password, enter the code…": the prompt names the change it unlocks.
  const description: ReactNode = sent ? (
    <>
      To {purpose}, enter the <span className="nowrap">{codeLength}-digit</span> code we just texted to {sent.phoneHint ? <strong className="nowrap">{sent.phoneHint}</strong> : "your phone"}.
    </>
  ) : sendForm.pending ? (
    <>To {purpose}, we&apos;re texting a code to your phone…</>
  ) : (
    <>To {purpose}, we need to text a code to your phone.</>
  );
  const attemptsHint =
    !blocked && !codeError && !dead && sent && sent.attemptsLeft < attemptsPerChallenge ? `${attemptsText(sent.attemptsLeft)} left.` : undefined;

  return (
    <form method="post" onSubmit={(event: FormEvent<HTMLFormElement>) => (event.preventDefault(), void submit(code))} className="alert alert-info" aria-labelledby={headingId}>
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
      <Notice>{sentAgain && <p>New code sent. Earlier codes no longer work.</p>}</Notice>
      {dead && (
        <p className="field-error small" role="alert" style={{ margin: 0, color: "var(--danger)", fontWeight: 500 }}>
          {dead}
        </p>
      )}
      <CodeField id={`${idPrefix}-step-up-code`} ref={input} value={code} onChange={setCode} hint={attemptsHint} error={codeError ?? undefined} disabled={blocked || dead !== null} />
      <div className="form-row">
        <Button type="submit" pending={form.pending} pendingText="Confirming…" disabled={blocked || dead !== null || sent === null}>
          Confirm
        </Button>
        <Button variant="secondary" onClick={onCancel} disabled={form.pending}>
          Cancel
        </Button>
      </div>
      <div className="resend">
        <p className="muted small">{codeExpired && !dead ? "This code has expired. Ask for a new one." : "Didn't get a text? It can take a minute."}</p>
        <Button variant="secondary" size="small" onClick={() => send(true)} pending={sendForm.pending && sent !== null} pendingText="Sending…" disabled={blocked || resendIn === null || (resendIn > 0 && !dead)}>
          {resendIn && !blocked && !dead ? `Send a new code in ${formatClock(resendIn)}` : "Send a new code"}
        </Button>
      </div>
    </form>
  );
}

function attemptsText(left: number): string {
  return `${left} attempt${left === 1 ? "" : "s"}`;
}
