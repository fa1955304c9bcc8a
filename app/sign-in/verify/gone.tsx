/** The dead end of a sign-in whose challenge is over, shared by every step. */
export const gone = {
  title: "Your sign-in expired",
  // The sign-in page says why the user is back there (a notice picked by key, see app/sign-in/page.tsx).
  restart: { href: "/sign-in?notice=sign-in-ended", label: "Sign in again" },
  children: (
    <p>
      For your security, a sign-in waits only a few minutes for its second step and ends after too many wrong codes.
      Start again with your email and password.
    </p>
  ),
};

/** Answers that mean the challenge is over: it can only start again from the password. */
export const isChallengeGone = (error: { status: number; code: string }) =>
  error.status === 410 || ["challenge_expired", "not_found", "credentials_changed"].includes(error.code);
