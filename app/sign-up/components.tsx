"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import type { FormEvent } from "react";
import { api } from "@/app/lib/api";
import { rememberPendingEmail } from "@/app/lib/pending-email";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";
import { Field } from "@/app/components/Field";
import { PasswordField } from "@/app/components/PasswordField";
import { FormError } from "@/app/components/FormError";

const fieldIds = { name: "sign-up-name", email: "sign-up-email", password: "sign-up-password" };

export function SignUpForm() {
  const router = useRouter();
  const form = useForm({ codeFields: { weak_password: "password", email_taken: "email" } });

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get("email") ?? "").trim();
    await form.run(async () => {
      await api.signUp({
        name: String(data.get("name") ?? "").trim(),
        email,
        password: String(data.get("password") ?? ""),
      });
      rememberPendingEmail(email);
      router.push("/check-email");
      return "navigating";
    });
  }

  return (
    <Card
      narrow
      title="Create your account"
      description="We'll email you a link to confirm your address."
      footer={
        <>
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </>
      }
    >
      <form method="post" onSubmit={onSubmit}>
        <FormError error={form.error} ref={form.errorRef} fieldIds={fieldIds} />
        {/* No maxLength: the browser would cut a pasted name silently; the API refuses a long one, in words. */}
        <Field
          id={fieldIds.name}
          name="name"
          label="Name"
          autoComplete="name"
          required
          hint="Up to 100 characters."
          autoFocus
          error={form.fieldError("name")}
        />
        <Field
          id={fieldIds.email}
          name="email"
          type="email"
          label="Email"
          autoComplete="email"
          required
          spellCheck={false}
          error={form.fieldError("email")}
        />
        <PasswordField
          id={fieldIds.password}
          name="password"
          label="Password"
          hint="8–128 characters. A passphrase of a few words is easiest to remember."
          autoComplete="new-password"
          strengthHint
          required
          minLength={8}
          maxLength={128}
          error={form.fieldError("password")}
        />
        <Button type="submit" block pending={form.pending} pendingText="Creating account…">
          Create account
        </Button>
      </form>
    </Card>
  );
}
