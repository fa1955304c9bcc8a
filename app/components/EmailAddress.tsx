import { Fragment } from "react";

/**
 * An email address that, when it must wrap, breaks before the "@" or a dot ("someone" / "@example" / ".com"),
 * never mid-word ("example.co" / "m"): a <wbr> marks each place. `.email-address` keeps breaking anywhere as the
 * last resort, for a single part longer than the line.
 */
export function EmailAddress({ email }: { email: string }) {
  const parts = email.split(/(?=[@.])/);
  return (
    <span className="email-address">
      {parts.map((part, index) => (
        // The parts of one fixed string: their order never changes, so the index is a stable key.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <Fragment key={index}>
          {index > 0 && <wbr />}
          {part}
        </Fragment>
      ))}
    </span>
  );
}
