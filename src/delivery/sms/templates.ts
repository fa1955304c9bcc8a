/**
 * SMS texts, one per message type. Short (one segment where possible), name the app, say what the code is for,
 * how long it lives and not to share it, and end with the WebOTP line (`@host #code`) so phones can offer to
 * fill it in, bound to our origin only.
 */
export const SMS_TEMPLATES = ["sign_in_code", "step_up_code", "phone_verification_code", "phone_changed_notice", "phone_removed_notice"] as const;
export type SmsTemplate = (typeof SMS_TEMPLATES)[number];

export interface SmsApp {
  appName: string;
  appUrl: string;
}

// Code messages carry no code when Twilio Verify makes the code itself (SMS_PROVIDER=twilio-verify).
const fields: Record<SmsTemplate, readonly string[]> = {
  sign_in_code: [],
  step_up_code: [],
  phone_verification_code: [],
  phone_changed_notice: [],
  phone_removed_notice: [],
};

export function isSmsTemplate(value: string): value is SmsTemplate {
  return (SMS_TEMPLATES as readonly string[]).includes(value);
}

export function assertSmsData(template: string, data: Record<string, unknown>): asserts template is SmsTemplate {
  if (!isSmsTemplate(template)) throw new Error(`unknown SMS template "${template}"`);
  for (const field of fields[template]) {
    if (typeof data[field] !== "string") throw new Error(`SMS template "${template}" needs a string "${field}"`);
  }
  if ("code" in data && !/^\d{6}$/.test(String(data.code))) throw new Error("SMS code must be 6 digits");
}

function codeText(app: SmsApp, what: string, code: unknown): string {
  if (typeof code !== "string") throw new Error("this SMS needs a code");
  const host = new URL(app.appUrl).host;
  return `${app.appName}: ${code} is your ${what}. It expires in 5 minutes. Don't share it with anyone.\n\n@${host} #${code}`;
}

export function renderSms(template: string, data: Record<string, unknown>, app: SmsApp): string {
  assertSmsData(template, data);
  switch (template) {
    case "sign_in_code":
      return codeText(app, "sign-in code", data.code);
    case "step_up_code":
      // Says it confirms a change, not a sign-in: a code asked for by someone changing the account's security
      // settings must not read like a routine sign-in to the person who did not ask for it.
      return codeText(app, "code to confirm a change to your security settings", data.code);
    case "phone_verification_code":
      return codeText(app, "phone verification code", data.code);
    case "phone_changed_notice":
      return `${app.appName}: this number was replaced on your account and will no longer get sign-in codes. If you didn't do this, reset your password at ${app.appUrl}/forgot-password`;
    case "phone_removed_notice":
      return `${app.appName}: this number was removed from your account and will no longer get sign-in codes. If you didn't do this, reset your password at ${app.appUrl}/forgot-password`;
  }
}
