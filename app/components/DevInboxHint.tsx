import Link from "next/link";

/** After a "check your email" footer's own link: where the email is when the server sends none (dev outbox). */
export function DevInboxHint() {
  return (
    <>
      {" · "}Developing locally? Read the email in the <Link href="/dev/inbox">dev inbox</Link>.
    </>
  );
}
