import type { Metadata } from "next";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { CheckEmail } from "./components";

export const metadata: Metadata = { title: "Check your email" };

export default async function CheckEmailPage() {
  await redirectIfSignedIn();
  return <CheckEmail devInbox={process.env.NODE_ENV !== "production"} />;
}
