"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition, type ReactNode } from "react";
import type { User } from "@/src/client";
import { api } from "@/app/lib/api";
import { Button } from "@/app/components/Button";
import { Notice } from "@/app/components/Notice";
import { PasswordConfirm } from "@/app/components/PasswordConfirm";

/**
 * The SMS two-factor switch. It stays off (and disabled) until the phone is verified, and flipping it either
 * way asks for the password: the API refuses without it, and so does this card. Turning it on offers to sign the
 * other sessions out (ticked by default); while it is on, the API may also want a texted code (step-up, shown by
 * PasswordConfirm) before either change.
 */
export function TwoFactorSettings({ user }: { user: Pick<User, "phoneNumber" | "phoneVerified" | "twoFactor"> }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  // Turning it on signs the other sessions out unless unticked: they never passed the new factor.
  const [signOutOthers, setSignOutOthers] = useState(true);
  // A notice describes one state; once the state moves on (the phone was removed above), it no longer applies.
  const [notice, setNotice] = useState<{ text: ReactNode; on: boolean } | null>(null);
  const [refreshing, startRefresh] = useTransition();
  const on = user.twoFactor.sms;
  // Turning off must stay possible even if the number somehow became unverified.
  const canSwitch = on || user.phoneVerified;

  async function confirm(currentPassword: string) {
    await api.setSmsTwoFactor(
      on ? { enabled: false, currentPassword } : { enabled: true, currentPassword, signOutOthers },
    );
    setConfirming(false);
    setNotice({
      on: !on,
      // The masked number stays on one line (at 375 px it would otherwise break between its dots).
      text: on ? (
        "Two-factor sign-in is off. Your password alone now signs you in."
      ) : (
        <>
          Two-factor sign-in is on. From now on we&apos;ll text a code to{" "}
          <span className="nowrap">{user.phoneNumber ?? "your phone"}</span> when you sign in.
          {signOutOthers ? " Your other sessions were signed out." : ""}
        </>
      ),
    });
    startRefresh(() => router.refresh());
  }

  return (
    <section className="card" id="two-factor" aria-labelledby="two-factor-title">
      <header>
        <h2 id="two-factor-title">
          Two-factor sign-in{" "}
          <span className={on ? "badge success" : "badge off"}>
            <span className="visually-hidden">is </span>
            {on ? "On" : "Off"}
          </span>
        </h2>
        <p>
          After your password, we text a code to your phone. Someone who learns your password still can&apos;t get in.
        </p>
      </header>
      <div className="stack-tight">
        {!canSwitch && (
          <p className="muted small" id="two-factor-why" style={{ margin: 0 }}>
            {user.phoneNumber
              ? "Verify your phone number above to turn this on."
              : "Add a phone number above and enter the code we text it, then turn this on."}
          </p>
        )}
        {confirming ? (
          <PasswordConfirm
            idPrefix="two-factor"
            submitLabel={on ? "Turn off two-factor" : "Turn on two-factor"}
            pendingText={on ? "Turning off…" : "Turning on…"}
            variant={on ? "danger" : "primary"}
            onConfirm={confirm}
            onCancel={() => setConfirming(false)}
            stepUpPurpose={on ? "turn two-factor sign-in off" : "turn two-factor sign-in on"}
          >
            <p className="small" style={{ margin: 0 }}>
              {on ? (
                "Sign-ins will no longer ask for a code."
              ) : (
                <>
                  Sign-ins will ask for a code sent to <span className="nowrap strong">{user.phoneNumber}</span>.
                </>
              )}{" "}
              Enter your password to confirm.
            </p>
            {!on && (
              <div className="small" style={{ display: "flex", gap: "0.5rem", alignItems: "flex-start" }}>
                <input
                  id="two-factor-sign-out-others"
                  type="checkbox"
                  name="signOutOthers"
                  checked={signOutOthers}
                  onChange={(event) => setSignOutOthers(event.target.checked)}
                  aria-describedby="two-factor-sign-out-others-hint"
                  style={{ marginTop: "0.2rem", width: "1rem", height: "1rem", flex: "none" }}
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
        ) : (
          <div>
            <Button
              variant={on ? "danger" : "primary"}
              disabled={!canSwitch || refreshing}
              aria-describedby={canSwitch ? undefined : "two-factor-why"}
              onClick={() => {
                setNotice(null);
                setSignOutOthers(true);
                setConfirming(true);
              }}
            >
              {on ? "Turn off" : "Turn on"}
            </Button>
          </div>
        )}
        <Notice>{notice?.on === on && <p>{notice.text}</p>}</Notice>
      </div>
    </section>
  );
}
