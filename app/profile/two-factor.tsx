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
 * way asks for the password: the API refuses without it, and so does this card.
 */
export function TwoFactorSettings({ user }: { user: Pick<User, "phoneNumber" | "phoneVerified" | "twoFactor"> }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  // A notice describes one state; once the state moves on (the phone was removed above), it no longer applies.
  const [notice, setNotice] = useState<{ text: ReactNode; on: boolean } | null>(null);
  const [refreshing, startRefresh] = useTransition();
  const on = user.twoFactor.sms;
  // Turning off must stay possible even if the number somehow became unverified.
  const canSwitch = on || user.phoneVerified;

  async function confirm(currentPassword: string) {
    await api.setSmsTwoFactor({ enabled: !on, currentPassword });
    setConfirming(false);
    setNotice({
      on: !on,
      // The masked number stays on one line (at 375 px it would otherwise break between its dots).
      text: on ? (
        "Two-factor sign-in is off. Your password alone now signs you in."
      ) : (
        <>
          Two-factor sign-in is on. From now on we&apos;ll text a code to <span className="nowrap">{user.phoneNumber ?? "your phone"}</span> when you sign in.
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
        <p>After your password, we text a code to your phone. Someone who learns your password still can&apos;t get in.</p>
      </header>
      <div className="stack-tight">
        {!canSwitch && (
          <p className="muted small" id="two-factor-why" style={{ margin: 0 }}>
            {user.phoneNumber ? "Verify your phone number above to turn this on." : "Add a phone number above and enter the code we text it, then turn this on."}
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
          >
            <p className="small" style={{ margin: 0 }}>
              {on ? "Sign-ins will no longer ask for a code." : <>Sign-ins will ask for a code sent to <span className="nowrap strong">{user.phoneNumber}</span>.</>} Enter your password to confirm.
            </p>
          </PasswordConfirm>
        ) : (
          <div>
            <Button
              variant={on ? "danger" : "primary"}
              disabled={!canSwitch || refreshing}
              aria-describedby={canSwitch ? undefined : "two-factor-why"}
              onClick={() => {
                setNotice(null);
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
