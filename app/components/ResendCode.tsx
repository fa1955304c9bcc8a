"use client";
import type { CodeEntry } from "@/app/lib/use-code-entry";
import { formatClock } from "@/app/lib/use-now";
import { Button } from "./Button";

/**
 * "Send a new code" under a code entry, counting down the API's cooldown. A dead code may be replaced at once;
 * while the first code is still being sent, the entry itself says so and this button does not.
 */
export function ResendCode({ entry }: { entry: CodeEntry }) {
  const { out, dead, blocked, codeExpired, resendIn, sendForm, sendCode } = entry;
  return (
    <div className="resend">
      <p className="muted small">
        {codeExpired && !dead
          ? "This code has expired. Ask for a new one."
          : "Didn't get a text? It can take a minute."}
      </p>
      <Button
        variant="secondary"
        size="small"
        onClick={() => sendCode(true)}
        pending={sendForm.pending && out !== null}
        pendingText="Sending…"
        disabled={blocked || resendIn === null || (resendIn > 0 && !dead)}
      >
        {resendIn && !blocked && !dead ? `Send a new code in ${formatClock(resendIn)}` : "Send a new code"}
      </Button>
    </div>
  );
}
