"use client";
import Link from "next/link";
import type { FormEvent } from "react";
import { TwofoldError } from "@/src/client";
import { api } from "@/app/lib/api";
import { useFragmentToken } from "@/app/lib/fragment-token";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { Field } from "@/app/components/Field";
import { FormError } from "@/app/components/FormError";

const fieldIds = { password: "reset-password", confirm: "reset-confirm" };

export function ResetPasswordForm() {
  const token = useFragmentToken();
  const form = useForm({ codeFields: { weak_password: "password" } });
  const tokenRejected = form.error?.code === "invalid_token";

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const password = String(data.get("password") ?? "");
    await form.run(async () => {
      if (password !== data.get("confirm")) {
        throw new TwofoldError({
          status: 400,
          code: "mismatch",
          message: "The two passwords don't match.",
          fields: { confirm: "Enter the same password twice." },
        });
      }
      await api.resetPassword({ token: token ?? "", password });
      // Full load: every session (maybe this one too) was just revoked, so the header must re-read it.
      window.location.assign("/sign-in?notice=password-reset");
      return "navigating";
    });
  }

  if (token === undefined) {
    return <Card narrow title="Choose a new password" description="Loading…" />;
  }
  if (token === null) {
    return (
      <Card
        narrow
        title="This link is invalid or expired"
        description="Reset links work once and expire after a while."
      >
        <Link href="/forgot-password" className="button">
          Send a new link
        </Link>
      </Card>
    );
  }
  return (
    <Card
      narrow
      title="Choose a new password"
      description="After this, every device signed in to your account is signed out."
    >
      <form method="post" onSubmit={onSubmit}>
        <FormError
          error={form.error}
          ref={form.errorRef}
          fieldIds={fieldIds}
          message={tokenRejected ? "This link is invalid or expired." : undefined}
        >
          {tokenRejected && (
            <p>
              <Link href="/forgot-password">Request a new link</Link>
            </p>
          )}
        </FormError>
        <Field
          id={fieldIds.password}
          name="password"
          type="password"
          label="New password"
          hint="8–128 characters."
          autoComplete="new-password"
          required
          minLength={8}
          maxLength={128}
          autoFocus
          error={form.fieldError("password")}
        />
        <Field
          id={fieldIds.confirm}
          name="confirm"
          type="password"
          label="Confirm new password"
          autoComplete="new-password"
          required
          error={form.fieldError("confirm")}
        />
        <Button type="submit" block pending={form.pending} pendingText="Saving…">
          Set new password
        </Button>
      </form>
    </Card>
  );
}
