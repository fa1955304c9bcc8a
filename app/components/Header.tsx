import Link from "next/link";
import type { User } from "@/src/client";
import { Avatar } from "./Avatar";
import { SignOutButton } from "./SignOutButton";

export function Logo() {
  return (
    <svg width="26" height="26" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect x="3" y="3" width="18" height="18" rx="5" fill="var(--accent)" />
      <rect x="11" y="11" width="18" height="18" rx="5" fill="none" stroke="var(--accent)" strokeWidth="3" />
    </svg>
  );
}

/** Server-rendered: the layout passes the user it got from the API, so the nav never flashes the wrong state. */
export function Header({ user }: { user: User | null }) {
  return (
    <header className="site-header">
      <div className="inner">
        <Link href="/" className="brand">
          <Logo />
          Twofold
        </Link>
        <nav className="nav" aria-label="Main">
          {user ? (
            <>
              <Link href="/profile" className="nav-profile" aria-label={`Profile (${user.name || user.email})`}>
                <Avatar user={user} size="small" />
                <span className="nav-name">{user.name || "Profile"}</span>
              </Link>
              <SignOutButton />
            </>
          ) : (
            <>
              <Link href="/sign-in">Sign in</Link>
              <Link href="/sign-up" className="button small">
                Create account
              </Link>
            </>
          )}
        </nav>
      </div>
    </header>
  );
}
