import Link from "next/link";
import { getCurrentUser } from "./lib/session";

export default async function HomePage() {
  const user = await getCurrentUser();
  return (
    <>
      <section className="hero">
        <h1>{user ? `Welcome back, ${user.name || user.email}` : "Accounts you host yourself"}</h1>
        <p>
          Twofold is a small, self-hosted auth server: email and password accounts with verified addresses, password
          resets, session management and, next, SMS two-factor sign-in.
        </p>
        <div className="form-row">
          {user ? (
            <Link href="/profile" className="button">
              Go to your profile
            </Link>
          ) : (
            <>
              <Link href="/sign-up" className="button">
                Create an account
              </Link>
              <Link href="/sign-in" className="button secondary">
                Sign in
              </Link>
            </>
          )}
        </div>
      </section>
      <div className="features">
        <section className="card">
          <h2>Verified email</h2>
          <p>
            Accounts start with a one-time link. Links carry their token in the URL fragment, so it never reaches a log.
          </p>
        </section>
        <section className="card">
          <h2>Sessions you can see</h2>
          <p>Every device signed in to your account, where it was last seen, and a button to sign it out.</p>
        </section>
        <section className="card">
          <h2>One API</h2>
          <p>This app uses the same JSON API and typed client that your own apps use.</p>
        </section>
      </div>
    </>
  );
}
