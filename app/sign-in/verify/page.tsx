import type { Metadata } from "next";
import Link from "next/link";
import { redirectIfSignedIn } from "@/app/lib/guards";
import { Card } from "@/app/components/Card";

export const metadata: Metadata = { title: "Two-factor verification" };

// Placeholder until the second-factor step ships: the API already answers `twoFactorRequired`, and this is
// where the code form will live (challenge id comes from the challenge cookie).
export default async function TwoFactorVerifyPage() {
  await redirectIfSignedIn();
  return (
    <Card narrow title="Two-factor verification required">
      <p className="muted">
        Your account is protected by a second factor. Entering the code here is coming in the next release of
        Twofold; until then this account can&apos;t finish signing in from the web app.
      </p>
      <Link href="/sign-in" className="button secondary">
        Back to sign in
      </Link>
    </Card>
  );
}
