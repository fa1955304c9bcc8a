import type { Metadata } from "next";
import { UnlockSignIn } from "./components";

export const metadata: Metadata = { title: "Unlock sign-in" };

export default function UnlockPage() {
  return <UnlockSignIn />;
}
