// 6. Profile: change the name, upload and remove a picture, change the password (other sessions end).
import { describe, expect, it } from "vitest";
import {
  createVerifiedAccount,
  fillSignIn,
  makePng,
  pathOf,
  ready,
  shot,
  signIn,
  useBrowser,
  pageAlert,
} from "./support";

const browser = useBrowser();

describe("profile", () => {
  it("changes the name; the heading and the header follow", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "rename");
    const newName = "Ada Lovelace-Byron";

    const section = page.getByRole("region", { name: "Name", exact: true });
    const save = await ready(section.getByRole("button", { name: "Save name" }));
    expect(await section.getByLabel("Name").inputValue()).toBe(account.name);
    await section.getByLabel("Name").fill(newName);
    await save.click();
    await section.getByRole("status").getByText("Name saved.").waitFor();
    await page.getByRole("heading", { level: 1, name: newName }).waitFor();
    await page
      .getByRole("banner")
      .getByRole("link", { name: `Profile (${newName})` })
      .waitFor();

    await page.reload();
    await page.getByRole("heading", { level: 1, name: newName }).waitFor();
    expect(await page.getByRole("region", { name: "Name", exact: true }).getByLabel("Name").inputValue()).toBe(newName);
  });

  it("uploads a picture, shows it, and removes it", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "avatar");
    const identity = page.getByRole("region", { name: account.name });

    await ready(identity.getByRole("button", { name: "Upload picture" }));
    expect(await identity.locator("img.avatar").count()).toBe(0);
    await page.locator("#avatar-file").setInputFiles({ name: "avatar.png", mimeType: "image/png", buffer: makePng() });
    await identity.getByRole("status").getByText("Profile picture updated.").waitFor();

    const picture = identity.locator("img.avatar");
    await picture.waitFor();
    // The image actually loads from the API (not a broken-image icon).
    await page.waitForFunction(
      (img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0,
      await picture.elementHandle(),
    );
    expect(await picture.getAttribute("src")).toMatch(/^\/api\/users\/[^/]+\/avatar/);
    // The header shows it too, after the refresh.
    await page.getByRole("banner").locator("img.avatar").waitFor();
    await shot(page, "profile");

    const remove = await ready(identity.getByRole("button", { name: "Remove picture" }));
    await identity.getByRole("button", { name: "Change picture" }).waitFor();
    await remove.click();
    await identity.getByRole("status").getByText("Profile picture removed.").waitFor();
    await picture.waitFor({ state: "detached" });
    await identity.getByRole("button", { name: "Upload picture" }).waitFor();
    expect(await page.getByRole("banner").locator("img.avatar").count()).toBe(0);
  });

  it("refuses a file that is not an image without calling the server", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "notimage");
    const identity = page.getByRole("region", { name: account.name });
    await ready(identity.getByRole("button", { name: "Upload picture" }));
    await page
      .locator("#avatar-file")
      .setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello") });
    await identity.getByRole("alert").getByText("Choose a PNG, JPEG or WebP image.").waitFor();
  });

  it("changes the password: other sessions are signed out, this one stays", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "chpw");
    const other = await browser.page();
    await signIn(other, account.email, account.password);
    const newPassword = `${account.password} changed`;

    await page.goto("/profile/security");
    const section = page.getByRole("region", { name: "Password", exact: true });
    const change = await ready(section.getByRole("button", { name: "Change password" }));

    // A wrong current password is an inline error on that field.
    await section.getByLabel("Current password").fill("not my password");
    await section.getByLabel("New password").fill(newPassword);
    await change.click();
    await section.getByRole("alert").waitFor();
    await section.getByText("The current password is incorrect.").first().waitFor();

    await section.getByLabel("Current password").fill(account.password);
    await section.getByLabel("New password").fill(newPassword);
    await change.click();
    await section.getByRole("status").getByText("Password changed. Your other sessions were signed out.").waitFor();
    // The form is cleared.
    expect(await section.getByLabel("Current password").inputValue()).toBe("");

    await other.reload();
    expect(pathOf(other)).toBe("/sign-in");
    await page.reload();
    expect(pathOf(page)).toBe("/profile/security");

    await fillSignIn(other, account.email, account.password);
    await pageAlert(other).getByText("The email or password is incorrect.").waitFor();
    await signIn(other, account.email, newPassword);
  });
});
