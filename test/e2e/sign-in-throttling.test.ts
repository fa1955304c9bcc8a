// Throttled sign-in as a user sees it: the wait after repeated failures, the known browser that is not made
// to wait, and the unlock page reached from an email link (here with a dead link: a real lock takes 100
// failures hours apart, which test/integration/sign-in-throttling.test.ts drives through the API).
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  fillSignIn,
  headerSignOut,
  pageAlert,
  ready,
  shot,
  useBrowser,
  waitForPath,
} from "./support";

const browser = useBrowser();

describe("sign-in throttling", () => {
  it("asks a stranger to wait after repeated wrong passwords, while the owner's own browser signs straight in", async () => {
    const owner = await browser.page();
    const account = await createVerifiedAccount(owner, "throttle");
    await (await ready(headerSignOut(owner))).click();
    await waitForPath(owner, "/");

    const stranger = await browser.page();
    let text = "";
    // Each try loads the sign-in page afresh, so every alert read is that try's answer.
    for (let i = 0; i < 8 && !/try again in/i.test(text); i++) {
      await fillSignIn(stranger, account.email, `wrong guess number ${i}`);
      const alert = pageAlert(stranger);
      await alert.waitFor();
      text = await alert.innerText();
    }
    expect(text).toMatch(/Too many attempts\. Try again in \d+ seconds?\./);
    await shot(stranger, "sign-in-throttled");

    // The owner's browser carries the known-device cookie from its earlier sign-in: no wait for it.
    await fillSignIn(owner, account.email, account.password);
    await waitForPath(owner, "/profile");
  });

  it("explains a dead unlock link and offers a password reset instead", async () => {
    const page = await browser.page();
    await page.goto("/unlock#token=not-a-real-token.at-all");
    await page.getByRole("heading", { level: 1, name: "This link is invalid or expired" }).waitFor();
    // The token left the address bar at once, like every emailed link.
    expect(page.url()).not.toContain("token");
    await ready(page.getByRole("link", { name: "Reset your password" }));
    await shot(page, "unlock-invalid");
  });
});
