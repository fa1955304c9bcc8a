"use client";
import { useId, useState } from "react";
import { api } from "@/app/lib/api";
import { toTwofoldError } from "@/app/lib/messages";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { FormError } from "@/app/components/FormError";
import { Notice } from "@/app/components/Notice";

type Outcome = "emailed" | "off" | null;

/**
 * "Lost access to all of these?": account recovery by email (API.md; `ACCOUNT_RECOVERY=email`). The password is
 * already proved by this challenge; the emailed link then starts a 24-hour wait that every contact on file hears
 * about, so a stolen password alone cannot quietly remove the second factor. When the server has it off (404),
 * only the people who run the site can help.
 */
export function LostAccess() {
  const [open, setOpen] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const form = useForm();
  const panelId = useId();

  async function request() {
    await form.run(async () => {
      try {
        await api.requestAccountRecovery();
        setOutcome("emailed");
      } catch (caught) {
        const error = toTwofoldError(caught);
        if (error.status === 404 && error.code === "not_found") return setOutcome("off");
        throw error;
      }
    });
  }

  return (
    <div>
      <button
        type="button"
        className="link-button small"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen(!open)}
      >
        Lost access to all of these?
      </button>
      {open && (
        <div id={panelId} className="stack-tight small" style={{ marginTop: "0.75rem" }}>
          <p className="muted" style={{ margin: 0 }}>
            We can remove your second factors so that your password alone signs you in. For your safety this takes 24
            hours: we email you a link to start it, then tell you on every channel we have, so that you can stop it if
            it wasn&apos;t you.
          </p>
          <FormError error={form.error} ref={form.errorRef} />
          <Notice>
            {outcome === "emailed" && (
              <p>
                We emailed you a link. Open it within an hour to start the 24-hour wait; nothing changes until you do.
              </p>
            )}
          </Notice>
          {outcome === "off" ? (
            <div className="alert alert-info" role="status">
              <p>
                This site doesn&apos;t offer account recovery by email. Contact the site&apos;s operator (the people who
                run it) to get back into your account.
              </p>
            </div>
          ) : (
            outcome !== "emailed" && (
              <div>
                <Button
                  variant="secondary"
                  size="small"
                  onClick={request}
                  pending={form.pending}
                  pendingText="Sending…"
                >
                  Email me a recovery link
                </Button>
              </div>
            )
          )}
        </div>
      )}
    </div>
  );
}
