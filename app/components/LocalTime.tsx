"use client";
import { useEffect, useState } from "react";

/**
 * Server and browser differ in time zone, so the first render prints UTC (identical on both: no hydration
 * mismatch) and the browser then switches to the reader's local time, optionally relative ("5 min ago").
 */
export function LocalTime({ iso, relative = false }: { iso: string; relative?: boolean }) {
  const [text, setText] = useState(() => formatUtc(iso));
  const [title, setTitle] = useState<string | undefined>(undefined);
  useEffect(() => {
    const update = () => setText(relative ? formatRelative(iso) : formatLocal(iso));
    update();
    setTitle(formatLocal(iso));
    if (!relative) return;
    const timer = setInterval(update, 30_000);
    return () => clearInterval(timer);
  }, [iso, relative]);
  return (
    <time dateTime={iso} title={title}>
      {text}
    </time>
  );
}

function formatUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function formatLocal(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

function formatRelative(iso: string): string {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  if (Number.isNaN(seconds)) return iso;
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(seconds / 3600), "hour");
  if (abs < 7 * 86400) return rtf.format(Math.round(seconds / 86400), "day");
  return formatLocal(iso);
}
