"use client";
import { Fragment, useEffect, useState, type ReactNode } from "react";
import type { OutboxMessage } from "@/src/client";
import { api } from "@/app/lib/api";
import { errorText, toTwofoldError } from "@/app/lib/messages";
import { LocalTime } from "@/app/components/LocalTime";

const refreshMilliseconds = 2000;

const channelNames = { email: "Emails", sms: "Text messages" } as const;

export function Inbox({ channels }: { channels: Array<"email" | "sms"> }) {
  const [messages, setMessages] = useState<OutboxMessage[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll() {
      try {
        const { messages } = await api.devOutbox();
        if (stopped) return;
        setMessages([...messages].sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
        setError(null);
      } catch (caught) {
        if (!stopped) setError(errorText(toTwofoldError(caught)));
      }
      // Scheduled after each answer, not on a fixed interval: a slow server never gets overlapping polls.
      if (!stopped) timer = setTimeout(poll, refreshMilliseconds);
    }
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  return (
    <div className="stack">
      <div className="section-head">
        <div>
          <h1>Dev inbox</h1>
          <p className="muted small" style={{ margin: 0 }}>
            {channels.map((channel) => channelNames[channel]).join(" and ")} the server would have sent (channels
            without a real provider only). Newest first; refreshes every 2 seconds.
          </p>
        </div>
        <span className="badge accent">Development only</span>
      </div>
      {error && (
        <div className="alert alert-error" role="alert">
          <p>{error}</p>
        </div>
      )}
      {messages === null && !error && <p className="muted">Loading…</p>}
      {messages?.length === 0 && (
        <section className="card">
          <p className="muted" style={{ margin: 0 }}>
            No messages yet. Sign up or ask for a password reset and the email appears here.
          </p>
        </section>
      )}
      {messages && messages.length > 0 && (
        <ul className="inbox" aria-label="Messages">
          {messages.map((message) => (
            <li key={message.id} className="card message">
              <header>
                <div>
                  <h2>{message.subject || (message.channel === "sms" ? "Text message" : "(no subject)")}</h2>
                  <div className="muted small">
                    To <span className="mono">{message.to}</span>
                  </div>
                </div>
                <div className="message-meta muted small">
                  <span className={message.channel === "sms" ? "badge success" : "badge accent"}>
                    {message.channel === "sms" ? "SMS" : "Email"}
                  </span>
                  {message.status && message.status !== "sent" && <span className="badge">{message.status}</span>}
                  <LocalTime iso={message.createdAt} />
                </div>
              </header>
              <p className="body">{linkify(message.body)}</p>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// http(s) only: a message body must never become a javascript: link.
const urlPattern = /https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/g;

/** Text with its URLs as links, opening in this tab so the verify/reset flow continues where you are. */
function linkify(text: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(urlPattern)) {
    const start = match.index ?? 0;
    parts.push(<Fragment key={`t${start}`}>{text.slice(last, start)}</Fragment>);
    parts.push(
      <a key={`a${start}`} href={match[0]}>
        {match[0]}
      </a>,
    );
    last = start + match[0].length;
  }
  parts.push(<Fragment key="end">{text.slice(last)}</Fragment>);
  return parts;
}
