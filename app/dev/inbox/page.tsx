import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { devInboxChannels } from "@/app/lib/dev-inbox";
import { Inbox } from "./components";

export const metadata: Metadata = { title: "Dev inbox" };

// Development only: it shows every email and SMS of the channels without a real provider, links and codes
// included. It exists only while one channel has no provider, and only for a browser on this machine.
export default async function DevInboxPage() {
  const channels = await devInboxChannels();
  if (!channels) notFound();
  return <Inbox channels={channels} />;
}
