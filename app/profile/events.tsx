import type { SecurityEvent } from "@/src/client";
import { LocalTime } from "@/app/components/LocalTime";

// Known event types in words; an unknown type (added by a newer server) still shows, humanised.
const labels: Record<string, string> = {
  sign_up: "Account created",
  email_verified: "Email address verified",
  sign_in: "Signed in",
  sign_in_failed: "Failed sign-in attempt",
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
            <li key={`${event.at}-${event.type}-${index}`}>
              <div>
                <div>{labels[event.type] ?? humanise(event.type)}</div>
                <div className="meta" title={event.userAgent ?? undefined}>
                  {event.ip ?? "Unknown IP"}
                  {event.userAgent ? ` · ${shortAgent(event.userAgent)}` : ""}
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

/** "Chrome 120 on Linux": enough to recognise a device without shipping a UA parser to the page. */
function shortAgent(userAgent: string): string {
  // Checked in order: Chrome's agent also says Safari, and Edge's also says Chrome. Safari's own
  // version is in `Version/`, its `Safari/605` token is the WebKit build.
  const browsers: [string, RegExp][] = [
    ["Edge", /Edg\/(\d+)/],
    ["Firefox", /Firefox\/(\d+)/],
    ["Chrome", /Chrome\/(\d+)/],
    ["Safari", /Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari/],
    ["curl", /curl\/([\d.]+)/],
  ];
  const browser = browsers.map(([name, pattern]) => [name, pattern.exec(userAgent)?.[1]] as const).find(([, version]) => version);
  const os = /(Windows|Mac OS X|Android|iPhone|iPad|Linux)/.exec(userAgent)?.[0]?.replace("Mac OS X", "macOS");
  const summary = [browser && `${browser[0]} ${browser[1]}`, os && `on ${os}`].filter(Boolean).join(" ");
  return summary || userAgent.slice(0, 40);
}
