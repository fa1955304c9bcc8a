"use client";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition, type FormEvent } from "react";
import type { CountryCode } from "libphonenumber-js/min";
import { TwofoldError, type PendingPhoneVerification, type User } from "@/src/client";
import { api } from "@/app/lib/api";
import { smsErrorText } from "@/app/lib/messages";
import { formatPhoneNumber, toE164, type CountryOption } from "@/app/lib/phone";
import { useForm } from "@/app/lib/use-form";
import { Button } from "@/app/components/Button";
import { PasswordField } from "@/app/components/PasswordField";
import { FormError } from "@/app/components/FormError";
import { Notice } from "@/app/components/Notice";
import { PasswordConfirm } from "@/app/components/PasswordConfirm";
import { PhoneNumberField } from "@/app/components/PhoneNumberField";
import { StepUpSubmit, useStepUp } from "@/app/components/StepUp";

interface PhoneSettingsProps {
  user: Pick<User, "phoneNumber" | "phoneNumberFull" | "phoneVerified" | "twoFactor">;
  /** A number that was sent a code and still waits for it (`GET /api/account/phone/verification`). */
  pending: Pick<PendingPhoneVerification, "phoneNumber"> | null;
  countries: CountryOption[];
  defaultCountry: CountryCode;
}

/** The phone number used for sign-in codes: what it is, changing it (by code) and removing it (by password). */
export function PhoneSettings({ user, pending, countries, defaultCountry }: PhoneSettingsProps) {
  const router = useRouter();
  const [editing, setEditing] = useState(!user.phoneNumber);
  // Set when "Change number" opens the form: that button is gone then, so focus moves into the form.
  const [focusForm, setFocusForm] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [removedNotice, setRemovedNotice] = useState<string | null>(null);
  const [, startRefresh] = useTransition();
  // Removing the number ends SMS codes; two-factor sign-in itself ends only if they were its one factor.
  const endsTwoFactor = user.twoFactor.sms && !user.twoFactor.totp && !Number(user.twoFactor.passkeys);

  async function remove(currentPassword: string) {
    await api.removePhone({ currentPassword });
    setRemoving(false);
    setRemovedNotice(
      endsTwoFactor
        ? "Phone number removed. Two-factor sign-in is off."
        : user.twoFactor.sms
          ? "Phone number removed. Sign-ins no longer offer a texted code."
          : "Phone number removed.",
    );
    setEditing(true);
    // The two-factor card below reads the same user: it must show "off" now.
    startRefresh(() => router.refresh());
  }

  return (
    <section className="card" id="phone" aria-labelledby="phone-title">
      <header>
        <h2 id="phone-title">Phone number</h2>
        <p>For sign-in codes by text message. We don&apos;t use it for anything else.</p>
      </header>
      <div className="stack-tight">
        <div className="status-row">
          {user.phoneNumber ? (
            <p>
              {/* The owner's own page: the number in full (the masked form is for emails and texts). */}
              <span className="nowrap strong">{formatPhoneNumber(user.phoneNumberFull ?? user.phoneNumber)}</span>{" "}
              {user.phoneVerified ? (
                <span className="badge success">Verified</span>
              ) : (
                <span className="badge">Not verified</span>
              )}
            </p>
          ) : (
            <p className="muted">No phone number yet.</p>
          )}
          {user.phoneNumber && !removing && (
            <Button variant="danger" size="small" onClick={() => setRemoving(true)}>
              Remove phone
            </Button>
          )}
        </div>
        {removing && (
          <PasswordConfirm
            idPrefix="phone-remove"
            submitLabel="Remove phone"
            pendingText="Removing…"
            variant="danger"
            onConfirm={remove}
            onCancel={() => setRemoving(false)}
            stepUpPurpose="remove this number"
          >
            <p className="small flush">
              {endsTwoFactor
                ? "Two-factor sign-in will be turned off: after this, your password alone signs you in."
                : "We'll stop texting this number."}{" "}
              Enter your password to confirm.
            </p>
          </PasswordConfirm>
        )}
        <Notice>{removedNotice && <p>{removedNotice}</p>}</Notice>
        {pending && (
          <div className="alert alert-info">
            <p>
              A code is waiting to be entered for{" "}
              <span className="nowrap strong">{formatPhoneNumber(pending.phoneNumber)}</span>.{" "}
              <Link href="/profile/phone">Enter the code</Link>
            </p>
          </div>
        )}
        {removing ? null : editing ? (
          <NewPhoneForm
            countries={countries}
            defaultCountry={defaultCountry}
            replacing={Boolean(user.phoneNumber) && !removedNotice}
            autoFocus={focusForm}
            onCancel={user.phoneNumber && !removedNotice ? () => setEditing(false) : undefined}
          />
        ) : (
          <div>
            <Button
              variant="secondary"
              onClick={() => {
                setEditing(true);
                setFocusForm(true);
              }}
            >
              Change number
            </Button>
          </div>
        )}
      </div>
    </section>
  );
}

const fieldIds = { phoneNumber: "phone-new-number", currentPassword: "phone-new-password" };

/** Sends a code to the new number; it replaces the current one only once that code is entered. */
interface NewPhoneFormProps {
  countries: CountryOption[];
  defaultCountry: CountryCode;
  replacing: boolean;
  autoFocus: boolean;
  onCancel?: () => void;
}

function NewPhoneForm({ countries, defaultCountry, replacing, autoFocus, onCancel }: NewPhoneFormProps) {
  const router = useRouter();
  const form = useForm({
    codeFields: {
      invalid_phone: "phoneNumber",
      unsupported_country: "phoneNumber",
      phone_opted_out: "phoneNumber",
      invalid_credentials: "currentPassword",
    },
  });
  // Changing the number while two-factor is on needs a code to the current one first (step-up).
  const stepUp = useStepUp("phone-new", "change your number");

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    await form.run(async () => {
      const phoneNumber = toE164(String(data.get("country")) as CountryCode, String(data.get("nationalNumber") ?? ""));
      if (!phoneNumber)
        throw new TwofoldError({
          status: 400,
          code: "invalid_phone",
          message: "That doesn't look like a phone number. Check the country and the number.",
        });
      const currentPassword = String(data.get("currentPassword") ?? "");
      return stepUp.guard(async () => {
        await api.startPhoneVerification({ phoneNumber, currentPassword });
        // The verification id stays server-side: the code page asks the API for the pending verification.
        router.push("/profile/phone");
        return "navigating" as const;
      });
    });
  }

  const phoneError = form.fieldError("phoneNumber");
  return (
    <>
      <form method="post" onSubmit={onSubmit} aria-label={replacing ? "Change phone number" : "Add a phone number"}>
        <FormError error={form.error} ref={form.errorRef} fieldIds={fieldIds} message={smsErrorText(form.error)} />
        {replacing && (
          <p className="muted small flush">
            Your current number stays in use until you enter the code we text to the new one.
          </p>
        )}
        <PhoneNumberField
          idPrefix="phone-new"
          countries={countries}
          defaultCountry={defaultCountry}
          autoFocus={autoFocus}
          error={phoneError && (smsErrorText(form.error) ?? phoneError)}
        />
        <PasswordField
          id={fieldIds.currentPassword}
          name="currentPassword"
          label="Current password"
          autoComplete="current-password"
          required
          error={form.fieldError("currentPassword")}
        />
        <div className="form-row">
          <StepUpSubmit
            waiting={stepUp.active}
            pending={form.pending}
            label="Send code"
            pendingText="Sending code…"
            onCancel={onCancel}
          />
        </div>
      </form>
      {stepUp.prompt}
    </>
  );
}
