import type { Metadata } from "next";
import { getCurrentUser } from "@/app/lib/session";
import { VerifyEmail } from "./components";

export const metadata: Metadata = { title: "Verify your email" };

// No session check: the token in the fragment decides, and the server never sees the fragment.
export default async function VerifyEmailPage() {
  // Only to word a spent link: someone signed in with a verified address has most likely opened their own link again.
  const user = await getCurrentUser();
  return <VerifyEmail verifiedEmail={user?.emailVerified ? user.email : null} />;
}
