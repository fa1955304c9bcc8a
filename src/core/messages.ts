/**
 * Every message Twofold sends: its channel, the data a flow must give it, and whether it carries a one-time code.
 * Flows enqueue a MessageIntent, whose data type is checked per message when compiling; the outbox runs the same
 * check when storing it (assertMessageData); delivery only writes the wording, keyed by these names
 * (src/delivery/email/templates.ts, src/delivery/sms/templates.ts).
 */

export type MessageChannel = "email" | "sms";

interface MessageSpec {
  channel: MessageChannel;
  /** String fields the text cannot be written without. */
  needs: readonly string[];
  /** String fields the text does without when they are absent. */
  mayHave: readonly string[];
  /**
   * A one-time code: delivered on the request that asked for it (so a dead number is answered there), and left
   * to Twilio Verify when Verify makes the codes.
   */
  carriesCode: boolean;
}

/**
 * Every email greets, by name when the flow passes one. A flow passes no name when the recipient has not proven
 * the address (core/present.ts greetingName): an unverified account's name is whatever a sign-up typed.
 */
function email<Field extends string = never>(...needs: Field[]) {
  // NoInfer: an email without fields must need no field, not the `string` the catalogue's `satisfies` suggests.
  return {
    channel: "email",
    needs: needs as readonly NoInfer<Field>[],
    mayHave: ["name"],
    carriesCode: false,
  } as const;
}

// A code message carries no code when Twilio Verify makes the code itself (SMS_PROVIDER=twilio-verify).
function smsCode() {
  return { channel: "sms", needs: [], mayHave: ["code"], carriesCode: true } as const;
}

function smsNotice() {
  return { channel: "sms", needs: [], mayHave: [], carriesCode: false } as const;
}

export const MESSAGES = {
  verify_email: email("link"),
  password_reset: email("link"),
  email_change_confirm: email("link", "newEmail"),
  email_change_notice: email("newEmail"),
  password_changed: email(),
  sign_up_attempt: email(),
  // phoneHint is masked (core/present.ts maskPhoneNumber): an email is no place for a full number.
  phone_changed: email("phoneHint"),
  phone_removed: email(),
  two_factor_enabled: email("phoneHint"),
  two_factor_disabled: email(),
  // factor: what was added or removed, in words ("an authenticator app"); never a secret.
  second_factor_added: email("factor"),
  second_factor_removed: email("factor"),
  recovery_codes_generated: email(),
  // left: how many unused codes remain, as text.
  recovery_code_used: email("left"),
  code_entry_blocked: email(),
  // ip: where the last wrong password came from, so the owner can tell whether it was them.
  sign_in_locked: email("link", "ip"),
  // Lost every second factor (core/account-recovery.ts): the link that starts the 24-hour wait, the notice that it
  // started (ip: where the link was followed), and the notice that the factors were reset. No code in any of them.
  account_recovery_link: email("link"),
  account_recovery_started: email("ip"),
  account_recovery_completed: email(),
  // The account is gone (core/delete-account.ts): the last email to the address. Greets by the deleted name.
  account_deleted: email(),

  sign_in_code: smsCode(),
  step_up_code: smsCode(),
  phone_verification_code: smsCode(),
  // Sent to the number that was replaced or removed, so its owner hears of it.
  phone_changed_notice: smsNotice(),
  phone_removed_notice: smsNotice(),
  // To the verified number when an account recovery starts: the owner hears of it on every channel on file.
  account_recovery_started_notice: smsNotice(),
} satisfies Record<string, MessageSpec>;

export type MessageType = keyof typeof MESSAGES;
type Spec<T extends MessageType> = (typeof MESSAGES)[T];

type TemplateOf<C extends MessageChannel> = {
  [T in MessageType]: Spec<T>["channel"] extends C ? T : never;
}[MessageType];
export type EmailTemplate = TemplateOf<"email">;
export type SmsTemplate = TemplateOf<"sms">;
export type CodeTemplate = { [T in MessageType]: Spec<T>["carriesCode"] extends true ? T : never }[MessageType];

// Flattened to one object type: `{} & { name?: string }` would take any value at all, a number included.
type OneObject<T> = { [K in keyof T]: T[K] };
type Fields<S extends MessageSpec> = OneObject<
  { [F in S["needs"][number]]: string } & { [F in S["mayHave"][number]]?: string }
>;
/**
 * The data one message needs. A message without fields takes `{}` and nothing else (`{}` alone would take anything).
 */
export type MessageData<T extends MessageType> = keyof Fields<Spec<T>> extends never
  ? Record<string, never>
  : Fields<Spec<T>>;

/** What a flow enqueues: the channel must be the message's own, and the data must be what that message needs. */
export type MessageIntent = {
  [T in MessageType]: { channel: Spec<T>["channel"]; template: T; recipient: string; data: MessageData<T> };
}[MessageType];

export const MESSAGE_TYPES = Object.keys(MESSAGES) as MessageType[];
export const EMAIL_TEMPLATES: readonly EmailTemplate[] = MESSAGE_TYPES.filter(
  (type): type is EmailTemplate => MESSAGES[type].channel === "email",
);
export const SMS_TEMPLATES: readonly SmsTemplate[] = MESSAGE_TYPES.filter(
  (type): type is SmsTemplate => MESSAGES[type].channel === "sms",
);

// Own keys only: a stored row's template is untrusted text, and "toString" is not a message.
export function isMessageType(value: string): value is MessageType {
  return Object.hasOwn(MESSAGES, value);
}

/** Takes any stored template name: a removed or unknown one carries no code. */
export function isCodeMessage(template: string): template is CodeTemplate {
  return isMessageType(template) && MESSAGES[template].carriesCode;
}

const channelName: Record<MessageChannel, string> = { email: "email", sms: "SMS" };

/**
 * Throws unless `template` is a message of `channel` and `data` holds what it needs. Called at enqueue, so a bad
 * message fails the caller's transaction, and again on the stored data before it is rendered. Fields a message
 * does not use are let through: a message queued before a copy change may still carry one.
 */
export function assertMessageData<C extends MessageChannel>(
  channel: C,
  template: string,
  data: Record<string, unknown>,
): asserts template is TemplateOf<C> {
  const name = channelName[channel];
  if (!isMessageType(template) || MESSAGES[template].channel !== channel)
    throw new Error(`unknown ${name} template "${template}"`);
  const spec: MessageSpec = MESSAGES[template];
  for (const field of spec.needs) {
    if (typeof data[field] !== "string") throw new Error(`${name} template "${template}" needs a string "${field}"`);
  }
  for (const field of spec.mayHave) {
    if (data[field] !== undefined && typeof data[field] !== "string")
      throw new Error(`${name} template "${template}": "${field}" must be a string when given`);
  }
  if (spec.carriesCode && data.code !== undefined && !/^\d{6}$/.test(data.code as string))
    throw new Error("SMS code must be 6 digits");
}
