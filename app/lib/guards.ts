import "server-only";
import { redirect } from "next/navigation";
import type { User } from "@/src/client";
import { getCurrentUser } from "./session";

/** For pages that only make sense signed out (sign-in, sign-up, …): a signed-in visitor goes to the profile. */
export async function redirectIfSignedIn(): Promise<void> {
  if (await getCurrentUser()) redirect("/profile");
}

/** Checked where the page reads the data, not in a proxy: a skipped proxy must not expose the page (CVE-2025-29927). */
export async function requireUser(): Promise<User> {
  const user = await getCurrentUser();
  if (!user) redirect("/sign-in");
  return user;
}
