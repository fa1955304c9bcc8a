import type { Metadata } from "next";
import { VerifyEmail } from "./components";

export const metadata: Metadata = { title: "Verify your email" };

// No session check: the token in the fragment decides, and the server never sees the fragment.
export default function VerifyEmailPage() {
  return <VerifyEmail />;
}
