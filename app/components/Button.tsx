import type { ButtonHTMLAttributes } from "react";

interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: "primary" | "secondary" | "danger";
  size?: "normal" | "small";
  block?: boolean;
  pending?: boolean;
  /** Label while pending, e.g. "Signing in…". */
  pendingText?: string;
}

export function Button({
  variant = "primary",
  size = "normal",
  block,
  pending,
  pendingText,
  children,
  className,
  disabled,
  type = "button",
  ...rest
}: ButtonProps) {
  const classes = ["button", variant !== "primary" && variant, size === "small" && "small", block && "block", className]
    .filter(Boolean)
    .join(" ");
  return (
    <button type={type} className={classes} disabled={disabled || pending} aria-busy={pending || undefined} {...rest}>
      {pending && pendingText ? pendingText : children}
    </button>
  );
}
