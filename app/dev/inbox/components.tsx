"use client";
import { Fragment, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import type { OutboxMessage } from "@/src/client";
import { api } from "@/app/lib/api";
import { errorText, toTwofoldError } from "@/app/lib/messages";
import { LocalTime } from "@/app/components/LocalTime";

const refreshMilliseconds = 2000;

/**
 * The newest messages open as HTML, the rest as text (a tab away from their HTML): each HTML view is a frame, a
 * whole document, and fifty of them made the page slow to load and to scroll. A view keeps its tab as newer mail
 * pushes it down the list.
 */
const htmlByDefault = 8;

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
          {messages.map((message, index) => (
            <li key={message.id} className="card message" data-message-id={message.id}>
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
              {message.html ? (
                <EmailViews
                  html={message.html}
                  text={message.body}
                  subject={message.subject}
                  initialView={index < htmlByDefault ? "html" : "text"}
                />
              ) : (
                <p className="body">{linkify(message.body)}</p>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

type View = "html" | "text";
const views: Array<{ view: View; label: string }> = [
  { view: "html", label: "HTML" },
  { view: "text", label: "Text" },
];

/**
 * An email as the recipient's mail client shows it (HTML, the newest messages' default, as Mailpit) or its text part: two tabs
 * (WAI-ARIA tabs pattern: arrow keys move between them, one Tab stop).
 */
function EmailViews({
  html,
  text,
  subject,
  initialView,
}: {
  html: string;
  text: string;
  subject: string | null;
  initialView: View;
}) {
  const [view, setView] = useState<View>(initialView);
  const id = useId();
  const tabs = useRef<Array<HTMLButtonElement | null>>([]);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = views.findIndex((entry) => entry.view === view);
    const next =
      event.key === "ArrowRight" || event.key === "ArrowDown"
        ? (index + 1) % views.length
        : event.key === "ArrowLeft" || event.key === "ArrowUp"
          ? (index - 1 + views.length) % views.length
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? views.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    setView(views[next]!.view);
    tabs.current[next]?.focus();
  }

  return (
    <div className="message-views">
      <div role="tablist" aria-label="Show the email as" className="message-tabs" onKeyDown={onKeyDown}>
        {views.map((entry, index) => (
          <button
            key={entry.view}
            ref={(element) => {
              tabs.current[index] = element;
            }}
            type="button"
            role="tab"
            id={`${id}-${entry.view}-tab`}
            aria-selected={view === entry.view}
            aria-controls={`${id}-${entry.view}-panel`}
            tabIndex={view === entry.view ? 0 : -1}
            onClick={() => setView(entry.view)}
          >
            {entry.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-${view}-panel`} aria-labelledby={`${id}-${view}-tab`}>
        {view === "html" ? (
          <EmailHtml html={html} title={`The email “${subject ?? "(no subject)"}” as HTML`} />
        ) : (
          <p className="body">{linkify(text)}</p>
        )}
      </div>
    </div>
  );
}

/**
 * The HTML part in a sandboxed frame: `sandbox` without allow-scripts runs no script whatever the markup says, and
 * gives the document an opaque origin (no cookies, no access to this page). The only permission is top-level
 * navigation on a click, so the email's own button opens the verify or reset page in this tab, as the text tab's
 * links do; without it a click would load our page inside the frame, which our frame-ancestors 'none' refuses.
 */
function EmailHtml({ html, title }: { html: string; title: string }) {
  const srcDoc = useMemo(() => framedEmail(html), [html]);
  return (
    <iframe
      className="message-html"
      title={title}
      sandbox="allow-top-navigation-by-user-activation"
      loading="lazy"
      referrerPolicy="no-referrer"
      srcDoc={srcDoc}
    />
  );
}

/**
 * No remote loads (a tracking pixel, a web font) and nothing but inline styles and data: images: a policy of its
 * own at the top of the document, on top of the page's, which a srcdoc frame inherits.
 */
const emailFrameCsp =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

/** The email's markup with that policy first in <head>, and its links made to leave the frame (http(s) only). */
function framedEmail(html: string): string {
  // DOMParser builds an inert document: nothing in it loads or runs while we edit it.
  const doc = new DOMParser().parseFromString(html, "text/html");
  for (const element of doc.querySelectorAll("script, meta[http-equiv], base")) element.remove();
  const csp = doc.createElement("meta");
  csp.httpEquiv = "Content-Security-Policy";
  csp.content = emailFrameCsp;
  doc.head.prepend(csp);
  for (const link of doc.querySelectorAll("a[href]")) {
    if (/^https?:\/\//i.test(link.getAttribute("href") ?? "")) link.setAttribute("target", "_top");
    else link.removeAttribute("href");
  }
  return `<!doctype html>\n${doc.documentElement.outerHTML}`;
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
