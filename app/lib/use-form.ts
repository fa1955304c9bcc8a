"use client";
import { useEffect, useRef, useState } from "react";
import { TwofoldError } from "../../src/client";
import { toTwofoldError } from "./messages";
import { ownEntry } from "./lookups";

/**
 * An error whose code belongs to one field (`invalid_credentials` → the password) becomes a field error, so the
 * form shows it once, at that field, like the API's own per-field errors.
 */
export function withCodeFields(error: TwofoldError, codeFields: Record<string, string> = {}): TwofoldError {
  // The code comes from the API's answer: own keys only (a code "constructor" names no field).
  const field = ownEntry(codeFields, error.code);
  if (!field || ownEntry(error.fields, field)) return error;
  return new TwofoldError({
    status: error.status,
    code: error.code,
    message: error.message,
    fields: { ...error.fields, [field]: error.message },
    retryAfterSeconds: error.retryAfterSeconds,
    details: error.details,
  });
}

/**
 * Pending and error state for one form, and where focus goes when it fails (app/components/FormError.tsx
 * decides, and moves it): to the field when one field is wrong, else to the error summary. Keyboard and
 * screen-reader users land on the explanation instead of a silently re-enabled button.
 */
export function useForm(options: { codeFields?: Record<string, string> } = {}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<TwofoldError | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    // Null when FormError shows the error at its field instead (it focuses the field itself).
    if (error) errorRef.current?.focus();
  }, [error]);

  /** Runs `action`; return "navigating" from it to stay pending while the next page loads. */
  async function run(action: () => Promise<void | "navigating">): Promise<void> {
    setPending(true);
    setError(null);
    try {
      if ((await action()) === "navigating") return;
    } catch (caught) {
      setError(withCodeFields(toTwofoldError(caught), options.codeFields));
    }
    setPending(false);
  }

  /** The message for this field: the API's, or the whole error's when its code belongs to this field. */
  function fieldError(name: string): string | undefined {
    // The fields come from the API's answer: own keys only.
    return error ? ownEntry(error.fields, name) : undefined;
  }

  // Errors set by hand (a passkey ceremony's) take the same field mapping as the ones `run` catches.
  const setFormError = (next: TwofoldError | null) => setError(next && withCodeFields(next, options.codeFields));

  return { pending, error, setError: setFormError, errorRef, run, fieldError };
}
