"use client";
import { useEffect, useRef, useState } from "react";

/**
 * Emails link to `/page#token=…`. A fragment is never sent to the server, so the token stays out of
 * access logs, proxies and Referer headers. We read it once, then drop it from the address bar so it
 * does not linger in history, screenshots or a copied URL.
 */
function takeFragmentToken(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.hash) {
    // Keep history.state: the Next.js router stores its own bookkeeping there.
    window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
  }
  return token;
}

/** `undefined` until mounted, then the token or `null` when the link carried none. */
export function useFragmentToken(): string | null | undefined {
  const [token, setToken] = useState<string | null | undefined>(undefined);
  // A ref survives React's development double-mount, whose second run would find the hash already gone.
  const taken = useRef<{ token: string | null } | null>(null);
  useEffect(() => {
    taken.current ??= { token: takeFragmentToken() };
    setToken(taken.current.token);
  }, []);
  return token;
}
