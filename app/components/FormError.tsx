import type { ReactNode, Ref } from "react";
import type { TwofoldError } from "@/src/client";
import { errorText } from "@/app/lib/messages";
import { ownEntry } from "@/app/lib/lookups";

interface FormErrorProps {
  error: TwofoldError | null;
  ref?: Ref<HTMLDivElement>;
  /** Field name → input id, so each field error in the summary links to its input. */
  fieldIds?: Record<string, string>;
  /** Overrides the API's sentence for this form (e.g. a friendlier line for one code). */
  message?: ReactNode;
  children?: ReactNode;
}

/** Error summary at the top of a form; `useForm` focuses it when it appears. */
export function FormError({ error, ref, fieldIds = {}, message, children }: FormErrorProps) {
  if (!error) return null;
  // Field names come from the API's answer: own keys only, so a field named "constructor" links nowhere.
  const linked = Object.entries(error.fields).flatMap(([name, text]) => {
    const id = ownEntry(fieldIds, name);
    return id ? [{ name, text, id }] : [];
  });
  return (
    <div className="alert alert-error" role="alert" tabIndex={-1} ref={ref}>
      {/* With field errors, the list says it all; the API's top sentence would only repeat one of them. */}
      <p>{message ?? (linked.length > 0 ? "Please check the following:" : errorText(error))}</p>
      {linked.length > 0 && (
        <ul>
          {linked.map(({ name, text, id }) => (
            <li key={name}>
              <a href={`#${id}`}>{text}</a>
            </li>
          ))}
        </ul>
      )}
      {children}
    </div>
  );
}
