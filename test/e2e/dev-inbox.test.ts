// The dev inbox (issue 12): each email shows as the recipient sees it, its HTML in a sandboxed frame (no script,
// no remote load), with the text part one click away (HTML | Text tabs, as Mailpit does). Links in the HTML
// open in this tab, so the flow goes on as from the text part.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { baseURL, newAccount, ready, shot, signUpViaApi, useBrowser, waitForPath } from "./support";

const browser = useBrowser();

/**
 * The newest message to `to` in the inbox, once it is there, scrolled into view: its HTML frame loads lazily, and
 * other tests' newer messages may have pushed it below the fold.
 */
async function messageTo(page: Page, to: string) {
  await page.goto("/dev/inbox");
  const message = page.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: to }).first();
  await message.waitFor({ timeout: 60_000 });
  await message.scrollIntoViewIfNeeded();
  return message;
}

describe("dev inbox", () => {
  for (const width of [1280, 390]) {
    it(`shows an email's HTML in a sandboxed frame, its text a tab away, and its button works (${width} px)`, async () => {
      const context = await browser.context({ viewport: { width, height: 900 } });
      const cspMessages: string[] = [];
      context.on("console", (message) => {
        if (/content.security.policy/i.test(message.text())) cspMessages.push(message.text());
      });
      const remote: string[] = [];
      context.on("request", (request) => {
        if (!request.url().startsWith(baseURL) && !request.url().startsWith("data:")) remote.push(request.url());
      });
      // Chromium reports a load the policy blocks as a request that failed, with Playwright's reason "csp":
      // that one never left the machine. Any other outcome (sent, or refused by the network) still counts.
      context.on("requestfailed", (request) => {
        if (request.failure()?.errorText === "csp") {
          const index = remote.indexOf(request.url());
          if (index >= 0) remote.splice(index, 1);
        }
      });
      const account = newAccount(`inbox${width}`);
      await signUpViaApi(context, account);
      const page = await context.newPage();
      const message = await messageTo(page, account.email);

      const tabs = message.getByRole("tablist", { name: "Show the email as" });
      const htmlTab = tabs.getByRole("tab", { name: "HTML" });
      const textTab = tabs.getByRole("tab", { name: "Text" });
      await ready(htmlTab);
      expect(await htmlTab.getAttribute("aria-selected")).toBe("true");
      expect(await textTab.getAttribute("aria-selected")).toBe("false");

      // The frame: sandboxed without allow-scripts or allow-same-origin, named, and the email's own policy first.
      const frameElement = message.locator("iframe");
      expect(await frameElement.getAttribute("sandbox")).toBe("allow-top-navigation-by-user-activation");
      expect(await frameElement.getAttribute("title")).toMatch(/^The email “.+” as HTML$/);
      const srcdoc = (await frameElement.getAttribute("srcdoc")) ?? "";
      expect(srcdoc).toMatch(
        /^<!doctype html>\n<html[^>]*><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'/,
      );
      expect(await frameElement.evaluate((frame: HTMLIFrameElement) => frame.contentDocument)).toBeNull();

      // The HTML as a mail client renders it: the styled button, whose link leaves the frame for this tab.
      const html = message.frameLocator("iframe");
      const button = html.getByRole("link", { name: "Confirm your email" });
      await button.waitFor();
      expect(await button.getAttribute("target")).toBe("_top");
      expect(await button.getAttribute("href")).toMatch(new RegExp(`^${baseURL}/verify-email#token=`));
      // Styled by its inline styles (the page's policy lets style attributes through): a dark button, white text.
      expect(await button.evaluate((link) => getComputedStyle(link).color)).toBe("rgb(255, 255, 255)");
      await shot(page, `dev-inbox-html-${width}`);

      // The text part, a click away; the arrow keys move between the tabs too.
      await textTab.click();
      expect(await textTab.getAttribute("aria-selected")).toBe("true");
      const text = message.getByRole("tabpanel").locator(".body");
      await text.getByRole("link", { name: new RegExp(`^${baseURL}/verify-email#token=`) }).waitFor();
      expect(await message.locator("iframe").count()).toBe(0);
      await shot(page, `dev-inbox-text-${width}`);
      await textTab.press("ArrowLeft");
      expect(await htmlTab.getAttribute("aria-selected")).toBe("true");
      expect(await htmlTab.evaluate((tab) => tab === document.activeElement)).toBe(true);
      await button.waitFor();

      // The policy inside the frame bites: the same document with a remote image and a script added loads and
      // runs neither (a tracking pixel, a script in a hostile email).
      await page.evaluate((doc) => {
        const probe = document.createElement("iframe");
        probe.id = "probe";
        probe.setAttribute("sandbox", "allow-top-navigation-by-user-activation");
        probe.srcdoc = doc.replace(
          "</body>",
          '<img src="http://203.0.113.9/pixel.png"><img src="/api/health?pixel"><script>parent.postMessage("ran", "*")</script></body>',
        );
        (window as unknown as { ran?: boolean }).ran = false;
        window.addEventListener("message", () => {
          (window as unknown as { ran?: boolean }).ran = true;
        });
        document.body.append(probe);
      }, srcdoc);
      await page.waitForTimeout(1000);
      expect(remote).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { ran?: boolean }).ran)).toBe(false);
      await page.evaluate(() => document.getElementById("probe")?.remove());
      // The probe's blocked loads are the point; the inbox's own must be none (below). The probe's reports can still
      // arrive after this (console events come asynchronously, under load seconds late): they name its two images.
      const fromProbe = /203\.0\.113\.9\/pixel\.png|\/api\/health\?pixel/;

      // Clicking the button in the HTML verifies the address, in this tab. Right away, without reloading: the inbox
      // lists the 50 newest messages, and the other browser tests' messages push this one out within seconds.
      await button.click();
      // The verify page signs in and goes on to the profile, as from the text part's link.
      await waitForPath(page, "/profile");
      await page.getByRole("heading", { level: 1, name: account.name }).waitFor();
      expect(cspMessages.filter((message) => !fromProbe.test(message))).toEqual([]);
    });
  }
});
