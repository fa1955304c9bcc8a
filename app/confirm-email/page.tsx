import type { Metadata } from "next";
import { getCurrentUser } from "@/app/lib/session";
import { ConfirmEmail } from "./components";

export const metadata: Metadata = { title: "Confirm your new email" };

// The token (in the fragment) is the credential; the session only decides where "continue" leads.
export default async function ConfirmEmailPage() {
  const signedIn = (await getCurrentUser()) !== null;
  return <ConfirmEmail signedIn={signedIn} />;
}
