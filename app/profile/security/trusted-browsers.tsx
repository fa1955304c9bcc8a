"use client";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import type { TrustedBrowser } from "@/src/client";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { FormError } from "@/app/components/FormError";
import { LocalTime } from "@/app/components/LocalTime";
import { Notice } from "@/app/components/Notice";
import { useStepUp } from "@/app/components/StepUp";

/** Browsers that skip the second step at sign-in (the box ticked after a code); revoking one asks again there. */
export function TrustedBrowsers({ browsers }: { browsers: TrustedBrowser[] }) {
  const router = useRouter();
  const form = useForm();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [refreshing, startRefresh] = useTransition();
  const stepUp = useStepUp("trusted-browsers", "stop trusting a browser");
  const sorted = [...browsers].sort(
    (a, b) =>
      Number(b.current) - Number(a.current) || (b.lastUsedAt ?? b.createdAt).localeCompare(a.lastUsedAt ?? a.createdAt),
  );

  async function revoke(browser: TrustedBrowser) {
    setBusyId(browser.id);
    setNotice(null);
    await form.run(() =>
      stepUp.guard(async () => {
        await api.revokeTrustedBrowser(browser.id);
        setNotice(`${describe(browser)} will ask for a second step at its next sign-in.`);
        startRefresh(() => router.refresh());
      }),
    );
    setBusyId(null);
  }

  return (
    <section className="card" id="trusted-browsers" aria-labelledby="trusted-browsers-title">
      <header>
        <h2 id="trusted-browsers-title">Trusted browsers</h2>
        <p>
          These skip the second step when you sign in with your password, for 30 days. Changing your password forgets
          them all.
        </p>
      </header>
      <div className="stack-tight">
        <FormError error={form.error} ref={form.errorRef} />
        <Notice>{notice && <p>{notice}</p>}</Notice>
        {stepUp.prompt}
        {sorted.length === 0 ? (
          <p className="muted flush">
            None. When you sign in with a second step, tick “Don’t ask again on this browser for 30 days” to skip it
            there next time.
          </p>
        ) : (
          <ul className="item-list" aria-label="Trusted browsers">
            {sorted.map((browser) => (
              <li key={browser.id} className="item">
                <div className="item-head">
                  <div className="item-text">
                    <div className="strong">
                      {describe(browser)} {browser.current && <span className="badge accent">This browser</span>}
                    </div>
                    <div className="muted small">
                      <span className="mono">{browser.ip ?? "Unknown IP"}</span> · Trusted{" "}
                      <LocalTime iso={browser.createdAt} /> ·{" "}
                      {browser.lastUsedAt ? (
                        <>
                          Last used <LocalTime iso={browser.lastUsedAt} relative />
                        </>
                      ) : (
                        "Not used yet"
                      )}{" "}
                      · Until <LocalTime iso={browser.expiresAt} />
                    </div>
                  </div>
                  <Button
                    variant="secondary"
                    size="small"
                    disabled={refreshing || stepUp.active || (busyId !== null && busyId !== browser.id)}
                    pending={busyId === browser.id && !stepUp.active}
                    pendingText="Revoking…"
                    onClick={() => revoke(browser)}
                    aria-label={`Revoke ${describe(browser)}${browser.current ? " (this browser)" : ""}`}
                  >
                    Revoke
                  </Button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}

function describe(browser: TrustedBrowser): string {
  if (browser.browser && browser.os) return `${browser.browser} on ${browser.os}`;
  return browser.browser || browser.os || "Unknown browser";
}
