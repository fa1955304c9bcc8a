import type { Metadata } from "next";
import { requireUser } from "@/app/lib/guards";
import { getPendingPhoneVerification } from "@/app/lib/pending-phone";
import { getServerClient } from "@/app/lib/session";
import { ChallengeGone } from "@/app/components/CodeChallenge";
import { PhoneVerification } from "./components";

export const metadata: Metadata = { title: "Verify your phone number" };

// The verification comes from the API by session, never from the URL: no number, code or id in an address.
export default async function PhoneVerificationPage() {
  await requireUser();
  const pending = await getPendingPhoneVerification(await getServerClient());
  if (!pending) {
    return (
      <ChallengeGone
        title="No number is waiting for a code"
        restart={{ href: "/profile/security#phone", label: "Back to your security settings" }}
      >
        <p>
          The code may have expired, or the number is already verified. To get a new code, enter your number again in
          your security settings.
        </p>
      </ChallengeGone>
    );
  }
  return <PhoneVerification verification={pending} />;
}
