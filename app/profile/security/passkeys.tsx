"use client";
import { browserSupportsWebAuthn, startRegistration, WebAuthnError } from "@simplewebauthn/browser";
import { useRouter } from "next/navigation";
import { useEffect, useState, useTransition, type FormEvent } from "react";
import { TwofoldError, type Passkey, type User } from "@/src/client";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { Field } from "@/app/components/Field";
import { FormError } from "@/app/components/FormError";
import { LocalTime } from "@/app/components/LocalTime";
import { Notice } from "@/app/components/Notice";
import { PasswordConfirm } from "@/app/components/PasswordConfirm";
import { RecoveryCodesPanel } from "./recovery-codes";

const maxNameLength = 60;

type Step = { kind: "idle" } | { kind: "adding" } | { kind: "codes"; codes: string[] };

/**
 * Passkeys: a key pair kept by the device (or synced by a password manager), unlocked with a fingerprint, face or
 * PIN. Adding one asks for the password, then the browser's own passkey dialog; deleting one asks for the password.
 */
export function Passkeys({ user, passkeys }: { user: Pick<User, "email" | "twoFactor">; passkeys: Passkey[] }) {
  const router = useRouter();
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [notice, setNotice] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [, startRefresh] = useTransition();
  // Unknown until mounted: the server cannot tell what this browser supports.
  const [supported, setSupported] = useState<boolean | null>(null);
  useEffect(() => setSupported(browserSupportsWebAuthn()), []);

  async function add(currentPassword: string) {
    const optionsJSON = await api.passkeyRegistrationOptions({ currentPassword });
    const response = await startRegistration({ optionsJSON }).catch((error: unknown) => {
      throw ceremonyError(error);
    });
    const trimmed = name.trim();
    const { passkey, recoveryCodes } = await api.registerPasskey({ response, ...(trimmed ? { name: trimmed } : {}) });
    setNotice(`Passkey “${passkey.name}” added. You can use it to sign in.`);
    setName("");
    setStep(recoveryCodes ? { kind: "codes", codes: recoveryCodes } : { kind: "idle" });
    startRefresh(() => router.refresh());
  }

  const count = passkeys.length;
  return (
    <section className="method" id="passkeys" aria-labelledby="passkeys-title">
      <div className="method-head">
        <div>
          <h3 id="passkeys-title">
            Passkeys <span className={count > 0 ? "badge success" : "badge off"}>{count > 0 ? count : "None"}</span>
          </h3>
          <p className="muted small">
            Sign in with your fingerprint, face or device PIN. A passkey only works on this site, so it can&apos;t be
            phished.
          </p>
        </div>
        {step.kind === "idle" && supported && (
          <Button
            size="small"
            onClick={() => {
              setNotice(null);
              setStep({ kind: "adding" });
            }}
          >
            Add a passkey
          </Button>
        )}
      </div>
      {supported === false && (
        <p className="muted small flush">
          This browser can&apos;t create passkeys. Open this page in a current browser on your phone or computer to add
          one.
        </p>
      )}
      {count > 0 && (
        <ul className="item-list" aria-label="Your passkeys">
          {passkeys.map((passkey) => (
            <PasskeyRow key={passkey.id} passkey={passkey} onChanged={setNotice} />
          ))}
        </ul>
      )}
      {step.kind === "adding" && (
        <PasswordConfirm
          idPrefix="passkey-add"
          submitLabel="Continue"
          pendingText="Waiting for your passkey…"
          onConfirm={add}
          onCancel={() => setStep({ kind: "idle" })}
          stepUpPurpose="add a passkey"
        >
          <p className="small flush">
            Your browser will then ask you to create the passkey, with your fingerprint, face or screen lock.
          </p>
          <Field
            id="passkey-add-name"
            name="passkeyName"
            label="Name (optional)"
            hint="To tell your passkeys apart, e.g. “Work laptop”."
            maxLength={maxNameLength}
            value={name}
            onChange={(event) => setName(event.target.value)}
          />
        </PasswordConfirm>
      )}
      {step.kind === "codes" && (
        <RecoveryCodesPanel codes={step.codes} accountEmail={user.email} onDone={() => setStep({ kind: "idle" })}>
          <p>Two-factor sign-in is on. If you ever lose this passkey, a recovery code gets you in instead.</p>
        </RecoveryCodesPanel>
      )}
      {step.kind !== "codes" && <Notice>{notice && <p>{notice}</p>}</Notice>}
    </section>
  );
}

/** One passkey: its name (renamed in place), when it was added and last used, and deleting it. */
function PasskeyRow({ passkey, onChanged }: { passkey: Passkey; onChanged: (notice: string) => void }) {
  const router = useRouter();
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const form = useForm();
  const [, startRefresh] = useTransition();
  const ids = { name: `passkey-${passkey.id}-name` };

  async function rename(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get("name") ?? "").trim();
    await form.run(async () => {
      const renamed = await api.renamePasskey(passkey.id, { name });
      setMode("view");
      onChanged(`Passkey renamed to “${renamed.passkey.name}”.`);
      startRefresh(() => router.refresh());
    });
  }

  async function remove(currentPassword: string) {
    await api.deletePasskey(passkey.id, { currentPassword });
    onChanged(`Passkey “${passkey.name}” deleted.`);
    startRefresh(() => router.refresh());
  }

  return (
    <li className="item">
      {mode === "rename" ? (
        <form method="post" onSubmit={rename} aria-label={`Rename ${passkey.name}`}>
          <FormError error={form.error} ref={form.errorRef} fieldIds={{ name: ids.name }} />
          <Field
            id={ids.name}
            name="name"
            label="Passkey name"
            defaultValue={passkey.name}
            required
            maxLength={maxNameLength}
            // The field replaces the Rename button that was just pressed: focus follows.
            autoFocus
            error={form.fieldError("name")}
          />
          <div className="form-row">
            <Button type="submit" size="small" pending={form.pending} pendingText="Saving…">
              Save
            </Button>
            <Button variant="secondary" size="small" onClick={() => setMode("view")} disabled={form.pending}>
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className="item-head">
          <div className="item-text">
            <div className="strong">
              {passkey.name} {passkey.backedUp && <span className="badge">Synced</span>}
            </div>
            <div className="muted small">
              Added <LocalTime iso={passkey.createdAt} /> ·{" "}
              {passkey.lastUsedAt ? (
                <>
                  Last used <LocalTime iso={passkey.lastUsedAt} relative />
                </>
              ) : (
                "Not used yet"
              )}
            </div>
          </div>
          {mode === "view" && (
            <div className="form-row">
              <Button
                variant="secondary"
                size="small"
                onClick={() => setMode("rename")}
                aria-label={`Rename ${passkey.name}`}
              >
                Rename
              </Button>
              <Button
                variant="danger"
                size="small"
                onClick={() => setMode("delete")}
                aria-label={`Delete ${passkey.name}`}
              >
                Delete
              </Button>
            </div>
          )}
        </div>
      )}
      {mode === "delete" && (
        <PasswordConfirm
          idPrefix={`passkey-${passkey.id}-delete`}
          submitLabel="Delete passkey"
          pendingText="Deleting…"
          variant="danger"
          onConfirm={remove}
          onCancel={() => setMode("view")}
          stepUpPurpose="delete this passkey"
        >
          <p className="small flush">
            “{passkey.name}” will no longer sign you in. Remove it from the device or password manager too. Enter your
            password to confirm.
          </p>
        </PasswordConfirm>
      )}
    </li>
  );
}

/** The browser's refusals in words: the person cancelled, or this device already holds a passkey for the account. */
function ceremonyError(error: unknown): TwofoldError {
  // WebAuthnError names the reason in `code`, or passes the browser's DOMException name through in `name`.
  const reasons = [error instanceof WebAuthnError ? error.code : "", error instanceof Error ? error.name : ""];
  const message = reasons.some((reason) =>
    ["ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED", "InvalidStateError"].includes(reason),
  )
    ? "This device already has a passkey for your account."
    : reasons.some((reason) => ["ERROR_CEREMONY_ABORTED", "NotAllowedError", "AbortError"].includes(reason))
      ? "No passkey was created: the request was cancelled or timed out. Try again when you're ready."
      : "Your browser could not create a passkey. Try again, or use another device.";
  return new TwofoldError({ status: 0, code: "passkey_not_created", message });
}
