import type { Metadata } from "next";
import { headers } from "next/headers";
import { requireUser } from "@/app/lib/guards";
import { profileNotice } from "@/app/lib/lookups";
import { getPendingPhoneVerification } from "@/app/lib/pending-phone";
import { countryOptions, defaultCountry } from "@/app/lib/phone";
import { getServerClient } from "@/app/lib/session";
import { Card } from "@/app/components/Card";
import { FlashNotice } from "@/app/components/FlashNotice";
import { AvatarEditor } from "./avatar";
import { ChangeEmailForm, ChangePasswordForm, NameForm } from "./account-forms";
import { SecurityEvents } from "./events";
import { PhoneSettings } from "./phone";
import { SessionsTable } from "./sessions";
import { TwoFactorSettings } from "./two-factor";

export const metadata: Metadata = { title: "Your profile" };

export default async function ProfilePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const client = await getServerClient();
  // Rendered on the server so the page arrives complete; the client parts call router.refresh() after a change.
  const [{ sessions }, { events }, pending, { notice }, acceptLanguage] = await Promise.all([
    client.listSessions(),
    client.listSecurityEvents(),
    getPendingPhoneVerification(client),
    searchParams,
    headers().then((incoming) => incoming.get("accept-language")),
  ]);
  // Picked by key from a fixed list (own keys only: `?notice=constructor` finds nothing); URL text is never rendered.
  const noticeText = profileNotice(notice);

  return (
    <div className="stack profile">
      {noticeText && <FlashNotice>{noticeText}</FlashNotice>}
      <AvatarEditor user={user} />
      <Card id="name" headingLevel={2} title="Name" description="Shown on your profile and in emails we send you.">
        <NameForm name={user.name} />
      </Card>
      <Card
        id="email"
        headingLevel={2}
        title="Email address"
        description="We'll send a link to the new address; the change happens when you open it."
      >
        <ChangeEmailForm />
      </Card>
      <Card id="password" headingLevel={2} title="Password" description="Changing it signs out every other device.">
        <ChangePasswordForm />
      </Card>
      <PhoneSettings
        user={user}
        pending={pending && { phoneHint: pending.phoneHint }}
        countries={countryOptions()}
        defaultCountry={defaultCountry(acceptLanguage)}
      />
      <TwoFactorSettings user={user} />
      <SessionsTable sessions={sessions} />
      <SecurityEvents events={events} />
    </div>
  );
}
