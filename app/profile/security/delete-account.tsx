"use client";
import { useState } from "react";
import { api } from "@/app/lib/api";
import { Button } from "@/app/components/Button";
import { PasswordConfirm } from "@/app/components/PasswordConfirm";

/**
 * The danger zone: deleting the account for good. Two deliberate steps (open, then type the password), the
 * step-up prompt when two-factor is on (PasswordConfirm), and afterwards the home page says it happened. The
 * API ends every session and emails the address (src/core/delete-account.ts).
 */
export function DeleteAccount() {
  const [confirming, setConfirming] = useState(false);

  async function onConfirm(currentPassword: string) {
    await api.deleteAccount({ currentPassword });
    // A full load, not router.push: every cached page of the signed-in user must go with the session.
    window.location.assign("/?notice=account-deleted");
    return "navigating" as const;
  }

  return (
    <section className="card card-danger" id="delete-account" aria-labelledby="delete-account-title">
      <header>
        <h2 id="delete-account-title">Delete account</h2>
        <p>
          Deletes your account and everything in it: your profile, sign-in methods, passkeys and recovery codes. Every
          device is signed out. This can&apos;t be undone.
        </p>
      </header>
      {confirming ? (
        <PasswordConfirm
          idPrefix="delete-account"
          submitLabel="Delete my account"
          pendingText="Deleting…"
          variant="danger"
          onConfirm={onConfirm}
          onCancel={() => setConfirming(false)}
          stepUpPurpose="delete your account"
        >
          <p className="small flush">
            Enter your password to delete your account for good. We&apos;ll send a last email to confirm it.
          </p>
        </PasswordConfirm>
      ) : (
        <div>
          <Button variant="danger" onClick={() => setConfirming(true)}>
            Delete account…
          </Button>
        </div>
      )}
    </section>
  );
}
