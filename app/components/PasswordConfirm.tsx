"use client";
import type { FormEvent, ReactNode } from "react";
import { smsErrorText } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { PasswordField } from "./PasswordField";
import { FormError } from "./FormError";
import { StepUpSubmit, useStepUp } from "./StepUp";

interface PasswordConfirmProps {
  idPrefix: string;
  /** What is about to happen, above the password field. */
  children?: ReactNode;
  submitLabel: string;
  pendingText: string;
  variant?: "primary" | "danger";
  onConfirm: (currentPassword: string) => Promise<void | "navigating">;
  onCancel: () => void;
  /** After "so to …" in the step-up prompt (shown when the API answers `second_factor_required`). */
  stepUpPurpose?: string;
}

/**
 * "Enter your password to …": security settings ask for it again, so a borrowed unlocked laptop or a stolen
 * session cookie is not enough to switch two-factor off or move it to another phone. While two-factor is on
 * the API may also want a texted code (step-up): the prompt appears below, and the change is then made with the
 * password already entered.
 */
export function PasswordConfirm({
  idPrefix,
  children,
  submitLabel,
  pendingText,
  variant = "primary",
  onConfirm,
  onCancel,
  stepUpPurpose = "confirm this change",
}: PasswordConfirmProps) {
  const form = useForm({ codeFields: { invalid_credentials: "currentPassword" } });
  const stepUp = useStepUp(idPrefix, stepUpPurpose);
  const passwordId = `${idPrefix}-password`;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const password = String(new FormData(event.currentTarget).get("currentPassword") ?? "");
    await form.run(() => stepUp.guard(() => onConfirm(password)));
  }

  return (
    <>
      <form method="post" onSubmit={onSubmit} className="confirm" aria-label={submitLabel}>
        <FormError
          error={form.error}
          ref={form.errorRef}
          fieldIds={{ currentPassword: passwordId }}
          message={smsErrorText(form.error)}
        />
        {children}
        <PasswordField
          id={passwordId}
          name="currentPassword"
          label="Current password"
          autoComplete="current-password"
          required
          autoFocus
          error={form.fieldError("currentPassword")}
        />
        <div className="form-row">
          <StepUpSubmit
            waiting={stepUp.active}
            pending={form.pending}
            label={submitLabel}
            pendingText={pendingText}
            variant={variant}
            onCancel={onCancel}
          />
        </div>
      </form>
      {stepUp.prompt}
    </>
  );
}
