import { describe, expect, it } from "vitest";
import { EMAIL_TEMPLATES, type EmailTemplate, type MessageData } from "../../src/core/messages";
import { escapeHtml } from "../../src/delivery/email/layout";
import { renderEmail } from "../../src/delivery/email/templates";

const app = { appName: "Twofold", appUrl: "http://localhost:3000" };
const link = "http://localhost:3000/verify-email#token=abc.def";

const sampleData: { [T in EmailTemplate]: MessageData<T> } = {
  verify_email: { name: "Alice", link },
  password_reset: { name: "Alice", link },
  email_change_confirm: { name: "Alice", link, newEmail: "new@example.com" },
  email_change_notice: { name: "Alice", newEmail: "new@example.com" },
  password_changed: { name: "Alice" },
  sign_up_attempt: { name: "Alice" },
  phone_changed: { name: "Alice", phoneHint: "+1 ••• ••• 4567" },
  phone_removed: { name: "Alice" },
  two_factor_enabled: { name: "Alice", phoneHint: "+1 ••• ••• 4567" },
  two_factor_disabled: { name: "Alice" },
  second_factor_added: { name: "Alice", factor: "an authenticator app" },
  second_factor_removed: { name: "Alice", factor: "an authenticator app" },
  recovery_codes_generated: { name: "Alice" },
  recovery_code_used: { name: "Alice", left: "9" },
  code_entry_blocked: { name: "Alice" },
  sign_in_locked: { name: "Alice", link, ip: "203.0.113.7" },
  account_recovery_link: { name: "Alice", link },
  account_recovery_started: { name: "Alice", ip: "203.0.113.7" },
  account_recovery_completed: { name: "Alice" },
  account_deleted: { name: "Alice" },
};

describe("email templates", () => {
  it.each(EMAIL_TEMPLATES)("%s renders a subject, text and HTML", (template) => {
    const email = renderEmail(template, sampleData[template], app);
    expect(email.subject).toContain("Twofold");
    expect(email.text).toContain("Hi Alice,");
    expect(email.html).toContain("Hi Alice,");
    expect(email.html).toMatch(/^<!doctype html>/);
    if ("link" in sampleData[template]) {
      expect(email.text).toContain(link);
      expect(email.html).toContain(`href="${link}"`);
    }
  });

  it("says what each message is and how long its link lives", () => {
    const verify = renderEmail("verify_email", sampleData.verify_email, app);
    expect(verify.subject).toContain("Confirm your email");
    expect(verify.text).toContain("24 hours");

    const reset = renderEmail("password_reset", sampleData.password_reset, app);
    expect(reset.text).toContain("30 minutes");
    expect(reset.text).toContain("your password is unchanged");

    const confirm = renderEmail("email_change_confirm", sampleData.email_change_confirm, app);
    expect(confirm.text).toContain("1 hour");
    expect(confirm.text).toContain("new@example.com");
  });

  it("points the old address and the password notice at password reset", () => {
    for (const template of ["email_change_notice", "password_changed"] as const) {
      const email = renderEmail(template, sampleData[template], app);
      expect(email.text).toContain("http://localhost:3000/forgot-password");
      expect(email.html).toContain('href="http://localhost:3000/forgot-password"');
    }
    expect(renderEmail("email_change_notice", sampleData.email_change_notice, app).text).toContain("new@example.com");
  });

  it("offers sign-in and reset to someone who already has an account", () => {
    const email = renderEmail("sign_up_attempt", sampleData.sign_up_attempt, app);
    expect(email.subject).toContain("already have");
    expect(email.text).toContain("http://localhost:3000/sign-in");
    expect(email.text).toContain("http://localhost:3000/forgot-password");
    expect(email.text).toContain("ignore this email");
  });

  it("escapes every interpolated value in HTML", () => {
    const name = `<script>alert("x")</script>`;
    const newEmail = `"><img src=x onerror=alert(1)>@example.com`;
    const html = renderEmail(
      "email_change_confirm",
      { name, link: `${link}&a="b"<`, newEmail },
      { ...app, appName: "<b>Two&fold</b>" },
    ).html;
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("&lt;b&gt;Two&amp;fold&lt;/b&gt;");
    // Attribute values cannot be broken out of either.
    expect(html).not.toMatch(/href="[^"]*"[^ >]/);
  });

  it("keeps the text version unescaped", () => {
    const email = renderEmail("password_changed", { name: "Zoë & <Co>" }, app);
    expect(email.text).toContain("Hi Zoë & <Co>,");
  });

  it("escapes the five HTML-significant characters", () => {
    expect(escapeHtml(`&<>"'`)).toBe("&amp;&lt;&gt;&quot;&#39;");
  });

  it("throws on an unknown template or missing data", () => {
    expect(() => renderEmail("magic_link", { name: "A" }, app)).toThrow(/unknown email template/);
    expect(() => renderEmail("password_reset", { name: "A" }, app)).toThrow(/"link"/);
  });

  it("refuses links that do not point at APP_URL (reset-link poisoning), without quoting them", () => {
    const evil = "https://attacker.example/reset-password#token=secret.token";
    expect(() => renderEmail("password_reset", { name: "A", link: evil }, app)).toThrow(
      "email link does not point at APP_URL",
    );
    expect(() => renderEmail("password_reset", { name: "A", link: "javascript:alert(1)" }, app)).toThrow(/APP_URL/);
    try {
      renderEmail("password_reset", { name: "A", link: evil }, app);
    } catch (error) {
      expect((error as Error).message).not.toContain("secret");
    }
  });

  it("greets without a name when there is none", () => {
    expect(renderEmail("password_changed", { name: "  " }, app).text).toMatch(/^Hi,/);
  });

  // Flows leave the name out while the address is unverified (core/present.ts greetingName): every template
  // must then say "Hi," and nothing else, in the text and in the HTML.
  it.each(EMAIL_TEMPLATES)('%s greets with a plain "Hi," when the data has no name', (template) => {
    const { name: _name, ...withoutName } = sampleData[template];
    const email = renderEmail(template, withoutName, app);
    expect(email.text).toMatch(/^Hi,\n/);
    expect(email.html).toContain(">Hi,<");
    expect(email.text + email.html).not.toMatch(/Hi ,|Hi undefined|Hi null/);
  });

  it("drops invisible characters from a stored name and turns line breaks into spaces; nothing left is no name", () => {
    expect(renderEmail("password_changed", { name: "Ada\u202E\u200B Love\u2028lace\r\n" }, app).text).toMatch(
      /^Hi Ada Love lace,\n/,
    );
    expect(renderEmail("password_changed", { name: "\u202E\u200B\u2028\uFEFF" }, app).text).toMatch(/^Hi,\n/);
    expect(() => renderEmail("password_changed", { name: 42 }, app)).toThrow(/"name" must be a string/);
  });
});
