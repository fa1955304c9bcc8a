"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import type { PendingPhoneVerification } from "@/src/client";
import { api } from "@/app/lib/api";
import { formatPhoneNumber } from "@/app/lib/phone";
import { CodeChallenge } from "@/app/components/CodeChallenge";

export function PhoneVerification({ verification }: { verification: PendingPhoneVerification }) {
  const router = useRouter();
  const { verificationId } = verification;
  return (
    <CodeChallenge
      idPrefix="phone-verify"
      title="Verify your phone number"
      // The owner just typed this number: shown in full, so a typo can be spotted before waiting for a text.
      challenge={{ ...verification, phoneHint: formatPhoneNumber(verification.phoneNumber) }}
      verify={async (code) => {
        await api.verifyPhone({ verificationId, code });
        // Replace, not push: Back must not return to a code that is already used.
        router.replace("/profile/security?notice=phone-verified");
        return "navigating";
      }}
      resend={() => api.resendPhoneCode({ verificationId })}
      gone={{
        title: "This code can no longer be used",
        restart: { href: "/profile/security#phone", label: "Back to your security settings" },
        children: (
          <p>
            It expired, or too many wrong codes were entered. To get a new code, enter your number again in your
            security settings.
          </p>
        ),
      }}
      footer={
        <>
          Wrong number? <Link href="/profile/security#phone">Change it in your security settings</Link>
        </>
      }
    />
  );
}
