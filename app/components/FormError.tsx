"use client";
import { Children, useEffect, useId, type ReactNode, type Ref } from "react";
import type { TwofoldError } from "../../src/client";
import { errorText } from "../lib/messages";
import { ownEntry } from "../lib/lookups";

interface FormErrorProps {
  error: TwofoldError | null;
  ref?: Ref<HTMLDivElement>;
  /** Field name → input id of every field the form shows its error at (Field's `error`). */
  fieldIds?: Record<string, string>;
  /** Overrides the API's sentence for this form (e.g. a friendlier line for one code). */
  message?: ReactNode;
  children?: ReactNode;
}

export interface ErrorLayout {
  /** One field is wrong and nothing else needs saying: the error is shown at that field only, which takes focus. */
  atField: string | null;
  /** The sentence that belongs to no field (or the form's own `message`). */
  lead: ReactNode | null;
  /** Field errors in the summary: linked to their input when the form shows that field. */
  items: Array<{ name: string; text: string; id: string | null }>;
}

/**
 * One pattern for every form (after the GOV.UK error summary): with one field error, the message is at the field
 * only and focus goes there; with several, or an error that belongs to no field, a summary headed "There is a
 * problem" lists each field error as a link to its input, and takes focus.
 */
export function errorLayout(error: TwofoldError, fieldIds: Record<string, string>, message?: ReactNode): ErrorLayout {
  // Field names come from the API's answer: own keys only, so a field named "constructor" links nowhere.
  const items = Object.keys(error.fields)
    .filter((name) => Object.hasOwn(error.fields, name))
    .map((name) => ({ name, text: error.fields[name]!, id: ownEntry(fieldIds, name) ?? null }));
  // With field errors, the API's top sentence would only repeat one of them.
  const lead = message ?? (items.length === 0 ? errorText(error) : null);
  const only = items.length === 1 ? items[0]! : null;
  return { atField: !lead && only?.id ? only.id : null, lead, items };
}

/** The error summary at the top of a form; `useForm` focuses it when it appears (see errorLayout). */
export function FormError({ error, ref, fieldIds = {}, message, children }: FormErrorProps) {
  const headingId = useId();
  const layout = error ? errorLayout(error, fieldIds, message) : null;
  // Extra content (`{locked && …}` renders nothing when false) keeps the summary.
  const atField = layout && Children.toArray(children).length === 0 ? layout.atField : null;

  // biome-ignore lint/correctness/useExhaustiveDependencies: each new error (a second failed try) focuses again
  useEffect(() => {
    // The field's aria-describedby reads its error out when it takes focus.
    if (atField) document.getElementById(atField)?.focus();
  }, [error, atField]);

  if (!layout || atField) return null;
  return (
    <div className="alert alert-error error-summary" role="alert" aria-labelledby={headingId} tabIndex={-1} ref={ref}>
      <h2 className="error-summary-title" id={headingId}>
        There is a problem
      </h2>
      {layout.lead && <p>{layout.lead}</p>}
      {layout.items.length > 0 && (
        <ul>
          {layout.items.map(({ name, text, id }) => (
            <li key={name}>{id ? <a href={`#${id}`}>{text}</a> : text}</li>
          ))}
        </ul>
      )}
      {children}
    </div>
  );
}
