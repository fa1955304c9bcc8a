"use client";
import { useState, type FormEvent } from "react";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "./Button";
import { Field } from "./Field";
import { FormError } from "./FormError";
import { Notice } from "./Notice";

interface ResendVerificationProps {
  /** Prefills the address; with `hideEmail` the form is a single button for that address. */
  email?: string;
  hideEmail?: boolean;
  idPrefix: string;
  /**
   * Set only where the account is known to exist and be unverified (sign-in answered email_not_verified after
   * a correct password), so the confirmation can be plain instead of hedged.
   */
  knownUnverified?: boolean;
}

/** "Send the link again". The API answers the same for unknown addresses, and so does this form. */
export function ResendVerification({
  email = "",
  hideEmail = false,
  idPrefix,
  knownUnverified = false,
}: ResendVerificationProps) {
  const form = useForm();
  const [sentTo, setSentTo] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const address = hideEmail ? email : String(new FormData(event.currentTarget).get("email") ?? "").trim();
    setSentTo(null);
    await form.run(async () => {
      await api.resendVerification({ email: address });
      setSentTo(address);
    });
  }

  return (
    <form method="post" onSubmit={onSubmit} aria-label="Resend verification email">
      <FormError error={form.error} ref={form.errorRef} fieldIds={{ email: `${idPrefix}-email` }} />
      {!hideEmail && (
        <Field
          id={`${idPrefix}-email`}
          name="email"
          type="email"
          label="Email"
          defaultValue={email}
          autoComplete="email"
          required
          spellCheck={false}
          error={form.fieldError("email")}
        />
      )}
      <div>
        <Button type="submit" variant="secondary" pending={form.pending} pendingText="Sending…">
          Resend verification email
        </Button>
      </div>
      <Notice>
        {sentTo && (
          <p>
            {knownUnverified
              ? `A new link is on its way to ${sentTo}.`
              : `If ${sentTo} has an account waiting for verification, a new link is on its way.`}
          </p>
        )}
      </Notice>
    </form>
  );
}
