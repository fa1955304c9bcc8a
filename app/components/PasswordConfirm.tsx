"use client";
import type { FormEvent, ReactNode } from "react";
import { smsErrorText } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { Button } from "./Button";
import { Field } from "./Field";
import { FormError } from "./FormError";

interface PasswordConfirmProps {
  idPrefix: string;
  /** What is about to happen, above the password field. */
  children?: ReactNode;
  submitLabel: string;
  pendingText: string;
  variant?: "primary" | "danger";
  onConfirm: (currentPassword: string) => Promise<void | "navigating">;
  onCancel: () => void;
}

/**
 * "Enter your password to …": security settings ask for it again, so a borrowed unlocked laptop or a stolen
 * session cookie is not enough to switch two-factor off or move it to another phone.
 */
export function PasswordConfirm({ idPrefix, children, submitLabel, pendingText, variant = "primary", onConfirm, onCancel }: PasswordConfirmProps) {
  const form = useForm({ codeFields: { invalid_credentials: "currentPassword" } });
  const passwordId = `${idPrefix}-password`;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get("currentPassword") ?? "");
    await form.run(() => onConfirm(password));
  }

  return (
    <form method="post" onSubmit={onSubmit} className="confirm" aria-label={submitLabel}>
      <FormError error={form.error} ref={form.errorRef} fieldIds={{ currentPassword: passwordId }} message={smsErrorText(form.error)} />
      {children}
      <Field id={passwordId} name="currentPassword" type="password" label="Current password" autoComplete="current-password" required autoFocus error={form.fieldError("currentPassword")} />
      <div className="form-row">
        <Button type="submit" variant={variant} pending={form.pending} pendingText={pendingText}>
          {submitLabel}
        </Button>
        <Button variant="secondary" onClick={onCancel} disabled={form.pending}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
