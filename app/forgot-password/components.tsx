"use client";
import Link from "next/link";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { DevInboxHint } from "@/app/components/DevInboxHint";
import { Field } from "@/app/components/Field";
import { FormError } from "@/app/components/FormError";

/** `devInbox`: emails land in the dev inbox (and this browser may read it), so the sent state points there. */
export function ForgotPasswordForm({ devInbox }: { devInbox: boolean }) {
  const form = useForm();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (sentTo) headingRef.current?.focus();
  }, [sentTo]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email") ?? "").trim();
    await form.run(async () => {
      await api.forgotPassword({ email });
      setSentTo(email);
    });
  }

  if (sentTo) {
    // Same words whether or not the account exists: the page must not reveal who has an account.
    return (
      <Card
        narrow
        footer={
          <>
            <Link href="/sign-in">Back to sign in</Link>
            {devInbox && <DevInboxHint />}
          </>
        }
      >
        <h1 ref={headingRef} tabIndex={-1}>
          Check your email
        </h1>
        <p role="status">
          If an account exists for <strong>{sentTo}</strong>, we sent it a link to choose a new password. The link works
          once and expires soon.
        </p>
        <button type="button" className="link-button" onClick={() => setSentTo(null)}>
          Use a different address
        </button>
      </Card>
    );
  }

  return (
    <Card
      narrow
      title="Forgot your password?"
      description="Enter your email and we'll send you a link to choose a new one."
      footer={
        <>
          Remembered it? <Link href="/sign-in">Sign in</Link>
        </>
      }
    >
      <form method="post" onSubmit={onSubmit}>
        <FormError error={form.error} ref={form.errorRef} fieldIds={{ email: "forgot-email" }} />
        <Field
          id="forgot-email"
          name="email"
          type="email"
          label="Email"
          autoComplete="email"
          required
          autoFocus
          spellCheck={false}
          error={form.fieldError("email")}
        />
        <Button type="submit" block pending={form.pending} pendingText="Sending link…">
          Send reset link
        </Button>
      </form>
    </Card>
  );
}
