import "server-only";
import { redirect } from "next/navigation";
import type { User } from "@/src/client";
import { getCurrentUser, getSessionState } from "./session";

/** For pages that only make sense signed out (sign-in, sign-up, …): a signed-in visitor goes to the profile. */
export async function redirectIfSignedIn(): Promise<void> {
  if (await getCurrentUser()) redirect("/profile");
}

/** Checked where the page reads the data, not in a proxy: a skipped proxy must not expose the page (CVE-2025-29927). */
export async function requireUser(): Promise<User> {
  const state = await getSessionState();
  if (state.kind === "signed-in") return state.user;
  // This browser had a session that no longer works (signed out from another device, a password reset, expiry):
  // say so, after the dead cookie is cleared (app/sign-out/ended/route.ts), rather than a silent sign-in page.
  redirect(state.kind === "rejected" ? "/sign-out/ended" : "/sign-in");
}
