// 4. Change the email on the profile → link sent to the new address → /confirm-email → the new address signs in.
import { describe, expect, it } from "vitest";
import {
  clickInboxLink,
  createVerifiedAccount,
  fillSignIn,
  headerSignOut,
  ready,
  shot,
  signIn,
  uniqueEmail,
  useBrowser,
  waitForPath,
  pageAlert,
} from "./support";

const browser = useBrowser();

describe("email change", () => {
  it("changes the address after the link sent to the new one is opened", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "oldaddr");
    const newEmail = uniqueEmail("newaddr");

    const section = page.getByRole("region", { name: "Email address" });
    const submit = await ready(section.getByRole("button", { name: "Change email" }));
    await section.getByLabel("New email").fill(newEmail);
    await section.getByLabel("Current password").fill(account.password);
    await submit.click();
    await section.getByText(`we sent a confirmation link to ${newEmail}`).waitFor();
    // Nothing changes until the link is opened.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    expect(await page.getByRole("region", { name: account.name }).innerText()).toContain(account.email);

    // The link goes to the new address only; the old one gets a heads-up without a link.
    await page.goto("/dev/inbox");
    const notice = page
      .getByRole("listitem")
      .filter({ hasText: account.email })
      .filter({ hasText: "email address is being changed" });
    await notice.first().waitFor();
    // Its frame loads lazily: in view, whatever other tests' messages came after it.
    await notice.first().scrollIntoViewIfNeeded();
    // In the HTML (the inbox shows it in a frame: wait for its text, so an unloaded frame cannot pass) and the text.
    const html = notice.first().frameLocator("iframe");
    await html.getByText("Someone asked to change the email address").waitFor();
    expect(await html.getByRole("link").filter({ hasText: "/confirm-email" }).count()).toBe(0);
    await notice.first().getByRole("tab", { name: "Text" }).click();
    await notice.first().locator(".body").waitFor();
    expect(
      await notice
        .first()
        .getByRole("link", { name: /confirm-email/ })
        .count(),
    ).toBe(0);
    await clickInboxLink(page, newEmail, "/confirm-email");

    await waitForPath(page, "/confirm-email");
    await page.getByRole("heading", { name: "Email address changed" }).waitFor();
    await page.getByText(`From now on, sign in with ${newEmail}.`).waitFor();
    expect(page.url()).not.toContain("token=");
    await shot(page, "confirm-email");

    await (await ready(page.getByRole("link", { name: "Go to your profile" }))).click();
    await waitForPath(page, "/profile");
    await page.getByRole("region", { name: account.name }).getByText(newEmail).waitFor();

    // Sign out, then: the old address no longer signs in, the new one does.
    await (await ready(headerSignOut(page))).click();
    await waitForPath(page, "/");
    await fillSignIn(page, account.email, account.password);
    await pageAlert(page).getByText("The email or password is incorrect.").waitFor();
    await signIn(page, newEmail, account.password);
    await page.getByRole("region", { name: account.name }).getByText(newEmail).waitFor();
  });
});
