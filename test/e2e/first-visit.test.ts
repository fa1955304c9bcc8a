// Issue 12, the rough edges a new user meets in the first ten minutes: the home page, the confirmations after
// signing out, verifying and a session ended elsewhere, a spent verify link while signed in, over-long names, and
// long emails at phone width.
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  apiPost,
  createVerifiedAccount,
  expectNoHorizontalScroll,
  headerSignOut,
  inboxHref,
  newAccount,
  pathOf,
  ready,
  shot,
  signIn,
  signUpViaApi,
  useBrowser,
  waitForPath,
} from "./support";

const browser = useBrowser();
const phone = { viewport: { width: 390, height: 844 } };

/** The text of each rendered line of `locator`, as the browser wrapped it. */
async function renderedLines(locator: Locator): Promise<string[]> {
  return locator.evaluate((element) => {
    const lines: string[] = [];
    let top: number | null = null;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? "";
      for (let index = 0; index < text.length; index++) {
        const range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        if (top === null || rect.top > top + 2) {
          lines.push(text[index] ?? "");
          top = rect.top;
        } else lines[lines.length - 1] += text[index] ?? "";
      }
    }
    return lines;
  });
}

async function expectNotice(page: Page, text: string): Promise<void> {
  await page.getByRole("main").getByRole("status").getByText(text).waitFor();
  // The key leaves the address bar once shown: a refresh does not repeat it.
  await page.waitForFunction(() => !new URL(window.location.href).searchParams.has("notice"));
}

describe("the first ten minutes", () => {
  it("the home page says what ships, with calls to action for each visitor; signing out is confirmed", async () => {
    const page = await browser.page();
    await page.goto("/");
    const main = page.getByRole("main");
    await main.getByRole("heading", { level: 1, name: "Accounts you host yourself" }).waitFor();
    const text = await main.innerText();
    for (const feature of ["authenticator app", "passkey", "text message", "recovery codes", "Trusted browsers"])
      expect(text).toContain(feature);
    // SMS two-factor ships: nothing on the page says it comes "next".
    expect(text).not.toMatch(/\bnext\b/i);
    await main.getByRole("link", { name: "Create an account" }).waitFor();
    await main.getByRole("link", { name: "Sign in" }).waitFor();
    await shot(page, "home-signed-out");

    const account = await createVerifiedAccount(page, "home");
    // The verification link's landing says what happened.
    await expectNotice(page, "Your email address is verified, and you're signed in.");
    await shot(page, "profile-email-verified");

    await page.goto("/");
    await main.getByRole("heading", { level: 1, name: `Welcome back, ${account.name}` }).waitFor();
    await main.getByRole("link", { name: "Go to your profile" }).waitFor();
    await main.getByRole("link", { name: "Turn on two-factor sign-in" }).waitFor();
    await shot(page, "home-signed-in");

    await (await ready(headerSignOut(page))).click();
    await waitForPath(page, "/");
    await expectNotice(page, "You're signed out.");
    await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
    await shot(page, "home-signed-out-notice");
    await page.reload();
    await main.getByRole("heading", { level: 1, name: "Accounts you host yourself" }).waitFor();
    expect(await main.getByText("You're signed out.").count()).toBe(0);

    const small = await browser.page(phone);
    await small.goto("/");
    await small.getByRole("main").getByRole("link", { name: "Create an account" }).waitFor();
    await expectNoHorizontalScroll(small, 390);
    await shot(small, "home-signed-out-390");
  });

  it("a session ended on another device lands on sign-in with 'You were signed out', once", async () => {
    const page = await browser.page(phone);
    const account = await createVerifiedAccount(page, "revoked");
    const other = await browser.page();
    await signIn(other, account.email, account.password);
    expect(await apiPost(other.context(), "/api/account/sessions/revoke-others", {})).toBe(204);

    await page.goto("/profile/security");
    await waitForPath(page, "/sign-in");
    await expectNotice(page, "You were signed out");
    await expectNoHorizontalScroll(page, 390);
    await shot(page, "sign-in-session-ended-390");
    // The dead cookie was cleared on the way: the next visit is simply signed out, with no stale news.
    const cookies = await page.context().cookies();
    expect(cookies.filter((cookie) => cookie.name.endsWith("twofold_session"))).toEqual([]);
    await page.goto("/profile");
    await waitForPath(page, "/sign-in");
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    expect(await page.getByText("You were signed out").count()).toBe(0);

    // A working session that finds its way to the relay is sent back to its profile, its cookie untouched.
    await other.goto("/sign-out/ended");
    await waitForPath(other, "/profile");
  });

  it("a verify link opened again while signed in says the address is already verified", async () => {
    const page = await browser.page();
    const account = newAccount("verifyagain");
    await signUpViaApi(page.context(), account);
    const link = await inboxHref(page, account.email, "/verify-email");
    await page.goto(link);
    await waitForPath(page, "/profile");

    await page.goto(link);
    const main = page.getByRole("main");
    await main.getByRole("heading", { level: 1, name: "Your email is already verified" }).waitFor();
    await main.getByText(account.email).waitFor();
    expect(await main.innerText()).not.toMatch(/invalid or expired/);
    await main.getByRole("link", { name: "Go to your profile" }).waitFor();
    await shot(page, "verify-email-already-verified");

    const small = await browser.page(phone);
    await signIn(small, account.email, account.password);
    await small.goto(link);
    await small.getByRole("heading", { level: 1, name: "Your email is already verified" }).waitFor();
    await expectNoHorizontalScroll(small, 390);
    await shot(small, "verify-email-already-verified-390");

    // Signed out, the same spent link is what it is: invalid, with a way to a fresh one.
    const stranger = await browser.page();
    await stranger.goto(link);
    await stranger.getByRole("heading", { level: 1, name: "This link is invalid or expired" }).waitFor();
  });

  it("refuses a name over 100 characters on the profile and at sign-up, in words, without cutting it", async () => {
    const long = `${"Bartholomew Fitzgerald-Montgomery ".repeat(4)}the Third`;
    expect(long.length).toBeGreaterThan(100);

    const page = await browser.page();
    const account = await createVerifiedAccount(page, "longname");
    const field = await ready(page.getByRole("textbox", { name: "Name", exact: true }));
    await page.getByText("Up to 100 characters.").waitFor();
    await field.fill(long);
    // Nothing cuts the paste: the field holds all of it until the server says no.
    expect(await field.inputValue()).toBe(long);
    await page.getByRole("button", { name: "Save name" }).click();
    await page.locator("#profile-name-error").getByText("Use at most 100 characters.").waitFor();
    expect(await page.getByText("Name saved.").count()).toBe(0);
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    await shot(page, "profile-name-too-long");

    const small = await browser.page(phone);
    await small.goto("/sign-up");
    const name = await ready(small.getByRole("textbox", { name: "Name", exact: true }));
    await name.fill(long);
    expect(await name.inputValue()).toBe(long);
    await small.getByLabel("Email").fill(newAccount("longsignup").email);
    await small.getByLabel("Password", { exact: true }).fill("a long enough passphrase 1");
    await small.getByRole("button", { name: "Create account" }).click();
    await small.locator("#sign-up-name-error").getByText("Use at most 100 characters.").waitFor();
    expect(await small.locator(".error-summary").count(), "one field error: no summary").toBe(0);
    expect(pathOf(small)).toBe("/sign-up");
    await expectNoHorizontalScroll(small, 390);
    await shot(small, "sign-up-name-too-long-390");
  });

  it("at 390 px a long email wraps before '@' or a dot and a long name at its spaces, never mid-word", async () => {
    const page = await browser.page(phone);
    const account = await createVerifiedAccount(page, "longaddressforwrapping");
    const header = page.getByRole("region", { name: account.name });
    const email = header.locator(".email-address");
    await email.waitFor();
    const lines = await renderedLines(email);
    expect(lines.join("")).toBe(account.email);
    expect(lines.length, "the address is wider than the card at 390 px").toBeGreaterThan(1);
    // Each line after the first starts at "@" or a dot, or follows a line that ended at a hyphen.
    lines.slice(1).forEach((line, index) => {
      expect(/^[@.]/.test(line) || lines[index]!.endsWith("-"), JSON.stringify(lines)).toBe(true);
    });
    await expectNoHorizontalScroll(page, 390);

    const name = "Maximiliana Wilhelmina Konstantina Papadopoulou-Smith von Hohenzollern";
    const field = await ready(page.getByRole("textbox", { name: "Name", exact: true }));
    await field.fill(name);
    await page.getByRole("button", { name: "Save name" }).click();
    await page.getByText("Name saved.").waitFor();
    const heading = page.getByRole("heading", { level: 1, name });
    await heading.waitFor();
    const nameLines = await renderedLines(heading);
    expect(nameLines.join("")).toBe(name);
    // Each line ends at a space or a hyphen: the words stay whole.
    for (const line of nameLines.slice(0, -1)) expect(line, JSON.stringify(nameLines)).toMatch(/[ -]$/);
    await expectNoHorizontalScroll(page, 390);
    await shot(page, "profile-long-email-390");
  });
});
