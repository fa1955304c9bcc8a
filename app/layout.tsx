import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import Link from "next/link";
import { connection } from "next/server";
import { Header } from "./components/Header";
import { devInboxChannels } from "./lib/dev-inbox";
import { getCurrentUser } from "./lib/session";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Twofold", template: "%s · Twofold" },
  description: "Self-hosted accounts with email, password and two-factor sign-in.",
  // Auth pages have nothing to index, and token pages must never be cached by a crawler.
  robots: { index: false, follow: false },
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, never prerendered: scripts/server.mjs gives each response a fresh CSP nonce and Next can
  // only put it on the scripts of a page it renders for that request.
  await connection();
  // The header is decoration: if the API is down, show it signed out and let the page report the error.
  const user = await getCurrentUser().catch(() => null);
  // The link shows exactly when the page exists for this browser (app/lib/dev-inbox.ts), whatever NODE_ENV says.
  const dev = (await devInboxChannels().catch(() => null)) !== null;
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <Header user={user} />
        <main id="main" tabIndex={-1}>
          {children}
        </main>
        <footer className="site-footer">
          <div className="inner">
            <span>Twofold</span>
            <span aria-hidden="true">·</span>
            <a href="/api/docs">API reference</a>
            {dev && (
              <>
                <span aria-hidden="true">·</span>
                <Link href="/dev/inbox">Dev inbox</Link>
              </>
            )}
          </div>
        </footer>
      </body>
    </html>
  );
}
