// "Use another way" when the sign-in code cannot be texted: the number's budget of sign-in codes (5 per 10
// minutes) is spent by earlier sign-ins, so the sixth says so plainly and offers the account's other factors.
import type { BrowserContext } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  expectNoHorizontalScroll,
  fillSignIn,
  maskedPhone,
  ready,
  shot,
  useBrowser,
  waitForPath,
  type Account,
} from "./support";
import { apiJson, chooseOtherWay, enrolSms, enrolTotp, signOut, verifyButton } from "./second-factor-steps";

const browser = useBrowser();
const phoneSize = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** Five sign-ins through the API from another "device", each texting (or asked to text) a sign-in code. */
async function spendSignInTexts(other: BrowserContext, account: Account, ask: boolean): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const signIn = await apiJson<{ challenge?: { id: string; smsError?: unknown } }>(
      other,
      "POST",
      "/api/auth/sign-in",
      {
        email: account.email,
        password: account.password,
      },
    );
    expect(signIn.status, "sign-in").toBe(200);
    expect(signIn.body.challenge?.smsError, `sign-in ${i + 1}`).toBeUndefined();
    if (!ask) continue;
    const sent = await apiJson(other, "POST", "/api/auth/two-factor/send", { method: "sms" });
    expect(sent.status, `send ${i + 1}`).toBe(202);
  }
}

describe("when the sign-in code cannot be texted", () => {
  it("SMS first: says why and offers a recovery code", async () => {
    const page = await browser.page(phoneSize);
    const account = await createVerifiedAccount(page, "sms-limit-first");
    const { phone, recoveryCodes } = await enrolSms(page.context(), account);
    await signOut(page);
    await spendSignInTexts(await browser.context(), account, false);

    await fillSignIn(page, account.email, account.password);
    await waitForPath(page, "/sign-in/verify");
    const main = page.getByRole("main");
    await main.getByRole("heading", { level: 1, name: "Sign in another way" }).waitFor();
    await main
      .getByRole("alert")
      .getByText(
        /^We can't text you right now: too many codes were sent\. Try again in \d+ minutes?, or use another way\.$/,
      )
      .waitFor();
    // The other ways are listed at once.
    const list = main.getByRole("list", { name: "Other ways to confirm it's you" });
    expect(await list.getByRole("button").allInnerTexts()).toEqual(["A recovery code"]);
    await expectNoHorizontalScroll(page, 390);
    await shot(page, "second-factor-sms-limited-390");

    await chooseOtherWay(page, "A recovery code");
    await (await ready(main.getByLabel("Recovery code"))).fill(recoveryCodes[1]!);
    // "Text a code" is offered back, by the masked number.
    await (await ready(main.getByRole("button", { name: "Use another way" }))).click();
    await main.getByRole("button", { name: `Text a code to ${maskedPhone(phone)}` }).waitFor();
    await verifyButton(page).click();
    await waitForPath(page, "/profile");
  });

  it("SMS chosen under “Use another way”: says why, and the authenticator app still works", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "sms-limit-other");
    const { phone } = await enrolSms(page.context(), account);
    const { app } = await enrolTotp(page.context(), account);
    await signOut(page);
    await spendSignInTexts(await browser.context(), account, true);

    await fillSignIn(page, account.email, account.password);
    await waitForPath(page, "/sign-in/verify");
    const main = page.getByRole("main");
    await main.getByText("Enter the 6-digit code from your authenticator app.").waitFor();
    await chooseOtherWay(page, `Text a code to ${maskedPhone(phone)}`);
    await main
      .getByRole("alert")
      .getByText(
        /^We can't text you right now: too many codes were sent\. Try again in \d+ minutes?, or use another way\.$/,
      )
      .waitFor();
    await shot(page, "second-factor-sms-limited-chosen");

    await chooseOtherWay(page, "Authenticator app");
    await (await ready(main.getByLabel("Verification code"))).fill(await app.code());
    await verifyButton(page).click();
    await waitForPath(page, "/profile");
  });
});
