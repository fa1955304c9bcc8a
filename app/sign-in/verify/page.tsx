import type { Metadata } from "next";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { SignInVerification } from "./components";

export const metadata: Metadata = { title: "Enter your sign-in code" };

// No session yet: the HttpOnly challenge cookie set by sign-in names the challenge, so nothing about it (id,
// number, code) ever appears in the URL. The browser asks the API for it, cookie attached.
export default async function TwoFactorVerifyPage() {
  await redirectIfSignedIn();
  return <SignInVerification />;
}
