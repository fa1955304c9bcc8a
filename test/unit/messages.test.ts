import { describe, expect, it } from "vitest";
import {
  assertMessageData,
  EMAIL_TEMPLATES,
  isCodeMessage,
  MESSAGE_TYPES,
  MESSAGES,
  type MessageIntent,
  type MessageType,
  SMS_TEMPLATES,
} from "../../src/core/messages";
import { renderEmail } from "../../src/delivery/email/templates";
import { renderSms } from "../../src/delivery/sms/templates";

const app = { appName: "Twofold", appUrl: "http://localhost:3000" };

/** One value per field any message uses; a field without a sample fails the first test. */
const sampleField: Record<string, string> = {
  name: "Alice",
  link: "http://localhost:3000/verify-email#token=abc.def",
  newEmail: "new@example.com",
  phoneHint: "+1 ••• ••• 4567",
  ip: "203.0.113.7",
  code: "123456",
  factor: "an authenticator app",
  left: "9",
};

function fullData(type: MessageType): Record<string, string> {
  const { needs, mayHave } = MESSAGES[type];
  return Object.fromEntries([...needs, ...mayHave].map((field) => [field, sampleField[field]!]));
}

function render(type: MessageType, data: Record<string, unknown>): string {
  if (MESSAGES[type].channel === "sms") return renderSms(type, data, app);
  const email = renderEmail(type, data, app);
  return `${email.subject}\n${email.text}\n${email.html}`;
}

describe("message catalogue", () => {
  it("sorts every message into exactly one channel", () => {
    expect([...EMAIL_TEMPLATES, ...SMS_TEMPLATES].sort()).toEqual([...MESSAGE_TYPES].sort());
    expect(EMAIL_TEMPLATES.filter((type) => (SMS_TEMPLATES as readonly string[]).includes(type))).toEqual([]);
  });

  it.each(MESSAGE_TYPES)("%s renders from the data the catalogue names, and uses all of it", (type) => {
    const data = fullData(type);
    for (const [field, value] of Object.entries(data)) expect(value, `a sample for "${field}"`).toBeDefined();
    const text = render(type, data);
    expect(text).toContain("Twofold");
    for (const [field, value] of Object.entries(data)) expect(text, `${type} shows its "${field}"`).toContain(value);
  });

  it.each(MESSAGE_TYPES.filter((type) => MESSAGES[type].needs.length > 0))(
    "%s is refused without any one of the fields it needs",
    (type) => {
      for (const field of MESSAGES[type].needs) {
        const { [field]: _left, ...data } = fullData(type);
        expect(() => assertMessageData(MESSAGES[type].channel, type, data)).toThrow(`needs a string "${field}"`);
        expect(() => assertMessageData(MESSAGES[type].channel, type, { ...data, [field]: 7 })).toThrow(
          `needs a string "${field}"`,
        );
      }
    },
  );

  it("refuses an unknown message, one sent on the wrong channel, and malformed optional fields", () => {
    expect(() => assertMessageData("email", "magic_link", {})).toThrow(/unknown email template "magic_link"/);
    expect(() => assertMessageData("email", "toString", {})).toThrow(/unknown email template/);
    expect(() => assertMessageData("sms", "verify_email", fullData("verify_email"))).toThrow(
      /unknown SMS template "verify_email"/,
    );
    expect(() => assertMessageData("email", "sign_in_code", { code: "123456" })).toThrow(
      /unknown email template "sign_in_code"/,
    );
    expect(() => assertMessageData("email", "password_changed", { name: 42 })).toThrow(
      /"name" must be a string when given/,
    );
    expect(() => assertMessageData("sms", "sign_in_code", { code: "12345" })).toThrow("SMS code must be 6 digits");
    expect(() => assertMessageData("sms", "sign_in_code", { code: "12345a" })).toThrow("SMS code must be 6 digits");
    expect(() => assertMessageData("sms", "sign_in_code", { code: 123456 })).toThrow(
      /"code" must be a string when given/,
    );
  });

  it("lets a code message go without its code (Twilio Verify makes it), but never renders one without", () => {
    expect(() => assertMessageData("sms", "sign_in_code", {})).not.toThrow();
    expect(() => renderSms("sign_in_code", {}, app)).toThrow("this SMS needs a code");
  });

  it("marks exactly the code messages as carrying a one-time code", () => {
    expect(MESSAGE_TYPES.filter(isCodeMessage).sort()).toEqual([
      "phone_verification_code",
      "sign_in_code",
      "step_up_code",
    ]);
    for (const type of MESSAGE_TYPES.filter(isCodeMessage)) {
      expect(MESSAGES[type].channel).toBe("sms");
      expect(renderSms(type, { code: "123456" }, app)).toMatch(/123456 is your .*\n\n@localhost:3000 #123456$/);
    }
    expect(isCodeMessage("magic_code")).toBe(false);
    expect(isCodeMessage("toString")).toBe(false);
  });
});

// Never called: `tsc --noEmit` checks that each marked line fails to compile, so wrong data is caught before it runs.
// biome-ignore lint/suspicious/noExportsInTest: exported so that it counts as used; tsc is what runs it
export function enqueueTypeChecks(enqueue: (message: MessageIntent) => void): void {
  enqueue({
    channel: "email",
    template: "password_reset",
    recipient: "a@example.com",
    data: { link: sampleField.link! },
  });
  enqueue({ channel: "sms", template: "sign_in_code", recipient: "+15555550100", data: {} });
  // @ts-expect-error: a reset email without its link
  enqueue({ channel: "email", template: "password_reset", recipient: "a@example.com", data: { name: "A" } });
  // @ts-expect-error: a field the message does not have
  enqueue({ channel: "email", template: "password_changed", recipient: "a@example.com", data: { link: "x" } });
  // @ts-expect-error: only code messages carry a code
  enqueue({ channel: "sms", template: "phone_changed_notice", recipient: "+15555550100", data: { code: "123456" } });
  // @ts-expect-error: an email template on the SMS channel
  enqueue({ channel: "sms", template: "verify_email", recipient: "+15555550100", data: { link: "x" } });
}
