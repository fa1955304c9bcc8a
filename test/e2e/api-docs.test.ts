// The API reference at /api/docs (issue 12): it loaded with a "[DEPRECATED] … 'showToolbar'" warning in the browser
// console and a 404 for /favicon.ico (the page named no icon). Now: no request fails, the console has no warning
// or error, and the server logs nothing about the visit but what it logs for any request.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { shot, useBrowser } from "./support";

const browser = useBrowser();
const serverLog = path.resolve(import.meta.dirname, "../../test-results/e2e-server.log");
const logSize = () => (existsSync(serverLog) ? readFileSync(serverLog, "utf8").length : 0);

describe("API reference", () => {
  it("loads with no failed request, no console warning or error, and no warning in the server log", async () => {
    const logStart = logSize();
    const context = await browser.context();
    const page = await context.newPage();
    const consoleMessages: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "warning" || message.type() === "error")
        consoleMessages.push(`${message.type()}: ${message.text()} (${message.location().url})`);
    });
    const failed: string[] = [];
    context.on("response", (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    context.on("requestfailed", (request) => failed.push(`${request.failure()?.errorText} ${request.url()}`));

    await page.goto("/api/docs");
    await page.getByText("Sign in with email and password").first().waitFor({ timeout: 60_000 });
    // The browser asks for the icon once the page has loaded: give it the time to, and to fail.
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(500);
    await shot(page, "api-docs");

    // The icon the page names is the one the browser fetched (instead of /favicon.ico), and it exists.
    const icon = await page.locator('link[rel="icon"]').getAttribute("href");
    expect(icon).toBe("/api/docs/icon.svg");
    expect(await page.evaluate(async (href) => (await fetch(href)).status, icon!)).toBe(200);

    expect(failed).toEqual([]);
    // A 404 the browser reports only in the console (the favicon's) would show here too.
    expect(consoleMessages).toEqual([]);
    const logged = readFileSync(serverLog, "utf8").slice(logStart);
    expect(logged).not.toMatch(/deprecat|warn|\b404\b/i);
  });
});
