import type { Metadata } from "next";
import { ResetPassword } from "./components";

export const metadata: Metadata = { title: "Choose a new password" };

// No session check: the one-time token in the fragment is the credential here.
export default function ResetPasswordPage() {
  return <ResetPassword />;
}
