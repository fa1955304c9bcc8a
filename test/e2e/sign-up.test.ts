// 1. Sign up in the browser, read the verification email in the dev inbox, click its link, land signed in.
import { describe, expect, it } from "vitest";
import { inboxLink, headerSignOut, newAccount, open, pathOf, ready, shot, useBrowser, waitForPath } from "./support";

const browser = useBrowser();

describe("sign-up", () => {
  it("signs up, verifies through the link in the dev inbox and lands on the profile signed in", async () => {
    const account = newAccount("signup");
    const context = await browser.context();
    const page = await context.newPage();

    const submit = await open(page, "/sign-up", (p) => p.getByRole("button", { name: "Create account", exact: true }));
    await shot(page, "sign-up");
    await page.getByLabel("Name").fill(account.name);
    await page.getByLabel("Email").fill(account.email);
    await page.getByLabel("Password").fill(account.password);
    await submit.click();

    await waitForPath(page, "/check-email");
    // The address comes from session storage after mount, and the resend form is prefilled with it.
    await page.getByText(`We sent a link to ${account.email}`).waitFor();
    await ready(page.getByRole("button", { name: "Resend verification email" }));
    expect(page.url()).not.toContain(encodeURIComponent(account.email));
    await shot(page, "check-email");

    // The check-email page points developers at the inbox; follow that link rather than typing the URL.
    await page.getByRole("main").getByRole("link", { name: "dev inbox" }).click();
    await waitForPath(page, "/dev/inbox");
    await page.getByRole("heading", { name: "Dev inbox" }).waitFor();
    const inInbox = await inboxLink(page, account.email, "/verify-email");
    await shot(page, "dev-inbox");
    const link = (await inInbox.getAttribute("href")) ?? "";
    await inInbox.click();
    expect(link).toMatch(/\/verify-email#token=[^&\s]+$/);

    await waitForPath(page, "/profile");
    expect(page.url()).not.toContain("token=");
    expect(page.url()).not.toContain("#");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    await page.getByText(account.email, { exact: false }).first().waitFor();
    await page.getByText("Verified", { exact: true }).waitFor();
    // Signed in: the header offers the profile and sign-out, not "Sign in".
    await headerSignOut(page).waitFor();
    expect(await page.getByRole("banner").getByRole("link", { name: "Sign in" }).count()).toBe(0);

    // Opened again while signed in, the link says the address is already verified (test/e2e/first-visit.test.ts).
    // Signed out, a used link is what it is: the "invalid or expired" page with a resend form.
    await context.clearCookies();
    const again = await context.newPage();
    await again.goto(link);
    await again.getByRole("heading", { name: "This link is invalid or expired" }).waitFor();
    await ready(again.getByRole("button", { name: "Resend verification email" }));
    expect(again.url()).not.toContain("token=");
    expect(pathOf(again)).toBe("/verify-email");
    await shot(again, "verify-email-invalid");
  });
});
