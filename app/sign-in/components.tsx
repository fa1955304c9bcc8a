"use client";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { isTwoFactorRequired } from "@/src/client";
import { api } from "@/app/lib/api";
import { smsErrorText } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { Field } from "@/app/components/Field";
import { PasswordField } from "@/app/components/PasswordField";
import { FormError } from "@/app/components/FormError";
import { FlashNotice } from "@/app/components/FlashNotice";
import { ResendVerification } from "@/app/components/ResendVerification";
import { PasskeySignIn } from "./passkey";

const fieldIds = { email: "sign-in-email", password: "sign-in-password" };

export function SignInForm({ notice }: { notice?: string }) {
  const form = useForm();
  const [email, setEmail] = useState("");
  const unverified = form.error?.code === "email_not_verified";
  const locked = form.error?.code === "account_locked";

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const address = String(data.get("email") ?? "").trim();
    setEmail(address);
    await form.run(async () => {
      const result = await api.signIn({ email: address, password: String(data.get("password") ?? "") });
      // Full page load: the header and any cached page must pick up the new session.
      window.location.assign(isTwoFactorRequired(result) ? "/sign-in/verify" : "/profile");
      return "navigating";
    });
  }

  return (
    <Card
      narrow
      title="Sign in"
      description="Welcome back."
      footer={
        <>
          New here? <Link href="/sign-up">Create an account</Link>
        </>
      }
    >
      {notice && !form.error && <FlashNotice tone="info">{notice}</FlashNotice>}
      {/* Outside the sign-in form: the resend button is a form of its own, and forms cannot nest. */}
      <FormError
        error={form.error}
        ref={form.errorRef}
        fieldIds={fieldIds}
        // A correct password for a two-factor account can still fail on sending its code (sms_limit, sms_unavailable).
        message={
          unverified
            ? "Please verify your email address first. Check your inbox for the link we sent."
            : smsErrorText(form.error)
        }
      >
        {unverified && (
          <div style={{ marginTop: "0.75rem" }}>
            <ResendVerification email={email} hideEmail knownUnverified idPrefix="sign-in-resend" />
          </div>
        )}
        {locked && (
          <p style={{ marginTop: "0.75rem" }}>
            <Link href="/forgot-password">Reset your password</Link> to unlock it now.
          </p>
        )}
      </FormError>
      {/* POST, not the default GET: a submit before the page has hydrated must not put the password in the URL
          (history, server logs). Every form in the app does the same; JavaScript handles the real submit. */}
      <form method="post" onSubmit={onSubmit} style={{ marginTop: form.error || notice ? "1rem" : 0 }}>
        <Field
          id={fieldIds.email}
          name="email"
          type="email"
          label="Email"
          // "webauthn": the browser may offer this site's passkeys in the field's autofill (see ./passkey.tsx).
          autoComplete="username webauthn"
          required
          autoFocus
          spellCheck={false}
          error={form.fieldError("email")}
        />
        <PasswordField
          id={fieldIds.password}
          name="password"
          label="Password"
          autoComplete="current-password"
          required
          error={form.fieldError("password")}
          labelAction={<Link href="/forgot-password">Forgot password?</Link>}
        />
        <Button type="submit" block pending={form.pending} pendingText="Signing in…">
          Sign in
        </Button>
      </form>
      <PasskeySignIn />
    </Card>
  );
}
