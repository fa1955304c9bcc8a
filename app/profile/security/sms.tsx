"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition, type ReactNode } from "react";
import type { User } from "@/src/client";
import { api } from "@/app/lib/api";
import { formatPhoneNumber } from "@/app/lib/phone";
import { Button } from "@/app/components/Button";
import { Notice } from "@/app/components/Notice";
import { PasswordConfirm } from "@/app/components/PasswordConfirm";
import { RecoveryCodesPanel } from "./recovery-codes";

type SmsUser = Pick<User, "email" | "phoneNumber" | "phoneNumberFull" | "phoneVerified" | "twoFactor">;

/**
 * The text-message method inside the two-factor card. It stays off (and disabled) until the phone is verified,
 * and flipping it either way asks for the password: the API refuses without it, and so does this card. When it
 * is the first second factor, turning it on is turning two-factor on: it offers to sign the other sessions out
 * (ticked by default) and brings the recovery codes. While two-factor is on, the API may also want a second
 * factor (step-up, shown by PasswordConfirm) before either change.
 */
export function SmsTwoFactor({ user }: { user: SmsUser }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  // Turning it on signs the other sessions out unless unticked: they never passed the new factor.
  const [signOutOthers, setSignOutOthers] = useState(true);
  // A notice describes one state; once the state moves on (the phone was removed above), it no longer applies.
  const [notice, setNotice] = useState<{ text: ReactNode; on: boolean } | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [refreshing, startRefresh] = useTransition();
  const on = user.twoFactor.sms;
  // Whether this switch turns two-factor sign-in itself on or off: no other second factor is set up.
  const onlyFactor = !user.twoFactor.totp && !Number(user.twoFactor.passkeys);
  // Turning off must stay possible even if the number somehow became unverified.
  const canSwitch = on || user.phoneVerified;
  // The owner's own page: their number in full (masked only where others may see it: emails, texts, sign-in).
  const number = user.phoneNumberFull ? formatPhoneNumber(user.phoneNumberFull) : user.phoneNumber;
  const phone = <span className="nowrap">{number ?? "your phone"}</span>;

  async function confirm(currentPassword: string) {
    const result = await api.setSmsTwoFactor(
      on
        ? { enabled: false, currentPassword }
        : { enabled: true, currentPassword, signOutOthers: onlyFactor && signOutOthers },
    );
    setConfirming(false);
    setRecoveryCodes(result.recoveryCodes ?? null);
    setNotice({ on: !on, text: noticeText() });
    startRefresh(() => router.refresh());
  }

  function noticeText(): ReactNode {
    if (on)
      return onlyFactor
        ? "Two-factor sign-in is off. Your password alone now signs you in."
        : "Text message codes are off. Sign-ins ask for your other second factors.";
    // The masked number stays on one line (at 375 px it would otherwise break between its dots).
    return onlyFactor ? (
      <>
        Two-factor sign-in is on. From now on we&apos;ll text a code to {phone} when you sign in.
        {signOutOthers ? " Your other sessions were signed out." : ""}
      </>
    ) : (
      <>Text message codes are on. Sign-ins can also use a code texted to {phone}.</>
    );
  }

  const switchWord = onlyFactor ? "two-factor" : "text message codes";
  return (
    <section className="method" id="sms" aria-labelledby="sms-title">
      <div className="method-head">
        <div>
          <h3 id="sms-title">
            Text message{" "}
            <span className={on ? "badge success" : "badge off"}>
              <span className="visually-hidden">is </span>
              {on ? "On" : "Off"}
            </span>
          </h3>
          <p className="muted small">
            A code texted to your phone. Handy, but a text can be delayed or intercepted; an app or a passkey is safer.
          </p>
        </div>
        {!confirming && !recoveryCodes && (
          <Button
            variant={on ? "danger" : "primary"}
            size="small"
            disabled={!canSwitch || refreshing}
            aria-describedby={canSwitch ? undefined : "sms-why"}
            onClick={() => {
              setNotice(null);
              setSignOutOthers(true);
              setConfirming(true);
            }}
          >
            {on ? "Turn off" : "Turn on"}
          </Button>
        )}
      </div>
      {!canSwitch && (
        <p className="muted small flush" id="sms-why">
          {user.phoneNumber
            ? "Verify your phone number above to turn this on."
            : "Add a phone number above and enter the code we text it, then turn this on."}
        </p>
      )}
      {confirming && (
        <PasswordConfirm
          idPrefix="two-factor"
          submitLabel={on ? `Turn off ${switchWord}` : `Turn on ${switchWord}`}
          pendingText={on ? "Turning off…" : "Turning on…"}
          variant={on ? "danger" : "primary"}
          onConfirm={confirm}
          onCancel={() => setConfirming(false)}
          stepUpPurpose={
            on
              ? `turn ${onlyFactor ? "two-factor sign-in" : "text message codes"} off`
              : `turn ${onlyFactor ? "two-factor sign-in" : "text message codes"} on`
          }
        >
          <p className="small flush">
            {on ? (
              onlyFactor ? (
                "Sign-ins will no longer ask for a code."
              ) : (
                "Sign-ins will no longer offer a texted code."
              )
            ) : (
              <>
                Sign-ins will {onlyFactor ? "ask" : "be able to ask"} for a code sent to{" "}
                <span className="nowrap strong">{number}</span>.
              </>
            )}{" "}
            Enter your password to confirm.
          </p>
          {!on && onlyFactor && (
            <div className="checkbox-row small">
              <input
                id="two-factor-sign-out-others"
                type="checkbox"
                name="signOutOthers"
                checked={signOutOthers}
                onChange={(event) => setSignOutOthers(event.target.checked)}
                aria-describedby="two-factor-sign-out-others-hint"
              />
              <div>
                <label htmlFor="two-factor-sign-out-others" className="strong">
                  Sign out all other sessions
                </label>
                <div className="muted" id="two-factor-sign-out-others-hint">
                  They signed in without a code. Any you keep must confirm with a code before changing security
                  settings.
                </div>
              </div>
            </div>
          )}
        </PasswordConfirm>
      )}
      <Notice>{notice?.on === on && <p>{notice.text}</p>}</Notice>
      {recoveryCodes && (
        <RecoveryCodesPanel codes={recoveryCodes} accountEmail={user.email} onDone={() => setRecoveryCodes(null)}>
          <p>
            If your phone is lost or out of signal, a recovery code gets you in instead. Better still, also add an
            authenticator app or a passkey: they work without signal and can&apos;t be intercepted.
          </p>
        </RecoveryCodesPanel>
      )}
    </section>
  );
}
