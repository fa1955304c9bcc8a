import type { Metadata } from "next";
import { devInboxChannels } from "@/app/lib/dev-inbox";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { ForgotPasswordForm } from "./components";

export const metadata: Metadata = { title: "Reset your password" };

export default async function ForgotPasswordPage() {
  await redirectIfSignedIn();
  // The same rule as /check-email's hint: email through the dev outbox, for a browser on this machine.
  const channels = await devInboxChannels().catch(() => null);
  return <ForgotPasswordForm devInbox={channels?.includes("email") ?? false} />;
}
