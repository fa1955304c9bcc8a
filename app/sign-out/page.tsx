import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getCurrentUser } from "@/app/lib/session";
import { SignOutForm } from "./components";

export const metadata: Metadata = { title: "Sign out" };

// A button rather than signing out on load: a GET that changes state lets any site sign you out with a link.
export default async function SignOutPage() {
  const user = await getCurrentUser();
  if (!user) redirect("/");
  return <SignOutForm email={user.email} />;
}
