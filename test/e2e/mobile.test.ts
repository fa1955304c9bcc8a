// 7. Phone width (375 × 812): sign-in and the account pages fit without horizontal scrolling.
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  expectNoHorizontalScroll,
  headerSignOut,
  makePng,
  ready,
  shot,
  signIn,
  useBrowser,
  waitForPath,
  fillSignIn,
  pageAlert,
} from "./support";

const browser = useBrowser();
const phone = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true };

describe("phone width", () => {
  it("signs in and shows the profile at 375 px without horizontal scrolling", async () => {
    const page = await browser.page(phone);
    const account = await createVerifiedAccount(page, "phone");
    // A second session and a picture, so the sessions table and the header have their fullest content.
    const desktop = await browser.page();
    await signIn(desktop, account.email, account.password);
    await ready(page.getByRole("button", { name: "Upload picture" }));
    await page.locator("#avatar-file").setInputFiles({ name: "a.png", mimeType: "image/png", buffer: makePng() });
    await page.getByText("Profile picture updated.").waitFor();

    await (await ready(headerSignOut(page))).click();
    await waitForPath(page, "/");
    await expectNoHorizontalScroll(page, 375);

    await page.goto("/sign-in");
    await ready(page.getByRole("button", { name: "Sign in", exact: true }));
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "sign-in-375");

    // The error state is the widest version of the form.
    await fillSignIn(page, account.email, "wrong password");
    await pageAlert(page).waitFor();
    await expectNoHorizontalScroll(page, 375);

    await signIn(page, account.email, account.password);
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "profile-375");

    // The other two account pages, through the section tabs.
    const tabs = page.getByRole("navigation", { name: "Account" });
    await (await ready(tabs.getByRole("link", { name: "Sessions" }))).click();
    await page.getByRole("region", { name: "Where you're signed in" }).getByText("This device").waitFor();
    expect(await tabs.getByRole("link", { name: "Sessions" }).getAttribute("aria-current")).toBe("page");
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "profile-sessions-375");
    await tabs.getByRole("link", { name: "Security" }).click();
    await page.getByRole("region", { name: /^Two-factor sign-in/ }).waitFor();
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "profile-security-375");

    await page.goto("/dev/inbox");
    await page.getByRole("list", { name: "Messages" }).waitFor();
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "dev-inbox-375");
  });
});
