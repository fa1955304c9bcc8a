import { type Block, type EmailContent, type RenderedEmail, renderLayout } from "./layout";

/**
 * One template per message type. Each says which data fields it needs and what to write; the layout turns
 * that into text and escaped HTML. Link lifetimes in the copy match src/core/link-tokens.ts.
 */

export const EMAIL_TEMPLATES = [
  "verify_email",
  "password_reset",
  "email_change_confirm",
  "email_change_notice",
  "password_changed",
  "sign_up_attempt",
  "phone_changed",
  "phone_removed",
  "two_factor_enabled",
  "two_factor_disabled",
  "code_entry_blocked",
  "sign_in_locked",
] as const;

export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

export interface EmailApp {
  appName: string;
  appUrl: string;
}

/**
 * Every template greets, by name when the flow passes one. A flow passes no name when the recipient has not
 * proven the address (core/present.ts greetingName): an unverified account's name is whatever a sign-up typed.
 */
type TemplateData<F extends string> = Record<F, string> & { name?: string };

interface TemplateDefinition {
  fields: readonly string[];
  write(data: TemplateData<string>, app: EmailApp): EmailContent;
}

/** Ties the field list to the writer's parameter type, so a template cannot read a field it did not declare. */
function define<F extends string>(fields: readonly F[], write: (data: TemplateData<F>, app: EmailApp) => EmailContent): TemplateDefinition {
  return { fields, write: write as TemplateDefinition["write"] };
}

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

const templates: Record<EmailTemplate, TemplateDefinition> = {
  verify_email: define(["link"], (data, app) => ({
    subject: `Confirm your email for ${app.appName}`,
    blocks: [
      greeting(data.name),
      `Thanks for signing up for ${app.appName}. Please confirm that this is your email address.`,
      { label: "Confirm your email", url: appLink(data.link, app) },
      "The link is valid for 24 hours. If you didn't create an account, you can ignore this email.",
    ],
  })),

  password_reset: define(["link"], (data, app) => ({
    subject: `Reset your ${app.appName} password`,
    blocks: [
      greeting(data.name),
      `Someone asked to reset the password of your ${app.appName} account. Choose a new password here:`,
      { label: "Choose a new password", url: appLink(data.link, app) },
      "The link is valid for 30 minutes and works once. If you didn't ask for this, ignore this email; your password is unchanged.",
    ],
  })),

  email_change_confirm: define(["link", "newEmail"], (data, app) => ({
    subject: `Confirm your new email for ${app.appName}`,
    blocks: [
      greeting(data.name),
      `You asked to change the email address of your ${app.appName} account to ${data.newEmail}. Confirm that this address is yours:`,
      { label: "Confirm new email", url: appLink(data.link, app) },
      "The link is valid for 1 hour. If you didn't ask for this, ignore this email; nothing changes.",
    ],
  })),

  email_change_notice: define(["newEmail"], (data, app) => ({
    subject: `Your ${app.appName} email address is being changed`,
    blocks: [
      greeting(data.name),
      `Someone asked to change the email address of your ${app.appName} account to ${data.newEmail}. ` +
        "The change happens once the new address is confirmed.",
      ...resetIfNotYou(app),
    ],
  })),

  password_changed: define([], (data, app) => ({
    subject: `Your ${app.appName} password was changed`,
    blocks: [greeting(data.name), `The password of your ${app.appName} account was just changed.`, ...resetIfNotYou(app)],
  })),

  sign_up_attempt: define([], (data, app) => ({
    subject: `You already have a ${app.appName} account`,
    blocks: [
      greeting(data.name),
      `Someone tried to sign up for ${app.appName} with this email address, but you already have an account. Sign in here:`,
      { label: "Sign in", url: appPage(app, "/sign-in") },
      "Forgot your password? Reset it here:",
      { label: "Reset your password", url: appPage(app, "/forgot-password") },
      "If it wasn't you, you can ignore this email; your account is unchanged.",
    ],
  })),

  // phoneHint is masked: a notice is no place for a full number.
  phone_changed: define(["phoneHint"], (data, app) => ({
    subject: `Your ${app.appName} phone number was updated`,
    blocks: [greeting(data.name), `The mobile number of your ${app.appName} account is now ${data.phoneHint}. Sign-in codes go to this number.`, ...resetIfNotYou(app)],
  })),
  phone_removed: define([], (data, app) => ({
    subject: `Your ${app.appName} phone number was removed`,
    blocks: [greeting(data.name), `The mobile number was removed from your ${app.appName} account, and two-step sign-in by text message is off.`, ...resetIfNotYou(app)],
  })),
  two_factor_enabled: define(["phoneHint"], (data, app) => ({
    subject: `Two-step sign-in is on for ${app.appName}`,
    blocks: [greeting(data.name), `From now on, signing in to ${app.appName} needs your password and a code sent to ${data.phoneHint}.`, ...resetIfNotYou(app)],
  })),
  two_factor_disabled: define([], (data, app) => ({
    subject: `Two-step sign-in is off for ${app.appName}`,
    blocks: [greeting(data.name), `Signing in to ${app.appName} now needs only your password.`, ...resetIfNotYou(app)],
  })),
  code_entry_blocked: define([], (data, app) => ({
    subject: `Too many wrong sign-in codes on ${app.appName}`,
    blocks: [
      greeting(data.name),
      `Someone entered more than 10 wrong codes for your ${app.appName} account within an hour, so code entry is paused for an hour.`,
      "If it was you, wait and try again. If it wasn't, someone knows your password:",
      ...resetIfNotYou(app).slice(1),
    ],
  })),

  sign_in_locked: define(["link", "ip"], (data, app) => ({
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
  })),
};

export function isEmailTemplate(value: string): value is EmailTemplate {
  return (EMAIL_TEMPLATES as readonly string[]).includes(value);
}

/** Throws on an unknown template or a missing field: called at enqueue, so a bad message fails the caller's transaction. */
export function assertEmailData(template: string, data: Record<string, unknown>): asserts template is EmailTemplate {
  if (!isEmailTemplate(template)) throw new Error(`unknown email template "${template}"`);
  for (const field of templates[template].fields) {
    if (typeof data[field] !== "string") throw new Error(`email template "${template}" needs a string "${field}"`);
  }
  if (data.name !== undefined && typeof data.name !== "string") throw new Error(`email template "${template}": "name" must be a string when given`);
}

export function renderEmail(template: string, data: Record<string, unknown>, app: EmailApp): RenderedEmail {
  assertEmailData(template, data);
  return renderLayout(templates[template].write(data as TemplateData<string>, app), app.appName);
}
