"use client";
import { useEffect, useRef, useState } from "react";
import type { TwofoldError } from "@/src/client";
import { toTwofoldError } from "./messages";
import { ownEntry } from "./lookups";

/**
 * Pending and error state for one form. On failure the error summary takes focus, so keyboard and
 * screen-reader users land on the explanation instead of a silently re-enabled button.
 */
export function useForm(options: { codeFields?: Record<string, string> } = {}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<TwofoldError | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (error) errorRef.current?.focus();
  }, [error]);

  /** Runs `action`; return "navigating" from it to stay pending while the next page loads. */
  async function run(action: () => Promise<void | "navigating">): Promise<void> {
    setPending(true);
    setError(null);
    try {
      if ((await action()) === "navigating") return;
    } catch (caught) {
      setError(toTwofoldError(caught));
    }
    setPending(false);
  }

  /** The API's message for this field, or the whole error's message when its code belongs to this field. */
  function fieldError(name: string): string | undefined {
    if (!error) return undefined;
    // The fields and the code come from the API's answer: own keys only (a code "constructor" names no field).
    const text = ownEntry(error.fields, name);
    if (text) return text;
    return options.codeFields && ownEntry(options.codeFields, error.code) === name ? error.message : undefined;
  }

  return { pending, error, setError, errorRef, run, fieldError };
}
