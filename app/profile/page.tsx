import type { Metadata } from "next";
import { requireUser } from "@/app/lib/guards";
import { profileNotice } from "@/app/lib/lookups";
import { AccountRecoveryBanner } from "@/app/components/AccountRecoveryBanner";
import { Card } from "@/app/components/Card";
import { FlashNotice } from "@/app/components/FlashNotice";
import { AvatarEditor } from "./avatar";
import { ChangeEmailForm, NameForm } from "./account-forms";
import { ProfileNav } from "./section-nav";

export const metadata: Metadata = { title: "Your profile" };

/** Who you are: picture, name and email address. Security settings and sessions have pages of their own. */
export default async function ProfilePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  // Picked by key from a fixed list (own keys only); URL text is never rendered.
  const noticeText = profileNotice((await searchParams).notice);
  return (
    <div className="stack profile">
      <ProfileNav current="profile" />
      {noticeText && <FlashNotice>{noticeText}</FlashNotice>}
      {/* The page a sign-in lands on: a pending recovery of this account must be seen where the owner arrives. */}
      <AccountRecoveryBanner />
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
    </div>
  );
}
