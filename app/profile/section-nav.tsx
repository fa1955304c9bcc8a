import Link from "next/link";

const sections = {
  profile: { href: "/profile", label: "Profile" },
  security: { href: "/profile/security", label: "Security" },
  sessions: { href: "/profile/sessions", label: "Sessions" },
} as const;

export type ProfileSection = keyof typeof sections;

/** The account's three pages as tabs; the one shown is marked for assistive tech (`aria-current`), not by colour alone. */
export function ProfileNav({ current }: { current: ProfileSection }) {
  return (
    <nav className="section-nav" aria-label="Account">
      <ul>
        {Object.entries(sections).map(([key, { href, label }]) => (
          <li key={key}>
            <Link href={href} aria-current={key === current ? "page" : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
