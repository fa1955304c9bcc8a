import type { Metadata } from "next";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { SignInForm } from "./components";

export const metadata: Metadata = { title: "Sign in" };

// Notices are chosen from this list by key; text from the URL is never rendered.
const notices: Record<string, string> = {
  "password-reset": "Your password was changed and every session was signed out. Sign in with your new password.",
  "signed-out": "You're signed out.",
  "sign-in-ended": "Your last sign-in ended before a code was accepted. Enter your email and password again and we'll text you a new code.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await redirectIfSignedIn();
  const { notice } = await searchParams;
  return <SignInForm notice={typeof notice === "string" ? notices[notice] : undefined} />;
}
