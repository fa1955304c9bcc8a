import { assertMessageData, type EmailTemplate, type MessageData } from "../../core/messages";
import { type Block, type EmailContent, type RenderedEmail, renderLayout } from "./layout";

/**
 * The wording of each email in the catalogue (src/core/messages.ts, which also says what data each one gets);
 * the layout turns it into text and escaped HTML. Link lifetimes in the copy match src/core/link-tokens.ts.
 */

export interface EmailApp {
  appName: string;
  appUrl: string;
}

type WriteEmail<T extends EmailTemplate> = (data: MessageData<T>, app: EmailApp) => EmailContent;

// The API refuses names with these (src/http/schemas.ts Name), but a name stored before that check, or queued in
// an older message, is cleaned here too: format characters (bidi overrides, zero-width) go, line breaks and
// other controls become spaces. A name with nothing left greets like no name.
const FORMAT_CHARACTERS = /\p{Cf}/gu;
const BREAKS_AND_CONTROLS = /[\p{Cc}\p{Zl}\p{Zp}\s]+/gu;

function greeting(name: string | undefined): string {
  const shown = (name ?? "").replace(FORMAT_CHARACTERS, "").replace(BREAKS_AND_CONTROLS, " ").trim();
  return shown ? `Hi ${shown},` : "Hi,";
}

/**
 * Links must point at APP_URL. A link built from a request's Host header is the classic password-reset
 * poisoning bug (the victim's token is sent to the attacker's host); refusing it here is the last line.
 * The message never includes the link itself: it ends up in logs and last_error.
 */
function appLink(link: string, app: EmailApp): string {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new Error("email link is not an absolute URL");
  }
  if (url.origin !== new URL(app.appUrl).origin) throw new Error("email link does not point at APP_URL");
  return url.href;
}

function appPage(app: EmailApp, path: string): string {
  return new URL(path, app.appUrl).href;
}

function resetIfNotYou(app: EmailApp): Block[] {
  return [
    "If this was you, there is nothing else to do. If it wasn't, reset your password right away; that also signs out every device:",
    { label: "Reset your password", url: appPage(app, "/forgot-password") },
  ];
}

const templates: { [T in EmailTemplate]: WriteEmail<T> } = {
  verify_email: (data, app) => ({
    subject: `Confirm your email for ${app.appName}`,
    blocks: [
      greeting(data.name),
      `Thanks for signing up for ${app.appName}. Please confirm that this is your email address.`,
      { label: "Confirm your email", url: appLink(data.link, app) },
      "The link is valid for 24 hours. If you didn't create an account, you can ignore this email.",
    ],
  }),

  password_reset: (data, app) => ({
    subject: `Reset your ${app.appName} password`,
    blocks: [
      greeting(data.name),
      `Someone asked to reset the password of your ${app.appName} account. Choose a new password here:`,
      { label: "Choose a new password", url: appLink(data.link, app) },
      "The link is valid for 30 minutes and works once. If you didn't ask for this, ignore this email; your password is unchanged.",
    ],
  }),

  email_change_confirm: (data, app) => ({
    subject: `Confirm your new email for ${app.appName}`,
    blocks: [
      greeting(data.name),
      `You asked to change the email address of your ${app.appName} account to ${data.newEmail}. Confirm that this address is yours:`,
      { label: "Confirm new email", url: appLink(data.link, app) },
      "The link is valid for 1 hour. If you didn't ask for this, ignore this email; nothing changes.",
    ],
  }),

  email_change_notice: (data, app) => ({
    subject: `Your ${app.appName} email address is being changed`,
    blocks: [
      greeting(data.name),
      `Someone asked to change the email address of your ${app.appName} account to ${data.newEmail}. ` +
        "The change happens once the new address is confirmed.",
      ...resetIfNotYou(app),
    ],
  }),

  password_changed: (data, app) => ({
    subject: `Your ${app.appName} password was changed`,
    blocks: [
      greeting(data.name),
      `The password of your ${app.appName} account was just changed.`,
      ...resetIfNotYou(app),
    ],
  }),

  sign_up_attempt: (data, app) => ({
    subject: `You already have a ${app.appName} account`,
    blocks: [
      greeting(data.name),
      `Someone tried to sign up for ${app.appName} with this email address, but you already have an account. Sign in here:`,
      { label: "Sign in", url: appPage(app, "/sign-in") },
      "Forgot your password? Reset it here:",
      { label: "Reset your password", url: appPage(app, "/forgot-password") },
      "If it wasn't you, you can ignore this email; your account is unchanged.",
    ],
  }),

  phone_changed: (data, app) => ({
    subject: `Your ${app.appName} phone number was updated`,
    blocks: [
      greeting(data.name),
      `The mobile number of your ${app.appName} account is now ${data.phoneHint}. Sign-in codes go to this number.`,
      ...resetIfNotYou(app),
    ],
  }),
  phone_removed: (data, app) => ({
    subject: `Your ${app.appName} phone number was removed`,
    blocks: [
      greeting(data.name),
      `The mobile number was removed from your ${app.appName} account, and two-step sign-in by text message is off.`,
      ...resetIfNotYou(app),
    ],
  }),
  two_factor_enabled: (data, app) => ({
    subject: `Two-step sign-in is on for ${app.appName}`,
    blocks: [
      greeting(data.name),
      `From now on, signing in to ${app.appName} needs your password and a code sent to ${data.phoneHint}.`,
      ...resetIfNotYou(app),
    ],
  }),
  two_factor_disabled: (data, app) => ({
    subject: `Two-step sign-in is off for ${app.appName}`,
    blocks: [greeting(data.name), `Signing in to ${app.appName} now needs only your password.`, ...resetIfNotYou(app)],
  }),
  second_factor_added: (data, app) => ({
    subject: `A sign-in method was added to your ${app.appName} account`,
    blocks: [
      greeting(data.name),
      `You can now use ${data.factor} as the second step when you sign in to ${app.appName}.`,
      ...resetIfNotYou(app),
    ],
  }),
  second_factor_removed: (data, app) => ({
    subject: `A sign-in method was removed from your ${app.appName} account`,
    blocks: [
      greeting(data.name),
      `You can no longer use ${data.factor} to sign in to ${app.appName}. Two-step sign-in stays on with your other methods.`,
      ...resetIfNotYou(app),
    ],
  }),
  recovery_codes_generated: (data, app) => ({
    subject: `New recovery codes for ${app.appName}`,
    blocks: [
      greeting(data.name),
      `New recovery codes were made for your ${app.appName} account. The earlier ones no longer work.`,
      ...resetIfNotYou(app),
    ],
  }),
  recovery_code_used: (data, app) => ({
    subject: `A recovery code was used on ${app.appName}`,
    blocks: [
      greeting(data.name),
      `A recovery code was just used to confirm a sign-in or a change on your ${app.appName} account. Codes left: ${data.left}.`,
      "When few are left, make new ones on your security page.",
      ...resetIfNotYou(app),
    ],
  }),
  code_entry_blocked: (data, app) => ({
    subject: `Too many wrong sign-in codes on ${app.appName}`,
    blocks: [
      greeting(data.name),
      `Someone entered more than 10 wrong codes for your ${app.appName} account within an hour, so code entry is paused for an hour.`,
      "If it was you, wait and try again. If it wasn't, someone knows your password:",
      ...resetIfNotYou(app).slice(1),
    ],
  }),

  sign_in_locked: (data, app) => ({
    subject: `Sign-in to your ${app.appName} account is paused`,
    blocks: [
      greeting(data.name),
      `Someone entered a wrong password for your ${app.appName} account 100 times in a row (most recently from ${data.ip}), ` +
        "so we paused password sign-in from new browsers. Browsers you have signed in with before still work.",
      "To sign in again from anywhere, unlock your account:",
      { label: "Unlock sign-in", url: appLink(data.link, app) },
      "The link is valid for 24 hours and works once. If the attempts weren't yours, your password held; choosing a new one makes it safer still:",
      { label: "Reset your password", url: appPage(app, "/forgot-password") },
    ],
  }),

  account_recovery_link: (data, app) => ({
    subject: `Recover your ${app.appName} account`,
    blocks: [
      greeting(data.name),
      `Someone signed in to your ${app.appName} account with its password and said they can no longer use any of its second sign-in steps. ` +
        "If that was you, follow this link to start account recovery:",
      { label: "Start account recovery", url: appLink(data.link, app) },
      "After a 24-hour wait, during which we tell you by email and text message, your next sign-in with your password removes every second step (text message, authenticator app, passkeys, recovery codes) so you can set them up again.",
      "The link is valid for 1 hour and works once. If it wasn't you, someone knows your password: don't follow the link, and change your password.",
      { label: "Reset your password", url: appPage(app, "/forgot-password") },
    ],
  }),
  account_recovery_started: (data, app) => ({
    subject: `Account recovery started on your ${app.appName} account`,
    blocks: [
      greeting(data.name),
      `Account recovery was started on your ${app.appName} account (from ${data.ip}). In 24 hours, the next sign-in with your password will remove every second sign-in step: text message, authenticator app, passkeys and recovery codes.`,
      "If this was you, there is nothing to do: sign in after the wait and set up your second step again.",
      "If it wasn't you, cancel it now: sign in with your second step (that cancels it), or cancel it on your profile page. Then change your password, since whoever started it knows it.",
      { label: "Sign in", url: appPage(app, "/sign-in") },
    ],
  }),
  account_recovery_completed: (data, app) => ({
    subject: `The second sign-in steps of your ${app.appName} account were removed`,
    blocks: [
      greeting(data.name),
      `Account recovery finished: every second sign-in step of your ${app.appName} account was removed and every other device was signed out. Signing in now needs only your password.`,
      "Set up a second step again on your profile page.",
      ...resetIfNotYou(app),
    ],
  }),

  account_deleted: (data, app) => ({
    subject: `Your ${app.appName} account was deleted`,
    blocks: [
      greeting(data.name),
      `Your ${app.appName} account was deleted, as asked: your profile, sessions and sign-in settings are gone, and this is the last email about it.`,
      "If it wasn't you, someone knew your password: change it wherever else you use it. You can make a new account at any time:",
      { label: "Create an account", url: appPage(app, "/sign-up") },
    ],
  }),
};

/** Rendered from stored data, so the data is checked again here: a message may predate a template's change. */
export function renderEmail(template: string, data: Record<string, unknown>, app: EmailApp): RenderedEmail {
  assertMessageData("email", template, data);
  // The check above tied data to template; TypeScript cannot follow that into the lookup.
  const write = templates[template] as WriteEmail<EmailTemplate>;
  return renderLayout(write(data as MessageData<EmailTemplate>, app), app.appName);
}
