import type { Metadata } from "next";
import { emailInDevInbox } from "@/app/lib/dev-inbox";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { CheckEmail } from "./components";

export const metadata: Metadata = { title: "Check your email" };

export default async function CheckEmailPage() {
  await redirectIfSignedIn();
  return <CheckEmail devInbox={await emailInDevInbox()} />;
}
