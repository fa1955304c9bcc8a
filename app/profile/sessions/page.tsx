import type { Metadata } from "next";
import { requireUser } from "@/app/lib/guards";
import { getServerClient } from "@/app/lib/session";
import { ProfileNav } from "../section-nav";
import { SessionsTable } from "./sessions";

export const metadata: Metadata = { title: "Sessions" };

export default async function SessionsPage() {
  await requireUser();
  // Rendered on the server so the page arrives complete; the table calls router.refresh() after a change.
  const { sessions } = await (await getServerClient()).listSessions();
  return (
    <div className="stack profile">
      <ProfileNav current="sessions" />
      <h1 className="page-title">Sessions</h1>
      <SessionsTable sessions={sessions} />
    </div>
  );
}
