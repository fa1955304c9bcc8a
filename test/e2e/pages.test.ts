// The remaining pages: home (both states), the sign-out confirmation page, and a 404.
import { describe, expect, it } from "vitest";
import { createVerifiedAccount, pathOf, ready, shot, useBrowser, waitForPath } from "./support";

const browser = useBrowser();

describe("other pages", () => {
  it("home page invites an anonymous visitor to sign up or sign in", async () => {
    const page = await browser.page();
    await page.goto("/");
    await page.getByRole("heading", { level: 1, name: "Accounts you host yourself" }).waitFor();
    await ready(page.getByRole("main").getByRole("link", { name: "Create an account" }));
    await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
    await waitForPath(page, "/sign-in");
  });

  it("the sign-out page asks first, then signs out", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "signoutpage");
    await page.goto("/");
    await page.getByRole("heading", { level: 1, name: `Welcome back, ${account.name}` }).waitFor();
    await shot(page, "home-signed-in");

    await page.goto("/sign-out");
    await ready(page.getByRole("main").getByRole("button", { name: "Sign out" }));
    await page.getByText(`You're signed in as ${account.email}.`).waitFor();
    await shot(page, "sign-out");
    // Cancel keeps the session.
    await page.getByRole("link", { name: "Cancel" }).click();
    await waitForPath(page, "/profile");

    await page.goto("/sign-out");
    await (await ready(page.getByRole("main").getByRole("button", { name: "Sign out" }))).click();
    await waitForPath(page, "/");
    await page.getByRole("banner").getByRole("link", { name: "Sign in" }).waitFor();
    await page.goto("/profile");
    expect(pathOf(page)).toBe("/sign-in");
  });

  it("an unknown address shows the 404 page", async () => {
    const page = await browser.page();
    const response = await page.goto("/no-such-page");
    expect(response?.status()).toBe(404);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await ready(page.getByRole("link", { name: "Go home" }));
    await shot(page, "not-found");
    // A notice key is looked up among the page's own notices: an inherited name shows the page without one, not a 500.
    for (const path of ["/sign-in?notice=toString", "/sign-in?notice=constructor"])
      expect((await page.goto(path))?.status()).toBe(200);
  });
});
