"use client";
import {
  type AuthenticationResponseJSON,
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  WebAuthnAbortService,
} from "@simplewebauthn/browser";
import { useEffect, useEffectEvent, useState } from "react";
import { api } from "@/app/lib/api";
import { passkeyAssertion, passkeyError } from "@/app/lib/second-factor";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { FormError } from "@/app/components/FormError";

/** A passkey with user verification is two factors at once: the session it makes needs no second step. */
async function signInWith(response: AuthenticationResponseJSON): Promise<"navigating"> {
  await api.signInWithPasskey({ response });
  // Full page load: the header and any cached page must pick up the new session.
  window.location.assign("/profile");
  return "navigating";
}

/**
 * "Sign in with a passkey" (passwordless, a discoverable credential), shown once the browser says it can. Where
 * the browser also offers passkeys in the email field's autofill (conditional UI), that request waits in the
 * background from page load; the button cancels it first, as a browser runs one WebAuthn request at a time.
 */
export function PasskeySignIn() {
  const [supported, setSupported] = useState(false);
  const form = useForm();

  // After hydration: the server cannot know, and a button that appears then vanishes would be worse.
  useEffect(() => setSupported(browserSupportsWebAuthn()), []);

  const autofillFailed = useEffectEvent((caught: unknown) => {
    const error = passkeyError(caught);
    // Cancelled, timed out, or replaced by the button's request: nothing to say.
    if (error.code !== "passkey_failed") return;
    form.setError(error);
  });
  const autofillSignIn = useEffectEvent((response: AuthenticationResponseJSON) => {
    void form.run(() => signInWith(response));
  });

  useEffect(() => {
    let stopped = false;
    void (async () => {
      if (!(await browserSupportsWebAuthnAutofill())) return;
      const optionsJSON = await api.passkeySignInOptions().catch(() => null);
      if (!optionsJSON || stopped) return;
      let response: AuthenticationResponseJSON;
      try {
        response = await startAuthentication({ optionsJSON, useBrowserAutofill: true });
      } catch (caught) {
        if (!stopped) autofillFailed(caught);
        return;
      }
      autofillSignIn(response);
    })();
    return () => {
      stopped = true;
      WebAuthnAbortService.cancelCeremony();
    };
  }, []);

  async function onClick() {
    // The autofill request would otherwise hold the authenticator (startAuthentication also cancels it).
    WebAuthnAbortService.cancelCeremony();
    await form.run(async () => signInWith(await passkeyAssertion(await api.passkeySignInOptions())));
  }

  if (!supported) return null;
  return (
    <div className="stack-tight">
      <div className="divider" aria-hidden="true">
        or
      </div>
      <FormError error={form.error} ref={form.errorRef} />
      <Button
        variant="secondary"
        block
        onClick={onClick}
        pending={form.pending}
        pendingText="Waiting for your passkey…"
      >
        Sign in with a passkey
      </Button>
    </div>
  );
}
