import type { Metadata } from "next";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { SignUpForm } from "./components";

export const metadata: Metadata = { title: "Create an account" };

export default async function SignUpPage() {
  await redirectIfSignedIn();
  return <SignUpForm />;
}
