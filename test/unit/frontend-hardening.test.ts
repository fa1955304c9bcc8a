import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * Front-end rules that hold for every page, checked on the sources under app/ (and the API client in
 * src/client/, which pages import): the password fields, clipboard, raw HTML and browser storage. A new page or
 * field that breaks a rule fails here; the browser tests (test/e2e) show the same pages working.
 */

const root = path.resolve(import.meta.dirname, "../..");

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(relative));
    else if (/\.(ts|tsx)$/.test(entry.name)) out.push(relative);
  }
  return out;
}

const files = [...sourcesUnder("app"), ...sourcesUnder("src/client")].map((file) => ({
  file,
  text: readFileSync(path.join(root, file), "utf8"),
}));

interface JsxInput {
  file: string;
  line: number;
  tag: string;
  /** Attribute name → its string value, `{…}` for an expression, or "" for a bare attribute. */
  attributes: Map<string, string>;
}

/**
 * Every <input>, <Field> and <PasswordField> element (the labelled inputs of app/components/Field.tsx and
 * PasswordField.tsx) in the page sources.
 */
function inputs(): JsxInput[] {
  const found: JsxInput[] = [];
  for (const { file, text } of files.filter(({ file }) => file.endsWith(".tsx"))) {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
    const visit = (node: ts.Node) => {
      if (ts.isJsxSelfClosingElement(node) || ts.isJsxOpeningElement(node)) {
        const tag = node.tagName.getText(source);
        if (tag === "input" || tag === "Field" || tag === "PasswordField") {
          const attributes = new Map<string, string>();
          for (const attribute of node.attributes.properties) {
            if (!ts.isJsxAttribute(attribute)) continue;
            const value = attribute.initializer;
            attributes.set(
              attribute.name.getText(source),
              !value ? "" : ts.isStringLiteral(value) ? value.text : "{…}",
            );
          }
          found.push({
            file,
            line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
            tag,
            attributes,
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

const where = (input: JsxInput) => `${input.file}:${input.line}`;
/** A field that takes a password, by its name or its autocomplete token. */
const isPasswordField = (input: JsxInput) =>
  /password|^confirm$/i.test(input.attributes.get("name") ?? "") ||
  /password/.test(input.attributes.get("autoComplete") ?? "");

describe("password fields (ASVS 6.2.6, 6.2.7; NIST SP 800-63B 5.1.1.2)", () => {
  const passwordFields = inputs().filter(isPasswordField);

  it("finds every password field of the app: sign-in, sign-up, reset, the profile's forms and the confirm dialog", () => {
    const filesWithFields = new Set(passwordFields.map((input) => input.file));
    for (const file of [
      "app/sign-in/components.tsx",
      "app/sign-up/components.tsx",
      "app/reset-password/components.tsx",
      "app/profile/account-forms.tsx",
      "app/profile/security/password.tsx",
      "app/profile/security/phone.tsx",
      "app/components/PasswordConfirm.tsx",
    ]) {
      expect(filesWithFields, file).toContain(file);
    }
    expect(passwordFields.length).toBeGreaterThanOrEqual(9);
  });

  it("masks every one: each is a PasswordField, masked unless its owner presses Show password", () => {
    for (const input of passwordFields) {
      expect(input.tag, where(input)).toBe("PasswordField");
      // The component owns the type: a `type` here would be ignored at best, a plain-text password at worst.
      expect(input.attributes.has("type"), where(input)).toBe(false);
    }
    const passwordField = readFileSync(path.join(root, "app/components/PasswordField.tsx"), "utf8");
    // Masked by default; only the toggle button (aria-pressed, aria-controls the input) unmasks it.
    expect(passwordField).toMatch(/useState\(false\)/);
    expect(passwordField).toMatch(/type=\{visible \? "text" : "password"\}/);
    expect(passwordField).toMatch(/aria-pressed=\{visible\}/);
    expect(passwordField).toMatch(/aria-controls=\{id\}/);
    // Field passes `type` through to its <input>; were it to drop it, every field above would be plain text.
    const field = readFileSync(path.join(root, "app/components/Field.tsx"), "utf8");
    expect(field).toMatch(/<input[^>]*\btype=\{type\}/);
    // No page makes a password input of its own, bypassing the component.
    for (const input of inputs().filter((input) => input.tag !== "PasswordField"))
      expect(input.attributes.get("type"), where(input)).not.toBe("password");
  });

  it("tells password managers what each field is: current-password to sign in and confirm, new-password to choose", () => {
    for (const input of passwordFields) {
      const name = input.attributes.get("name");
      const expected =
        name === "currentPassword" || (name === "password" && input.file === "app/sign-in/components.tsx")
          ? "current-password"
          : "new-password";
      expect(input.attributes.get("autoComplete"), where(input)).toBe(expected);
    }
  });

  it("never blocks paste, copy or drop into a password field, and no page listens for paste at all", () => {
    for (const input of passwordFields) {
      for (const handler of ["onPaste", "onCopy", "onCut", "onDrop", "onDragStart", "onContextMenu"])
        expect(input.attributes.has(handler), `${where(input)} ${handler}`).toBe(false);
    }
    for (const { file, text } of files)
      expect(text, file).not.toMatch(/addEventListener\(\s*["'](paste|copy|cut|drop)["']/);
    // The one clipboard handler in app/ is the code field's, which keeps the digits of a pasted code.
    const onPaste = files.filter(({ text }) => /\bonPaste\b/.test(text)).map(({ file }) => file);
    expect(onPaste).toEqual(["app/components/CodeField.tsx"]);
  });

  it("puts the length rule and the strength hint under every field that chooses a new password (sign-up, reset, change)", () => {
    const choosing = passwordFields.filter(
      (input) => input.attributes.get("autoComplete") === "new-password" && input.attributes.get("name") !== "confirm",
    );
    expect(choosing.map((input) => input.file).sort()).toEqual([
      "app/profile/security/password.tsx",
      "app/reset-password/components.tsx",
      "app/sign-up/components.tsx",
    ]);
    for (const input of choosing) {
      expect(input.attributes.get("hint"), where(input)).toMatch(/^8–128 characters\./);
      // And the live hint that says what would make it weak (app/lib/password-hint.ts).
      expect(input.attributes.has("strengthHint"), where(input)).toBe(true);
    }
  });
});

describe("text is rendered as text (ASVS 3.2.2)", () => {
  it("no page writes raw HTML or runs strings as code", () => {
    const rawHtml =
      /dangerouslySetInnerHTML|\.innerHTML\b|\.outerHTML\s*=[^=]|insertAdjacentHTML|document\.write|createContextualFragment|\beval\(|new Function\(/;
    expect(files.length).toBeGreaterThan(40);
    for (const { file, text } of files) expect(text, file).not.toMatch(rawHtml);
  });
});

describe("browser storage (ASVS 14.3.3)", () => {
  it("holds only the address typed at sign-up, in sessionStorage: no localStorage, IndexedDB, Cache API or script-set cookies", () => {
    const storage = /\b(localStorage|sessionStorage|indexedDB|caches\.open|document\.cookie|openDatabase)\b/;
    const users = files.filter(({ text }) => storage.test(text));
    expect(users.map(({ file }) => file)).toEqual(["app/lib/pending-email.ts"]);
    const pendingEmail = users[0]!.text;
    expect(
      pendingEmail
        .match(/\b(localStorage|sessionStorage|indexedDB|document\.cookie)\b/g)!
        .every((use) => use === "sessionStorage"),
    ).toBe(true);
    expect(pendingEmail).toMatch(/const key = "twofold:pending-email";/);
    expect(pendingEmail.match(/sessionStorage\.setItem\(([^,]+),/g)).toEqual(["sessionStorage.setItem(key,"]);
  });
});
