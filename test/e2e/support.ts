// Shared helpers for the browser tests: the browser, contexts, "wait until React is listening", the dev inbox,
// accounts, screenshots and a tiny PNG encoder. No fixed sleeps anywhere: every wait is for a condition.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import {
  type APIResponse,
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Locator,
  type Page,
} from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";

export const baseURL = inject("baseURL");

const screenshotDir = path.resolve(import.meta.dirname, "../../test-results/screenshots");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * One browser per test file; every context a test opens is closed after that test. `page()` is a new page in
 * a new context: a separate "device" with its own cookies.
 */
export function useBrowser() {
  let browser: Browser | undefined;
  const open: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });
  async function context(options?: BrowserContextOptions): Promise<BrowserContext> {
    if (!browser) throw new Error("browser not launched");
    const created = await newContext(browser, options);
    open.push(created);
    return created;
  }
  return { context, page: async (options?: BrowserContextOptions) => (await context(options)).newPage() };
}

const contextIps = new WeakMap<BrowserContext, string>();

/**
 * A fresh context (cookies, storage) that looks like its own device: a random 10.x.y.z client address in
 * X-Forwarded-For, which the e2e server believes (TRUST_PROXY=1). Per-IP rate limits then count per test, and
 * the sessions table shows which context is which.
 */
export async function newContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const ip = `10.${randomBytes(3).join(".")}`;
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
    colorScheme: "light",
    ...options,
    extraHTTPHeaders: { "x-forwarded-for": ip, ...options.extraHTTPHeaders },
  });
  contextIps.set(context, ip);
  return context;
}

export function ipOf(context: BrowserContext): string {
  const ip = contextIps.get(context);
  if (!ip) throw new Error("context was not made by newContext()");
  return ip;
}

let counter = 0;
/** An address no other test (or earlier run against the same server) uses. */
export function uniqueEmail(label: string): string {
  counter += 1;
  return `${label}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}-${counter}@example.com`;
}

export function pathOf(page: Page): string {
  return new URL(page.url()).pathname;
}

/** Waits for a navigation that ends on `pathname` (query and fragment ignored). */
export async function waitForPath(page: Page, pathname: string): Promise<void> {
  try {
    await page.waitForURL((url) => url.pathname === pathname);
  } catch (error) {
    // Where the page is instead, and what it says: a timeout alone tells nothing.
    const said = await page
      .locator("main")
      .innerText({ timeout: 2000 })
      .catch(() => "(no main)");
    throw new Error(`expected ${pathname}, still on ${page.url()} saying: ${said.slice(0, 400)}`, { cause: error });
  }
}

/**
 * Waits until `locator` is visible and React has hydrated it (and its form): before that, a click on a submit
 * button would make the browser submit the form natively, as a GET with the fields in the URL. React stores
 * its props on each DOM node it has hydrated under a `__reactProps$…` key; that key is the signal.
 */
export async function ready(locator: Locator): Promise<Locator> {
  await locator.waitFor({ state: "visible" });
  const handle = await locator.elementHandle();
  await locator
    .page()
    .waitForFunction(
      (element) =>
        [element, element?.closest("form")].every(
          (node) => !node || Object.keys(node).some((key) => key.startsWith("__reactProps$")),
        ),
      handle,
    );
  await handle?.dispose();
  return locator;
}

/** Opens `pathname` and waits until `target(page)` is visible and hydrated. */
export async function open(page: Page, pathname: string, target: (page: Page) => Locator): Promise<Locator> {
  await page.goto(pathname);
  return ready(target(page));
}

/**
 * Full-page screenshot into test-results/screenshots/<name>.png. (No `style` option: Playwright would inject a
 * <style> element, which the production CSP rightly blocks, and the CSP walk would record it.)
 */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({
    path: path.join(screenshotDir, `${name}.png`),
    fullPage: true,
    animations: "disabled",
    caret: "hide",
  });
}

/** No horizontal scrolling: the document is no wider than the viewport. */
export async function expectNoHorizontalScroll(page: Page, width: number): Promise<void> {
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth, `${pathOf(page)} is ${scrollWidth}px wide at a ${width}px viewport`).toBeLessThanOrEqual(width);
}

// ---------------------------------------------------------------------------------------------------------
// Dev inbox

interface OutboxEntry {
  id: string;
  channel: "email" | "sms";
  to: string;
  body: string;
}

/**
 * `GET /api/dev/outbox`'s messages, or none for now. A kept-alive connection left idle for the server's keep-alive
 * timeout (65 s) can be closed by the server just as this GET reuses it (ECONNRESET): a browser sends an idempotent
 * request again on a new connection, and the caller's next poll does the same.
 */
async function readOutbox(context: BrowserContext): Promise<OutboxEntry[]> {
  let response: APIResponse;
  try {
    response = await context.request.get("/api/dev/outbox", { headers: { "x-forwarded-for": ipOf(context) } });
  } catch (error) {
    if (/ECONNRESET|socket hang up/.test(String(error))) return [];
    throw error;
  }
  const messages = response.ok() ? ((await response.json()) as { messages: OutboxEntry[] }).messages : [];
  await response.dispose();
  return messages;
}

/**
 * The dev outbox as the inbox page reads it (`GET /api/dev/outbox`, newest first), polled until `pick` finds
 * something: delivery is a queue, so a message may take a moment. Reading the JSON instead of loading the inbox
 * page for every link and code keeps the suite light; the page itself is tested in dev-inbox.test.ts and
 * sign-up.test.ts.
 */
async function fromOutbox<T>(context: BrowserContext, pick: (messages: OutboxEntry[]) => T | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const messages = await readOutbox(context);
    const found = pick(messages);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error("the dev outbox never held the message looked for");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The link to `linkPath` in the newest email to `to`, read from the dev outbox. */
export async function inboxHref(page: Page, to: string, linkPath: string): Promise<string> {
  const pattern = new RegExp(`${baseURL.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}${linkPath}#token=[A-Za-z0-9_.-]+`);
  return fromOutbox(page.context(), (messages) => {
    for (const message of messages)
      if (message.channel === "email" && message.to === to) {
        const link = pattern.exec(message.body)?.[0];
        if (link) return link;
      }
    return undefined;
  });
}

/** Opens that link in `page`, as following it from a mail client does. */
export async function clickInboxLink(page: Page, to: string, linkPath: string): Promise<string> {
  const href = await inboxHref(page, to, linkPath);
  await page.goto(href);
  return href;
}

/**
 * On the /dev/inbox page itself: the newest email to `to` whose link goes to `linkPath`, found in the email's HTML
 * (the default view of the newest emails, a sandboxed frame), returned as the link of its text part (the Text tab,
 * opened here): a plain link in the page.
 */
export async function inboxLink(page: Page, to: string, linkPath: string): Promise<Locator> {
  if (pathOf(page) !== "/dev/inbox") await page.goto("/dev/inbox");
  const prefix = `${baseURL}${linkPath}#token=`;
  const emails = page.getByRole("list", { name: "Messages" }).getByRole("listitem").filter({ hasText: to });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ids = await emails.evaluateAll((items) => items.map((item) => item.getAttribute("data-message-id")));
    for (const id of ids) {
      // By id, not position: a message arriving later is listed first and would shift the positions.
      const message = page.locator(`li[data-message-id="${id}"]`);
      // Its HTML frame loads lazily, only in view: other tests' newer messages may have pushed it below the fold.
      await message.scrollIntoViewIfNeeded();
      const inFrame = message.frameLocator("iframe").getByRole("link").filter({ hasText: prefix });
      if ((await inFrame.count()) > 0) await message.getByRole("tab", { name: "Text" }).click();
      const link = message.getByRole("tabpanel").getByRole("link").filter({ hasText: prefix }).first();
      if ((await link.count()) > 0) {
        await link.waitFor({ state: "visible" });
        return link;
      }
    }
    if (Date.now() > deadline) throw new Error(`no email to ${to} with a ${linkPath} link in the dev inbox`);
    await page.waitForTimeout(250);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Text messages (SMS two-factor)

const phonesUsed = new Set<string>();

/**
 * A US mobile number, `+1 415 555 xxxx` with random last digits, that no other test in this run uses: SMS send
 * limits count per phone (5 codes of each kind per 10 minutes, 10 a day), so every test gets its own. These pass
 * the server's screening.
 */
export function newPhoneNumber(): { e164: string; national: string; last4: string } {
  for (;;) {
    const last4 = String(randomBytes(2).readUInt16BE() % 10_000).padStart(4, "0");
    const e164 = `+1415555${last4}`;
    if (phonesUsed.has(e164)) continue;
    phonesUsed.add(e164);
    return { e164, national: `415 555 ${last4}`, last4 };
  }
}

/** How the API shows a number: `+1 ••• ••• 1234`. */
export function maskedPhone(phone: { last4: string }): string {
  return `+1 ••• ••• ${phone.last4}`;
}

/** How the owner's own pages show their number, in full: `+1 415 555 1234`. */
export function fullPhone(phone: { last4: string }): string {
  return `+1 415 555 ${phone.last4}`;
}

/** How each code text names its code (src/delivery/sms/templates.ts). */
const codePhrases = {
  "sign-in": "sign-in code",
  "phone verification": "phone verification code",
  "step-up": "code to confirm a change to your security settings",
} as const;

/**
 * The code in the newest text to `to` (E.164) that says "… is your <phrase of the purpose>", read from the dev
 * outbox through `page`'s context (its request API: the page itself stays where it is). Waits until at least
 * `count` such texts exist: pass 2 to wait for the second code after a restart or a resend.
 *
 * No second tab for the inbox: in headless Chromium a tab behind another gets no animation frames, and each action
 * on it (a click waits for the element to be stable over two frames) then takes about 2 s.
 */
export async function smsCode(page: Page, to: string, purpose: keyof typeof codePhrases, count = 1): Promise<string> {
  const phrase = `is your ${codePhrases[purpose]}`;
  // Newest first: the code of the newest text, once `count` of them have arrived.
  const body = await fromOutbox(page.context(), (messages) => {
    const texts = messages.filter(
      (message) => message.channel === "sms" && message.to === to && message.body.includes(phrase),
    );
    return texts.length >= count ? texts[0]!.body : undefined;
  });
  const code = /^Twofold: (\d{6}) is your /.exec(body)?.[1];
  if (!code) throw new Error(`no code in the text to ${to}: ${body}`);
  return code;
}

/**
 * Every address a frame of this context navigated to (all tabs, opened now or later), for "no secret in any
 * URL" checks; and every request URL to the app outside `/_next/` (API calls, RSC fetches, documents).
 */
export function recordUrls(context: BrowserContext): { navigations: string[]; requests: string[] } {
  const recorded = { navigations: [] as string[], requests: [] as string[] };
  const watch = (page: Page) => {
    page.on("framenavigated", (frame) => recorded.navigations.push(frame.url()));
    page.on("request", (request) => {
      const url = request.url();
      if (url.startsWith(baseURL) && !new URL(url).pathname.startsWith("/_next/")) recorded.requests.push(url);
    });
  };
  context.pages().forEach(watch);
  context.on("page", watch);
  return recorded;
}

// ---------------------------------------------------------------------------------------------------------
// Accounts

export interface Account {
  name: string;
  email: string;
  password: string;
}

export function newAccount(label: string): Account {
  return {
    name: `${label[0]!.toUpperCase()}${label.slice(1)} Tester`,
    email: uniqueEmail(label),
    password: `correct horse ${randomBytes(4).toString("hex")}`,
  };
}

/** POST to the API from the context (its cookies, its client address), with the Origin a browser would send. */
export async function apiPost(context: BrowserContext, pathname: string, data: unknown): Promise<number> {
  const response = await context.request.post(pathname, {
    data,
    headers: { origin: baseURL, "x-forwarded-for": ipOf(context) },
  });
  await response.dispose();
  return response.status();
}

/** Signs up through the API (the sign-up page itself is covered by sign-up.test.ts); the account stays unverified. */
export async function signUpViaApi(context: BrowserContext, account: Account): Promise<void> {
  const status = await apiPost(context, "/api/auth/sign-up", account);
  expect(status, "sign-up").toBe(202);
}

/** A verified account, signed in on `page` (it ends on /profile) by following the link from the dev inbox. */
export async function createVerifiedAccount(page: Page, label: string): Promise<Account> {
  const account = newAccount(label);
  await signUpViaApi(page.context(), account);
  await clickInboxLink(page, account.email, "/verify-email");
  await waitForPath(page, "/profile");
  return account;
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await fillSignIn(page, email, password);
  await waitForPath(page, "/profile");
}

/** Opens /sign-in, fills the form and submits it; the caller decides what should happen next. */
export async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  const submit = await open(page, "/sign-in", (p) => p.getByRole("button", { name: "Sign in", exact: true }));
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await submit.click();
}

/**
 * The page's own error alert. (`page.getByRole("alert")` alone also finds Next's route announcer, an empty
 * `role="alert"` element outside <main>.)
 */
export function pageAlert(page: Page): Locator {
  return page.getByRole("main").getByRole("alert");
}

/** The header's "Sign out" button (the profile card has one too). */
export function headerSignOut(page: Page): Locator {
  return page.getByRole("banner").getByRole("button", { name: "Sign out" });
}

// ---------------------------------------------------------------------------------------------------------
// Recovery codes (shown once when the first second factor is turned on, and when new ones are made)

export function recoveryCodesPanel(page: Page): Locator {
  return page.getByRole("main").getByRole("form", { name: "Save your recovery codes" });
}

/** The panel's 10 codes, read from the page; then "I saved these codes" and Done, and the panel is gone. */
export async function saveRecoveryCodes(page: Page): Promise<string[]> {
  const panel = recoveryCodesPanel(page);
  const list = panel.getByRole("list", { name: "Recovery codes" });
  await list.waitFor();
  const codes = (await list.getByRole("listitem").allInnerTexts()).map((code) => code.trim());
  expect(codes).toHaveLength(10);
  await (await ready(panel.getByRole("checkbox", { name: "I saved these codes" }))).check();
  await panel.getByRole("button", { name: "Done", exact: true }).click();
  await panel.waitFor({ state: "detached" });
  return codes;
}

// ---------------------------------------------------------------------------------------------------------
// A real PNG (the avatar upload sniffs magic bytes; the page should also be able to draw it)

export function makePng(width = 96, height = 96): Buffer {
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const offset = row + 1 + x * 4;
      const inCircle = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (width / 3) ** 2;
      raw[offset] = inCircle ? 240 : 40;
      raw[offset + 1] = inCircle ? 180 : 90;
      raw[offset + 2] = inCircle ? 40 : 200;
      raw[offset + 3] = 255;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter set, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The sources of one directive of a Content-Security-Policy header (empty when it is absent). */
export function cspDirective(csp: string, name: string): string[] {
  const found = csp
    .split(";")
    .map((part) => part.trim().split(/\s+/))
    .find(([directiveName]) => directiveName === name);
  return found?.slice(1) ?? [];
}

/** The nonce a page policy allows scripts with, if any. */
export function cspNonce(csp: string): string | undefined {
  return /'nonce-([A-Za-z0-9+/=]+)'/.exec(cspDirective(csp, "script-src").join(" "))?.[1];
}
