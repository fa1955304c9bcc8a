// The steps of the SMS two-factor browser tests (two-factor.test.ts, two-factor-codes.test.ts), shared so that
// the two files can run side by side.
import type { Page } from "playwright-core";
import { expect } from "vitest";
import {
  createVerifiedAccount,
  fillSignIn,
  fullPhone,
  headerSignOut,
  maskedPhone,
  newPhoneNumber,
  pathOf,
  ready,
  recoveryCodesPanel,
  saveRecoveryCodes,
  shot,
  smsCode,
  waitForPath,
  type Account,
} from "./support";

export const phoneSize = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true };

export type Phone = ReturnType<typeof newPhoneNumber>;

// ---------------------------------------------------------------------------------------------------------
// Steps

/** The account's security page (password, phone, second factors), where these steps happen. */
export async function openSecurity(page: Page): Promise<void> {
  await page.goto("/profile/security");
  await page.getByRole("heading", { level: 1, name: "Security" }).waitFor();
}

export function phoneSection(page: Page) {
  return page.getByRole("region", { name: "Phone number", exact: true });
}

export function twoFactorSection(page: Page) {
  return page.getByRole("region", { name: /^Two-factor sign-in/ });
}

export function codeInput(page: Page) {
  return page.getByRole("main").getByLabel("Verification code");
}

export function resendButton(page: Page) {
  return page.getByRole("main").getByRole("button", { name: /^Send a new code/ });
}

/**
 * On /profile/security: picks the country, types the national number and the password, sends the code; ends on
 * /profile/phone. Returns the verification id the API answered with (to check it never reaches a URL).
 */
export async function addPhone(page: Page, account: Account, phone: Phone, screenshot?: string): Promise<string> {
  const form = phoneSection(page).getByRole("form", { name: "Add a phone number" });
  const send = await ready(form.getByRole("button", { name: "Send code" }));
  await form.getByLabel("Country").selectOption({ label: "United States (+1)" });
  await form.getByLabel("Mobile number").fill(phone.national);
  // The preview shows the exact number that will be texted.
  await form.getByText(`We'll text a code to +1 ${phone.national}.`).waitFor();
  await form.getByLabel("Current password").fill(account.password);
  if (screenshot) await shot(page, screenshot);
  const started = page.waitForResponse(
    (response) => new URL(response.url()).pathname === "/api/account/phone" && response.request().method() === "POST",
  );
  await send.click();
  const response = await started;
  expect(response.status(), "POST /api/account/phone").toBe(202);
  const { verificationId } = (await response.json()) as { verificationId: string };
  await waitForPath(page, "/profile/phone");
  await page.getByRole("heading", { level: 1, name: "Verify your phone number" }).waitFor();
  return verificationId;
}

/** On /profile/phone: the texted code (from the dev outbox), then back on /profile/security with the number verified. */
export async function verifyPhone(page: Page, phone: Phone): Promise<string> {
  const input = await ready(codeInput(page));
  const code = await smsCode(page, phone.e164, "phone verification");
  await input.fill(code);
  await page.getByRole("main").getByRole("button", { name: "Verify", exact: true }).click();
  await waitForPath(page, "/profile/security");
  await page.getByText("Your phone number is verified. You can turn on two-factor sign-in below.").waitFor();
  const section = phoneSection(page);
  // The owner's own page shows the number in full, so a typo can be spotted.
  await section.getByText(fullPhone(phone), { exact: true }).waitFor();
  await section.getByText("Verified", { exact: true }).waitFor();
  return code;
}

/** On /profile/security: "Turn on", the password, and the card says two-factor is on. */
export async function enableTwoFactor(page: Page, account: Account, phone: Phone): Promise<void> {
  const section = twoFactorSection(page);
  await (await ready(section.getByRole("button", { name: "Turn on", exact: true }))).click();
  const confirm = section.getByRole("form", { name: "Turn on two-factor" });
  await confirm.getByText(fullPhone(phone)).waitFor();
  await confirm.getByLabel("Current password").fill(account.password);
  await (await ready(confirm.getByRole("button", { name: "Turn on two-factor" }))).click();
  await section
    .getByRole("status")
    .getByText(`Two-factor sign-in is on. From now on we'll text a code to ${fullPhone(phone)} when you sign in.`)
    .waitFor();
  // The first second factor brings the recovery codes, with a word for the stronger factors; the card moves on
  // once they are saved.
  await recoveryCodesPanel(page).getByText("also add an authenticator app or a passkey", { exact: false }).waitFor();
  await saveRecoveryCodes(page);
  // After the refresh the badge and the button follow.
  await page
    .getByRole("region", { name: "Two-factor sign-in is On" })
    .getByRole("button", { name: "Turn off", exact: true })
    .waitFor();
}

/** A verified account with a verified phone and two-factor on, signed in on `page` (on /profile/security). */
export async function twoFactorAccount(
  page: Page,
  label: string,
): Promise<{ account: Account; phone: Phone; secrets: string[] }> {
  const account = await createVerifiedAccount(page, label);
  await openSecurity(page);
  const phone = newPhoneNumber();
  const verificationId = await addPhone(page, account, phone);
  const code = await verifyPhone(page, phone);
  await enableTwoFactor(page, account, phone);
  return { account, phone, secrets: [verificationId, code] };
}

/**
 * Signs out with the header button and signs in again with email and password; ends on /sign-in/verify with
 * the code field ready. Returns the challenge id and the binding secret from the challenge cookie.
 */
export async function signOutAndIn(page: Page, account: Account): Promise<string[]> {
  if (pathOf(page).startsWith("/profile")) {
    await (await ready(headerSignOut(page))).click();
    await waitForPath(page, "/");
  }
  return startSignIn(page, account);
}

export async function startSignIn(page: Page, account: Account): Promise<string[]> {
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

export async function enterCode(page: Page, code: string): Promise<void> {
  const input = await ready(codeInput(page));
  await input.fill(code);
  await page.getByRole("main").getByRole("button", { name: "Verify", exact: true }).click();
}

/** Five different codes, none of them `right`. */
export function wrongCodes(right: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) =>
    String((Number(right) + (index + 1) * 111_111) % 1_000_000).padStart(6, "0"),
  );
}

/** The whole text and HTML of the page (RSC payload included) hold the masked number, never the full one. */
export async function expectOnlyMaskedNumber(page: Page, phone: Phone): Promise<void> {
  const full = new RegExp(`415\\D{0,3}555\\D{0,3}${phone.last4}`);
  await page.getByRole("main").getByText(maskedPhone(phone)).first().waitFor();
  expect(await page.evaluate(() => document.body.innerText)).not.toMatch(full);
  expect(await page.content()).not.toMatch(full);
}

/** The code field is the one a phone can fill from the SMS. */
export async function expectOneTimeCodeInput(page: Page): Promise<void> {
  const input = codeInput(page);
  expect(await input.getAttribute("autocomplete")).toBe("one-time-code");
  expect(await input.getAttribute("inputmode")).toBe("numeric");
}

/** Right after a send the resend button is disabled and counts down from about a minute; it keeps ticking. */
export async function expectResendCountdown(page: Page): Promise<void> {
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
    ([element, before]) =>
      element instanceof HTMLButtonElement &&
      element.textContent?.trim() !== before &&
      /in \d:\d\d$/.test(element.textContent ?? ""),
    [await button.elementHandle(), first] as const,
  );
  expect(await button.isDisabled()).toBe(true);
}

/**
 * No recorded navigation (every tab of the context) or app request URL contains the number in any spelling,
 * a code or an id. `secrets` are codes, challenge and verification ids.
 */
export function expectNoSecretsInUrls(
  recorded: { navigations: string[]; requests: string[] },
  phone: Phone,
  secrets: string[],
  expectedPaths: string[],
): void {
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
