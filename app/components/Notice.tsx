import type { ReactNode } from "react";

/**
 * A polite live region that is always in the DOM: screen readers announce changes inside an existing
 * region reliably, but often miss a region that is inserted together with its text.
 */
export function Notice({ children, tone = "success" }: { children?: ReactNode; tone?: "success" | "info" }) {
  return (
    <div aria-live="polite" role="status">
      {children ? <div className={`alert alert-${tone}`}>{children}</div> : null}
    </div>
  );
}
