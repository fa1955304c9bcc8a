// 6. Profile: change the name, upload and remove a picture, change the password (other sessions end).
import type { Page } from "playwright-core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { AVATAR_MAX_BYTES, avatarMessages } from "../../src/core/avatar-rules";
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

/**
 * Form controls without an accessible name (axe's "label" rule, critical): a <label>, aria-label or
 * aria-labelledby naming something non-empty, or a title. Hidden inputs (type=hidden) are not controls.
 */
function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [
      ...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
        "input, select, textarea",
      ),
    ]
      .filter((control) => control.type !== "hidden")
      .filter((control) => {
        const byLabel = [...(control.labels ?? [])].some((label) => label.textContent?.trim());
        const byAria = control.getAttribute("aria-label")?.trim();
        const byIds = (control.getAttribute("aria-labelledby") ?? "")
          .split(/\s+/)
          .some((id) => id && document.getElementById(id)?.textContent?.trim());
        return !byLabel && !byAria && !byIds && !control.title.trim();
      })
      .map((control) => control.outerHTML.slice(0, 120)),
  );
}

/** A camera-sized JPEG: noise does not compress, so 4000×3000 weighs several MB, as a phone photo does. */
async function phonePhoto(): Promise<Buffer> {
  const [width, height] = [4000, 3000];
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE((Math.random() * 0xffffffff) >>> 0, i);
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 85 })
    .withExif({ IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2400/100" } })
    .toBuffer();
}

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
    await identity.getByRole("alert").getByText(avatarMessages.rule).waitFor();
  });

  it("labels the hidden file input in every state (no picture, a picture)", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "avatarlabel");
    const identity = page.getByRole("region", { name: account.name });
    await ready(identity.getByRole("button", { name: "Upload picture" }));
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await page.getByLabel("Picture file", { exact: true }).getAttribute("type")).toBe("file");
    expect(await page.getByRole("button", { name: "Upload picture" }).count()).toBe(1);

    await page.locator("#avatar-file").setInputFiles({ name: "a.png", mimeType: "image/png", buffer: makePng() });
    await identity.getByRole("status").getByText("Profile picture updated.").waitFor();
    await ready(identity.getByRole("button", { name: "Change picture" }));
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await page.getByLabel("Picture file", { exact: true }).getAttribute("type")).toBe("file");
    expect(await page.getByRole("button", { name: "Change picture" }).count()).toBe(1);
  });

  it("takes a phone photo of several MB, shows a small square, and states the same rule as the API", async () => {
    const page = await browser.page();
    const account = await createVerifiedAccount(page, "bigphoto");
    const identity = page.getByRole("region", { name: account.name });
    await ready(identity.getByRole("button", { name: "Upload picture" }));
    await identity.getByText(avatarMessages.hint).waitFor();

    const photo = await phonePhoto();
    expect(photo.length).toBeGreaterThan(2 * 1024 * 1024);
    await page.locator("#avatar-file").setInputFiles({ name: "IMG_0001.jpg", mimeType: "image/jpeg", buffer: photo });
    await identity.getByRole("status").getByText("Profile picture updated.").waitFor({ timeout: 30_000 });
    const picture = identity.locator("img.avatar");
    await page.waitForFunction(
      (img) => img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0,
      await picture.elementHandle(),
    );
    // Stored as a 256 px square, whatever the photo's size and shape.
    expect(await picture.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([
      256, 256,
    ]);
    await shot(page, "profile-avatar-photo");

    // Over 10 MB: refused at once, in the API's words, without sending it.
    const uploads: string[] = [];
    page.on("request", (request) => {
      if (request.url().endsWith("/api/account/avatar")) uploads.push(request.method());
    });
    await page.locator("#avatar-file").setInputFiles({
      name: "huge.jpg",
      mimeType: "image/jpeg",
      buffer: Buffer.concat([photo, Buffer.alloc(AVATAR_MAX_BYTES + 1 - photo.length)]),
    });
    await identity.getByRole("alert").getByText(avatarMessages.rule).waitFor();
    expect(uploads).toEqual([]);

    // A file that only looks like an image is sent, and the server's refusal is shown as it words it.
    await page.locator("#avatar-file").setInputFiles({
      name: "broken.png",
      mimeType: "image/png",
      buffer: Buffer.concat([makePng().subarray(0, 8), Buffer.from("not really a picture")]),
    });
    await identity.getByRole("alert").getByText(avatarMessages.unreadable).waitFor();
    expect(uploads).toEqual(["PUT"]);
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
    await section.getByText("The current password is incorrect.").first().waitFor();
    expect(await section.getByLabel("Current password").getAttribute("aria-invalid")).toBe("true");

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
