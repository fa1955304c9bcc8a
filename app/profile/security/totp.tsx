"use client";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition, type FormEvent } from "react";
import { TwofoldError, type TotpSetup, type User } from "@/src/client";
import { api } from "@/app/lib/api";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { codeLength } from "@/app/components/CodeField";
import { Field } from "@/app/components/Field";
import { FormError } from "@/app/components/FormError";
import { Notice } from "@/app/components/Notice";
import { PasswordConfirm } from "@/app/components/PasswordConfirm";
import { QrCode } from "@/app/components/QrCode";
import { StepUpSubmit, useStepUp } from "@/app/components/StepUp";
import { RecoveryCodesPanel } from "./recovery-codes";

type Step =
  | { kind: "idle" }
  | { kind: "password" }
  | { kind: "scan"; setup: TotpSetup }
  | { kind: "codes"; codes: string[] }
  | { kind: "removing" };

/**
 * The authenticator app (TOTP, RFC 6238): set up with the password, a QR code and one code from the app, which
 * proves the app holds the secret before sign-ins start asking for it. Removing it asks for the password.
 */
export function AuthenticatorApp({ user }: { user: Pick<User, "email" | "twoFactor"> }) {
  const router = useRouter();
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [notice, setNotice] = useState<string | null>(null);
  const [, startRefresh] = useTransition();
  const on = user.twoFactor.totp;
  const othersLeft = user.twoFactor.sms || Number(user.twoFactor.passkeys) > 0;

  async function start(currentPassword: string) {
    setStep({ kind: "scan", setup: await api.setupTotp({ currentPassword }) });
  }

  function enabled(recoveryCodes: string[] | undefined) {
    setNotice("Authenticator app is on. Sign-ins can ask for a code from it.");
    setStep(recoveryCodes ? { kind: "codes", codes: recoveryCodes } : { kind: "idle" });
    startRefresh(() => router.refresh());
  }

  async function remove(currentPassword: string) {
    await api.removeTotp({ currentPassword });
    setStep({ kind: "idle" });
    setNotice(
      othersLeft
        ? "Authenticator app removed. Its codes no longer work."
        : "Authenticator app removed. Two-factor sign-in is off: your password alone now signs you in.",
    );
    startRefresh(() => router.refresh());
  }

  function open(kind: "password" | "removing") {
    setNotice(null);
    setStep({ kind });
  }

  return (
    <section className="method" id="authenticator" aria-labelledby="authenticator-title">
      <div className="method-head">
        <div>
          <h3 id="authenticator-title">
            Authenticator app{" "}
            <span className={on ? "badge success" : "badge off"}>
              <span className="visually-hidden">is </span>
              {on ? "On" : "Off"}
            </span>
          </h3>
          <p className="muted small">
            A 6-digit code that changes every 30 seconds, from an app such as 1Password, Google Authenticator or Authy.
            Works without phone signal.
          </p>
        </div>
        {step.kind === "idle" &&
          (on ? (
            <Button variant="danger" size="small" onClick={() => open("removing")}>
              Remove
            </Button>
          ) : (
            <Button size="small" onClick={() => open("password")}>
              Set up
            </Button>
          ))}
      </div>
      {step.kind === "password" && (
        <PasswordConfirm
          idPrefix="totp-setup"
          submitLabel="Continue"
          pendingText="Preparing…"
          onConfirm={start}
          onCancel={() => setStep({ kind: "idle" })}
          stepUpPurpose="set up an authenticator app"
        >
          <p className="small flush">Enter your password to set up an authenticator app.</p>
        </PasswordConfirm>
      )}
      {step.kind === "scan" && (
        <ScanAndConfirm setup={step.setup} onEnabled={enabled} onCancel={() => setStep({ kind: "idle" })} />
      )}
      {step.kind === "codes" && (
        <RecoveryCodesPanel codes={step.codes} accountEmail={user.email} onDone={() => setStep({ kind: "idle" })}>
          <p>Two-factor sign-in is on. If you ever lose the app, a recovery code gets you in instead.</p>
        </RecoveryCodesPanel>
      )}
      {step.kind === "removing" && (
        <PasswordConfirm
          idPrefix="totp-remove"
          submitLabel="Remove authenticator app"
          pendingText="Removing…"
          variant="danger"
          onConfirm={remove}
          onCancel={() => setStep({ kind: "idle" })}
          stepUpPurpose="remove the authenticator app"
        >
          <p className="small flush">
            {othersLeft
              ? "Codes from the app will stop working."
              : "This is your only second factor: two-factor sign-in will be off, and your recovery codes deleted."}{" "}
            Enter your password to confirm.
          </p>
        </PasswordConfirm>
      )}
      {step.kind !== "codes" && <Notice>{notice && <p>{notice}</p>}</Notice>}
    </section>
  );
}

interface ScanAndConfirmProps {
  setup: TotpSetup;
  onEnabled: (recoveryCodes: string[] | undefined) => void;
  onCancel: () => void;
}

/** Step 1: the QR code (or the key typed by hand); step 2: one code from the app turns it on. */
function ScanAndConfirm({ setup, onEnabled, onCancel }: ScanAndConfirmProps) {
  const form = useForm({ codeFields: { invalid_code: "code" } });
  const stepUp = useStepUp("totp-confirm", "turn the authenticator app on");
  const [code, setCode] = useState("");
  const [copied, setCopied] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const codeId = "totp-code";

  // The password form that was focused is gone: start at the instructions.
  useEffect(() => heading.current?.focus(), []);

  async function copyKey() {
    try {
      await navigator.clipboard.writeText(setup.secret);
      setCopied("Key copied.");
    } catch {
      setCopied("Your browser did not allow copying. Select the key and copy it.");
    }
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    await form.run(async () => {
      if (code.length !== codeLength) {
        const message = `Enter the ${codeLength}-digit code your authenticator app shows for Twofold.`;
        throw new TwofoldError({ status: 400, code: "invalid_code", message });
      }
      const result = await stepUp.guard(() => api.confirmTotp({ code }));
      if (!result) return;
      onEnabled(result.recoveryCodes);
    });
  }

  return (
    <div className="totp-setup">
      <h4 ref={heading} tabIndex={-1}>
        Scan this QR code with your authenticator app
      </h4>
      <div className="totp-scan">
        <QrCode text={setup.otpauthUri} label="QR code for your authenticator app" />
        <div className="small stack-text">
          <p>In the app, add an account and scan the code.</p>
          <p>Can&apos;t scan it? Choose to enter a setup key, and type this one:</p>
          <p>
            <code className="totp-secret" id="totp-secret">
              {groupsOfFour(setup.secret)}
            </code>
          </p>
          <div>
            <Button variant="secondary" size="small" onClick={copyKey}>
              Copy key
            </Button>
          </div>
          <Notice>{copied && <p>{copied}</p>}</Notice>
        </div>
      </div>
      <form method="post" onSubmit={onSubmit} aria-label="Confirm the authenticator app">
        <FormError error={form.error} ref={form.errorRef} fieldIds={{ code: codeId }} />
        <Field
          id={codeId}
          name="code"
          label="Code from the app"
          hint="Enter the 6-digit code the app now shows for Twofold."
          className="code-input"
          inputMode="numeric"
          pattern="[0-9]*"
          maxLength={codeLength}
          autoComplete="one-time-code"
          spellCheck={false}
          required
          value={code}
          onChange={(event) => setCode(event.target.value.replace(/\D/g, "").slice(0, codeLength))}
          error={form.fieldError("code")}
        />
        <div className="form-row">
          <StepUpSubmit
            waiting={stepUp.active}
            pending={form.pending}
            label="Turn on"
            pendingText="Checking…"
            onCancel={onCancel}
          />
        </div>
      </form>
      {stepUp.prompt}
    </div>
  );
}

/** `ABCD EFGH IJKL …`: a 32-letter key is hard to copy by eye in one run. */
function groupsOfFour(secret: string): string {
  return (
    secret
      .replace(/\s/g, "")
      .match(/.{1,4}/g)
      ?.join(" ") ?? secret
  );
}
