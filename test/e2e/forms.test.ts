// Issue 12, what people coming from Clerk and Supabase expect of the forms: a show-password toggle, a strength hint
// that explains itself, one error pattern (a single field error is said once, at the field), a code field that
// takes a pasted SMS, and deleting one's own account.
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  fillSignIn,
  fullPhone,
  newAccount,
  open,
  pageAlert,
  ready,
  newPhoneNumber,
  shot,
  useBrowser,
  waitForPath,
} from "./support";
import { addPhone, codeInput, openSecurity } from "./two-factor-steps";

const browser = useBrowser();

describe("forms", () => {
  it("sign-up: Show password reveals and hides, the hint says what is wrong, and a common password is refused once, at the field", async () => {
    const page = await browser.page();
    const account = newAccount("forms-signup");
    const submit = await open(page, "/sign-up", (p) => p.getByRole("button", { name: "Create account" }));
    const password = page.getByLabel("Password", { exact: true });
    // By what it controls: its words change from "Show password" to "Hide password".
    const toggle = page.locator('button[aria-controls="sign-up-password"]');

    await page.getByLabel("Name").fill(account.name);
    await page.getByLabel("Email").fill(account.email);
    await password.fill("short");
    await page.getByText("Too short: use at least 8 characters.").waitFor();
    await password.fill("password1");
    await page.getByText("Too common: this is one of the most used passwords.").waitFor();

    expect(await password.getAttribute("type")).toBe("password");
    expect(await toggle.getAttribute("aria-pressed")).toBe("false");
    expect(await toggle.innerText()).toMatch(/^Show/);
    await toggle.click();
    expect(await password.getAttribute("type")).toBe("text");
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    expect(await toggle.innerText()).toMatch(/^Hide/);
    expect(await password.getAttribute("autocomplete")).toBe("new-password");
    await shot(page, "forms-sign-up-shown-weak");

    await submit.click();
    // One field error: at the field only, the field is described by it and takes focus; no summary box.
    const fieldError = page.locator("#sign-up-password-error, [id$='password-error']").first();
    await fieldError.waitFor();
    expect(await page.locator(".error-summary").count()).toBe(0);
    const errorText = (await fieldError.innerText()).trim();
    expect(errorText.length).toBeGreaterThan(0);
    const mainText = await page.getByRole("main").innerText();
    expect(mainText.split(errorText).length - 1, "the error is shown once").toBe(1);
    expect(await password.getAttribute("aria-invalid")).toBe("true");
    expect(await password.evaluate((element) => element === document.activeElement)).toBe(true);
    // Sending the form masked the password again: a shown password does not stay on screen.
    expect(await password.getAttribute("type")).toBe("password");

    await password.fill(account.password);
    await page.getByText(/^(Long enough|Strong)/).waitFor();
    await submit.click();
    await waitForPath(page, "/check-email");
  });

  it("the code field takes a whole pasted SMS and keeps its six digits", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "forms-paste");
    await openSecurity(page);
    const phone = newPhoneNumber();
    await addPhone(page, account, phone);
    // The owner's own code page shows the number just typed in full, so a typo can be spotted.
    await page.getByRole("main").getByText(fullPhone(phone)).first().waitFor();
    const input = await ready(codeInput(page));
    expect(await input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(await input.getAttribute("maxlength")).toBeNull();
    await input.focus();
    await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData("text/plain", "Your Twofold code for +1 415 555 0142 is 482 913. It expires in 10 minutes.");
      document.activeElement?.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true }));
    });
    await page.waitForFunction(
      (element) => (element as HTMLInputElement).value === "482913",
      await input.elementHandle(),
    );
  });

  it("deletes the account: password asked, signed out everywhere, a notice, a goodbye email, and the password no longer works", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "forms-delete");
    await openSecurity(page);
    const card = page.locator("#delete-account");
    await card.getByRole("button", { name: "Delete account…" }).click();
    const confirm = card.getByLabel("Current password", { exact: true });
    await confirm.fill("not the password at all");
    await card.getByRole("button", { name: "Delete my account" }).click();
    await card
      .getByText(/password/i)
      .filter({ hasNot: page.locator("input, button") })
      .first()
      .waitFor();
    await shot(page, "forms-delete-account-wrong-password");
    await confirm.fill(account.password);
    await card.getByRole("button", { name: "Delete my account" }).click();

    await waitForPath(page, "/");
    await page.getByRole("main").getByRole("status").getByText("Your account was deleted.", { exact: false }).waitFor();
    await shot(page, "forms-account-deleted");
    expect(await page.getByRole("banner").getByRole("link", { name: "Sign in" }).count()).toBeGreaterThan(0);

    const inbox = await browser.page();
    await inbox.goto("/dev/inbox");
    await inbox
      .getByText(/account was deleted/)
      .first()
      .waitFor();

    await fillSignIn(page, account.email, account.password);
    await pageAlert(page).waitFor();
    expect(new URL(page.url()).pathname).toBe("/sign-in");
  });
});
