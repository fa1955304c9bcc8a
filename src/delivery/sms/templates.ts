import { assertMessageData, type MessageData, type SmsTemplate } from "../../core/messages";

/**
 * The wording of each SMS in the catalogue (src/core/messages.ts). Short (one segment where possible), name the
 * app, say what the code is for, how long it lives and not to share it, and end with the WebOTP line
 * (`@host #code`) so phones can offer to fill it in, bound to our origin only.
 */

export interface SmsApp {
  appName: string;
  appUrl: string;
}

type WriteSms<T extends SmsTemplate> = (data: MessageData<T>, app: SmsApp) => string;

function codeText(app: SmsApp, what: string, code: string | undefined): string {
  // The catalogue lets a code message go without its code (Twilio Verify makes it); such a message is never rendered.
  if (code === undefined) throw new Error("this SMS needs a code");
  const host = new URL(app.appUrl).host;
  return `${app.appName}: ${code} is your ${what}. It expires in 5 minutes. Don't share it with anyone.\n\n@${host} #${code}`;
}

const texts: { [T in SmsTemplate]: WriteSms<T> } = {
  sign_in_code: (data, app) => codeText(app, "sign-in code", data.code),
  // Says it confirms a change, not a sign-in: a code asked for by someone changing the account's security
  // settings must not read like a routine sign-in to the person who did not ask for it.
  step_up_code: (data, app) => codeText(app, "code to confirm a change to your security settings", data.code),
  phone_verification_code: (data, app) => codeText(app, "phone verification code", data.code),
  phone_changed_notice: (_data, app) =>
    `${app.appName}: this number was replaced on your account and will no longer get sign-in codes. If you didn't do this, reset your password at ${app.appUrl}/forgot-password`,
  phone_removed_notice: (_data, app) =>
    `${app.appName}: this number was removed from your account and will no longer get sign-in codes. If you didn't do this, reset your password at ${app.appUrl}/forgot-password`,
  account_recovery_started_notice: (_data, app) =>
    `${app.appName}: account recovery was started on your account. In 24 hours it removes your two-step sign-in. Not you? Sign in with your second step to cancel it: ${app.appUrl}/sign-in`,
};

/** Rendered from stored data, so the data is checked again here: a message may predate a template's change. */
export function renderSms(template: string, data: Record<string, unknown>, app: SmsApp): string {
  assertMessageData("sms", template, data);
  // The check above tied data to template; TypeScript cannot follow that into the lookup.
  const write = texts[template] as WriteSms<SmsTemplate>;
  return write(data as MessageData<SmsTemplate>, app);
}
