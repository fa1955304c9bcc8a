"use client";
import Link from "next/link";
import { Card } from "@/app/components/Card";
import { EmailAddress } from "@/app/components/EmailAddress";
import { SignOutButton } from "@/app/components/SignOutButton";

export function SignOutForm({ email }: { email: string }) {
  return (
    <Card
      narrow
      title="Sign out?"
      description={
        <>
          You&apos;re signed in as <EmailAddress email={email} />. Other devices stay signed in.
        </>
      }
    >
      <div className="form-row">
        <SignOutButton variant="primary" size="normal" autoFocus />
        <Link href="/profile" className="button secondary">
          Cancel
        </Link>
      </div>
    </Card>
  );
}
