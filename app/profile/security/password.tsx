"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { PasswordField } from "@/app/components/PasswordField";
import { FormError } from "@/app/components/FormError";
import { Notice } from "@/app/components/Notice";
import { StepUpSubmit, useStepUp } from "@/app/components/StepUp";

const text = (data: FormData, name: string) => String(data.get(name) ?? "");

export function ChangePasswordForm() {
  const router = useRouter();
  const form = useForm({ codeFields: { invalid_credentials: "currentPassword", weak_password: "newPassword" } });
  const [changed, setChanged] = useState(false);
  const [, startRefresh] = useTransition();
  const stepUp = useStepUp("password", "change your password");

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const data = new FormData(formElement);
    setChanged(false);
    await form.run(() =>
      stepUp.guard(async () => {
        await api.changePassword({
          currentPassword: text(data, "currentPassword"),
          newPassword: text(data, "newPassword"),
        });
        setChanged(true);
        formElement.reset();
        // The answer replaced this browser's session cookie (the old session ended with the others, and trusted
        // browsers were forgotten): the refresh renders the page again under the new cookie.
        startRefresh(() => router.refresh());
      }),
    );
  }

  return (
    <div className="stack-tight">
      <form method="post" onSubmit={onSubmit}>
        <FormError
          error={form.error}
          ref={form.errorRef}
          fieldIds={{ currentPassword: "password-current", newPassword: "password-new" }}
        />
        <PasswordField
          id="password-current"
          name="currentPassword"
          label="Current password"
          autoComplete="current-password"
          required
          error={form.fieldError("currentPassword")}
        />
        <PasswordField
          id="password-new"
          name="newPassword"
          label="New password"
          hint="8–128 characters."
          autoComplete="new-password"
          strengthHint
          required
          minLength={8}
          maxLength={128}
          error={form.fieldError("newPassword")}
        />
        <div>
          <StepUpSubmit
            waiting={stepUp.active}
            pending={form.pending}
            label="Change password"
            pendingText="Changing password…"
          />
        </div>
        <Notice>{changed && <p>Password changed. Your other sessions were signed out.</p>}</Notice>
      </form>
      {stepUp.prompt}
    </div>
  );
}
