// Signing in and stepping up with the second factors beyond SMS: an authenticator app, a recovery code, and a
// browser trusted for 30 days. Factors are enrolled through the API; these tests drive the pages.
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  expectNoHorizontalScroll,
  fillSignIn,
  ipOf,
  ready,
  shot,
  useBrowser,
  waitForPath,
} from "./support";
import { apiJson, chooseOtherWay, enrolTotp, otherWaysButton, signOut, verifyButton } from "./second-factor-steps";

const browser = useBrowser();
const phoneSize = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

describe("second factors at sign-in", () => {
  it("signs in with a code from an authenticator app; a wrong one says how many tries are left", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "totp-sign-in");
    const { app } = await enrolTotp(page.context(), account);
    await signOut(page);

    await fillSignIn(page, account.email, account.password);
    await waitForPath(page, "/sign-in/verify");
    const main = page.getByRole("main");
    await main.getByRole("heading", { level: 1, name: "Enter your sign-in code" }).waitFor();
    await main.getByText("Enter the 6-digit code from your authenticator app.").waitFor();
    const input = await ready(main.getByLabel("Verification code"));
    expect(await input.getAttribute("inputmode")).toBe("numeric");
    // No text went out: the app is the first step, SMS is not even on.
    expect(await main.getByText(/We sent a 6-digit code/).count()).toBe(0);
    await shot(page, "second-factor-totp-step");

    await input.fill(app.wrongCode());
    await verifyButton(page).click();
    await main.getByText("That code isn't right. 4 attempts left.").waitFor();
    await shot(page, "second-factor-totp-wrong-code");

    // Lost every factor: this server has account recovery off (the default), so the page says whom to ask.
    await (await ready(main.getByRole("button", { name: "Lost access to all of these?" }))).click();
    await (await ready(main.getByRole("button", { name: "Email me a recovery link" }))).click();
    await main.getByText(/This site doesn't offer account recovery by email\. Contact the site's operator/).waitFor();
    await shot(page, "second-factor-lost-access-off");

    await input.fill(await app.code());
    await verifyButton(page).click();
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    // A recovery link without its token.
    await page.goto("/account-recovery");
    await page.getByRole("heading", { level: 1, name: "This link is invalid or expired" }).waitFor();
  });

  it("fits a 390 px phone, and signs in with a recovery code chosen under “Use another way”", async () => {
    const page = await browser.page(phoneSize);
    const account = await createVerifiedAccount(page, "recovery-sign-in");
    const { recoveryCodes } = await enrolTotp(page.context(), account);
    expect(recoveryCodes).toHaveLength(10);
    await signOut(page);

    await fillSignIn(page, account.email, account.password);
    await waitForPath(page, "/sign-in/verify");
    await ready(otherWaysButton(page));
    await expectNoHorizontalScroll(page, 390);
    await shot(page, "second-factor-totp-step-390");

    await (await ready(otherWaysButton(page))).click();
    const list = page.getByRole("main").getByRole("list", { name: "Other ways to confirm it's you" });
    expect(await list.getByRole("button").allInnerTexts()).toEqual(["A recovery code"]);
    await chooseOtherWay(page, "A recovery code");
    await page.getByRole("main").getByRole("heading", { level: 1, name: "Enter a recovery code" }).waitFor();
    const input = await ready(page.getByRole("main").getByLabel("Recovery code"));
    // Letters: the ordinary keyboard, and nothing offered from autofill.
    expect(await input.getAttribute("inputmode")).toBeNull();
    expect(await input.getAttribute("autocomplete")).toBe("off");
    await expectNoHorizontalScroll(page, 390);
    await shot(page, "second-factor-recovery-code-step-390");

    // Case and dashes do not matter.
    await input.fill(recoveryCodes[0]!.toUpperCase());
    await verifyButton(page).click();
    await waitForPath(page, "/profile");
    const session = await apiJson<{ user: { twoFactor: { recoveryCodesLeft: number } } }>(
      page.context(),
      "GET",
      "/api/auth/session",
    );
    expect(session.body.user.twoFactor.recoveryCodesLeft).toBe(9);

    // A used code works once.
    await signOut(page);
    await fillSignIn(page, account.email, account.password);
    await waitForPath(page, "/sign-in/verify");
    await chooseOtherWay(page, "A recovery code");
    await (await ready(page.getByRole("main").getByLabel("Recovery code"))).fill(recoveryCodes[0]!);
    await verifyButton(page).click();
    await page
      .getByRole("main")
      .getByText(/isn't right/)
      .waitFor();
  });

  it("trusts this browser for 30 days when asked: the next sign-in skips the code, and step-up then asks for the app", async () => {
    const context = await browser.context();
    const page = await context.newPage();
    const account = await createVerifiedAccount(page, "trusted-browser");
    const { app } = await enrolTotp(context, account);
    await signOut(page);

    await fillSignIn(page, account.email, account.password);
    await waitForPath(page, "/sign-in/verify");
    const box = await ready(page.getByRole("main").getByRole("checkbox", { name: /Don't ask again on this browser/ }));
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await page
      .getByRole("main")
      .getByLabel("Verification code")
      .fill(await app.code());
    await shot(page, "second-factor-trust-browser");
    await verifyButton(page).click();
    await waitForPath(page, "/profile");
    const cookie = (await context.cookies()).find((candidate) => candidate.name.endsWith("twofold_trusted"));
    expect(cookie?.httpOnly, "trusted-browser cookie").toBe(true);

    // The next sign-in on this browser: the password alone.
    await signOut(page);
    await fillSignIn(page, account.email, account.password);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    // That session passed no second factor just now: a security change asks for one, here the app's code.
    const response = await context.request.get("/api/auth/session", { headers: { "x-forwarded-for": ipOf(context) } });
    expect(
      ((await response.json()) as { session: { secondFactorAt: string | null } }).session.secondFactorAt,
    ).toBeNull();
    const newPassword = `${account.password} renewed`;
    await page.goto("/profile/security");
    const card = page.getByRole("region", { name: "Password", exact: true });
    const change = await ready(card.getByRole("button", { name: "Change password" }));
    await card.getByLabel("Current password").fill(account.password);
    await card.getByLabel("New password").fill(newPassword);
    await change.click();

    const prompt = page.getByRole("main").getByRole("form", { name: "Confirm it's you" });
    await prompt.getByText("To change your password, enter the 6-digit code from your authenticator app.").waitFor();
    const input = await ready(prompt.getByLabel("Verification code"));
    await prompt.scrollIntoViewIfNeeded();
    await shot(page, "step-up-totp-prompt");
    await input.fill(app.wrongCode());
    await prompt.getByRole("button", { name: "Confirm", exact: true }).click();
    await prompt.getByText(/That code isn't right/).waitFor();
    await input.fill(await app.code());
    await prompt.getByRole("button", { name: "Confirm", exact: true }).click();
    await card
      .getByRole("status")
      .getByText(/^Password changed\./)
      .waitFor();
    await prompt.waitFor({ state: "detached" });
  });
});
