import type { Metadata } from "next";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { signInNotice } from "@/app/lib/lookups";
import { SignInForm } from "./components";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await redirectIfSignedIn();
  const { notice } = await searchParams;
  // Picked by key from a fixed list (own keys only: `?notice=toString` finds nothing); URL text is never rendered.
  return <SignInForm notice={signInNotice(notice)} />;
}
