"use client";
import Link from "next/link";
import { useEffect, useState } from "react";
import { readPendingEmail } from "@/app/lib/pending-email";
import { Card } from "@/app/components/Card";
import { DevInboxHint } from "@/app/components/DevInboxHint";
import { ResendVerification } from "@/app/components/ResendVerification";

export function CheckEmail({ devInbox }: { devInbox: boolean }) {
  // Read after mount: session storage does not exist during the server render.
  const [email, setEmail] = useState<string | null>(null);
  useEffect(() => setEmail(readPendingEmail()), []);

  return (
    <Card
      narrow
      title="Check your email"
      description={
        email ? (
          <>
            We sent a link to <strong>{email}</strong>. Open it to finish creating your account.
          </>
        ) : (
          "We sent you a link. Open it to finish creating your account."
        )
      }
      footer={
        <>
          Already verified? <Link href="/sign-in">Sign in</Link>
          {devInbox && <DevInboxHint />}
        </>
      }
    >
      <p className="muted small">Nothing after a few minutes? Check your spam folder, or send it again.</p>
      {/* Keyed so the prefilled address appears once session storage has been read. */}
      {email !== null && <ResendVerification key={email} email={email} idPrefix="check-email-resend" />}
    </Card>
  );
}
