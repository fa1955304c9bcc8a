// The security page (issue 11): the section tabs, the authenticator app (QR code, typed key, one code to turn it
// on), the recovery codes shown once behind "I saved these codes", new codes, trusted browsers, and passkeys made
// by Chromium's virtual authenticator. Codes are computed here from the key the page shows, as an app would.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  expectNoHorizontalScroll,
  ipOf,
  ready,
  recoveryCodesPanel,
  saveRecoveryCodes,
  shot,
  useBrowser,
  type Account,
} from "./support";
import { apiJson, authenticatorApp } from "./second-factor-steps";

const browser = useBrowser();
const phoneWidth = { width: 390, height: 844 };
const desktopWidth = { width: 1280, height: 800 };

function region(page: Page, name: string | RegExp) {
  return page.getByRole("region", { name, exact: typeof name === "string" });
}

/** What POST /api/auth/sign-in answers, as far as these tests read it. */
type SignInAnswer = { twoFactorRequired?: boolean; challenge?: { id: string; methods: string[] } };

const authenticatorCard = (page: Page) => region(page, /^Authenticator app/);
const recoveryCard = (page: Page) => region(page, /^Recovery codes/);
const passkeysCard = (page: Page) => region(page, /^Passkeys/);
const trustedCard = (page: Page) => region(page, "Trusted browsers");

async function openSecurity(page: Page): Promise<void> {
  await page.goto("/profile/security");
  await page.getByRole("heading", { level: 1, name: "Security" }).waitFor();
}

/**
 * Sets up the authenticator app on /profile/security: the key from the page, a code, and the recovery codes
 * saved. Codes come from `authenticatorApp`, which gives each step once and never one the server's clock may have
 * left behind by the time it checks (the previous step's code, computed before a round trip, failed in CI when a
 * 30-second boundary fell in between).
 */
async function enableTotp(page: Page, account: Account, screenshots?: string) {
  const card = authenticatorCard(page);
  await (await ready(card.getByRole("button", { name: "Set up", exact: true }))).click();
  const confirm = card.getByRole("form", { name: "Continue" });
  await confirm.getByLabel("Current password").fill(account.password);
  await confirm.getByRole("button", { name: "Continue" }).click();

  const qr = card.getByRole("img", { name: "QR code for your authenticator app" });
  await qr.waitFor();
  expect(await qr.locator("path").getAttribute("d")).toMatch(/^M\d/);
  const shownKey = await card.locator("#totp-secret").innerText();
  expect(shownKey, "the key in groups of four").toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  const app = authenticatorApp(shownKey.replace(/\s/g, ""));
  const field = card.getByLabel("Code from the app");
  expect(await field.getAttribute("autocomplete")).toBe("one-time-code");
  expect(await field.getAttribute("inputmode")).toBe("numeric");
  if (screenshots) {
    await shot(page, `${screenshots}-setup`);
    await page.setViewportSize(phoneWidth);
    await card.scrollIntoViewIfNeeded();
    await expectNoHorizontalScroll(page, phoneWidth.width);
    await shot(page, `${screenshots}-setup-390`);
    await page.setViewportSize(desktopWidth);
  }

  // A wrong code is an error on the field; the set-up stays open.
  await field.fill(app.wrongCode());
  await card.getByRole("button", { name: "Turn on", exact: true }).click();
  // One field error: said at the field (which it describes), with no summary box (app/components/FormError.tsx).
  await card.locator(".field-error").waitFor();
  expect(await field.getAttribute("aria-invalid")).toBe("true");

  await field.fill(await app.code());
  await card.getByRole("button", { name: "Turn on", exact: true }).click();
  await recoveryCodesPanel(page).waitFor();
  return { app, card };
}

describe("security page", () => {
  it("is one of three account pages, reached by tabs that say which one is open, at desktop and 390 px", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "sections");
    const tabs = page.getByRole("navigation", { name: "Account" });
    expect(await tabs.getByRole("link", { name: "Profile" }).getAttribute("aria-current")).toBe("page");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();

    await (await ready(tabs.getByRole("link", { name: "Security" }))).click();
    await page.getByRole("heading", { level: 1, name: "Security" }).waitFor();
    expect(await tabs.getByRole("link", { name: "Security" }).getAttribute("aria-current")).toBe("page");
    expect(await tabs.getByRole("link", { name: "Profile" }).getAttribute("aria-current")).toBeNull();
    for (const name of ["Password", "Phone number", "Recent security activity"]) await region(page, name).waitFor();
    await region(page, "Two-factor sign-in is Off").waitFor();
    await region(page, "Authenticator app is Off").waitFor();
    await region(page, "Text message is Off").waitFor();
    await passkeysCard(page).waitFor();
    // Nothing to recover with and nothing to trust while two-factor is off.
    expect(await recoveryCard(page).count()).toBe(0);
    expect(await trustedCard(page).count()).toBe(0);
    await shot(page, "security");
    await page.setViewportSize(phoneWidth);
    await expectNoHorizontalScroll(page, phoneWidth.width);
    await shot(page, "security-390");

    await tabs.getByRole("link", { name: "Sessions" }).click();
    await region(page, "Where you're signed in").getByText("This device").waitFor();
    expect(await tabs.getByRole("link", { name: "Sessions" }).getAttribute("aria-current")).toBe("page");
    await expectNoHorizontalScroll(page, phoneWidth.width);
    await shot(page, "sessions-390");
  });

  it("sets up an authenticator app; the recovery codes are shown once and the page waits until they are saved", async () => {
    const page = await browser.page({ permissions: ["clipboard-read", "clipboard-write"] });
    const account = await createVerifiedAccount(page, "totp");
    await openSecurity(page);
    const { card } = await enableTotp(page, account, "security-totp");

    const panel = recoveryCodesPanel(page);
    const codes = (await panel.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allInnerTexts()).map(
      (code) => code.trim(),
    );
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);
    await panel.scrollIntoViewIfNeeded();
    await shot(page, "security-recovery-codes");

    // Download: a text file with every code.
    const downloading = page.waitForEvent("download");
    await panel.getByRole("button", { name: "Download .txt" }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe("twofold-recovery-codes.txt");
    const file = readFileSync(await download.path(), "utf8");
    for (const code of codes) expect(file).toContain(code);
    expect(file).toContain(account.email);

    // Copy all: one code a line.
    await panel.getByRole("button", { name: "Copy all" }).click();
    await panel.getByRole("status").getByText("Copied all 10 codes.").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join("\n"));

    // Done without the box: the panel stays, says why, and puts focus on the box.
    await panel.getByRole("button", { name: "Done", exact: true }).click();
    await panel.getByRole("alert").getByText("Save the codes first, then tick this box.").waitFor();
    const box = panel.getByRole("checkbox", { name: "I saved these codes" });
    expect(await box.evaluate((element) => element === document.activeElement)).toBe(true);
    await page.setViewportSize(phoneWidth);
    await panel.scrollIntoViewIfNeeded();
    await expectNoHorizontalScroll(page, phoneWidth.width);
    await shot(page, "security-recovery-codes-390");
    await page.setViewportSize(desktopWidth);

    expect(await saveRecoveryCodes(page)).toEqual(codes);
    await region(page, "Authenticator app is On").waitFor();
    await card.getByRole("status").getByText("Authenticator app is on.", { exact: false }).waitFor();
    await region(page, "Two-factor sign-in is On").waitFor();
    await recoveryCard(page).getByText("10 left").waitFor();
    await shot(page, "security-totp-on");

    // Shown once: a reload has them nowhere.
    await page.reload();
    await region(page, "Authenticator app is On").waitFor();
    expect(await page.content()).not.toContain(codes[0]);
    await page.setViewportSize(phoneWidth);
    await expectNoHorizontalScroll(page, phoneWidth.width);
    await shot(page, "security-totp-on-390");
    await page.setViewportSize(desktopWidth);

    // Removing it (the only factor) turns two-factor off.
    await (await ready(authenticatorCard(page).getByRole("button", { name: "Remove", exact: true }))).click();
    const remove = authenticatorCard(page).getByRole("form", { name: "Remove authenticator app" });
    await remove.getByText("This is your only second factor").waitFor();
    await remove.getByLabel("Current password").fill(account.password);
    await remove.getByRole("button", { name: "Remove authenticator app" }).click();
    await region(page, "Authenticator app is Off").waitFor();
    await region(page, "Two-factor sign-in is Off").waitFor();
  });

  it("warns when few recovery codes are left and makes new ones; the old ones stop working", async () => {
    const context = await browser.context();
    const page = await context.newPage();
    const account = await createVerifiedAccount(page, "recovery");
    await openSecurity(page);
    await enableTotp(page, account);
    const first = await saveRecoveryCodes(page);

    // Seven codes spent (each one confirms a change, as a step-up would): three left, and the card says so.
    for (const code of first.slice(0, 7)) {
      const { status } = await apiJson(context, "POST", "/api/account/step-up", { method: "recovery_code", code });
      expect(status, `step-up with ${code}`).toBe(204);
    }
    await page.reload();
    await recoveryCard(page).getByText("3 left").waitFor();
    await recoveryCard(page).getByText("Only 3 recovery codes left. Generate new ones before you run out.").waitFor();
    await recoveryCard(page).scrollIntoViewIfNeeded();
    await shot(page, "security-recovery-codes-low");

    await (await ready(recoveryCard(page).getByRole("button", { name: "Generate new codes" }))).click();
    const confirm = recoveryCard(page).getByRole("form", { name: "Generate new codes" });
    await confirm.getByText("Your current codes stop working").waitFor();
    await confirm.getByLabel("Current password").fill(account.password);
    await confirm.getByRole("button", { name: "Generate new codes" }).click();
    await recoveryCodesPanel(page).getByText("Your old codes no longer work.").waitFor();
    const second = await saveRecoveryCodes(page);
    expect(second.filter((code) => first.includes(code))).toEqual([]);
    await recoveryCard(page).getByText("10 left").waitFor();
    expect(
      await recoveryCard(page)
        .getByText(/recovery codes? left\./)
        .count(),
    ).toBe(0);

    // An old, unused code is refused; a new one works.
    expect(
      (await apiJson(context, "POST", "/api/account/step-up", { method: "recovery_code", code: first[9] })).status,
    ).toBe(400);
    expect(
      (await apiJson(context, "POST", "/api/account/step-up", { method: "recovery_code", code: second[0] })).status,
    ).toBe(204);
  });

  it("lists a trusted browser and revokes it; that browser is asked for the second step again", async () => {
    const owner = await browser.page();
    const account = await createVerifiedAccount(owner, "trusted");
    await openSecurity(owner);
    const { app } = await enableTotp(owner, account);
    await saveRecoveryCodes(owner);
    await trustedCard(owner).getByText("None.", { exact: false }).waitFor();

    // Another browser signs in with a code from the app and ticks "Don't ask again on this browser" (through the API: the
    // sign-in page has its own tests).
    const laptop = await browser.context();
    const signIn = await apiJson<SignInAnswer | null>(laptop, "POST", "/api/auth/sign-in", {
      email: account.email,
      password: account.password,
    });
    expect(signIn.status).toBe(200);
    expect(signIn.body?.twoFactorRequired).toBe(true);
    const challenge = signIn.body?.challenge as { id: string; methods: string[] };
    expect(challenge.methods).toContain("totp");
    const verify = await apiJson(laptop, "POST", "/api/auth/two-factor/verify", {
      challengeId: challenge.id,
      method: "totp",
      code: await app.code(),
      trustDevice: true,
    });
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);

    const laptopPage = await laptop.newPage();
    await openSecurity(laptopPage);
    const row = trustedCard(laptopPage).getByRole("listitem");
    await row.getByText("This browser").waitFor();
    expect(await row.innerText()).toContain(ipOf(laptop));
    await trustedCard(laptopPage).scrollIntoViewIfNeeded();
    await shot(laptopPage, "security-trusted-browsers");

    await owner.reload();
    const ownerRow = trustedCard(owner).getByRole("listitem");
    await ownerRow.waitFor();
    expect(await ownerRow.getByText("This browser").count()).toBe(0);
    await (await ready(ownerRow.getByRole("button", { name: /^Revoke / }))).click();
    await trustedCard(owner)
      .getByRole("status")
      .getByText(/will ask for a second step at its next sign-in\.$/)
      .waitFor();
    await ownerRow.waitFor({ state: "detached" });

    // The laptop signs out and in again: its trust is gone, so the second step is asked for.
    expect((await apiJson(laptop, "POST", "/api/auth/sign-out")).status).toBe(204);
    const again = await apiJson<SignInAnswer | null>(laptop, "POST", "/api/auth/sign-in", {
      email: account.email,
      password: account.password,
    });
    expect(again.body?.twoFactorRequired).toBe(true);
  });

  it("offers no passkey button in a browser without WebAuthn, and says why", async () => {
    const context = await browser.context();
    await context.addInitScript(() => {
      // Gone, as in a browser that never had it (undefined would still count as present to `in` checks).
      delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential;
    });
    const page = await context.newPage();
    await createVerifiedAccount(page, "nowebauthn");
    await openSecurity(page);
    await passkeysCard(page).getByText("This browser can't create passkeys.", { exact: false }).waitFor();
    expect(await passkeysCard(page).getByRole("button", { name: "Add a passkey" }).count()).toBe(0);
  });

  it("adds a passkey with the device's authenticator, renames it in place and deletes it", async () => {
    const page = await browser.page();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    const account = await createVerifiedAccount(page, "passkey");
    await openSecurity(page);

    const card = passkeysCard(page);
    await (await ready(card.getByRole("button", { name: "Add a passkey" }))).click();
    const confirm = card.getByRole("form", { name: "Continue" });
    await confirm.getByLabel("Name (optional)").fill("Test laptop");
    await confirm.getByLabel("Current password").fill(account.password);
    await shot(page, "security-passkey-add");
    await confirm.getByRole("button", { name: "Continue" }).click();

    // The first second factor: recovery codes, then the list.
    await recoveryCodesPanel(page).getByText("If you ever lose this passkey").waitFor();
    await saveRecoveryCodes(page);
    await card.getByRole("status").getByText("Passkey “Test laptop” added.", { exact: false }).waitFor();
    const item = card.getByRole("listitem").filter({ hasText: "Test laptop" });
    await item.getByText("Not used yet").waitFor();
    const session = await page.request.get("/api/auth/session", {
      headers: { "x-forwarded-for": ipOf(page.context()) },
    });
    expect(((await session.json()) as { user: { twoFactor: unknown } }).user.twoFactor).toMatchObject({ passkeys: 1 });
    await region(page, "Two-factor sign-in is On").waitFor();
    await shot(page, "security-passkey-added");
    await page.setViewportSize(phoneWidth);
    await card.scrollIntoViewIfNeeded();
    await expectNoHorizontalScroll(page, phoneWidth.width);
    await shot(page, "security-passkey-added-390");
    await page.setViewportSize(desktopWidth);

    await (await ready(item.getByRole("button", { name: "Rename Test laptop" }))).click();
    const rename = card.getByRole("form", { name: "Rename Test laptop" });
    await rename.getByLabel("Passkey name").fill("Work laptop");
    await rename.getByRole("button", { name: "Save" }).click();
    await card.getByRole("status").getByText("Passkey renamed to “Work laptop”.").waitFor();
    const renamed = card.getByRole("listitem").filter({ hasText: "Work laptop" });
    await renamed.waitFor();

    await (await ready(renamed.getByRole("button", { name: "Delete Work laptop" }))).click();
    const remove = renamed.getByRole("form", { name: "Delete passkey" });
    await remove.getByLabel("Current password").fill(account.password);
    await remove.getByRole("button", { name: "Delete passkey" }).click();
    await card.getByRole("status").getByText("Passkey “Work laptop” deleted.").waitFor();
    await renamed.waitFor({ state: "detached" });
    await region(page, "Two-factor sign-in is Off").waitFor();
  });
});
