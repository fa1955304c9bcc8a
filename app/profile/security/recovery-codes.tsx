"use client";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, useTransition, type FormEvent, type ReactNode } from "react";
import type { User } from "@/src/client";
import { api } from "@/app/lib/api";
import { Button } from "@/app/components/Button";
import { Notice } from "@/app/components/Notice";
import { PasswordConfirm } from "@/app/components/PasswordConfirm";

// The API's warning line: with 3 or fewer left, one lost phone away from being locked out.
const fewCodesLeft = 3;
const fileName = "twofold-recovery-codes.txt";

/** The recovery codes method inside the two-factor card: how many are left, and a fresh set. */
export function RecoveryCodes({ user }: { user: Pick<User, "email" | "twoFactor"> }) {
  const router = useRouter();
  const [confirming, setConfirming] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [, startRefresh] = useTransition();
  const left = user.twoFactor.recoveryCodesLeft;

  async function regenerate(currentPassword: string) {
    const { codes } = await api.regenerateRecoveryCodes({ currentPassword });
    setConfirming(false);
    setCodes(codes);
    startRefresh(() => router.refresh());
  }

  return (
    <section className="method" id="recovery-codes" aria-labelledby="recovery-codes-title">
      <div className="method-head">
        <div>
          <h3 id="recovery-codes-title">
            Recovery codes <span className={left <= fewCodesLeft ? "badge warning" : "badge"}>{left} left</span>
          </h3>
          <p className="muted small">Each code signs you in once when your phone, app or passkey is not at hand.</p>
        </div>
        {!confirming && !codes && (
          <Button variant="secondary" size="small" onClick={() => setConfirming(true)}>
            Generate new codes
          </Button>
        )}
      </div>
      {left <= fewCodesLeft && !codes && (
        <div className="alert alert-error">
          <p>
            {left === 0
              ? "You have no recovery codes left. Generate new ones, so that losing your phone does not lock you out."
              : `Only ${left} recovery code${left === 1 ? "" : "s"} left. Generate new ones before you run out.`}
          </p>
        </div>
      )}
      {confirming && (
        <PasswordConfirm
          idPrefix="recovery-codes"
          submitLabel="Generate new codes"
          pendingText="Generating…"
          onConfirm={regenerate}
          onCancel={() => setConfirming(false)}
          stepUpPurpose="make new recovery codes"
        >
          <p className="small flush">Your current codes stop working as soon as the new ones are made.</p>
        </PasswordConfirm>
      )}
      {codes && (
        <RecoveryCodesPanel codes={codes} accountEmail={user.email} onDone={() => setCodes(null)}>
          <p>Your old codes no longer work.</p>
        </RecoveryCodesPanel>
      )}
    </section>
  );
}

interface RecoveryCodesPanelProps {
  codes: string[];
  /** Written into the downloaded file, so a file found later says which account it unlocks. */
  accountEmail: string;
  onDone: () => void;
  /** A line or two about why these codes appeared now. */
  children?: ReactNode;
}

/**
 * The codes, shown once: the API keeps only their hashes. The panel stays until the person says the codes are
 * saved (the box must be ticked before Done), and the browser asks before a tab with unsaved codes is closed.
 */
export function RecoveryCodesPanel({ codes, accountEmail, onDone, children }: RecoveryCodesPanelProps) {
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const box = useRef<HTMLInputElement>(null);
  const [saved, setSaved] = useState(false);
  const [needsTick, setNeedsTick] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);

  // Focus moves to the heading, so the codes are announced rather than skipped past.
  useEffect(() => heading.current?.focus(), []);

  useEffect(() => {
    if (saved) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [saved]);

  async function copyAll() {
    try {
      await navigator.clipboard.writeText(codes.join("\n"));
      setCopied("Copied all 10 codes.");
    } catch {
      setCopied("Your browser did not allow copying. Select the codes and copy them, or download them.");
    }
  }

  function download() {
    const text = [
      `Twofold recovery codes for ${accountEmail}`,
      `Made ${new Date().toISOString().slice(0, 10)}. Each code signs in once; making new codes voids these.`,
      "",
      ...codes,
      "",
    ].join("\n");
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    link.click();
    // After the click has handed the file to the browser's download.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!saved) {
      setNeedsTick(true);
      box.current?.focus();
      return;
    }
    onDone();
  }

  return (
    <form className="recovery-panel" aria-labelledby={headingId} onSubmit={onSubmit} noValidate>
      <div>
        <h4 id={headingId} ref={heading} tabIndex={-1}>
          Save your recovery codes
        </h4>
        <div className="small stack-text">
          {children}
          <p>
            Keep them somewhere safe, apart from your phone: a password manager, or printed. Each code works once. This
            is the only time we show them.
          </p>
        </div>
      </div>
      <ol className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="form-row">
        <Button variant="secondary" size="small" onClick={copyAll}>
          Copy all
        </Button>
        <Button variant="secondary" size="small" onClick={download}>
          Download .txt
        </Button>
      </div>
      <Notice>{copied && <p>{copied}</p>}</Notice>
      <div className="checkbox-row">
        <input
          ref={box}
          id={`${headingId}-saved`}
          type="checkbox"
          checked={saved}
          onChange={(event) => {
            setSaved(event.target.checked);
            if (event.target.checked) setNeedsTick(false);
          }}
          aria-invalid={needsTick || undefined}
          aria-describedby={needsTick ? `${headingId}-saved-error` : undefined}
        />
        <div>
          <label htmlFor={`${headingId}-saved`} className="strong">
            I saved these codes
          </label>
          {needsTick && (
            <div className="field-error small" id={`${headingId}-saved-error`} role="alert">
              Save the codes first, then tick this box. You won&apos;t see them again.
            </div>
          )}
        </div>
      </div>
      <div>
        <Button type="submit">Done</Button>
      </div>
    </form>
  );
}
