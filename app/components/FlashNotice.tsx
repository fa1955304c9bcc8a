"use client";
import { useEffect } from "react";
import type { ComponentProps } from "react";
import { Notice } from "./Notice";

/**
 * A notice picked by `?notice=key` (e.g. after a redirect). Once shown, the key leaves the address bar, so the
 * next refresh of the page (after any later change on it) does not repeat news that may no longer be true.
 */
export function FlashNotice({ children, tone }: { children: string; tone?: ComponentProps<typeof Notice>["tone"] }) {
  useEffect(() => {
    const url = new URL(window.location.href);
    if (!url.searchParams.has("notice")) return;
    url.searchParams.delete("notice");
    // `null`, not history.state: Next.js copies its own bookkeeping over either way, but only a call without its
    // marker updates the router's idea of the URL, which router.refresh() asks the server for.
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
  }, []);
  return <Notice tone={tone}>{children}</Notice>;
}
