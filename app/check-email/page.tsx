import type { Metadata } from "next";
import { devInboxChannels } from "@/app/lib/dev-inbox";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { CheckEmail } from "./components";

export const metadata: Metadata = { title: "Check your email" };

export default async function CheckEmailPage() {
  await redirectIfSignedIn();
  // The hint only where the inbox exists for this browser: email through the dev outbox, a loopback peer.
  const channels = await devInboxChannels().catch(() => null);
  return <CheckEmail devInbox={channels?.includes("email") ?? false} />;
}
