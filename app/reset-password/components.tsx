"use client";
import Link from "next/link";
import type { FormEvent } from "react";
import { TwofoldError } from "@/src/client";
import { api } from "@/app/lib/api";
import { errorText } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { useLinkToken } from "@/app/lib/use-link-token";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { PasswordField } from "@/app/components/PasswordField";
import { FormError } from "@/app/components/FormError";
import { LinkLanding } from "@/app/components/LinkLanding";

const fieldIds = { password: "reset-password", confirm: "reset-confirm" };

/**
 * The reset link's landing: the link is checked (not used) as the page opens, so a used or expired one says so at
 * once instead of after the new password was typed twice. The form takes the checked token.
 */
export function ResetPassword() {
  const link = useLinkToken(async ({ token }) => {
    await api.checkResetToken({ token });
    return token;
  });

  if (link.kind === "checking")
    return <LinkLanding title="Checking your link…" message="One moment while we check your reset link." />;
  if (link.kind === "invalid") {
    return (
      <LinkLanding
        title="This link is invalid or expired"
        outcome="error"
        message="Reset links work once and expire after 30 minutes."
        actions={
          <Link href="/forgot-password" className="button">
            Send a new link
          </Link>
        }
      />
    );
  }
  if (link.kind === "failed") {
    return (
      <LinkLanding title="We couldn't check your link" outcome="error" message={errorText(link.error)}>
        <p className="muted small" style={{ marginTop: "1rem" }}>
          Open the link from your email again to retry, or <Link href="/forgot-password">ask for a new one</Link>.
        </p>
      </LinkLanding>
    );
  }
  return <ResetPasswordForm token={link.result} />;
}

function ResetPasswordForm({ token }: { token: string }) {
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
      await api.resetPassword({ token, password });
      // Full load: every session (maybe this one too) was just revoked, so the header must re-read it.
      window.location.assign("/sign-in?notice=password-reset");
      return "navigating";
    });
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
        <PasswordField
          id={fieldIds.password}
          name="password"
          label="New password"
          hint="8–128 characters."
          autoComplete="new-password"
          strengthHint
          required
          minLength={8}
          maxLength={128}
          autoFocus
          error={form.fieldError("password")}
        />
        <PasswordField
          id={fieldIds.confirm}
          name="confirm"
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
