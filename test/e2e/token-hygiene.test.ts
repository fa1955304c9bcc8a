// 8. One-time tokens in links: gone from the address bar before the page navigates anywhere, and token pages are
//    served with `Referrer-Policy: no-referrer` so no request made from them carries a Referer.
import type { BrowserContext, Page, Request } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  apiPost,
  baseURL,
  createVerifiedAccount,
  inboxHref,
  newAccount,
  pathOf,
  ready,
  signUpViaApi,
  useBrowser,
  waitForPath,
} from "./support";

const browser = useBrowser();

/**
 * Records, in session storage, the address each document had when it was left (pagehide). Navigations in this
 * tab keep one session storage, so after landing on the next page we can read what the previous one showed.
 */
async function recordDepartures(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    addEventListener("pagehide", () => {
      const key = "e2e:departures";
      const list = JSON.parse(sessionStorage.getItem(key) ?? "[]") as string[];
      list.push(location.href);
      sessionStorage.setItem(key, JSON.stringify(list));
    });
  });
}

async function departures(page: Page): Promise<string[]> {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem("e2e:departures") ?? "[]") as string[]);
}

/** Every request the page makes (documents, API calls, assets), to check URLs and Referer headers afterwards. */
function collectRequests(page: Page): Request[] {
  const requests: Request[] = [];
  page.on("request", (request) => requests.push(request));
  return requests;
}

/**
 * The requests the token page itself made to `paths`: page navigations and API POSTs (not, say, a prefetch the
 * next page makes later), with their Referer headers.
 */
async function referers(requests: Request[], paths: string[]): Promise<Array<[string, string | undefined]>> {
  const fromTokenPage = requests.filter(
    (request) =>
      (request.isNavigationRequest() || request.method() === "POST") && paths.includes(new URL(request.url()).pathname),
  );
  return Promise.all(
    fromTokenPage.map(
      async (request) =>
        [new URL(request.url()).pathname, (await request.allHeaders()).referer] as [string, string | undefined],
    ),
  );
}

describe("token hygiene", () => {
  it("token pages answer with Referrer-Policy: no-referrer; other pages keep the default policy", async () => {
    for (const path of ["/verify-email", "/reset-password", "/confirm-email"]) {
      const response = await fetch(baseURL + path);
      await response.arrayBuffer();
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
    }
    for (const path of ["/", "/sign-in"]) {
      const response = await fetch(baseURL + path);
      await response.arrayBuffer();
      expect(response.headers.get("referrer-policy"), path).toBe("strict-origin-when-cross-origin");
    }
  });

  it("verify-email drops the token from the URL before it moves on to the profile", async () => {
    const context = await browser.context();
    const account = newAccount("hygiene-verify");
    await signUpViaApi(context, account);
    const inbox = await context.newPage();
    const link = await inboxHref(inbox, account.email, "/verify-email");
    expect(link.startsWith(`${baseURL}/verify-email#token=`)).toBe(true);

    await recordDepartures(context);
    const page = await context.newPage();
    const requests = collectRequests(page);
    const response = await page.goto(link, { waitUntil: "commit" });
    expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
    await waitForPath(page, "/profile");

    // The verify page's address when it was left: the path without the fragment.
    const left = await departures(page);
    expect(left).toEqual([`${baseURL}/verify-email`]);
    // The confirmation's key (?notice=email-verified) leaves the address bar once shown.
    await page.waitForFunction(() => !window.location.search);
    expect(page.url()).toBe(`${baseURL}/profile`);

    // Nothing sent from the token page carried a Referer (and fragments are never sent anyway).
    const sentFromTokenPage = await referers(requests, ["/api/auth/verify-email", "/profile"]);
    expect(sentFromTokenPage.map(([path]) => path).sort()).toEqual(["/api/auth/verify-email", "/profile"]);
    for (const [path, referer] of sentFromTokenPage) expect(referer, path).toBeUndefined();
    for (const request of requests) expect(request.url()).not.toContain(link.split("#token=")[1]!);
  });

  it("reset-password drops the token from the URL as soon as it loads, before the form is used", async () => {
    const setup = await browser.page();
    const account = await createVerifiedAccount(setup, "hygiene-reset");
    const context = await browser.context();
    expect(await apiPost(context, "/api/auth/forgot-password", { email: account.email })).toBe(202);
    const inbox = await context.newPage();
    const link = await inboxHref(inbox, account.email, "/reset-password");
    const token = link.split("#token=")[1]!;

    await recordDepartures(context);
    const page = await context.newPage();
    const requests = collectRequests(page);
    const response = await page.goto(link, { waitUntil: "commit" });
    expect(response?.headers()["referrer-policy"]).toBe("no-referrer");
    const save = await ready(page.getByRole("button", { name: "Set new password" }));
    // Still on the reset page, and the address bar no longer has the token.
    expect(pathOf(page)).toBe("/reset-password");
    expect(page.url()).toBe(`${baseURL}/reset-password`);
    expect(await page.evaluate(() => location.hash)).toBe("");

    await page.getByLabel("New password", { exact: true }).fill(`${account.password} reset`);
    await page.getByLabel("Confirm new password").fill(`${account.password} reset`);
    await save.click();
    await waitForPath(page, "/sign-in");

    expect(await departures(page)).toEqual([`${baseURL}/reset-password`]);
    const sentFromTokenPage = await referers(requests, ["/api/auth/reset-password", "/sign-in"]);
    expect(sentFromTokenPage.map(([path]) => path).sort()).toEqual(["/api/auth/reset-password", "/sign-in"]);
    for (const [path, referer] of sentFromTokenPage) expect(referer, path).toBeUndefined();
    for (const request of requests) expect(request.url()).not.toContain(token);
  });
});
