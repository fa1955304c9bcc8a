"use client";
import { useEffect, useRef, type ReactNode } from "react";
import { Card } from "./Card";

interface LinkLandingProps {
  title: string;
  /**
   * How the link turned out; left out while it is still being checked (or followed), when the message is muted
   * text. With an outcome the heading takes focus and the message sits in a coloured box, an alert for `error`.
   */
  outcome?: "success" | "info" | "error";
  message?: ReactNode;
  /** Below the message, as given: a note, a form. */
  children?: ReactNode;
  /** The way on (a link or a button), set apart below everything else. */
  actions?: ReactNode;
}

/**
 * The card of a page an emailed link lands on (see `useLinkToken`). The message region stays in the DOM from
 * "checking" to the outcome, so screen readers announce the change; the heading takes focus with the outcome.
 */
export function LinkLanding({ title, outcome, message, children, actions }: LinkLandingProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const settled = outcome !== undefined;

  useEffect(() => {
    if (settled) heading.current?.focus();
  }, [settled]);

  return (
    <Card narrow>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <div role={outcome === "error" && message ? "alert" : "status"} aria-live="polite">
        {message &&
          (outcome ? (
            <div className={`alert alert-${outcome}`}>
              <p>{message}</p>
            </div>
          ) : (
            <p className="muted">{message}</p>
          ))}
      </div>
      {children}
      {actions && <div style={{ marginTop: "1.25rem" }}>{actions}</div>}
    </Card>
  );
}
