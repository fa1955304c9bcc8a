"use client";
import Link from "next/link";
import { useState } from "react";
import { api } from "@/app/lib/api";
import { Button } from "@/app/components/Button";
import { Card } from "@/app/components/Card";

export function SignOutForm({ email }: { email: string }) {
  const [pending, setPending] = useState(false);
  async function signOut() {
    setPending(true);
    try {
      await api.signOut();
    } catch {
      // An expired session is signed out already; go home either way.
    }
    window.location.assign("/");
  }
  return (
    <Card narrow title="Sign out?" description={<>You&apos;re signed in as {email}. Other devices stay signed in.</>}>
      <div className="form-row">
        <Button autoFocus pending={pending} pendingText="Signing out…" onClick={signOut}>
          Sign out
        </Button>
        <Link href="/profile" className="button secondary">
          Cancel
        </Link>
      </div>
    </Card>
  );
}
