import type { SecurityEvent } from "@/src/client";
import { LocalTime } from "@/app/components/LocalTime";
import { ownEntry } from "@/app/lib/lookups";

// Known event types in words; an unknown type (added by a newer server) still shows, humanised.
const labels: Record<string, string> = {
  sign_up: "Account created",
  email_verified: "Email address verified",
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in attempt",
  sign_in_locked: "Sign-in paused after 100 failed attempts",
  sign_in_unlocked: "Sign-in unlocked with the emailed link",
  sign_in_unverified: "Sign-in before verifying email",
  sign_in_challenged: "Sign-in asked for a second factor",
  sign_out: "Signed out",
  password_changed: "Password changed",
  password_reset_requested: "Password reset requested",
  password_reset: "Password reset",
  email_change_requested: "Email change requested",
  email_changed: "Email address changed",
  profile_updated: "Profile updated",
  avatar_changed: "Profile picture changed",
  session_revoked: "A session was signed out",
  other_sessions_revoked: "Signed out everywhere else",
  rate_limited: "Too many attempts, temporarily blocked",
  sms_limited: "Text message refused: sending limit reached",
  sms_failed: "A text message could not be delivered",
  code_failed: "Wrong verification code entered",
  code_entry_blocked: "Too many wrong codes: code entry paused",
  phone_verification_started: "Phone verification code sent",
  phone_added: "Phone number added",
  phone_changed: "Phone number changed",
  phone_removed: "Phone number removed",
  two_factor_enabled: "Two-factor sign-in turned on",
  two_factor_disabled: "Two-factor sign-in turned off",
  sign_in_second_factor: "Signed in with a second factor",
  step_up: "Confirmed a change with a second factor",
  totp_enabled: "Authenticator app added",
  totp_disabled: "Authenticator app removed",
  recovery_codes_generated: "New recovery codes made",
  recovery_code_used: "A recovery code was used",
  passkey_added: "Passkey added",
  passkey_renamed: "Passkey renamed",
  passkey_removed: "Passkey deleted",
  passkey_sign_in: "Signed in with a passkey",
  trusted_browser_added: "Browser trusted to skip the second step",
  trusted_browser_used: "Signed in on a trusted browser",
  trusted_browser_revoked: "A browser is no longer trusted",
  account_recovery_requested: "Account recovery link requested",
  account_recovery_started: "Account recovery started: second factors reset in 24 hours",
  account_recovery_cancelled: "Account recovery cancelled",
  account_recovery_completed: "Account recovered: second factors were reset",
};

const shownEvents = 20;

export function SecurityEvents({ events }: { events: SecurityEvent[] }) {
  const recent = [...events].sort((a, b) => b.at.localeCompare(a.at)).slice(0, shownEvents);
  return (
    <section className="card" aria-labelledby="events-title">
      <h2 id="events-title">Recent security activity</h2>
      {recent.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ul className="events">
          {recent.map((event, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: events may share time and type; the list is replaced whole
            <li key={`${event.at}-${event.type}-${index}`}>
              <div>
                <div>{ownEntry(labels, event.type) ?? humanise(event.type)}</div>
                <div className="meta" title={event.userAgent ?? undefined}>
                  {event.ip ?? "Unknown IP"}
                  {event.browser || event.os
                    ? ` · ${[event.browser, event.os && `on ${event.os}`].filter(Boolean).join(" ")}`
                    : ""}
                </div>
              </div>
              <div className="meta">
                <LocalTime iso={event.at} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function humanise(type: string): string {
  const words = type.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
