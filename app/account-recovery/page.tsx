import type { Metadata } from "next";
import { AccountRecoveryLanding } from "./components";

export const metadata: Metadata = { title: "Account recovery" };

// No session check: the token in the fragment decides, and the server never sees the fragment.
export default function AccountRecoveryPage() {
  return <AccountRecoveryLanding />;
}
