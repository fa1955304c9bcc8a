// Passkeys at sign-in, through Chromium's virtual authenticator: as the second step after the password, and
// passwordless ("Sign in with a passkey"). The passkey is registered through the API with the browser making
// the credential.
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  expectNoHorizontalScroll,
  fillSignIn,
  open,
  ready,
  shot,
  useBrowser,
  waitForPath,
} from "./support";
import {
  addVirtualAuthenticator,
  apiJson,
  registerPasskey,
  signOut,
  withoutPasskeyAutofill,
} from "./second-factor-steps";

const browser = useBrowser();
const phoneSize = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

describe("passkeys at sign-in", () => {
  it("a passkey as the second step, then passwordless with “Sign in with a passkey”", async () => {
    const context = await browser.context();
    const page = await context.newPage();
    await addVirtualAuthenticator(page);
    const account = await createVerifiedAccount(page, "passkey-sign-in");
    await registerPasskey(page, account);
    const session = await apiJson<{ user: { twoFactor: { passkeys: number | boolean } } }>(
      context,
      "GET",
      "/api/auth/session",
    );
    expect(Number(session.body.user.twoFactor.passkeys)).toBe(1);
    await signOut(page);

    // Password, then the passkey.
    await withoutPasskeyAutofill(page, async () => {
      await fillSignIn(page, account.email, account.password);
      await waitForPath(page, "/sign-in/verify");
    });
    const main = page.getByRole("main");
    await main.getByRole("heading", { level: 1, name: "Use your passkey" }).waitFor();
    const use = await ready(main.getByRole("button", { name: "Use your passkey" }));
    await shot(page, "second-factor-passkey-step");
    await use.click();
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    await signOut(page);

    // No password at all: "Sign in with a passkey".
    await withoutPasskeyAutofill(page, async () => {
      await open(page, "/sign-in", (p) => p.getByRole("button", { name: "Sign in with a passkey" }));
    });
    expect(await page.getByLabel("Email").getAttribute("autocomplete")).toBe("username webauthn");
    await shot(page, "sign-in-with-passkey-button");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    const after = await apiJson<{ session: { assuranceLevel: number } }>(context, "GET", "/api/auth/session");
    expect(after.body.session.assuranceLevel).toBe(2);
    await signOut(page);

    // And from the email field's autofill (conditional UI): the browser offers the passkey as the page opens (the
    // virtual authenticator picks it at once, where a person would pick it from the list).
    await page.goto("/sign-in");
    await waitForPath(page, "/profile");
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
  });

  it("fits a 390 px phone: the sign-in page with its passkey button", async () => {
    const page = await browser.page(phoneSize);
    await addVirtualAuthenticator(page);
    await open(page, "/sign-in", (p) => p.getByRole("button", { name: "Sign in with a passkey" }));
    await expectNoHorizontalScroll(page, 390);
    await shot(page, "sign-in-with-passkey-button-390");
  });
});
