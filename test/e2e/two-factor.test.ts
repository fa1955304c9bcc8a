import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  expectNoHorizontalScroll,
  headerSignOut,
  fullPhone,
  maskedPhone,
  newPhoneNumber,
  ready,
  recordUrls,
  shot,
  smsCode,
  useBrowser,
  waitForPath,
} from "./support";
import {
  addPhone,
  codeInput,
  enableTwoFactor,
  enterCode,
  expectNoSecretsInUrls,
  expectOneTimeCodeInput,
  expectOnlyMaskedNumber,
  expectResendCountdown,
  openSecurity,
  phoneSection,
  phoneSize,
  signOutAndIn,
  twoFactorSection,
  verifyPhone,
  wrongCodes,
} from "./two-factor-steps";

const browser = useBrowser();

describe("SMS two-factor", () => {
  it("adds and verifies a phone, turns two-factor on, then signs in with a texted code", async () => {
    const context = await browser.context();
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const account = await createVerifiedAccount(page, "twofactor");
    const phone = newPhoneNumber();
    await openSecurity(page);

    // Security page: no number yet, and the switch is disabled until there is a verified one.
    const section = phoneSection(page);
    await section.getByText("No phone number yet.").waitFor();
    const switchOff = await ready(twoFactorSection(page).getByRole("button", { name: "Turn on", exact: true }));
    expect(await switchOff.isDisabled()).toBe(true);
    await twoFactorSection(page)
      .getByText("Add a phone number above and enter the code we text it, then turn this on.")
      .waitFor();

    const verificationId = await addPhone(page, account, phone, "two-factor-profile-add-phone");
    // The code page shows the number just typed in full, so a typo can be spotted (issue 12).
    await page
      .getByRole("main")
      .getByText(`We sent a 6-digit code to ${fullPhone(phone)}. Enter it below.`)
      .waitFor();
    await expectOneTimeCodeInput(page);
    await expectResendCountdown(page);
    await shot(page, "two-factor-phone-verify");
    const phoneCode = await verifyPhone(page, phone);
    await shot(page, "two-factor-profile-phone-verified");

    await enableTwoFactor(page, account, phone);
    // The owner's own profile shows the number in full too; the sign-in step below masks it.
    await phoneSection(page).getByText(fullPhone(phone), { exact: true }).waitFor();
    await shot(page, "two-factor-profile-on");

    const challenge = await signOutAndIn(page, account);
    await page.getByRole("heading", { level: 1, name: "Enter your sign-in code" }).waitFor();
    await page
      .getByRole("main")
      .getByText(`We sent a 6-digit code to ${maskedPhone(phone)}. Enter it below.`)
      .waitFor();
    await expectOnlyMaskedNumber(page, phone);
    await expectOneTimeCodeInput(page);
    await expectResendCountdown(page);
    await shot(page, "two-factor-sign-in-verify");

    const signInCode = await smsCode(page, phone.e164, "sign-in");
    expect(signInCode).not.toBe(phoneCode);
    await enterCode(page, signInCode);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    await headerSignOut(page).waitFor();
    await openSecurity(page);
    await page.getByRole("region", { name: "Two-factor sign-in is On" }).waitFor();

    expectNoSecretsInUrls(
      recorded,
      phone,
      [verificationId, phoneCode, signInCode, ...challenge],
      ["/profile", "/profile/security", "/profile/phone", "/sign-in", "/sign-in/verify"],
    );
  });

  it("fits a 375 px phone: the phone section, the code pages and the wrong-code state", async () => {
    const context = await browser.context(phoneSize);
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const account = await createVerifiedAccount(page, "twofactor-narrow");
    const phone = newPhoneNumber();
    await openSecurity(page);

    // The add-number form, with a country picker whose longest option is far wider than the screen.
    await ready(phoneSection(page).getByRole("button", { name: "Send code" }));
    await phoneSection(page).scrollIntoViewIfNeeded();
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-profile-add-phone-375");

    const verificationId = await addPhone(page, account, phone);
    await ready(codeInput(page));
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-phone-verify-375");

    const phoneCode = await verifyPhone(page, phone);
    await enableTwoFactor(page, account, phone);
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-profile-on-375");

    const challenge = await signOutAndIn(page, account);
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-sign-in-verify-375");

    const code = await smsCode(page, phone.e164, "sign-in");
    const [wrong] = wrongCodes(code, 1);
    await enterCode(page, wrong!);
    await page.getByRole("main").getByText("That code isn't right. 4 attempts left.").waitFor();
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-sign-in-verify-wrong-code-375");

    await enterCode(page, code);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    expectNoSecretsInUrls(
      recorded,
      phone,
      [verificationId, phoneCode, code, wrong!, ...challenge],
      ["/profile/phone", "/sign-in/verify"],
    );
  });
});
