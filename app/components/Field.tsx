import type { InputHTMLAttributes, ReactNode } from "react";

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  id: string;
  name: string;
  label: string;
  hint?: ReactNode;
  error?: string;
  /** Rendered at the right of the label, e.g. a "Forgot password?" link. */
  labelAction?: ReactNode;
  /** Rendered beside the input, inside its box (PasswordField's show/hide button). */
  inputAction?: ReactNode;
  /** Rendered under the input and its error (PasswordField's strength hint). */
  below?: ReactNode;
  /** Ids of more descriptions of the input (e.g. the strength hint), read after the hint and the error. */
  describedBy?: string;
}

/** Label, hint, input and inline error, wired together with ids so assistive tech reads them as one. */
export function Field({
  id,
  label,
  hint,
  error,
  labelAction,
  inputAction,
  below,
  describedBy: more,
  type = "text",
  ...input
}: FieldProps) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`, more].filter(Boolean).join(" ") || undefined;
  const control = (
    <input id={id} type={type} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
  );
  return (
    <div className="field">
      <div className="label-row">
        <label htmlFor={id}>{label}</label>
        {labelAction}
      </div>
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {inputAction ? (
        <div className="input-with-action">
          {control}
          {inputAction}
        </div>
      ) : (
        control
      )}
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
      {below}
    </div>
  );
}
