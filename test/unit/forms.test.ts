import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { codeFromText } from "../../app/components/CodeField";
import { errorLayout, FormError } from "../../app/components/FormError";
import { PasswordField } from "../../app/components/PasswordField";
import { passwordHint } from "../../app/lib/password-hint";
import { withCodeFields } from "../../app/lib/use-form";
import { TwofoldError } from "../../src/client";

/**
 * The form pieces every page uses (app/components, app/lib): one error pattern, the password field, the code
 * field. The browser tests (test/e2e) show them on the pages; these pin the rules.
 */

const root = path.resolve(import.meta.dirname, "../..");
const fieldIds = { email: "f-email", password: "f-password" };
const validation = (fields: Record<string, string>) =>
  new TwofoldError({ status: 400, code: "invalid_request", message: "Check the fields.", fields });

describe("form errors: one pattern for every form (GOV.UK error summary)", () => {
  it("one field error: shown at the field only, which takes focus; no summary", () => {
    const error = validation({ email: "Enter a valid email address." });
    expect(errorLayout(error, fieldIds).atField).toBe("f-email");
    expect(renderToStaticMarkup(createElement(FormError, { error, fieldIds }))).toBe("");
  });

  it("an error whose code belongs to a field (wrong current password) is that field's error, shown once", () => {
    const wrong = new TwofoldError({
      status: 401,
      code: "invalid_credentials",
      message: "The current password is incorrect.",
    });
    const mapped = withCodeFields(wrong, { invalid_credentials: "password" });
    expect(mapped.fields).toEqual({ password: "The current password is incorrect." });
    expect(errorLayout(mapped, fieldIds).atField).toBe("f-password");
    // Codes come from the server: an inherited key maps nothing.
    expect(withCodeFields(new TwofoldError({ status: 400, code: "constructor", message: "x" }), {}).fields).toEqual({});
  });

  it("several field errors: a summary headed 'There is a problem', each error a link to its field", () => {
    const error = validation({ email: "Enter a valid email address.", password: "Enter a password." });
    const html = renderToStaticMarkup(createElement(FormError, { error, fieldIds }));
    expect(html).toMatch(/role="alert"/);
    expect(html).toMatch(/<h2[^>]*>There is a problem<\/h2>/);
    expect(html).toContain('<a href="#f-email">Enter a valid email address.</a>');
    expect(html).toContain('<a href="#f-password">Enter a password.</a>');
    expect(html).not.toContain("Check the fields.");
  });

  it("an error of no field: the same summary, heading and sentence", () => {
    const error = new TwofoldError({
      status: 429,
      code: "rate_limited",
      message: "Slow down.",
      retryAfterSeconds: 120,
    });
    const html = renderToStaticMarkup(createElement(FormError, { error, fieldIds }));
    expect(html).toMatch(/<h2[^>]*>There is a problem<\/h2><p>Too many attempts. Try again in 2 minutes.<\/p>/);
    expect(errorLayout(error, fieldIds).atField).toBeNull();
  });

  it("a field error the form does not show, or a form's own sentence, keeps the summary (nothing is lost)", () => {
    const unknown = validation({ nickname: "Too long." });
    expect(renderToStaticMarkup(createElement(FormError, { error: unknown, fieldIds }))).toContain(
      "<li>Too long.</li>",
    );
    const withMessage = validation({ email: "Enter a valid email address." });
    expect(errorLayout(withMessage, fieldIds, "Verify your address first.").atField).toBeNull();
  });

  it("every form that shows a field error maps that field to its input for the summary and the focus", () => {
    const sources = (dir: string): string[] =>
      readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? sources(path.join(dir, entry.name))
          : entry.name.endsWith(".tsx")
            ? [path.join(dir, entry.name)]
            : [],
      );
    let checked = 0;
    for (const file of sources("app")) {
      const text = readFileSync(path.join(root, file), "utf8");
      for (const [, name] of text.matchAll(/fieldError\("(\w+)"\)/g)) {
        checked++;
        expect(text, `${file}: FormError fieldIds`).toMatch(/fieldIds/);
        expect(text, `${file}: fieldIds has "${name}"`).toMatch(new RegExp(`\\b${name}\\s*:`));
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });
});

describe("PasswordField", () => {
  it("is masked, with a Show password toggle button (aria-pressed, aria-controls), and keeps autocomplete", () => {
    const html = renderToStaticMarkup(
      createElement(PasswordField, { id: "pw", name: "password", label: "Password", autoComplete: "current-password" }),
    );
    expect(html).toMatch(/<input[^>]*type="password"/);
    expect(html).toMatch(/<input[^>]*autoComplete="current-password"/i);
    expect(html).toMatch(/<button type="button"[^>]*aria-controls="pw"[^>]*aria-pressed="false"/);
    expect(html.replace(/<[^>]+>/g, "")).toContain("Show password");
    // No strength hint on a password being typed to sign in.
    expect(html).not.toContain("aria-live");
  });

  it("on a new password, has a polite live region for the strength hint, described by the input", () => {
    const html = renderToStaticMarkup(
      createElement(PasswordField, {
        id: "pw",
        name: "password",
        label: "Password",
        autoComplete: "new-password",
        strengthHint: true,
      }),
    );
    expect(html).toMatch(/id="pw-strength" aria-live="polite"/);
    expect(html).toMatch(/<input[^>]*aria-describedby="pw-strength"/);
  });
});

describe("password strength hint", () => {
  it("says what makes a password weak, and never asks for symbols or capitals", () => {
    expect(passwordHint("")).toEqual({ strength: "empty", text: "" });
    expect(passwordHint("abc")).toMatchObject({ strength: "weak", text: expect.stringMatching(/too short.*8/i) });
    expect(passwordHint("password")).toMatchObject({ strength: "weak", text: expect.stringMatching(/common/i) });
    expect(passwordHint("PassWord")).toMatchObject({ strength: "weak" });
    expect(passwordHint("zzzzzzzzzz")).toMatchObject({ strength: "weak", text: expect.stringMatching(/repeated/) });
    expect(passwordHint("x".repeat(129) + "y")).toMatchObject({
      strength: "weak",
      text: expect.stringMatching(/long/),
    });
    expect(passwordHint("violet42")).toMatchObject({ strength: "fair" });
    expect(passwordHint("tulip marble quietly")).toMatchObject({ strength: "strong" });
    for (const password of ["abc", "violet42", "tulip marble quietly", "password"])
      expect(passwordHint(password).text).not.toMatch(/symbol|uppercase|capital|number|special/i);
  });

  it("accepts what the server accepts: anything of 8+ characters that is not common is not weak", () => {
    expect(passwordHint("aaaaaaab").strength).not.toBe("weak");
    expect(passwordHint("日本語のパスワード").strength).not.toBe("weak");
  });
});

describe("one-time code field", () => {
  it.each([
    ["123456", "123456"],
    ["123 456", "123456"],
    ["123-456", "123456"],
    [" 123456\n", "123456"],
    [
      "Twofold: 654321 is your sign-in code. It expires in 5 minutes. Don't share it with anyone.\n\n@localhost #654321",
      "654321",
    ],
    ["Code for +1 555 123 4567: 987 654", "987654"],
    ["12", "12"],
    ["1234567", "123456"],
    ["abc", ""],
  ])("%j → %j", (text, code) => {
    expect(codeFromText(text)).toBe(code);
  });

  it("takes SMS autofill and a pasted code: one-time-code, numeric keypad, no maxlength to cut a pasted text", () => {
    const source = readFileSync(path.join(root, "app/components/CodeField.tsx"), "utf8");
    const input = source.slice(source.indexOf("<input"), source.indexOf("/>", source.indexOf("<input")));
    expect(input).toContain('autoComplete="one-time-code"');
    expect(input).toContain('inputMode="numeric"');
    expect(input).not.toMatch(/maxLength/);
    expect(input).toContain("onChange(codeFromText(");
  });
});
