"use client";
import { useEffect, useEffectEvent, useRef, useState } from "react";
import { attemptsLeftOf, type TwofoldError } from "@/src/client";
import { codeLength } from "@/app/components/CodeField";
import { toTwofoldError } from "./messages";
import { useForm } from "./use-form";
import { secondsUntil, useNow } from "./use-now";
import { receiveSmsCode } from "./web-otp";

// The API's wrong-code budget per challenge (issue 4): below it, the entry says how many tries are left.
const attemptsPerChallenge = 5;

/** A texted code that is out, as the API reports it on sending, resending or looking it up. */
export interface CodeOut {
  /** When the API takes the next send (its 60 s cooldown). */
  resendAt: string | null;
  /** The end of the whole challenge. */
  expiresAt: string;
  /** The end of this code (earlier than `expiresAt`), when the API says. */
  codeExpiresAt?: string | null;
  /** Wrong codes the challenge still takes, when the API says (a resend's answer does not). */
  attemptsLeft?: number | null;
}

/** Why a code can no longer be used: its wrong-code budget is spent, or it (or its challenge) is gone. */
export type CodeDeath = "attempts" | "expired";

export interface CodeEntryOptions<Out extends CodeOut> {
  /** The code already out when the entry opens; `null` while the first one is still to be sent. */
  initial: Out | null;
  /** Resolves (or returns "navigating") on the right code; throws the API's error otherwise. */
  verify: (code: string) => Promise<void | "navigating">;
  /** Texts a (new) code; left out for codes nobody sends (an authenticator app's, a recovery code). */
  send?: () => Promise<Out>;
  /**
   * The code already out, for a send refused with `resend_too_soon` (it still works): its state is shown instead
   * of an error. Without it such a refusal only restarts the countdown.
   */
  current?: () => Promise<Out>;
  /** Error codes that mean the code can never be entered again, besides any 410. */
  goneCodes: readonly string[];
  /**
   * What is wrong with a code before it is sent (nothing: `null`); by default, anything but 6 digits. An incomplete
   * code is caught here without spending one of the challenge's attempts.
   */
  check?: (code: string) => string | null;
  /** After "That code isn't right." when the API does not say how many tries are left. */
  retryHint?: string;
  /** Listen for the code in an incoming text (WebOTP). Off for codes that never come by text. */
  webOtp?: boolean;
}

const textedCodeProblem = (code: string) =>
  code.length === codeLength ? null : `Enter the ${codeLength}-digit code from the text message.`;

/**
 * "Enter the code we texted you", as state: one set of rules for every texted code (sign-in, phone verification,
 * step-up). Wrong codes count down, a dead code stops the entry, an account paused for too many wrong codes
 * blocks it, resends wait for the cooldown, and WebOTP fills and submits the code where the browser can.
 */
export function useCodeEntry<Out extends CodeOut>({
  initial,
  verify,
  send,
  current,
  goneCodes,
  check = textedCodeProblem,
  retryHint = "Check the latest text and try again.",
  webOtp = true,
}: CodeEntryOptions<Out>) {
  const now = useNow();
  const [out, setOut] = useState(initial);
  const [resendAt, setResendAt] = useState(initial?.resendAt ?? null);
  const [attemptsLeft, setAttemptsLeft] = useState(initial?.attemptsLeft ?? null);
  const [code, setCode] = useState("");
  const [codeError, setCodeError] = useState<string | null>(null);
  const [dead, setDead] = useState<CodeDeath | null>(null);
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const [sentAgain, setSentAgain] = useState(false);
  // Bumped per code shown, so WebOTP listens for that code's text.
  const [otpRound, setOtpRound] = useState(0);
  const form = useForm();
  const sendForm = useForm();
  const input = useRef<HTMLInputElement>(null);

  const resendIn = secondsUntil(resendAt, now);
  const codeExpired = out !== null && secondsUntil(out.codeExpiresAt ?? out.expiresAt, now) === 0;
  const blocked = blockedUntil !== null && (now === null || now < blockedUntil);
  const isGone = (error: TwofoldError) => goneCodes.includes(error.code) || error.status === 410;

  function show(next: Out) {
    setOut(next);
    setResendAt(next.resendAt);
    // A resend's answer has no count: the budget is the challenge's, and what is spent stays spent.
    if (next.attemptsLeft !== undefined) setAttemptsLeft(next.attemptsLeft);
    setOtpRound((round) => round + 1);
  }

  async function submit(value: string) {
    setSentAgain(false);
    setCodeError(null);
    const problem = check(value);
    if (problem) {
      setCodeError(problem);
      input.current?.focus();
      return;
    }
    await form.run(async () => {
      try {
        return await verify(value);
      } catch (caught) {
        const error = toTwofoldError(caught);
        if (error.code === "invalid_code") {
          const left = attemptsLeftOf(error);
          setCode("");
          if (left === 0) return setDead("attempts");
          setAttemptsLeft(left);
          setCodeError(
            left === null
              ? `That code isn't right. ${retryHint}`
              : `That code isn't right. ${attemptsText(left)} left.`,
          );
          input.current?.focus();
          return;
        }
        if (isGone(error)) {
          setCode("");
          return setDead("expired");
        }
        if (error.code === "too_many_attempts") setBlockedUntil(Date.now() + (error.retryAfterSeconds ?? 3600) * 1000);
        throw error;
      }
    });
  }

  /** Texts a code; `again` (a resend the user asked for) also says that earlier codes stopped working. */
  async function sendCode(again: boolean) {
    if (!send) return;
    setSentAgain(false);
    await sendForm.run(async () => {
      try {
        show(await send());
        setDead(null);
        setCode("");
        setCodeError(null);
        if (again) setSentAgain(true);
        input.current?.focus();
      } catch (caught) {
        const error = toTwofoldError(caught);
        if (isGone(error)) return setDead("expired");
        // A code went out less than a minute ago (a second prompt, or a reload): it still works, show its state.
        if (error.code === "resend_too_soon" && current) {
          const open = await current().catch(() => null);
          if (open) return show(open);
        }
        // Our clock and the server's may differ: its Retry-After restarts the countdown from its own clock.
        if (error.retryAfterSeconds) setResendAt(new Date(Date.now() + error.retryAfterSeconds * 1000).toISOString());
        if (error.code === "resend_too_soon" && !current) return;
        throw error;
      }
    });
  }

  // WebOTP: where the browser can read the code from the text, it fills and submits it. Restarted per new code.
  const submitReceived = useEffectEvent((digits: string) => {
    setCode(digits);
    void submit(digits);
  });
  const listening = webOtp && out !== null && !dead;
  // biome-ignore lint/correctness/useExhaustiveDependencies: otpRound re-arms WebOTP for each new code sent
  useEffect(() => {
    if (!listening) return;
    const controller = new AbortController();
    void receiveSmsCode(controller.signal).then((received) => {
      const digits = received?.replace(/\D/g, "").slice(0, codeLength);
      if (!digits || controller.signal.aborted) return;
      submitReceived(digits);
    });
    return () => controller.abort();
  }, [otpRound, listening]);

  const attemptsHint =
    !blocked && !codeError && !dead && attemptsLeft !== null && attemptsLeft < attemptsPerChallenge
      ? `${attemptsText(attemptsLeft)} left.`
      : undefined;

  return {
    out,
    code,
    setCode,
    codeError,
    attemptsHint,
    dead,
    blocked,
    codeExpired,
    resendIn,
    sentAgain,
    form,
    sendForm,
    input,
    submit,
    sendCode,
  };
}

export type CodeEntry = ReturnType<typeof useCodeEntry>;

function attemptsText(left: number): string {
  return `${left} attempt${left === 1 ? "" : "s"}`;
}
