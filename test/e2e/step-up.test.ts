// Step-up: while SMS two-factor is on, a security change from a session that has not passed a second factor in
// the last 10 minutes answers 403 second_factor_required. The profile then shows a code prompt inline, texts the
// code at once, and after the right code makes the change it was asked for, without the password being typed
// again. The lapsed session is a real one: a second browser signed in with the password before two-factor was
// turned on, and kept (the "Sign out all other sessions" box unticked). The other way round, the default signs
// that browser out. Codes are read from the dev outbox through the API; each test texts its own number.
import type { BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  expectNoHorizontalScroll,
  fillSignIn,
  ipOf,
  maskedPhone,
  newPhoneNumber,
  pageAlert,
  pathOf,
  ready,
  saveRecoveryCodes,
  shot,
  signIn,
  smsCode,
  useBrowser,
  type Account,
} from "./support";
import { addPhone, verifyPhone } from "./two-factor-steps";

const browser = useBrowser();
const phoneSize = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

type Phone = ReturnType<typeof newPhoneNumber>;

function section(page: Page, name: string | RegExp) {
  return page.getByRole("region", { name, exact: typeof name === "string" });
}

const twoFactorSection = (page: Page) => section(page, /^Two-factor sign-in/);
const stepUpPrompt = (page: Page) => page.getByRole("main").getByRole("form", { name: "Confirm it's you" });

function sessionRows(page: Page) {
  return section(page, "Where you're signed in")
    .getByRole("row")
    .filter({ has: page.getByRole("cell") });
}

/** On /profile/security of `page`: adds `phone` and enters the texted code; this session is credited with the factor. */
async function addAndVerifyPhone(page: Page, account: Account, phone: Phone): Promise<void> {
  await addPhone(page, account, phone);
  await verifyPhone(page, phone);
}

/** "Turn on", the password, and the "Sign out all other sessions" box (ticked by default) as asked. */
async function enableTwoFactor(
  page: Page,
  account: Account,
  options: { signOutOthers: boolean; screenshot?: string },
): Promise<void> {
  const card = twoFactorSection(page);
  await (await ready(card.getByRole("button", { name: "Turn on", exact: true }))).click();
  const confirm = card.getByRole("form", { name: "Turn on two-factor" });
  const box = await ready(confirm.getByRole("checkbox", { name: "Sign out all other sessions" }));
  expect(await box.isChecked(), "ticked by default").toBe(true);
  if (!options.signOutOthers) await box.uncheck();
  await confirm.getByLabel("Current password").fill(account.password);
  if (options.screenshot) await shot(page, options.screenshot);
  await confirm.getByRole("button", { name: "Turn on two-factor" }).click();
  await card
    .getByRole("status")
    .getByText(/^Two-factor sign-in is on\./)
    .waitFor();
  await saveRecoveryCodes(page);
  await page
    .getByRole("region", { name: "Two-factor sign-in is On" })
    .getByRole("button", { name: "Turn off", exact: true })
    .waitFor();
}

/**
 * An account with a verified phone and two-factor on (enabled in `owner`), plus `lapsed`: a browser that signed
 * in with the password alone before two-factor was on and was kept, so it never passed the second factor.
 */
async function twoFactorWithLapsedSession(label: string, lapsedOptions = {}) {
  const ownerContext = await browser.context();
  const owner = await ownerContext.newPage();
  const account = await createVerifiedAccount(owner, label);
  const lapsedContext = await browser.context(lapsedOptions);
  const lapsed = await lapsedContext.newPage();
  await signIn(lapsed, account.email, account.password);

  await owner.goto("/profile/security");
  const phone = newPhoneNumber();
  await addAndVerifyPhone(owner, account, phone);
  await enableTwoFactor(owner, account, { signOutOthers: false });
  // Kept: the other browser is still signed in, and its session never passed a second factor.
  await lapsed.goto("/profile/security");
  await lapsed.getByRole("region", { name: "Two-factor sign-in is On" }).waitFor();
  expect((await sessionOf(lapsedContext)).secondFactorAt).toBeNull();
  return { account, phone, owner, lapsed, lapsedContext };
}

async function sessionOf(context: BrowserContext): Promise<{ id: string; secondFactorAt: string | null }> {
  const response = await context.request.get("/api/auth/session", { headers: { "x-forwarded-for": ipOf(context) } });
  expect(response.status(), "GET /api/auth/session").toBe(200);
  const { session } = (await response.json()) as { session: { id: string; secondFactorAt: string | null } };
  await response.dispose();
  return session;
}

/** The prompt appeared with the code field focused, says where the code went, and its send countdown runs. */
async function expectPrompt(p: Page, phone: Phone, fieldId: string): Promise<void> {
  const prompt = stepUpPrompt(p);
  await prompt.getByText(maskedPhone(phone)).waitFor();
  const input = prompt.getByLabel("Verification code");
  expect(await input.getAttribute("autocomplete")).toBe("one-time-code");
  await p.waitForFunction((id) => document.activeElement?.id === id, fieldId);
  await prompt.getByRole("button", { name: /^Send a new code in [01]:\d\d$/ }).waitFor();
}

/** A code that is not `right`. */
function wrongCode(right: string): string {
  return String((Number(right) + 111_111) % 1_000_000).padStart(6, "0");
}

describe("step-up", () => {
  it("changes the password from a session that never passed the code: inline code prompt, then the change without retyping", async () => {
    const { account, phone, owner, lapsed, lapsedContext } = await twoFactorWithLapsedSession(
      "stepup-password",
      phoneSize,
    );
    const newPassword = `${account.password} renewed`;
    const before = await sessionOf(lapsedContext);

    const card = section(lapsed, "Password");
    const change = await ready(card.getByRole("button", { name: "Change password" }));
    await card.getByLabel("Current password").fill(account.password);
    await card.getByLabel("New password").fill(newPassword);
    await change.click();

    // The API said second_factor_required: the prompt appears under the form and the code is texted at once.
    await expectPrompt(lapsed, phone, "password-step-up-code");
    await stepUpPrompt(lapsed).getByText("To change your password, enter the 6-digit code").waitFor();
    // The change waits for the code; its button is unavailable meanwhile, and nothing was changed yet.
    expect(await change.isDisabled()).toBe(true);
    await stepUpPrompt(lapsed).scrollIntoViewIfNeeded();
    await expectNoHorizontalScroll(lapsed, 390);
    await shot(lapsed, "step-up-password-prompt-390");

    const code = await smsCode(owner, phone.e164, "step-up");
    const input = stepUpPrompt(lapsed).getByLabel("Verification code");
    await input.fill(wrongCode(code));
    await stepUpPrompt(lapsed).getByRole("button", { name: "Confirm", exact: true }).click();
    await stepUpPrompt(lapsed).getByText("That code isn't right. 4 attempts left.").waitFor();
    expect(await input.inputValue()).toBe("");
    await expectNoHorizontalScroll(lapsed, 390);
    await shot(lapsed, "step-up-password-wrong-code-390");

    // The right code: the password change goes through with what was typed before; nothing is asked again.
    await input.fill(code);
    await stepUpPrompt(lapsed).getByRole("button", { name: "Confirm", exact: true }).click();
    await card.getByRole("status").getByText("Password changed. Your other sessions were signed out.").waitFor();
    await stepUpPrompt(lapsed).waitFor({ state: "detached" });
    expect(await card.getByLabel("Current password").inputValue()).toBe("");

    // The answer rotated this browser's session: a new id, still credited with the code just entered.
    const after = await sessionOf(lapsedContext);
    expect(after.id).not.toBe(before.id);
    expect(after.secondFactorAt).not.toBeNull();
    await lapsed.getByRole("main").getByText("Confirmed a change with a second factor").first().waitFor();
    await shot(lapsed, "step-up-password-done-390");
    // The browser keeps working on the new cookie: the sessions page shows this device alone, marked as such.
    await lapsed.goto("/profile/sessions");
    await sessionRows(lapsed).filter({ hasText: "This device" }).waitFor();
    expect(await sessionRows(lapsed).count()).toBe(1);
    await lapsed.goto("/profile/security");

    // The browser that turned two-factor on was signed out by the password change.
    await owner.reload();
    expect(pathOf(owner)).toBe("/sign-in");

    // Within the 10 minutes, the next security change needs no new code: two-factor off, straight away.
    const twoFactor = twoFactorSection(lapsed);
    await (await ready(twoFactor.getByRole("button", { name: "Turn off", exact: true }))).click();
    const confirm = twoFactor.getByRole("form", { name: "Turn off two-factor" });
    await confirm.getByLabel("Current password").fill(newPassword);
    await confirm.getByRole("button", { name: "Turn off two-factor" }).click();
    await twoFactor
      .getByRole("status")
      .getByText("Two-factor sign-in is off. Your password alone now signs you in.")
      .waitFor();
    expect(await stepUpPrompt(lapsed).count()).toBe(0);

    // And the new password is the one that signs in.
    await fillSignIn(owner, account.email, account.password);
    await pageAlert(owner).getByText("The email or password is incorrect.").waitFor();
    await signIn(owner, account.email, newPassword);
  });

  it("turns two-factor off from a session that never passed the code, after the inline prompt, without retyping the password", async () => {
    const { account, phone, owner, lapsed } = await twoFactorWithLapsedSession("stepup-off");

    const card = twoFactorSection(lapsed);
    await (await ready(card.getByRole("button", { name: "Turn off", exact: true }))).click();
    const confirm = card.getByRole("form", { name: "Turn off two-factor" });
    await confirm.getByLabel("Current password").fill(account.password);
    await confirm.getByRole("button", { name: "Turn off two-factor" }).click();

    await expectPrompt(lapsed, phone, "two-factor-step-up-code");
    await stepUpPrompt(lapsed).getByText("To turn two-factor sign-in off, enter the 6-digit code").waitFor();
    expect(await confirm.getByRole("button", { name: "Turn off two-factor" }).isDisabled()).toBe(true);
    await twoFactorSection(lapsed).scrollIntoViewIfNeeded();
    await shot(lapsed, "step-up-two-factor-off-prompt");

    // Cancel leaves everything as it was; asking again reuses the code already texted (60 s cooldown).
    await stepUpPrompt(lapsed).getByRole("button", { name: "Cancel", exact: true }).click();
    await stepUpPrompt(lapsed).waitFor({ state: "detached" });
    await ready(confirm.getByRole("button", { name: "Turn off two-factor" }));
    await confirm.getByRole("button", { name: "Turn off two-factor" }).click();
    await expectPrompt(lapsed, phone, "two-factor-step-up-code");

    const input = stepUpPrompt(lapsed).getByLabel("Verification code");
    await input.fill(await smsCode(owner, phone.e164, "step-up"));
    await stepUpPrompt(lapsed).getByRole("button", { name: "Confirm", exact: true }).click();
    await card
      .getByRole("status")
      .getByText("Two-factor sign-in is off. Your password alone now signs you in.")
      .waitFor();
    await lapsed.getByRole("region", { name: "Two-factor sign-in is Off" }).waitFor();
    await shot(lapsed, "step-up-two-factor-off-done");

    // Only one text went out for the step-up: the second prompt reused it (counted on the inbox page, a tab opened
    // now: a tab behind another gets no animation frames, and every action on it waits for one).
    const inbox = await owner.context().newPage();
    await inbox.goto("/dev/inbox");
    const texts = inbox
      .getByRole("list", { name: "Messages" })
      .getByRole("listitem")
      .filter({ hasText: `To ${phone.e164}` })
      .filter({ hasText: "is your code to confirm a change to your security settings" });
    await texts.first().waitFor();
    expect(await texts.count()).toBe(1);
  });

  it("turning two-factor on with the default signs the other browser out", async () => {
    const ownerContext = await browser.context();
    const owner = await ownerContext.newPage();
    const account = await createVerifiedAccount(owner, "stepup-default");
    const other = await browser.page();
    await signIn(other, account.email, account.password);

    const phone = newPhoneNumber();
    await owner.goto("/profile/security");
    await addAndVerifyPhone(owner, account, phone);
    await owner.setViewportSize({ width: 390, height: 844 });
    await twoFactorSection(owner).scrollIntoViewIfNeeded();
    await enableTwoFactor(owner, account, { signOutOthers: true, screenshot: "step-up-enable-sign-out-others-390" });
    await twoFactorSection(owner).getByRole("status").getByText("Your other sessions were signed out.").waitFor();
    await expectNoHorizontalScroll(owner, 390);
    await owner.setViewportSize({ width: 1280, height: 800 });

    await other.reload();
    expect(pathOf(other)).toBe("/sign-in");
    await owner.goto("/profile/sessions");
    await sessionRows(owner).first().waitFor();
    expect(await sessionRows(owner).count()).toBe(1);
  });
});
