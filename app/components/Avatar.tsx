import type { User } from "@/src/client";

/** The user's picture, or their initials on a tinted disc when they have none. */
export function Avatar({
  user,
  size = "large",
}: {
  user: Pick<User, "name" | "email" | "avatarUrl">;
  size?: "large" | "small";
}) {
  const className = size === "small" ? "avatar small" : "avatar";
  if (user.avatarUrl) {
    // A plain <img>: avatars are tiny, already sized by the API, and served by our own origin.
    // biome-ignore lint/performance/noImgElement: our own API serves a small square already (no optimizer needed)
    return <img className={className} src={user.avatarUrl} alt="" />;
  }
  return (
    <span className={className} aria-hidden="true">
      {initials(user.name || user.email)}
    </span>
  );
}

function initials(text: string): string {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : [text.trim()];
  return (
    letters
      .map((part) => Array.from(part ?? "")[0] ?? "")
      .join("")
      .toUpperCase() || "?"
  );
}
