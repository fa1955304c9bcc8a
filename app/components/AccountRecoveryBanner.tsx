"use client";
import { useEffect, useState } from "react";
import type { AccountRecoveryStatus } from "@/src/client";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "./Button";
import { FormError } from "./FormError";
import { LocalTime } from "./LocalTime";
import { Notice } from "./Notice";

/**
 * A pending account recovery, on the signed-in owner's page: at `readyAt` the next sign-in with the password
 * removes every second factor. Whoever holds the password can start one, so the owner gets one button to stop
 * it. Renders nothing while there is none (404) or the server has recovery off.
 *
 *   <AccountRecoveryBanner />   (e.g. at the top of the security profile page)
 */
export function AccountRecoveryBanner() {
  const [recovery, setRecovery] = useState<AccountRecoveryStatus | null>(null);
  const [cancelled, setCancelled] = useState(false);
  const form = useForm();

  useEffect(() => {
    let current = true;
    api.getAccountRecovery().then(
      (found) => {
        if (current && found.recovery) setRecovery(found.recovery);
      },
      // 404: recovery is off on this server. Anything else: the page works without the banner.
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, []);

  async function cancel() {
    // No step-up: cancelling only takes a way in away (the API asks for none).
    await form.run(async () => {
      await api.cancelAccountRecovery();
      setRecovery(null);
      setCancelled(true);
    });
  }

  if (cancelled) {
    return (
      <Notice>
        <p>Account recovery cancelled. Your second factors stay as they are.</p>
      </Notice>
    );
  }
  if (!recovery) return null;
  return (
    <section className="alert alert-error stack-tight" aria-labelledby="account-recovery-banner-title">
      <div>
        <h2 id="account-recovery-banner-title" style={{ fontSize: "1rem", margin: "0 0 0.35rem" }}>
          Account recovery pending
        </h2>
        <p>
          Someone who knows your password asked to remove your second factors. Unless you cancel, they will be removed
          on <LocalTime iso={recovery.readyAt} />, and your password alone will sign in. If this wasn&apos;t you, cancel
          it and change your password.
        </p>
      </div>
      <FormError error={form.error} ref={form.errorRef} />
      <div>
        <Button variant="danger" onClick={cancel} pending={form.pending} pendingText="Cancelling…">
          Cancel account recovery
        </Button>
      </div>
    </section>
  );
}
