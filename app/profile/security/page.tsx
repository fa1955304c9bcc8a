import type { Metadata } from "next";
import { headers } from "next/headers";
import type { User } from "@/src/client";
import { requireUser } from "@/app/lib/guards";
import { securityNotice } from "@/app/lib/lookups";
import { getPendingPhoneVerification } from "@/app/lib/pending-phone";
import { countryOptions, defaultCountry } from "@/app/lib/phone";
import { getServerClient } from "@/app/lib/session";
import { AccountRecoveryBanner } from "@/app/components/AccountRecoveryBanner";
import { Card } from "@/app/components/Card";
import { FlashNotice } from "@/app/components/FlashNotice";
import { ProfileNav } from "../section-nav";
import { SecurityEvents } from "./events";
import { Passkeys } from "./passkeys";
import { DeleteAccount } from "./delete-account";
import { ChangePasswordForm } from "./password";
import { PhoneSettings } from "./phone";
import { RecoveryCodes } from "./recovery-codes";
import { SmsTwoFactor } from "./sms";
import { AuthenticatorApp } from "./totp";
import { TrustedBrowsers } from "./trusted-browsers";

export const metadata: Metadata = { title: "Security" };

/** Password, phone, the second factors, trusted browsers and the account's recent security activity. */
export default async function SecurityPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const client = await getServerClient();
  // Rendered on the server so the page arrives complete; the client parts call router.refresh() after a change.
  const [{ events }, { passkeys }, { trustedBrowsers }, pending, { notice }, acceptLanguage] = await Promise.all([
    client.listSecurityEvents(),
    client.listPasskeys(),
    client.listTrustedBrowsers(),
    getPendingPhoneVerification(client),
    searchParams,
    headers().then((incoming) => incoming.get("accept-language")),
  ]);
  // Picked by key from a fixed list (own keys only: `?notice=constructor` finds nothing); URL text is never rendered.
  const noticeText = securityNotice(notice);
  const twoFactorOn = hasSecondFactor(user);

  return (
    <div className="stack profile">
      <ProfileNav current="security" />
      <h1 className="page-title">Security</h1>
      {noticeText && <FlashNotice>{noticeText}</FlashNotice>}
      <AccountRecoveryBanner />
      <Card id="password" headingLevel={2} title="Password" description="Changing it signs out every other device.">
        <ChangePasswordForm />
      </Card>
      <PhoneSettings
        user={user}
        pending={pending && { phoneNumber: pending.phoneNumber }}
        countries={countryOptions()}
        defaultCountry={defaultCountry(acceptLanguage)}
      />
      <section className="card" id="two-factor" aria-labelledby="two-factor-title">
        <header>
          <h2 id="two-factor-title">
            Two-factor sign-in{" "}
            <span className={twoFactorOn ? "badge success" : "badge off"}>
              <span className="visually-hidden">is </span>
              {twoFactorOn ? "On" : "Off"}
            </span>
          </h2>
          <p>
            After your password, sign-ins ask for a second step. Someone who learns your password still can&apos;t get
            in. Set up more than one, so that losing a phone does not lock you out.
          </p>
        </header>
        <Passkeys user={user} passkeys={passkeys} />
        <AuthenticatorApp user={user} />
        <SmsTwoFactor user={user} />
        {(twoFactorOn || user.twoFactor.recoveryCodesLeft > 0) && <RecoveryCodes user={user} />}
      </section>
      {(twoFactorOn || trustedBrowsers.length > 0) && <TrustedBrowsers browsers={trustedBrowsers} />}
      <SecurityEvents events={events} />
      <DeleteAccount />
    </div>
  );
}

/** Recovery codes are a backup: they never count as two-factor being on by themselves. */
function hasSecondFactor(user: User): boolean {
  return user.twoFactor.sms || user.twoFactor.totp || Number(user.twoFactor.passkeys) > 0;
}
