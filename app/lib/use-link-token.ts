"use client";
import { useEffect, useEffectEvent, useRef, useState } from "react";
import type { TwofoldError } from "@/src/client";
import { useFragmentToken } from "./fragment-token";
import { toTwofoldError } from "./messages";

/** Where an emailed link's visit stands. `failed` carries the API's error for the page to word. */
export type LinkTokenState<T> =
  | { kind: "checking" }
  | { kind: "done"; result: T }
  | { kind: "invalid" }
  | { kind: "failed"; error: TwofoldError };

/**
 * The landing of an emailed link (`/page#token=…`): takes the token from the fragment once, posts it with `send`
 * and says how that went. A link without a token, and the API's `invalid_token`, both read as invalid.
 */
export function useLinkToken<T>(send: (input: { token: string }) => Promise<T>): LinkTokenState<T> {
  const token = useFragmentToken();
  const [state, setState] = useState<LinkTokenState<T>>({ kind: "checking" });
  // Tokens are single-use: one POST per page load, even under React's development double effects.
  const sent = useRef(false);

  const post = useEffectEvent((token: string) => {
    send({ token }).then(
      (result) => setState({ kind: "done", result }),
      (caught) => {
        const error = toTwofoldError(caught);
        setState(error.code === "invalid_token" ? { kind: "invalid" } : { kind: "failed", error });
      },
    );
  });

  useEffect(() => {
    if (token === undefined || sent.current) return;
    sent.current = true;
    if (!token) return setState({ kind: "invalid" });
    post(token);
  }, [token]);

  return state;
}
