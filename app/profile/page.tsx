import type { Metadata } from "next";
import { requireUser } from "@/app/lib/guards";
import { getServerClient } from "@/app/lib/session";
import { Card } from "@/app/components/Card";
import { AvatarEditor } from "./avatar";
import { ChangeEmailForm, ChangePasswordForm, NameForm } from "./account-forms";
import { SecurityEvents } from "./events";
import { SessionsTable } from "./sessions";

export const metadata: Metadata = { title: "Your profile" };

export default async function ProfilePage() {
  const user = await requireUser();
  const client = await getServerClient();
  // Rendered on the server so the page arrives complete; the client parts call router.refresh() after a change.
  const [{ sessions }, { events }] = await Promise.all([client.listSessions(), client.listSecurityEvents()]);

  return (
    <div className="stack profile">
      <AvatarEditor user={user} />
      <Card id="name" headingLevel={2} title="Name" description="Shown on your profile and in emails we send you.">
        <NameForm name={user.name} />
      </Card>
      <Card id="email" headingLevel={2} title="Email address" description="We'll send a link to the new address; the change happens when you open it.">
        <ChangeEmailForm />
      </Card>
      <Card id="password" headingLevel={2} title="Password" description="Changing it signs out every other device.">
        <ChangePasswordForm />
      </Card>
      <SessionsTable sessions={sessions} />
      <SecurityEvents events={events} />
    </div>
  );
}
