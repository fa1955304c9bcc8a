// 3. Forgot password → link from the dev inbox → new password → only the new password signs in.
import { describe, expect, it } from "vitest";
import {
  clickInboxLink,
  createVerifiedAccount,
  fillSignIn,
  pathOf,
  ready,
  shot,
  signIn,
  useBrowser,
  waitForPath,
  pageAlert,
} from "./support";

const browser = useBrowser();

describe("password reset", () => {
  it("resets the password from the emailed link; the new password works, the old one fails, sessions end", async () => {
    const before = await browser.page();
    const account = await createVerifiedAccount(before, "reset");
    const newPassword = `${account.password} renewed`;

    const page = await browser.page();
    await page.goto("/sign-in");
    await (await ready(page.getByRole("link", { name: "Forgot password?" }))).click();
    await waitForPath(page, "/forgot-password");
    const send = await ready(page.getByRole("button", { name: "Send reset link" }));
    await shot(page, "forgot-password");
    await page.getByLabel("Email").fill(account.email);
    await send.click();
    await page.getByRole("heading", { name: "Check your email" }).waitFor();
    await page.getByText(`If an account exists for ${account.email}`).waitFor();
    await shot(page, "forgot-password-sent");

    const link = await clickInboxLink(page, account.email, "/reset-password");
    await waitForPath(page, "/reset-password");
    const save = await ready(page.getByRole("button", { name: "Set new password" }));
    // The token left the address bar as soon as the page read it.
    expect(page.url()).not.toContain("token=");
    await shot(page, "reset-password");
    await page.getByLabel("New password", { exact: true }).fill(newPassword);
    await page.getByLabel("Confirm new password").fill(newPassword);
    await save.click();

    await waitForPath(page, "/sign-in");
    expect(new URL(page.url()).searchParams.get("notice")).toBe("password-reset");
    await page.getByText("Your password was changed and every session was signed out.").waitFor();
    await shot(page, "sign-in-after-reset");

    // Every session was revoked, including the one from before the reset.
    await before.reload();
    expect(pathOf(before)).toBe("/sign-in");

    await fillSignIn(page, account.email, account.password);
    await pageAlert(page).getByText("The email or password is incorrect.").waitFor();
    expect(pathOf(page)).toBe("/sign-in");

    await signIn(page, account.email, newPassword);
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    // The link was single-use: the form still shows (the page cannot know), but the server refuses it.
    const reuse = await browser.page();
    await reuse.goto(link);
    const again = await ready(reuse.getByRole("button", { name: "Set new password" }));
    await reuse.getByLabel("New password", { exact: true }).fill(`${newPassword} again`);
    await reuse.getByLabel("Confirm new password").fill(`${newPassword} again`);
    await again.click();
    await pageAlert(reuse).getByText("This link is invalid or expired.").waitFor();
    await reuse.getByRole("link", { name: "Request a new link" }).waitFor();
    await shot(reuse, "reset-password-invalid");
  });
});
