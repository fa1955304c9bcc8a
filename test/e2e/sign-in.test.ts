// 2. Sign out and in again, the signed-in/anonymous redirects, a wrong password, and an unverified account.
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  fillSignIn,
  headerSignOut,
  newAccount,
  pathOf,
  ready,
  shot,
  signIn,
  signUpViaApi,
  useBrowser,
  waitForPath,
  pageAlert,
} from "./support";

const browser = useBrowser();

describe("sign-in and sign-out", () => {
  it("signs out with the header button, then signs in again from the sign-in page", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "signin");

    await (await ready(headerSignOut(page))).click();
    // Sign-out loads the home page fresh; the header now offers "Sign in".
    await waitForPath(page, "/");
    const signInLink = page.getByRole("banner").getByRole("link", { name: "Sign in" });
    await ready(signInLink);
    await shot(page, "home");
    await signInLink.click();
    await waitForPath(page, "/sign-in");
    await ready(page.getByRole("button", { name: "Sign in", exact: true }));
    await shot(page, "sign-in");

    await signIn(page, account.email, account.password);
    await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
    await headerSignOut(page).waitFor();
  });

  it("sends a signed-in visitor from /sign-in to /profile, and an anonymous one from /profile to /sign-in", async () => {
    const page = await browser.page();
    await createVerifiedAccount(page, "redirects");
    for (const signedOutOnly of ["/sign-in", "/sign-up", "/forgot-password"]) {
      await page.goto(signedOutOnly);
      expect(pathOf(page), signedOutOnly).toBe("/profile");
    }

    const anonymous = await browser.page();
    for (const signedInOnly of ["/profile", "/profile?tab=sessions"]) {
      await anonymous.goto(signedInOnly);
      expect(pathOf(anonymous), signedInOnly).toBe("/sign-in");
    }
    await anonymous.goto("/sign-out");
    expect(pathOf(anonymous)).toBe("/");
  });

  it("shows an inline error for a wrong password and stays on the page", async () => {
    const setup = await browser.page();
    const account = await createVerifiedAccount(setup, "wrongpw");

    const page = await browser.page();
    await fillSignIn(page, account.email, `${account.password}-wrong`);
    const alert = pageAlert(page);
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/email or password/i);
    expect(pathOf(page)).toBe("/sign-in");
    // Never in the URL: a native (pre-hydration) GET submit would have put it there.
    expect(page.url()).not.toContain("password");
    // The error takes focus (after render, in an effect) so keyboard and screen-reader users hear it.
    await page.waitForFunction(() => document.activeElement?.matches("main [role=alert]") === true);
    // The typed email stays, so the user only retypes the password.
    expect(await page.getByLabel("Email").inputValue()).toBe(account.email);
    await shot(page, "sign-in-error");

    // An unknown address gets the very same answer (no account enumeration).
    const unknown = await browser.page();
    await fillSignIn(unknown, newAccount("nobody").email, account.password);
    await pageAlert(unknown).waitFor();
    expect(await pageAlert(unknown).innerText()).toBe(await alert.innerText());
  });

  it("offers to resend the verification email to an account that is not verified yet", async () => {
    const page = await browser.page();
    const account = newAccount("unverified");
    await signUpViaApi(page.context(), account);

    await fillSignIn(page, account.email, account.password);
    const alert = pageAlert(page);
    await alert.getByText("Please verify your email address first").waitFor();
    const resend = await ready(alert.getByRole("button", { name: "Resend verification email" }));
    expect(pathOf(page)).toBe("/sign-in");
    await resend.click();
    await page.getByText(`A new link is on its way to ${account.email}.`).waitFor();
    await shot(page, "sign-in-unverified");

    // A wrong password for that account says "wrong credentials", not "unverified" (no probing for accounts).
    const other = await browser.page();
    await fillSignIn(other, account.email, `${account.password}-wrong`);
    await pageAlert(other).waitFor();
    expect(await pageAlert(other).innerText()).not.toMatch(/verify/i);
  });

  it("never puts a password in the URL, even when the form is submitted before JavaScript runs", async () => {
    // JavaScript off stands in for "clicked before hydration": the browser submits the form on its own.
    const page = await browser.page({ javaScriptEnabled: false });
    for (const [path, button] of [
      ["/sign-in", "Sign in"],
      ["/sign-up", "Create account"],
    ] as const) {
      await page.goto(path);
      if (path === "/sign-up") await page.getByLabel("Name").fill("No Script");
      await page.getByLabel("Email").fill("no-script@example.com");
      await page.getByLabel("Password", { exact: true }).fill("a secret passphrase");
      const navigation = page.waitForRequest(
        (request) => request.isNavigationRequest() && request.frame() === page.mainFrame(),
      );
      await page.getByRole("main").getByRole("button", { name: button, exact: true }).click();
      const sent = await navigation;
      expect(sent.method(), path).toBe("POST");
      expect(sent.url(), path).not.toMatch(/password|secret/);
      await page.waitForLoadState();
      expect(page.url(), path).not.toMatch(/password|secret/);
    }
  });
});
