"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { Session } from "@/src/client";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { FormError } from "@/app/components/FormError";
import { LocalTime } from "@/app/components/LocalTime";
import { Notice } from "@/app/components/Notice";
import { useStepUp } from "@/app/components/StepUp";

/** Every signed-in device, from the server's render; after a change we re-render rather than patch locally. */
export function SessionsTable({ sessions }: { sessions: Session[] }) {
  const router = useRouter();
  const form = useForm();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [refreshing, startRefresh] = useTransition();
  // Signing other devices out while two-factor is on needs a recent code in this session (step-up).
  const stepUp = useStepUp("sessions", "sign other devices out");
  // This device first, then most recently active.
  const sorted = [...sessions].sort(
    (a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt),
  );
  const others = sessions.filter((session) => !session.current).length;

  async function revoke(session: Session) {
    setBusyId(session.id);
    setNotice(null);
    await form.run(() =>
      stepUp.guard(async () => {
        await api.revokeSession(session.id);
        setNotice(`Signed out ${describe(session)}.`);
        startRefresh(() => router.refresh());
      }),
    );
    setBusyId(null);
  }

  async function revokeOthers() {
    setBusyId("others");
    setNotice(null);
    await form.run(() =>
      stepUp.guard(async () => {
        await api.revokeOtherSessions();
        setNotice("Signed out everywhere else.");
        startRefresh(() => router.refresh());
      }),
    );
    setBusyId(null);
  }

  return (
    <section className="card" aria-labelledby="sessions-title">
      <div className="section-head">
        <div>
          <h2 id="sessions-title">Where you&apos;re signed in</h2>
          <p className="muted small flush">Don&apos;t recognise a device? Sign it out and change your password.</p>
        </div>
        <Button
          variant="danger"
          size="small"
          disabled={others === 0 || refreshing || stepUp.active}
          pending={busyId === "others" && !stepUp.active}
          pendingText="Signing out…"
          onClick={revokeOthers}
        >
          Sign out everywhere else
        </Button>
      </div>
      <FormError error={form.error} ref={form.errorRef} />
      <Notice>{notice && <p>{notice}</p>}</Notice>
      {stepUp.prompt && <div className="prompt-gap">{stepUp.prompt}</div>}
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">IP address</th>
            <th scope="col">Last seen</th>
            <th scope="col">Signed in</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((session) => (
            <tr key={session.id}>
              <td data-label="Device">
                <span>
                  {describe(session)} {session.current && <span className="badge accent">This device</span>}
                </span>
              </td>
              <td data-label="IP address">
                <span className="mono">{session.ip ?? "Unknown"}</span>
              </td>
              <td data-label="Last seen">
                {session.current ? "Now" : <LocalTime iso={session.lastSeenAt} relative />}
              </td>
              <td data-label="Signed in">
                <LocalTime iso={session.createdAt} />
              </td>
              <td className="actions">
                {!session.current && (
                  <Button
                    variant="secondary"
                    size="small"
                    disabled={refreshing || stepUp.active || (busyId !== null && busyId !== session.id)}
                    pending={busyId === session.id && !stepUp.active}
                    pendingText="Revoking…"
                    onClick={() => revoke(session)}
                    aria-label={`Revoke ${describe(session)}${session.ip ? ` at ${session.ip}` : ""}`}
                  >
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** "Firefox on macOS"; falls back to the raw user agent, then to a plain word. */
function describe(session: Session): string {
  if (session.browser && session.os) return `${session.browser} on ${session.os}`;
  return session.browser || session.os || session.userAgent?.slice(0, 60) || "Unknown device";
}
