// 9. SMS two-factor (issue 4): add and verify a phone on the profile, turn two-factor on, sign in with a texted
//    code; wrong codes count down and five of them end the sign-in; the resend button waits out its cooldown;
//    no phone number, code or challenge id ever appears in a URL; the pages fit a 375 px phone.
//    Codes are read from the dev inbox in a second tab of the same context. Each test texts its own number:
//    SMS limits count per phone (3 texts per 10 minutes).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  baseURL,
  createVerifiedAccount,
  expectNoHorizontalScroll,
  fillSignIn,
  headerSignOut,
  ipOf,
  maskedPhone,
  newPhoneNumber,
  pathOf,
  ready,
  recordUrls,
  shot,
  smsCode,
  useBrowser,
  waitForPath,
  type Account,
} from "./support";

const browser = useBrowser();
const phoneSize = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true };

type Phone = ReturnType<typeof newPhoneNumber>;

// ---------------------------------------------------------------------------------------------------------
// Steps

function phoneSection(page: Page) {
  return page.getByRole("region", { name: "Phone number", exact: true });
}

function twoFactorSection(page: Page) {
  return page.getByRole("region", { name: /^Two-factor sign-in/ });
}

function codeInput(page: Page) {
  return page.getByRole("main").getByLabel("Verification code");
}

function resendButton(page: Page) {
  return page.getByRole("main").getByRole("button", { name: /^Send a new code/ });
}

/**
 * On /profile: picks the country, types the national number and the password, sends the code; ends on
 * /profile/phone. Returns the verification id the API answered with (to check it never reaches a URL).
 */
async function addPhone(page: Page, account: Account, phone: Phone, screenshot?: string): Promise<string> {
  const form = phoneSection(page).getByRole("form", { name: "Add a phone number" });
  const send = await ready(form.getByRole("button", { name: "Send code" }));
  await form.getByLabel("Country").selectOption({ label: "United States (+1)" });
  await form.getByLabel("Mobile number").fill(phone.national);
  // The preview shows the exact number that will be texted.
  await form.getByText(`We'll text a code to +1 ${phone.national}.`).waitFor();
  await form.getByLabel("Current password").fill(account.password);
  if (screenshot) await shot(page, screenshot);
  const started = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/account/phone" && response.request().method() === "POST");
  await send.click();
  const response = await started;
  expect(response.status(), "POST /api/account/phone").toBe(202);
  const { verificationId } = (await response.json()) as { verificationId: string };
  await waitForPath(page, "/profile/phone");
  await page.getByRole("heading", { level: 1, name: "Verify your phone number" }).waitFor();
  return verificationId;
}

/** On /profile/phone: the code from the inbox tab, then back on /profile with the number verified. */
async function verifyPhone(page: Page, inbox: Page, phone: Phone): Promise<string> {
  const input = await ready(codeInput(page));
  const code = await smsCode(inbox, phone.e164, "phone verification");
  await input.fill(code);
  await page.getByRole("main").getByRole("button", { name: "Verify", exact: true }).click();
  await waitForPath(page, "/profile");
  await page.getByText("Your phone number is verified. You can turn on two-factor sign-in below.").waitFor();
  const section = phoneSection(page);
  await section.getByText(maskedPhone(phone), { exact: true }).waitFor();
  await section.getByText("Verified", { exact: true }).waitFor();
  return code;
}

/** On /profile: "Turn on", the password, and the card says two-factor is on. */
async function enableTwoFactor(page: Page, account: Account, phone: Phone): Promise<void> {
  const section = twoFactorSection(page);
  await (await ready(section.getByRole("button", { name: "Turn on", exact: true }))).click();
  const confirm = section.getByRole("form", { name: "Turn on two-factor" });
  await confirm.getByText(maskedPhone(phone)).waitFor();
  await confirm.getByLabel("Current password").fill(account.password);
  await (await ready(confirm.getByRole("button", { name: "Turn on two-factor" }))).click();
  await section.getByRole("status").getByText(`Two-factor sign-in is on. From now on we'll text a code to ${maskedPhone(phone)} when you sign in.`).waitFor();
  // After the refresh the badge and the button follow.
  await page.getByRole("region", { name: "Two-factor sign-in is On" }).getByRole("button", { name: "Turn off", exact: true }).waitFor();
}

/** A verified account with a verified phone and two-factor on, signed in on `page` (on /profile). */
async function twoFactorAccount(page: Page, inbox: Page, label: string): Promise<{ account: Account; phone: Phone; secrets: string[] }> {
  const account = await createVerifiedAccount(page, label);
  const phone = newPhoneNumber();
  const verificationId = await addPhone(page, account, phone);
  const code = await verifyPhone(page, inbox, phone);
  await enableTwoFactor(page, account, phone);
  return { account, phone, secrets: [verificationId, code] };
}

/**
 * Signs out with the header button and signs in again with email and password; ends on /sign-in/verify with
 * the code field ready. Returns the challenge id and the binding secret from the challenge cookie.
 */
async function signOutAndIn(page: Page, account: Account): Promise<string[]> {
  if (pathOf(page) === "/profile") {
    await (await ready(headerSignOut(page))).click();
    await waitForPath(page, "/");
  }
  return startSignIn(page, account);
}

async function startSignIn(page: Page, account: Account): Promise<string[]> {
  await fillSignIn(page, account.email, account.password);
  await waitForPath(page, "/sign-in/verify");
  await ready(codeInput(page));
  // The challenge travels in an HttpOnly cookie, `challengeId.binding`, and nowhere else.
  const cookie = (await page.context().cookies()).find((candidate) => candidate.name.endsWith("twofold_challenge"));
  expect(cookie?.httpOnly, "challenge cookie").toBe(true);
  const parts = cookie!.value.split(".");
  expect(parts).toHaveLength(2);
  return parts;
}

async function enterCode(page: Page, code: string): Promise<void> {
  const input = await ready(codeInput(page));
  await input.fill(code);
  await page.getByRole("main").getByRole("button", { name: "Verify", exact: true }).click();
}

/** Five different codes, none of them `right`. */
function wrongCodes(right: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => String((Number(right) + (index + 1) * 111_111) % 1_000_000).padStart(6, "0"));
}

/** The whole text and HTML of the page (RSC payload included) hold the masked number, never the full one. */
async function expectOnlyMaskedNumber(page: Page, phone: Phone): Promise<void> {
  const full = new RegExp(`415\\D{0,3}555\\D{0,3}${phone.last4}`);
  await page.getByRole("main").getByText(maskedPhone(phone)).first().waitFor();
  expect(await page.evaluate(() => document.body.innerText)).not.toMatch(full);
  expect(await page.content()).not.toMatch(full);
}

/** The code field is the one a phone can fill from the SMS. */
async function expectOneTimeCodeInput(page: Page): Promise<void> {
  const input = codeInput(page);
  expect(await input.getAttribute("autocomplete")).toBe("one-time-code");
  expect(await input.getAttribute("inputmode")).toBe("numeric");
}

/** Right after a send the resend button is disabled and counts down from about a minute; it keeps ticking. */
async function expectResendCountdown(page: Page): Promise<void> {
  const button = resendButton(page);
  await button.filter({ hasText: /in [01]:\d\d$/ }).waitFor();
  expect(await button.isDisabled()).toBe(true);
  const first = (await button.innerText()).trim();
  const seconds = (text: string) => {
    const [, minutes, secs] = /in (\d):(\d\d)$/.exec(text) ?? [];
    return Number(minutes) * 60 + Number(secs);
  };
  expect(seconds(first)).toBeGreaterThanOrEqual(30);
  expect(seconds(first)).toBeLessThanOrEqual(60);
  // The countdown moves (useNow ticks every second) and the button stays disabled meanwhile.
  await page.waitForFunction(
    ([element, before]) => element instanceof HTMLButtonElement && element.textContent?.trim() !== before && /in \d:\d\d$/.test(element.textContent ?? ""),
    [await button.elementHandle(), first] as const,
  );
  expect(await button.isDisabled()).toBe(true);
}

/**
 * No recorded navigation (every tab of the context) or app request URL contains the number in any spelling,
 * a code or an id. `secrets` are codes, challenge and verification ids.
 */
function expectNoSecretsInUrls(recorded: { navigations: string[]; requests: string[] }, phone: Phone, secrets: string[], expectedPaths: string[]): void {
  const visited = recorded.navigations.map((url) => new URL(url).pathname);
  for (const path of expectedPaths) expect(visited, `navigated to ${path}`).toContain(path);
  const digitsOfNumber = `415555${phone.last4}`;
  for (const url of [...recorded.navigations, ...recorded.requests]) {
    const decoded = decodeURIComponent(url);
    expect(decoded.replace(/[\s\-().+]/g, ""), url).not.toContain(digitsOfNumber);
    for (const secret of secrets) expect(decoded, `${url} contains ${secret}`).not.toContain(secret);
  }
}

// ---------------------------------------------------------------------------------------------------------

describe("SMS two-factor", () => {
  it("adds and verifies a phone, turns two-factor on, then signs in with a texted code", async () => {
    const context = await browser.context();
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const inbox = await context.newPage();
    const account = await createVerifiedAccount(page, "twofactor");
    const phone = newPhoneNumber();

    // Profile: no number yet, and the switch is disabled until there is a verified one.
    const section = phoneSection(page);
    await section.getByText("No phone number yet.").waitFor();
    const switchOff = await ready(twoFactorSection(page).getByRole("button", { name: "Turn on", exact: true }));
    expect(await switchOff.isDisabled()).toBe(true);
    await twoFactorSection(page).getByText("Add a phone number above and enter the code we text it, then turn this on.").waitFor();

    const verificationId = await addPhone(page, account, phone, "two-factor-profile-add-phone");
    await expectOnlyMaskedNumber(page, phone);
    await expectOneTimeCodeInput(page);
    await expectResendCountdown(page);
    await shot(page, "two-factor-phone-verify");
    const phoneCode = await verifyPhone(page, inbox, phone);
    await shot(page, "two-factor-profile-phone-verified");

    await enableTwoFactor(page, account, phone);
    // The profile only ever shows the masked number.
    await expectOnlyMaskedNumber(page, phone);
    await shot(page, "two-factor-profile-on");

    const challenge = await signOutAndIn(page, account);
    await page.getByRole("heading", { level: 1, name: "Enter your sign-in code" }).waitFor();
    await page.getByRole("main").getByText(`We sent a 6-digit code to ${maskedPhone(phone)}. Enter it below.`).waitFor();
    await expectOnlyMaskedNumber(page, phone);
    await expectOneTimeCodeInput(page);
    await expectResendCountdown(page);
    await shot(page, "two-factor-sign-in-verify");

    const signInCode = await smsCode(inbox, phone.e164, "sign-in");
    expect(signInCode).not.toBe(phoneCode);
    await enterCode(page, signInCode);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    await headerSignOut(page).waitFor();
    await page.getByRole("region", { name: "Two-factor sign-in is On" }).waitFor();

    expectNoSecretsInUrls(recorded, phone, [verificationId, phoneCode, signInCode, ...challenge], ["/profile", "/profile/phone", "/sign-in", "/sign-in/verify", "/dev/inbox"]);
  });

  it("says how many attempts are left after a wrong code, and the resend button counts down after a send", async () => {
    const context = await browser.context();
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const inbox = await context.newPage();
    const account = await createVerifiedAccount(page, "twofactor-attempts");
    const phone = newPhoneNumber();

    // Phone verification: the same rules as the sign-in code.
    const verificationId = await addPhone(page, account, phone);
    await expectResendCountdown(page);
    const phoneCode = await smsCode(inbox, phone.e164, "phone verification");
    const [wrongPhoneCode] = wrongCodes(phoneCode, 1);
    await enterCode(page, wrongPhoneCode!);
    await page.getByRole("main").getByText("That code isn't right. 4 attempts left.").waitFor();
    expect(await codeInput(page).getAttribute("aria-invalid")).toBe("true");
    expect(await codeInput(page).inputValue()).toBe("");
    await shot(page, "two-factor-phone-verify-wrong-code");
    // A wrong code does not use up the right one.
    expect(await verifyPhone(page, inbox, phone)).toBe(phoneCode);
    await enableTwoFactor(page, account, phone);

    const challenge = await signOutAndIn(page, account);
    await expectResendCountdown(page);
    // No attempts note before the first wrong code.
    expect(await page.getByRole("main").getByText(/attempts? left/).count()).toBe(0);
    const signInCode = await smsCode(inbox, phone.e164, "sign-in");
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

    expectNoSecretsInUrls(recorded, phone, [verificationId, phoneCode, wrongPhoneCode!, signInCode, ...wrong, ...challenge], ["/profile/phone", "/sign-in/verify"]);
  });

  it("ends the sign-in after five wrong codes, leads back to sign-in, and the right code no longer works", async () => {
    const context = await browser.context();
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const inbox = await context.newPage();
    const { account, phone, secrets } = await twoFactorAccount(page, inbox, "twofactor-dead");

    const challenge = await signOutAndIn(page, account);
    const rightCode = await smsCode(inbox, phone.e164, "sign-in");
    const wrong = wrongCodes(rightCode, 5);
    for (const [index, code] of wrong.slice(0, 4).entries()) {
      await enterCode(page, code);
      const left = 4 - index;
      await page.getByRole("main").getByText(`That code isn't right. ${left} attempt${left === 1 ? "" : "s"} left.`).waitFor();
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
      .getByText("Your last sign-in ended before a code was accepted. Enter your email and password again and we'll text you a new code.")
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
    expect(await page.getByRole("main").getByText(/attempts? left/).count()).toBe(0);
    const newCode = await smsCode(inbox, phone.e164, "sign-in", 2);
    await enterCode(page, newCode);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    expectNoSecretsInUrls(recorded, phone, [...secrets, rightCode, newCode, ...wrong, ...challenge, ...second], ["/sign-in/verify", "/sign-in", "/profile"]);
  });

  it("fits a 375 px phone: the phone section, the code pages and the wrong-code state", async () => {
    const context = await browser.context(phoneSize);
    const recorded = recordUrls(context);
    const page = await context.newPage();
    const inbox = await context.newPage();
    const account = await createVerifiedAccount(page, "twofactor-narrow");
    const phone = newPhoneNumber();

    // The add-number form, with a country picker whose longest option is far wider than the screen.
    await ready(phoneSection(page).getByRole("button", { name: "Send code" }));
    await phoneSection(page).scrollIntoViewIfNeeded();
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-profile-add-phone-375");

    const verificationId = await addPhone(page, account, phone);
    await ready(codeInput(page));
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-phone-verify-375");

    const phoneCode = await verifyPhone(page, inbox, phone);
    await enableTwoFactor(page, account, phone);
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-profile-on-375");

    const challenge = await signOutAndIn(page, account);
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-sign-in-verify-375");

    const code = await smsCode(inbox, phone.e164, "sign-in");
    const [wrong] = wrongCodes(code, 1);
    await enterCode(page, wrong!);
    await page.getByRole("main").getByText("That code isn't right. 4 attempts left.").waitFor();
    await expectNoHorizontalScroll(page, 375);
    await shot(page, "two-factor-sign-in-verify-wrong-code-375");

    await enterCode(page, code);
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    expectNoSecretsInUrls(recorded, phone, [verificationId, phoneCode, code, wrong!, ...challenge], ["/profile/phone", "/sign-in/verify"]);
  });
});
