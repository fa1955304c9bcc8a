import Link from "next/link";
import type { User } from "@/src/client";
import { homeNotice } from "./lib/lookups";
import { getCurrentUser } from "./lib/session";
import { EmailAddress } from "./components/EmailAddress";
import { FlashNotice } from "./components/FlashNotice";

// What ships today, one line each: the home page must not promise what is missing or hide what is there.
const features = [
  {
    title: "Email and password",
    text: "Sign-up with a verified address, sign-in that slows down guessing, and a reset link when a password is lost.",
  },
  {
    title: "Two-factor sign-in",
    text: "A code by text message, an authenticator app or a passkey, with recovery codes for the day the phone is lost.",
  },
  {
    title: "Trusted browsers",
    text: "Skip the second step for 30 days on a browser you choose, and take that back whenever you like.",
  },
  {
    title: "Sessions you can see",
    text: "Every device signed in to your account, where it was last seen, and a button to sign it out.",
  },
  {
    title: "Links that stay private",
    text: "Verification and reset links work once, expire soon and carry their token where no server log sees it.",
  },
  {
    title: "One API",
    text: "This app uses the same JSON API and typed client that your own apps use.",
  },
];

const twoFactorOn = ({ twoFactor }: User) => twoFactor.sms || twoFactor.totp || Number(twoFactor.passkeys) > 0;

export default async function HomePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await getCurrentUser();
  // Picked by key from a fixed list (own keys only); URL text is never rendered.
  const noticeText = homeNotice((await searchParams).notice);
  return (
    <>
      {noticeText && <FlashNotice>{noticeText}</FlashNotice>}
      <section className="hero">
        <h1 className="break-anywhere">
          {user ? <>Welcome back, {user.name || <EmailAddress email={user.email} />}</> : "Accounts you host yourself"}
        </h1>
        <p>
          Twofold is a self-hosted auth server and web app: email and password accounts with verified addresses,
          password resets, sessions you control, and two-factor sign-in by text message, authenticator app or passkey.
        </p>
        <div className="form-row">
          {user ? (
            <>
              <Link href="/profile" className="button">
                Go to your profile
              </Link>
              <Link href="/profile/security" className="button secondary">
                {twoFactorOn(user) ? "Security settings" : "Turn on two-factor sign-in"}
              </Link>
            </>
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
        {features.map(({ title, text }) => (
          <section className="card" key={title}>
            <h2>{title}</h2>
            <p>{text}</p>
          </section>
        ))}
      </div>
    </>
  );
}
