// 3. Forgot password → link from the dev inbox → new password → only the new password signs in.
import { describe, expect, it } from "vitest";
import {
  apiPost,
  clickInboxLink,
  createVerifiedAccount,
  expectNoHorizontalScroll,
  inboxHref,
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
    // As on sign-up's "check your email": the e2e server's email goes to the dev inbox, and the page says so.
    await page.getByRole("main").getByRole("link", { name: "dev inbox" }).waitFor();
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
    await page.getByText("Your password was changed and every session was signed out.").waitFor();
    // Shown once: the key leaves the address bar, so a refresh does not repeat it.
    await page.waitForFunction(() => !new URL(window.location.href).searchParams.has("notice"));
    await shot(page, "sign-in-after-reset");

    // Every session was revoked, including the one from before the reset, and that browser is told.
    await before.reload();
    expect(pathOf(before)).toBe("/sign-in");
    await before.getByRole("main").getByText("You were signed out").waitFor();

    await fillSignIn(page, account.email, account.password);
    await pageAlert(page).getByText("The email or password is incorrect.").waitFor();
    expect(pathOf(page)).toBe("/sign-in");

    await signIn(page, account.email, newPassword);
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    // The link was single-use, and the page checks it on arrival: the dead link says so before a password is typed.
    const reuse = await browser.page();
    await reuse.goto(link);
    await reuse.getByRole("heading", { level: 1, name: "This link is invalid or expired" }).waitFor();
    await ready(reuse.getByRole("link", { name: "Send a new link" }));
    expect(await reuse.getByLabel("New password", { exact: true }).count()).toBe(0);
    await shot(reuse, "reset-password-invalid");
    const small = await browser.page({ viewport: { width: 390, height: 844 } });
    await small.goto(link);
    await small.getByRole("heading", { level: 1, name: "This link is invalid or expired" }).waitFor();
    await expectNoHorizontalScroll(small, 390);
    await shot(small, "reset-password-invalid-390");
  });

  it("a link used in another tab after the page checked it is refused when the form is sent", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "resettwice");
    expect(await apiPost(page.context(), "/api/auth/forgot-password", { email: account.email })).toBe(202);
    const link = await inboxHref(page, account.email, "/reset-password");
    const first = await browser.page();
    const second = await browser.page();
    for (const tab of [first, second]) {
      await tab.goto(link);
      await ready(tab.getByRole("button", { name: "Set new password" }));
    }
    await first.getByLabel("New password", { exact: true }).fill(`${account.password} one`);
    await first.getByLabel("Confirm new password").fill(`${account.password} one`);
    await first.getByRole("button", { name: "Set new password" }).click();
    await waitForPath(first, "/sign-in");

    await second.getByLabel("New password", { exact: true }).fill(`${account.password} two`);
    await second.getByLabel("Confirm new password").fill(`${account.password} two`);
    await second.getByRole("button", { name: "Set new password" }).click();
    await pageAlert(second).getByText("This link is invalid or expired.").waitFor();
    await second.getByRole("link", { name: "Request a new link" }).waitFor();
  });
});
