"use client";
import { useState } from "react";
import { api } from "@/app/lib/api";
import { Button } from "./Button";

/**
 * POSTs sign-out, then loads the home page fresh so no signed-in UI lingers in the router cache; the home page
 * confirms it (`?notice=signed-out`, a key from app/lib/lookups.ts).
 */
export function SignOutButton({
  variant = "secondary",
  size = "small",
  autoFocus,
}: {
  variant?: "secondary" | "primary";
  size?: "small" | "normal";
  autoFocus?: boolean;
}) {
  const [pending, setPending] = useState(false);
  async function signOut() {
    setPending(true);
    try {
      await api.signOut();
    } catch {
      // Already signed out (or the session expired): the result the user wanted either way.
    }
    window.location.assign("/?notice=signed-out");
  }
  return (
    <Button
      variant={variant}
      size={size}
      autoFocus={autoFocus}
      pending={pending}
      pendingText="Signing out…"
      onClick={signOut}
    >
      Sign out
    </Button>
  );
}
