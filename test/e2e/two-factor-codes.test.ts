import { describe, expect, it } from "vitest";
import {
  baseURL,
  createVerifiedAccount,
  ipOf,
  newPhoneNumber,
  pathOf,
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
  expectResendCountdown,
  resendButton,
  signOutAndIn,
  startSignIn,
  openSecurity,
  twoFactorAccount,
  verifyPhone,
  wrongCodes,
} from "./two-factor-steps";

const browser = useBrowser();

describe("SMS two-factor: wrong codes", () => {
  it("says how many attempts are left after a wrong code, and the resend button counts down after a send", async () => {
    const context = await browser.context();
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const account = await createVerifiedAccount(page, "twofactor-attempts");
    const phone = newPhoneNumber();
    await openSecurity(page);

    // Phone verification: the same rules as the sign-in code.
    const verificationId = await addPhone(page, account, phone);
    await expectResendCountdown(page);
    const phoneCode = await smsCode(page, phone.e164, "phone verification");
    const [wrongPhoneCode] = wrongCodes(phoneCode, 1);
    await enterCode(page, wrongPhoneCode!);
    await page.getByRole("main").getByText("That code isn't right. 4 attempts left.").waitFor();
    expect(await codeInput(page).getAttribute("aria-invalid")).toBe("true");
    expect(await codeInput(page).inputValue()).toBe("");
    await shot(page, "two-factor-phone-verify-wrong-code");
    // A wrong code does not use up the right one.
    expect(await verifyPhone(page, phone)).toBe(phoneCode);
    await enableTwoFactor(page, account, phone);

    const challenge = await signOutAndIn(page, account);
    await expectResendCountdown(page);
    // No attempts note before the first wrong code.
    expect(
      await page
        .getByRole("main")
        .getByText(/attempts? left/)
        .count(),
    ).toBe(0);
    const signInCode = await smsCode(page, phone.e164, "sign-in");
    const wrong = wrongCodes(signInCode, 2);

    await enterCode(page, wrong[0]!);
    const error = page.getByRole("main").getByText("That code isn't right. 4 attempts left.");
    await error.waitFor();
    expect(await codeInput(page).getAttribute("aria-describedby")).toContain("sign-in-code-code-error");
    // The resend cooldown is unaffected by a wrong code.
    expect(await resendButton(page).isDisabled()).toBe(true);
    await shot(page, "two-factor-sign-in-verify-wrong-code");

    // A code that is too short is caught on the page, without spending an attempt.
    await enterCode(page, "123");
    await page.getByRole("main").getByText("Enter the 6-digit code from the text message.").waitFor();

    await enterCode(page, wrong[1]!);
    await page.getByRole("main").getByText("That code isn't right. 3 attempts left.").waitFor();

    // The count lives on the server: a reload still says so.
    await page.reload();
    await ready(codeInput(page));
    await page.getByRole("main").getByText("3 attempts left.", { exact: true }).waitFor();

    await enterCode(page, signInCode);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    expectNoSecretsInUrls(
      recorded,
      phone,
      [verificationId, phoneCode, wrongPhoneCode!, signInCode, ...wrong, ...challenge],
      ["/profile/phone", "/sign-in/verify"],
    );
  });

  it("ends the sign-in after five wrong codes, leads back to sign-in, and the right code no longer works", async () => {
    const context = await browser.context();
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const { account, phone, secrets } = await twoFactorAccount(page, "twofactor-dead");

    const challenge = await signOutAndIn(page, account);
    const rightCode = await smsCode(page, phone.e164, "sign-in");
    const wrong = wrongCodes(rightCode, 5);
    for (const [index, code] of wrong.slice(0, 4).entries()) {
      await enterCode(page, code);
      const left = 4 - index;
      await page
        .getByRole("main")
        .getByText(`That code isn't right. ${left} attempt${left === 1 ? "" : "s"} left.`)
        .waitFor();
    }
    await enterCode(page, wrong[4]!);

    // The dead end: a heading that says why (focused, for screen readers), and the way back.
    const heading = page.getByRole("heading", { level: 1, name: "Too many wrong codes" });
    await heading.waitFor();
    await page.waitForFunction(() => document.activeElement?.matches("main h1") === true);
    await page.getByRole("main").getByText("ends after too many wrong codes").waitFor();
    expect(await codeInput(page).count()).toBe(0);
    expect(pathOf(page)).toBe("/sign-in/verify");
    await shot(page, "two-factor-sign-in-dead");

    // The right code, sent now by this very browser (its cookie, its address), gets no session.
    const late = await context.request.post("/api/auth/two-factor/verify", {
      data: { challengeId: challenge[0], method: "sms", code: rightCode },
      headers: { origin: baseURL, "x-forwarded-for": ipOf(context) },
    });
    expect(late.status(), await late.text()).toBe(410);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe("challenge_expired");
    await late.dispose();
    const session = await context.request.get("/api/auth/session", { headers: { "x-forwarded-for": ipOf(context) } });
    expect(session.status()).not.toBe(200);
    await session.dispose();

    // The way back: "Sign in again" leads to the sign-in form, which says why the user is back.
    await (await ready(page.getByRole("main").getByRole("link", { name: "Sign in again" }))).click();
    await waitForPath(page, "/sign-in");
    await ready(page.getByRole("button", { name: "Sign in", exact: true }));
    await page
      .getByRole("main")
      .getByRole("status")
      .getByText(
        "Your last sign-in ended before a code was accepted. Enter your email and password again and we'll text you a new code.",
      )
      .waitFor();
    await shot(page, "two-factor-sign-in-after-dead");

    // Coming back to the code page shows the dead end again, not a form that takes the old code.
    await page.goto("/sign-in/verify");
    await page.getByRole("heading", { level: 1, name: /Your sign-in expired|Too many wrong codes/ }).waitFor();
    expect(await codeInput(page).count()).toBe(0);
    await page.goto("/profile");
    await waitForPath(page, "/sign-in");

    // Starting again from the password: a new challenge, a new code, a fresh budget.
    const second = await startSignIn(page, account);
    expect(second[0]).not.toBe(challenge[0]);
    expect(
      await page
        .getByRole("main")
        .getByText(/attempts? left/)
        .count(),
    ).toBe(0);
    const newCode = await smsCode(page, phone.e164, "sign-in", 2);
    await enterCode(page, newCode);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    expectNoSecretsInUrls(
      recorded,
      phone,
      [...secrets, rightCode, newCode, ...wrong, ...challenge, ...second],
      ["/sign-in/verify", "/sign-in", "/profile"],
    );
  });
});
