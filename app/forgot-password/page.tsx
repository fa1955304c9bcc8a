import type { Metadata } from "next";
import { emailInDevInbox } from "@/app/lib/dev-inbox";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { ForgotPasswordForm } from "./components";

export const metadata: Metadata = { title: "Reset your password" };

export default async function ForgotPasswordPage() {
  await redirectIfSignedIn();
  return <ForgotPasswordForm devInbox={await emailInDevInbox()} />;
}
