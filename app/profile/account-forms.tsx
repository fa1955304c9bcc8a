"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { Field } from "@/app/components/Field";
import { PasswordField } from "@/app/components/PasswordField";
import { FormError } from "@/app/components/FormError";
import { Notice } from "@/app/components/Notice";
import { StepUpSubmit, useStepUp } from "@/app/components/StepUp";

const text = (data: FormData, name: string) => String(data.get(name) ?? "");

export function NameForm({ name }: { name: string }) {
  const router = useRouter();
  const form = useForm();
  const [saved, setSaved] = useState(false);
  const [refreshing, startRefresh] = useTransition();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setSaved(false);
    await form.run(async () => {
      await api.updateProfile({ name: text(data, "name").trim() });
      setSaved(true);
      // Re-render the server parts (header, identity card) with the new name.
      startRefresh(() => router.refresh());
    });
  }

  return (
    <form method="post" onSubmit={onSubmit}>
      <FormError error={form.error} ref={form.errorRef} fieldIds={{ name: "profile-name" }} />
      {/* No maxLength: the browser would cut a pasted name silently; the API refuses a long one, in words. */}
      <Field
        id="profile-name"
        name="name"
        label="Name"
        defaultValue={name}
        autoComplete="name"
        required
        hint="Up to 100 characters."
        error={form.fieldError("name")}
      />
      <div>
        <Button type="submit" pending={form.pending || refreshing} pendingText="Saving…">
          Save name
        </Button>
      </div>
      <Notice>{saved && <p>Name saved.</p>}</Notice>
    </form>
  );
}

export function ChangeEmailForm() {
  const form = useForm({ codeFields: { invalid_credentials: "currentPassword", email_taken: "newEmail" } });
  const [sentTo, setSentTo] = useState<string | null>(null);
  const stepUp = useStepUp("email", "change your email address");

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const data = new FormData(formElement);
    const newEmail = text(data, "newEmail").trim();
    setSentTo(null);
    await form.run(() =>
      stepUp.guard(async () => {
        await api.changeEmail({ currentPassword: text(data, "currentPassword"), newEmail });
        setSentTo(newEmail);
        formElement.reset();
      }),
    );
  }

  return (
    <div className="stack-tight">
      <form method="post" onSubmit={onSubmit}>
        <FormError
          error={form.error}
          ref={form.errorRef}
          fieldIds={{ newEmail: "email-new", currentPassword: "email-current-password" }}
        />
        <Field
          id="email-new"
          name="newEmail"
          type="email"
          label="New email"
          autoComplete="email"
          required
          spellCheck={false}
          error={form.fieldError("newEmail")}
        />
        <PasswordField
          id="email-current-password"
          name="currentPassword"
          label="Current password"
          autoComplete="current-password"
          required
          error={form.fieldError("currentPassword")}
        />
        <div>
          <StepUpSubmit
            waiting={stepUp.active}
            pending={form.pending}
            label="Change email"
            pendingText="Sending link…"
          />
        </div>
        <Notice>
          {sentTo && (
            <p>
              Check your new inbox: we sent a confirmation link to <strong>{sentTo}</strong>. Your current address keeps
              working until you open it.
            </p>
          )}
        </Notice>
      </form>
      {stepUp.prompt}
    </div>
  );
}
