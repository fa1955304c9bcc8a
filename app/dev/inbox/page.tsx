import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Inbox } from "./components";

export const metadata: Metadata = { title: "Dev inbox" };

// Development only: it shows every email and SMS the server "sent", links and codes included.
export default function DevInboxPage() {
  if (process.env.NODE_ENV === "production") notFound();
  return <Inbox />;
}
