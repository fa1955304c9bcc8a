// Set-up and steps of the browser tests of second factors beyond SMS (authenticator app, recovery codes,
// passkeys, trusted browsers): factors are enrolled through the API (the profile's own cards have their own
// tests), the sign-in and step-up pages are what these tests drive.
import * as OTPAuth from "otpauth";
import type { BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";
import { baseURL, headerSignOut, ipOf, newPhoneNumber, pathOf, ready, waitForPath, type Account } from "./support";

/** A JSON call to the API from the context (its cookies, its client address), as the page's own script would. */
export async function apiJson<T = unknown>(
  context: BrowserContext,
  method: "GET" | "POST" | "DELETE",
  pathname: string,
  data?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await context.request.fetch(pathname, {
    method,
    data,
    headers: { origin: baseURL, "x-forwarded-for": ipOf(context) },
  });
  const text = await response.text();
  await response.dispose();
  return { status: response.status(), body: (text ? JSON.parse(text) : null) as T };
}

/**
 * An authenticator app holding `secret`. Each code it gives is for a later 30-second step than the last one (the
 * server takes each step once, and the steps next to its own), waiting for the clock when it must.
 */
export function authenticatorApp(secret: string) {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    digits: 6,
    period: 30,
    algorithm: "SHA1",
  });
  let lastStep = Number.NEGATIVE_INFINITY;
  const stepNow = () => Math.floor(Date.now() / 30_000);
  return {
    async code(): Promise<string> {
      // The server accepts its step ±1; the next unused one, not more than one step ahead.
      let step = Math.max(lastStep + 1, stepNow());
      while (step > stepNow() + 1) {
        await new Promise((resolve) => setTimeout(resolve, (step - 1) * 30_000 - Date.now() + 50));
        step = Math.max(lastStep + 1, stepNow());
      }
      lastStep = step;
      return totp.generate({ timestamp: step * 30_000 });
    },
    /** A six-digit code no step near now has. */
    wrongCode(): string {
      const near = [-1, 0, 1].map((offset) => totp.generate({ timestamp: (stepNow() + offset) * 30_000 }));
      for (let candidate = 123_457; ; candidate += 111_111) {
        const code = String(candidate % 1_000_000).padStart(6, "0");
        if (!near.includes(code)) return code;
      }
    },
  };
}

export type AuthenticatorApp = ReturnType<typeof authenticatorApp>;

/** On a signed-in context: sets up and confirms an authenticator app; returns it and the first recovery codes. */
export async function enrolTotp(
  context: BrowserContext,
  account: Account,
): Promise<{ app: AuthenticatorApp; recoveryCodes: string[] }> {
  const setup = await apiJson<{ secret: string }>(context, "POST", "/api/account/two-factor/totp/setup", {
    currentPassword: account.password,
  });
  expect(setup.status, "POST totp/setup").toBe(200);
  const app = authenticatorApp(setup.body.secret);
  const confirmed = await apiJson<{ recoveryCodes?: string[] }>(
    context,
    "POST",
    "/api/account/two-factor/totp/confirm",
    {
      code: await app.code(),
    },
  );
  expect(confirmed.status, "POST totp/confirm").toBe(200);
  return { app, recoveryCodes: confirmed.body.recoveryCodes ?? [] };
}

/** The code in the newest text to `to` that says "… is your <phrase>", read from the dev outbox. */
async function outboxCode(context: BrowserContext, to: string, phrase: string): Promise<string> {
  for (let tries = 0; tries < 100; tries++) {
    const outbox = await apiJson<{ messages: { channel: string; to: string; body: string }[] }>(
      context,
      "GET",
      "/api/dev/outbox",
    );
    const text = outbox.body.messages.find((message) => message.to === to && message.body.includes(phrase));
    const code = text && /^Twofold: (\d{6}) /.exec(text.body)?.[1];
    if (code) return code;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no "${phrase}" text to ${to}`);
}

/** On a signed-in context: a verified phone and SMS two-factor on, through the API. Returns the phone. */
export async function enrolSms(context: BrowserContext, account: Account) {
  const phone = newPhoneNumber();
  const started = await apiJson<{ verificationId: string }>(context, "POST", "/api/account/phone", {
    phoneNumber: phone.e164,
    currentPassword: account.password,
  });
  expect(started.status, "POST /api/account/phone").toBe(202);
  const code = await outboxCode(context, phone.e164, "is your phone verification code");
  const verified = await apiJson(context, "POST", "/api/account/phone/verify", {
    verificationId: started.body.verificationId,
    code,
  });
  expect(verified.status, "POST phone/verify").toBe(200);
  const on = await apiJson<{ recoveryCodes?: string[] }>(context, "POST", "/api/account/two-factor/sms", {
    enabled: true,
    currentPassword: account.password,
  });
  expect(on.status, "POST two-factor/sms").toBe(200);
  return { phone, recoveryCodes: on.body.recoveryCodes ?? [] };
}

/** Chromium's virtual authenticator on this page's context: a platform passkey store that verifies the user. */
export async function addVirtualAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  // It answers every request at once, the sign-in page's autofill one (conditional mediation) included.
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/**
 * On a signed-in page with a virtual authenticator: registers a passkey through the API, the browser making the
 * credential (navigator.credentials.create with the server's options, as the profile page does).
 */
export async function registerPasskey(page: Page, account: Account, name = "Test passkey"): Promise<void> {
  const status = await page.evaluate(
    async ({ password, name }) => {
      const post = (path: string, body: unknown) =>
        fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const options = await post("/api/account/passkeys/options", { currentPassword: password });
      if (!options.ok) return `options ${options.status} ${await options.text()}`;
      const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(await options.json());
      const credential = (await navigator.credentials.create({ publicKey })) as PublicKeyCredential;
      const saved = await post("/api/account/passkeys", { response: credential.toJSON(), name });
      return saved.ok ? "ok" : `register ${saved.status} ${await saved.text()}`;
    },
    { password: account.password, name },
  );
  expect(status).toBe("ok");
}

/** Signs out with the header button (from any signed-in page), ending on the home page. */
export async function signOut(page: Page): Promise<void> {
  if (pathOf(page) !== "/profile") await page.goto("/profile");
  await (await ready(headerSignOut(page))).click();
  await waitForPath(page, "/");
}

export function verifyButton(page: Page) {
  return page.getByRole("main").getByRole("button", { name: "Verify", exact: true });
}

export function otherWaysButton(page: Page) {
  return page.getByRole("main").getByRole("button", { name: "Use another way" });
}

/** "Use another way", then the method named `name` ("Authenticator app", "A recovery code", "Passkey", "Text a code…"). */
export async function chooseOtherWay(page: Page, name: string | RegExp): Promise<void> {
  const list = page.getByRole("main").getByRole("list", { name: "Other ways to confirm it's you" });
  if (!(await list.isVisible())) await (await ready(otherWaysButton(page))).click();
  await (await ready(list.getByRole("button", { name }))).click();
}

/**
 * Runs `steps` with the sign-in page's passkey autofill held back (its options request refused, which the page
 * takes quietly): the virtual authenticator would otherwise answer that request at once and sign in before the
 * test types anything.
 */
export async function withoutPasskeyAutofill(page: Page, steps: () => Promise<void>): Promise<void> {
  const pattern = "**/api/auth/passkey/options";
  await page.route(pattern, (route) => route.abort());
  try {
    await steps();
  } finally {
    await page.unroute(pattern);
  }
}
