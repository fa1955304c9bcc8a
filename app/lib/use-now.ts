"use client";
import { useEffect, useState } from "react";

/**
 * The time, re-rendering every second; `null` during the server render and hydration, so a countdown never
 * renders one number on the server and another in the browser. Once mounted it is read fresh on every render:
 * the last tick can be up to a second old when new data (a new `resendAt`) arrives between ticks.
 */
export function useNow(): number | null {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now === null ? null : Date.now();
}

/** Whole seconds from `now` until `iso` (0 once passed); `null` while the clock is not running yet. */
export function secondsUntil(iso: string | null, now: number | null): number | null {
  if (now === null) return null;
  if (!iso) return 0;
  // Rounded up, less 100 ms: a fresh "60 s" cooldown reaches us a few ms later and should read 1:00, not 1:01.
  return Math.max(0, Math.ceil((Date.parse(iso) - now - 100) / 1000));
}

/** `0:42`, `4:05`: a countdown reads better as a clock than as "42 seconds". */
export function formatClock(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
